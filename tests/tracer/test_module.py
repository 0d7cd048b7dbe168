"""tf.Module variable tracking and tf.keras.layers.Dense."""
import re

import numpy as np
import pytest

import tapeflow as tf


def _refs(vs):
    return [v.ref() for v in vs]


class Leaf(tf.Module):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.w = tf.Variable([1.0, 2.0], name="w")
        self.steps = tf.Variable(0, trainable=False, name="steps")


class Tree(tf.Module):
    def __init__(self):
        super().__init__()
        self.leaf = Leaf()
        self.layers = [Leaf(), Leaf()]
        self.table = {"b": tf.Variable(1.0, name="b"), "a": tf.Variable(2.0, name="a")}
        self.scale = tf.Variable(3.0, name="scale")
        self.plain = 5.0  # not a variable
        self.alias = self.scale  # the same variable twice
        self.again = self.layers[0]  # the same submodule twice


def test_module_finds_variables_in_attributes_lists_and_dicts():
    m = Tree()
    expected = [m.leaf.w, m.leaf.steps, m.layers[0].w, m.layers[0].steps,
                m.layers[1].w, m.layers[1].steps, m.table["a"], m.table["b"], m.scale]
    assert set(_refs(m.variables)) == set(_refs(expected))
    assert len(m.variables) == 9


def test_module_order_is_tensorflows():
    # tf.Module walks a module's own attributes first (sorted by name; dicts by key),
    # then recurses into each submodule in the order found.
    m = Tree()
    expected = [m.scale, m.table["a"], m.table["b"],  # own: alias(=scale), table
                m.layers[0].steps, m.layers[0].w,  # submodule `again` (= layers[0])
                m.layers[1].steps, m.layers[1].w,  # layers[1]
                m.leaf.steps, m.leaf.w]  # leaf
    assert _refs(m.variables) == _refs(expected)
    assert _refs(m.trainable_variables) == _refs(
        [m.scale, m.table["a"], m.table["b"], m.layers[0].w, m.layers[1].w, m.leaf.w])


def test_module_has_no_duplicates():
    m = Tree()
    refs = _refs(m.variables)
    assert len(set(refs)) == len(refs)
    refs_t = _refs(m.trainable_variables)
    assert len(set(refs_t)) == len(refs_t)


def test_module_trainable_variables_exclude_non_trainable():
    m = Tree()
    trainable = m.trainable_variables
    assert len(trainable) == 6
    assert all(v.trainable for v in trainable)
    assert m.leaf.steps.ref() not in set(_refs(trainable))
    assert m.leaf.w.ref() in set(_refs(trainable))


def test_module_variables_are_a_tuple():
    m = Leaf()
    assert isinstance(m.variables, tuple)
    assert isinstance(m.trainable_variables, tuple)


def test_module_name_default_and_given():
    class MyModel(tf.Module):
        pass

    assert MyModel().name == "my_model"
    assert Leaf(name="custom").name == "custom"


def test_module_gradient_over_trainable_variables():
    m = Tree()
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(m.leaf.w) * m.scale
    grads = tape.gradient(y, m.trainable_variables)
    assert len(grads) == len(m.trainable_variables)
    by_ref = dict(zip(_refs(m.trainable_variables), grads))
    np.testing.assert_allclose(np.asarray(by_ref[m.leaf.w.ref()]), [3.0, 3.0])
    assert float(by_ref[m.scale.ref()]) == 3.0
    assert by_ref[m.table["a"].ref()] is None


def test_module_submodules():
    m = Tree()
    subs = m.submodules
    assert len(subs) == 3
    assert {id(s) for s in subs} == {id(m.leaf), id(m.layers[0]), id(m.layers[1])}


# ---------------------------------------------------------------- Dense

def test_dense_is_built_on_first_call():
    layer = tf.keras.layers.Dense(4)
    assert layer.trainable_variables == []  # a list, as Keras's
    y = layer(tf.ones((2, 3)))
    assert y.shape == (2, 4)
    assert y.dtype == tf.float32
    assert layer.kernel.shape == (3, 4)
    assert layer.bias.shape == (4,)
    assert len(layer.trainable_variables) == 2


def test_dense_kernel_is_glorot_uniform_and_bias_zero():
    n_in, units = 30, 20
    layer = tf.keras.layers.Dense(units)
    layer(tf.zeros((1, n_in)))
    k = layer.kernel.numpy()
    limit = np.sqrt(6.0 / (n_in + units))
    assert np.all(np.abs(k) <= limit)
    assert np.abs(k).max() > 0.5 * limit  # actually spread over the range
    assert abs(k.mean()) < 0.1 * limit
    assert len(np.unique(k)) > k.size // 2  # random, not constant
    np.testing.assert_array_equal(layer.bias.numpy(), np.zeros(units))
    assert layer.kernel.dtype == tf.float32


def test_dense_variable_names():
    layer = tf.keras.layers.Dense(2)
    layer(tf.ones((1, 3)))
    # Keras 3 (TF 2.16+): `name` is the add_weight name, `path` has the layer's.
    assert (layer.kernel.name, layer.bias.name) == ("kernel", "bias")
    assert re.fullmatch(r"dense(_\d+)?/kernel", layer.kernel.path)
    assert re.fullmatch(r"dense(_\d+)?/bias", layer.bias.path)
    other = tf.keras.layers.Dense(2)
    other(tf.ones((1, 3)))
    assert other.kernel.path != layer.kernel.path  # unique layer names


def test_dense_computes_affine_map():
    layer = tf.keras.layers.Dense(2)
    x = tf.constant([[1.0, 2.0, 3.0], [-1.0, 0.0, 1.0]])
    layer(x)
    layer.bias.assign([0.5, -0.5])
    y = layer(x)
    expected = x.numpy() @ layer.kernel.numpy() + np.array([0.5, -0.5])
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-6)


def test_dense_relu_activation():
    layer = tf.keras.layers.Dense(3, activation="relu")
    x = tf.constant([[1.0, -2.0], [0.5, 3.0]])
    layer(x)
    layer.kernel.assign([[1.0, -1.0, 0.0], [1.0, 1.0, -1.0]])
    y = layer(x).numpy()
    np.testing.assert_allclose(y, np.maximum(x.numpy() @ layer.kernel.numpy(), 0.0))
    assert (y >= 0).all() and (y == 0).any()


def test_dense_callable_activation():
    layer = tf.keras.layers.Dense(1, activation=tf.nn.sigmoid)
    y = layer(tf.ones((1, 2)))
    assert 0.0 < float(y[0, 0]) < 1.0


def test_dense_unknown_activation_raises_naming_it():
    with pytest.raises(ValueError, match="relux"):
        tf.keras.layers.Dense(3, activation="relux")


def test_dense_gradients_flow_to_kernel_and_bias():
    layer = tf.keras.layers.Dense(2)
    x = tf.constant([[1.0, 2.0]])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(layer(x))
    gk, gb = tape.gradient(y, layer.trainable_variables)
    np.testing.assert_allclose(gk.numpy(), [[1.0, 1.0], [2.0, 2.0]])
    np.testing.assert_allclose(gb.numpy(), [1.0, 1.0])


def test_dense_in_a_module_is_found():
    class Model(tf.Module):
        def __init__(self):
            super().__init__()
            self.hidden = tf.keras.layers.Dense(4, activation="relu")
            self.out = tf.keras.layers.Dense(1)

        def __call__(self, x):
            return self.out(self.hidden(x))

    m = Model()
    assert m.trainable_variables == ()
    m(tf.ones((2, 3)))
    assert len(m.trainable_variables) == 4
    shapes = sorted(v.shape for v in m.trainable_variables)
    assert shapes == sorted([(3, 4), (4,), (4, 1), (1,)])


def test_dense_on_rank_3_input_contracts_the_last_axis():
    layer = tf.keras.layers.Dense(2)
    x = tf.constant(np.arange(24, dtype=np.float32).reshape(2, 4, 3) / 10)
    with tf.GradientTape() as tape:
        y = layer(x)
        loss = tf.reduce_sum(y)
    assert y.shape == (2, 4, 2)
    np.testing.assert_allclose(y.numpy(), x.numpy() @ layer.kernel.numpy(), rtol=1e-5)
    gk, gb = tape.gradient(loss, layer.trainable_variables)
    np.testing.assert_allclose(gk.numpy(), np.repeat(x.numpy().sum(axis=(0, 1))[:, None], 2, 1),
                               rtol=1e-5)
    np.testing.assert_allclose(gb.numpy(), [8.0, 8.0])


def test_dense_follows_float64_input():
    layer = tf.keras.layers.Dense(2)
    y = layer(tf.constant(np.ones((1, 3))))
    assert y.dtype == tf.float64
    assert layer.kernel.dtype == tf.float64


def test_dense_rejects_input_of_another_width_after_build():
    layer = tf.keras.layers.Dense(2)
    layer(tf.ones((1, 3)))
    with pytest.raises(ValueError, match="3"):
        layer(tf.ones((1, 4)))


def test_dense_rejects_rank_1_input():
    with pytest.raises(ValueError, match="rank"):
        tf.keras.layers.Dense(2)(tf.ones((3,)))


def test_module_with_a_reference_cycle():
    class Cyclic(tf.Module):
        def __init__(self):
            super().__init__()
            self.me = self
            self.v = tf.Variable(1.0)
            self.pair = (tf.Variable(2.0), [tf.Variable(3.0)])

    m = Cyclic()
    assert [float(v.numpy()) for v in m.variables] == [2.0, 3.0, 1.0]  # 'pair' < 'v'


def test_flatten_takes_tensorflows_arguments_and_gives_paths():
    class Inner(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable(1.0)
            self.k = 3
            self.items = [tf.Variable(2.0), {"b": tf.Variable(3.0), "a": 5}]

    class Outer(tf.Module):
        def __init__(self):
            super().__init__()
            self.inner = Inner()
            self.v = tf.Variable(0.0)

    outer = Outer()
    flat = outer._flatten(with_path=True)
    assert not isinstance(flat, list | tuple)  # a generator, as TF's
    assert [path for path, _ in flat] == [
        ("inner",), ("v",), ("inner", "items", 0), ("inner", "items", 1, "a"),
        ("inner", "items", 1, "b"), ("inner", "k"), ("inner", "w")]
    assert [path for path, _ in outer._flatten(recursive=False, with_path=True)] == [
        ("inner",), ("v",)]
    variables = list(outer._flatten(predicate=lambda x: isinstance(x, tf.Variable),
                                    attribute_traversal_key=lambda name: -ord(name[0])))
    # Attributes by descending first letter: v, then inner's w, items[0], items[1]['b'].
    assert [float(v.numpy()) for v in variables] == [0.0, 1.0, 2.0, 3.0]


def test_non_trainable_variables_and_tfs_name_rule():
    m = tf.Module()
    m.b = tf.Variable(2.0)
    m.a = tf.Variable(1.0, trainable=False)
    assert [v.numpy() for v in m.non_trainable_variables] == [1.0]
    for bad in ("a b", "a/b", "1x"):
        with pytest.raises(ValueError, match="is not a valid module name"):
            tf.Module(name=bad)
    assert tf.Module(name="x1").name == "x1"
    assert tf.keras.layers.Dense(1, name="dense out").name == "dense out"  # Keras' rule

"""Behaviour that code written for TensorFlow observes directly: result dtypes, class names and
helpers that TensorFlow's guides print or call (found by running the guides under TensorFlow
and tapeflow side by side, benchmarks/guides_tally.py)."""

import numpy as np
import pytest

import tapeflow as tf


def test_abs_of_a_complex_tensor_is_its_real_magnitude():
    z = tf.constant([3 + 4j, -1j])
    r = tf.abs(z)
    assert r.dtype == tf.float64
    np.testing.assert_array_equal(r.numpy(), [5.0, 1.0])
    assert tf.math.abs(tf.cast(z, tf.complex64)).dtype == tf.float32


def test_abs_of_a_complex_tensor_inside_a_function_is_real_too():
    @tf.function
    def magnitude(z):
        return tf.abs(z)

    r = magnitude(tf.constant([6 + 8j]))
    assert r.dtype == tf.float64
    np.testing.assert_array_equal(r.numpy(), [10.0])


@pytest.mark.parametrize("dtype", [tf.float32, tf.int32])
def test_abs_of_real_tensors_keeps_their_dtype(dtype):
    assert tf.abs(tf.constant([-2, 3], dtype=dtype)).dtype == dtype


def test_name_scopes_prefix_the_names_of_variables_made_inside_them():
    with tf.name_scope("outer"):
        a = tf.Variable(1.0, name="a")
        with tf.name_scope("inner") as scope:
            b = tf.Variable(1.0)
    c = tf.Variable(1.0, name="c")
    assert scope == "outer/inner/"
    assert (a.name, b.name, c.name) == ("outer/a:0", "outer/inner/Variable:0", "c:0")


def test_a_name_scope_is_left_as_it_was_after_an_exception():
    with pytest.raises(RuntimeError), tf.name_scope("failing"):
        raise RuntimeError("boom")
    assert tf.Variable(1.0, name="after").name == "after:0"


def test_a_name_scope_name_must_be_a_string():
    with pytest.raises(TypeError, match="name_scope"):
        tf.name_scope(3)


class ScopedBlock(tf.Module):
    def __init__(self, name=None):
        super().__init__(name=name)
        with self.name_scope:
            self.w = tf.Variable(1.0, name="w")

    @tf.Module.with_name_scope
    def make(self):
        self.z = tf.Variable(2.0, name="z")
        return self.z


def test_a_modules_name_scope_prefixes_its_variables_with_its_name():
    m = ScopedBlock(name="block")
    assert m.name_scope.name == "block/"
    assert m.w.name == "block/w:0"
    assert m.make().name == "block/z:0"
    assert ScopedBlock().w.name == "scoped_block/w:0"  # the default name, from the class


def test_a_module_built_inside_a_scope_keeps_that_scope():
    with tf.name_scope("net"):
        m = ScopedBlock(name="block")
    assert m.w.name == "net/block/w:0"
    assert m.make().name == "net/block/z:0"  # later, outside the scope it was built in
    assert m.variables == (m.w, m.z)

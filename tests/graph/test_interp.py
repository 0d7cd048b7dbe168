"""The reference interpreter: runs a Graph with the eager kernels, freeing dead values."""

import os
import types
import weakref

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.graph.interp import Interpreter, InterpreterError, evaluate
from tapeflow.graph.ir import Eqn, Graph, make_params, new_var
from tapeflow.graph.printer import parse_graph, print_graph
from tapeflow.ops import PRIMITIVES
from tapeflow.ops.core import ShapedArray

F32 = np.dtype(np.float32)
THIS_FILE = os.path.basename(__file__)


def _line_of(tag: str) -> int:
    return next(i for i, text in enumerate(open(__file__), start=1)
                if f"# {tag}" in text and "_line_of" not in text)


# ------------------------------------------------------------------ recorded tape graphs


def _record_linear_model(w_value, b_value, x_value):
    w = tf.Variable(w_value, name="w")
    b = tf.Variable(b_value, name="b")
    x = tf.constant(x_value)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = tf.nn.softplus(x @ w + b)
        loss = tf.reduce_mean(y**2)
        extra = tf.reduce_sum(tf.sin(x) * tf.exp(-x))
    return tape, {"y": y, "loss": loss, "extra": extra}, {"w": w, "b": b, "x": x}


def _input_values(graph, sources):
    """The value of each graph input, from the watched tensors/variables that define it."""
    by_var = {}
    for s in sources.values():
        t = s._value if isinstance(s, tf.Variable) else s
        by_var[t._var] = t.numpy()
    return [by_var[v] for v in graph.inputs]


def test_recorded_tape_graph_reproduces_eager_outputs():
    r = np.random.default_rng(0)
    tape, results, sources = _record_linear_model(
        r.normal(size=(3, 2)).astype(np.float32),
        r.normal(size=(2,)).astype(np.float32),
        r.normal(size=(4, 3)).astype(np.float32),
    )
    graph = tape.graph
    assert len(graph.inputs) == 3
    outs = evaluate(graph, _input_values(graph, sources))
    by_var = dict(zip(graph.outputs, outs))
    for name in ("loss", "extra"):
        eager = results[name]
        assert eager._var in by_var, name
        got = by_var[eager._var]
        assert got.dtype == eager.numpy().dtype and got.shape == eager.shape
        np.testing.assert_allclose(got, eager.numpy(), rtol=1e-6)


def test_recorded_graph_is_a_function_of_its_inputs():
    """The graph of one recording, run on other values, equals recording those values."""
    r = np.random.default_rng(1)
    shapes = [(3, 2), (2,), (4, 3)]
    first = [r.normal(size=s).astype(np.float32) for s in shapes]
    second = [r.normal(size=s).astype(np.float32) for s in shapes]
    tape1, _, _ = _record_linear_model(*first)
    tape2, expected, sources2 = _record_linear_model(*second)
    graph1, graph2 = tape1.graph, tape2.graph
    assert len(graph1.eqns) == len(graph2.eqns)
    assert [v.aval for v in graph1.inputs] == [v.aval for v in graph2.inputs]
    # the same program recorded in the same order: inputs and outputs correspond by position
    outs = evaluate(graph1, _input_values(graph2, sources2))
    by_var = dict(zip(graph2.outputs, outs))
    for name in ("loss", "extra"):
        np.testing.assert_allclose(by_var[expected[name]._var], expected[name].numpy(),
                                   rtol=1e-6)


def test_printed_and_parsed_graph_interprets_the_same():
    tape, results, sources = _record_linear_model(
        np.ones((3, 2), np.float32), np.zeros((2,), np.float32),
        np.arange(12, dtype=np.float32).reshape(4, 3) / 10)
    graph = tape.graph
    args = _input_values(graph, sources)
    again = parse_graph(print_graph(graph))
    for a, b in zip(evaluate(graph, args), evaluate(again, args)):
        np.testing.assert_array_equal(a, b)


def test_graph_of_a_function_with_gradients_matches_eager():
    w = tf.Variable(np.array([[0.5, -1.0], [2.0, 0.25]], np.float32), name="w")

    @tf.function
    def grads(x):
        with tf.GradientTape() as t:
            loss = tf.reduce_sum(tf.tanh(x @ w) ** 2)
        return loss, t.gradient(loss, w)

    x = np.array([[1.0, -2.0]], np.float32)
    concrete = grads.get_concrete_function(x)
    outs = Interpreter(concrete.graph).run(x, w.numpy())
    with tf.GradientTape() as t:
        loss = tf.reduce_sum(tf.tanh(x @ w) ** 2)
    g = t.gradient(loss, w)
    np.testing.assert_allclose(outs[0], loss.numpy(), rtol=1e-6)
    np.testing.assert_allclose(outs[1], g.numpy(), rtol=1e-6)
    # the unoptimised graph agrees with the optimised one
    for a, b in zip(outs, Interpreter(concrete.raw_graph).run(x, w.numpy())):
        np.testing.assert_allclose(a, b, rtol=1e-6)


# ------------------------------------------------------------------ hand-built graphs


def _var(*shape, dtype=F32):
    return new_var(ShapedArray(tuple(shape), np.dtype(dtype)))


def _eqn(name, inputs, outputs, **params):
    return Eqn(PRIMITIVES[name], tuple(inputs), tuple(outputs), make_params(params))


def test_hand_built_graph():
    x, c = _var(3), _var(3)
    s, p, q, total = _var(3), _var(3), _var(3), _var()
    graph = Graph(
        inputs=(x,),
        eqns=(
            _eqn("sin", [x], [s]),
            _eqn("mul", [s, x], [p]),
            _eqn("add", [p, c], [q]),
            _eqn("reduce_sum", [q], [total], axes=(0,), keepdims=False),
        ),
        outputs=(total, q),
        consts=((c, np.array([1.0, 2.0, 3.0], np.float32)),),
    )
    xv = np.array([0.5, -1.0, 2.0], np.float32)
    total_v, q_v = evaluate(graph, [xv])
    expected_q = np.sin(xv) * xv + np.array([1, 2, 3], np.float32)
    np.testing.assert_allclose(q_v, expected_q, rtol=1e-6)
    np.testing.assert_allclose(total_v, expected_q.sum(), rtol=1e-6)
    assert total_v.dtype == F32 and total_v.shape == ()
    assert q_v.dtype == F32


def test_hand_built_graph_with_multiple_uses_and_an_input_output():
    x = _var(2, 2)
    a, b, c = _var(2, 2), _var(2, 2), _var(2, 2)
    graph = Graph(
        inputs=(x,),
        eqns=(
            _eqn("exp", [x], [a]),
            _eqn("matmul", [a, x], [b]),
            _eqn("sub", [b, a], [c]),  # `a` used twice: alive until here
        ),
        outputs=(c, x),
    )
    xv = np.array([[0.1, 0.2], [0.3, 0.4]], np.float32)
    c_v, x_v = Interpreter(graph).run(xv)
    np.testing.assert_allclose(c_v, np.exp(xv) @ xv - np.exp(xv), rtol=1e-6)
    np.testing.assert_array_equal(x_v, xv)


def test_wrong_number_of_inputs():
    x, y = _var(), _var()
    graph = Graph((x,), (_eqn("neg", [x], [y]),), (y,))
    with pytest.raises(TypeError, match="takes 1 inputs, got 2"):
        evaluate(graph, [np.float32(1), np.float32(2)])


def test_graph_without_eqns_returns_inputs_and_constants():
    x, c = _var(2), _var(2)
    graph = Graph((x,), (), (c, x), ((c, np.array([4.0, 5.0], np.float32)),))
    c_v, x_v = evaluate(graph, [np.array([1.0, 2.0], np.float32)])
    np.testing.assert_array_equal(c_v, [4.0, 5.0])
    np.testing.assert_array_equal(x_v, [1.0, 2.0])


# ------------------------------------------------------------------ freeing dead values


def _chain(n):
    x = _var(1000)
    vars_ = [x]
    eqns = []
    for i in range(n):
        out = _var(1000)
        eqns.append(_eqn("sin" if i % 2 else "exp", [vars_[-1]], [out]))
        vars_.append(out)
    return Graph((x,), tuple(eqns), (vars_[-1],)), vars_


class LiveTracker(Interpreter):
    """Records, before each eqn runs, how many earlier eqn results are still alive."""

    def __init__(self, graph):
        super().__init__(graph)
        self.refs = []
        self.alive_before = []

    def run_eqn(self, eqn, inputs):
        self.alive_before.append(sum(r() is not None for r in self.refs))
        outs = super().run_eqn(eqn, inputs)
        self.refs.extend(weakref.ref(o) for o in outs)
        return outs


def test_intermediates_are_freed_after_their_last_use():
    graph, vars_ = _chain(12)
    interp = LiveTracker(graph)
    assert any(interp._free_after), "a chain must free something"
    for i, freed in enumerate(interp._free_after[1:], start=1):
        assert freed == [vars_[i]]  # eqn i consumes the result of eqn i-1, its last use
    assert vars_[-1] not in [v for f in interp._free_after for v in f]  # outputs are kept
    x = np.linspace(-1, 1, 1000).astype(np.float32)
    (out,) = interp.run(x)
    # at most the one value the next eqn reads is alive; never the whole chain
    assert max(interp.alive_before) <= 1, interp.alive_before
    expected = x
    for i in range(12):
        expected = np.sin(expected) if i % 2 else np.exp(expected)
    np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_freeing_follows_the_last_of_several_uses():
    x = _var(3)
    a, b, c, d = _var(3), _var(3), _var(3), _var(3)
    graph = Graph(
        (x,),
        (
            _eqn("exp", [x], [a]),
            _eqn("sin", [a], [b]),
            _eqn("cos", [b], [c]),
            _eqn("mul", [a, c], [d]),  # last use of `a`
        ),
        (d,),
    )
    interp = Interpreter(graph)
    assert interp._free_after[1] == []  # `a` still needed after eqn 1
    assert set(interp._free_after[3]) == {a, c}
    xv = np.array([0.0, 0.5, 1.0], np.float32)
    np.testing.assert_allclose(interp.run(xv)[0], np.exp(xv) * np.cos(np.sin(np.exp(xv))),
                               rtol=1e-6)


def test_subclass_can_replace_the_evaluation_of_each_eqn():
    """An analysis overrides run_eqn (like torch.fx's ShapeProp): here, counting prims."""
    graph, _ = _chain(6)

    class Counter(Interpreter):
        def __init__(self, graph):
            super().__init__(graph)
            self.seen = []

        def run_eqn(self, eqn, inputs):
            self.seen.append(eqn.prim.name)
            return super().run_eqn(eqn, inputs)

    counter = Counter(graph)
    counter.run(np.zeros(1000, np.float32))
    assert counter.seen == ["exp", "sin"] * 3


# ------------------------------------------------------------------ errors


def test_error_names_the_primitive_and_the_recorded_line():
    w = tf.Variable(np.ones((3, 2), np.float32))
    with tf.GradientTape() as tape:
        y = tf.constant(np.ones((1, 3), np.float32)) @ w  # RECORDED-LINE
        tf.reduce_sum(y)
    graph = tape.graph
    assert len(graph.inputs) == 1
    # run it on a value of the wrong shape: numpy's matmul fails inside the eqn
    with pytest.raises(Exception) as info:
        evaluate(graph, [np.ones((4, 2), np.float32)])
    message = str(info.value)
    assert "matmul" in message
    assert f"{THIS_FILE}:{_line_of('RECORDED-LINE')}" in message
    assert "eqn 0" in message
    assert info.value.__cause__ is not None  # the original error is kept


def test_error_keeps_its_type_when_it_can():
    x, y = _var(2), _var(2)
    graph = Graph((x,), (Eqn(PRIMITIVES["neg"], (x,), (y,), (), ("model.py", 12)),), (y,))

    class Broken(Interpreter):
        def run_eqn(self, eqn, inputs):
            raise ZeroDivisionError("kernel failed")

    with pytest.raises(ZeroDivisionError) as info:
        Broken(graph).run(np.ones(2, np.float32))
    message = str(info.value)
    assert "kernel failed" in message and "neg" in message and "model.py:12" in message


def test_error_whose_type_cannot_take_a_message_becomes_interpreter_error():
    def bad_kernel(x):
        raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")

    fake = types.SimpleNamespace(name="decode", multiple_results=False, impl=bad_kernel)
    x, y = _var(2), _var(2)
    graph = Graph((x,), (Eqn(fake, (x,), (y,), (), ("/some/dir/data.py", 7)),), (y,))
    with pytest.raises(InterpreterError) as info:
        evaluate(graph, [np.ones(2, np.float32)])
    message = str(info.value)
    assert "UnicodeDecodeError" in message
    assert "decode" in message and "data.py:7" in message
    assert "/some/dir" not in message  # the basename only

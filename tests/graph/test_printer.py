"""The IR's text form: printing, reading back, and the verifier."""

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.graph.ir import Eqn, Graph, new_var
from tapeflow.graph.printer import ParseError, parse_graph, print_graph
from tapeflow.graph.verify import GraphError, verify
from tapeflow.ops import PRIMITIVES
from tapeflow.ops.core import ShapedArray


def _recorded_graph():
    w = tf.Variable(np.arange(6, dtype=np.float32).reshape(3, 2), name="w")
    b = tf.Variable(tf.zeros(2), name="b")
    with tf.GradientTape() as tape:
        y = tf.constant([[1.0, 2.0, 3.0]]) @ w + b
        loss = tf.reduce_mean(tf.nn.softplus(y) ** 2)
    return tape.graph


def test_tape_graph_prints_typed_binders_params_and_source_lines():
    text = str(_recorded_graph())
    assert text.startswith("graph(a:f32[3,2] 'w:0', b:f32[2] 'b:0')")
    assert "= matmul(" in text
    assert "reduce_sum(" in text and "axes=(0, 1), keepdims=False" in text
    assert "# test_printer.py:" in text  # the user's line, not tapeflow's
    assert text.rstrip().splitlines()[-1].startswith("  return (")


def test_print_parse_print_is_identity():
    text = print_graph(_recorded_graph())
    again = parse_graph(text)
    assert print_graph(again) == text
    verify(again)


def test_parsed_graph_keeps_constants_params_and_sources():
    graph = parse_graph(print_graph(_recorded_graph()))
    (const_var, value), = graph.consts[:1]
    np.testing.assert_array_equal(value, [[1.0, 2.0, 3.0]])
    assert value.dtype == np.float32
    reduce = next(e for e in graph.eqns if e.prim.name == "reduce_sum")
    assert reduce.params_dict == {"axes": (0, 1), "keepdims": False}
    assert all(e.source and e.source[0] == "test_printer.py" for e in graph.eqns)


def test_special_float_constants_round_trip():
    x = new_var(ShapedArray((4,), np.dtype(np.float64)))
    c = new_var(ShapedArray((4,), np.dtype(np.float64)))
    out = new_var(ShapedArray((4,), np.dtype(np.float64)))
    value = np.array([np.inf, -np.inf, np.nan, 1e-300])
    g = Graph((x,), (Eqn(PRIMITIVES["add"], (x, c), (out,)),), (out,), ((c, value),))
    back = parse_graph(print_graph(g))
    np.testing.assert_array_equal(back.consts[0][1], value)


def test_large_constants_are_elided_and_supplied_by_name():
    x = new_var(ShapedArray((100,), np.dtype(np.float32)))
    c = new_var(ShapedArray((100,), np.dtype(np.float32)))
    out = new_var(ShapedArray((100,), np.dtype(np.float32)))
    value = np.arange(100, dtype=np.float32)
    g = Graph((x,), (Eqn(PRIMITIVES["mul"], (x, c), (out,)),), (out,), ((c, value),))
    text = print_graph(g)
    assert "const(...)" in text
    with pytest.raises(ParseError, match="elided"):
        parse_graph(text)
    back = parse_graph(text, consts={"b": value})
    np.testing.assert_array_equal(back.consts[0][1], value)


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "empty"),
        ("graph(a:f32[2])\n  b:f32[2] = frobnicate(a)\n  return (b,)", "unknown primitive"),
        ("graph(a:f32[2])\n  b:f32[2] = neg(z)\n  return (b,)", "not a defined variable"),
        ("graph(a:q8[2])\n  return (a,)", "unknown dtype"),
        ("graph(a:f32[2])\n  b:f32[2] = neg(a)", "missing 'return"),
    ],
)
def test_parse_errors_say_what_is_wrong(text, message):
    with pytest.raises(ParseError, match=message):
        parse_graph(text)


def test_verifier_rejects_wrong_output_type():
    text = "graph(a:f32[2], b:f32[3])\n  c:f32[2] = add(a, b)\n  return (c,)"
    with pytest.raises(GraphError, match="shape rule rejects"):
        verify(parse_graph(text))
    text = "graph(a:f32[2])\n  c:f32[3] = neg(a)\n  return (c,)"
    with pytest.raises(GraphError, match="gives f32\\[2\\]"):
        verify(parse_graph(text))


def test_verifier_rejects_use_before_definition_and_double_definition():
    a = new_var(ShapedArray((2,), np.dtype(np.float32)))
    b = new_var(ShapedArray((2,), np.dtype(np.float32)))
    neg = PRIMITIVES["neg"]
    with pytest.raises(GraphError, match="used before it is defined"):
        verify(Graph((a,), (Eqn(neg, (b,), (a,)),), (a,)))
    with pytest.raises(GraphError, match="defined twice"):
        verify(Graph((a,), (Eqn(neg, (a,), (b,)), Eqn(neg, (a,), (b,))), (b,)))
    with pytest.raises(GraphError, match="never defined"):
        verify(Graph((a,), (), (b,)))


def test_graph_exports_to_networkx_in_data_order():
    import networkx as nx

    g = _recorded_graph().to_networkx()
    order = list(nx.topological_sort(g))
    assert order == sorted(order)  # the recorded order is already topological

"""concrete.graph.as_graph_def(): TensorFlow's GraphDef of a traced graph, node by node."""

import pytest

import tapeflow as tf
from tapeflow.summary import records as rec


def test_nodes_name_their_inputs_as_tensorflow_lists_them():
    @tf.function
    def double(a):
        return a + a

    graph_def = double.get_concrete_function(tf.constant("a")).graph.as_graph_def()
    assert [(n.input, n.name, n.op) for n in graph_def.node] == [
        ([], "a", "Placeholder"), (["a", "a"], "add", "add"), (["add"], "Identity", "Identity")]


def test_constants_repeated_ops_and_serialisation():
    @tf.function
    def f(x, y):
        return (x * 2.0 + y) * 3.0, x

    graph_def = f.get_concrete_function(tf.constant([1.0]), tf.constant([2.0])).graph \
        .as_graph_def()
    names = [n.name for n in graph_def.node]
    assert names[:2] == ["x", "y"] and names.count("Identity") == 1 and "Identity_1" in names
    assert "mul_1" in names and all(n.op != "" for n in graph_def.node)
    parsed = [{f: v for f, _, v in rec.parse(node)}
              for _, _, node in rec.parse(graph_def.SerializeToString())]
    assert [p[1].decode() for p in parsed] == names
    assert 'name: "x"' in str(graph_def)


def test_an_unknown_rank_concrete_function_has_no_single_graph():
    concrete = tf.function(lambda x: x).get_concrete_function(tf.TensorSpec(None))
    with pytest.raises(AttributeError, match="one graph per rank"):
        concrete.graph  # noqa: B018

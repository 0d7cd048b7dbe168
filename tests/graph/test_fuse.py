"""The fusion plan: which equations share one loop nest."""

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.graph.passes.fuse import fuse, print_fused
from tapeflow.ops import linalg


def _graph(fn, *args):
    return tf.function(fn).get_concrete_function(*args).graph


def _prims(graph, group):
    return [graph.eqns[i].prim.name for i in group]


def w3(x):
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(tf.nn.softplus(tf.sin(x) * x + tf.exp(-x * x)))
    return loss, tape.gradient(loss, x)


def test_forward_loss_and_its_adjoint_fuse_into_one_loop_with_the_reduction():
    graph = _graph(w3, tf.constant(np.linspace(-2, 2, 100, dtype=np.float32)))
    plan = fuse(graph)
    assert len(plan.groups) == 1  # forward, gradient and the sum: one loop over [100]
    assert sorted(plan.groups[0]) == list(range(len(graph.eqns)))
    assert "reduce_sum" in _prims(graph, plan.groups[0])


def test_every_equation_is_scheduled_once_after_its_inputs():
    graph = _graph(w3, tf.constant(np.ones(7, np.float32)))
    plan = fuse(graph)
    order = [i for g in plan.groups for i in g]
    assert sorted(order) == list(range(len(graph.eqns)))
    position = {i: n for n, i in enumerate(order)}
    made_by = {v: i for i, e in enumerate(graph.eqns) for v in e.outputs}
    for i, e in enumerate(graph.eqns):
        assert all(position[made_by[v]] < position[i] for v in e.inputs if v in made_by)


def test_matmul_is_its_own_group_and_its_elementwise_epilogue_fuses():
    w = tf.Variable(np.ones((3, 4), np.float32))
    b = tf.Variable(np.zeros(4, np.float32))

    def layer(x):
        return tf.nn.relu(x @ w + b) * 2.0

    graph = _graph(layer, tf.constant(np.ones((2, 3), np.float32)))
    plan = fuse(graph)
    assert [_prims(graph, g) for g in plan.groups if "matmul" in _prims(graph, g)] == \
        [["matmul"]]
    epilogue = [g for g in plan.groups if "matmul" not in _prims(graph, g)]
    assert len(epilogue) == 1 and {"add", "select", "mul"} <= set(_prims(graph, epilogue[0]))


def test_a_value_needing_a_finished_reduction_waits_for_the_next_loop():
    def normalise(x):
        return x / tf.reduce_sum(x)

    graph = _graph(normalise, tf.constant(np.ones(5, np.float32)))
    plan = fuse(graph)
    (reduction,) = [g for g in plan.groups if "reduce_sum" in _prims(graph, g)]
    assert "div" not in _prims(graph, reduction)


def test_printed_plan_marks_fused_groups():
    text = print_fused(fuse(_graph(w3, tf.constant(np.ones(8, np.float32)))))
    assert "fused 0 over [8] {" in text
    assert text.splitlines()[-1].startswith("  return (")
    assert "?" not in text  # every value is named


def _assert_valid_order(graph, plan):
    order = [i for g in plan.groups for i in g]
    assert sorted(order) == list(range(len(graph.eqns)))
    position = {i: n for n, i in enumerate(order)}
    made_by = {v: i for i, e in enumerate(graph.eqns) for v in e.outputs}
    for i, e in enumerate(graph.eqns):
        assert all(position[made_by[v]] < position[i] for v in e.inputs if v in made_by)


@pytest.fixture
def blas_for_small_products(monkeypatch):
    """The products below are small enough to be loops; these tests are about BLAS groups."""
    monkeypatch.setattr(linalg, "TINY_MATMUL", 0)


def test_a_tiny_products_update_stays_loops():
    w = tf.Variable(np.ones((3, 4), np.float32))

    def step(x):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.tanh(x @ w))
        w.assign_sub(0.1 * tape.gradient(loss, w))
        return loss

    graph = _graph(step, tf.constant(np.ones((2, 3), np.float32)))
    assert "as a BLAS update" not in print_fused(fuse(graph))  # 3*2*4 multiply-adds


@pytest.mark.usefixtures("blas_for_small_products")
def test_an_sgd_step_on_a_weight_groups_with_its_gradient_product():
    w = tf.Variable(np.ones((3, 4), np.float32))

    def step(x):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.tanh(x @ w))
        w.assign_sub(0.1 * tape.gradient(loss, w))  # w - 0.1 * (x^T @ g)
        return loss

    graph = _graph(step, tf.constant(np.ones((2, 3), np.float32)))
    plan = fuse(graph)
    _assert_valid_order(graph, plan)
    updates = [g for g in plan.groups if _prims(graph, g)[0] == "matmul" and len(g) > 1]
    assert [_prims(graph, g) for g in updates] == [["matmul", "mul", "sub"]]
    assert " as a BLAS update [3,4] {" in print_fused(plan)


@pytest.mark.usefixtures("blas_for_small_products")
def test_a_product_waits_for_the_scale_of_its_update():
    def f(a, b, c):
        p = a @ b
        s = tf.reduce_mean(c)  # recorded after the product
        return (c - s * p,)

    args = [tf.constant(np.ones(shape, np.float32)) for shape in [(2, 3), (3, 4), (2, 4)]]
    graph = _graph(f, *args)
    plan = fuse(graph)
    _assert_valid_order(graph, plan)
    assert ["matmul", "mul", "sub"] in [_prims(graph, g) for g in plan.groups]


@pytest.mark.usefixtures("blas_for_small_products")
def test_a_returned_product_is_not_absorbed_into_an_update():
    def f(a, b, c):
        p = a @ b
        return c - p, p

    args = [tf.constant(np.ones(shape, np.float32)) for shape in [(2, 3), (3, 4), (2, 4)]]
    graph = _graph(f, *args)
    plan = fuse(graph)
    assert [_prims(graph, g) for g in plan.groups if "matmul" in _prims(graph, g)] == \
        [["matmul"]]

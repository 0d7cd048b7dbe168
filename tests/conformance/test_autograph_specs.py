"""`get_concrete_function(tf.TensorSpec(...))` of a function with a Python `if` or `while` on
a tensor. TF converts such statements into graph control flow (AutoGraph), so a trace from
specs alone holds both branches; tapeflow traces each outcome as a guarded path, and the
concrete function answers every call as TF's does. An explicit `bool(t)` is still refused,
as in TF.
"""

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.runtime.specs import OperatorNotAllowedInGraphError


def fn(*args, **kwargs):
    return tf.function(*args, backend="interpreter", **kwargs)


def test_an_if_on_a_tensor_gives_a_concrete_function_for_both_branches():
    @fn
    def halve_or_double(x):
        if tf.reduce_sum(x) > 1.0:
            return x / 2.0
        else:
            return x * 2.0

    cf = halve_or_double.get_concrete_function(tf.TensorSpec([2], tf.float32))
    assert "Output Type:\n  TensorSpec(shape=(2,), dtype=tf.float32, name=None)" in str(cf)
    np.testing.assert_array_equal(cf(tf.constant([2.0, 4.0])).numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(cf(tf.constant([0.25, 0.25])).numpy(), [0.5, 0.5])
    # calls of the function that fit the specs run those paths: no trace more
    np.testing.assert_array_equal(halve_or_double(tf.constant([-1.0, 0.0])).numpy(),
                                  [-2.0, 0.0])
    assert halve_or_double.experimental_get_tracing_count() == 1


def test_every_combination_of_two_ifs_runs_its_own_path():
    @fn
    def two_tests(x):
        y = x
        if x[0] > 0.0:
            y = y + 10.0
        if x[1] > 0.0:
            y = y * 3.0
        return y

    cf = two_tests.get_concrete_function(tf.TensorSpec([2], tf.float32))
    for a in (-1.0, 1.0):
        for b in (-1.0, 1.0):
            x = np.array([a, b], np.float32)
            expected = (x + (10.0 if a > 0 else 0.0)) * (3.0 if b > 0 else 1.0)
            np.testing.assert_allclose(cf(tf.constant(x)).numpy(), expected)
            np.testing.assert_allclose(two_tests(tf.constant(x)).numpy(), expected)
    assert two_tests.experimental_get_tracing_count() == 1


def test_a_conditional_expression_and_not_are_branches_too():
    @fn
    def f(x):
        y = x + 1.0 if tf.reduce_sum(x) > 0 else x - 1.0
        if not tf.reduce_all(x > -5.0):
            y = tf.zeros_like(y)
        return y

    cf = f.get_concrete_function(tf.TensorSpec([1], tf.float32))
    assert cf(tf.constant([1.0])).numpy().tolist() == [2.0]
    assert cf(tf.constant([-1.0])).numpy().tolist() == [-2.0]
    assert cf(tf.constant([-9.0])).numpy().tolist() == [0.0]


def test_branches_with_different_dtypes_are_a_type_error_naming_both():
    @fn
    def mixed(x):
        if tf.reduce_sum(x) > 0:
            return x
        return tf.cast(x, tf.int32)

    with pytest.raises(TypeError, match=r"\['float32'\] on one path, \['int32'\]"):
        mixed.get_concrete_function(tf.TensorSpec([3], tf.float32))
    # nothing kept: a call with values still traces its own path
    assert mixed(tf.constant([1.0, 1.0, 1.0])).dtype == tf.float32


def test_a_while_on_a_tensor_is_one_graph_loop_from_specs_alone():
    # As TF: AutoGraph makes the loop a graph loop, so specs without values suffice.
    @fn
    def shrink(x):
        while tf.reduce_sum(x) > 1.0:
            x = x / 2.0
        return x

    cf = shrink.get_concrete_function(tf.TensorSpec([2], tf.float32))
    assert "while_loop" in [e.prim.name for e in cf.graph.eqns]
    np.testing.assert_array_equal(cf(tf.constant([2.0, 2.0])).numpy(), [0.5, 0.5])
    np.testing.assert_array_equal(cf(tf.constant([0.25, 0.5])).numpy(), [0.25, 0.5])
    np.testing.assert_array_equal(shrink(tf.constant([8.0, 0.0])).numpy(), [1.0, 0.0])


def test_a_python_while_on_a_tensor_cannot_end_without_values():
    # Without AutoGraph the loop is Python's: its test needs the values the specs lack.
    @tf.function(backend="interpreter", autograph=False)
    def shrink(x):
        while tf.reduce_sum(x) > 1.0:
            x = x / 2.0
        return x

    with pytest.raises(OperatorNotAllowedInGraphError, match="loop on a tensor value"):
        shrink.get_concrete_function(tf.TensorSpec([2], tf.float32))
    np.testing.assert_array_equal(shrink(tf.constant([2.0, 2.0])).numpy(), [0.5, 0.5])


def test_exploring_branches_assigns_nothing_and_a_call_commits_its_branch_only():
    v = tf.Variable(0.0)

    @fn
    def bump(x):
        if x > 0:
            v.assign_add(1.0)
        else:
            v.assign_sub(1.0)
        return v.read_value()

    cf = bump.get_concrete_function(tf.TensorSpec([], tf.float32))
    assert v.numpy() == 0.0
    assert cf(tf.constant(3.0)).numpy() == 1.0
    assert cf(tf.constant(-3.0)).numpy() == 0.0
    assert cf(tf.constant(-3.0)).numpy() == -1.0
    assert v.numpy() == -1.0


def test_more_paths_than_max_specializations_is_a_clear_error():
    @fn
    def many(x):
        for i in range(4):
            if x[i] > 0:
                x = x + 1.0
        return x

    with pytest.raises(OperatorNotAllowedInGraphError, match="max_specializations=8"):
        many.get_concrete_function(tf.TensorSpec([4], tf.float32))

"""tf.cond, case, switch_case, while_loop, scan, foldl/foldr, map_fn, vectorized_map: TF's
signatures and results, gradients through them, and under `@tapeflow.function` a predicate
read from a tensor is a guard (as a Python `if`), so each path compiles once and a call that
takes the other path traces it."""

from __future__ import annotations

import collections
import warnings

import numpy as np
import pytest

import tapeflow as tf


def _grad(f, x):
    v = tf.Variable(np.asarray(x, np.float64))
    with tf.GradientTape() as tape:
        y = f(v)
    return tape.gradient(y, v).numpy()


# --------------------------------------------------------------------------------------------
# Branches
# --------------------------------------------------------------------------------------------


def test_cond_takes_the_branch_of_the_predicate_and_differentiates_it():
    x = tf.constant(3.0)
    assert tf.cond(x > 2.0, lambda: x * 2.0, lambda: x - 1.0).numpy() == 6.0
    assert tf.cond(False, lambda: 1, lambda: 2) == 2
    assert _grad(lambda v: tf.cond(v > 0.0, lambda: v * v, lambda: -v), 3.0) == 6.0
    assert _grad(lambda v: tf.cond(v > 0.0, lambda: v * v, lambda: -v), -3.0) == -1.0


def test_case_picks_the_first_true_pair_or_the_default():
    x = tf.constant(5)
    pairs = [(x < 0, lambda: tf.constant(-1)), (x < 10, lambda: tf.constant(1)),
             (x < 20, lambda: tf.constant(2))]
    assert tf.case(pairs).numpy() == 1
    assert tf.case([(x < 0, lambda: 0)], default=lambda: 9) == 9
    # Without a default the last pair's fn is the default.
    assert tf.case([(x < 0, lambda: 0), (x > 100, lambda: 7)]) == 7
    with pytest.raises(ValueError, match="case: more than one predicate is true"):
        tf.case(pairs, default=lambda: 0, exclusive=True)


def test_switch_case_indexes_branches_with_a_default():
    branches = [lambda: "a", lambda: "b", lambda: "c"]
    assert tf.switch_case(tf.constant(1), branches) == "b"
    assert tf.switch_case(7, branches) == "c"  # out of range: the last branch
    assert tf.switch_case(-1, branches, default=lambda: "d") == "d"
    assert tf.switch_case(2, {0: lambda: "x", 2: lambda: "y"}) == "y"


@pytest.mark.parametrize("call, error, match", [
    (lambda: tf.cond(tf.constant([True, False]), lambda: 1, lambda: 2), ValueError,
     r"cond: the predicate must be a scalar, got shape \[2\]"),
    (lambda: tf.cond(tf.constant(1.0), lambda: 1, lambda: 2), TypeError,
     "cond: the predicate must be a bool tensor"),
    (lambda: tf.cond(True, 1, lambda: 2), TypeError, "cond: true_fn must be callable"),
    (lambda: tf.case([(True,)]), TypeError, r"case: pred_fn_pairs must hold"),
    (lambda: tf.switch_case(tf.constant(1.0), [lambda: 1]), TypeError,
     "switch_case: branch_index must be a scalar integer"),
    (lambda: tf.switch_case(0, []), ValueError, "switch_case: needs at least one branch"),
])
def test_branch_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_cond_under_function_guards_its_predicate_and_retraces_for_the_other_branch():
    @tf.function
    def f(x):
        return tf.cond(tf.reduce_sum(x) > 0.0, lambda: x * 2.0, lambda: x - 1.0)

    pos, neg = tf.constant([1.0, 2.0]), tf.constant([-1.0, -2.0])
    np.testing.assert_array_equal(f(pos).numpy(), [2.0, 4.0])
    np.testing.assert_array_equal(f(tf.constant([3.0, 1.0])).numpy(), [6.0, 2.0])
    assert f.experimental_get_tracing_count() == 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the retrace report
        np.testing.assert_array_equal(f(neg).numpy(), [-2.0, -3.0])
        np.testing.assert_array_equal(f(pos).numpy(), [2.0, 4.0])  # both paths compiled
    assert f.experimental_get_tracing_count() == 2


# --------------------------------------------------------------------------------------------
# Loops
# --------------------------------------------------------------------------------------------


def test_eager_while_loop_returns_tensors_where_loop_variables_stayed_python_numbers():
    # TF converts every result of an eager while_loop to a tensor.
    i, y = tf.while_loop(lambda i, y: i < 3, lambda i, y: (i + 1, y * 2.0),
                         [0, tf.constant(1.0)])
    assert isinstance(i, tf.Tensor) and i.dtype == tf.int32 and int(i) == 3
    never = tf.while_loop(lambda x: x < 0, lambda x: x + 1, [2.5])
    assert isinstance(never[0], tf.Tensor) and float(never[0]) == 2.5


def test_while_loop_keeps_the_structure_of_loop_vars():
    i, total = tf.while_loop(lambda i, s: i < 5, lambda i, s: (i + 1, s + i),
                             (tf.constant(0), tf.constant(0)))
    assert (i.numpy(), total.numpy()) == (5, 10)
    assert tf.while_loop(lambda x: x < 100, lambda x: x * 2, tf.constant(3)).numpy() == 192
    state = collections.namedtuple("State", "n x")(0, tf.constant(1.0))
    out = tf.while_loop(lambda s: s.n < 3, lambda s: type(s)(s.n + 1, s.x * 2.0), [state])
    assert isinstance(out, list) and out[0].n == 3 and out[0].x.numpy() == 8.0
    # maximum_iterations stops a loop whose condition still holds.
    assert tf.while_loop(lambda x: True, lambda x: x + 1, [tf.constant(0)],
                         maximum_iterations=4)[0].numpy() == 4
    # shape_invariants, parallel_iterations are accepted.
    tf.while_loop(lambda x: x < 1, lambda x: x + 1, [0], shape_invariants=[None],
                  parallel_iterations=1)


def test_while_loop_differentiates_through_its_iterations():
    # x -> x^8 by three squarings.
    g = _grad(lambda v: tf.while_loop(lambda k, y: k < 3, lambda k, y: (k + 1, y * y),
                                      (0, v))[1], 1.5)
    np.testing.assert_allclose(g, 8 * 1.5**7)


def test_while_loop_bad_body():
    with pytest.raises(ValueError, match="while_loop: body returned 1 values for 2 loop"):
        tf.while_loop(lambda i, x: i < 2, lambda i, x: i + 1, (0, 1))


def test_while_loop_on_a_tensor_condition_compiles_each_trip_count():
    @tf.function
    def halvings(x):
        return tf.while_loop(lambda y: tf.reduce_max(y) > 1.0, lambda y: y / 2.0, [x])[0]

    np.testing.assert_array_equal(halvings(tf.constant([8.0, 3.0])).numpy(), [1.0, 0.375])
    np.testing.assert_array_equal(halvings(tf.constant([4.0, 6.0])).numpy(), [0.5, 0.75])
    assert halvings.experimental_get_tracing_count() == 1  # same trip count: same path


def test_scan_and_folds():
    x = tf.constant([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(tf.scan(lambda a, e: a + e, x).numpy(), [1, 3, 6, 10])
    np.testing.assert_array_equal(tf.scan(lambda a, e: a * e, x, initializer=tf.constant(2.0),
                                          reverse=True).numpy(), [48, 48, 24, 8])
    # Nested elems and accumulator: (running sum, running product).
    pair = tf.scan(lambda acc, e: (acc[0] + e[0], acc[1] * e[1]), (x, x * 2.0),
                   initializer=(tf.constant(0.0), tf.constant(1.0)))
    np.testing.assert_array_equal(pair[0].numpy(), [1, 3, 6, 10])
    np.testing.assert_array_equal(pair[1].numpy(), [2, 8, 48, 384])
    assert tf.foldl(lambda a, e: a - e, x).numpy() == 1 - 2 - 3 - 4
    assert tf.foldr(lambda a, e: a - e, x, initializer=tf.constant(0.0)).numpy() == -10.0
    g = _grad(lambda v: tf.reduce_sum(tf.scan(lambda a, e: a * e, v)), [1.0, 2.0, 3.0])
    np.testing.assert_allclose(g, [1 + 2 + 6, 1 + 3, 2])  # d(x0 + x0x1 + x0x1x2)


def test_map_fn_and_vectorized_map_stack_results_and_differentiate():
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(tf.map_fn(tf.reduce_sum, x).numpy(), [3.0, 7.0])
    out = tf.map_fn(lambda e: (e[0] * 2.0, e[1]), (x, tf.constant([1, 2])))
    np.testing.assert_array_equal(out[0].numpy(), [[2, 4], [6, 8]])
    np.testing.assert_array_equal(out[1].numpy(), [1, 2])
    np.testing.assert_array_equal(tf.vectorized_map(lambda e: e * e, x).numpy(),
                                  [[1, 4], [9, 16]])
    g = _grad(lambda v: tf.reduce_sum(tf.map_fn(lambda e: e * e, v)), [1.0, -2.0])
    np.testing.assert_array_equal(g, [2.0, -4.0])


@pytest.mark.parametrize("call, match", [
    (lambda: tf.map_fn(lambda e: e, tf.constant(1.0)), "map_fn: elems must have a first axis"),
    (lambda: tf.map_fn(lambda e: e, (tf.zeros([2]), tf.zeros([3]))),
     r"map_fn: elems have different first-axis sizes \[2, 3\]"),
    (lambda: tf.map_fn(lambda e: e, tf.zeros([0, 2])), "map_fn: elems have no elements"),
    (lambda: tf.scan(lambda a, e: a, tf.zeros([0])), "scan: elems have no elements"),
    (lambda: tf.foldl(lambda a, e: a, tf.zeros([0])), "foldl: elems have no elements"),
    (lambda: tf.scan(1, tf.zeros([2])), "scan: fn must be callable"),
])
def test_loop_bad_input(call, match):
    with pytest.raises((TypeError, ValueError), match=match):
        call()


@pytest.mark.slow
def test_scan_and_map_fn_compile_without_guards():
    @tf.function
    def f(x):
        running = tf.scan(lambda a, e: a * 0.5 + e, x)
        return tf.map_fn(lambda r: tf.reduce_sum(r * r), running)

    def eager(x):
        out, acc = [], None
        for row in x:
            acc = row if acc is None else acc * 0.5 + row
            out.append(np.sum(acc * acc))
        return np.array(out)

    for seed in (1, 2):
        x = np.random.default_rng(seed).standard_normal((4, 3)).astype(np.float32)
        np.testing.assert_allclose(f(tf.constant(x)).numpy(), eager(x), rtol=1e-5)
    assert f.experimental_get_tracing_count() == 1

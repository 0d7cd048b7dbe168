"""boolean_mask, tf.where(condition), unique and unique_with_counts: result sizes that depend
on values. Eagerly they work (and carry gradients to the selected values); inside
`@tapeflow.function`, on a value the trace cannot fix, they raise an error naming the op."""

from __future__ import annotations

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.ops import DataDependentShapeError


def test_boolean_mask_selects_rows_and_elements():
    x = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(tf.boolean_mask(x, [True, False, True]).numpy(), x[[0, 2]])
    mask = x % 3 == 0
    np.testing.assert_array_equal(tf.boolean_mask(x, mask).numpy(), x[mask])
    np.testing.assert_array_equal(
        tf.boolean_mask(x, [False, True, True, False], axis=1).numpy(), x[:, 1:3])
    assert tf.boolean_mask(x, [False] * 3).shape == (0, 4)


def test_boolean_mask_gradient_reaches_the_selected_values():
    v = tf.Variable([1.0, 2.0, 3.0])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.boolean_mask(v, [True, False, True]) ** 2)
    np.testing.assert_array_equal(tape.gradient(y, v).numpy(), [2.0, 0.0, 6.0])


def test_where_with_one_argument_gives_coordinates():
    c = np.array([[True, False], [False, True], [True, True]])
    out = tf.where(c)
    assert out.dtype == tf.int64
    np.testing.assert_array_equal(out.numpy(), np.argwhere(c))
    np.testing.assert_array_equal(tf.where(tf.constant([0, 3, 0, 1])).numpy(), [[1], [3]])
    assert tf.where(tf.zeros([2, 2], tf.bool)).shape == (0, 2)
    # The three-argument form is unchanged.
    np.testing.assert_array_equal(tf.where(c[:, 0], 1.0, 0.0).numpy(), [1.0, 0.0, 1.0])


def test_unique_keeps_the_order_of_first_appearance():
    y, idx = tf.unique(tf.constant([4, 1, 4, 7, 1, 1]))
    np.testing.assert_array_equal(y.numpy(), [4, 1, 7])
    np.testing.assert_array_equal(idx.numpy(), [0, 1, 0, 2, 1, 1])
    assert idx.dtype == tf.int32
    y, idx, count = tf.unique_with_counts(tf.constant([2.5, -1.0, 2.5]), out_idx=tf.int64)
    np.testing.assert_array_equal(y.numpy(), [2.5, -1.0])
    np.testing.assert_array_equal(count.numpy(), [2, 1])
    assert count.dtype == tf.int64


@pytest.mark.parametrize("call, match", [
    (lambda: tf.boolean_mask(tf.zeros([2, 3]), [True, False, True]),
     r"boolean_mask: mask of shape \[3\] does not match axes 0..0 of tensor of shape \[2, 3\]"),
    (lambda: tf.boolean_mask(tf.zeros([2]), [1, 0]), "boolean_mask: mask must be bool"),
    (lambda: tf.where(tf.constant([True]), 1.0), "where: pass both x and y, or neither"),
    (lambda: tf.unique(tf.zeros([2, 2])), r"unique: expects a 1-D tensor, got shape \[2, 2\]"),
    (lambda: tf.unique(tf.zeros([2]), out_idx=tf.float32), "unique: out_idx must be"),
])
def test_bad_input(call, match):
    with pytest.raises((TypeError, ValueError), match=match):
        call()


@pytest.mark.parametrize("op, call", [
    ("boolean_mask", lambda x: tf.boolean_mask(x, x > 0.0)),
    ("where", lambda x: tf.where(x > 0.0)),
    ("unique", lambda x: tf.unique(x).y),
    ("unique_with_counts", lambda x: tf.unique_with_counts(x).count),
])
def test_under_function_a_traced_value_is_refused_naming_the_op(op, call):
    f = tf.function(call)
    with pytest.raises(DataDependentShapeError, match=f"^{op}: the size of its result depends"):
        f(tf.constant([1.0, -2.0, 1.0]))


def test_under_function_a_constant_is_fine():
    @tf.function
    def f(x):
        keep = tf.boolean_mask(tf.constant([1.0, 2.0, 3.0]), [True, False, True])
        return x * tf.reduce_sum(keep)

    assert f(tf.constant(2.0)).numpy() == 8.0
    assert f(tf.constant(3.0)).numpy() == 12.0
    assert f.experimental_get_tracing_count() == 1

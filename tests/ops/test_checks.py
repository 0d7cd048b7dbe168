"""In-kernel value checks: the same error eagerly, on the interpreter and from Numba code,
naming the op, the position and value of the first bad element, the range and the user's
line; and no value guard, so a new batch never retraces a step."""

from __future__ import annotations

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.ops.checks import check_range
from tapeflow.runtime.backends import set_default_backend

LOGITS = np.zeros((5, 10), np.float32)


def _loss(labels, logits):
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(  # LOSS LINE
        labels=labels, logits=logits))


def _line_of(marker: str) -> str:
    with open(__file__) as f:
        for n, line in enumerate(f, 1):
            if marker in line and "_line_of" not in line:
                return f"test_checks.py:{n}"
    raise AssertionError(marker)


def test_eager_labels_out_of_range_names_position_value_range_and_line():
    with pytest.raises(tf.errors.InvalidArgumentError) as e:
        _loss(tf.constant([1, 2, 3, 12, 4]), LOGITS)
    message = str(e.value)
    assert "sparse_softmax_cross_entropy_with_logits: labels[3] = 12 is out of range [0, 10)" \
        in message
    assert _line_of("# LOSS LINE") in message
    assert isinstance(e.value, IndexError) and isinstance(e.value, ValueError)


def test_compiled_labels_out_of_range_raise_the_same_error(backend):
    previous = set_default_backend(backend)
    try:
        step = tf.function(_loss)
        step(tf.constant([1, 2, 3, 4, 5]), LOGITS)
        for labels, want in [([1, 2, 3, 12, 4], "labels[3] = 12"),
                             ([-1, 2, 3, 1, 4], "labels[0] = -1")]:
            with pytest.raises(IndexError) as e:
                step(tf.constant(labels), LOGITS)
            message = str(e.value)
            assert f"sparse_softmax_cross_entropy_with_logits: {want} is out of range [0, 10)" \
                in message
            assert _line_of("# LOSS LINE") in message
        assert step.experimental_get_tracing_count() == 1
    finally:
        set_default_backend(previous)


def test_classification_step_over_twenty_shuffled_batches_traces_once(backend):
    previous = set_default_backend(backend)
    try:
        rng = np.random.default_rng(0)
        w = tf.Variable(rng.normal(size=(4, 3)).astype(np.float32))

        @tf.function
        def train_step(x, y):
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                    labels=y, logits=tf.matmul(x, w)))
            w.assign_sub(0.1 * tape.gradient(loss, w))
            return loss

        for _ in range(20):
            x = rng.normal(size=(8, 4)).astype(np.float32)
            y = rng.integers(0, 3, 8).astype(np.int32)
            train_step(tf.constant(x), tf.constant(y))
        assert train_step.experimental_get_tracing_count() == 1
        (concrete,) = [c for cs in train_step._paths.values() for c in cs]
        assert concrete.guards == []
    finally:
        set_default_backend(previous)


def test_failed_check_in_a_step_changes_no_variable():
    v = tf.Variable([1.0, 2.0])

    @tf.function
    def step(labels):
        v.assign_add([1.0, 1.0])
        return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=LOGITS)

    step(tf.constant([0, 1, 2, 3, 4]))
    with pytest.raises(IndexError):
        step(tf.constant([0, 1, 2, 3, 10]))
    np.testing.assert_array_equal(v.numpy(), [2.0, 3.0])


def test_gather_names_the_bad_index_and_its_position(backend):
    previous = set_default_backend(backend)
    try:
        step = tf.function(lambda x, i: tf.gather(x, i))
        step(tf.zeros((3, 2)), tf.constant([[0, 1], [1, 2]]))
        with pytest.raises(IndexError, match=r"gather: indices\[1, 1\] = 7 is out of range "
                                             r"\[0, 3\)"):
            step(tf.zeros((3, 2)), tf.constant([[0, 1], [1, 7]]))
    finally:
        set_default_backend(previous)
    with pytest.raises(IndexError, match=r"gather: indices\[0\] = -4 is out of range"):
        tf.gather(tf.zeros(3), tf.constant([-4]))


def test_check_range_of_a_matrix_names_both_coordinates():
    with pytest.raises(IndexError, match=r"op: x\[1, 0\] = 5 is out of range \[0, 3\)"):
        check_range(tf.constant([[0, 1], [5, 9]]), 0, 3, op="op", what="x")
    with pytest.raises(TypeError, match="must be integers"):
        check_range(tf.constant([0.5]), 0, 3, op="op", what="x")

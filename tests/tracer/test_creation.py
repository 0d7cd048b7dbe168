"""tf.range (tracer/creation.py): TensorFlow's dtype inference, errors and float values."""

import numpy as np
import pytest

import tapeflow as tf


def test_range_takes_the_widest_dtype_of_its_arguments():
    assert tf.range(tf.constant(5, tf.int64)).dtype == tf.int64
    assert tf.range(np.int64(4)).dtype == tf.int64
    assert tf.range(tf.constant(3.0)).dtype == tf.float32
    assert tf.range(tf.constant(2, tf.int64), 4.0).dtype == tf.float32
    assert tf.range(3).dtype == tf.int32


@pytest.mark.parametrize("args", [(5, 1), (1, 5, -1), (0, 5, 0)])
def test_range_start_past_limit_or_zero_delta_raises(args):
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.range(*args)


def test_empty_range_when_start_equals_limit():
    assert tf.range(3, 3).shape == (0,)


def test_float32_range_values_are_start_plus_i_delta_in_float32():
    # TF computes start + i * delta in the dtype: 7 * 0.1f rounds to float32(0.7), which
    # float64 arithmetic cast down (0.70000005) does not give.
    got = tf.range(0.0, 1.0, 0.1).numpy()
    i = np.arange(10).astype(np.float32)
    np.testing.assert_array_equal(got, i * np.float32(0.1) + np.float32(0.0))
    assert got[7] == np.float32(0.7)

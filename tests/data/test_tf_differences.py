"""Regressions from the differential sweep of tf.data against TensorFlow 2.21: each test pins
what TF gives where tapeflow gave something else (see tests/conformance/tf_ops/data_cells.py
for TF's printed text)."""

from __future__ import annotations

import numpy as np
import pytest

import tapeflow as tf


def _items(ds):
    return [v.tolist() if isinstance(v, np.ndarray) else v for v in ds.as_numpy_iterator()]


def test_string_slices_are_elements_and_bytes():
    ds = tf.data.Dataset.from_tensor_slices((["a", "bc"], [1.0, 2.0]))
    assert list(ds.as_numpy_iterator()) == [(b"a", np.float32(1)), (b"bc", np.float32(2))]
    assert [e[0].numpy() for e in ds] == [b"a", b"bc"]


def test_range_output_type_and_an_ignored_dtype_keyword():
    ds = tf.data.Dataset.range(3, output_type=tf.float32)
    assert ds.element_spec.dtype == tf.float32 and _items(ds) == [0.0, 1.0, 2.0]
    assert tf.data.Dataset.range(3, dtype=tf.int32).element_spec.dtype == tf.int64  # as TF


def test_from_generator_args_are_numpy_values():
    seen = []

    def gen(n, s):
        seen.append((n, s))
        yield 1

    list(tf.data.Dataset.from_generator(gen, args=(3, "ab"),
                                        output_signature=tf.TensorSpec((), tf.int32)))
    (n, s), = seen
    assert type(n) is np.int32 and n == 3 and type(s) is bytes and s == b"ab"


def test_map_returning_a_list_gives_a_tuple_of_components():
    ds = tf.data.Dataset.range(2).map(lambda x: [x, x * 2])
    assert isinstance(ds.element_spec, tuple) and len(ds.element_spec) == 2
    assert list(ds.as_numpy_iterator()) == [(0, 0), (1, 2)]


def test_map_spec_leaves_a_size_that_follows_a_value_unknown():
    ds = tf.data.Dataset.range(3).map(lambda x: tf.fill([x], x))
    assert ds.element_spec.shape.as_list() == [None]


def test_shard_cardinality_and_repeat_of_an_unknown_count():
    ds = tf.data.Dataset.range(10)
    assert [int(ds.shard(3, i).cardinality()) for i in range(3)] == [4, 3, 3]
    assert int(ds.shard(4, 3).cardinality()) == 2
    assert int(ds.filter(lambda x: True).repeat().cardinality()) == tf.data.INFINITE_CARDINALITY


def test_concatenating_other_dtypes_is_a_type_error():
    with pytest.raises(TypeError, match="concatenate"):
        tf.data.Dataset.range(2).concatenate(tf.data.Dataset.from_tensor_slices([1.0]))


def test_slicing_errors_are_value_errors():
    with pytest.raises(ValueError, match="different lengths"):
        tf.data.Dataset.from_tensor_slices(([1, 2], [3]))
    with pytest.raises(ValueError, match="scalar"):
        tf.data.Dataset.from_tensor_slices(5)


def test_reduce_state_is_a_tensor_from_the_start():
    ds = tf.data.Dataset.range(5)
    # TF: a Python 0 is an int32 tensor, and int32 + int64 is an error, not an int64 sum
    with pytest.raises((TypeError, tf.errors.InvalidArgumentError)):
        ds.reduce(0, lambda s, x: s + x)
    total, count = ds.reduce((0.0, 0), lambda s, x: (s[0] + tf.cast(x, tf.float32), s[1] + 1))
    assert count.dtype == tf.int32 and int(count) == 5 and float(total) == 10.0
    with pytest.raises(TypeError, match="reduce"):
        ds.reduce(np.int64(0), lambda s, x: tf.cast(s + x, tf.float32))


def test_map_on_strings_finds_its_spec_from_string_probes():
    ds = tf.data.Dataset.from_tensor_slices(["a", "bb"]).map(
        lambda s: tf.fill([tf.strings.length(s)], s))
    assert ds.element_spec.shape.as_list() == [None]

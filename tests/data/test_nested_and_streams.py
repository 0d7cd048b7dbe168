"""tf.data transformations added by the sweep against TensorFlow 2.21 (window, flat_map,
interleave, group_by_window, bucket_by_sequence_length, choose/sample_from_datasets,
padded_batch, rebatch, scan, take_while, unique, ignore_errors, assert_cardinality,
get_next_as_optional); the expected values are TF's (see data_cells.py)."""

from __future__ import annotations

import numpy as np
import pytest

import tapeflow as tf

Dataset = tf.data.Dataset


def _np(ds):
    return [v.tolist() if isinstance(v, np.ndarray) else v for v in ds.as_numpy_iterator()]


def test_window_starts_strides_and_cardinality():
    windows = lambda ds: [list(w.as_numpy_iterator()) for w in ds]
    assert windows(Dataset.range(7).window(3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert windows(Dataset.range(7).window(3, 2, drop_remainder=True)) == [
        [0, 1, 2], [2, 3, 4], [4, 5, 6]]
    assert windows(Dataset.range(7).window(3, 1, 2))[:3] == [[0, 2, 4], [1, 3, 5], [2, 4, 6]]
    assert len(windows(Dataset.range(7).window(3, 1, 2))) == 7
    assert windows(Dataset.range(5).window(2, shift=3)) == [[0, 1], [3, 4]]
    assert int(Dataset.range(7).window(3).cardinality()) == 3
    assert int(Dataset.range(7).window(3, drop_remainder=True).cardinality()) == 2
    assert repr(Dataset.range(2).window(2).element_spec) == (
        "DatasetSpec(TensorSpec(shape=(), dtype=tf.int64, name=None), TensorShape([]))")


def test_flat_map_of_windows_and_of_tuples():
    ds = Dataset.range(5).window(3, 1, 1, True).flat_map(lambda w: w.batch(3))
    assert _np(ds) == [[0, 1, 2], [1, 2, 3], [2, 3, 4]]
    assert ds.element_spec.shape.as_list() == [None]
    pairs = Dataset.from_tensor_slices(([1, 2, 3], [4, 5, 6])).window(2).flat_map(
        lambda a, b: Dataset.zip((a, b)))
    assert _np(pairs) == [(1, 4), (2, 5), (3, 6)]


def test_interleave_order_is_tfs():
    ds = Dataset.range(1, 6)
    assert _np(ds.interleave(lambda x: Dataset.range(x), cycle_length=2)) == [
        0, 0, 1, 0, 1, 0, 2, 1, 2, 0, 3, 1, 2, 3, 4]
    assert _np(ds.interleave(lambda x: Dataset.range(x), cycle_length=2, block_length=2)) == [
        0, 0, 1, 0, 1, 2, 0, 1, 0, 1, 2, 3, 2, 3, 4]
    rep = _np(ds.interleave(lambda x: Dataset.from_tensors(x).repeat(6), 2, 4))
    assert rep[:12] == [1] * 4 + [2] * 4 + [1, 1, 2, 2]
    assert int(ds.interleave(lambda x: Dataset.range(x)).cardinality()) == -2


def test_group_by_window_flushes_groups_by_key_order():
    g = Dataset.range(10).group_by_window(lambda x: x % 2, lambda k, w: w.batch(3), window_size=3)
    assert _np(g) == [[0, 2, 4], [1, 3, 5], [6, 8], [7, 9]]


def test_bucket_by_sequence_length_pads_per_bucket():
    lengths = [1, 5, 2, 7, 3, 8, 1]
    ds = Dataset.from_generator(lambda: ([1] * n for n in lengths),
                                output_signature=tf.TensorSpec((None,), tf.int32))
    b = ds.bucket_by_sequence_length(lambda x: tf.shape(x)[0], [3, 6], [2, 2, 2])
    assert [len(x[0]) for x in _np(b)] == [2, 5, 8, 1]
    padded = ds.bucket_by_sequence_length(lambda x: tf.shape(x)[0], [3, 6], [2, 2, 2],
                                          pad_to_bucket_boundary=True)
    it = iter(padded)
    assert next(it).shape == (2, 2) and next(it).shape == (2, 5)
    with pytest.raises(tf.errors.InvalidArgumentError, match="pad_to_bucket_boundary"):
        next(it)


def test_choose_and_sample_from_datasets():
    a, b = Dataset.range(3), Dataset.range(10, 12)
    choice = Dataset.from_tensor_slices(tf.constant([0, 1, 1, 1, 0, 0, 0], tf.int64))
    assert _np(Dataset.choose_from_datasets([a, b], choice)) == [0, 10, 11]
    assert _np(tf.data.experimental.choose_from_datasets(
        [a, b], choice, stop_on_empty_dataset=False)) == [0, 10, 11, 1, 2]
    s = Dataset.sample_from_datasets([a, b], weights=[0.9, 0.1], seed=3)
    assert sorted(_np(s)) == [0, 1, 2, 10, 11]


def test_padded_batch_shapes_values_and_dtype_check():
    ds = Dataset.range(1, 5).map(lambda x: tf.fill([x], x))
    assert _np(ds.padded_batch(2)) == [[[1, 0], [2, 2]], [[3, 3, 3, 0], [4, 4, 4, 4]]]
    fixed = ds.padded_batch(2, padded_shapes=5, drop_remainder=True)
    assert fixed.element_spec.shape.as_list() == [2, 5] and _np(fixed)[0][0] == [1, 0, 0, 0, 0]
    assert _np(ds.padded_batch(2, padding_values=tf.constant(-1, tf.int64)))[0] == [[1, -1],
                                                                                     [2, 2]]
    with pytest.raises(TypeError, match="padding_values"):
        ds.padded_batch(2, padding_values=-1)  # an int32, as TF refuses it
    with pytest.raises(tf.errors.InvalidArgumentError, match="larger"):
        list(ds.padded_batch(2, padded_shapes=[2]))


def test_rebatch_sizes_and_spec():
    ds = Dataset.range(7).batch(3)
    assert _np(ds.rebatch(2)) == [[0, 1], [2, 3], [4, 5], [6]]
    assert _np(ds.rebatch([1, 2])) == [[0], [1, 2], [3], [4, 5], [6]]
    assert ds.rebatch(2, drop_remainder=True).element_spec.shape.as_list() == [2]


def test_scan_take_while_unique():
    ds = Dataset.range(5)
    assert _np(ds.scan(np.int64(0), lambda s, x: (s + x, s))) == [0, 0, 1, 3, 6]
    with pytest.raises(TypeError, match="scan"):
        ds.scan(0, lambda s, x: (tf.cast(x, tf.float32), x))
    assert _np(ds.take_while(lambda x: x < 3)) == [0, 1, 2]
    assert _np(Dataset.from_tensor_slices([1, 3, 1, 2, 3]).unique()) == [1, 3, 2]
    assert _np(Dataset.from_tensor_slices(["b", "a", "b"]).unique()) == [b"b", b"a"]


def test_ignore_errors_drops_the_elements_whose_map_raised():
    ds = Dataset.from_tensor_slices([1.0, 0.0, 2.0]).map(
        lambda x: tf.debugging.check_numerics(1.0 / x, "inf"))
    assert _np(ds.ignore_errors()) == [1.0, 0.5]
    assert int(ds.ignore_errors().cardinality()) == -2
    with pytest.raises(tf.errors.InvalidArgumentError):
        list(ds)


def test_assert_cardinality_and_experimental_cardinality():
    ds = Dataset.range(5).filter(lambda x: True)
    checked = ds.apply(tf.data.experimental.assert_cardinality(5))
    assert len(checked) == 5 and _np(checked) == [0, 1, 2, 3, 4]
    with pytest.raises(tf.errors.FailedPreconditionError, match="at least 5"):
        list(ds.apply(tf.data.experimental.assert_cardinality(4)))
    with pytest.raises(tf.errors.FailedPreconditionError, match="only 5"):
        list(ds.apply(tf.data.experimental.assert_cardinality(6)))
    assert int(tf.data.experimental.cardinality(Dataset.range(3))) == 3


def test_get_next_as_optional():
    it = iter(Dataset.range(1))
    first = it.get_next_as_optional()
    assert bool(first.has_value()) and int(first.get_value()) == 0
    assert not bool(it.get_next_as_optional().has_value())

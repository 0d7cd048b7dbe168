"""tf.data.Dataset: sources, transformations, iteration, and feeding a compiled step."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import tapeflow as tf

Dataset = tf.data.Dataset


def _np(ds):
    return list(ds.as_numpy_iterator())


# ---------------------------------------------------------------- sources


def test_from_tensor_slices_of_arrays_tuples_and_dicts():
    x = np.arange(12.0).reshape(6, 2)
    ds = Dataset.from_tensor_slices(x)
    assert len(ds) == 6 and ds.element_spec == tf.TensorSpec((2,), tf.float64)
    np.testing.assert_array_equal(np.stack(_np(ds)), x)

    pairs = Dataset.from_tensor_slices((x, [1, 2, 3, 4, 5, 6]))
    first = next(iter(pairs))
    assert isinstance(first, tuple) and all(isinstance(t, tf.Tensor) for t in first)
    assert first[1].dtype == tf.int32 and first[1].numpy() == 1

    d = Dataset.from_tensor_slices({"image": x, "label": np.arange(6)})
    element = next(iter(d))
    assert set(element) == {"image", "label"} and element["label"].dtype == tf.int64
    assert d.element_spec["image"].shape == (2,)
    # Lists are tensors (Python floats become float32), not structure.
    assert next(iter(Dataset.from_tensor_slices([[1.0, 2.0], [3.0, 4.0]]))).shape == (2,)
    assert next(iter(Dataset.from_tensor_slices([1.0]))).dtype == tf.float32


def test_from_tensor_slices_owns_a_copy():
    x = np.arange(3.0)
    ds = Dataset.from_tensor_slices(x)
    x[0] = 100.0
    assert _np(ds)[0] == 0.0


def test_from_tensor_slices_of_different_lengths_names_the_components():
    with pytest.raises(ValueError, match=r"different lengths \(\['x'\] has 5, \['y'\] has 4"):
        Dataset.from_tensor_slices({"x": np.zeros(5), "y": np.zeros(4)})
    with pytest.raises(ValueError, match=r"component \[1\] is a scalar"):
        Dataset.from_tensor_slices((np.zeros(3), 1.0))


def test_range_from_tensors_and_zip():
    assert _np(Dataset.range(4)) == [0, 1, 2, 3]
    assert _np(Dataset.range(2, 8, 3)) == [2, 5]
    assert Dataset.range(3).element_spec == tf.TensorSpec((), tf.int64)
    assert len(Dataset.range(10, 0, -2)) == 5
    assert [a.tolist() for a in _np(Dataset.from_tensors([1, 2]))] == [[1, 2]]
    zipped = Dataset.zip((Dataset.range(3), Dataset.range(10, 15)))
    assert _np(zipped) == [(0, 10), (1, 11), (2, 12)] and len(zipped) == 3
    assert _np(Dataset.zip(Dataset.range(2), Dataset.range(2))) == [(0, 0), (1, 1)]
    named = Dataset.zip({"a": Dataset.range(2), "b": Dataset.range(5, 7)})
    assert _np(named) == [{"a": 0, "b": 5}, {"a": 1, "b": 6}]
    with pytest.raises(ValueError, match="not a Dataset"):
        Dataset.zip((Dataset.range(2), [1, 2]))


def test_from_generator_checks_the_signature():
    def gen():
        yield np.array([1.0, 2.0], np.float32)
        yield np.array([3.0], np.float32)

    spec = tf.TensorSpec((None,), tf.float32)
    ds = Dataset.from_generator(gen, output_signature=spec)
    assert [a.tolist() for a in _np(ds)] == [[1.0, 2.0], [3.0]] and ds.element_spec == spec
    bad = Dataset.from_generator(gen, output_signature=tf.TensorSpec((2,), tf.float32))
    with pytest.raises(ValueError, match="output_signature"):
        _np(bad)


# ---------------------------------------------------------------- transformations


def test_shuffle_is_a_permutation_reproducible_by_seed():
    ds = Dataset.range(100)
    a = _np(ds.shuffle(100, seed=3))
    assert sorted(a) == list(range(100)) and a != list(range(100))
    assert _np(ds.shuffle(100, seed=3)) == a
    small = _np(ds.shuffle(10, seed=3))
    assert sorted(small) == list(range(100))
    # Element v enters a buffer of 10 once v - 9 elements have left it: it is yielded at
    # position v - 9 or later.
    assert all(small.index(v) >= v - 9 for v in range(100))


def test_shuffle_reshuffles_each_iteration_unless_told_not_to():
    ds = Dataset.range(50).shuffle(50, seed=1)
    assert _np(ds) != _np(ds)
    fixed = Dataset.range(50).shuffle(50, seed=1, reshuffle_each_iteration=False)
    assert _np(fixed) == _np(fixed)


def test_shuffle_without_a_seed_follows_set_seed():
    tf.random.set_seed(4)
    a = _np(Dataset.range(30).shuffle(30))
    tf.random.set_seed(4)
    assert _np(Dataset.range(30).shuffle(30)) == a
    with pytest.raises(ValueError, match="buffer_size must be positive"):
        Dataset.range(3).shuffle(0)


def test_batch_and_drop_remainder():
    ds = Dataset.range(7).batch(3)
    assert [b.tolist() for b in _np(ds)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert ds.element_spec == tf.TensorSpec((None,), tf.int64) and len(ds) == 3
    dropped = Dataset.range(7).batch(3, drop_remainder=True)
    assert [b.tolist() for b in _np(dropped)] == [[0, 1, 2], [3, 4, 5]]
    assert dropped.element_spec == tf.TensorSpec((3,), tf.int64) and len(dropped) == 2
    pairs = Dataset.from_tensor_slices((np.zeros((5, 2)), np.arange(5))).batch(2)
    x, y = next(iter(pairs))
    assert x.shape == (2, 2) and y.shape == (2,)
    assert [b.tolist() for b in _np(Dataset.range(4).batch(2).unbatch())] == [0, 1, 2, 3]


def test_batching_elements_of_different_shapes_is_a_clear_error():
    ds = Dataset.from_generator(lambda: iter([np.zeros(2), np.zeros(3)]))
    with pytest.raises(ValueError, match=r"element 0 has shape \[2\] and element 1 has shape"):
        _np(ds.batch(2))


def test_repeat_take_skip_and_cardinality():
    ds = Dataset.range(3)
    assert _np(ds.repeat(2)) == [0, 1, 2, 0, 1, 2] and len(ds.repeat(2)) == 6
    assert _np(ds.repeat().take(7)) == [0, 1, 2, 0, 1, 2, 0]
    assert int(ds.repeat().cardinality()) == tf.data.INFINITE_CARDINALITY
    with pytest.raises(TypeError, match="infinite"):
        len(ds.repeat())
    assert _np(ds.skip(1)) == [1, 2] and _np(ds.take(-1)) == [0, 1, 2]
    assert _np(ds.skip(5)) == [] and len(ds.skip(5)) == 0
    assert int(ds.filter(lambda x: x > 0).cardinality()) == tf.data.UNKNOWN_CARDINALITY
    assert _np(Dataset.range(0).repeat()) == []
    assert _np(ds.concatenate(Dataset.range(5, 7))) == [0, 1, 2, 5, 6]
    assert _np(Dataset.range(10).shard(3, 1)) == [1, 4, 7]


def test_map_unpacks_tuples_and_passes_tensors():
    seen = []

    def f(x, y):
        seen.append((type(x), type(y)))
        return x * 2, {"y": tf.cast(y, tf.float32)}

    ds = Dataset.from_tensor_slices(([1, 2], [3, 4])).map(f)
    out = _np(ds)
    assert out[0][0] == 2 and out[1][1]["y"] == 4.0
    assert seen and all(t == (tf.Tensor, tf.Tensor) for t in seen)
    dicts = Dataset.from_tensor_slices({"a": [1.0, 2.0]}).map(lambda d: d["a"] + 1)
    assert _np(dicts) == [2.0, 3.0]


def test_map_element_spec_keeps_unknown_sizes_unknown():
    ds = Dataset.range(5).batch(2).map(lambda b: (tf.cast(b, tf.float32), tf.reduce_sum(b)))
    spec = ds.element_spec
    assert spec[0] == tf.TensorSpec((None,), tf.float32)
    assert spec[1] == tf.TensorSpec((), tf.int64)


def test_filter_enumerate_and_reduce():
    ds = Dataset.range(10).filter(lambda x: x % 3 == 0)
    assert _np(ds) == [0, 3, 6, 9]
    assert _np(Dataset.range(3).enumerate(start=5)) == [(5, 0), (6, 1), (7, 2)]
    total = Dataset.range(5).reduce(tf.constant(0, tf.int64), lambda s, x: s + x)
    assert int(total) == 10
    with pytest.raises(ValueError, match="scalar bool"):
        _np(Dataset.range(3).filter(lambda x: tf.stack([x > 0, x > 1])))


def test_cache_runs_the_pipeline_once():
    calls = []

    def f(x):
        calls.append(int(x))
        return x + 1

    ds = Dataset.range(4).map(f).cache()
    assert _np(ds) == [1, 2, 3, 4] and _np(ds) == [1, 2, 3, 4]
    assert calls == [0, 1, 2, 3]
    partial = Dataset.range(4).map(f).cache()
    calls.clear()
    assert _np(partial.take(2)) == [1, 2]  # stopped early: nothing cached
    assert _np(partial) == [1, 2, 3, 4] and calls == [0, 1, 0, 1, 2, 3]
    with pytest.raises(ValueError, match="in memory"):
        Dataset.range(2).cache("/tmp/somewhere")


def test_prefetch_keeps_order_and_runs_upstream_on_another_thread():
    threads = set()

    def f(x):
        threads.add(threading.current_thread().name)
        return x

    ds = Dataset.range(20).map(f).prefetch(tf.data.AUTOTUNE)
    assert _np(ds) == list(range(20))
    assert threads == {"tapeflow-prefetch"}


def test_prefetch_passes_errors_to_the_loop():
    def f(x):
        if int(x) == 3:
            raise RuntimeError("bad element 3")
        return x

    it = iter(Dataset.range(6).map(f).prefetch(1))
    assert [int(next(it)) for _ in range(3)] == [0, 1, 2]
    with pytest.raises(RuntimeError, match="bad element 3"):
        next(it)


def test_prefetch_worker_stops_when_the_loop_stops_early():
    ds = Dataset.range(10**9).prefetch(2)
    before = {t for t in threading.enumerate() if t.name == "tapeflow-prefetch"}
    for i, _ in enumerate(ds):
        if i == 5:
            break
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        alive = {t for t in threading.enumerate() if t.name == "tapeflow-prefetch"} - before
        if not alive:
            break
        time.sleep(0.01)
    assert not alive


# ---------------------------------------------------------------- feeding a compiled step


def _train(step, epochs=2):
    x = np.random.default_rng(0).normal(size=(10, 3)).astype(np.float32)
    y = np.arange(10).astype(np.float32)
    ds = Dataset.from_tensor_slices((x, y)).shuffle(10, seed=0).batch(4)  # 4, 4, 2
    for _ in range(epochs):
        for xb, yb in ds:
            step(xb, yb)


def _step(**options):
    w = tf.Variable(np.zeros(3, np.float32))

    @tf.function(**options)
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(tf.reduce_sum(x * w, axis=1) - y))
        w.assign_sub(0.01 * tape.gradient(loss, w))
        return loss

    return step


@pytest.mark.filterwarnings("ignore::tapeflow.RetraceWarning")
def test_a_last_batch_of_another_size_costs_one_more_trace():
    step = _step()
    _train(step)
    assert step.experimental_get_tracing_count() == 2


def test_a_none_batch_size_in_the_input_signature_traces_once():
    step = _step(input_signature=[tf.TensorSpec([None, 3], tf.float32),
                                  tf.TensorSpec([None], tf.float32)])
    _train(step)
    assert step.experimental_get_tracing_count() == 1


@pytest.mark.filterwarnings("ignore::tapeflow.RetraceWarning")
def test_reduce_retracing_traces_the_last_batch_size_without_a_second_trace():
    step = _step(reduce_retracing=True)
    if not hasattr(step, "_reduce_retracing"):
        pytest.skip("this tapeflow.function does not implement reduce_retracing yet")
    _train(step)
    assert step.experimental_get_tracing_count() <= 2
    # After the first change of size the function is traced for any batch size.
    count = step.experimental_get_tracing_count()
    _train(step)
    assert step.experimental_get_tracing_count() == count


def test_a_step_that_loops_over_a_dataset_runs_eagerly_with_every_calls_elements():
    # A trace would bake one pass's elements into the graph; the function runs its Python
    # instead, so a dataset whose elements change between calls is read afresh each time.
    source = [1, 2, 3]
    ds = Dataset.from_generator(lambda: list(source), tf.int64)

    @tf.function
    def total():
        s = tf.constant(0, tf.int64)
        for x in ds:
            s += x
        return s

    assert int(total()) == 6
    source.append(10)
    assert int(total()) == 16
    assert total.experimental_get_tracing_count() == 0


def test_a_dataset_or_iterator_argument_runs_the_function_eagerly_without_a_trace():
    calls = []

    @tf.function
    def first_two(iterator):
        calls.append(1)  # Python runs once per call: no trace before the eager run
        return next(iterator) + next(iterator)

    it = iter(Dataset.from_tensor_slices([1, 2, 3, 4, 5]))
    assert int(first_two(it)) == 3
    assert int(first_two(it)) == 7
    assert len(calls) == 2
    with pytest.raises(StopIteration):
        first_two(it)

    @tf.function
    def count(dataset):
        n = tf.constant(0)
        for _ in dataset:
            n += 1
        return n

    assert int(count(Dataset.range(4))) == 4
    assert int(count(Dataset.range(7))) == 7


def test_a_trace_stopped_by_a_dataset_keeps_no_variable_change_and_no_element():
    v = tf.Variable(0.0)
    ds = Dataset.from_tensor_slices([1.0, 2.0])
    it = iter(ds)

    @tf.function
    def step():
        v.assign_add(100.0)  # before the iterator is read: undone with the stopped trace
        v.assign_add(next(it))
        return v.read_value()

    assert float(step()) == 101.0  # the eager run: 100 once, and the first element
    assert float(step()) == 203.0
    assert float(v) == 203.0


def test_get_concrete_function_of_a_function_reading_a_dataset_says_why_not():
    @tf.function
    def total(dataset):
        return sum(dataset)

    with pytest.raises(ValueError, match=r"total.get_concrete_function: .*tf.data dataset.*"
                                         r"runs its Python eagerly"):
        total.get_concrete_function(Dataset.range(3))


def test_iterator_get_next_and_its_end():
    it = iter(Dataset.range(2))
    assert int(it.get_next()) == 0
    assert int(next(it)) == 1
    with pytest.raises(tf.errors.OutOfRangeError, match="End of sequence"):
        it.get_next()
    assert it.element_spec == tf.TensorSpec([], tf.int64)


def test_batches_of_rows_equal_batches_of_stacked_elements():
    # from_tensor_slices -> shuffle/repeat/take/skip -> batch gathers rows by index; the same
    # pipeline behind a map (which hides the rows) stacks elements: the batches agree.
    x = np.arange(50.0).reshape(25, 2)
    y = np.arange(25)

    def pipeline(ds):
        return ds.skip(2).shuffle(7, seed=3).repeat(2).take(41).batch(4)

    fast = pipeline(Dataset.from_tensor_slices((x, y)))
    slow = pipeline(Dataset.from_tensor_slices((x, y)).map(lambda a, b: (a, b)))
    assert fast._input._rows() is not None and slow._input._rows() is None
    for _ in range(2):  # a second pass reshuffles both the same way
        got, want = _np(fast), _np(slow)
        assert len(got) == len(want) == 11
        for (ga, gb), (wa, wb) in zip(got, want):
            np.testing.assert_array_equal(ga, wa)
            np.testing.assert_array_equal(gb, wb)
    dropped = Dataset.from_tensor_slices(y).batch(10, drop_remainder=True)
    assert [b.tolist() for b in _np(dropped)] == [list(range(10)), list(range(10, 20))]


def test_ops_a_prefetch_worker_runs_are_not_recorded_into_a_trace():
    # The worker maps element 1 while the main thread is tracing a step: tracing state is
    # per thread, so the step's graph holds only its own equation.
    inside, done = threading.Event(), threading.Event()
    w = tf.Variable(np.int64(3))  # a variable read would be recorded by a shared tracer

    def f(x):
        if int(x) == 1:
            inside.wait(10)
            x = x * w + 1
            done.set()
        return x

    it = iter(Dataset.range(3).map(f).prefetch(1))
    first = next(it)

    def double(v):
        inside.set()
        done.wait(10)
        return v * 2

    step = tf.function(double)
    assert int(step(first)) == 0
    assert done.is_set()
    graph = step.get_concrete_function(first).graph
    alone = tf.function(lambda v: v * 2).get_concrete_function(first).graph
    assert len(graph.eqns) == len(alone.eqns)
    assert w not in step.get_concrete_function(first).traced.captured
    assert [int(v) for v in it] == [4, 2]


def test_from_generator_gives_the_dtypes_of_output_types_and_output_signature():
    # output_types used to be ignored: Python ints came out int32 where int64 was asked for
    ds = Dataset.from_generator(lambda: [(1, 2.5)] * 2, (tf.int64, tf.float32))
    assert ds.element_spec == (tf.TensorSpec(None, tf.int64), tf.TensorSpec(None, tf.float32))
    for a, b in ds:
        assert (a.dtype, b.dtype) == (tf.int64, tf.float32)
    ds = Dataset.from_generator(lambda: [0.1], output_signature=tf.TensorSpec((), tf.float64))
    assert [x.numpy() for x in ds] == [0.1]  # converted from the Python float, not float32
    ds = Dataset.from_generator(lambda: [({"a": 1}, [1, 2])], ({"a": tf.int64}, tf.float64),
                                ({"a": []}, [None]))
    assert ds.element_spec == ({"a": tf.TensorSpec([], tf.int64)},
                               tf.TensorSpec([None], tf.float64))
    (d, v), = list(ds)
    assert d["a"].dtype == tf.int64 and v.numpy().tolist() == [1.0, 2.0]


def test_from_generator_refuses_what_does_not_fit_output_types_naming_it():
    with pytest.raises(tf.errors.InvalidArgumentError, match="dtype float32.*i32"):
        list(Dataset.from_generator(lambda: [1.5], tf.int32))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"shape \[2\].*f32\[3\]"):
        list(Dataset.from_generator(lambda: [[1, 2]], tf.float32, tf.TensorShape([3])))
    with pytest.raises(TypeError, match="output_shapes needs output_types"):
        Dataset.from_generator(lambda: [1], output_shapes=[])
    with pytest.raises(TypeError, match="structure of output_types"):
        Dataset.from_generator(lambda: [1], (tf.int32, tf.int32), ([],))

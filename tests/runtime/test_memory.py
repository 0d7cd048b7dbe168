"""Memory: what a function drops is freed, retracing is bounded, and a training loop keeps its
resident memory flat (the full 10^5-call count is benchmarks/memory.py)."""

import gc
import os
import sys
import warnings
import weakref

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.runtime.function import RetraceWarning


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


needs_proc = pytest.mark.skipif(not os.path.exists("/proc/self/statm"),
                                reason="resident memory from /proc")


def test_retracing_under_changing_shapes_is_bounded_and_frees_what_it_drops():
    f = tf.function(lambda x: tf.reduce_sum(x * 2.0), max_signatures=3)
    traced = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RetraceWarning)
        for n in range(1, 11):
            x = np.arange(n, dtype=np.float32)
            assert float(f(x).numpy()) == float(x.sum() * 2)
            traced.append(weakref.ref(f.get_concrete_function(x)))
    gc.collect()
    assert len(f._paths) == 3 and len(f._fast_paths) == 3
    assert sum(r() is not None for r in traced) == 3  # the dropped traces are freed
    x = np.arange(10, dtype=np.float32)
    assert float(f(x).numpy()) == float(x.sum() * 2)  # the kept ones still run
    assert f.experimental_get_tracing_count() == 10


def test_sizes_of_a_none_dimension_are_bounded_and_freed():
    f = tf.function(lambda x: tf.reduce_sum(x) + 1.0, max_signatures=4,
                    input_signature=[tf.TensorSpec([None], tf.float32)])
    for n in range(2, 12):
        x = np.ones(n, np.float32)
        assert float(f(x).numpy()) == n + 1
    (concrete,) = f._paths[next(iter(f._paths))]
    assert len(concrete._by_sizes) == 4
    assert f.experimental_get_tracing_count() == 1


@pytest.mark.slow
def test_a_deleted_function_frees_its_compiled_code():
    from tapeflow.codegen import modules

    w = tf.Variable(np.ones(4, np.float32))

    def make():
        @tf.function(max_signatures=100)
        def f(x):
            return tf.reduce_sum(tf.exp(x) * 3.5) + tf.reduce_sum(w)
        return f

    f = make()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RetraceWarning)
        for n in range(3, 7):
            x = np.ones(n, np.float32)
            f(x)
            f(x)  # compiled
    names = [c.executor._kernel.module.__name__ for cs in f._paths.values() for c in cs]
    dispatchers = [weakref.ref(c.executor._entry) for cs in f._paths.values() for c in cs]
    assert len(names) == 4 and all(name in sys.modules for name in names)
    del f
    gc.collect()
    assert not [name for name in names if name in sys.modules or name in modules.live]
    assert all(d() is None for d in dispatchers)


def _training_step():
    rng = np.random.default_rng(0)
    w1 = tf.Variable(rng.normal(size=(8, 16)).astype(np.float32) * 0.1)
    w2 = tf.Variable(rng.normal(size=(16, 1)).astype(np.float32) * 0.1)

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((tf.tanh(x @ w1) @ w2 - y) ** 2)
        g1, g2 = tape.gradient(loss, [w1, w2])
        w1.assign_sub(0.01 * g1)
        w2.assign_sub(0.01 * g2)
        return loss

    x = rng.normal(size=(32, 8)).astype(np.float32)
    y = rng.normal(size=(32, 1)).astype(np.float32)
    return step, x, y


@needs_proc
def test_two_thousand_training_steps_keep_resident_memory_flat(backend):
    step, x, y = _training_step()
    step._backend = backend
    for _ in range(200):  # warm: traced, compiled, allocator pools filled
        step(x, y)
    gc.collect()
    before = _rss_mb()
    for _ in range(2000):
        loss = step(x, y)
    gc.collect()
    grown = _rss_mb() - before
    assert np.isfinite(float(loss.numpy()))
    # A leak of even one 32x16 float32 array a call would be 4 MB here.
    assert grown < 3.0, f"resident memory grew {grown:.1f} MB over 2,000 calls"

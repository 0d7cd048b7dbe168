"""Background compiles run Numba in a worker process (codegen/worker.py): the child fills the
compile cache, the caller loads from it and compiles nothing itself."""

import os
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.codegen import compile as cc
from tapeflow.codegen import worker

needs_fork = pytest.mark.skipif(not worker.available(), reason="no worker process here")


@needs_fork
def test_a_child_reports_success_and_failure():
    assert worker.fill_cache(lambda: None)

    def fails():
        raise RuntimeError("no")

    assert not worker.fill_cache(fails)


@needs_fork
def test_a_child_past_its_time_is_killed():
    started = time.monotonic()
    assert not worker.fill_cache(lambda: time.sleep(30), timeout=0.5)
    assert time.monotonic() - started < 10


def test_the_thread_fallback_is_chosen_by_the_environment(monkeypatch):
    monkeypatch.setenv("TAPEFLOW_COMPILE_WORKER", "thread")
    assert not worker.available()
    assert not worker.fill_cache(lambda: None)


def _deep_step(layers: int, compile: str):
    # An unusual layer (softplus, then a shift) so no other test has its kernels in memory.
    rng = np.random.default_rng(3)
    ws = [tf.Variable(rng.normal(size=(12, 12)).astype(np.float32) * 0.3)
          for _ in range(layers)]
    bs = [tf.Variable(np.full(12, 0.1, np.float32)) for _ in range(layers)]

    @tf.function(compile=compile)
    def step(x):
        with tf.GradientTape() as tape:
            h = x
            for w, b in zip(ws, bs):
                h = tf.nn.softplus(h @ w + b) - 0.625
            loss = tf.reduce_sum(h * h)
        grads = tape.gradient(loss, ws + bs)
        for v, g in zip(ws + bs, grads):
            v.assign_sub(0.01 * g)
        return loss

    return step, ws + bs


@needs_fork
@pytest.mark.slow
def test_background_kernels_are_compiled_by_the_worker_and_loaded_here(tmp_path,
                                                                         monkeypatch):
    monkeypatch.setenv("TAPEFLOW_CACHE_DIR", str(tmp_path))
    x = np.random.default_rng(0).normal(size=(5, 12)).astype(np.float32)
    step, variables = _deep_step(8, "background")
    logged = len(cc.compile_log)
    step(x)  # traces
    step(x)  # starts the background compile
    executor = step.get_concrete_function(x).executor
    assert executor.wait_compiled(300)
    assert executor._kernel.mode == "kernels"
    here = cc.compile_log[logged:]
    assert here and all(how == "loaded" for _, how, _ in here), here  # nothing compiled here
    # The loaded code computes what a synchronous compile's does, bit for bit (from the
    # same variable values: the interpreter's call before the switch rounds differently).
    sync, sync_variables = _deep_step(8, "sync")
    sync(x)
    for a, b in zip(variables, sync_variables):
        b.assign(a.numpy())
    np.testing.assert_array_equal(step(x).numpy(), sync(x).numpy())
    for a, b in zip(variables, sync_variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


@needs_fork
@pytest.mark.slow
def test_a_one_function_graph_is_loaded_from_the_workers_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TAPEFLOW_CACHE_DIR", str(tmp_path))
    f = tf.function(lambda x: tf.reduce_sum(tf.cos(x) * 1.875 + x), compile="background")
    x = np.linspace(-2, 2, 7)
    f(x)
    f(x)
    executor = f.get_concrete_function(x).executor
    assert executor.wait_compiled(300)
    assert executor._kernel.mode == "inline"
    stats = executor._entry.stats
    assert sum(stats.cache_hits.values()) == 1 and not sum(stats.cache_misses.values())
    assert float(f(x).numpy()) == pytest.approx(float(np.sum(np.cos(x) * 1.875 + x)))


@needs_fork
def test_no_child_is_forked_while_another_thread_lives():
    # Another thread may be inside a BLAS call, and OpenBLAS's fork handler deadlocks then.
    release = threading.Event()
    other = threading.Thread(target=release.wait, name="a user's thread")
    other.start()
    try:
        assert worker.start(lambda: None) is None
    finally:
        release.set()
        other.join()
    assert worker.wait(worker.start(lambda: None))


BLAS_WHILE_COMPILING = textwrap.dedent("""
    import time
    import numpy as np
    import tapeflow as tf

    rng = np.random.default_rng(0)
    w1 = tf.Variable(rng.normal(size=(784, 256)).astype(np.float32) * 0.05)
    w2 = tf.Variable(rng.normal(size=(256, 10)).astype(np.float32) * 0.05)
    x = rng.normal(size=(128, 784)).astype(np.float32)

    @tf.function(compile="background")
    def step(x):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.nn.relu(x @ w1) @ w2)
        g1, g2 = tape.gradient(loss, [w1, w2])
        w1.assign_sub(0.1 * g1)
        w2.assign_sub(0.1 * g2)
        return loss

    started = time.monotonic()
    while step.get_concrete_function(x).executor.entry is None:
        step(x)  # multithreaded BLAS matmuls on the interpreter while the worker compiles
        assert time.monotonic() - started < 200, "never switched to native code"
    print("native")
""")


@needs_fork
@pytest.mark.slow
def test_calls_making_blas_calls_while_the_worker_starts_never_deadlock(tmp_path):
    # A child forked from the compiling thread deadlocked in OpenBLAS's fork handler while
    # the caller's interpreter was inside a matmul.
    env = dict(os.environ, TAPEFLOW_CACHE_DIR=str(tmp_path))
    result = subprocess.run([sys.executable, "-c", BLAS_WHILE_COMPILING], env=env,
                            capture_output=True, text=True, timeout=280, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("native")


@needs_fork
@pytest.mark.slow
def test_a_refused_cache_leaves_the_compile_to_the_caller(tmp_path, monkeypatch):
    # The child's modules could only be compiled in memory (lost with it): it says so, and
    # the caller compiles itself, in memory too, warning once; nothing goes through the link.
    (tmp_path / "elsewhere").mkdir(mode=0o700)
    (tmp_path / "cache").symlink_to(tmp_path / "elsewhere")
    monkeypatch.setenv("TAPEFLOW_CACHE_DIR", str(tmp_path / "cache"))
    f = tf.function(lambda x: tf.reduce_sum(tf.sin(x) * 1.625 - x), compile="background")
    x = np.linspace(-1, 1, 9)
    f(x)
    with pytest.warns(RuntimeWarning, match="symbolic link"):
        f(x)
        executor = f.get_concrete_function(x).executor
        assert executor.wait_compiled(300)
    assert float(f(x).numpy()) == pytest.approx(float(np.sum(np.sin(x) * 1.625 - x)))
    assert not list((tmp_path / "elsewhere").iterdir())


@needs_fork
def test_a_child_whose_modules_went_to_memory_reports_failure(tmp_path):
    from tapeflow.codegen import cache

    (tmp_path / "elsewhere").mkdir(mode=0o700)
    (tmp_path / "cache").symlink_to(tmp_path / "elsewhere")

    def work():
        cache.load_module(f"tapeflow_test_worker_{os.getpid()}",
                          lambda on: "def entry():\n    return 1\n", tmp_path / "cache")

    assert not worker.fill_cache(work)


NUMBA_OFF_THE_CALLERS_PATH = textwrap.dedent("""
    import sys
    import numpy as np
    import tapeflow as tf

    f = tf.function(lambda x: tf.reduce_sum(tf.exp(x) * 0.375), compile="background")
    x = np.linspace(-1, 1, 5)
    f(x)  # traces
    f(x)  # starts the compile: the worker process imports Numba, the caller does not
    print("numba" in sys.modules)
    assert f.get_concrete_function(x).executor.wait_compiled(240)
    print("numba" in sys.modules, float(f(x).numpy()))
""")


@needs_fork
@pytest.mark.slow
def test_the_caller_does_not_import_numba_to_start_a_background_compile(tmp_path):
    env = dict(os.environ, TAPEFLOW_CACHE_DIR=str(tmp_path))
    result = subprocess.run([sys.executable, "-c", NUMBA_OFF_THE_CALLERS_PATH], env=env,
                            capture_output=True, text=True, timeout=280, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    first, second = result.stdout.strip().splitlines()[-2:]
    assert first == "False"  # (it imported Numba, ~0.3-0.5 s, on its second call before)
    assert second.split()[0] == "True"
    want = float(np.sum(np.exp(np.linspace(-1, 1, 5)) * 0.375))
    assert float(second.split()[1]) == pytest.approx(want)

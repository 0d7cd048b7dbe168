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
@pytest.mark.slow
@pytest.mark.parametrize("start", ["works", "fails"])
def test_numba_starts_here_while_the_worker_compiles(tmp_path, monkeypatch, start):
    """The compiling thread starts Numba as soon as the worker is forked (before waiting
    for it); should that fail, the load after the wait still runs and reports."""
    from tapeflow.runtime import backends

    monkeypatch.setenv("TAPEFLOW_CACHE_DIR", str(tmp_path))
    calls = []

    def start_numba():
        calls.append(threading.current_thread().name)
        if start == "fails":
            raise ImportError("pretend Numba's start failed")

    monkeypatch.setattr(backends, "start_numba", start_numba)
    f = tf.function(lambda x: tf.reduce_sum(tf.sin(x) * 1.625 - x), compile="background")
    x = np.linspace(-2, 2, 9)
    f(x)
    f(x)
    executor = f.get_concrete_function(x).executor
    assert executor.wait_compiled(300)
    assert calls == [worker.THREAD_NAME]
    assert float(f(x).numpy()) == pytest.approx(float(np.sum(np.sin(x) * 1.625 - x)))


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


# A fork copies every lock as it is: one that another thread held is held forever in the
# child. A notebook run with its output on a file kept a 100-layer model on the interpreter
# for minutes, its child asleep in a futex wait.


def _holding(lock_holder, name=worker.THREAD_NAME):
    """A thread named `name` running `lock_holder(release)` (which takes a lock and keeps
    it until `release` is set); returns (thread, release)."""
    release, holds = threading.Event(), threading.Event()

    def run():
        lock_holder(holds, release)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    assert holds.wait(10)
    return thread, release


@needs_fork
def test_no_child_is_forked_while_a_compiling_thread_is_inside_llvm():
    # llvmlite's library lock is held through every LLVM call (a garbage collection on a
    # compiling thread freeing LLVM objects makes some); ctypes lets the caller fork then.
    from llvmlite.binding import ffi

    def inside_llvm(holds, release):
        with ffi.lib._lock:
            holds.set()
            release.wait(60)

    thread, release = _holding(inside_llvm)
    try:
        def work():
            with ffi.lib._lock:  # the child's first LLVM call
                pass

        pid = worker.start(work)
        assert pid is None or worker.wait(pid, 30), "the child waited for the copied lock"
    finally:
        release.set()
        thread.join()
    assert worker.wait(worker.start(lambda: None))  # once the thread is gone, it forks


@needs_fork
def test_a_child_never_writes_through_the_parents_stdio(monkeypatch):
    # Another thread inside a write to sys.stderr (a full pipe) holds its buffer lock; a
    # child writing a warning to that object would wait for it forever.
    read_end, write_end = os.pipe()
    stuck = open(write_end, "w", buffering=1)  # noqa: SIM115 - closed below
    monkeypatch.setattr(sys, "stderr", stuck)

    def writing(holds, release):
        holds.set()
        with __import__("contextlib").suppress(OSError, ValueError):
            stuck.write("x" * (1 << 20))  # blocks: nobody reads the pipe yet

    thread, release = _holding(writing, name="a user's logger")
    time.sleep(0.2)  # let it block inside the write, holding the lock
    monkeypatch.setattr(worker, "_other_threads", lambda: False)  # fork all the same

    def work():
        print("compiling", file=sys.stderr, flush=True)

    try:
        started = time.monotonic()
        assert worker.wait(worker.start(work), 30)
        assert time.monotonic() - started < 25
    finally:
        os.close(read_end)  # the writer fails and lets go
        thread.join(10)
        with __import__("contextlib").suppress(OSError):
            stuck.close()


@needs_fork
def test_a_blocked_child_is_noticed_long_before_its_timeout(monkeypatch):
    monkeypatch.setattr(worker, "STALL_S", 1.0)

    def blocked():
        lock = threading.Lock()
        lock.acquire()
        lock.acquire()  # as on a lock copied held: no CPU time from here on

    started = time.monotonic()
    assert not worker.wait(worker.start(blocked), 60)
    assert time.monotonic() - started < 20


ORPHAN = textwrap.dedent("""
    import os, time
    from tapeflow.codegen import worker

    saved = os.dup(1)  # as a capture of fds 1 and 2 keeps the real ones (a notebook runner)
    assert worker.start(lambda: time.sleep(30)) is not None
    print("parent done", flush=True)
    os._exit(0)  # the caller is gone; its child compiles on
""")


@needs_fork
def test_a_child_left_behind_does_not_hold_the_callers_output_open():
    # A program reading the caller's output to its end (subprocess.run(capture_output=True),
    # a shell pipe) waited for the child as long as it compiled.
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-c", ORPHAN], capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "parent done"
    assert time.monotonic() - started < 20


BUSY_NOTEBOOK = textwrap.dedent("""
    import sys, time, warnings
    import numpy as np
    import tapeflow as tf

    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 8)).astype(np.float32)

    def model(k):
        ws = [tf.Variable(rng.normal(size=(8, 8)).astype(np.float32)) for _ in range(6 + k)]

        @tf.function
        def f(x):
            h = x
            for w in ws:
                h = tf.tanh(h @ w + 0.375 * k)
            return tf.reduce_sum(h)
        return f

    fs = []
    started = time.monotonic()
    for k in range(4):  # functions start compiling while others still do
        fs.append(model(k))
        for _ in range(20):
            for f in fs:
                f(x)
            print("." * 200)  # block-buffered: the output is a file
            warnings.warn("a notebook's warning")
    while any(f.get_concrete_function(x).executor.entry is None for f in fs):
        for f in fs:
            f(x)
        assert time.monotonic() - started < 200, "never switched to native code"
        time.sleep(0.05)
    print("native", flush=True)
""")


@needs_fork
@pytest.mark.slow
def test_functions_compiling_together_with_output_on_a_file_reach_native_code(tmp_path):
    env = dict(os.environ, TAPEFLOW_CACHE_DIR=str(tmp_path / "cache"))
    log = tmp_path / "log"
    with open(log, "w") as out:
        result = subprocess.run([sys.executable, "-c", BUSY_NOTEBOOK], env=env, stdout=out,
                                stderr=subprocess.STDOUT, timeout=280, check=False)
    text = log.read_text()
    assert result.returncode == 0, text[-2000:]
    assert text.rstrip().endswith("native")


NUMBA_OFF_THE_CALLERS_PATH = textwrap.dedent("""
    import sys
    import threading
    import numpy as np
    import tapeflow as tf

    importers = []

    class Watch:  # notes which thread imports Numba (and lets the import go on)
        def find_spec(self, name, path=None, target=None):
            if name == "numba":
                importers.append(threading.current_thread().name)
            return None

    sys.meta_path.insert(0, Watch())
    f = tf.function(lambda x: tf.reduce_sum(tf.exp(x) * 0.375), compile="background")
    x = np.linspace(-1, 1, 5)
    f(x)  # traces
    f(x)  # starts the compile: the worker process imports Numba, the caller does not
    assert f.get_concrete_function(x).executor.wait_compiled(240)
    print(",".join(importers) or "-", float(f(x).numpy()))
""")


@needs_fork
@pytest.mark.slow
def test_the_caller_does_not_import_numba_to_start_a_background_compile(tmp_path):
    """Numba is imported by the worker process and, in the caller's process, by the
    compiling thread (while the worker compiles): never on the caller's thread."""
    env = dict(os.environ, TAPEFLOW_CACHE_DIR=str(tmp_path))
    result = subprocess.run([sys.executable, "-c", NUMBA_OFF_THE_CALLERS_PATH], env=env,
                            capture_output=True, text=True, timeout=280, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    importers, loss = result.stdout.strip().splitlines()[-1].split()
    assert importers == worker.THREAD_NAME  # (it imported Numba on its second call before)
    want = float(np.sum(np.exp(np.linspace(-1, 1, 5)) * 0.375))
    assert float(loss) == pytest.approx(want)

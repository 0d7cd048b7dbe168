"""Threads and processes: tracing state is per thread, a function traces once per signature
however many threads call it, and compiled code keeps working across fork and in processes
that compile the same entry at once."""

import os
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import tapeflow as tf

TIMEOUT = 30


def _run_threads(*targets):
    errors = []

    def guarded(target):
        try:
            target()
        except BaseException as e:  # reported in the main thread
            errors.append(e)

    threads = [threading.Thread(target=guarded, args=(t,)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
        assert not t.is_alive(), "a thread did not finish"
    if errors:
        raise errors[0]


def test_another_threads_variable_update_is_not_recorded_into_a_trace():
    counter = tf.Variable(0.0, name="counter")  # updated eagerly by another thread
    w = tf.Variable(0.0, name="w")
    tracing, updated = threading.Event(), threading.Event()

    @tf.function
    def step(x):
        w.assign_add(x)
        if not tracing.is_set():  # the first trace waits for the other thread's update
            tracing.set()
            assert updated.wait(TIMEOUT)
        return w * 2.0

    def other():
        assert tracing.wait(TIMEOUT)
        counter.assign_add(1.0)
        counter.assign_add(tf.constant(1.0) * 2.0)  # an op on a variable, too
        updated.set()

    _run_threads(lambda: step(tf.constant(1.0)), other)
    for _ in range(3):
        step(tf.constant(1.0))
    assert float(counter.numpy()) == 3.0  # not repeated by the later calls
    assert float(w.numpy()) == 4.0
    graph = str(step.get_concrete_function(tf.constant(1.0)).graph)
    assert "counter" not in graph


def test_a_function_called_on_another_thread_while_one_traces_runs_normally():
    tracing, done = threading.Event(), threading.Event()
    results = []

    @tf.function
    def slow(x):
        tracing.set()
        assert done.wait(TIMEOUT)
        return x + 1.0

    @tf.function
    def other(x):
        return x * 3.0

    def call_other():
        assert tracing.wait(TIMEOUT)
        results.append(other(tf.constant([1.0, 2.0])))
        results.append(other(np.array([1.0, 2.0], np.float32)))
        done.set()

    _run_threads(lambda: slow(tf.constant(0.0)), call_other)
    for r in results:
        assert isinstance(r, tf.Tensor)
        np.testing.assert_array_equal(r.numpy(), [3.0, 6.0])
    assert other.experimental_get_tracing_count() == 1


def test_a_tape_on_one_thread_does_not_record_another_threads_ops():
    x = tf.Variable(2.0)
    entered, done = threading.Event(), threading.Event()

    def record():
        with tf.GradientTape(persistent=True) as tape:
            y = x * 3.0
            entered.set()
            assert done.wait(TIMEOUT)
        assert len(tape._eqns) == 1
        assert float(tape.gradient(y, x).numpy()) == 3.0

    def other():
        assert entered.wait(TIMEOUT)
        for _ in range(5):
            x * x
        done.set()

    _run_threads(record, other)


@pytest.mark.parametrize("same_signature", [True, False], ids=["same", "different"])
def test_two_threads_calling_one_function_trace_once_per_signature(same_signature):
    barrier = threading.Barrier(2)
    traces = []

    @tf.function
    def f(x):
        traces.append(x.shape)
        time.sleep(0.05)  # a slow trace: the other thread arrives while it runs
        return tf.reduce_sum(x * x) + 1.0

    sizes = (4, 4) if same_signature else (4, 5)

    def caller(n):
        def run():
            x = np.arange(n, dtype=np.float32)
            barrier.wait(TIMEOUT)
            for _ in range(50):
                assert float(f(x).numpy()) == float((x * x).sum() + 1)
        return run

    _run_threads(*(caller(n) for n in sizes))
    assert len(traces) == len(set(sizes))
    assert f.experimental_get_tracing_count() == len(set(sizes))


@pytest.mark.slow
def test_threads_calling_a_compiled_step_get_correct_results():
    w = tf.Variable(np.ones(3, np.float32))

    @tf.function
    def f(x):
        return tf.reduce_sum(tf.exp(x) * w)

    xs = [np.linspace(0, 1, 3, dtype=np.float32) * k for k in range(4)]
    f(xs[0])
    barrier = threading.Barrier(4)

    def caller(x):
        def run():
            barrier.wait(TIMEOUT)
            for _ in range(200):
                np.testing.assert_allclose(f(x).numpy(), np.exp(x).sum(), rtol=1e-6)
        return run

    _run_threads(*(caller(x) for x in xs))
    assert f.experimental_get_tracing_count() == 1


FORK_SCRIPT = textwrap.dedent("""
    import os, sys
    import numpy as np
    import tapeflow as tf

    w = tf.Variable(np.full((64, 8), 0.1, np.float32))

    @tf.function(backend="numba", compile="sync")
    def step(x):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.tanh(x @ w) ** 2)
        w.assign_sub(0.1 * tape.gradient(loss, w))
        return loss

    x = np.linspace(-1, 1, 256 * 64, dtype=np.float32).reshape(256, 64)
    step(x)
    step(x)  # compiled, and run natively, before the fork
    before = w.numpy().copy()
    pid = os.fork()
    if pid == 0:
        loss = step(x)  # the child keeps running the compiled step
        ok = np.isfinite(float(loss)) and not np.array_equal(w.numpy(), before)
        os._exit(0 if ok else 3)
    _, status = os.waitpid(pid, 0)
    step(x)  # and so does the parent
    print(os.waitstatus_to_exitcode(status))
""")


@pytest.mark.slow
def test_a_fork_after_compilation_keeps_working_in_the_child(tmp_path):
    env = dict(os.environ, TAPEFLOW_CACHE_DIR=str(tmp_path))
    result = subprocess.run([sys.executable, "-c", FORK_SCRIPT], env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0", result.stderr


COMPILE_SCRIPT = textwrap.dedent("""
    import sys, time, warnings
    import numpy as np
    import tapeflow as tf
    warnings.simplefilter("error")  # no fallback, no cache warning
    start = float(sys.argv[1])
    while time.time() < start:
        time.sleep(0.001)
    f = tf.function(lambda x: tf.reduce_sum(tf.sin(x) * x) + 0.5, backend="numba",
                    compile="sync")
    x = np.linspace(-1, 1, 33, dtype=np.float64)
    f(x)
    print(repr(float(f(x).numpy())))
""")


@pytest.mark.slow
def test_two_processes_compiling_the_same_entry_both_succeed(tmp_path):
    env = dict(os.environ, TAPEFLOW_CACHE_DIR=str(tmp_path))
    start = str(time.time() + 3)  # after both have imported tapeflow
    procs = [subprocess.Popen([sys.executable, "-c", COMPILE_SCRIPT, start], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
    x = np.linspace(-1, 1, 33)
    assert [float(o) for o, _ in outs] == pytest.approx([np.sum(np.sin(x) * x) + 0.5] * 2)
    from tapeflow.codegen import cache

    (entry,) = cache.entries(tmp_path)
    assert entry.valid
    assert not list(tmp_path.glob(".*.tmp"))

"""A call is all or nothing under interrupts: a KeyboardInterrupt while a step traces,
compiles, imports its generated module or commits its variable updates leaves every
Variable as it was before the call, and the next call works."""

import random
import signal
import sys
import threading
import time
import warnings

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.runtime import _tracing as tracing_module
from tapeflow.runtime import concrete as concrete_module
from tapeflow.runtime import dispatch as dispatch_module


def _model(scale=2.0):
    """Three variables a step updates together (`scale` makes a graph of its own)."""
    a = tf.Variable(np.zeros(3, np.float32), name="a")
    b = tf.Variable(np.zeros(3, np.float32), name="b")
    c = tf.Variable(0.0, name="c")

    @tf.function
    def step(x):
        a.assign_add(x)
        b.assign_add(x * scale)
        c.assign_add(1.0)
        return tf.reduce_sum(a) + tf.reduce_sum(b)

    return (a, b, c), step


def _values(variables):
    return [v.numpy().copy() for v in variables]


def _assert_same(before, variables):
    for old, v in zip(before, variables):
        np.testing.assert_array_equal(old, v.numpy())


def _interrupt_on_call(n, real):
    """A stand-in for `real` that raises KeyboardInterrupt on its n-th call (1-based)."""
    calls = [0]

    def wrapper(*args, **kwargs):
        calls[0] += 1
        if calls[0] == n:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    return wrapper


X = np.ones(3, np.float32)


def _check_next_calls_work(variables, step, scale=2.0):
    """After an interrupted call, the next calls update every variable once each."""
    start = _values(variables)
    step(X)
    step(X)
    a, b, c = variables
    np.testing.assert_array_equal(a.numpy(), start[0] + 2)
    np.testing.assert_array_equal(b.numpy(), start[1] + 2 * scale)
    assert float(c.numpy()) == float(start[2]) + 2


def test_an_interrupt_in_the_traced_python_changes_nothing():
    variables, _ = _model()
    a, b, c = variables
    interrupted = [True]

    @tf.function
    def step(x):
        a.assign_add(x)
        if interrupted[0]:
            interrupted[0] = False
            raise KeyboardInterrupt  # Ctrl-C while the function's Python runs
        b.assign_add(x * 2.0)
        c.assign_add(1.0)
        return tf.reduce_sum(a)

    before = _values(variables)
    with pytest.raises(KeyboardInterrupt):
        step(X)
    _assert_same(before, variables)
    _check_next_calls_work(variables, step)


@pytest.mark.parametrize("where", ["close_trace", "ConcreteFunction"])
def test_an_interrupt_after_the_trace_ran_changes_nothing(monkeypatch, where):
    variables, step = _model()
    monkeypatch.setattr(tracing_module, where,
                        _interrupt_on_call(1, getattr(tracing_module, where)))
    before = _values(variables)
    with pytest.raises(KeyboardInterrupt):
        step(X)
    _assert_same(before, variables)
    _check_next_calls_work(variables, step)


def test_an_interrupt_while_committing_changes_nothing_interpreter(monkeypatch):
    variables, step = _model()
    step(X)  # traced; later calls run the graph and commit its outputs
    before = _values(variables)
    # The second of the three new variable values is being made when the interrupt comes.
    monkeypatch.setattr(concrete_module, "Tensor",
                        _interrupt_on_call(2, concrete_module.Tensor))
    with pytest.raises(KeyboardInterrupt):
        step(X)
    _assert_same(before, variables)
    monkeypatch.undo()
    _check_next_calls_work(variables, step)


@pytest.mark.slow
def test_an_interrupt_while_the_compiled_path_commits_changes_nothing(monkeypatch):
    variables, step = _model(scale=11.0)
    # The compiled call path is generated after the first compiled run; its `wrap` raises
    # while the second variable's new value is being made.
    monkeypatch.setattr(dispatch_module, "wrap_output",
                        _interrupt_on_call(2, dispatch_module.wrap_output))
    step(X)  # traced
    step(X)  # compiled; commits through ConcreteFunction.run, then makes the call path
    before = _values(variables)
    with pytest.raises(KeyboardInterrupt):
        step(X)
    _assert_same(before, variables)
    monkeypatch.undo()
    _check_next_calls_work(variables, step, scale=11.0)


@pytest.mark.slow
@pytest.mark.parametrize("where", ["generate_source", "import", "numba"])
def test_an_interrupt_while_compiling_or_importing_changes_nothing(monkeypatch, tmp_path, where):
    import numba

    from tapeflow.codegen import compile as compile_module
    from tapeflow.codegen import modules

    monkeypatch.setenv("TAPEFLOW_CACHE_DIR", str(tmp_path))
    if where == "generate_source":
        monkeypatch.setattr(compile_module, "generate_source",
                            _interrupt_on_call(1, compile_module.generate_source))
    elif where == "import":
        real = modules.execute
        calls = []

        def half_executed(name, source, filename):
            calls.append(name)
            if len(calls) == 1:  # the module's top level stops half way
                source = source + "\nraise KeyboardInterrupt\n"
            return real(name, source, filename)

        monkeypatch.setattr(modules, "execute", half_executed)
    else:
        monkeypatch.setattr(numba.core.dispatcher.Dispatcher, "compile", _interrupt_on_call(
            1, numba.core.dispatcher.Dispatcher.compile))
    scale = {"generate_source": 3.0, "import": 5.0, "numba": 7.0}[where]  # a graph each
    variables, step = _model(scale)
    step(X)  # traced: the eager run is the result, nothing compiled yet
    before = _values(variables)
    with pytest.raises(KeyboardInterrupt):
        step(X)
    _assert_same(before, variables)
    executor = step.get_concrete_function(X).executor
    name = f"tapeflow_kernel_{compile_module.cache_key(executor.graph)}"
    if where != "numba":  # (interrupted after the import, which completed)
        assert name not in sys.modules and name not in modules.live  # nothing half-imported
    _check_next_calls_work(variables, step, scale)
    assert executor.entry is not None  # native code runs


class _Interrupted(BaseException):
    """What the test's SIGINT handler raises (a KeyboardInterrupt that cannot stop pytest
    if it escapes the loop)."""


def _sigint_storm(step, variables, seconds, scale):
    """Call `step` in a loop while another thread sends SIGINT at random moments; after
    every call, interrupted or not, the variables moved together. The handler raises only
    while a call runs (elsewhere the test's own code would be interrupted)."""
    a, b, c = variables
    armed = [False]
    interrupted = calls = 0

    def handler(signum, frame):
        if armed[0]:
            armed[0] = False
            raise _Interrupted

    stop = threading.Event()

    def sender():
        rng = random.Random(0)
        while not stop.is_set():
            time.sleep(rng.uniform(0.0002, 0.002))
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)

    previous = signal.signal(signal.SIGINT, handler)
    thread = threading.Thread(target=sender)
    try:
        thread.start()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            armed[0] = True
            try:
                step(X)
                armed[0] = False
                calls += 1
            except _Interrupted:
                armed[0] = False
                interrupted += 1
            armed[0] = False
            n = float(c.numpy())
            np.testing.assert_array_equal(a.numpy(), np.full(3, n, np.float32))
            np.testing.assert_array_equal(b.numpy(), np.full(3, scale * n, np.float32))
    finally:
        armed[0] = False
        stop.set()
        thread.join()
        signal.signal(signal.SIGINT, previous)
    assert interrupted > 0 and calls > 0
    _check_next_calls_work(variables, step, scale)


@pytest.mark.skipif(sys.platform == "win32", reason="pthread_kill")
def test_real_sigints_never_split_a_commit_interpreter():
    variables, step = _model(scale=2.0)
    step(X)
    _sigint_storm(step, variables, seconds=1.5, scale=2.0)


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="pthread_kill")
def test_real_sigints_never_split_a_commit_compiled():
    variables, step = _model(scale=13.0)
    step(X)
    step(X)
    _sigint_storm(step, variables, seconds=1.5, scale=13.0)


@pytest.mark.skipif(sys.platform == "win32", reason="pthread_kill")
def test_real_sigints_while_tracing_leave_no_tracing_state_behind():
    from tapeflow.runtime import trace as trace_module
    from tapeflow.tracer import tape as tape_module
    from tapeflow.tracer import tensor as tensor_module
    from tapeflow.tracer import variable as variable_module

    a = tf.Variable(np.zeros(3, np.float32), name="a")
    b = tf.Variable(np.zeros(3, np.float32), name="b")
    c = tf.Variable(0.0, name="c")

    @tf.function(max_signatures=4)
    def step(x, k):  # a new static k each call: every call traces
        a.assign_add(x)
        b.assign_add(x * 2.0)
        c.assign_add(1.0)
        return tf.reduce_sum(a) + k

    calls = iter(range(10**9))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _sigint_storm(lambda x: step(x, next(calls)), (a, b, c), seconds=1.5, scale=2.0)
    assert not tape_module._recording and not trace_module._active
    assert not variable_module.creation_hooks
    assert variable_module.write_hook.value is variable_module._commit_now
    assert tensor_module.python_value_hook.value is tensor_module._eager_python_value
    assert tensor_module.graph_name_hook.value is None
    x = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = x * x
    assert float(tape.gradient(y, x).numpy()) == 6.0


def test_an_interrupt_while_a_trace_cleans_up_leaves_no_tracing_state(monkeypatch):
    from tapeflow.runtime import trace as trace_module
    from tapeflow.tracer import tape as tape_module
    from tapeflow.tracer import variable as variable_module

    real = tape_module.forget_deferred
    interrupted = []

    def interrupted_once():  # the first step of a trace's clean-up
        if not interrupted:
            interrupted.append(True)
            raise KeyboardInterrupt
        real()

    monkeypatch.setattr(tape_module, "forget_deferred", interrupted_once)
    variables, step = _model(scale=17.0)
    before = _values(variables)
    with pytest.raises(KeyboardInterrupt):
        step(X)
    assert interrupted
    _assert_same(before, variables)
    assert not tape_module._recording and not trace_module._active
    assert variable_module.write_hook.value is variable_module._commit_now
    _check_next_calls_work(variables, step, scale=17.0)

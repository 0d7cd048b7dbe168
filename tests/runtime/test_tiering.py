"""compile="background": calls run on the reference interpreter while a thread compiles the
graph, then on native code; results, commits and guards are those of compile="sync"."""

import numpy as np
import pytest

import tapeflow as tf

pytestmark = pytest.mark.slow


def _counting_step(compile: str):
    # Integer arithmetic: both tiers compute it exactly, so results can be compared bitwise.
    counter = tf.Variable(np.zeros(3, np.int32))

    @tf.function(compile=compile)
    def step(x):
        counter.assign_add(tf.ones([3], tf.int32))
        return x * 3 + counter

    return step, counter


def _executor(step, x):
    return step.get_concrete_function(x).executor


def test_background_matches_sync_bitwise_and_commits_each_call_once(gate):
    xs = [np.arange(3, dtype=np.int32) * k for k in range(12)]
    sync, sync_counter = _counting_step("sync")
    gate.set()  # the synchronous function compiles at once
    want = [sync(x).numpy() for x in xs]
    gate.clear()

    step, counter = _counting_step("background")
    got = [step(x).numpy() for x in xs[:5]]
    executor = _executor(step, xs[0])
    assert executor.entry is None  # still compiling: these ran on the interpreter
    np.testing.assert_array_equal(counter.numpy(), [5, 5, 5])
    gate.set()
    assert executor.wait_compiled(60)
    got += [step(x).numpy() for x in xs[5:]]
    assert executor.entry is not None  # the later calls ran native code
    for g, w in zip(got, want):
        assert g.dtype == w.dtype
        np.testing.assert_array_equal(g, w)
    np.testing.assert_array_equal(counter.numpy(), sync_counter.numpy())
    np.testing.assert_array_equal(counter.numpy(), [12, 12, 12])


def test_a_guard_failure_during_the_switch_commits_nothing(gate):
    total = tf.Variable(0.0)

    @tf.function(compile="background")
    def step(x):
        if tf.reduce_sum(x) > 0:  # a guard: the traced path holds for positive sums
            total.assign_add(1.0)
        else:
            total.assign_sub(10.0)
        return total * 1.0

    pos, neg = np.ones(2, np.float32), -np.ones(2, np.float32)
    step(pos)  # traces the positive path (and commits: +1)
    step(pos)  # interpreter tier: +1
    step(neg)  # the positive path's guard fails: nothing of it commits; retraced: -10
    assert float(total.numpy()) == -8.0
    gate.set()
    for x in (pos, neg):
        assert _executor(step, x).wait_compiled(60)
    step(pos)  # native now, both paths
    step(neg)
    assert float(total.numpy()) == -17.0


def test_errors_are_the_same_on_both_tiers(gate):
    table = tf.Variable(np.arange(4, dtype=np.float32))

    @tf.function(compile="background")
    def pick(i):
        return tf.gather(table, i)

    good, bad = np.array([1, 2], np.int32), np.array([1, 7], np.int32)
    pick(good)
    with pytest.raises(Exception) as on_interpreter:
        pick(bad)
    gate.set()
    assert _executor(pick, good).wait_compiled(60)
    with pytest.raises(Exception) as on_native:
        pick(bad)
    assert type(on_interpreter.value) is type(on_native.value)
    np.testing.assert_array_equal(pick(good).numpy(), [1.0, 2.0])
    np.testing.assert_array_equal(table.numpy(), np.arange(4))


def test_the_option_is_checked():
    with pytest.raises(ValueError, match="compile mode"):
        tf.function(lambda x: x, compile="later")

"""numpy's BLAS runs one thread fewer while a compile worker process runs (blas_threads.py)."""

import gc
import threading

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.codegen import worker
from tapeflow.runtime import blas_threads

API = blas_threads._openblas()
needs_openblas = pytest.mark.skipif(not API, reason="numpy's BLAS here is not OpenBLAS")


@pytest.fixture
def three_threads():
    """numpy's OpenBLAS set to 3 threads for the test, then as it was."""
    get, put = API
    before = get()
    put(3)
    yield get
    assert blas_threads._lent == 0, "a test left a core lent"
    put(before)


class Owner:
    """Stands for a graph's executor (what lends are made for)."""


@needs_openblas
def test_a_core_is_lent_while_workers_run_and_repaid_after(three_threads):
    get = three_threads
    first, second = Owner(), Owner()
    blas_threads.lend(first)
    assert get() == 2
    blas_threads.lend(second)  # a second worker: still one core lent, not two
    assert get() == 2
    assert blas_threads.repay(first, lambda: False)
    assert get() == 2  # one worker still runs
    assert blas_threads.repay(second, lambda: False)
    assert get() == 3
    assert blas_threads.repay(second, lambda: False)  # (repaid already: nothing happens)
    assert get() == 3


@needs_openblas
def test_nothing_changes_while_another_thread_might_be_in_blas(three_threads):
    get = three_threads
    owner = Owner()
    blas_threads.lend(owner)
    assert not blas_threads.repay(owner, lambda: True)  # another thread lives: later
    assert get() == 2
    assert blas_threads.repay(owner, lambda: False)
    assert get() == 3


@needs_openblas
def test_a_lend_whose_owner_is_gone_is_repaid_at_the_next_lend(three_threads):
    get = three_threads
    gone = Owner()
    blas_threads.lend(gone)
    del gone  # dropped before its compile was picked up
    gc.collect()
    assert get() == 2
    owner = Owner()
    blas_threads.lend(owner)  # reaps the dead lend: one core lent, for this one
    assert blas_threads._lent == 1
    assert blas_threads.repay(owner, lambda: False)
    assert get() == 3


@needs_openblas
def test_one_thread_stays_one():
    get, put = API
    before = get()
    put(1)
    try:
        owner = Owner()
        blas_threads.lend(owner)
        assert get() == 1
        assert blas_threads.repay(owner, lambda: False)
        assert get() == 1
    finally:
        put(before)


def test_other_threads_alive_ignores_compiling_threads():
    stop = threading.Event()
    compiling = threading.Thread(target=stop.wait, name=worker.THREAD_NAME, daemon=True)
    compiling.start()
    try:
        assert not worker.other_threads_alive()
        other = threading.Thread(target=stop.wait, daemon=True)
        other.start()
        assert worker.other_threads_alive()
    finally:
        stop.set()


@needs_openblas
@pytest.mark.slow
@pytest.mark.skipif(not worker.available(), reason="no worker processes here")
def test_a_background_compile_gives_the_core_back(three_threads, tmp_path, monkeypatch):
    monkeypatch.setenv("TAPEFLOW_CACHE_DIR", str(tmp_path))
    get = three_threads
    f = tf.function(lambda x: tf.reduce_sum(x @ x), compile="background")
    x = np.ones((4, 4), np.float32)
    f(x)  # traces
    f(x)  # forks the worker, runs on the interpreter
    if get() == 2:  # (a worker could start: the core is lent until the result is picked up)
        assert f.wait_compiled(300)
    assert get() == 3
    assert f(x).numpy() == 64.0


@needs_openblas
@pytest.mark.slow
@pytest.mark.skipif(not worker.available(), reason="no worker processes here")
def test_a_repay_put_off_by_another_thread_happens_later(three_threads, tmp_path,
                                                         monkeypatch):
    monkeypatch.setenv("TAPEFLOW_CACHE_DIR", str(tmp_path))
    get = three_threads
    f = tf.function(lambda x: tf.reduce_sum(x @ x), compile="background")
    x = np.ones((4, 4), np.float32)
    f(x)
    f(x)
    if get() != 2:
        pytest.skip("no worker could start")
    concrete = f.get_concrete_function(x)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()  # might be inside a BLAS call: the core stays lent
    try:
        assert f.wait_compiled(300)
        assert get() == 2
    finally:
        stop.set()
        other.join()
    assert concrete.runs_native  # asks again: no other thread now
    assert get() == 3

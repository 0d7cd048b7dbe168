"""Compiling in a worker process, so the caller keeps its interpreter lock.

    pid = start(work)   # forks a child running work(), or None when it cannot safely
    ok = wait(pid)      # (on another thread) True when the child finished cleanly

A background compile (`compile="background"`) that ran Numba on a thread of the calling
process slowed the caller's own calls while it compiled (a deep MLP's interpreter calls ran
~3x slower: Numba's typing and lowering are Python code holding the GIL). Here a forked child
process compiles the graph instead: it runs exactly the code a synchronous compile runs, on
its own copy of the graph, writes every module and Numba's files through the compile cache
(codegen/cache.py: the same verified entries, atomic writes and records), seals the entries
and exits. The caller then loads the compiled code from the cache, which costs a fraction of
the compile. Nothing crosses between the processes but the exit status: the child's results
reach the caller only as cache entries, which the caller verifies as it verifies any.

Why fork, not a spawned server: the child needs the graph, and a graph holds primitives
with their lowering functions, which do not pickle; a forked child has it already and is
started in ~10 ms. A fork must not copy a lock another thread holds, or run a library's fork
handler while another thread is inside that library (`start` says when it forks); the
cache and module registries reset their own locks in the child.

A child still compiling when the caller exits finishes its entry (the next process finds it
in the cache) and exits; it writes nothing but cache entries, and its output goes nowhere.
`TAPEFLOW_COMPILE_WORKER=thread` keeps the compile on a thread of the caller, as does a
platform without fork, a process with other threads, or a cache that cannot be used.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable

# The longest a caller waits for a child before compiling itself (a child that hangs must
# not leave the function on the interpreter for good).
CHILD_TIMEOUT_S = 600.0
_POLL_S = 0.02



def available() -> bool:
    """Whether background compiles run in a worker process here."""
    mode = os.environ.get("TAPEFLOW_COMPILE_WORKER", "process")
    return mode == "process" and hasattr(os, "fork") and sys.platform.startswith("linux")


def fill_cache(work: Callable[[], object], timeout: float = CHILD_TIMEOUT_S) -> bool:
    """Run `work()` (a compile that writes the cache) in a forked child and wait for it:
    `wait(start(work))`. True when the child finished and its results are in the cache."""
    return wait(start(work), timeout)


def start(work: Callable[[], object]) -> int | None:
    """Fork a child running `work()`, on the calling thread (which is then in no BLAS
    call); its process id, or None when no child can be started safely now (the caller
    compiles as it would have).

    A fork runs the atfork handlers of every library: OpenBLAS's shuts its thread pool
    down and deadlocks when another thread is inside a BLAS call at that moment (seen: a
    fork from the compiling thread while the caller's interpreter ran a matmul). So a child
    is started only from the thread making the call, when no other Python thread lives but
    tapeflow's compiling threads (which make no BLAS calls), and when no compile holds the
    locks (taking them would make the caller wait)."""
    if not available() or _other_threads():
        return None
    with contextlib.ExitStack() as stack:
        for lock in _compile_locks():
            if not lock.acquire(blocking=False):
                return None
            stack.callback(lock.release)
        try:
            pid = os.fork()
        except OSError:  # no memory or processes left for a child: compile here instead
            return None
        if pid == 0:  # the child: compile, seal the cache entries, leave without cleanup
            os._exit(_child(work))
    return pid


def wait(pid: int | None, timeout: float = CHILD_TIMEOUT_S) -> bool:
    """Wait for the child `pid` (polling; sleeping releases the interpreter lock); whether
    it finished cleanly. A child past `timeout` is killed. None (no child): False."""
    if pid is None:
        return False
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status) == 0
        if time.monotonic() > deadline:
            with contextlib.suppress(OSError):
                os.kill(pid, 9)
                os.waitpid(pid, 0)
            return False
        time.sleep(_POLL_S)


# The name of the threads that run background compiles (runtime/backends.py).
THREAD_NAME = "tapeflow-compile"


def _other_threads() -> bool:
    """Whether a Python thread other than the caller's and tapeflow's compiling ones lives
    (it might be inside a BLAS call)."""
    me = threading.current_thread()
    return any(t is not me and t.name != THREAD_NAME for t in threading.enumerate())


def _compile_locks() -> list:
    """The locks a compile takes: held while forking, so the child finds them free (no
    thread of this process is then inside a compile)."""
    # A module not imported yet has no compile in progress (and importing compile.py here
    # would import Numba on the caller's path: the child does that).
    compile_module = sys.modules.get("tapeflow.codegen.compile")
    locks = [compile_module._lock] if compile_module is not None else []
    if "numba" in sys.modules:
        from numba.core.compiler_lock import global_compiler_lock

        locks.append(global_compiler_lock._lock)
    return locks


def _child(work: Callable[[], object]) -> int:
    """The child's whole life: 0 when `work` ran and its entries are sealed in the cache,
    2 when the cache refused them (compiled in memory: of no use to the parent), 1 on any
    error. The parent's warnings are its own: the child's output is discarded."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        from tapeflow.codegen import cache

        before = cache.in_memory_loads
        work()
        cache.seal()
        return 2 if cache.in_memory_loads != before else 0
    except BaseException:  # noqa: BLE001 - the child reports by its exit status only
        return 1

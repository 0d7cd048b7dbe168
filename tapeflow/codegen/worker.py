"""Compiling in a worker process, so the caller keeps its interpreter lock.

    done = fill_cache(work)   # runs work() in a forked child; True when it finished cleanly

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
started in ~10 ms. A fork must not copy a lock another thread holds, so the caller forks
while holding the locks a compile takes (compile.py's, and Numba's compiler lock when Numba
is loaded), and the cache and module registries reset their own locks in the child.

A child still compiling when the caller exits finishes its entry (the next process finds it
in the cache) and exits; it writes nothing but cache entries, and its output goes nowhere.
`TAPEFLOW_COMPILE_WORKER=thread` keeps the compile on a thread of the caller (and so does a
platform without fork, or a cache that cannot be used: the child's work would be lost).
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

_fork_lock = threading.Lock()  # one child at a time: on 2 cores, two would share them


def available() -> bool:
    """Whether background compiles run in a worker process here."""
    mode = os.environ.get("TAPEFLOW_COMPILE_WORKER", "process")
    return mode == "process" and hasattr(os, "fork") and sys.platform.startswith("linux")


def fill_cache(work: Callable[[], object], timeout: float = CHILD_TIMEOUT_S) -> bool:
    """Run `work()` (a compile that writes the cache) in a forked child and wait for it
    without holding the interpreter lock. True when the child finished and its results are
    in the cache; False when it failed, timed out (it is killed) or the cache refused its
    entries: the caller then compiles as it would have."""
    if not available():
        return False
    with _fork_lock:
        try:
            with _compile_locks():
                pid = os.fork()
        except OSError:  # no memory or processes left for a child: compile here instead
            return False
        if pid == 0:  # the child: compile, seal the cache entries, leave without cleanup
            os._exit(_child(work))
        return _wait(pid, timeout)


@contextlib.contextmanager
def _compile_locks():
    """Hold every lock a compile takes while forking, so the child finds them free: no
    thread of this process is then inside a compile."""
    from tapeflow.codegen import compile as compile_module

    with contextlib.ExitStack() as stack:
        stack.enter_context(compile_module._lock)
        if "numba" in sys.modules:
            from numba.core.compiler_lock import global_compiler_lock

            stack.enter_context(global_compiler_lock)
        yield


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


def _wait(pid: int, timeout: float) -> bool:
    """Poll the child (sleeping releases the interpreter lock between polls)."""
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

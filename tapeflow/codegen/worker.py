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

A lock copied held makes a child that waits forever (reported: a notebook run with fds 1
and 2 on a file kept a 100-layer model on the interpreter for minutes; one run hung in a
futex wait). Besides the compile locks, a thread other than the forking one may hold
llvmlite's library lock (any LLVM call, a garbage collection freeing LLVM objects included;
ctypes lets the forking thread run meanwhile), the buffer lock of sys.stdout or sys.stderr
(a write to a full pipe or a slow file), an import's module lock. So a child is forked only
while every other thread is a compiling thread parked in `wait` (sleeping, holding nothing)
and llvmlite's lock is free; the child never touches the parent's stdio objects (it gets its
own, on /dev/null) nor keeps the parent's pipes and sockets open (a program
reading the caller's output to its end would wait for an orphan child). Should a child
block all the same, the caller notices within STALL_S (the child's CPU time stops growing),
kills it and compiles on its thread; and a child dies by itself past CHILD_TIMEOUT_S, even
once the caller is gone.

A child still compiling when the caller exits finishes its entry (the next process finds it
in the cache) and exits; it writes nothing but cache entries, and its output goes nowhere.
`TAPEFLOW_COMPILE_WORKER=thread` keeps the compile on a thread of the caller, as does a
platform without fork, a process with other threads, or a cache that cannot be used.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import sys
import threading
import time
from collections.abc import Callable

# The longest a caller waits for a child before compiling itself (a child that hangs must
# not leave the function on the interpreter for good).
CHILD_TIMEOUT_S = 600.0
# A child whose CPU time has not grown for this long is blocked (a compile waits that long
# for nothing): the caller kills it and compiles itself.
STALL_S = 20.0
_POLL_S = 0.02

# The compiling threads now sleeping in `wait` (holding no lock), and the lock that keeps
# the set still from `start`'s look at it to its fork.
_parked: set[int] = set()
_park_lock = threading.Lock()



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
    tapeflow's compiling threads parked in `wait` (which hold no lock and make no BLAS
    call), and when no compile nor LLVM call holds its lock (taking them would make the
    caller wait)."""
    if not available():
        return None
    with contextlib.ExitStack() as stack:
        stack.enter_context(_park_lock)  # no compiling thread leaves `wait` until forked
        if _other_threads():
            return None
        for lock in _fork_locks():
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
    me = threading.get_ident()
    with _park_lock:
        _parked.add(me)
    try:
        return _wait(pid, timeout)
    finally:
        with _park_lock:  # not while a fork is under way: `start` holds it
            _parked.discard(me)


def _wait(pid: int, timeout: float) -> bool:
    """`wait`'s loop. It only sleeps and asks the kernel (no lock, no import, no output),
    so that `start` may fork while this thread is in it. A child whose CPU time stays still
    for STALL_S is blocked: killed, as one past `timeout` is."""
    now = time.monotonic()
    deadline = now + timeout
    ticks, moved = -1, now
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status) == 0
        now = time.monotonic()
        used = _cpu_ticks(pid)
        if used != ticks:
            ticks, moved = used, now
        if now > deadline or (used >= 0 and now - moved > STALL_S):
            with contextlib.suppress(OSError):
                os.kill(pid, 9)
                os.waitpid(pid, 0)
            return False
        time.sleep(_POLL_S)


def _cpu_ticks(pid: int) -> int:
    """The CPU time (user + system, clock ticks) the process `pid` has used, or -1 when
    the system does not say (then only the timeout ends a child)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime and stime: proc(5) fields 14, 15
    except (OSError, IndexError, ValueError):
        return -1


# The name of the threads that run background compiles (runtime/backends.py).
THREAD_NAME = "tapeflow-compile"


def _other_threads() -> bool:
    """Whether a Python thread lives other than the caller's and tapeflow's compiling ones
    parked in `wait` (any other might be inside a BLAS call, or hold a lock the child would
    need). Called with `_park_lock` held."""
    me = threading.current_thread()
    return any(t is not me and not (t.name == THREAD_NAME and t.ident in _parked)
               for t in threading.enumerate())


def other_threads_alive() -> bool:
    """Whether a Python thread lives other than the caller's and tapeflow's compiling
    threads (one that might be inside a library call, a BLAS call say)."""
    me = threading.current_thread()
    return any(t is not me and t.name != THREAD_NAME for t in threading.enumerate())


def _fork_locks() -> list:
    """The locks held while forking, so that the child finds them free: those a compile
    takes (no thread of this process is then inside a compile) and llvmlite's, which every
    LLVM call takes (a garbage collection on a parked thread may free LLVM objects)."""
    # A module not imported yet has no compile in progress (and importing compile.py here
    # would import Numba on the caller's path: the child does that).
    compile_module = sys.modules.get("tapeflow.codegen.compile")
    locks = [compile_module._lock] if compile_module is not None else []
    if "numba" in sys.modules:
        from numba.core.compiler_lock import global_compiler_lock

        locks.append(global_compiler_lock._lock)
    if "llvmlite.binding.ffi" in sys.modules:
        locks.append(sys.modules["llvmlite.binding.ffi"].lib._lock._lock)
    return locks


def _child(work: Callable[[], object]) -> int:
    """The child's whole life: 0 when `work` ran and its entries are sealed in the cache,
    2 when the cache refused them (compiled in memory: of no use to the parent), 1 on any
    error. The parent's warnings are its own: the child's output is discarded."""
    try:
        # Killed by the kernel past the timeout, even once the caller is gone.
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.alarm(int(CHILD_TIMEOUT_S) + 1)
        _detach_output()
        from tapeflow.codegen import cache

        before = cache.in_memory_loads
        work()
        cache.seal()
        return 2 if cache.in_memory_loads != before else 0
    except BaseException:  # noqa: BLE001 - the child reports by its exit status only
        return 1


def _detach_output() -> None:
    """Point the child's input and output at /dev/null without touching the parent's stdio
    objects (another thread may have held their buffer locks at the fork: held forever
    here; and what they buffer is the parent's to write), and let go of the parent's pipes
    and sockets (a program reading the caller's output to its end would wait for
    this child). Those descriptors stay taken, each now on /dev/null, so that no file
    object naming one can close a file this child opens later."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in _open_fds():
        if fd == devnull:
            continue
        try:
            mode = os.fstat(fd).st_mode
        except OSError:
            continue
        if fd <= 2 or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
            os.dup2(devnull, fd, inheritable=fd <= 2)
    quiet = open(devnull, "w", closefd=False)  # noqa: SIM115 - lives as long as the child
    sys.stdin = sys.stdout = sys.stderr = quiet
    sys.__stdin__ = sys.__stdout__ = sys.__stderr__ = quiet


def _open_fds() -> list[int]:
    """This process's open file descriptors."""
    try:
        return sorted(int(name) for name in os.listdir("/proc/self/fd"))
    except OSError:
        return [0, 1, 2]

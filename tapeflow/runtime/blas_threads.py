"""numpy's BLAS gives a core to the compile worker while it runs.

    blas_threads.lend()     # a worker process started compiling (on the caller's thread)
    blas_threads.repay()    # its result was picked up (on the caller's thread)

While a background compile runs in a worker process (codegen/worker.py), the caller's calls
run on the reference interpreter, whose matrix products are numpy's BLAS calls. OpenBLAS runs
one thread per core and its threads spin while they wait for each other: with the worker
busy on one of the cores, a W4 step's interpreter call took 40-80 ms instead of 1-17 ms on
the 2-core machine here (the ten steps of a fresh process: 0.55-0.83 s against 0.42-0.45 s
with one BLAS thread). So while a worker runs, numpy's OpenBLAS runs one thread fewer (at
least one), and gets them back once the compile is picked up.

Both calls are made on a thread calling a tapeflow function, never while another thread may
be inside a BLAS call: `lend` where the worker is forked (no other thread runs then:
codegen/worker.py), `repay` only when no Python thread but tapeflow's compiling ones lives
(else later: `wait_compiled` and `runs_native` try again). A lend whose owner (the graph's
executor) is dropped before its compile is picked up is repaid at the next lend or repay
(not by a finalizer: one could run while another thread is inside a BLAS call). OpenBLAS is
found among the loaded libraries; with another BLAS (MKL, Accelerate), or none found, both do
nothing.
"""

from __future__ import annotations

import ctypes
import threading
import weakref

_lock = threading.Lock()
_lent = 0  # workers running that were lent a core
_before: int | None = None  # the thread count before the first lend
_api: tuple | None = None  # (get, set) of numpy's OpenBLAS, or () when there is none
_owners: list = []  # a weak reference to the owner of each lend not repaid yet


def _openblas():
    """numpy's OpenBLAS thread functions (get_num_threads, set_num_threads), or ()."""
    global _api
    if _api is None:
        _api = ()
        try:
            with open("/proc/self/maps") as maps:
                paths = sorted({line.split()[-1] for line in maps
                                if "openblas" in line.rsplit("/", 1)[-1].lower()})
        except OSError:
            paths = []
        for path in paths:
            if "numpy" not in path:  # (scipy's own copy serves compiled code, not numpy)
                continue
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            for prefix in ("scipy_openblas", "openblas"):
                for suffix in ("64_", ""):
                    get = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                    put = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
                    if get is not None and put is not None:
                        get.restype, put.argtypes = ctypes.c_int, [ctypes.c_int]
                        _api = (get, put)
                        return _api
    return _api


def lend(owner) -> None:
    """A worker process started for `owner`: numpy's BLAS runs one thread fewer until
    `repay(owner)`."""
    global _lent, _before
    with _lock:
        api = _openblas()
        if not api:
            return
        _reap()
        get, put = api
        if _lent == 0:
            _before = get()
            if _before > 1:
                put(_before - 1)
        _lent += 1
        _owners.append(weakref.ref(owner))


def repay(owner, others_alive) -> bool:
    """`owner`'s compile was picked up: numpy's BLAS gets back its threads once no worker
    runs. `others_alive()` says whether a Python thread lives that might be inside a BLAS
    call (then nothing changes now, and False asks to call again later)."""
    with _lock:
        mine = [ref for ref in _owners if ref() is owner]
        if not mine:
            return True
        if _lent - _dead() == 1 and others_alive():
            return False
        _owners.remove(mine[0])
        _settle(1)
        _reap()
        return True


def _dead() -> int:
    return sum(1 for ref in _owners if ref() is None)


def _reap() -> None:
    """Repay the lends of owners that are gone (on the caller's thread, like any repay:
    only when no thread but tapeflow's compiling ones could be inside a BLAS call)."""
    from tapeflow.codegen import worker

    dead = [ref for ref in _owners if ref() is None]
    if dead and (_lent > len(dead) or not worker.other_threads_alive()):
        for ref in dead:
            _owners.remove(ref)
        _settle(len(dead))


def _settle(count: int) -> None:
    """`count` lends ended: give numpy's BLAS its threads back once none is left."""
    global _lent, _before
    _lent -= count
    if _lent == 0 and _before is not None and _before > 1:
        _openblas()[1](_before)
        _before = None

"""The compiled vecmath kernels (codegen/vecmath.py, vecmath_trig.py), cached on disk once
per install, so that a process compiling a kernel that calls log or sin does not compile
those too (~0.1-0.2 s for a float32 kernel and the one it calls, measured here with tanh,
which, like exp, is now written into its callers instead: vecmath_ir.py).

    helper_cache.enable(cache_dir)   # before compiling; idempotent

They live in `<cache_dir>/vecmath-<key>/`, `key` hashing `compile.fingerprint()` (versions of
tapeflow, numba, numpy, Python, the code generator's sources, the CPU) and llvmlite's
version: an upgrade starts a new directory. The files are Numba's own (an index `.nbi` and
data `.nbc` per function, written by Numba's cache machinery), which are pickles, so code:
the rules of codegen/cache.py hold for them too. The directory is private (0700) and
refused when it is a symbolic link, owned by another user or writable by others (the
kernels are then compiled in memory, as the generated modules are); a function's files are
checked against the sha256 this user's process recorded for them right after Numba wrote
them (`<base>.json`, one record per function) each time before Numba reads them, and any
file unknown, altered or truncated is deleted with its siblings, so Numba compiles that
function afresh. `tapeflow cache clear` removes these directories with the entries.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import ClassVar

import llvmlite
from numba.core.caching import (
    FunctionCache,
    NullCache,
    _CacheLocator,
    _SourceFileBackedLocatorMixin,
)

from tapeflow.codegen import cache

# The directory the kernels' Numba cache points at now (None: in memory).
_enabled: Path | None = None
_refused: set[str] = set()


def directory_for(cache_dir: Path) -> Path:
    from tapeflow.codegen.compile import fingerprint

    text = f"{fingerprint()}\nllvmlite {llvmlite.__version__}"
    return cache_dir / f"{cache.HELPER_PREFIX}{hashlib.sha256(text.encode()).hexdigest()[:16]}"


def enable(cache_dir: Path | str | None = None) -> Path | None:
    """Point the vecmath kernels' Numba cache at the helper directory of `cache_dir` (the
    default cache directory when None), made private; when it cannot be used, keep them
    in memory. Returns the directory used, or None."""
    from tapeflow.codegen import vecmath  # noqa: F401 - (vecmath_trig's kernels with it)

    cache_dir = Path(cache_dir) if cache_dir is not None else cache.default_dir()
    directory = directory_for(cache_dir)
    if directory == _enabled or str(directory) in _refused:
        return _enabled if directory == _enabled else None
    with cache._lock:
        try:
            cache._private_dir(cache_dir)
            cache._private_dir(directory)
            if not cache._writable(directory):
                raise cache.CacheRefused(f"{directory} is not writable")
        except (cache.CacheRefused, OSError):
            # (load_module refuses the same directory for the generated modules and warns)
            _refused.add(str(directory))
            _use(None)
            return None
        _use(directory)
        return directory


def _use(directory: Path | None) -> None:
    global _enabled
    from tapeflow.codegen.vecmath import KERNELS

    for dispatcher in KERNELS:
        if directory is None:
            dispatcher._cache = NullCache()
        else:
            dispatcher._cache = _HelperCache(dispatcher.py_func, directory)
    _enabled = directory


class _Locator(_SourceFileBackedLocatorMixin, _CacheLocator):
    """Numba's files of one vecmath kernel in `directory` (made private by `enable`)."""

    def __init__(self, py_func, py_file, directory: Path):
        self._py_file = py_file
        self._lineno = py_func.__code__.co_firstlineno
        self._directory = directory

    def ensure_cache_path(self):
        cache._private_dir(self._directory)

    def get_cache_path(self):
        return str(self._directory)


class _HelperCache(FunctionCache):
    """Numba's FunctionCache in a helper directory, its files verified before each load
    and recorded after each save."""

    def __init__(self, py_func, directory: Path):
        self._directory = directory
        impl_class = type(self)._impl_class

        class _Impl(impl_class):
            _locator_classes: ClassVar[list] = [_bound_locator(directory)]

        self._impl_class = _Impl
        super().__init__(py_func)
        # Numba's file names for this function: <base>.nbi and <base>.<n>.nbc
        self._base = self._impl.filename_base

    def load_overload(self, sig, target_context):
        with cache._lock:
            try:
                _verify(self._directory, self._base)
            except (cache.CacheRefused, OSError):
                return None
            return super().load_overload(sig, target_context)

    def save_overload(self, sig, data):
        with cache._lock:
            super().save_overload(sig, data)
            with contextlib.suppress(cache.CacheRefused, OSError):
                _record(self._directory, self._base)


def _bound_locator(directory: Path):
    class Bound(_Locator):
        @classmethod
        def from_function(cls, py_func, py_file):
            return cls(py_func, py_file, directory)

    return Bound


def _files(directory: Path, base: str) -> list[str]:
    try:
        return sorted(e.name for e in os.scandir(directory)
                      if e.name.startswith(base + ".") and e.name.endswith((".nbi", ".nbc")))
    except FileNotFoundError:
        return []


def _remove(directory: Path, base: str) -> None:
    for name in [*_files(directory, base), f"{base}.json"]:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(directory / name)


def _verify(directory: Path, base: str) -> None:
    """Leave the files of `base` only if each is one this user recorded, unchanged."""
    cache._private_dir(directory)
    try:
        data = cache._read_private(directory / f"{base}.json")
        recorded = json.loads(data) if data is not None else {}
    except (ValueError, UnicodeDecodeError, cache.CacheRefused):
        recorded = None
    files = _files(directory, base)
    if not files:
        return
    if not isinstance(recorded, dict):
        _remove(directory, base)
        return
    for name in files:
        try:
            data = cache._read_private(directory / name)
        except cache.CacheRefused:
            data = None
        if data is None or recorded.get(name) != cache._sha(data):
            _remove(directory, base)
            return


def _record(directory: Path, base: str) -> None:
    """Record the sha256 of each of `base`'s files as Numba just wrote them (made writable
    by this user only first: Numba creates them with the process's umask, and a file others
    may write is refused)."""
    files = {}
    for name in _files(directory, base):
        with contextlib.suppress(OSError):
            fd = cache._open_nofollow(directory / name, os.O_RDONLY)
            try:
                if cache._fstat(fd).st_uid == cache._uid():
                    os.fchmod(fd, 0o600)
            finally:
                os.close(fd)
        data = cache._read_private(directory / name)
        if data is not None:
            files[name] = cache._sha(data)
    cache._write_atomic(directory / f"{base}.json", json.dumps(files, indent=1).encode(),
                        durable=False)

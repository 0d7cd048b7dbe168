"""The on-disk compile cache: generated modules are written here and imported from here, and
no code that tapeflow did not write is ever run from it.

    module = load_module(name, render)   # render(cache: bool) -> the module's source text

`name` must identify the source (compile.py hashes the graph with every version that shapes
the text). `render(True)` is the source with Numba's on-disk caching on; `render(False)` the
same with it off, used when the module is compiled in memory. A module already loaded in
this process is returned as it is; otherwise the entry is verified (or written) and executed.

An entry is `<dir>/<name>.py` (the source), `<dir>/<name>.json` (its record: the source's
sha256, the versions that wrote it, hit count, first and last use, the sha256 of each file
Numba cached for it) and Numba's own files `<dir>/__pycache__/<name>.*.nbi|nbc`.

What keeps it safe:
- The directory and its __pycache__ are created 0700. A directory or an entry that is a
  symbolic link, owned by another user, or writable by group or others is refused: the
  module is compiled in memory with Numba's cache off, and a warning says so once. So is a
  directory tapeflow cannot write (read-only, full): Numba could not cache there.
- Python's import system never loads an entry: it would run a planted .pyc whose header
  matches the .py. The source's bytes are read through a descriptor that refuses symlinks,
  compared with the text `render(True)` returned (which is the content-hash check, and more)
  and compiled from those bytes. An entry that differs (tampered, truncated) is replaced.
- Numba's cache files are pickles, so code too: each is checked against the sha256 recorded
  for it when the process that wrote it sealed the entry. A file that is unknown, altered or
  truncated is deleted with its siblings before Numba looks, and Numba compiles afresh.
- Writes go to a temporary file that is fsync'd and renamed over the entry: processes that
  race on one entry each rename a whole file, and an interrupted write leaves no entry.
- The cache is bounded (`set_max_bytes`): past it, the least recently used entries go.

Loaded modules are shared by name while they live, and freed once unused (including their
Numba dispatchers, which the garbage collector alone never frees): codegen/modules.py.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import hashlib
import json
import os
import stat
import sys
import tempfile
import threading
import time
import types
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tapeflow.codegen import modules

# Subdirectories holding the compiled vecmath kernels of one install (helper_cache.py).
HELPER_PREFIX = "vecmath-"
DEFAULT_MAX_BYTES = 1 << 30  # 1 GiB of sources, records and Numba files
# An eviction trims the cache to this share of its bound, so that the next listing waits for
# a tenth of the bound in new entries. Trimmed only to the bound itself, a full cache was
# listed again at every new kernel (a 1 GiB cache of 20,000 entries: ~1 s per new kernel,
# most of a fuzz worker's time).
_EVICT_TO = 0.9
_STALE_TEMP_SECONDS = 3600  # a temporary file this old belongs to a writer that died

_max_bytes = DEFAULT_MAX_BYTES
_lock = threading.RLock()
# Per directory, the size of its entries as this process last counted them plus what it has
# written since: the whole cache is listed again (to evict) only when that passes the bound.
# Listing it for every new entry cost ~0.1-0.25 s each with 2,000 entries (reading every
# record), so a graph of six new kernels paid up to 1.5 s for its evictions.
_estimated: dict[str, int] = {}
# Entries loaded from disk whose Numba files are not recorded yet (Numba writes them when it
# first compiles, after the import): name -> directory.
_unsealed: dict[str, Path] = {}
_warned: set[str] = set()
# How many modules this process compiled in memory because the cache refused them (a
# worker process reports its work as lost when this grows: codegen/worker.py).
in_memory_loads = 0

# Indirections the tests replace to pretend that a file belongs to another user.
_lstat = os.lstat
_fstat = os.fstat
_uid = os.geteuid


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK | os.X_OK)


class CacheRefused(Exception):
    """The cache directory, or an entry in it, is not safe or not usable."""


def default_dir() -> Path:
    """`TAPEFLOW_CACHE_DIR` if set, else the user cache directory (XDG on Linux)."""
    if os.environ.get("TAPEFLOW_CACHE_DIR"):
        return Path(os.environ["TAPEFLOW_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "tapeflow"


def set_max_bytes(limit: int) -> int:
    """Bound the cache's size on disk (bytes); returns the previous bound."""
    global _max_bytes
    if limit <= 0:
        raise ValueError(f"set_max_bytes: the bound must be positive, got {limit}")
    previous, _max_bytes = _max_bytes, int(limit)
    return previous


# ---- loading ---------------------------------------------------------------------------------


def load_module(name: str, render: Callable[[bool], str],
                directory: Path | str | None = None) -> types.ModuleType:
    """The module `name`: the one loaded in this process if it lives, else the verified
    cache entry, else written and imported from the cache, else compiled in memory (a
    warning says why, once per directory). Safe to call from several threads."""
    module = modules.live.get(name)
    if module is not None:
        return module
    with _lock:
        module = modules.live.get(name)
        if module is not None:
            return module
        _seal_pending()
        modules.free_unused()
        directory = Path(directory) if directory is not None else default_dir()
        source = render(True)  # (a generator's error is the caller's, not the cache's)
        try:
            return _load_from(directory, name, source)
        except (CacheRefused, OSError, RuntimeError) as e:
            # RuntimeError: Numba found no place to cache (`cache=True` on a directory that
            # stopped being writable). Anything the source itself raises is raised again by
            # the in-memory compile below.
            _warn_once(directory, e)
        global in_memory_loads
        in_memory_loads += 1
        return modules.execute(name, render(False), f"<tapeflow generated {name}>")


def _load_from(directory: Path, name: str, source: str) -> types.ModuleType:
    pycache = directory / "__pycache__"
    _private_dir(directory)
    _private_dir(pycache)
    for path in (directory, pycache):
        if not _writable(path):
            raise CacheRefused(f"{path} is not writable")
    path = directory / f"{name}.py"
    data = source.encode()
    record = _read_record(directory, name)
    hit = _read_private(path) == data
    if not hit:
        # Missing, tampered or truncated: Numba's files for it are stale too.
        _remove_numba_files(pycache, name)
        _write_atomic(path, data)
    if not hit or record.get("sha256") != _sha(data):
        record = {"sha256": _sha(data), "created": time.time(), "hits": 0,
                  "versions": _versions()}
    if hit:
        record["hits"] = record.get("hits", 0) + 1
    _check_numba_files(pycache, name, record.get("numba", {}))
    record["last_used"] = time.time()
    record.setdefault("numba", {})
    written = json.dumps(record, indent=1).encode()
    _write_atomic(directory / f"{name}.json", written, durable=False)
    module = modules.execute(name, source, str(path))
    _unsealed[name] = directory
    if not hit:
        _grow(directory, len(data) + len(written))
        _evict(directory, keep=name)
    return module


def _grow(directory: Path, size: int) -> None:
    """This process wrote `size` more bytes into `directory` (known once counted)."""
    if str(directory) in _estimated:
        _estimated[str(directory)] += size


def _reset_lock_in_child() -> None:
    global _lock
    _lock = threading.RLock()  # a fork while another thread held it must not deadlock


os.register_at_fork(after_in_child=_reset_lock_in_child)


# ---- checks ----------------------------------------------------------------------------------


def _check_owned(st: os.stat_result, path: Path, what: str) -> None:
    if st.st_uid != _uid():
        raise CacheRefused(f"{what} {path} is owned by uid {st.st_uid}, not by this user "
                           f"({_uid()})")
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise CacheRefused(f"{what} {path} is writable by group or others "
                           f"(mode {stat.S_IMODE(st.st_mode):04o})")


def _open_nofollow(path: Path, flags: int) -> int:
    try:
        return os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise CacheRefused(f"{path} is a symbolic link") from None
        raise


def _private_dir(path: Path) -> None:
    """Make `path` a directory private to this user (0700), or refuse it."""
    try:
        st = _lstat(path)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):  # another process made it: checked below
            os.mkdir(path, 0o700)
        st = _lstat(path)
    if stat.S_ISLNK(st.st_mode):
        raise CacheRefused(f"cache directory {path} is a symbolic link")
    if not stat.S_ISDIR(st.st_mode):
        raise CacheRefused(f"{path} is not a directory")
    fd = _open_nofollow(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        st = _fstat(fd)
        _check_owned(st, path, "cache directory")
        if stat.S_IMODE(st.st_mode) & 0o077:  # readable by others: made private
            with contextlib.suppress(OSError):  # (a read-only file system keeps its mode)
                os.fchmod(fd, 0o700)
    finally:
        os.close(fd)


def _read_private(path: Path) -> bytes | None:
    """The bytes of a regular file of ours that only we can write; None when missing."""
    try:
        fd = _open_nofollow(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    with os.fdopen(fd, "rb") as f:
        st = _fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise CacheRefused(f"cache entry {path} is not a regular file")
        _check_owned(st, path, "cache entry")
        return f.read()


def _read_record(directory: Path, name: str) -> dict:
    try:
        data = _read_private(directory / f"{name}.json")
        record = json.loads(data) if data is not None else {}
    except (ValueError, UnicodeDecodeError):
        return {}  # damaged: the entry is verified and its Numba files checked afresh
    return record if isinstance(record, dict) else {}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _versions() -> dict:
    import numba
    import numpy

    import tapeflow

    return {"tapeflow": tapeflow.__version__, "numba": numba.__version__,
            "numpy": numpy.__version__, "python": ".".join(map(str, sys.version_info[:3]))}


# ---- Numba's files ---------------------------------------------------------------------------


def _numba_files(pycache: Path, name: str) -> list[str]:
    """Names of the files in __pycache__ that belong to entry `name` (Numba's index and
    data files, and any .pyc, which is never used and so removed with them)."""
    prefix = name + "."
    try:
        return sorted(e.name for e in os.scandir(pycache) if e.name.startswith(prefix))
    except FileNotFoundError:
        return []


def _numba_files_by_entry(pycache: Path) -> dict[str, list[str]]:
    """`_numba_files` of every entry from one scan of __pycache__: listing the whole cache
    entry by entry scanned the directory once per entry, quadratic in the cache's size
    (seconds per compile with a few thousand entries)."""
    found: dict[str, list[str]] = {}
    try:
        names = sorted(e.name for e in os.scandir(pycache))
    except FileNotFoundError:
        return found
    for file in names:
        found.setdefault(file.split(".", 1)[0], []).append(file)
    return found


def _remove_numba_files(pycache: Path, name: str) -> None:
    for file in _numba_files(pycache, name):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(pycache / file)


def _check_numba_files(pycache: Path, name: str, recorded: dict) -> None:
    """Numba will unpickle these: each must be one this user sealed, unchanged. Otherwise
    all of the entry's Numba files go, and Numba compiles and writes them again."""
    for file in _numba_files(pycache, name):
        data = _read_private(pycache / file)
        if data is None or not file.endswith((".nbi", ".nbc")) or recorded.get(file) != _sha(
                data):
            _remove_numba_files(pycache, name)
            return


def seal() -> None:
    """Record the Numba files of the entries loaded so far (a worker process does, before it
    exits without running atexit handlers)."""
    with _lock:
        _seal_pending()


def _seal_pending() -> None:
    """Record the hashes of the Numba files of the entries this process loaded (Numba wrote
    them when it compiled, after the import)."""
    for name, directory in list(_unsealed.items()):
        _unsealed.pop(name, None)
        with contextlib.suppress(OSError, CacheRefused):
            pycache = directory / "__pycache__"
            record = _read_record(directory, name)
            if not record:
                continue
            files = {}
            for file in _numba_files(pycache, name):
                data = _read_private(pycache / file)
                if data is not None and file.endswith((".nbi", ".nbc")):
                    files[file] = _sha(data)
                    if file not in record.get("numba", {}):
                        _grow(directory, len(data))
            if files != record.get("numba"):
                record["numba"] = files
                written = json.dumps(record, indent=1).encode()
                _grow(directory, len(written) - _size(directory / f"{name}.json"))
                _write_atomic(directory / f"{name}.json", written, durable=False)


atexit.register(_seal_pending)


# ---- writing, eviction, inspection -----------------------------------------------------------


def _write_atomic(path: Path, data: bytes, durable: bool = True) -> None:
    """Replace `path` with `data` in one step (a rename), so that no reader ever sees a
    partial file; `durable` fsyncs the data first (sources: a crash must not leave an
    empty file that a hash check would have to catch)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@dataclass
class Entry:
    """One cache entry, as `tapeflow cache info` shows it."""

    name: str
    bytes: int
    hits: int
    created: float | None
    last_used: float | None
    versions: dict
    valid: bool | None  # the source matches the hash in its record


def entries(directory: Path | str | None = None, verify: bool = True) -> list[Entry]:
    """The entries of the cache directory, least recently used first; `verify` reads each
    source to say whether it matches its record (else `valid` is None)."""
    directory = Path(directory) if directory is not None else default_dir()
    _safe_existing(directory)
    pycache = directory / "__pycache__"
    numba_files = _numba_files_by_entry(pycache)
    found = []
    for path in sorted(directory.glob("*.py")):
        name = path.stem
        files = [path, directory / f"{name}.json",
                 *(pycache / f for f in numba_files.get(name, ()))]
        record = _read_record(directory, name)
        data = None
        if verify:
            with contextlib.suppress(OSError, CacheRefused):
                data = _read_private(path)
        found.append(Entry(
            name=name,
            bytes=sum(_size(p) for p in files),
            hits=int(record.get("hits", 0)),
            created=record.get("created"),
            last_used=record.get("last_used"),
            versions=record.get("versions", {}),
            valid=(data is not None and record.get("sha256") == _sha(data)) if verify else None,
        ))
    found.sort(key=lambda e: (e.last_used or 0.0, e.name))
    return found


def clear(directory: Path | str | None = None) -> tuple[int, int]:
    """Remove every entry (and leftover temporary file); returns (entries, bytes) removed.
    Files that are not the cache's are left alone."""
    directory = Path(directory) if directory is not None else default_dir()
    if not _safe_existing(directory):
        return 0, 0
    with _lock:
        count = total = 0
        for entry in entries(directory):
            total += _remove_entry(directory, entry.name)
            count += 1
        total += _remove_stale_temporaries(directory, max_age=0)
        for helpers in helper_directories(directory):
            total += _remove_helper_directory(helpers)
            count += 1
        _estimated.pop(str(directory), None)
        return count, total


def helper_directories(directory: Path) -> list[Path]:
    """The directories of compiled vecmath kernels in `directory` (helper_cache.py), of
    this install and of earlier ones."""
    found = []
    with contextlib.suppress(FileNotFoundError):
        for entry in sorted(os.scandir(directory), key=lambda e: e.name):
            if entry.name.startswith(HELPER_PREFIX) and entry.is_dir(follow_symlinks=False):
                found.append(directory / entry.name)
    return found


def _helper_files(helpers: Path) -> list[Path]:
    """The files of a helper directory that are the cache's (Numba's, records, leftovers of
    interrupted writes)."""
    with contextlib.suppress(FileNotFoundError):
        return [helpers / e.name for e in sorted(os.scandir(helpers), key=lambda e: e.name)
                if e.name.endswith((".nbi", ".nbc", ".json", ".tmp"))
                and e.is_file(follow_symlinks=False)]
    return []


def _remove_helper_directory(helpers: Path) -> int:
    """Remove a helper directory's files (and it, once empty); the bytes freed."""
    freed = 0
    for path in _helper_files(helpers):
        size = _size(path)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
            freed += size
    with contextlib.suppress(OSError):  # (not empty: files that are not ours stay)
        os.rmdir(helpers)
    return freed


def _safe_existing(directory: Path) -> bool:
    """Whether `directory` exists; raises CacheRefused when it is not safe to read."""
    try:
        st = _lstat(directory)
    except FileNotFoundError:
        return False
    if stat.S_ISLNK(st.st_mode):
        raise CacheRefused(f"cache directory {directory} is a symbolic link")
    if not stat.S_ISDIR(st.st_mode):
        raise CacheRefused(f"{directory} is not a directory")
    _check_owned(st, directory, "cache directory")
    return True


def _files_of(directory: Path, name: str) -> list[Path]:
    pycache = directory / "__pycache__"
    return [directory / f"{name}.py", directory / f"{name}.json",
            *(pycache / f for f in _numba_files(pycache, name))]


def _size(path: Path) -> int:
    try:
        return _lstat(path).st_size
    except FileNotFoundError:
        return 0


def _remove_entry(directory: Path, name: str) -> int:
    freed = 0
    for path in _files_of(directory, name):
        size = _size(path)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
            freed += size
    return freed


def _remove_stale_temporaries(directory: Path, max_age: float) -> int:
    freed, now = 0, time.time()
    for path in directory.glob(".*.tmp"):
        with contextlib.suppress(FileNotFoundError):
            st = _lstat(path)
            if now - st.st_mtime >= max_age:
                os.unlink(path)
                freed += st.st_size
    return freed


def _evict(directory: Path, keep: str) -> None:
    """Once the cache passes its bound, remove least recently used entries until it fits
    `_EVICT_TO` of the bound (entries this process has loaded stay). The cache is listed at
    the first new entry of a process, and again only once what it counted then plus what it
    wrote since passes the bound (other processes' entries are counted at their own
    evictions)."""
    estimate = _estimated.get(str(directory))
    if estimate is not None and estimate <= _max_bytes:
        return
    with contextlib.suppress(OSError, CacheRefused):
        _remove_stale_temporaries(directory, _STALE_TEMP_SECONDS)
        found = entries(directory, verify=False)
        total = sum(e.bytes for e in found)
        if total <= _max_bytes:
            _estimated[str(directory)] = total
            return
        target = int(_max_bytes * _EVICT_TO)
        for entry in found:
            if total <= target:
                break
            if entry.name == keep or entry.name in modules.live:
                continue
            total -= _remove_entry(directory, entry.name)
        # Entries this process holds cannot go: what is left above the target is counted
        # as the target, so the next listing still waits for a tenth of the bound.
        _estimated[str(directory)] = min(total, target)


def _warn_once(directory: Path, error: Exception) -> None:
    if str(directory) in _warned:
        return
    _warned.add(str(directory))
    warnings.warn(
        f"tapeflow: not using the compile cache at {directory} ({type(error).__name__}: "
        f"{error}); compiling in memory instead (set TAPEFLOW_CACHE_DIR to a directory of "
        "your own to keep compiled code between runs)",
        RuntimeWarning,
        stacklevel=4,
    )


# ---- `tapeflow cache info | clear` -----------------------------------------------------------


def command(action: str, directory: Path | str | None = None) -> int:
    """The `tapeflow cache` command: `info` prints the entries (size, hits, last use, the
    versions that wrote them, whether the source still matches its hash); `clear` removes
    them. Returns the exit status."""
    directory = Path(directory) if directory is not None else default_dir()
    try:
        if action == "clear":
            count, freed = clear(directory)
            print(f"removed {count} entries ({_human(freed)}) from {directory}")
            return 0
        found = entries(directory) if _safe_existing(directory) else []
    except CacheRefused as e:
        print(f"tapeflow cache: refusing {directory}: {e}", file=sys.stderr)
        return 1
    total = sum(e.bytes for e in found)
    print(f"{directory}: {len(found)} entries, {_human(total)} (bound {_human(_max_bytes)})")
    for helpers in helper_directories(directory) if found or directory.exists() else []:
        files = _helper_files(helpers)
        print(f"  {helpers.name}/  {_human(sum(_size(p) for p in files)):>9}  compiled vecmath "
              f"kernels ({sum(p.suffix == '.nbc' for p in files)} signatures)")
    for e in reversed(found):  # most recently used first
        used = time.strftime("%Y-%m-%d %H:%M", time.localtime(e.last_used or 0))
        versions = " ".join(f"{k} {v}" for k, v in e.versions.items())
        state = "" if e.valid else "  (does not match its hash: replaced on next use)"
        print(f"  {e.name}  {_human(e.bytes):>9}  {e.hits:>5} hits  last {used}  "
              f"{versions}{state}")
    return 0


def _human(n: int) -> str:
    for unit in ("B", "KiB", "MiB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"

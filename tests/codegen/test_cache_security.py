"""The compile cache is not an attack surface (codegen/cache.py): a private directory, entries
verified before they run, planted or damaged files never executed, atomic writes, a bound.

Most cases load tiny generated modules (no Numba); the ones about Numba's own files compile.
"""

import builtins
import gc
import importlib._bootstrap_external as bootstrap_external
import multiprocessing
import os
import stat
import sys
import warnings
import weakref

import pytest

from tapeflow.codegen import cache, modules

SOURCE = "VALUE = {value!r}\n\ndef entry():\n    return VALUE\n"


def _render(value="ours"):
    return lambda use_cache: SOURCE.format(value=value)


@pytest.fixture(autouse=True)
def _fresh_warnings(monkeypatch):
    monkeypatch.setattr(cache, "_warned", set())


_count = iter(range(10**9))


def _name():
    # Distinct per test and per run: a module loaded in this process is reused by name.
    return f"tapeflow_test_{os.getpid()}_{next(_count)}"


def _load(directory, name, value="ours"):
    return cache.load_module(name, _render(value), directory)


def test_the_directory_is_created_private(tmp_path):
    directory = tmp_path / "new" / "cache"
    name = _name()
    assert _load(directory, name).entry() == "ours"
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE((directory / "__pycache__").stat().st_mode) == 0o700
    assert (directory / f"{name}.py").read_text() == SOURCE.format(value="ours")


def test_a_directory_readable_by_others_is_made_private(tmp_path):
    os.chmod(tmp_path, 0o755)
    _load(tmp_path, _name())
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o700


def _planted(tmp_path):
    """A module that, if it ever ran, would say so."""
    flag = f"planted_{next(_count)}"
    return flag, f"import builtins\nbuiltins.{flag} = True\ndef entry():\n    return 'evil'\n"


def test_a_symlinked_entry_is_refused_and_never_run(tmp_path):
    name = _name()
    flag, evil = _planted(tmp_path)
    (tmp_path / "evil.py").write_text(evil)
    (tmp_path / f"{name}.py").symlink_to(tmp_path / "evil.py")
    with pytest.warns(RuntimeWarning, match="symbolic link.*compiling in memory"):
        module = _load(tmp_path, name)
    assert module.entry() == "ours"
    assert not hasattr(builtins, flag)


def test_a_symlinked_cache_directory_is_refused(tmp_path):
    (tmp_path / "elsewhere").mkdir(mode=0o700)
    (tmp_path / "cache").symlink_to(tmp_path / "elsewhere")
    with pytest.warns(RuntimeWarning, match="symbolic link"):
        assert _load(tmp_path / "cache", _name()).entry() == "ours"
    assert not list((tmp_path / "elsewhere").iterdir())  # nothing written through it


def _foreign(path_suffix):
    """An fstat that says files whose name ends with `path_suffix` belong to another user
    (root makes a real chown meaningless)."""
    real = os.fstat

    def fstat(fd):
        st = real(fd)
        if os.readlink(f"/proc/self/fd/{fd}").endswith(path_suffix):
            fields = list(st[:10])
            fields[4] = os.geteuid() + 4242  # st_uid
            return os.stat_result(fields)
        return st

    return fstat


def test_an_entry_owned_by_another_user_is_refused(tmp_path, monkeypatch):
    name = _name()
    _load(tmp_path, name)  # a valid entry...
    monkeypatch.setattr(cache, "_fstat", _foreign(f"{name}.py"))  # ...now someone else's
    with pytest.warns(RuntimeWarning, match="owned by uid"):
        assert _reload(tmp_path, name).entry() == "ours"


def test_a_directory_owned_by_another_user_is_refused(tmp_path, monkeypatch):
    directory = tmp_path / "cache"
    directory.mkdir(mode=0o700)
    monkeypatch.setattr(cache, "_fstat", _foreign("/cache"))
    with pytest.warns(RuntimeWarning, match="owned by uid"):
        assert _load(directory, _name()).entry() == "ours"
    assert not list(directory.iterdir())


@pytest.mark.parametrize("mode", [0o770, 0o707, 0o777])
def test_a_directory_writable_by_group_or_others_is_refused(tmp_path, mode):
    directory = tmp_path / "cache"
    directory.mkdir()
    os.chmod(directory, mode)
    with pytest.warns(RuntimeWarning, match="writable by group or others"):
        assert _load(directory, _name()).entry() == "ours"
    assert not list(directory.iterdir())


def test_it_warns_once_per_directory(tmp_path):
    directory = tmp_path / "cache"
    directory.mkdir()
    os.chmod(directory, 0o777)
    with pytest.warns(RuntimeWarning):
        _load(directory, _name())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _load(directory, _name())


def _reload(tmp_path, name, value="ours"):
    """Load `name` as a new process would (nothing of it alive here)."""
    gc.collect()
    assert name not in modules.live
    return _load(tmp_path, name, value)


def test_a_flipped_byte_is_detected_and_the_entry_replaced(tmp_path):
    name = _name()
    _load(tmp_path, name)
    path = tmp_path / f"{name}.py"
    data = bytearray(path.read_bytes())
    data[data.index(b"ours")] ^= 0x20  # 'ours' -> 'Ours'
    path.write_bytes(bytes(data))
    assert _reload(tmp_path, name).entry() == "ours"
    assert path.read_text() == SOURCE.format(value="ours")


def test_a_planted_pyc_beside_an_intact_source_never_runs(tmp_path):
    name = _name()
    _load(tmp_path, name)
    path = tmp_path / f"{name}.py"
    flag, evil = _planted(tmp_path)
    # Bytecode whose header matches the .py's mtime and size: Python's import system would
    # load it instead of the source.
    st = path.stat()
    code = compile(evil, str(path), "exec")
    pyc = bootstrap_external._code_to_timestamp_pyc(code, int(st.st_mtime), st.st_size)
    planted = tmp_path / "__pycache__" / f"{name}.{sys.implementation.cache_tag}.pyc"
    planted.write_bytes(bytes(pyc))
    assert _reload(tmp_path, name).entry() == "ours"
    assert not hasattr(builtins, flag)
    assert not planted.exists()  # removed, with anything else unknown under its name


def test_an_entry_changed_to_other_code_is_replaced_not_run(tmp_path):
    name = _name()
    _load(tmp_path, name)
    flag, evil = _planted(tmp_path)
    (tmp_path / f"{name}.py").write_text(evil)
    assert _reload(tmp_path, name).entry() == "ours"
    assert not hasattr(builtins, flag)


def test_a_module_lives_while_used_and_then_leaves_sys_modules(tmp_path):
    name = _name()
    module = _load(tmp_path, name)
    namespace = module.__dict__
    # Importable by name while it lives (Numba does that), without sys.modules keeping it.
    imported = __import__(name)
    assert imported.entry is module.entry and imported.__dict__ is namespace
    assert cache.load_module(name, _render("other"), tmp_path) is module  # shared by name
    ref = weakref.ref(module)
    entry = module.entry
    del module, imported
    gc.collect()
    assert ref() is None
    assert entry() == "ours"  # a function of it in use keeps the namespace
    assert __import__(name).entry is entry
    del entry
    gc.collect()
    assert name not in modules.live and name not in sys.modules
    assert namespace == {}  # cleared: Numba's dispatchers in it are freed


def test_an_interrupted_import_leaves_nothing_half_initialised(tmp_path):
    name = _name()
    broken = "import builtins\nVALUE = 1\nraise KeyboardInterrupt\n"
    with pytest.raises(KeyboardInterrupt):
        cache.load_module(name, lambda use_cache: broken, tmp_path)
    assert name not in sys.modules and name not in modules.live
    assert _load(tmp_path, name).entry() == "ours"  # the next load works


def test_an_interrupted_write_leaves_no_entry(tmp_path, monkeypatch):
    name = _name()

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cache.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _load(tmp_path, name)
    monkeypatch.undo()
    assert not list(tmp_path.glob(f"{name}*")) and not list(tmp_path.glob(".*.tmp"))
    assert _load(tmp_path, name).entry() == "ours"


def test_an_unwritable_directory_compiles_in_memory(tmp_path, monkeypatch):
    name = _name()
    _load(tmp_path, name)  # populated...
    gc.collect()
    monkeypatch.setattr(cache, "_writable", lambda path: False)  # ...then read-only
    with pytest.warns(RuntimeWarning, match="not writable"):
        assert _reload(tmp_path, name).entry() == "ours"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only directory")
def test_a_read_only_directory_compiles_in_memory(tmp_path):
    name = _name()
    _load(tmp_path, name)
    gc.collect()
    os.chmod(tmp_path / "__pycache__", 0o500)
    os.chmod(tmp_path, 0o500)
    try:
        with pytest.warns(RuntimeWarning, match="not writable"):
            assert _reload(tmp_path, name).entry() == "ours"
    finally:
        os.chmod(tmp_path, 0o700)


def test_the_size_bound_evicts_the_least_recently_used(tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "_max_bytes", 10**9)
    names = [_name() for _ in range(4)]
    for name in names:
        _load(tmp_path, name)
    gc.collect()
    _reload(tmp_path, names[0])  # now the most recently used
    size = sum(e.bytes for e in cache.entries(tmp_path) if e.name == names[0])
    monkeypatch.setattr(cache, "_max_bytes", 3 * size)
    keep = _load(tmp_path, _name())  # a new entry: the cache is trimmed to three entries
    left = {e.name for e in cache.entries(tmp_path)}
    assert names[0] in left and keep.__name__ in left
    assert names[1] not in left and len(left) <= 3


def test_info_and_clear(tmp_path):
    first, second = _name(), _name()
    _load(tmp_path, first)
    _load(tmp_path, second)
    gc.collect()
    _reload(tmp_path, second)
    found = {e.name: e for e in cache.entries(tmp_path)}
    assert found[first].hits == 0 and found[second].hits == 1
    assert found[first].valid and found[first].bytes > 0
    assert found[first].versions["python"].startswith(f"{sys.version_info[0]}.")
    (tmp_path / "mine.txt").write_text("not the cache's")
    assert cache.clear(tmp_path)[0] == 2
    assert cache.entries(tmp_path) == []
    assert (tmp_path / "mine.txt").exists()


def _race(directory, name, barrier, results):
    barrier.wait()
    try:
        results.put(cache.load_module(name, _render(), directory).entry())
    except BaseException as e:  # reported to the parent
        results.put(repr(e))


def test_two_processes_writing_one_entry_both_succeed(tmp_path):
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    name = _name()
    workers = [context.Process(target=_race, args=(tmp_path, name, barrier, results))
               for _ in range(2)]
    for w in workers:
        w.start()
    got = [results.get(timeout=120) for _ in workers]
    for w in workers:
        w.join(timeout=60)
    assert got == ["ours", "ours"]
    assert [p.name for p in tmp_path.glob(f"{name}*.py")] == [f"{name}.py"]
    assert not list(tmp_path.glob(".*.tmp"))
    (entry,) = cache.entries(tmp_path)
    assert entry.valid


def test_the_cache_command(tmp_path, capsys):
    from tapeflow.cli import main

    name = _name()
    _load(tmp_path, name)
    assert main(["cache", "info", "--dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "1 entries" in out and name in out and "numba" in out
    assert main(["cache", "clear", "--dir", str(tmp_path)]) == 0
    assert "removed 1 entries" in capsys.readouterr().out
    assert not list(tmp_path.glob("*.py"))


def test_an_error_rendering_the_source_is_not_blamed_on_the_cache(tmp_path):
    class Unlowerable(RuntimeError):
        pass

    def render(use_cache):
        raise Unlowerable("no lowering")

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "not using the compile cache" warning
        with pytest.raises(Unlowerable):
            cache.load_module(_name(), render, tmp_path)


def test_new_entries_list_the_cache_once_while_it_is_under_its_bound(tmp_path, monkeypatch):
    # Listing the whole cache reads every record: with thousands of entries that cost
    # 0.1-0.25 s per new kernel, when it ran for each new entry.
    monkeypatch.setattr(cache, "_max_bytes", 10**9)
    monkeypatch.setattr(cache, "_estimated", {})
    listed = []
    real = cache.entries
    monkeypatch.setattr(cache, "entries", lambda *a, **k: listed.append(1) or real(*a, **k))
    for _ in range(5):
        _load(tmp_path, _name())
    assert len(listed) == 1  # at the first new entry of this process
    size = sum(e.bytes for e in real(tmp_path))
    monkeypatch.setattr(cache, "_max_bytes", size)  # full: the next new entry evicts
    _load(tmp_path, _name())
    assert len(listed) == 2
    assert sum(e.bytes for e in real(tmp_path)) <= size


def test_a_full_cache_is_not_listed_again_at_every_new_entry(tmp_path, monkeypatch):
    # An eviction that trimmed the cache only to its bound left it full, so every later
    # new kernel listed the whole cache again (~1 s per kernel with 20,000 entries): it
    # trims to 90% of the bound, and the next listing waits for a tenth of it.
    monkeypatch.setattr(cache, "_max_bytes", 10**9)
    monkeypatch.setattr(cache, "_estimated", {})
    for _ in range(40):
        _load(tmp_path, _name())
    gc.collect()  # none of them is live: all may be evicted
    sizes = [e.bytes for e in cache.entries(tmp_path)]
    one = max(sizes)
    monkeypatch.setattr(cache, "_max_bytes", sum(sizes))  # full
    listed = []
    real = cache.entries
    monkeypatch.setattr(cache, "entries", lambda *a, **k: listed.append(1) or real(*a, **k))
    _load(tmp_path, _name())  # past the bound: listed once, trimmed to 90% of it
    assert len(listed) == 1
    assert sum(e.bytes for e in real(tmp_path)) <= 0.9 * sum(sizes)
    room = int(0.1 * sum(sizes)) // one  # entries that fit before the bound is passed again
    assert room >= 3
    for _ in range(room - 1):
        _load(tmp_path, _name())
    assert len(listed) == 1

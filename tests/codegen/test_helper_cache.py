"""The per-install cache of vecmath's compiled kernels (codegen/helper_cache.py): a second
process loads float32 log1p (and the log it calls) instead of compiling them, and the rules
of the compile cache hold for their files: private directory, verified before Numba reads
them, a foreign, group-writable or symlinked directory refused."""

import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tapeflow.codegen import cache, helper_cache

pytestmark = pytest.mark.slow

# Compiles a function calling vecmath.log1p on float32 through the helper cache of
# TAPEFLOW_CACHE_DIR; prints Numba's cache hits and misses of the two kernels it needs.
SCRIPT = textwrap.dedent("""
    import numba
    import numpy as np

    from tapeflow.codegen import helper_cache, vecmath

    used = helper_cache.enable()
    f = numba.njit(lambda x: vecmath.log1p(x))
    assert f(np.float32(3.0)) == np.float32(np.log1p(np.float64(3.0)))
    counts = [sum(k.stats.cache_hits.values()) for k in (vecmath._log1p_f32, vecmath._log_f32)]
    counts += [sum(k.stats.cache_misses.values()) for k in (vecmath._log1p_f32, vecmath._log_f32)]
    print(used, *counts)
""")


def _run(cache_dir: Path) -> tuple[str, list[int]]:
    env = dict(os.environ, TAPEFLOW_CACHE_DIR=str(cache_dir))
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    return out[0], [int(n) for n in out[1:]]


def test_a_second_process_loads_the_kernels_instead_of_compiling(tmp_path):
    used, counts = _run(tmp_path)
    assert counts == [0, 0, 1, 1]  # compiled (and stored)
    directory = Path(used)
    assert directory.parent == tmp_path and directory.name.startswith(cache.HELPER_PREFIX)
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    records = sorted(directory.glob("*.json"))
    assert len(records) == 2  # one record per kernel, each naming its Numba files
    for record in records:
        files = json.loads(record.read_text())
        assert any(name.endswith(".nbi") for name in files)
        assert any(name.endswith(".nbc") for name in files)
    # log1p loaded, not compiled; log not even loaded (log1p's cached code holds its copy)
    assert _run(tmp_path) == (used, [1, 0, 0, 0])


@pytest.mark.parametrize("damage", ["flip", "truncate", "unrecorded"])
def test_a_damaged_file_is_removed_before_numba_reads_it(tmp_path, damage):
    used, _ = _run(tmp_path)
    (data,) = Path(used).glob("*_log1p_f32*.nbc")
    if damage == "flip":
        raw = bytearray(data.read_bytes())
        raw[len(raw) // 2] ^= 0xFF
        data.write_bytes(bytes(raw))
    elif damage == "truncate":
        data.write_bytes(data.read_bytes()[:100])
    else:  # a file nobody recorded: the record is gone
        (record,) = Path(used).glob("*_log1p_f32*.json")
        record.unlink()
    # log1p compiles afresh (its files were removed first), log still loads
    assert _run(tmp_path) == (used, [0, 1, 1, 0])
    assert _run(tmp_path) == (used, [1, 0, 0, 0])  # and the new files are recorded


def test_a_symlinked_or_foreign_directory_is_refused(tmp_path, monkeypatch):
    real = tmp_path / "elsewhere"
    real.mkdir(mode=0o700)
    link = helper_cache.directory_for(tmp_path)
    link.symlink_to(real)
    monkeypatch.setattr(helper_cache, "_refused", set())
    assert helper_cache.enable(tmp_path) is None
    assert not list(real.iterdir())
    link.unlink()

    other = tmp_path / "other"
    real_fstat = cache._fstat

    def foreign(fd):
        st = real_fstat(fd)
        fields = list(st)
        fields[4] = os.geteuid() + 4242  # st_uid
        return os.stat_result(fields)

    monkeypatch.setattr(cache, "_fstat", foreign)
    assert helper_cache.enable(other) is None
    monkeypatch.undo()
    helper_cache.enable()  # back to the default, as other tests expect


def test_a_group_writable_directory_is_refused_in_a_new_process(tmp_path):
    used, _ = _run(tmp_path)
    os.chmod(used, 0o770)
    used2, counts = _run(tmp_path)
    assert used2 == "None" and counts == [0, 0, 1, 1]  # compiled in memory


def test_files_written_under_a_loose_umask_are_made_private_and_still_load(tmp_path):
    old = os.umask(0o002)  # (the child inherits it: Numba writes group-writable files)
    try:
        used, _ = _run(tmp_path)
    finally:
        os.umask(old)
    for path in Path(used).iterdir():
        assert not path.stat().st_mode & 0o022, path
    assert _run(tmp_path) == (used, [1, 0, 0, 0])


def test_info_and_clear_show_and_remove_the_helper_directories(tmp_path, capsys):
    used, _ = _run(tmp_path)
    assert Path(used).is_dir()
    assert cache.command("info", tmp_path) == 0
    assert f"{Path(used).name}/" in capsys.readouterr().out
    count, freed = cache.clear(tmp_path)
    assert count == 1 and freed > 0
    assert not Path(used).exists()

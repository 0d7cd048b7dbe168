"""benchmarks/fuzz.py's counts file: what a run across sessions relies on (records stamped
with commit and generator version, resumption by seed, totals per commit)."""

import importlib.util
import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def fuzz():
    spec = importlib.util.spec_from_file_location("fuzz_benchmark",
                                                  ROOT / "benchmarks" / "fuzz.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _chunk(seed, commit, programs, findings=0, digests=("a", "b")):
    return {"seed": seed, "commit": commit, "dirty": False, "generator": 1,
            "counts": {"programs": programs, "programs with findings": findings,
                       "value (numba)": findings, "cpu seconds": 2.0},
            "digests": list(digests), "failing": []}


def test_save_load_round_trip_one_line_per_chunk(fuzz, tmp_path):
    data = {"compiled generator=1 steps=3 chunk=2": {"chunks": {
        "11": _chunk(11, "abc", 2), "9": _chunk(9, "abc", 2, digests=("0123456789abcdef",))}}}
    path = tmp_path / "counts.json"
    fuzz.save(str(path), data)
    text = path.read_text()
    assert json.loads(text) == data
    rows = [line for line in text.splitlines() if line.startswith('  "')]
    assert [row.split(":")[0].strip() for row in rows] == ['"9"', '"11"']  # by seed, as ints
    # Loading shortens older, longer digests to the stored length.
    assert fuzz.load(str(path))["compiled generator=1 steps=3 chunk=2"]["chunks"]["9"][
        "digests"] == ["0123456789"]
    fuzz.save(str(path), {})
    assert fuzz.load(str(path)) == {}


def test_report_totals_per_commit_and_overall(fuzz, capsys):
    data = {"compiled generator=1 steps=3 chunk=2": {"chunks": {
        "1": _chunk(1, "aaa", 2), "2": _chunk(2, "bbb", 2, findings=1, digests=("a", "c"))}},
        "compiled generator=2 steps=3 chunk=2": {"chunks": {"1": _chunk(1, "bbb", 2)}}}
    fuzz.report(data, show=0)
    out = capsys.readouterr().out
    assert "aaa:       2 programs (2 distinct), 0 with findings" in out
    assert "bbb:       2 programs (2 distinct), 1 with findings" in out
    assert "distinct (program, inputs): 3" in out  # a, b, c over both commits
    assert "value (numba): 1" in out
    assert "all compiled: 6 programs, 1 with findings" in out


def test_source_state_names_the_checkout_commit(fuzz):
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"],
                          check=False, capture_output=True, text=True)
    if head.returncode != 0:
        pytest.skip("not a git checkout")
    commit, dirty = fuzz.source_state()
    assert commit == head.stdout.strip()
    assert isinstance(dirty, bool)


def test_a_chunk_records_whether_its_worker_checked_bounds(fuzz, monkeypatch):
    # The compiled-boundscheck counts stand only where the worker's Numba compiled index
    # checks in (it reads NUMBA_BOUNDSCHECK once, at import): each chunk says what it had,
    # and a worker whose Numba disagrees with the tier refuses to run.
    import numba

    monkeypatch.setattr(numba.config, "BOUNDSCHECK", 1)
    result = fuzz.run_chunk("interpreter", 0, 1, 1)
    assert result["boundscheck"] == 1 and result["counts"]["programs"] == 1
    with pytest.raises(RuntimeError, match="BOUNDSCHECK=1"):
        fuzz.run_chunk("compiled", 0, 1, 1)
    monkeypatch.setattr(numba.config, "BOUNDSCHECK", None)
    with pytest.raises(RuntimeError, match="BOUNDSCHECK=None"):
        fuzz.run_chunk("compiled-boundscheck", 0, 1, 1)


def test_report_counts_the_bounds_checked_chunks(fuzz, capsys):
    data = {"compiled-boundscheck generator=1 steps=3 chunk=2": {"chunks": {
        "1": _chunk(1, "aaa", 2) | {"boundscheck": 1}, "2": _chunk(2, "aaa", 2)}}}
    fuzz.report(data, show=0)
    line = next(line for line in capsys.readouterr().out.splitlines() if "aaa:" in line)
    assert line.endswith(", 1 chunks bounds-checked")

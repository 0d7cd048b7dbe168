"""The guides tally's comparison rules (benchmarks/guides_tally.py): what counts as the same
text, and which cells TensorFlow itself prints differently from run to run."""

import importlib.util
from pathlib import Path

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "guides_tally.py"
_spec = importlib.util.spec_from_file_location("guides_tally", _PATH)
tally = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tally)


def test_numbers_that_differ_between_tensorflow_runs_are_wildcards():
    runs = ["loss 0.25\ndone", "loss 0.31\ndone"]
    assert not tally.tf_differs_from_itself(runs)
    assert tally.same_output(runs, "loss 0.9\ndone")
    assert not tally.same_output(runs, "loss 0.9\nfinished")


def test_runs_with_different_line_counts_or_words_are_nondeterministic():
    assert tally.tf_differs_from_itself(["a 1\nb 2", "a 1\nb 2\nb 3"])
    assert tally.tf_differs_from_itself(["1/2 593ms/step", "1/2 2s/step"])
    assert not tally.tf_differs_from_itself(["same", "same", "same"])


def test_nondeterministic_cells_get_the_weaker_check_against_any_run():
    runs = ["x 1\nx 2", "x 1\nx 2\nx 3"]
    assert tally.same_shape_as_one(runs, "x 7\nx 8\nx 9")
    assert not tally.same_shape_as_one(runs, "x 7")
    assert not tally.same_shape_as_one(runs, "y 7\ny 8")


def test_a_nondeterministic_cell_is_counted_apart_not_as_a_difference():
    cells = [{"id": "c0", "source": ""}]
    tf_runs = [[{"status": "ok", "output": out, "error": None}]
               for out in ("r 1\n", "r 1\nr 2\n", "r 1\n")]
    mine = [{"status": "ok", "output": "r 5\nr 6\n", "error": None}]
    report = tally.tally_notebook("g", cells, tf_runs, mine)
    row = report["rows"][0]
    assert row["nondeterministic"] and row["same_shape"] and not row["same"]
    assert "| g | 1 | 1 | 1 | 0 | 1 |" in tally.table([report])


def test_backspaces_erasing_the_progress_line_count_as_its_width_whatever_it_is():
    def fit_output(ms: str) -> str:
        line = f"\x1b[1m1/2\x1b[0m 0s {ms}ms/step"
        width = len(f"1/2 0s {ms}ms/step")
        return f"\r{line}\nprinted meanwhile\n" + "\x08" * width + "\r\x1b[1m2/2\x1b[0m done\n"

    tf_runs = [tally.erasures_as_one(fit_output(ms)) for ms in ("71", "65", "60")]
    assert tally.same_output(tf_runs, tally.erasures_as_one(fit_output("4")))
    # a run of backspaces of any other length is text like any other
    wrong = fit_output("4").replace("\x08" * 13, "\x08" * 12)
    assert not tally.same_output(tf_runs, tally.erasures_as_one(wrong))
    assert tally.erasures_as_one("a\x08\x08b") == "a\x08\x08b"

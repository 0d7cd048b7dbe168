"""Run the own cells on tapeflow and compare what they print with TensorFlow's.

The own cells are the guide cells (cells.py beside this file) and the op cells
(tests/conformance/tf_ops/). `python -m tests.conformance.guides.run` (or
benchmarks/guides_tally.py --own-cells) prints, per guide or op area, how many cells print
exactly the same, and the first difference of each that does not; `--verbose` prints every
failing cell's output beside the expected one; `--guides NAME ...` runs only those.
"""

from __future__ import annotations

import contextlib
import io
import linecache
import sys
import traceback
import warnings
from dataclasses import dataclass

import numpy as np

from tests.conformance.guides.cells import ALL, GUIDES, Cell
from tests.conformance.tf_ops.cells import ALL as OP_CELLS
from tests.conformance.tf_ops.cells import AREAS


@dataclass
class Outcome:
    cell: Cell
    output: str
    error: str | None

    @property
    def same(self) -> bool:
        return self.error is None and self.output == self.cell.expected

    def why(self) -> str:
        if self.error is not None:
            return self.error
        got, want = self.output.splitlines(), self.cell.expected.splitlines()
        for i, (g, w) in enumerate(zip(got, want)):
            if g != w:
                return f"line {i + 1}: printed {g!r}, TensorFlow prints {w!r}"
        return f"printed {len(got)} lines, TensorFlow prints {len(want)}"


def run_cell(cell: Cell) -> Outcome:
    """Execute a cell with stdout and stderr captured together; warnings are recorded."""
    import tapeflow as tf

    buffer = io.StringIO()
    error = None
    namespace = {"tf": tf, "np": np, "__name__": "__guide__"}
    with warnings.catch_warnings(record=True), contextlib.redirect_stdout(buffer), \
            contextlib.redirect_stderr(buffer):
        warnings.simplefilter("always")
        try:
            filename = f"<{cell.guide}: {cell.name}>"
            # As a notebook keeps a cell's source, so inspect.getsource (to_code) reads it.
            linecache.cache[filename] = (len(cell.code), None, cell.code.splitlines(True),
                                         filename)
            exec(compile(cell.code, filename, "exec"), namespace)
        except Exception as e:  # a cell that fails is counted, with its error
            frames = traceback.extract_tb(e.__traceback__)
            where = next((f"{f.filename}:{f.lineno}" for f in reversed(frames)
                          if f.filename.startswith("<")), "")
            error = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''} {where}"
    try:
        tf.config.run_functions_eagerly(False)  # a failed cell must not leak its setting
    except Exception:
        pass
    return Outcome(cell, buffer.getvalue(), error)


def tally(outcomes: list[Outcome]) -> str:
    lines = ["| guide | cells | same as TF |", "| --- | ---: | ---: |"]
    for guide in GUIDES + AREAS:
        mine = [o for o in outcomes if o.cell.guide == guide]
        if not mine:
            continue
        lines.append(f"| {guide} | {len(mine)} | {sum(o.same for o in mine)} |")
    lines.append(f"| all | {len(outcomes)} | {sum(o.same for o in outcomes)} |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    verbose = "--verbose" in argv
    chosen = argv[argv.index("--guides") + 1:] if "--guides" in argv else []
    outcomes = [run_cell(cell) for cell in ALL + OP_CELLS if not chosen or cell.guide in chosen]
    print(tally(outcomes))
    unchecked = [o for o in outcomes if not o.cell.checked]
    if unchecked:
        print(f"\n{len(unchecked)} cell(s) have an expected text with a detail not confirmed "
              "against TensorFlow: " + "; ".join(f"{o.cell.guide}: {o.cell.name}"
                                                  for o in unchecked))
    failing = [o for o in outcomes if not o.same]
    if failing:
        print("\nDifferent from TensorFlow:")
        for o in failing:
            print(f"- {o.cell.guide}: {o.cell.name}: {o.why()}")
            if verbose:
                print("  printed:\n" + "\n".join("    " + s for s in o.output.splitlines()))
                print("  TensorFlow:\n" + "\n".join("    " + s
                                                   for s in o.cell.expected.splitlines()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

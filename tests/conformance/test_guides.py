"""The guide cells (tests/conformance/guides/cells.py) print what TensorFlow prints.

Each cell is one test. Cells that still differ from TensorFlow are listed in KNOWN_GAPS with
the reason, and expected to fail (not strictly: a fix elsewhere turns them green, and then
the entry should go). benchmarks/guides_tally.py prints the tally for the README.
"""

import pytest

from tests.conformance.guides.cells import ALL
from tests.conformance.guides.run import run_cell

KNOWN_GAPS: dict[tuple[str, str], str] = {}


@pytest.mark.parametrize("cell", ALL, ids=lambda c: f"{c.guide}: {c.name}")
def test_cell_prints_what_tensorflow_prints(cell):
    gap = KNOWN_GAPS.get((cell.guide, cell.name))
    if gap is not None:
        pytest.xfail(gap)
    outcome = run_cell(cell)
    assert outcome.same, outcome.why()


def test_known_gaps_name_existing_cells():
    names = {(c.guide, c.name) for c in ALL}
    assert set(KNOWN_GAPS) <= names

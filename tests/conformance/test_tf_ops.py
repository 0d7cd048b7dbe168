"""The op cells (tests/conformance/tf_ops/) print what TensorFlow 2.21 prints.

Each cell is one test; a cell that fails shows the first line that differs from TensorFlow's.
"""

import pytest

from tests.conformance.guides.run import run_cell
from tests.conformance.tf_ops.cells import ALL, AREAS


@pytest.mark.parametrize("cell", ALL, ids=lambda c: f"{c.guide}: {c.name}")
def test_op_cell_prints_what_tensorflow_prints(cell):
    outcome = run_cell(cell)
    assert outcome.same, outcome.why()


def test_cells_are_named_once_per_area():
    names = [(c.guide, c.name) for c in ALL]
    assert len(names) == len(set(names))
    assert {c.guide for c in ALL} <= set(AREAS)

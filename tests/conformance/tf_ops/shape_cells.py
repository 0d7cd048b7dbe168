"""Op cells: shapes (see cells.py for what a cell is and how its text was confirmed)."""

from __future__ import annotations

from tests.conformance.guides.cells import Cell, _cells

CELLS: list[Cell] = _cells(
    "shapes",
)

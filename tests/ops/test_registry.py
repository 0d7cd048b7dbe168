"""The registry contract: every primitive has its rules, a doc line, and rows in the op table.

A primitive exists because its family file registers it (STYLE.md item 5); these tests make a
primitive with a missing rule, an empty doc or no row in `tests/ops/test_op_table.py` fail,
naming the primitive.
"""

from __future__ import annotations

import pytest
from test_op_table import OP_TABLE

import tapeflow  # noqa: F401 - installs the tracer behind `bind`
from tapeflow.ops import PRIMITIVES, Primitive
from tapeflow.ops.core import LoopKernel, Reduction, Scalar

NAMES = sorted(PRIMITIVES)
each_primitive = pytest.mark.parametrize("name", NAMES)


def test_registry_is_not_empty_and_keyed_by_name():
    assert NAMES
    for name, prim in PRIMITIVES.items():
        assert isinstance(prim, Primitive), name
        assert prim.name == name, f"{name!r} is registered under another primitive's name"


@each_primitive
@pytest.mark.parametrize("rule", ["abstract_eval", "impl", "vjp"])
def test_rule_is_registered(name, rule):
    assert callable(getattr(PRIMITIVES[name], rule)), f"primitive {name!r} has no {rule} rule"


@each_primitive
def test_lowering_slot_exists(name):
    assert hasattr(PRIMITIVES[name], "lowering"), f"primitive {name!r} has no lowering slot"


@each_primitive
def test_lowering_is_registered(name):
    lowering = PRIMITIVES[name].lowering
    assert isinstance(lowering, Scalar | Reduction | LoopKernel), f"primitive {name!r} has no Numba lowering"


@each_primitive
def test_doc_is_one_nonempty_line(name):
    doc = PRIMITIVES[name].doc
    assert doc.strip(), f"primitive {name!r} has no doc"
    assert "\n" not in doc.strip(), f"primitive {name!r}: the doc should be one line"


TABLE_NAMES = {row.name for row in OP_TABLE}


@each_primitive
def test_primitive_has_a_row_in_the_op_table(name):
    assert name in TABLE_NAMES, (
        f"primitive {name!r} has no row in tests/ops/test_op_table.py: add an OpCase to "
        "OP_TABLE"
    )


def test_op_table_rows_use_registered_primitives():
    for row in OP_TABLE:
        assert PRIMITIVES.get(row.name) is row.prim, f"row {row.id}: {row.name!r}"

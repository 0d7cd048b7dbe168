"""Symbolic sizes in a saved trace (an input_signature with None sizes, traced once for all
sizes; tapeflow/ops/dims.py).

Such a graph's types and shape params hold size expressions over the trace's symbols, which
the graph JSON writes as the printer prints them: `f32[x.0,3]`, `new_sizes=(2*x.0, 3)`,
`value=(x.0 + 1)//2`. A symbol's name is an argument's path, a dot and an axis number, so it
is not a Python name: reading it back, each symbol the manifest names is swapped for a
placeholder name, the text is parsed as a Python expression, and the expression is evaluated
with `Dim` arithmetic (+, -, *, //, % and unary minus over ints and symbols: nothing else is
evaluated, so a manifest cannot run code). Every occurrence of a name is the same Symbol,
so the loaded graph is specialised per call's sizes exactly as the traced one was, and the
trace's shape guards (saved as expression, relation, expected outcome) say which sizes it is
valid for.
"""

from __future__ import annotations

import ast

from tapeflow.graph.printer import ParseError, _literal
from tapeflow.ops import dims
from tapeflow.ops.core import ShapedArray, dtype_from_short
from tapeflow.runtime.specs import SPEC_HINT

_PLACEHOLDER = "__dim_{}"

_OPS = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
        ast.Mult: lambda a, b: a * b, ast.FloorDiv: lambda a, b: a // b,
        ast.Mod: lambda a, b: a % b}


class SymbolTable:
    """The symbols of one saved trace, by name (the manifest lists the names): the same
    Symbol for every occurrence."""

    def __init__(self, names: list[str]):
        if not all(isinstance(n, str) and n for n in names) or len(set(names)) != len(names):
            raise ParseError(f"bad symbol names {names!r}")
        # The hint only steers decisions a trace takes; a loaded graph takes none.
        self.by_name = {name: dims.Dim.symbol(name, SPEC_HINT) for name in names}
        # Longest first, so a name that contains another is swapped whole.
        self._names = sorted(names, key=len, reverse=True)

    def _substituted(self, text: str) -> tuple[str, dict[str, dims.Dim]]:
        placeholders: dict[str, dims.Dim] = {}
        for k, name in enumerate(self._names):
            if name in text:
                placeholder = _PLACEHOLDER.format(k)
                text = text.replace(name, placeholder)
                placeholders[placeholder] = self.by_name[name]
        return text, placeholders

    def value(self, text: str):
        """A param's or constant's text, with size expressions read as Dims."""
        substituted, names = self._substituted(text)
        try:
            node = ast.parse(substituted, mode="eval").body
        except SyntaxError as e:
            raise ParseError(f"cannot read the value {text!r}: {e.msg}") from None
        return _evaluate(node, names, text)

    def type(self, text: str) -> ShapedArray:
        """A value's type: `f32[x.0,3]`."""
        short, _, rest = text.partition("[")
        dtype = dtype_from_short(short)
        if dtype is None or not rest.endswith("]"):
            raise ParseError(f"cannot read the type {text!r}")
        sizes = [d.strip() for d in rest[:-1].split(",") if d.strip()]
        shape = []
        for size in sizes:
            value = self.value(size)
            if not isinstance(value, int | dims.Dim) or isinstance(value, bool):
                raise ParseError(f"cannot read the size {size!r} of the type {text!r}")
            shape.append(value)
        return ShapedArray(tuple(shape), dtype)


def _evaluate(node, names: dict, text: str):
    if isinstance(node, ast.Name) and node.id in names:
        return names[node.id]
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        left, right = _evaluate(node.left, names, text), _evaluate(node.right, names, text)
        if not all(isinstance(x, int | dims.Dim) and not isinstance(x, bool)
                   for x in (left, right)):
            raise ParseError(f"cannot read the value {text!r}: arithmetic on a non-size")
        if isinstance(node.op, ast.FloorDiv | ast.Mod) and right == 0:
            raise ParseError(f"cannot read the value {text!r}: division by zero")
        return _OPS[type(node.op)](left, right)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        operand = _evaluate(node.operand, names, text)
        return -operand
    if isinstance(node, ast.Tuple):
        return tuple(_evaluate(e, names, text) for e in node.elts)
    if isinstance(node, ast.List):
        return [_evaluate(e, names, text) for e in node.elts]
    return _literal(node, 0)  # numbers, strings, inf/nan, dtype names; ParseError else


def shape_guards_to_json(guards: list) -> list:
    """[[expression, relation, expected], ...] of a trace's shape guards."""
    return [[repr(g.expr), g.relation, bool(g.expected)] for g in guards]


def shape_guards_from_json(entries: list, table: SymbolTable) -> list:
    guards = []
    for expr, relation, expected in entries:
        if relation not in ("==", "<") or not isinstance(expected, bool):
            raise ParseError(f"bad shape guard {[expr, relation, expected]!r}")
        guards.append(dims.ShapeGuard(table.value(expr), relation, expected))
    return guards

"""Symbolic dimensions: the `None` sizes of an `input_signature`, traced once for all sizes.

A `TensorSpec([None, 3])` argument is traced with a `Dim` in its shape: a polynomial over
symbols (one per None axis of the signature) that also carries its *hint*, the size it has
in the call being traced. Shape rules compute with Dims as with ints (`n + 1`, `3 * n`,
`n * m // m`), so a traced graph's shapes and shape parameters are expressions over the
symbols, and a later call specialises the graph by substituting sizes (see
`tapeflow/graph/specialize.py`) instead of running Python again.

What a polynomial cannot settle is decided by the hints and recorded as a *shape guard*,
as PyTorch's dynamic shapes do: broadcasting asks `n == 1`, which is False for the hint 5,
so the trace is valid only where `n != 1`; `int(n)` (Python wants a concrete size: a
numpy allocation, `range`, a slice bound) records `n == 5` and specialises the trace to that
size. Guards live in the active `ShapeEnv`; a call whose sizes break one is traced again.
This keeps every rule written for ints correct: the worst a rule can do is specialise.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tapeflow.perthread import PerThreadList

# A polynomial: ((monomial, coefficient), ...) with monomials as tuples of atoms in a fixed
# order (atoms repeat for powers) and the constant term under the empty monomial. Atoms are
# `Symbol`s or `_Quotient`s (floor division or remainder by a constant that does not divide).
Poly = tuple


class Symbol:
    """One unknown size: an axis of an input_signature that is None."""

    _serials = itertools.count()

    __slots__ = ("name", "serial")

    def __init__(self, name: str):
        self.name = name
        # Symbols are unique per trace, so caches keyed on shapes (the shape-rule memo)
        # never mix the shapes of two traces that happen to use the same name.
        self.serial = next(Symbol._serials)

    def sort_key(self):
        return (0, self.serial)

    def evaluate(self, sizes: dict) -> int:
        return sizes[self]

    def __repr__(self) -> str:
        return self.name


@dataclass(frozen=True, eq=False)
class _Quotient:
    """`numerator // divisor` or `numerator % divisor` where the division is not exact."""

    numerator: Dim
    divisor: int
    op: str  # "//" or "%"

    def sort_key(self):
        return (1, str(self))

    def evaluate(self, sizes: dict) -> int:
        n = self.numerator.evaluate(sizes)
        return n // self.divisor if self.op == "//" else n % self.divisor

    def __eq__(self, other):
        return (isinstance(other, _Quotient) and self.op == other.op
                and self.divisor == other.divisor
                and self.numerator.poly == other.numerator.poly)

    def __hash__(self):
        return hash((self.numerator.poly, self.divisor, self.op))

    def __repr__(self) -> str:
        return f"({self.numerator}){self.op}{self.divisor}"


# --------------------------------------------------------------------------------------------
# Shape guards: the decisions a trace took on its hints
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShapeGuard:
    """`expr` (a Dim, or an int) compared with 0 by `relation` was `expected` in the trace."""

    expr: Any
    relation: str  # "==" or "<"
    expected: bool
    source: tuple[str, int] | None = None

    def holds(self, sizes: dict) -> bool:
        value = evaluate(self.expr, sizes)
        result = value == 0 if self.relation == "==" else value < 0
        return result == self.expected

    def __str__(self) -> str:
        """`y.0 == x.0`, `x.0 != 1`: the terms of `expr` moved to the side they read on."""
        relation = {("==", True): "==", ("==", False): "!=",
                    ("<", True): "<", ("<", False): ">="}[self.relation, self.expected]
        poly = self.expr.poly if isinstance(self.expr, Dim) else _poly_of(self.expr)
        left = _make(tuple((m, c) for m, c in poly if c > 0), 0)
        right = _make(tuple((m, -c) for m, c in poly if c < 0), 0)
        return f"{left} {relation} {right}"


@dataclass
class ShapeEnv:
    """The shape guards one trace recorded; active while the trace runs. `where()` names
    the user's line that made a decision (the tracer supplies it)."""

    where: Callable[[], tuple[str, int] | None] = lambda: None
    guards: list[ShapeGuard] = field(default_factory=list)

    def record(self, expr, relation: str, expected: bool) -> None:
        if all((g.expr.poly, g.relation) != (expr.poly, relation) for g in self.guards):
            self.guards.append(ShapeGuard(expr, relation, expected, self.where()))


# The shape environments of the traces running on this thread.
_envs: PerThreadList = PerThreadList()


def push_env(env: ShapeEnv) -> None:
    _envs.append(env)


def pop_env(env: ShapeEnv) -> None:
    _envs.remove(env)


def symbolic_active() -> bool:
    """True while a trace with symbolic dimensions runs (Tensor.shape then shows None)."""
    return bool(_envs.local.items)


def _decide(diff: Dim, relation: str) -> bool:
    """Settle `diff == 0` or `diff < 0`: from the polynomial when its sign is known (sizes
    are never negative), else by the hint, recording the decision."""
    low = diff.lower_bound()
    if low is not None and (low > 0 or relation == "<"):
        return False  # diff >= low >= 0: never negative, and never zero when low > 0
    result = diff.hint == 0 if relation == "==" else diff.hint < 0
    if _envs:
        _envs[-1].record(diff, relation, result)
    return result


# --------------------------------------------------------------------------------------------
# Dim
# --------------------------------------------------------------------------------------------


def _poly_add(a: Poly, b: Poly, sign: int = 1) -> Poly:
    terms: dict = {}
    for mono, c in a:
        terms[mono] = terms.get(mono, 0) + c
    for mono, c in b:
        terms[mono] = terms.get(mono, 0) + sign * c
    return _canonical(terms)


def _poly_mul(a: Poly, b: Poly) -> Poly:
    terms: dict = {}
    for ma, ca in a:
        for mb, cb in b:
            mono = tuple(sorted(ma + mb, key=lambda atom: atom.sort_key()))
            terms[mono] = terms.get(mono, 0) + ca * cb
    return _canonical(terms)


def _canonical(terms: dict) -> Poly:
    kept = [(m, c) for m, c in terms.items() if c != 0]
    return tuple(sorted(kept, key=lambda mc: (len(mc[0]), [a.sort_key() for a in mc[0]])))


def _poly_of(x) -> Poly:
    if isinstance(x, Dim):
        return x.poly
    return (((), int(x)),) if x != 0 else ()


def _make(poly: Poly, hint: int):
    """A Dim, or a plain int when the polynomial is a constant."""
    if not poly:
        return 0
    if len(poly) == 1 and poly[0][0] == ():
        return poly[0][1]
    return Dim(poly, hint)


def _is_int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


class Dim:
    """A size known only as an expression over symbols (see the module docstring)."""

    __slots__ = ("hint", "poly")

    def __init__(self, poly: Poly, hint: int):
        self.poly = poly
        self.hint = int(hint)

    @staticmethod
    def symbol(name: str, hint: int) -> Dim:
        return Dim((((Symbol(name),), 1),), hint)  # one term: the symbol, coefficient 1

    # ---- arithmetic: exact, so no guard ------------------------------------------------------

    def __add__(self, other):
        if not (_is_int(other) or isinstance(other, Dim)):
            return NotImplemented
        return _make(_poly_add(self.poly, _poly_of(other)), self.hint + hint_of(other))

    __radd__ = __add__

    def __sub__(self, other):
        if not (_is_int(other) or isinstance(other, Dim)):
            return NotImplemented
        return _make(_poly_add(self.poly, _poly_of(other), -1), self.hint - hint_of(other))

    def __rsub__(self, other):
        if not _is_int(other):
            return NotImplemented
        return _make(_poly_add(_poly_of(other), self.poly, -1), other - self.hint)

    def __neg__(self):
        return 0 - self

    def __mul__(self, other):
        if not (_is_int(other) or isinstance(other, Dim)):
            return NotImplemented
        return _make(_poly_mul(self.poly, _poly_of(other)), self.hint * hint_of(other))

    __rmul__ = __mul__

    def __floordiv__(self, other):
        if isinstance(other, Dim):
            # n*m // m: exact when the divisor's polynomial divides every term.
            quotient = _divide_by_monomial(self.poly, other.poly)
            if quotient is not None:
                return _make(quotient, self.hint // other.hint)
            return self.__floordiv__(int(other))  # specialises the divisor
        if not _is_int(other):
            return NotImplemented
        if other == 0:
            raise ZeroDivisionError("integer division of a dimension by zero")
        if all(c % other == 0 for _, c in self.poly):
            return _make(tuple((m, c // other) for m, c in self.poly), self.hint // other)
        return Dim((((_Quotient(self, other, "//"),), 1),), self.hint // other)

    def __mod__(self, other):
        if not _is_int(other):
            return self.__mod__(int(other)) if isinstance(other, Dim) else NotImplemented
        if all(c % other == 0 for _, c in self.poly):
            return 0
        return Dim((((_Quotient(self, other, "%"),), 1),), self.hint % other)

    # ---- comparisons: symbolic when the difference is a constant, else a guard -------------

    def __eq__(self, other):
        if other is None or not (_is_int(other) or isinstance(other, Dim)):
            return NotImplemented
        diff = self - other
        if _is_int(diff):
            return diff == 0
        return _decide(diff, "==")

    def __ne__(self, other):
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __lt__(self, other):
        if not (_is_int(other) or isinstance(other, Dim)):
            return NotImplemented
        diff = self - other
        return diff < 0 if _is_int(diff) else _decide(diff, "<")

    def __gt__(self, other):
        if not (_is_int(other) or isinstance(other, Dim)):
            return NotImplemented
        diff = other - self
        return diff < 0 if _is_int(diff) else _decide(diff, "<")

    def __le__(self, other):
        greater = self.__gt__(other)
        return greater if greater is NotImplemented else not greater

    def __ge__(self, other):
        less = self.__lt__(other)
        return less if less is NotImplemented else not less

    def __bool__(self):
        return self != 0

    def __hash__(self):
        return hash((self.poly, self.hint))

    # ---- leaving the symbolic world: specialise ---------------------------------------------

    def __index__(self) -> int:
        """Python needs a concrete size (an allocation, range(), a slice bound): this trace
        is then valid only for the size it saw."""
        if _envs:
            _decide(self - self.hint, "==")
        return self.hint

    __int__ = __index__

    def lower_bound(self) -> int | None:
        """A bound the value never goes below for any sizes, when the polynomial shows one:
        with every coefficient >= 0 over atoms that are >= 0 it is the constant term."""
        constant = 0
        for mono, c in self.poly:
            if not mono:
                constant = c
            elif c < 0 or not all(_nonnegative(atom) for atom in mono):
                return None
        return constant

    def evaluate(self, sizes: dict) -> int:
        total = 0
        for mono, c in self.poly:
            term = c
            for atom in mono:
                term *= atom.evaluate(sizes)
            total += term
        return total

    def symbols(self) -> list[Symbol]:
        out: list[Symbol] = []
        for mono, _ in self.poly:
            for atom in mono:
                found = [atom] if isinstance(atom, Symbol) else atom.numerator.symbols()
                out.extend(s for s in found if s not in out)
        return out

    def __repr__(self) -> str:
        parts = []
        for mono, c in reversed(self.poly):  # highest degree first
            names = "*".join(map(repr, mono))
            if not mono:
                parts.append(str(c))
            elif c == 1:
                parts.append(names)
            elif c == -1:
                parts.append(f"-{names}")
            else:
                parts.append(f"{c}*{names}")
        return " + ".join(parts).replace("+ -", "- ")


def _nonnegative(atom) -> bool:
    if isinstance(atom, Symbol):
        return True  # a size
    if atom.op == "%":
        return atom.divisor > 0
    low = atom.numerator.lower_bound()
    return atom.divisor > 0 and low is not None and low >= 0


def _divide_by_monomial(poly: Poly, divisor: Poly) -> Poly | None:
    """poly / divisor when the divisor is one monomial that divides every term exactly."""
    if len(divisor) != 1:
        return None
    (dmono, dc), = divisor
    out = []
    for mono, c in poly:
        rest = list(mono)
        for atom in dmono:
            if atom not in rest:
                return None
            rest.remove(atom)
        if c % dc:
            return None
        out.append((tuple(rest), c // dc))
    return _canonical(dict(out))


# --------------------------------------------------------------------------------------------
# Helpers over shapes that may hold Dims
# --------------------------------------------------------------------------------------------


def hint_of(d) -> int:
    return d.hint if isinstance(d, Dim) else int(d)


def as_size(d):
    """A size an op was given, as it stores it: a Dim stays symbolic, anything else int()."""
    return d if isinstance(d, Dim) else int(d)


def evaluate(d, sizes: dict) -> int:
    return d.evaluate(sizes) if isinstance(d, Dim) else d


def same_size(a, b) -> bool:
    """a and b are the same size for every call (equal ints, or equal polynomials). Unlike
    `==` this asks nothing of the hints, so no-op checks (`broadcast_to` to its own shape)
    never narrow a trace: where the answer is "not known", the op is simply kept."""
    if isinstance(a, Dim) or isinstance(b, Dim):
        return isinstance(a, Dim) and isinstance(b, Dim) and a.poly == b.poly
    return a == b


def same_shape(a, b) -> bool:
    return len(a) == len(b) and all(same_size(x, y) for x, y in zip(a, b))


def is_symbolic(shape) -> bool:
    return any(isinstance(d, Dim) for d in shape)


def hints(shape) -> tuple[int, ...]:
    """The concrete shape a symbolic one had in the trace."""
    return tuple(d.hint if isinstance(d, Dim) else d for d in shape)


def public_shape(shape) -> tuple:
    """What Python sees as `tensor.shape`: None for a symbolic size, as TensorFlow."""
    return tuple(None if isinstance(d, Dim) else d for d in shape)


def substitute(value, sizes: dict):
    """`value` (a param: an int, a Dim, or nested tuples/lists of them) with sizes put in."""
    if isinstance(value, Dim):
        return value.evaluate(sizes)
    if isinstance(value, tuple):
        return tuple(substitute(v, sizes) for v in value)
    if isinstance(value, list):
        return [substitute(v, sizes) for v in value]
    return value


def concretize(value):
    """`value` with every Dim replaced by its hint (what an eager kernel computes with)."""
    if isinstance(value, Dim):
        return value.hint
    if isinstance(value, tuple):
        return tuple(concretize(v) for v in value)
    if isinstance(value, list):
        return [concretize(v) for v in value]
    return value


def holds_dims(value) -> bool:
    if isinstance(value, Dim):
        return True
    if isinstance(value, tuple | list):
        return any(holds_dims(v) for v in value)
    return False

"""Symbolic sizes: exact polynomial arithmetic, and decisions recorded as shape guards."""

import pytest

from tapeflow.ops import dims
from tapeflow.ops.dims import Dim, ShapeEnv


@pytest.fixture
def env():
    env = ShapeEnv()
    dims.push_env(env)
    yield env
    dims.pop_env(env)


def test_arithmetic_is_exact_and_constants_collapse_to_ints():
    n, m = Dim.symbol("n", 5), Dim.symbol("m", 3)
    assert (n + 1 - 1).poly == n.poly
    assert n - n == 0 and type(n - n) is int
    assert ((3 * n) // 3).poly == n.poly
    assert ((n * m) // m).poly == n.poly
    assert (n * m).hint == 15 and (2 * n + m).hint == 13
    assert str(2 * n - 1) == "2*n - 1"
    assert str(n * m + 4) == "n*m + 4"  # atoms in creation order


def test_inexact_division_is_an_atom_that_evaluates_per_call():
    n = Dim.symbol("n", 7)
    half = (n + 1) // 2
    assert half.hint == 4
    symbol = n.symbols()[0]
    assert half.evaluate({symbol: 10}) == 5
    assert (n % 3).evaluate({symbol: 10}) == 1
    assert (3 * n) % 3 == 0


def test_comparisons_settled_by_the_polynomial_record_nothing(env):
    n = Dim.symbol("n", 5)
    same = n + 0
    assert n == same and not n != same  # noqa: SIM202 - both operators are under test
    assert n + 1 > n and n >= 0 and not (n < 0)
    assert n + 1 != 0  # a size plus one is never zero
    assert env.guards == []


def test_comparisons_decided_by_the_hint_become_guards(env):
    n, m = Dim.symbol("n", 5), Dim.symbol("m", 5)
    assert n != 1
    assert n == m
    assert [str(g) for g in env.guards] == ["n != 1", "n == m"]
    (sym_n,), (sym_m,) = n.symbols(), m.symbols()
    assert all(g.holds({sym_n: 8, sym_m: 8}) for g in env.guards)
    assert not all(g.holds({sym_n: 1, sym_m: 1}) for g in env.guards)
    assert not all(g.holds({sym_n: 8, sym_m: 9}) for g in env.guards)


def test_a_python_int_of_a_size_specialises_the_trace(env):
    n = Dim.symbol("n", 5)
    assert int(n) == 5 and list(range(n)) == [0, 1, 2, 3, 4]
    assert [str(g) for g in env.guards] == ["n == 5"]


def test_same_size_never_asks_the_hint(env):
    n = Dim.symbol("n", 1)
    assert dims.same_shape((n, 3), (n, 3))
    assert not dims.same_size(n, 1)  # equal in this trace, not for every call
    assert env.guards == []


def test_substitute_and_concretize_walk_nested_params():
    n = Dim.symbol("n", 5)
    (symbol,) = n.symbols()
    params = ((0, n, 1), (0, 2 * n, 2))
    assert dims.substitute(params, {symbol: 3}) == ((0, 3, 1), (0, 6, 2))
    assert dims.concretize(params) == ((0, 5, 1), (0, 10, 2))
    assert dims.holds_dims(params) and not dims.holds_dims(((0, 5, 1),))
    assert dims.public_shape((n, 3)) == (None, 3)

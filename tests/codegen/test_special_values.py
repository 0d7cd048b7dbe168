"""Compiled (Numba) == eager on special values: nan, +-inf, +-0, denormals, overflow and the
integer extremes, for every elementwise primitive, every reduction and the gradients of the
differentiable ones; integer division by zero raises as it does eagerly.

How: one graph per dtype applies every primitive of a kind to the same vector of special
values (for binary primitives, to every pair of them, by broadcasting a column against a
row), compiled once with `compile_graph`, as the op table's check d does for its rows (its
`_single_eqn_graph` builds one equation; `_graph` here builds several side by side, so a
dtype costs one Numba compile and not one per primitive). The reference is the reference
interpreter, which runs the eager numpy kernels, so "eager" means what `bind` computes.

What counts as equal (`assert_matches_eager`): nan at the same places, infinities at the same
places with the same signs, zeros with the same sign (numpy keeps it: 1/x tells -0.0 from
0.0), other values within a number of ulp that is 0 for exact operations and small for the
transcendental ones (vecmath's and libm's rounding differ from numpy's by an ulp or two).

Compiled code has no fastmath flags (emit.FASTMATH), so the tests compare signs of zero
strictly. The one place where eager's sign of zero is itself not fixed is a tie of
np.maximum/np.minimum (-0.0 against 0.0): numpy on x86-64 returns the second operand, NEON's
fmax returns +0.0 either way; those ties are compared as numbers (-0.0 == 0.0).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.codegen.compile import compile_graph
from tapeflow.codegen.loops import TRIG_BEYOND_EXACT
from tapeflow.codegen.vecmath import TRIG_EXACT_MAX
from tapeflow.graph.interp import evaluate
from tapeflow.graph.ir import Eqn, Graph, make_params, new_var
from tapeflow.ops.core import PRIMITIVES, InvalidArgumentError, Reduction, Scalar, ShapedArray

pytestmark = pytest.mark.slow

F32, F64 = np.dtype(np.float32), np.dtype(np.float64)
I32, I64, BOOL = np.dtype(np.int32), np.dtype(np.int64), np.dtype(np.bool_)
FLOATS = [F32, F64]
INTS = [I32, I64]

SCALAR_PRIMITIVES = {n for n, p in PRIMITIVES.items() if isinstance(p.lowering, Scalar)}
REDUCTIONS = {n for n, p in PRIMITIVES.items() if isinstance(p.lowering, Reduction)}


# --------------------------------------------------------------------------------------------
# Special values
# --------------------------------------------------------------------------------------------


def special_floats(dtype) -> np.ndarray:
    """Every kind of float that has its own rule somewhere, plus the thresholds where exp,
    tanh and sigmoid overflow, saturate or underflow into denormals."""
    fi = np.finfo(dtype)
    tiny_normal = 1e-30 if dtype == F32 else 1e-300  # its reciprocal is still finite
    values = [
        np.nan, np.inf, -np.inf,
        -0.0, 0.0,
        1.0, -1.0, 0.5, -2.5, 3.0, 1e-8, -1e-8, math.pi / 2, 20.0, -20.0, 1e10, -1e10,
        fi.smallest_subnormal, -3 * fi.smallest_subnormal,  # denormals
        fi.tiny, -fi.tiny, tiny_normal,  # the smallest normal numbers
        fi.max, -fi.max,  # overflow for any growing function
        89.0, 104.0, -104.0, 710.0, 750.0, -750.0,  # exp overflows/underflows (f32, f64)
    ]
    return np.array(values, dtype=dtype)


def pair_floats(dtype) -> np.ndarray:
    """Fewer values for binary primitives, which see every ordered pair of them."""
    fi = np.finfo(dtype)
    values = [np.nan, np.inf, -np.inf, -0.0, 0.0, 1.0, -1.0, 2.5, -3.0, 7.0,
              fi.smallest_subnormal, -3 * fi.smallest_subnormal, fi.tiny, fi.max, -fi.max]
    return np.array(values, dtype=dtype)


def special_ints(dtype) -> np.ndarray:
    info = np.iinfo(dtype)
    values = [info.min, info.min + 1, -7, -2, -1, 0, 1, 2, 3, 7, info.max - 1, info.max]
    return np.array(values, dtype=dtype)


# sin/cos: a loop hands arguments above |x| = TRIG_EXACT_MAX back to numpy (see
# test_sin_cos_of_huge_arguments below); compiled code alone is compared below it.
TRIG_MAX = TRIG_EXACT_MAX


# --------------------------------------------------------------------------------------------
# Graphs of several primitives, compiled once
# --------------------------------------------------------------------------------------------


def _graph(inputs: list[np.ndarray], apps: list[tuple]) -> Graph:
    """A graph applying each `(primitive name, operand numbers, params)` of `apps`; operand
    number k is input k, or for k >= len(inputs) the result of application k - len(inputs)
    (so chains can be fused). Every application's result is an output."""
    env = [new_var(ShapedArray(x.shape, x.dtype)) for x in inputs]
    graph_inputs = tuple(env)
    eqns = []
    for name, operands, params in apps:
        prim = PRIMITIVES[name]
        args = tuple(env[k] for k in operands)
        (aval,) = prim.out_avals(tuple(v.aval for v in args), params)
        out = new_var(aval)
        eqns.append(Eqn(prim, args, (out,), make_params(params)))
        env.append(out)
    return Graph(graph_inputs, tuple(eqns), tuple(env[len(inputs):]))


def compiled_and_eager(inputs, apps, cache_dir):
    """(compiled outputs, eager outputs) of `_graph(inputs, apps)`."""
    graph = _graph(inputs, apps)
    got = compile_graph(graph, cache_dir=cache_dir)(*inputs)
    with np.errstate(all="ignore"):  # the eager kernels are quiet too; this is numpy's view
        want = evaluate(graph, inputs)
    return got, want


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("special_values_kernels")


# --------------------------------------------------------------------------------------------
# The comparison
# --------------------------------------------------------------------------------------------


def assert_matches_eager(got, want, *, what: str, inputs=(), ulps: float = 0,
                         rtol: float = 0, zero_ties_signed: bool = True):
    """`got` (compiled) == `want` (eager) as the module docstring defines it. `inputs` are
    the operands (broadcastable to the result), named in the message at each mismatch.
    Finite values may differ by `ulps` ulp or by `rtol` relative to the eager value."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, f"{what}: shape {got.shape}, eager {want.shape}"
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype}, eager {want.dtype}"
    if want.dtype.kind != "f":
        bad = got != want
    else:
        nan_g, nan_w = np.isnan(got), np.isnan(want)
        finite = np.isfinite(got) & np.isfinite(want)
        # Error in ulp of the eager value; spacing() of a denormal is the smallest denormal.
        with np.errstate(all="ignore"):
            error = np.abs(got.astype(np.float64) - want) / np.spacing(np.abs(want)).astype(
                np.float64)
        bad = nan_g != nan_w
        bad |= ~nan_g & ~nan_w & ~finite & (got != want)  # an inf (sign included) differs
        with np.errstate(all="ignore"):
            relative = np.abs(got.astype(np.float64) - want) / np.abs(want)
        bad |= finite & (error > ulps) & ~(relative <= rtol)
        zeros = finite & (got == 0) & (want == 0)
        if zero_ties_signed:
            bad |= zeros & (np.signbit(got) != np.signbit(want))
    if np.any(bad):
        operands = np.broadcast_arrays(*inputs, want) if inputs else [want]
        lines = []
        for index in list(zip(*np.nonzero(np.atleast_1d(bad))))[:8]:
            at = index if want.ndim else ()
            args = ", ".join(repr(op[at]) for op in operands[:-1])
            lines.append(f"  at {at}: f({args}) = {got[at]!r}, eager {want[at]!r}")
        count = int(np.count_nonzero(bad))
        raise AssertionError(f"{what}: {count} element(s) differ from eager\n" +
                             "\n".join(lines))


# --------------------------------------------------------------------------------------------
# Elementwise primitives on floats
# --------------------------------------------------------------------------------------------

# Unary float primitives and the ulp their compiled value may differ from numpy's: 0 where
# both compute the exactly rounded result; vecmath kernels are within 2 ulp of the correctly
# rounded value (vecmath.py's table), numpy within 1, so 4 covers both; tan is libm's.
UNARY_FLOAT = {
    "neg": 0, "abs": 0, "sign": 0, "identity": 0, "stop_gradient": 0, "sqrt": 0,
    "exp": 4, "log": 4, "log1p": 4, "sin": 4, "cos": 4, "tan": 4, "tanh": 4,
    "logistic": 4, "softplus": 4,
    # ops/mathops.py: libm's (math.*) or numpy's own scalar loops in both; rounding is exact.
    "expm1": 4, "erf": 4, "erfc": 4, "sinh": 4, "cosh": 4, "asin": 4, "acos": 4, "atan": 4,
    "asinh": 4, "acosh": 4, "atanh": 4, "floor": 0, "ceil": 0, "round": 0,
    # ops/special.py: Numba's math.lgamma against scipy's gammaln, which differ by up to
    # 8 ulp for negative x (log|Gamma| near its poles; lgamma(-2.5) is 8 ulp apart).
    "lgamma": 8,
}
# Broadcasting binary float primitives (exact in both: IEEE operations, libm's pow).
BINARY_FLOAT = {
    "add": 0, "sub": 0, "mul": 0, "div": 0, "pow": 1, "max": 0, "min": 0,
    "floordiv": 0, "mod": 0, "eq": 0, "ne": 0, "lt": 0, "le": 0, "gt": 0, "ge": 0,
    "atan2": 4, "mul_no_nan": 0,
}
# cast targets exercised on special floats: float <-> float and to bool. A cast of nan, inf
# or an out-of-range float to an integer is undefined in C and in LLVM (`fptosi` gives
# poison) and numpy warns "invalid value"; neither side has a defined answer to compare.
FLOAT_CAST_TARGETS = [F32, F64, BOOL]
# The remaining Scalar primitives, tested with bools and integers below or elsewhere.
OTHER_SCALAR = {"logical_not", "logical_and", "logical_or", "select", "cast", "broadcast_to",
                "custom_gradient",
                # Integer bit operations and complex values (which run on the interpreter):
                # tests/ops/test_math2.py.
                "bitwise_and", "bitwise_or", "bitwise_xor", "invert", "complex", "real",
                "imag", "angle", "conj"}


def test_every_scalar_primitive_is_covered():
    # A new elementwise primitive needs a row in one of the tables of this file.
    covered = set(UNARY_FLOAT) | set(BINARY_FLOAT) | OTHER_SCALAR
    assert SCALAR_PRIMITIVES <= covered, sorted(SCALAR_PRIMITIVES - covered)
    assert REDUCTIONS == {"reduce_sum", "reduce_max", "reduce_min", "reduce_prod"}


@pytest.mark.parametrize("dtype", FLOATS, ids=str)
def test_unary_float_primitives_on_special_values(dtype, cache_dir):
    x = special_floats(dtype)
    trig_x = x[~(np.abs(x) > TRIG_MAX)]  # keeps nan
    apps = [(name, (1,) if name in ("sin", "cos") else (0,), {}) for name in UNARY_FLOAT]
    apps += [("cast", (0,), {"dtype": target}) for target in FLOAT_CAST_TARGETS]
    got, want = compiled_and_eager([x, trig_x], apps, cache_dir)
    names = list(UNARY_FLOAT) + [f"cast to {t}" for t in FLOAT_CAST_TARGETS]
    for name, (_, operands, _), g, w in zip(names, apps, got, want):
        operand = trig_x if operands == (1,) else x
        assert_matches_eager(g, w, what=f"{name} ({dtype})", inputs=[operand],
                             ulps=UNARY_FLOAT.get(name, 0))


@pytest.mark.parametrize("dtype", FLOATS, ids=str)
def test_binary_float_primitives_on_every_pair_of_special_values(dtype, cache_dir):
    v = pair_floats(dtype)
    column, row = v[:, None], v[None, :]
    # Both orientations: with the column as divisor, 1/y is loop-invariant in the inner
    # loop, where 'arcp' would let LLVM multiply by a hoisted reciprocal (1/denormal = inf).
    apps = [(name, (0, 1), {}) for name in BINARY_FLOAT]
    apps += [(name, (1, 0), {}) for name in BINARY_FLOAT]
    got, want = compiled_and_eager([column, row], apps, cache_dir)
    for (name, operands, _), g, w in zip(apps, got, want):
        x, y = [(column, row)[k] for k in operands]
        assert_matches_eager(g, w, what=f"{name} ({dtype}, x {x.shape}, y {y.shape})",
                             inputs=[x, y], ulps=BINARY_FLOAT[name],
                             zero_ties_signed=name not in ("max", "min"))


@pytest.mark.parametrize("dtype", FLOATS, ids=str)
def test_select_and_comparisons_feeding_it_on_special_values(dtype, cache_dir):
    # where(x > y, x, y) and where(x != x, y, x): nan comparisons must stay false (no 'nnan').
    v = pair_floats(dtype)
    column, row = v[:, None], v[None, :]
    apps = [("gt", (0, 1), {}), ("select", (2, 0, 1), {}),
            ("ne", (0, 0), {}), ("select", (4, 1, 0), {})]
    got, want = compiled_and_eager([column, row], apps, cache_dir)
    for (name, _, _), g, w in zip(apps, got, want):
        assert_matches_eager(g, w, what=f"{name} ({dtype})", inputs=[column, row])


# --------------------------------------------------------------------------------------------
# Elementwise primitives on integers and bools
# --------------------------------------------------------------------------------------------

UNARY_INT = ["neg", "abs", "sign", "identity", "stop_gradient"]
BINARY_INT = ["add", "sub", "mul", "max", "min", "eq", "ne", "lt", "le", "gt", "ge"]


@pytest.mark.parametrize("dtype", INTS, ids=str)
def test_integer_primitives_at_the_extremes(dtype, cache_dir):
    # numpy wraps around on overflow (MAX + 1 = MIN, -MIN = MIN, abs(MIN) = MIN); compiled
    # code must wrap the same way.
    v = special_ints(dtype)
    column, row = v[:, None], v[None, :]
    # Divisors without 0 (its error: test_integer_division_by_zero_raises_as_eagerly) and
    # without -1 (MIN // -1: test_integer_floordiv_of_min_by_minus_one_wraps).
    divisors = v[(v != 0) & (v != -1)][None, :]
    exponents = np.array([0, 1, 2, 3, 31, 62, 63], dtype)[None, :]
    other = I64 if dtype == I32 else I32
    apps = [(name, (0,), {}) for name in UNARY_INT]
    apps += [(name, (0, 1), {}) for name in BINARY_INT]
    apps += [("floordiv", (0, 2), {}), ("mod", (0, 2), {}), ("pow", (0, 3), {})]
    apps += [("cast", (0,), {"dtype": t}) for t in (F32, F64, BOOL, other)]
    got, want = compiled_and_eager([column, row, divisors, exponents], apps, cache_dir)
    operand_arrays = [column, row, divisors, exponents]
    for (name, operands, params), g, w in zip(apps, got, want):
        assert_matches_eager(g, w, what=f"{name}{params or ''} ({dtype})",
                             inputs=[operand_arrays[k] for k in operands])


@pytest.mark.parametrize("dtype", INTS, ids=str)
def test_integer_overflow_wraps_inside_fused_loops(dtype, cache_dir):
    # Numba computes int32 + int32 in int64: an intermediate that stays in a register of a
    # fused loop would then not wrap, and the comparison after it would see 2**31 where
    # numpy sees MIN. Each overflow feeds a comparison in the same loop.
    info = np.iinfo(dtype)
    x = np.array([info.max, info.min, 5], dtype)
    one = np.array([1, 1, 1], dtype)
    zero = np.zeros(3, dtype)
    three = np.array([3, 3, 3], dtype)
    apps = [
        ("add", (0, 1), {}), ("lt", (4, 2), {}),  # MAX + 1 < 0
        ("sub", (2, 0), {}), ("gt", (6, 2), {}),  # 0 - MIN > 0
        ("neg", (0,), {}), ("gt", (8, 2), {}),  # -MIN > 0
        ("mul", (0, 0), {}), ("eq", (10, 1), {}),  # MAX * MAX == 1
        ("pow", (0, 3), {}), ("eq", (12, 0), {}),  # MAX ** 3 == MAX
        ("abs", (0,), {}), ("lt", (14, 2), {}),  # abs(MIN) < 0
        ("add", (0, 1), {}), ("max", (16, 2), {}),  # max(MAX + 1, 0)
    ]
    inputs = [x, one, zero, three]
    got, want = compiled_and_eager(inputs, apps, cache_dir)
    for (name, operands, _), g, w in zip(apps, got, want):
        assert_matches_eager(g, w, what=f"{name}{operands} ({dtype})")


def test_bool_primitives(cache_dir):
    a = np.array([True, True, False, False])
    b = np.array([True, False, True, False])
    apps = [("logical_not", (0,), {}), ("logical_and", (0, 1), {}), ("logical_or", (0, 1), {}),
            ("eq", (0, 1), {}), ("ne", (0, 1), {}), ("select", (0, 0, 1), {}),
            ("cast", (0,), {"dtype": F32}), ("cast", (0,), {"dtype": I32})]
    got, want = compiled_and_eager([a, b], apps, cache_dir)
    for (name, _, _), g, w in zip(apps, got, want):
        assert_matches_eager(g, w, what=name)


# Both forms: one function, and kernel by kernel (whose loop kernels compile without Numba's
# reference counting: codegen/kernels.py; their raises must not need it).
MODES = pytest.mark.parametrize("mode", [None, "kernels"], ids=["auto", "kernels"])


@MODES
@pytest.mark.parametrize("dtype", INTS, ids=str)
def test_integer_power_with_a_negative_exponent_raises_as_eagerly(dtype, mode, cache_dir):
    x = np.array([2, 3], dtype)
    y = np.array([1, -1], dtype)
    graph = _graph([x, y], [("pow", (0, 1), {})])
    with pytest.raises(InvalidArgumentError, match="negative integer powers"):
        evaluate(graph, [x, y])
    kernel = compile_graph(graph, cache_dir=cache_dir, mode=mode)
    with pytest.raises(InvalidArgumentError, match="negative integer powers"):
        kernel(x, y)


@MODES
@pytest.mark.parametrize("name", ["floordiv", "mod"])
@pytest.mark.parametrize("dtype", INTS, ids=str)
def test_integer_division_by_zero_raises_as_eagerly(dtype, name, mode, cache_dir):
    # Eager tapeflow raises TF's InvalidArgumentError "integer division by zero" (numpy alone
    # would give 0 with a RuntimeWarning); compiled code must raise the same.
    x = np.array([7, -7, 0], dtype)
    y = np.array([2, 0, 3], dtype)
    graph = _graph([x, y], [(name, (0, 1), {})])
    with pytest.raises(InvalidArgumentError, match="integer division by zero"):
        evaluate(graph, [x, y])
    kernel = compile_graph(graph, cache_dir=cache_dir, mode=mode)
    with pytest.raises(InvalidArgumentError, match=f"{name}: integer division by zero"):
        kernel(x, y)


@pytest.mark.parametrize("dtype", INTS, ids=str)
def test_integer_floordiv_of_min_by_minus_one_wraps(dtype, cache_dir):
    # MIN // -1 = -MIN overflows to MIN in numpy. Stored straight to an int32 array the
    # int64 quotient wraps too; compared inside the loop, or in int64, it does not.
    info = np.iinfo(dtype)
    x = np.array([info.min, info.max, -7], dtype)
    minus_one = np.array([-1, -1, -1], dtype)
    zero = np.zeros(3, dtype)
    apps = [("floordiv", (0, 1), {}), ("lt", (3, 2), {}), ("mod", (0, 1), {})]
    got, want = compiled_and_eager([x, minus_one, zero], apps, cache_dir)
    for (name, _, _), g, w in zip(apps, got, want):
        assert_matches_eager(g, w, what=f"{name} ({dtype})")


@pytest.mark.parametrize("dtype", INTS, ids=str)
def test_prelude_integer_division(dtype):
    # The helpers the floordiv/mod lowerings are to call, in a loop compiled as generated
    # code is (emit's fastmath set and error model).
    import numba

    from tapeflow.codegen.emit import FASTMATH
    from tapeflow.codegen.prelude import _floordiv, _mod

    @numba.njit(fastmath=set(FASTMATH) or False, error_model="numpy")
    def divide_all(x, y, q, r, below_zero):
        for i in range(x.size):
            quotient = _floordiv(x[i], y[i])
            q[i] = quotient
            r[i] = _mod(x[i], y[i])
            below_zero[i] = quotient < 0  # sees the wrapped quotient, as numpy does

    v = special_ints(dtype)
    x = np.repeat(v, v.size - 1)
    y = np.tile(v[v != 0], v.size)
    q, r, below_zero = np.empty_like(x), np.empty_like(x), np.empty(x.size, bool)
    divide_all(x, y, q, r, below_zero)
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(q, np.floor_divide(x, y))
        np.testing.assert_array_equal(r, np.mod(x, y))
        np.testing.assert_array_equal(below_zero, np.floor_divide(x, y) < 0)
    for divisor_at in (0, 2):
        y_zero = y[:3].copy()
        y_zero[divisor_at] = 0
        with pytest.raises(InvalidArgumentError, match="floordiv: integer division by zero"):
            divide_all(x[:3], y_zero, q[:3], r[:3], below_zero[:3])

    # Floats keep numpy's floor_divide and mod (inf and nan, no error).
    @numba.njit(fastmath=set(FASTMATH) or False, error_model="numpy")
    def divide_floats(x, y):
        return _floordiv(x, y), _mod(x, y)

    for a, b in [(1.0, 0.0), (-1.0, 0.0), (0.0, 0.0), (5.0, np.inf), (-5.0, np.inf)]:
        with np.errstate(all="ignore"):
            want = (np.floor_divide(a, b), np.mod(a, b))
        np.testing.assert_array_equal(divide_floats(a, b), want)


# --------------------------------------------------------------------------------------------
# Reductions
# --------------------------------------------------------------------------------------------

REDUCTION_NAMES = ["reduce_sum", "reduce_max", "reduce_min", "reduce_prod"]


def _float_rows(dtype) -> list[list[float]]:
    """Rows whose reductions each hit a rule: nan anywhere (np.max propagates it), all -inf,
    inf against -inf, signed zeros, overflow of the result, denormals."""
    fi = np.finfo(dtype)
    nan, inf = np.nan, np.inf
    return [
        [nan, 1.0, 2.0, 3.0], [1.0, nan, 2.0, 3.0], [1.0, 2.0, 3.0, nan],
        [-inf, -inf, -inf, -inf], [inf, inf, inf, inf], [inf, -inf, 1.0, 2.0],
        [nan, inf, -inf, 0.0], [0.0, inf, 1.0, 1.0],  # 0 * inf = nan in prod
        [-0.0, -0.0, -0.0, -0.0], [-0.0, 1.0, -2.0, 3.0],
        # The sum and the product overflow: the exact results round to inf in float32 too.
        # (An overflow of a partial result only: test_float32_full_sum_with_an_intermediate_
        # overflow.)
        [fi.max, fi.max, 1.0, 2.0],
        [fi.max, 2.0, 1.0, 1.0],
        [fi.smallest_subnormal] * 4,
    ]


def _long_vectors(dtype) -> list[np.ndarray]:
    """Vectors long enough for LLVM to vectorise the reduction loop (and leave a remainder),
    with a nan in the first, a middle and the last lane."""
    vectors = []
    for at in (0, 37, 66):
        v = np.linspace(-3, 3, 67).astype(dtype)
        v[at] = np.nan
        vectors.append(v)
    vectors.append(np.full(67, -np.inf, dtype))
    return vectors


@pytest.mark.parametrize("dtype", FLOATS, ids=str)
def test_float_reductions_with_nan_inf_and_empty_axes(dtype, cache_dir):
    rows = np.array(_float_rows(dtype), dtype)
    vectors = _long_vectors(dtype)
    # Full reductions of each row alone (their accumulator is a scalar register), of long
    # vectors, of empty arrays; and reductions along an axis (accumulated into an array).
    inputs = [rows] + [r for r in rows] + vectors + [
        np.zeros((0,), dtype), np.zeros((3, 0), dtype), np.zeros((0, 3), dtype)]
    first_row, first_vector, empty = 1, 1 + len(rows), 1 + len(rows) + len(vectors)
    apps = []
    for name in REDUCTION_NAMES:
        apps += [(name, (0,), {"axes": (1,), "keepdims": False}),
                 (name, (0,), {"axes": (0,), "keepdims": True}),
                 (name, (0,), {"axes": (), "keepdims": False})]  # over no axes: x itself
        apps += [(name, (k,), {"axes": (0,), "keepdims": False})
                 for k in range(first_row, first_vector)]
        apps += [(name, (k,), {"axes": (0,), "keepdims": False})
                 for k in range(first_vector, empty)]
        apps += [(name, (empty,), {"axes": (0,), "keepdims": False}),  # identity: 0, 1, -+inf
                 (name, (empty + 1,), {"axes": (1,), "keepdims": True}),
                 (name, (empty + 2,), {"axes": (0, 1), "keepdims": False})]
    got, want = compiled_and_eager(inputs, apps, cache_dir)
    for (name, (k,), params), g, w in zip(apps, got, want):
        # Sums and products are reassociated ('reassoc') and the float32 full ones are
        # accumulated in float64: a few ulp on finite results.
        ulps = 4 if name in ("reduce_sum", "reduce_prod") else 0
        assert_matches_eager(g, w, what=f"{name}{params} of input {k} ({dtype})",
                             inputs=[inputs[k]] if g.shape == inputs[k].shape else (),
                             ulps=ulps, zero_ties_signed=name in ("reduce_sum", "reduce_prod"))


@pytest.mark.parametrize("dtype", INTS, ids=str)
def test_integer_reductions_wrap_and_have_identities(dtype, cache_dir):
    info = np.iinfo(dtype)
    rows = np.array([[info.max, 1, 0, 0], [info.min, -1, 0, 0], [info.max, info.min, 3, -3],
                     [info.max] * 4, [info.min] * 4, [2**20, 2**20, 2**20, 1]], dtype)
    inputs = [rows] + [r for r in rows] + [np.zeros((0,), dtype), np.zeros((2, 0), dtype)]
    apps = []
    for name in REDUCTION_NAMES:
        apps += [(name, (0,), {"axes": (1,), "keepdims": False}),
                 (name, (0,), {"axes": (0,), "keepdims": False})]
        apps += [(name, (k,), {"axes": (0,), "keepdims": False}) for k in range(1, 7)]
        apps += [(name, (7,), {"axes": (0,), "keepdims": False}),
                 (name, (8,), {"axes": (1,), "keepdims": False})]
    got, want = compiled_and_eager(inputs, apps, cache_dir)
    for (name, (k,), params), g, w in zip(apps, got, want):
        assert_matches_eager(g, w, what=f"{name}{params} of input {k} ({dtype})")


def test_float32_full_sum_with_an_intermediate_overflow(cache_dir):
    fi = np.finfo(np.float32)
    x = np.array([fi.max, fi.max, -fi.max, 1.0], np.float32)  # numpy: inf; exact: max + 1
    y = np.array([1e30, 1e30, 1e-30, 1.0], np.float32)  # numpy: inf; exact: 1e30
    apps = [("reduce_sum", (0,), {"axes": (0,), "keepdims": False}),
            ("reduce_prod", (1,), {"axes": (0,), "keepdims": False})]
    got, want = compiled_and_eager([x, y], apps, cache_dir)
    for (name, _, _), g, w in zip(apps, got, want):
        assert_matches_eager(g, w, what=name)


def test_float32_full_sums_over_many_blocks_stay_accurate(cache_dir):
    """Float32 partial sums per block of emit.SUM_BLOCK elements, folded in float64: a sum of
    1e6 terms (and over a 2-D array, and of a fused expression) is as close to the exact
    value as numpy's pairwise float32 sum, where a float32 running sum drifts ~1e-4."""
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 1, 1_000_003).astype(np.float32)  # not a whole number of blocks
    m = rng.uniform(-1, 1, (3, 5000)).astype(np.float32)  # rows longer than one block
    apps = [("reduce_sum", (0,), {"axes": (0,), "keepdims": False}),
            ("reduce_sum", (1,), {"axes": (0, 1), "keepdims": False}),
            ("mul", (0, 0), {}),
            ("reduce_sum", (4,), {"axes": (0,), "keepdims": False})]  # sum of x*x, fused
    got, _ = compiled_and_eager([x, m], apps, cache_dir)
    exact = [x.astype(np.float64).sum(), m.astype(np.float64).sum(),
             None, np.square(x.astype(np.float64)).sum()]
    for k in (0, 1, 3):
        numpy_error = abs(float(np.float32(exact[k])) - exact[k])
        assert abs(float(got[k]) - exact[k]) <= max(4 * numpy_error, 1e-6 * abs(exact[k])), k


def test_a_float32_full_sum_beside_a_row_sum_stays_accurate(cache_dir):
    """In one loop with a row reduction the full sum has no blocks: it runs in float64."""
    m = np.random.default_rng(6).uniform(0, 1, (1000, 1000)).astype(np.float32)
    apps = [("reduce_sum", (0,), {"axes": (0, 1), "keepdims": False}),
            ("reduce_sum", (0,), {"axes": (1,), "keepdims": False})]
    got, _ = compiled_and_eager([m], apps, cache_dir)
    exact = m.astype(np.float64).sum()
    assert abs(float(got[0]) - exact) <= 1e-6 * exact


@pytest.mark.parametrize("dtype", FLOATS, ids=str)
def test_sin_cos_of_huge_arguments(dtype, cache_dir):
    """Above TRIG_EXACT_MAX the kernels' reduction is not exact on every machine (nan above
    1e15): the loop raises FloatingPointError(TRIG_BEYOND_EXACT) after it, and the runtime
    runs that call on numpy (tests/fuzz/test_regressions.py checks the values). Arguments
    below it, nan and inf stay in compiled code."""
    for x in ([1e16], [-1e16, 0.5], [1e20], [np.finfo(dtype).max], [0.5, 2.0e6]):
        with pytest.raises(FloatingPointError) as raised:
            compiled_and_eager([np.array(x, dtype)], [("sin", (0,), {})], cache_dir)
        assert raised.value.args == (TRIG_BEYOND_EXACT,)
    x = np.array([0.5, -1.5e6, np.inf, -np.inf, np.nan], dtype)
    got, want = compiled_and_eager([x], [("sin", (0,), {}), ("cos", (0,), {})], cache_dir)
    for name, g, w in zip(["sin", "cos"], got, want):
        assert_matches_eager(g, w, what=f"{name} ({dtype})", inputs=[x], ulps=4)


# --------------------------------------------------------------------------------------------
# Through tapeflow.function: composites, fusion, simplification and gradients
# --------------------------------------------------------------------------------------------


def _composites(x, rows):
    """reduce_mean and logsumexp (composites of reductions) over special values."""
    return (
        tf.reduce_mean(x),
        tf.reduce_mean(rows, axis=1),
        tf.reduce_logsumexp(rows, axis=1),
        tf.reduce_max(rows, axis=1),
        tf.norm(x),
    )


def _gradients(x, y):
    """Gradients of the differentiable primitives at special values, each of its own sum
    (a nan in one must not hide another's): max/min ties and nan, kinks at 0, sqrt and log
    at 0 and inf, the saturating functions at +-inf, reduce_max of rows with nan and ties."""
    losses = {
        "maximum": lambda: tf.maximum(x, y),
        "minimum": lambda: tf.minimum(x, y),
        "abs": lambda: tf.abs(x),
        "relu": lambda: tf.nn.relu(x),
        "sqrt": lambda: tf.sqrt(x),
        "log": lambda: tf.math.log(x),
        "exp": lambda: tf.exp(x),
        "tanh": lambda: tf.tanh(x),
        "sigmoid": lambda: tf.sigmoid(x),
        "softplus": lambda: tf.nn.softplus(x),
        "divide": lambda: x / y,
        "pow": lambda: x ** 3.0,
        "reduce_max": lambda: tf.reduce_max(tf.reshape(x, (-1, 2)), axis=1),
    }
    results = []
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        tape.watch(y)
        values = {name: tf.reduce_sum(f()) for name, f in losses.items()}
    for value in values.values():
        for g in tape.gradient(value, [x, y]):
            if g is not None:
                results.append(g)
    return tuple(results)


def _gradient_inputs(dtype):
    # x against a y that ties it, is nan, is +-inf or zero of the other sign at some places.
    x = np.array([0.0, -0.0, 1.0, np.nan, np.inf, -np.inf, 2.0, -3.0, 4.0, 0.0], dtype)
    y = np.array([0.0, 0.0, np.nan, 1.0, 1.0, 2.0, 2.0, np.inf, -np.inf, -0.0], dtype)
    return x, y


@pytest.mark.parametrize("dtype", FLOATS, ids=str)
def test_gradients_at_special_values_under_tapeflow_function(dtype):
    x, y = _gradient_inputs(dtype)
    with np.errstate(all="ignore"):  # eager reductions warn about nan; not the question here
        eager = _gradients(tf.constant(x), tf.constant(y))
        compiled = tf.function(_gradients, backend="numba")
        compiled(tf.constant(x), tf.constant(y))  # the trace (runs eagerly)
    got = compiled(tf.constant(x), tf.constant(y))  # compiled code
    assert len(got) == len(eager)
    for i, (g, w) in enumerate(zip(got, eager)):
        # Finite values: the vecmath kernels' few ulp grow through cancellation (tanh's
        # 1 - tanh(x)**2 at x = 4 is 2e-5 off in float32), so a relative tolerance; the
        # special values themselves must agree exactly.
        rtol = 1e-4 if dtype == F32 else 1e-12
        assert_matches_eager(g.numpy(), w.numpy(), what=f"gradient {i} ({dtype})", ulps=4,
                             rtol=rtol)


@pytest.mark.parametrize("dtype", FLOATS, ids=str)
def test_mean_logsumexp_and_norm_of_special_values_under_tapeflow_function(dtype):
    fi = np.finfo(dtype)
    x = np.array([1.0, fi.max, fi.max, -2.0], dtype)  # the sum overflows: the mean is inf
    rows = np.array([[np.nan, 1.0, 2.0], [-np.inf] * 3, [np.inf, -np.inf, 0.0],
                     [np.inf, 1.0, 2.0], [1.0, 2.0, 3.0]], dtype)
    with np.errstate(all="ignore"):
        eager = _composites(tf.constant(x), tf.constant(rows))
        compiled = tf.function(_composites, backend="numba")
        compiled(tf.constant(x), tf.constant(rows))  # the trace (runs eagerly)
    got = compiled(tf.constant(x), tf.constant(rows))
    names = ["mean(x)", "mean(rows, 1)", "logsumexp(rows, 1)", "max(rows, 1)", "norm(x)"]
    for name, g, w in zip(names, got, eager):
        assert_matches_eager(g.numpy(), w.numpy(), what=f"{name} ({dtype})", ulps=4)

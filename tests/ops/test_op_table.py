"""Every primitive, driven from one table (jax's LAX_GRAD_OPS in tests/lax_autodiff_test.py).

Each `OpCase` row names a primitive, an input generator, static params, a numpy reference and
which inputs are differentiable. pytest parametrizes the checks over `OP_TABLE`:

a. the shape rule agrees with the eager kernel (shape and dtype);
b. eager `bind` agrees with the numpy reference;
c. the VJP agrees with central finite differences in float64 (autograd's `check_grads`), or,
   for piecewise-constant ops and integer inputs, the gradient is None (zeros for sign, as TF);
   custom_gradient is checked against its own rule in a separate test.

(A fourth check, Numba lowering against eager, arrives with the codegen issue.)

Adding a primitive means adding rows here: tests/ops/test_registry.py fails for a primitive
without one. Conventions at points where the derivative is not unique (ties, kinks, zeros)
are pinned by the small tests at the end, through the tf API.
"""

from __future__ import annotations

import warnings
import zlib
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.ops import PRIMITIVES, Primitive, bind
from tapeflow.ops.core import ShapedArray

F32, F64 = np.dtype(np.float32), np.dtype(np.float64)
I32, I64, BOOL = np.dtype(np.int32), np.dtype(np.int64), np.dtype(np.bool_)


@dataclass(frozen=True)
class OpCase:
    """One row: a primitive applied to generated inputs, and how to check it."""

    name: str  # the primitive's registry name
    prim: Primitive
    make_args: Callable[[np.random.Generator], list]  # rng -> numpy input arrays
    params: dict
    ref: Callable[..., np.ndarray]  # numpy reference: ref(*args) -> expected output
    grad_argnums: tuple[int, ...]  # inputs that become tf.Variables in the gradient check
    rtol: float  # eager vs numpy
    atol: float
    id: str
    # "fd": VJP vs finite differences; "none": the gradient is None (piecewise-constant ops,
    # integer inputs); "zeros": the gradient is zero (sign, as TF); "custom": own test below;
    # "lookup": differentiating raises LookupError (an op TF has no gradient for; own test).
    grad: str = "fd"
    grad_dtype: np.dtype | None = F64  # float inputs cast to this for the VJP check (None: keep)
    fd_eps: float = 1e-6
    fd_rtol: float = 1e-5
    fd_atol: float = 1e-7
    # Highest order of the VJP checked against finite differences (of the taped gradient):
    # 2 for every differentiable row unless the row says why not.
    order: int = 2


def case(name, make_args, ref, *, params=None, grad_argnums=None, id, rtol=None, atol=None,
         **kw) -> OpCase:
    """A row for primitive `name`; tolerances default by the inputs' precision."""
    sample = make_args(np.random.default_rng(0))
    low_precision = any(np.asarray(a).dtype == F32 for a in sample)
    if rtol is None:
        rtol = 1e-5 if low_precision else 1e-12
    if atol is None:
        atol = 1e-6 if low_precision else 1e-12
    if grad_argnums is None:
        grad_argnums = tuple(range(len(sample)))
    return OpCase(name, PRIMITIVES[name], make_args, dict(params or {}), ref,
                  tuple(grad_argnums), rtol, atol, f"{name}:{id}", **kw)


# --------------------------------------------------------------------------------------------
# Input generators: each takes a shape and returns rng -> array
# --------------------------------------------------------------------------------------------


def normal(shape, dtype=F64):
    return lambda rng: np.asarray(rng.standard_normal(shape), dtype=dtype)


def uniform(shape, lo, hi, dtype=F64):
    return lambda rng: np.asarray(rng.uniform(lo, hi, shape), dtype=dtype)


def signed(shape, lo, hi, dtype=F64):
    """Magnitudes in [lo, hi] with random signs: away from 0 (abs, sign, a divisor)."""
    return lambda rng: np.asarray(rng.choice([-1.0, 1.0], shape) * rng.uniform(lo, hi, shape),
                                  dtype=dtype)


def small_ints(shape, lo=-3, hi=4, dtype=F64):
    """Whole numbers from a small range (as floats by default), so ties and equality occur."""
    return lambda rng: np.asarray(rng.integers(lo, hi, shape), dtype=dtype)


def offset_grid(shape, lo, hi, dtype=F64):
    """Whole numbers plus a fraction in [lo, hi]: two such draws with disjoint fraction ranges
    differ by at least the gap between the ranges (max/min kinks stay away)."""
    return lambda rng: np.asarray(rng.integers(-2, 3, shape) + rng.uniform(lo, hi, shape),
                                  dtype=dtype)


def mod_dividend(shape):
    """±(k + [0.3, 0.7]) for k in 0..2: divided by |y| in [1, 1.1], never near a whole number,
    so the floor in mod (its kink) is locally constant."""
    return lambda rng: np.asarray(rng.choice([-1.0, 1.0], shape)
                                  * (rng.integers(0, 3, shape) + rng.uniform(0.3, 0.7, shape)))


def complex_normal(shape, dtype=np.complex128):
    return lambda rng: np.asarray(rng.standard_normal(shape) + 1j * rng.standard_normal(shape),
                                  dtype=dtype)


def bools(shape):
    return lambda rng: np.asarray(rng.random(shape) < 0.5)


def fixed(value, dtype):
    return lambda rng: np.array(value, dtype=dtype)


def args(*gens):
    return lambda rng: [g(rng) for g in gens]


# --------------------------------------------------------------------------------------------
# Elementwise rows
# --------------------------------------------------------------------------------------------


def _logistic_ref(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softplus_ref(x):
    return np.log(1.0 + np.exp(x))


def _erf_ref(x):
    import math

    return np.vectorize(math.erf, otypes=[x.dtype])(x)


UNARY = [
    # (primitive, numpy reference, input generator of a shape and dtype, grad mode)
    ("neg", np.negative, lambda s, d: normal(s, d), "fd"),
    ("abs", np.abs, lambda s, d: signed(s, 0.2, 2.0, d), "fd"),  # kink at 0
    ("sign", np.sign, lambda s, d: signed(s, 0.2, 2.0, d), "zeros"),
    ("exp", np.exp, lambda s, d: normal(s, d), "fd"),
    ("log", np.log, lambda s, d: uniform(s, 0.5, 3.0, d), "fd"),
    ("log1p", np.log1p, lambda s, d: uniform(s, -0.5, 2.0, d), "fd"),
    ("sin", np.sin, lambda s, d: normal(s, d), "fd"),
    ("cos", np.cos, lambda s, d: normal(s, d), "fd"),
    ("tan", np.tan, lambda s, d: uniform(s, -1.2, 1.2, d), "fd"),
    ("tanh", np.tanh, lambda s, d: normal(s, d), "fd"),
    ("sqrt", np.sqrt, lambda s, d: uniform(s, 0.5, 3.0, d), "fd"),
    ("logistic", _logistic_ref, lambda s, d: uniform(s, -4.0, 4.0, d), "fd"),
    ("softplus", _softplus_ref, lambda s, d: uniform(s, -4.0, 4.0, d), "fd"),
    ("identity", lambda x: x, lambda s, d: normal(s, d), "fd"),
    ("stop_gradient", lambda x: x, lambda s, d: normal(s, d), "none"),
    # ops/mathops.py
    ("expm1", np.expm1, lambda s, d: normal(s, d), "fd"),
    ("erf", _erf_ref, lambda s, d: normal(s, d), "fd"),
    ("erfc", lambda x: 1.0 - _erf_ref(x), lambda s, d: normal(s, d), "fd"),
    ("sinh", np.sinh, lambda s, d: normal(s, d), "fd"),
    ("cosh", np.cosh, lambda s, d: normal(s, d), "fd"),
    ("asin", np.arcsin, lambda s, d: uniform(s, -0.9, 0.9, d), "fd"),
    ("acos", np.arccos, lambda s, d: uniform(s, -0.9, 0.9, d), "fd"),
    ("atan", np.arctan, lambda s, d: normal(s, d), "fd"),
    ("asinh", np.arcsinh, lambda s, d: normal(s, d), "fd"),
    ("acosh", np.arccosh, lambda s, d: uniform(s, 1.2, 3.0, d), "fd"),
    ("atanh", np.arctanh, lambda s, d: uniform(s, -0.9, 0.9, d), "fd"),
    ("floor", np.floor, lambda s, d: uniform(s, -3.0, 3.0, d), "none"),
    ("ceil", np.ceil, lambda s, d: uniform(s, -3.0, 3.0, d), "none"),
    ("round", np.rint, lambda s, d: uniform(s, -3.0, 3.0, d), "none"),
]

UNARY_ROWS = [
    row
    for name, ref, gen, grad in UNARY
    for row in (
        case(name, args(gen((2, 3), F64)), ref, grad=grad, id="f64(2,3)"),
        case(name, args(gen((), F64)), ref, grad=grad, id="f64()"),
        case(name, args(gen((4,), F32)), ref, grad=grad, id="f32(4,)"),
    )
] + [
    # Integer and bool tensors: exact results, and integer inputs have no gradient.
    case("neg", args(small_ints((5,), dtype=I32)), np.negative, grad="none", id="i32"),
    case("abs", args(small_ints((5,), dtype=I64)), np.abs, grad="none", id="i64"),
    # Of complex numbers the magnitude, a real tensor (float64 here), as TensorFlow's abs.
    case("abs", args(complex_normal((2, 3))), np.abs, grad="none", id="c128"),
    case("sign", args(small_ints((2, 3), dtype=I32)), np.sign, grad="none", id="i32"),
    case("identity", args(bools((2, 2))), lambda x: x, grad="none", id="bool"),
    case("stop_gradient", args(small_ints((3,), dtype=I32)), lambda x: x, grad="none",
         id="i32"),
    case("logical_not", args(bools((2, 3))), np.logical_not, grad="none", id="(2,3)"),
    case("logical_not", args(bools(())), np.logical_not, grad="none", id="()"),
    # Kernels that must not overflow where the naive formula would.
    case("logistic", args(fixed([-800.0, -30.0, 0.0, 30.0, 800.0], F64)),
         lambda x: np.array([0.0, 9.357622968840175e-14, 0.5, 1.0, 1.0]),
         grad_argnums=(), id="extreme", rtol=1e-10, atol=0),
    case("softplus", args(fixed([-800.0, -30.0, 0.0, 30.0, 800.0], F64)),
         lambda x: np.array([0.0, 9.357622968840175e-14, np.log(2.0), 30.0, 800.0]),
         grad_argnums=(), id="extreme", rtol=1e-10, atol=0),
    # TensorFlow's round sends halves to the even neighbour.
    case("round", args(fixed([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999], F64)),
         lambda x: np.array([0.0, 2.0, 2.0, -0.0, -2.0, -2.0, 2.0]), grad="none",
         id="halves-to-even"),
    case("round", args(fixed([0.5, 1.5, 2.5, -2.5], F32)),
         lambda x: np.array([0.0, 2.0, 2.0, -2.0], F32), grad="none", id="f32-halves"),
    case("expm1", args(fixed([1e-10, -1e-12, 0.0], F64)),
         lambda x: np.array([1.00000000005e-10, -9.999999999995e-13, 0.0]), grad_argnums=(),
         id="tiny", rtol=1e-14, atol=0),
    # Outside the domain: nan, as numpy and TensorFlow (never a raised error).
    case("asin", args(fixed([1.5, -2.0], F64)), lambda x: np.array([np.nan, np.nan]),
         grad_argnums=(), id="outside-domain"),
    case("acosh", args(fixed([0.5], F64)), lambda x: np.array([np.nan]),
         grad_argnums=(), id="outside-domain"),
]

# Operand shapes for every broadcasting binary op: equal, rank-extended on either side,
# both sides stretched, and a scalar on either side.
BROADCAST = [((2, 3), (2, 3)), ((3,), (2, 3)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), (4,)),
             ((4,), ())]


def _shape_id(sx, sy):
    return f"{sx}x{sy}".replace(" ", "")


BINARY = [
    # (primitive, numpy reference, (x generator, y generator) of a shape, grad mode)
    ("add", np.add, (normal, normal), "fd"),
    ("sub", np.subtract, (normal, normal), "fd"),
    ("mul", np.multiply, (normal, normal), "fd"),
    ("div", np.divide, (normal, lambda s: signed(s, 0.5, 2.0)), "fd"),
    ("pow", np.power, (lambda s: uniform(s, 0.5, 2.0), lambda s: uniform(s, -2.0, 2.0)), "fd"),
    # x's fractions in [0, .3], y's in [.5, .8]: |x - y| >= .2, never a tie.
    ("max", np.maximum, (lambda s: offset_grid(s, 0.0, 0.3),
                         lambda s: offset_grid(s, 0.5, 0.8)), "fd"),
    ("min", np.minimum, (lambda s: offset_grid(s, 0.0, 0.3),
                         lambda s: offset_grid(s, 0.5, 0.8)), "fd"),
    ("mod", np.mod, (mod_dividend, lambda s: signed(s, 1.0, 1.1)), "fd"),
    ("floordiv", np.floor_divide, (lambda s: uniform(s, -5.0, 5.0),
                                   lambda s: signed(s, 0.5, 2.0)), "none"),
    ("eq", np.equal, (small_ints, small_ints), "none"),
    ("ne", np.not_equal, (small_ints, small_ints), "none"),
    ("lt", np.less, (small_ints, small_ints), "none"),
    ("le", np.less_equal, (small_ints, small_ints), "none"),
    ("gt", np.greater, (small_ints, small_ints), "none"),
    ("ge", np.greater_equal, (small_ints, small_ints), "none"),
    ("logical_and", np.logical_and, (bools, bools), "none"),
    ("logical_or", np.logical_or, (bools, bools), "none"),
    ("atan2", np.arctan2, (lambda s: signed(s, 0.3, 2.0), lambda s: signed(s, 0.3, 2.0)), "fd"),
]


BINARY_ROWS = [
    case(name, args(gx(sx), gy(sy)), ref, grad=grad, id=_shape_id(sx, sy))
    for name, ref, (gx, gy), grad in BINARY
    for sx, sy in BROADCAST
] + [
    case(name, lambda rng, gx=gx, gy=gy: [a.astype(F32) if a.dtype == F64 else a
                                          for a in args(gx((2, 3)), gy((3,)))(rng)],
         ref, grad=grad, id="f32")
    for name, ref, (gx, gy), grad in BINARY
    if name not in ("logical_and", "logical_or")
] + [
    # Integers: exact arithmetic with Python's floor/mod signs, and no gradient.
    case("add", args(small_ints((2, 3), dtype=I32), small_ints((3,), dtype=I32)), np.add,
         grad="none", id="i32"),
    case("mul", args(small_ints((4,), dtype=I64), small_ints((), dtype=I64)), np.multiply,
         grad="none", id="i64"),
    case("max", args(small_ints((2, 3), dtype=I32), small_ints((2, 1), dtype=I32)),
         np.maximum, grad="none", id="i32"),
    case("pow", args(small_ints((5,), 0, 4, I32), small_ints((5,), 0, 4, I32)), np.power,
         grad="none", id="i32"),
    case("floordiv", args(fixed([7, -7, 7, -7, 0], I32), fixed([2, 2, -2, -2, 3], I32)),
         lambda x, y: np.array([3, -4, -4, 3, 0], I32), grad="none", id="i32-signs"),
    case("mod", args(fixed([7, -7, 7, -7, 0], I32), fixed([2, 2, -2, -2, 3], I32)),
         lambda x, y: np.array([1, 1, -1, -1, 0], I32), grad="none", id="i32-signs"),
    case("mod", args(fixed([5.5, -5.5, 5.5, -5.5], F64), fixed([2.0, 2.0, -2.0, -2.0], F64)),
         lambda x, y: np.array([1.5, 0.5, -0.5, -1.5]), id="f64-signs"),
    case("eq", args(bools((2, 3)), bools((3,))), np.equal, grad="none", id="bool"),
    case("ne", args(bools((2, 3)), bools(())), np.not_equal, grad="none", id="bool"),
    case("lt", args(small_ints((2, 3), dtype=I32), small_ints((3,), dtype=I32)), np.less,
         grad="none", id="i32"),
]

SELECT_ROWS = [
    case("select", args(bools((2, 3)), normal((2, 3)), normal((2, 3))), np.where,
         grad_argnums=(1, 2), id="(2,3)"),
    case("select", args(bools((2, 1)), normal((3,)), normal(())), np.where,
         grad_argnums=(1, 2), id="c(2,1)x(3,)y()"),
    case("select", args(bools(()), normal((2, 3)), normal((1, 3))), np.where,
         grad_argnums=(1, 2), id="c()x(2,3)y(1,3)"),
    case("select", args(bools((4,)), small_ints((4,), dtype=I32), small_ints((), dtype=I32)),
         np.where, grad="none", id="i32"),
]

# A cast between float32 and float64 rounds in float32: larger steps, looser tolerances.
_CAST_FD = dict(grad_dtype=None, fd_eps=1e-2, fd_rtol=1e-4, fd_atol=1e-5)

CAST_ROWS = [
    case("cast", args(normal((2, 3))), lambda x: x.astype(F32), params={"dtype": F32},
         id="f64->f32", rtol=0, atol=0, **_CAST_FD),
    case("cast", args(normal((2, 3), F32)), lambda x: x.astype(F64), params={"dtype": F64},
         id="f32->f64", rtol=0, atol=0, **_CAST_FD),
    case("cast", args(fixed([-2.7, -0.5, 0.5, 2.7], F64)), lambda x: np.array([-2, 0, 0, 2]),
         params={"dtype": I32}, grad="none", id="f64->i32(truncates)", rtol=0, atol=0),
    case("cast", args(small_ints((3,), dtype=I32)), lambda x: x.astype(F64),
         params={"dtype": F64}, grad="none", id="i32->f64", rtol=0, atol=0),
    case("cast", args(fixed([0.0, 2.0, -1.0], F64)), lambda x: np.array([False, True, True]),
         params={"dtype": BOOL}, grad="none", id="f64->bool", rtol=0, atol=0),
]

# --------------------------------------------------------------------------------------------
# Reductions
# --------------------------------------------------------------------------------------------

REDUCTIONS = [
    # (primitive, numpy reference, input generator of a shape)
    ("reduce_sum", np.sum, normal),
    ("reduce_max", np.max, normal),
    ("reduce_min", np.min, normal),
    ("reduce_prod", np.prod, lambda s: signed(s, 0.5, 1.5)),  # zeros: convention tests
]

REDUCE_AXES = [(1,), (0, 2), (0, 1, 2), ()]


def _reduce_ref(ref, axes, keepdims):
    return lambda x: ref(x, axis=axes, keepdims=keepdims)


REDUCTION_ROWS = [
    case(name, args(gen((2, 3, 4))), _reduce_ref(ref, axes, keepdims),
         params={"axes": axes, "keepdims": keepdims},
         id=f"axes{axes}{'-keep' if keepdims else ''}".replace(" ", ""))
    for name, ref, gen in REDUCTIONS
    for axes in REDUCE_AXES
    for keepdims in (False, True)
] + [
    case(name, args(gen((5,))), _reduce_ref(ref, (0,), False),
         params={"axes": (0,), "keepdims": False}, id="vector")
    for name, ref, gen in REDUCTIONS
] + [
    case(name, lambda rng, gen=gen: [gen((3, 4))(rng).astype(F32)],
         _reduce_ref(ref, (1,), False), params={"axes": (1,), "keepdims": False}, id="f32")
    for name, ref, gen in REDUCTIONS
] + [
    case("reduce_sum", args(small_ints((3, 4), dtype=I32)), _reduce_ref(np.sum, (0,), False),
         params={"axes": (0,), "keepdims": False}, grad="none", id="i32"),
    case("reduce_max", args(small_ints((3, 4), dtype=I64)), _reduce_ref(np.max, (1,), True),
         params={"axes": (1,), "keepdims": True}, grad="none", id="i64"),
    case("reduce_min", args(small_ints((3, 4), dtype=I32)), _reduce_ref(np.min, (0, 1), False),
         params={"axes": (0, 1), "keepdims": False}, grad="none", id="i32"),
    # An empty reduction gives the identity, as TF: -inf (lowest int) for max, +inf for min.
    case("reduce_max", args(normal((0, 3))), lambda x: np.full(3, -np.inf),
         params={"axes": (0,), "keepdims": False}, grad_argnums=(), id="empty"),
    case("reduce_min", args(normal((0, 3))), lambda x: np.full((1, 3), np.inf),
         params={"axes": (0,), "keepdims": True}, grad_argnums=(), id="empty"),
    case("reduce_max", args(small_ints((2, 0), dtype=I32)),
         lambda x: np.full(2, np.iinfo(np.int32).min, I32),
         params={"axes": (1,), "keepdims": False}, grad="none", id="empty-i32"),
    case("reduce_sum", args(normal((0, 3))), lambda x: np.zeros(3),
         params={"axes": (0,), "keepdims": False}, grad_argnums=(), id="empty"),
    case("reduce_prod", args(normal((0, 3))), lambda x: np.ones(3),
         params={"axes": (0,), "keepdims": False}, grad_argnums=(), id="empty"),
]

# --------------------------------------------------------------------------------------------
# Linear algebra
# --------------------------------------------------------------------------------------------

MATMUL_ROWS = [
    # conj's VJP (conj of the cotangent) is checked in tests/ops/test_linalg.py: the finite
    # differences here take real steps.
    case("conj", args(complex_normal((2, 3))), np.conj, grad_argnums=(), id="c128"),
    case("conj", args(complex_normal((4,), np.complex64)), np.conj, grad_argnums=(),
         id="c64"),
    case("matmul", args(normal((3, 3)), normal((3, 3))), np.matmul, id="square",
         rtol=1e-10),
    case("matmul", args(normal((2, 4)), normal((4, 5))), np.matmul, id="rectangular",
         rtol=1e-10),
    case("matmul", args(normal((2, 3, 4)), normal((2, 4, 5))), np.matmul, id="batched",
         rtol=1e-10),
    case("matmul", args(normal((1, 3)), normal((3, 1))), np.matmul, id="(1,3)@(3,1)",
         rtol=1e-10),
    case("matmul", args(normal((4, 2, 3)), normal((3, 5))), np.matmul,
         id="batch-broadcast", rtol=1e-10),
    case("matmul", args(normal((2, 1, 2, 3)), normal((3, 3, 2))), np.matmul,
         id="batch-broadcast-both", rtol=1e-10),
    case("matmul", args(normal((3, 2), F32), normal((2, 4), F32)), np.matmul, id="f32"),
    case("matmul", args(normal((2, 3)), normal((3, 2))), np.matmul, grad_argnums=(1,),
         id="grad-b-only", rtol=1e-10),
    case("matmul", args(small_ints((2, 3), dtype=I32), small_ints((3, 2), dtype=I32)),
         np.matmul, grad="none", id="i32"),
]

# --------------------------------------------------------------------------------------------
# Shape ops
# --------------------------------------------------------------------------------------------


def _slices(shape, *py_slices):
    """Python slices -> the normalised (start, stop, step) triples strided_slice takes."""
    return tuple(s.indices(d) for s, d in zip(py_slices, shape))


def _slice_case(shape, py_slices, id, dtype=F64):
    return case("strided_slice", args(normal(shape, dtype)), lambda x: x[py_slices],
                params={"slices": _slices(shape, *py_slices)}, id=id)


def _pad_ref(shape, py_slices):
    def ref(x):
        out = np.zeros(shape, dtype=x.dtype)
        for pos in np.ndindex(x.shape):
            index = tuple(range(*s.indices(d))[i] for s, d, i in zip(py_slices, shape, pos))
            out[index] = x[pos]
        return out

    return ref


def _pad_case(shape, py_slices, id):
    sliced = np.zeros(shape)[py_slices].shape
    return case("pad_strided", args(normal(sliced)), _pad_ref(shape, py_slices),
                params={"slices": _slices(shape, *py_slices), "shape": shape}, id=id)


def _gather_ref(axis):
    def ref(x, idx):
        lead = (slice(None),) * axis
        return x[lead + (idx,)]

    return ref


def _scatter_ref(axis, size):
    def ref(g, idx):
        shape = g.shape[:axis] + (size,) + g.shape[axis + idx.ndim:]
        out = np.zeros(shape, dtype=g.dtype)
        lead = (slice(None),) * axis
        for pos in np.ndindex(idx.shape):
            out[lead + (idx[pos],)] += g[lead + pos]
        return out

    return ref


def _concat_ref(axis):
    return lambda *xs: np.concatenate(xs, axis=axis)


SHAPE_ROWS = [
    case("reshape", args(normal((2, 3, 4))), lambda x: x.reshape(6, 4),
         params={"new_sizes": (6, 4)}, id="merge"),
    case("reshape", args(normal((4, 6))), lambda x: x.reshape(2, 2, 6),
         params={"new_sizes": (2, 2, 6)}, id="split"),
    case("reshape", args(normal(())), lambda x: x.reshape(1, 1),
         params={"new_sizes": (1, 1)}, id="scalar->(1,1)"),
    case("reshape", args(normal((1, 3))), lambda x: x.reshape(3),
         params={"new_sizes": (3,)}, id="(1,3)->(3,)"),
    case("transpose", args(normal((2, 3, 4))), lambda x: np.transpose(x, (2, 0, 1)),
         params={"perm": (2, 0, 1)}, id="(2,0,1)"),
    case("transpose", args(normal((2, 3))), lambda x: x.T, params={"perm": (1, 0)}, id="2d"),
    case("transpose", args(small_ints((2, 3), dtype=I32)), lambda x: x.T,
         params={"perm": (1, 0)}, grad="none", id="i32"),
    case("broadcast_to", args(normal((3,))), lambda x: np.broadcast_to(x, (2, 3)),
         params={"shape": (2, 3)}, id="(3,)->(2,3)"),
    case("broadcast_to", args(normal((2, 1))), lambda x: np.broadcast_to(x, (2, 4)),
         params={"shape": (2, 4)}, id="(2,1)->(2,4)"),
    case("broadcast_to", args(normal(())), lambda x: np.broadcast_to(x, (3, 2)),
         params={"shape": (3, 2)}, id="()->(3,2)"),
    case("broadcast_to", args(normal((1, 3))), lambda x: np.broadcast_to(x, (4, 2, 3)),
         params={"shape": (4, 2, 3)}, id="(1,3)->(4,2,3)"),
    case("broadcast_to", args(normal((2, 3))), lambda x: x, params={"shape": (2, 3)},
         id="same"),
    case("concatenate", args(normal((2, 1, 3)), normal((2, 2, 3)), normal((2, 3, 3))),
         _concat_ref(1), params={"axis": 1}, id="3-inputs-axis1"),
    case("concatenate", args(normal((1, 2)), normal((3, 2))), _concat_ref(0),
         params={"axis": 0}, id="axis0"),
    case("concatenate", args(normal((2, 3)), normal((2, 2)), normal((2, 1))),
         _concat_ref(1), params={"axis": 1}, grad_argnums=(0, 2), id="grad-outer-only"),
    case("concatenate", args(bools((2,)), bools((3,))), _concat_ref(0), params={"axis": 0},
         grad="none", id="bool"),
    _slice_case((5, 6), (slice(1, 4), slice(0, 6, 2)), "forward"),
    _slice_case((5, 6), (slice(None, None, -1), slice(1, 5, 2)), "reverse-all"),
    _slice_case((5, 6), (slice(3, 0, -2), slice(None, None, -3)), "negative-steps"),
    _slice_case((4, 3, 2), (slice(-1, -4, -1), slice(2, None), slice(None, None, -1)),
                "3d-negative"),
    _slice_case((6,), (slice(5, None, -4),), "1d-step-4"),
    _slice_case((4, 5), (slice(3, 1), slice(None)), "empty"),
    # slice(-10, None, -1).indices(5) == (-1, -1, -1): empty, not "from the last element".
    _slice_case((5, 3), (slice(-10, None, -1), slice(None)), "empty-negative-step"),
    _pad_case((5, 6), (slice(1, 4), slice(0, 6, 2)), "forward"),
    _pad_case((5, 6), (slice(3, 0, -2), slice(None, None, -3)), "negative-steps"),
    _pad_case((6,), (slice(None, None, -1),), "reverse"),
    _pad_case((5, 3), (slice(-10, None, -1), slice(None)), "empty-negative-step"),
    case("gather", args(normal((5, 3)), fixed([0, 2, 2, 4, 2], I32)), _gather_ref(0),
         params={"axis": 0}, grad_argnums=(0,), id="axis0-repeated"),
    case("gather", args(normal((2, 3, 4)), fixed([[0, 2], [2, 2]], I64)), _gather_ref(1),
         params={"axis": 1}, grad_argnums=(0,), id="axis1-2d-repeated"),
    case("gather", args(normal((3, 4)), fixed([1, 1, 1], I32)), _gather_ref(1),
         params={"axis": 1}, grad_argnums=(0,), id="last-axis"),
    case("gather", args(normal((4, 3)), fixed(2, I32)), _gather_ref(0),
         params={"axis": 0}, grad_argnums=(0,), id="scalar-index"),
    case("scatter_add", args(normal((5, 3)), fixed([0, 2, 2, 4, 2], I32)), _scatter_ref(0, 5),
         params={"axis": 0, "size": 5}, grad_argnums=(0,), id="axis0-repeated"),
    case("scatter_add", args(normal((3, 2, 2, 4)), fixed([[1, 4], [4, 4]], I64)),
         _scatter_ref(1, 5), params={"axis": 1, "size": 5}, grad_argnums=(0,),
         id="axis1-2d-repeated"),
    case("scatter_add", args(normal((4, 3)), fixed(1, I32)), _scatter_ref(1, 5),
         params={"axis": 1, "size": 5}, grad_argnums=(0,), id="scalar-index"),
    # A size as a value; in a specialised graph its `value` is an int (tests/runtime's
    # test_symbolic_dims.py covers the symbolic expressions it holds while tracing).
    case("dim", args(), lambda: np.array(7, F32), params={"value": 7, "dtype": F32},
         grad="none", id="f32"),
    case("dim", args(), lambda: np.array(12, I32), params={"value": 12, "dtype": I32},
         grad="none", id="i32"),
]


# --------------------------------------------------------------------------------------------
# Orderings, running sums and products, n-d indexing (ops/sorting.py, scans.py, scatter.py)
# --------------------------------------------------------------------------------------------


def _argsort_ref(axis, descending):
    def ref(x):
        if not descending:
            return np.argsort(x, axis=axis, kind="stable").astype(I32)
        # Ties in index order: sort by (-value, index) with lexsort per row.
        moved = np.moveaxis(x, axis, -1)
        out = np.empty(moved.shape, I32)
        for pos in np.ndindex(moved.shape[:-1]):
            row = moved[pos]
            out[pos] = sorted(range(len(row)), key=lambda i: (-row[i].item(), i))
        return np.moveaxis(out, -1, axis)

    return ref


def _scan_ref(ufunc, identity, axis, exclusive, reverse):
    def ref(x):
        n = x.shape[axis]
        out = np.empty_like(x)
        for pos in np.ndindex(x.shape[:axis] + x.shape[axis + 1:]):
            lead, rest = pos[:axis], pos[axis:]
            order = range(n - 1, -1, -1) if reverse else range(n)
            acc = x.dtype.type(identity)
            for j in order:
                at = lead + (j,) + rest
                if exclusive:
                    out[at] = acc
                    acc = ufunc(acc, x[at])
                else:
                    acc = ufunc(acc, x[at])
                    out[at] = acc
        return out

    return ref


def _ravel_ref(dims):
    return lambda idx: np.ravel_multi_index(tuple(np.moveaxis(idx, -1, 0)), dims).astype(I64)


def _scatter_extremum_ref(kind):
    def ref(x, idx, u):
        out = x.copy()
        for j, i in enumerate(idx.ravel()):
            row = u.reshape((idx.size,) + x.shape[1:])[j]
            out[i] = np.maximum(out[i], row) if kind == "max" else np.minimum(out[i], row)
        return out

    return ref


def _scatter_set_ref(x, idx, u):
    out = x.copy()
    for j, i in enumerate(idx.ravel()):
        out[i] = u.reshape((idx.size,) + x.shape[1:])[j]
    return out


SCAN_FLAGS = [(False, False), (True, False), (False, True), (True, True)]

ORDER_ROWS = [
    case("argmax", args(normal((3, 4))), lambda x: np.argmax(x, 1).astype(I64),
         params={"axis": 1, "dtype": I64}, grad="none", id="axis1"),
    case("argmax", args(small_ints((4, 3), dtype=F64)), lambda x: np.argmax(x, 0).astype(I32),
         params={"axis": 0, "dtype": I32}, grad="none", id="ties-axis0"),
    # A nan never wins (TensorFlow's ArgMax/ArgMin; numpy's would pick the first nan), and
    # a leading nan loses to a later -inf only for argmin.
    case("argmax", args(fixed([1.0, np.nan, 3.0, np.nan], F64)), lambda x: np.array(2, I64),
         params={"axis": 0, "dtype": I64}, grad="none", id="nan-loses"),
    case("argmax", args(fixed([[np.nan, -np.inf], [np.nan, 1.0], [-np.inf, np.nan]], F32)),
         lambda x: np.array([0, 1, 0], I64), params={"axis": 1, "dtype": I64}, grad="none",
         id="leading-nan"),
    case("argmin", args(fixed([[np.nan, -np.inf], [2.0, np.nan], [np.nan, np.nan]], F64)),
         lambda x: np.array([1, 0, 0], I64), params={"axis": 1, "dtype": I64}, grad="none",
         id="nan-loses"),
    case("argmax", args(small_ints((2, 3, 2), dtype=I32)), lambda x: np.argmax(x, 2).astype(I64),
         params={"axis": 2, "dtype": I64}, grad="none", id="i32"),
    case("argmin", args(normal((3, 4), F32)), lambda x: np.argmin(x, 1).astype(I64),
         params={"axis": 1, "dtype": I64}, grad="none", id="f32"),
    case("argmin", args(small_ints((5,), dtype=I64)), lambda x: np.argmin(x).astype(I64),
         params={"axis": 0, "dtype": I64}, grad="none", id="ties-i64"),
    case("argsort", args(small_ints((3, 5))), _argsort_ref(1, False),
         params={"axis": 1, "descending": False}, grad="none", id="ties-ascending"),
    case("argsort", args(small_ints((3, 5))), _argsort_ref(1, True),
         params={"axis": 1, "descending": True}, grad="none", id="ties-descending"),
    case("argsort", args(normal((4, 2), F32)), _argsort_ref(0, True),
         params={"axis": 0, "descending": True}, grad="none", id="axis0-f32"),
    case("argsort", args(fixed([3, -2147483648, 2147483647, 0], I32)), _argsort_ref(0, True),
         params={"axis": 0, "descending": True}, grad="none", id="i32-extremes"),
] + [
    case(name, args(gen((3, 4))), _scan_ref(ufunc, ident, axis, exclusive, reverse),
         params={"axis": axis, "exclusive": exclusive, "reverse": reverse},
         id=f"axis{axis}{'-exclusive' if exclusive else ''}{'-reverse' if reverse else ''}")
    for name, ufunc, ident, gen in [("cumsum", np.add, 0, normal),
                                    ("cumprod", np.multiply, 1, lambda s: signed(s, 0.5, 1.5))]
    for axis in (0, 1)
    for exclusive, reverse in SCAN_FLAGS
] + [
    # cumprod's gradient at zeros: exact (the first zero gets the product of the others).
    # Its second order there is not: the VJP's value at a later zero is a constant 0, whose
    # derivative with respect to the first zero should not vanish. Away from zeros (the rows
    # above) the second order is checked.
    case("cumprod", args(fixed([2.0, 0.0, 3.0, 0.0, 1.5], F64)),
         _scan_ref(np.multiply, 1, 0, exclusive, reverse), order=1,
         params={"axis": 0, "exclusive": exclusive, "reverse": reverse},
         id=f"zeros{'-exclusive' if exclusive else ''}{'-reverse' if reverse else ''}")
    for exclusive, reverse in SCAN_FLAGS
] + [
    case("cumsum", args(small_ints((5,), dtype=I32)), _scan_ref(np.add, 0, 0, False, False),
         params={"axis": 0, "exclusive": False, "reverse": False}, grad="none", id="i32"),
    case("cumsum", args(normal((6,), F32)), _scan_ref(np.add, 0, 0, True, True),
         params={"axis": 0, "exclusive": True, "reverse": True}, id="f32"),
    case("cumprod", args(small_ints((2, 3), 1, 4, dtype=I64)),
         _scan_ref(np.multiply, 1, 1, False, True),
         params={"axis": 1, "exclusive": False, "reverse": True}, grad="none", id="i64"),
    case("cumsum", args(normal((0, 3))), lambda x: x,
         params={"axis": 0, "exclusive": True, "reverse": False}, grad_argnums=(), id="empty"),
    case("ravel_index", args(fixed([[0, 1], [2, 3], [1, 0]], I32)), _ravel_ref((3, 4)),
         params={"dims": (3, 4), "op": "gather_nd"}, grad="none", id="2d"),
    case("ravel_index", args(fixed([[[1, 0, 2]], [[0, 1, 1]]], I64)), _ravel_ref((2, 2, 3)),
         params={"dims": (2, 2, 3), "op": "gather_nd"}, grad="none", id="3d-batched"),
    case("scatter_extremum", args(normal((4, 3)), fixed([2, 0, 2], I32), normal((3, 3))),
         _scatter_extremum_ref("max"), params={"kind": "max"}, grad_argnums=(0, 2),
         id="max-repeated-rows"),
    case("scatter_extremum", args(normal((5,)), fixed([[1, 3], [4, 1]], I64), normal((2, 2))),
         _scatter_extremum_ref("min"), params={"kind": "min"}, grad_argnums=(0, 2),
         id="min-2d-indices"),
    case("scatter_extremum", args(small_ints((4,), dtype=I32), fixed([3, 3], I32),
                                  small_ints((2,), dtype=I32)),
         _scatter_extremum_ref("max"), params={"kind": "max"}, grad="none", id="i32"),
    case("scatter_set", args(normal((4, 3)), fixed([2, 0], I32), normal((2, 3))),
         _scatter_set_ref, grad_argnums=(0, 2), id="rows"),
    case("scatter_set", args(normal((5,)), fixed([[1, 3], [4, 0]], I64), normal((2, 2))),
         _scatter_set_ref, grad_argnums=(0, 2), id="2d-indices"),
    case("scatter_set", args(normal((3, 2)), fixed([1, 1], I32), normal((2, 2))),
         _scatter_set_ref, grad_argnums=(0,), id="repeated-last-wins"),
]


def _softmax_ref(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


# softmax over the last axis (ops/softmax.py); float32 is rounded as TensorFlow's kernel
# (its bits: tests/conformance/test_softmax_digits.py), here within float32 tolerance.
SOFTMAX_ROWS = [
    case("softmax", args(normal((3, 5))), _softmax_ref, id="f64"),
    case("softmax", args(normal((2, 3, 40), F32)), _softmax_ref, id="f32-3d"),
    case("softmax", args(normal((4,))), _softmax_ref, id="f64-1d"),
]


# --------------------------------------------------------------------------------------------
# Matrix functions (ops/matrix.py)
# --------------------------------------------------------------------------------------------


def well_conditioned(shape, dtype=F64):
    """Random square matrices plus 3 I: far from singular, so finite differences are stable."""
    n = shape[-1]
    return lambda rng: np.asarray(rng.standard_normal(shape) + 3 * np.eye(n), dtype=dtype)


def spd(shape, dtype=F64):
    """Symmetric positive definite matrices X X^T + n I."""
    def make(rng):
        x = rng.standard_normal(shape)
        return np.asarray(x @ np.swapaxes(x, -1, -2) + shape[-1] * np.eye(shape[-1]), dtype)

    return make


def _svd_ref(part, full_matrices=False):
    def ref(x):
        u, s, vh = np.linalg.svd(x, full_matrices=full_matrices)
        return {"s": s, "u": u, "v": np.swapaxes(vh, -1, -2)}[part]

    return ref


MATRIX_ROWS = [
    case("matrix_inverse", args(well_conditioned((3, 3))), np.linalg.inv, id="3x3",
         rtol=1e-10),
    case("matrix_inverse", args(well_conditioned((2, 3, 3))), np.linalg.inv, id="batched",
         rtol=1e-10),
    case("matrix_inverse", args(well_conditioned((2, 2), F32)), np.linalg.inv, id="f32"),
    case("matrix_determinant", args(well_conditioned((3, 3))), np.linalg.det, id="3x3",
         rtol=1e-10),
    case("matrix_determinant", args(well_conditioned((2, 2, 2))), np.linalg.det,
         id="batched", rtol=1e-10),
    case("log_abs_det", args(well_conditioned((3, 3))), lambda x: np.linalg.slogdet(x)[1],
         id="3x3", rtol=1e-10),
    case("log_abs_det", args(well_conditioned((2, 2, 2), F32)),
         lambda x: np.linalg.slogdet(x)[1], id="batched-f32"),
    case("matrix_solve", args(well_conditioned((3, 3)), normal((3, 2))), np.linalg.solve,
         id="3x3-k2", rtol=1e-10),
    case("matrix_solve", args(well_conditioned((2, 2, 2)), normal((2, 2, 1))),
         np.linalg.solve, id="batched", rtol=1e-10),
    # Cholesky reads one triangle: its (symmetric) gradient is checked through X X^T in
    # tests/ops/test_composites.py, where finite differences keep the input symmetric.
    case("cholesky", args(spd((3, 3))), np.linalg.cholesky, grad_argnums=(), id="3x3",
         rtol=1e-10),
    case("cholesky", args(spd((2, 2, 2))), np.linalg.cholesky, grad_argnums=(),
         id="batched", rtol=1e-10),
    case("svd", args(normal((3, 3))), _svd_ref("s"), params={"part": "s",
                                                            "full_matrices": False},
         id="s-square", rtol=1e-10),
    case("svd", args(normal((4, 2))), _svd_ref("s"), params={"part": "s",
                                                            "full_matrices": False},
         id="s-tall", rtol=1e-10),
    case("svd", args(normal((2, 2, 3))), _svd_ref("s"), params={"part": "s",
                                                               "full_matrices": False},
         id="s-wide-batched", rtol=1e-10),
    # Singular vectors are defined up to sign: their gradients are checked through
    # sign-invariant functions in tests/ops/test_composites.py.
    case("svd", args(normal((4, 3))), _svd_ref("u"), params={"part": "u",
                                                            "full_matrices": False},
         grad_argnums=(), id="u-tall", rtol=1e-10),
    case("svd", args(normal((2, 3))), _svd_ref("v", True), params={"part": "v",
                                                                  "full_matrices": True},
         grad_argnums=(), id="v-full", rtol=1e-10),
]


def symmetric(shape, dtype=F64):
    """Symmetric matrices with well separated eigenvalues (a random symmetric part plus
    diag(0, 4, 8, ...)), so eigenvectors are smooth in the input."""
    def make(rng):
        x = rng.standard_normal(shape)
        n = shape[-1]
        return np.asarray(x + np.swapaxes(x, -1, -2) + np.diag(4.0 * np.arange(n)), dtype)

    return make


def _qr_ref(part, mode="reduced"):
    return lambda x: np.linalg.qr(x, mode=mode)[0 if part == "q" else 1]


def _eigh_ref(part):
    return lambda x: np.linalg.eigh(x)[0 if part == "e" else 1]


# QR's signs follow one rule (R's diagonal sign is that of -A's pivot column), locally
# constant, so Q and R are smooth in A and checked against finite differences directly.
# eigh reads A's lower triangle, so finite differences of single elements see TF's
# lower-triangle gradient (zero above the diagonal); eigenvectors' signs are LAPACK's
# choice, so their gradients are checked through sign-invariant functions in
# tests/ops/test_composites.py.
DECOMPOSITION_ROWS = [
    case("qr", args(normal((4, 3))), _qr_ref("q"), params={"part": "q",
                                                          "full_matrices": False},
         id="q-tall", rtol=1e-10),
    case("qr", args(normal((4, 3))), _qr_ref("r"), params={"part": "r",
                                                          "full_matrices": False},
         id="r-tall", rtol=1e-10),
    case("qr", args(normal((2, 3, 3))), _qr_ref("q"), params={"part": "q",
                                                             "full_matrices": False},
         id="q-square-batched", rtol=1e-10),
    case("qr", args(normal((2, 4))), _qr_ref("q"), params={"part": "q",
                                                          "full_matrices": True},
         id="q-wide", rtol=1e-10),
    case("qr", args(normal((2, 2, 4))), _qr_ref("r"), params={"part": "r",
                                                             "full_matrices": False},
         id="r-wide-batched", rtol=1e-10),
    case("qr", args(normal((3, 3), F32)), _qr_ref("r"), params={"part": "r",
                                                               "full_matrices": False},
         id="r-f32"),
    # The gradient of a tall full-mode QR is refused, as TF's (test_decompositions.py).
    case("qr", args(normal((4, 2))), _qr_ref("q", "complete"),
         params={"part": "q", "full_matrices": True}, grad_argnums=(), id="q-tall-full",
         rtol=1e-10),
    case("qr", args(normal((2, 4, 2))), _qr_ref("r", "complete"),
         params={"part": "r", "full_matrices": True}, grad_argnums=(),
         id="r-tall-full-batched", rtol=1e-10),
    case("eigh", args(symmetric((3, 3))), _eigh_ref("e"), params={"part": "e"}, id="e",
         rtol=1e-10),
    case("eigh", args(symmetric((2, 3, 3), F32)), _eigh_ref("e"), params={"part": "e"},
         id="e-batched-f32", atol=1e-5),
    case("eigh", args(symmetric((3, 3))), _eigh_ref("v"), params={"part": "v"},
         grad_argnums=(), id="v", rtol=1e-10),
    case("eigh", args(symmetric((2, 2, 2))), _eigh_ref("v"), params={"part": "v"},
         grad_argnums=(), id="v-batched", rtol=1e-10),
]


def _custom_grad(g):
    return (2 * g,)


CUSTOM_ROWS = [
    case("custom_gradient", args(normal((2, 3)), normal((2, 3))), lambda y, x: y,
         params={"grad_fn": _custom_grad}, grad="custom", id="y,x"),
]


# --------------------------------------------------------------------------------------------
# Random draws: the `random` primitive against a pure-Python Philox-4x32-10 written from the
# paper (Salmon et al., SC 2011), one element at a time, so the block/word layout documented
# in tapeflow/ops/random.py is checked independently of its vectorised kernel.
# --------------------------------------------------------------------------------------------


def _philox_py(counter, key):
    c, (k0, k1) = list(counter), key
    for _ in range(10):
        p0, p1 = 0xD2511F53 * c[0], 0xCD9E8D57 * c[2]
        c = [(p1 >> 32) ^ c[1] ^ k0, p1 & 0xFFFFFFFF, (p0 >> 32) ^ c[3] ^ k1, p0 & 0xFFFFFFFF]
        k0, k1 = (k0 + 0x9E3779B9) & 0xFFFFFFFF, (k1 + 0xBB67AE85) & 0xFFFFFFFF
    return c


def _random_ref(dist, shape, dtype, a, b, salt=0):
    import math

    def ref(state):
        key = (int(state[0]) & (2**64 - 1)) ^ salt
        ctr = int(state[1]) & (2**64 - 1)
        words = {"normal": 2, "uniform_int": 2}.get(dist, 1 if dtype == F32 else 2)
        per = 4 // words
        out = []
        for i in range(int(np.prod(shape))):
            block = i // per
            x = _philox_py([block & 0xFFFFFFFF, block >> 32, ctr & 0xFFFFFFFF, ctr >> 32],
                           (key & 0xFFFFFFFF, key >> 32))
            w = x[(i % per) * words:(i % per + 1) * words]
            if dist == "uniform" and words == 1:
                out.append(a + (b - a) * ((w[0] >> 8) / 2**24))
            elif dist == "uniform":
                out.append(a + (b - a) * ((((w[0] >> 5) << 26) | (w[1] >> 6)) / 2**53))
            elif dist == "normal":  # a pair per block: r cos(t), r sin(t)
                u1 = ((((x[0] >> 5) << 26) | (x[1] >> 6)) + 1) / 2**53
                u2 = (((x[2] >> 5) << 26) | (x[3] >> 6)) / 2**53
                trig = math.cos if i % 2 == 0 else math.sin
                out.append(a + b * math.sqrt(-2 * math.log(u1)) * trig(2 * math.pi * u2))
            else:
                out.append(a + ((w[0] << 32) | w[1]) % (b - a))
        return np.array(out, dtype=dtype).reshape(shape)

    return ref


def _truncated_ref(shape):
    """Standard normals beyond 2 sigma drawn again: attempt t in the counter's second word."""
    import math

    def ref(state):
        key, ctr = (int(v) & (2**64 - 1) for v in state)
        out = []
        for i in range(int(np.prod(shape))):
            for t in range(32):
                w = _philox_py([i, t, ctr & 0xFFFFFFFF, ctr >> 32], (key & 0xFFFFFFFF, key >> 32))
                u1 = ((((w[0] >> 5) << 26) | (w[1] >> 6)) + 1) / 2**53
                u2 = (((w[2] >> 5) << 26) | (w[3] >> 6)) / 2**53
                z = math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2)
                if abs(z) <= 2:
                    break
            out.append(z)
        return np.array(out).reshape(shape)

    return ref


def _state(key, counter):
    return fixed([key, counter], I64)


RANDOM_ROWS = [
    case("random", args(_state(12345, 0)), _random_ref("uniform", (3, 5), F32, 0.0, 1.0),
         params={"dist": "uniform", "shape": (3, 5), "dtype": F32, "a": 0.0, "b": 1.0,
                 "salt": 0}, rtol=0, atol=0, grad="none", id="uniform-f32-partial-block"),
    case("random", args(_state(-7, 2**40 + 3)), _random_ref("uniform", (4, 2), F64, -2.0, 3.0),
         params={"dist": "uniform", "shape": (4, 2), "dtype": F64, "a": -2.0, "b": 3.0,
                 "salt": 0}, rtol=1e-15, grad="none", id="uniform-f64-scaled"),
    case("random", args(_state(99, 5)), _random_ref("normal", (7,), F64, 1.0, 2.0, salt=77),
         params={"dist": "normal", "shape": (7,), "dtype": F64, "a": 1.0, "b": 2.0,
                 "salt": 77}, rtol=1e-13, grad="none", id="normal-f64-salted"),
    case("random", args(_state(3, 1)), _random_ref("normal", (), F32, 0.0, 1.0),
         params={"dist": "normal", "shape": (), "dtype": F32, "a": 0.0, "b": 1.0, "salt": 0},
         grad="none", id="normal-f32-scalar"),
    case("random", args(_state(3, 1)), _random_ref("uniform_int", (5,), I32, -3, 9),
         params={"dist": "uniform_int", "shape": (5,), "dtype": I32, "a": -3, "b": 9,
                 "salt": 0}, grad="none", id="uniform-int32"),
    case("random", args(_state(3, 1)), lambda s: np.zeros((0, 4), F32),
         params={"dist": "uniform", "shape": (0, 4), "dtype": F32, "a": 0.0, "b": 1.0,
                 "salt": 0}, grad="none", id="uniform-empty"),
    case("random", args(_state(8, 0)), _truncated_ref((64,)),
         params={"dist": "truncated_normal", "shape": (64,), "dtype": F64, "a": 0.0,
                 "b": 1.0, "salt": 0}, rtol=1e-13, grad="none", id="truncated-normal"),
]

# In-kernel value checks (tapeflow/ops/checks.py): the value passes through unchanged; the
# failing cases are in tests/ops/test_checks.py.
CHECK_ROWS = [
    case("check_range", args(small_ints((4, 3), 0, 10, I32)), lambda x: x,
         params={"lo": 0, "hi": 10, "op": "op", "what": "labels"}, grad="none", id="i32"),
    case("check_range", args(small_ints((5,), -2, 3, I64)), lambda x: x,
         params={"lo": -2, "hi": 3, "op": "op", "what": "x"}, grad="none", id="i64-signed"),
    case("check_numerics", args(normal((4, 3))), lambda x: x, params={"message": "m"},
         id="f64"),
    case("check_numerics", args(normal((5,), F32)), lambda x: x, params={"message": "m"},
         id="f32"),
    # tf.debugging's assertions: a true condition passes through (the data only shows in the
    # error); failing ones are in tests/api/test_asserts.py.
    case("assert_that", args(lambda rng: np.ones((4,), bool), normal((4,))),
         lambda c, d: c, params={"template": ("m", None), "summarize": 3}, grad="none",
         id="true-with-data"),
]

NO_GRADIENT_ROWS = [
    case("no_gradient", args(normal((3, 2), F32)), lambda x: x,
         params={"op_name": "AdjustContrastv2"}, grad="lookup", id="f32"),
]

# --------------------------------------------------------------------------------------------
# The second math sweep: complex parts, bitwise ops, special functions, cumulative_logsumexp,
# scatter_mul (segment products)
# --------------------------------------------------------------------------------------------


def _scipy_ref(name):
    def ref(*xs):
        import scipy.special

        return getattr(scipy.special, name)(*xs)

    return ref


def _shift_ref(shift):
    return lambda x, y: shift(x, np.clip(y, 0, x.dtype.itemsize * 8 - 1).astype(x.dtype))


def _cumlogsumexp_ref(axis, exclusive, reverse):
    # log of the running sum of exp(x), in float64 (the values stay small in these rows)
    return lambda x: np.log(_scan_ref(np.add, 0, axis, exclusive, reverse)(np.exp(x)))


def _scatter_mul_ref(size):
    def ref(u, idx):
        out = np.ones((size,) + u.shape[idx.ndim:], dtype=u.dtype)
        for j, i in enumerate(idx.ravel()):
            out[i] = out[i] * u.reshape((idx.size,) + u.shape[idx.ndim:])[j]
        return out

    return ref


def _polygamma_ref(n, x):
    import scipy.special

    return scipy.special.polygamma(n.astype(I64), x)


MATH2_ROWS = [
    # Complex numbers: the tape differentiates real floats only, so these rows check values
    # (and the compiled lowering); their VJPs are TF's, for a complex cotangent.
    case("complex", args(normal((2, 3), F32), normal((3,), F32)),
         lambda re, im: (re + 1j * im).astype(np.complex64), grad_argnums=(), id="f32-bcast"),
    case("complex", args(normal((2, 3)), normal((2, 3))), lambda re, im: re + 1j * im,
         grad_argnums=(), id="f64"),
    case("real", args(complex_normal((2, 3))), np.real, grad_argnums=(), id="c128"),
    case("imag", args(complex_normal((4,), np.complex64)), np.imag, grad_argnums=(),
         id="c64"),
    case("angle", args(complex_normal((2, 3))), np.angle, grad_argnums=(), id="c128"),
    # Bitwise ops of integers (no gradient); shifts by amounts out of [0, bits) are clamped.
    case("bitwise_and", args(small_ints((3, 4), -50, 50, I32), small_ints((4,), -50, 50, I32)),
         np.bitwise_and, grad="none", id="i32-bcast"),
    case("bitwise_or", args(small_ints((3, 4), -50, 50, I64), small_ints((3, 4), -50, 50, I64)),
         np.bitwise_or, grad="none", id="i64"),
    case("bitwise_xor", args(small_ints((3, 4), -50, 50, I32), small_ints((3, 4), 0, 9, I32)),
         np.bitwise_xor, grad="none", id="i32"),
    case("invert", args(small_ints((2, 5), -50, 50, I64)), np.invert, grad="none", id="i64"),
    case("invert", args(small_ints((7,), -50, 50, I32)), np.invert, grad="none", id="i32"),
    case("left_shift", args(small_ints((3, 4), -9, 9, I32), small_ints((3, 4), -3, 40, I32)),
         _shift_ref(np.left_shift), grad="none", id="i32-clamped"),
    case("left_shift", args(small_ints((6,), -9, 9, I64), small_ints((6,), 0, 70, I64)),
         _shift_ref(np.left_shift), grad="none", id="i64"),
    case("right_shift", args(small_ints((3, 4), -200, 200, I32), small_ints((4,), -3, 40, I32)),
         _shift_ref(np.right_shift), grad="none", id="i32-arithmetic"),
    # Special functions, away from their poles (offset_grid: whole numbers + [0.2, 0.8]).
    case("lgamma", args(offset_grid((3, 4), 0.2, 0.8)), _scipy_ref("gammaln"), id="f64"),
    case("lgamma", args(uniform((5,), 0.1, 8.0, F32)), _scipy_ref("gammaln"), id="f32"),
    case("digamma", args(offset_grid((3, 4), 0.2, 0.8)), _scipy_ref("psi"), id="f64"),
    case("digamma", args(uniform((5,), 0.1, 30.0, F32)), _scipy_ref("psi"), id="f32"),
    case("polygamma", args(fixed([[1.0], [2.0], [3.0]], F64), uniform((3, 4), 0.3, 20.0)),
         _polygamma_ref, grad_argnums=(1,), rtol=1e-11, id="orders-1-3"),
    case("erfinv", args(uniform((3, 4), -0.95, 0.95)), _scipy_ref("erfinv"), rtol=1e-11,
         id="f64"),
    case("erfinv", args(uniform((6,), -0.999, 0.999, F32)), _scipy_ref("erfinv"), id="f32"),
    case("erfinv", args(fixed([1 - 1e-12, -1 + 1e-9, 0.99999], F64)), _scipy_ref("erfinv"),
         grad_argnums=(), rtol=1e-11, id="f64-tails"),
    case("ndtri", args(uniform((3, 4), 0.02, 0.98)), _scipy_ref("ndtri"), rtol=1e-11,
         id="f64"),
    case("ndtri", args(fixed([1e-300, 1e-20, 1e-5, 1 - 1e-10, 0.5], F64)), _scipy_ref("ndtri"),
         grad_argnums=(), rtol=1e-11, id="f64-tails"),
    # mul_no_nan at y == 0: 0, and the slope in y is x (TF's mul_no_nan(x, g)).
    case("mul_no_nan", args(normal((3, 4)), small_ints((3, 4), -1, 2)),
         lambda x, y: np.where(y == 0, 0.0, x * y), id="zeros-in-y"),
    case("mul_no_nan", args(normal((3, 1), F32), normal((4,), F32)), np.multiply,
         id="f32-bcast"),
    *[case("cumlogsumexp", args(normal((3, 4))), _cumlogsumexp_ref(axis, ex, rev),
           params={"axis": axis, "exclusive": ex, "reverse": rev},
           # exclusive outputs start at -inf, where finite differences are nan: their VJP
           # is checked against TF's numbers in tests/ops/test_math2.py.
           grad_argnums=() if ex else (0,), id=f"axis{axis}-ex{int(ex)}-rev{int(rev)}")
      for axis in (0, 1) for ex, rev in SCAN_FLAGS],
    case("scatter_mul", args(normal((5, 3)), fixed([0, 2, 0, 1, 2], I32)), _scatter_mul_ref(4),
         params={"size": 4}, grad_argnums=(0,), id="f64"),
    case("scatter_mul", args(fixed([[0.0, 2.0], [3.0, 0.0], [0.0, 1.5], [2.0, 2.0]], F64),
                             fixed([0, 0, 0, 1], I64)), _scatter_mul_ref(2),
         params={"size": 2}, grad_argnums=(0,), order=1, id="zeros"),
    case("scatter_mul", args(small_ints((2, 2, 3), -3, 4, I32), fixed([[0, 1], [1, 1]], I32)),
         _scatter_mul_ref(3), params={"size": 3}, grad_argnums=(), id="i32-2d-ids"),
]

def _lu_ref(part):
    """LAPACK's getrf (scipy): the packed factors, and its row swaps replayed as TF's
    permutation (input[p] = L U)."""
    def ref(x):
        import scipy.linalg

        outs = []
        for a in x.reshape((-1,) + x.shape[-2:]):
            lu, swaps = scipy.linalg.lu_factor(a)
            perm = np.arange(len(a))
            for k, j in enumerate(swaps):
                perm[[k, j]] = perm[[j, k]]
            outs.append(lu if part == "lu" else perm.astype(np.int32))
        return np.array(outs).reshape(x.shape if part == "lu" else x.shape[:-1])
    return ref


def _expm_ref(x):
    import scipy.linalg

    return np.array([scipy.linalg.expm(a) for a in x.reshape((-1,) + x.shape[-2:])]
                    ).reshape(x.shape)


# ops/matrix_functions.py. TF registers no gradient for Lu (tests/ops/test_linalg_more.py
# checks the LookupError); expm's VJP (another expm) is checked to second order.
MATRIX_FUNCTION_ROWS = [
    case("lu", args(normal((4, 4))), _lu_ref("lu"), params={"part": "lu",
                                                           "index_dtype": "int32"},
         grad_argnums=(), id="lu", rtol=1e-10, atol=1e-12),
    case("lu", args(normal((2, 3, 3), F32)), _lu_ref("p"), params={"part": "p",
                                                                  "index_dtype": "int32"},
         grad_argnums=(), id="p-batched-f32"),
    case("lu", args(normal((2, 2, 3, 3))), _lu_ref("lu"), params={"part": "lu",
                                                                 "index_dtype": "int64"},
         grad_argnums=(), id="lu-batch2", rtol=1e-10, atol=1e-12),
    case("expm", args(normal((3, 3))), _expm_ref, id="3x3", rtol=1e-12, atol=1e-12,
         fd_rtol=1e-5),
    case("expm", args(normal((2, 2, 2), F32)), _expm_ref, id="batched-f32", rtol=1e-5),
    # A norm above maxnorm: scaled by 2^s and squared back.
    case("expm", args(uniform((2, 3, 3), 2.0, 4.0)), _expm_ref, id="squared",
         rtol=1e-7, atol=1e-9, fd_rtol=1e-5, fd_atol=1e-5),  # scipy squares differently
]

OP_TABLE: list[OpCase] = (
    UNARY_ROWS + BINARY_ROWS + SELECT_ROWS + CAST_ROWS + REDUCTION_ROWS + MATMUL_ROWS
    + SHAPE_ROWS + ORDER_ROWS + MATRIX_ROWS + DECOMPOSITION_ROWS + CUSTOM_ROWS
    + RANDOM_ROWS + CHECK_ROWS + SOFTMAX_ROWS + NO_GRADIENT_ROWS
    + MATH2_ROWS + MATRIX_FUNCTION_ROWS
)

rows = pytest.mark.parametrize("row", OP_TABLE, ids=lambda r: r.id)


def _tuple(x, prim):
    return tuple(x) if prim.multiple_results else (x,)


def _rng(row):
    return np.random.default_rng(zlib.crc32(row.id.encode()))


def test_table_ids_are_unique():
    ids = [r.id for r in OP_TABLE]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})


# --------------------------------------------------------------------------------------------
# a. shape rule == eager kernel
# --------------------------------------------------------------------------------------------


@rows
def test_shape_rule_matches_eager(row):
    xs = row.make_args(_rng(row))
    avals = tuple(ShapedArray(np.shape(x), np.asarray(x).dtype) for x in xs)
    expected = row.prim.out_avals(avals, row.params)
    outs = _tuple(row.prim.impl(*xs, **row.params), row.prim)
    got = tuple(ShapedArray(np.shape(o), np.asarray(o).dtype) for o in outs)
    assert got == expected


# --------------------------------------------------------------------------------------------
# b. eager == numpy
# --------------------------------------------------------------------------------------------


@rows
def test_eager_matches_numpy(row):
    xs = row.make_args(_rng(row))
    out = bind(row.prim, *xs, **row.params)
    got = np.asarray([o.numpy() for o in out] if row.prim.multiple_results else out.numpy())
    want = np.asarray(row.ref(*[x.copy() for x in xs]))
    assert got.shape == want.shape
    if want.dtype.kind in "fc":
        np.testing.assert_allclose(got, want, rtol=row.rtol, atol=row.atol)
    else:
        np.testing.assert_array_equal(got, want)


# --------------------------------------------------------------------------------------------
# c. VJP == central finite differences (or no gradient)
# --------------------------------------------------------------------------------------------


def _vjp_inputs(row):
    """Float inputs at the row's gradient precision, a fixed cotangent, and the out dtype."""
    rng = _rng(row)
    xs = row.make_args(rng)
    if row.grad_dtype is not None:
        xs = [x.astype(row.grad_dtype) if x.dtype.kind == "f" else x for x in xs]
    avals = tuple(ShapedArray(x.shape, x.dtype) for x in xs)
    (out_aval,) = row.prim.out_avals(avals, row.params)
    ct_dtype = out_aval.dtype if out_aval.dtype.kind == "f" else F64
    ct = np.asarray(rng.standard_normal(out_aval.shape), dtype=ct_dtype)
    return xs, ct


def _taped_gradient(row, xs, ct):
    """d sum(out * ct) / d x_i for i in grad_argnums, through tf.GradientTape."""
    variables = {i: tf.Variable(xs[i]) for i in row.grad_argnums}
    inputs = [variables.get(i, x) for i, x in enumerate(xs)]
    with tf.GradientTape() as tape:
        out = bind(row.prim, *inputs, **row.params)
        if out.dtype.as_numpy_dtype != ct.dtype:  # bool or integer output
            out = tf.cast(out, ct.dtype)
        loss = tf.reduce_sum(out * ct)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "integer sources have no gradient"
        return tape.gradient(loss, [variables[i] for i in row.grad_argnums])


def _numeric_gradient(row, xs, ct, i):
    """Central differences of sum(out * ct) in x_i, dividing by the step actually taken."""
    x = xs[i]
    grad = np.zeros(x.shape, dtype=F64)
    for j in np.ndindex(x.shape):
        step = []
        values = []
        for sign in (1, -1):
            shifted = x.astype(F64)
            shifted[j] += sign * row.fd_eps
            shifted = shifted.astype(x.dtype)
            step.append(float(shifted[j]))
            out = row.prim.impl(*xs[:i], shifted, *xs[i + 1:], **row.params)
            values.append(np.sum(np.asarray(out, dtype=F64) * ct))
        grad[j] = (values[0] - values[1]) / (step[0] - step[1])
    return grad


FD_ROWS = [r for r in OP_TABLE if r.grad == "fd" and r.grad_argnums]
NO_GRAD_ROWS = [r for r in OP_TABLE if r.grad in ("none", "zeros")]


@pytest.mark.parametrize("row", FD_ROWS, ids=lambda r: r.id)
def test_vjp_matches_finite_differences(row):
    xs, ct = _vjp_inputs(row)
    grads = _taped_gradient(row, xs, ct)
    for i, g in zip(row.grad_argnums, grads):
        assert g is not None, f"input {i}: no gradient"
        g = g.numpy()
        assert g.shape == xs[i].shape and g.dtype == xs[i].dtype, f"input {i}"
        np.testing.assert_allclose(g, _numeric_gradient(row, xs, ct, i), rtol=row.fd_rtol,
                                   atol=row.fd_atol, err_msg=f"gradient of input {i}")


SECOND_ORDER_ROWS = [r for r in FD_ROWS if r.order >= 2]


def _gradient_dot(row, xs, ct, w):
    """sum_i <d sum(out * ct) / d x_i, w_i>: the first-order taped gradient projected on
    fixed directions `w`, as a scalar tensor (nested tapes differentiate it once more)."""
    grads = _taped_gradient(row, xs, ct)
    return sum(float(np.sum(g.numpy() * wi)) for g, wi in zip(grads, w))


@pytest.mark.parametrize("row", SECOND_ORDER_ROWS, ids=lambda r: r.id)
def test_vjp_second_order_matches_finite_differences(row):
    # d/dx_j <grad(x), w>, by nested tapes, against central differences of the taped
    # gradient: this differentiates every VJP rule's own ops (STYLE.md item 16a).
    xs, ct = _vjp_inputs(row)
    rng = np.random.default_rng(1)
    w = [rng.standard_normal(xs[i].shape) for i in row.grad_argnums]
    variables = {i: tf.Variable(xs[i]) for i in row.grad_argnums}
    inputs = [variables.get(i, x) for i, x in enumerate(xs)]
    sources = [variables[i] for i in row.grad_argnums]
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            out = bind(row.prim, *inputs, **row.params)
            if out.dtype.as_numpy_dtype != ct.dtype:
                out = tf.cast(out, ct.dtype)
            loss = tf.reduce_sum(out * ct)
        grads = inner.gradient(loss, sources)
        projected = tf.reduce_sum(grads[0] * w[0])
        for g, wi in zip(grads[1:], w[1:]):
            projected = projected + tf.reduce_sum(g * wi)
    second = outer.gradient(projected, sources,
                            unconnected_gradients=tf.UnconnectedGradients.ZERO)
    for k, i in enumerate(row.grad_argnums):
        x = xs[i]
        numeric = np.zeros(x.shape)
        for j in np.ndindex(x.shape):
            values = []
            for sign in (1, -1):
                shifted = [a.copy() for a in xs]
                shifted[i][j] += sign * row.fd_eps
                values.append(_gradient_dot(row, shifted, ct, w))
            numeric[j] = (values[0] - values[1]) / (2 * row.fd_eps)
        np.testing.assert_allclose(second[k].numpy(), numeric, rtol=1e-5, atol=1e-6,
                                   err_msg=f"second-order gradient of input {i}")


@pytest.mark.parametrize("row", NO_GRAD_ROWS, ids=lambda r: r.id)
def test_piecewise_constant_ops_have_no_gradient(row):
    xs, ct = _vjp_inputs(row)
    grads = _taped_gradient(row, xs, ct)
    for i, g in zip(row.grad_argnums, grads):
        if row.grad == "zeros":  # sign: TF gives zeros, not None
            assert g is not None, f"input {i}"
            np.testing.assert_array_equal(g.numpy(), np.zeros_like(xs[i]))
        else:
            assert g is None, f"input {i}: expected no gradient, got {g}"


def test_custom_gradient_uses_the_rule_not_the_forward():
    # custom_gradient(y, x) returns y; its VJP is grad_fn(dy) for x and nothing for y.
    (row,) = [r for r in OP_TABLE if r.grad == "custom"]
    xs, ct = _vjp_inputs(row)
    y, x = tf.Variable(xs[0]), tf.Variable(xs[1])
    with tf.GradientTape() as tape:
        out = bind(row.prim, y, x, grad_fn=lambda g: (2 * g,))
        loss = tf.reduce_sum(out * ct)
    dy, dx = tape.gradient(loss, [y, x])
    assert dy is None
    np.testing.assert_allclose(dx.numpy(), 2 * ct, rtol=0, atol=0)


def test_no_gradient_raises_lookup_error_naming_the_op():
    (row,) = [r for r in OP_TABLE if r.grad == "lookup"]
    x = tf.Variable(row.make_args(np.random.default_rng(0))[0])
    with tf.GradientTape() as tape:
        out = bind(row.prim, x, **row.params)
    with pytest.raises(LookupError, match="no entry for: AdjustContrastv2"):
        tape.gradient(out, x)


# --------------------------------------------------------------------------------------------
# Conventions where the derivative is not unique (TensorFlow's choices), through the tf API
# --------------------------------------------------------------------------------------------


def _grad(f, *values, dtype=tf.float64):
    variables = [tf.Variable(v, dtype=dtype) for v in values]
    with tf.GradientTape() as tape:
        y = f(*variables)
    grads = tape.gradient(y, variables)
    return [None if g is None else g.numpy() for g in grads]


@pytest.mark.parametrize("op", [tf.maximum, tf.minimum], ids=["maximum", "minimum"])
def test_max_min_tie_gradient_goes_to_first_argument(op):
    assert _grad(op, 2.0, 2.0) == [1.0, 0.0]
    assert _grad(lambda x, y: op(y, x), 2.0, 2.0) == [0.0, 1.0]


def test_max_min_ties_inside_broadcasting():
    dx, dy = _grad(lambda x, y: tf.reduce_sum(tf.maximum(x, y)), [1.0, 2.0, 3.0], 2.0)
    np.testing.assert_array_equal(dx, [0.0, 1.0, 1.0])
    np.testing.assert_array_equal(dy, 1.0)
    dx, dy = _grad(lambda x, y: tf.reduce_sum(tf.minimum(x, y)), [1.0, 2.0, 3.0], 2.0)
    np.testing.assert_array_equal(dx, [1.0, 1.0, 0.0])
    np.testing.assert_array_equal(dy, 1.0)


@pytest.mark.parametrize(
    "op, x, axis, expected",
    [
        (tf.reduce_max, [1.0, 3.0, 3.0], None, [0.0, 0.5, 0.5]),
        (tf.reduce_min, [1.0, 1.0, 3.0], None, [0.5, 0.5, 0.0]),
        (tf.reduce_max, [[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], 1,
         [[0.0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]]),
        (tf.reduce_min, [[1.0, 0.0], [0.0, 3.0]], 0, [[0.0, 1.0], [1.0, 0.0]]),
    ],
    ids=["max", "min", "max-axis1", "min-axis0"],
)
def test_reduce_max_min_split_gradient_among_ties(op, x, axis, expected):
    (dx,) = _grad(lambda v: tf.reduce_sum(op(v, axis=axis)), x)
    np.testing.assert_allclose(dx, expected, rtol=1e-15)


def test_clip_by_value_gradient_is_one_at_bounds_and_zero_outside():
    (dx,) = _grad(lambda x: tf.reduce_sum(tf.clip_by_value(x, -1.0, 2.0)),
                  [-1.0, 2.0, -3.0, 5.0, 0.5])
    np.testing.assert_array_equal(dx, [1.0, 1.0, 0.0, 0.0, 1.0])


def test_relu_gradient_at_zero_is_zero():
    (dx,) = _grad(lambda x: tf.reduce_sum(tf.nn.relu(x)), [-1.0, 0.0, 2.0])
    np.testing.assert_array_equal(dx, [0.0, 0.0, 1.0])


def test_abs_gradient_at_zero_is_zero():
    (dx,) = _grad(lambda x: tf.reduce_sum(tf.abs(x)), [-2.0, 0.0, 3.0])
    np.testing.assert_array_equal(dx, [-1.0, 0.0, 1.0])


@pytest.mark.parametrize(
    "x, axis, expected",
    [
        ([2.0, 0.0, 3.0], None, [0.0, 6.0, 0.0]),  # one zero: it gets the others' product
        ([0.0, 2.0, 0.0], None, [0.0, 0.0, 0.0]),  # two zeros: every partial has a zero
        ([[2.0, 0.0, 3.0], [1.0, 2.0, 3.0]], 1, [[0.0, 6.0, 0.0], [6.0, 3.0, 2.0]]),
        ([[0.0, 2.0, 0.0], [4.0, 0.0, 5.0]], 1, [[0.0, 0.0, 0.0], [0.0, 20.0, 0.0]]),
    ],
    ids=["one-zero", "two-zeros", "one-zero-per-row", "two-zeros-in-one-row"],
)
def test_reduce_prod_gradient_with_zeros(x, axis, expected):
    (dx,) = _grad(lambda v: tf.reduce_sum(tf.reduce_prod(v, axis=axis)), x)
    np.testing.assert_array_equal(dx, expected)


def test_square_gradient():
    x = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = x**2
    assert tape.gradient(y, x).numpy() == 6.0


@pytest.mark.parametrize(
    "f",
    [
        lambda x: tf.reduce_sum(tf.exp(x) * x),
        lambda x: tf.reduce_sum(tf.matmul(x, tf.transpose(x))),
        lambda x: tf.reduce_max(x**2 / (1.0 + x)),
        lambda x: tf.reduce_sum(tf.gather(x, [0, 0, 1]) - tf.reduce_mean(x)),
    ],
    ids=["exp", "matmul", "div-pow", "gather-mean"],
)
def test_float64_inputs_give_float64_gradients(f):
    (dx,) = _grad(f, [[1.0, 2.0], [3.0, 4.0]])
    assert dx.dtype == np.float64


# --------------------------------------------------------------------------------------------
# d. Numba lowering == eager (compiles one single-equation graph per row)
# --------------------------------------------------------------------------------------------


def _single_eqn_graph(row, xs):
    from tapeflow.graph.ir import Eqn, Graph, make_params, new_var
    from tapeflow.ops.core import ShapedArray

    inputs = tuple(new_var(ShapedArray(x.shape, x.dtype)) for x in xs)
    out_avals = row.prim.out_avals(tuple(v.aval for v in inputs), row.params)
    outputs = tuple(new_var(a) for a in out_avals)
    eqn = Eqn(row.prim, inputs, outputs, make_params(row.params))
    return Graph(inputs, (eqn,), outputs)


@pytest.mark.slow
@pytest.mark.parametrize("row", OP_TABLE, ids=lambda r: r.id)
def test_numba_lowering_matches_eager(row, tmp_path_factory):
    from tapeflow.codegen.compile import compile_graph

    xs = [np.asarray(x) for x in row.make_args(_rng(row))]
    graph = _single_eqn_graph(row, xs)
    kernel = compile_graph(graph, cache_dir=tmp_path_factory.getbasetemp() / "kernels")
    (got,) = kernel(*[np.ascontiguousarray(x) if x.ndim else x for x in xs])
    want = np.asarray(row.prim.impl(*xs, **row.params), dtype=graph.outputs[0].aval.dtype)
    assert got.shape == want.shape and got.dtype == want.dtype
    if want.dtype.kind == "f":
        # Compiled math (libm, vecmath, the order of a sum) may differ from numpy by a few ulp.
        tol = 2e-5 if want.dtype == np.float32 else 1e-12
        np.testing.assert_allclose(got, want, rtol=max(row.rtol or 0, tol), atol=row.atol or 0)
    else:
        np.testing.assert_array_equal(got, want)

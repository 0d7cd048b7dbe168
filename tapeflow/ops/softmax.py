"""softmax over the last axis as one primitive, so that float32 results carry TensorFlow's
last digits.

TensorFlow on x86 CPUs computes float32 softmax with oneDNN's vectorised kernel, whose rounding
differs from exp(x - max) / sum computed with numpy: on random rows 20-70% of the elements
differ in the last place (`0.24472846` against TensorFlow's `0.24472848` for softmax([1, 2, 3])).
Printed float32 tensors show those digits, so a composite cannot print what TensorFlow prints.
This kernel follows the same arithmetic, step by step, and was checked bit for bit against
TensorFlow 2.21 on an AVX-512 CPU (rows of 1 to 1000 elements, inputs scaled up to 100, so
that exps underflow):

1. m = max of the row; s = x - m (float32).
2. exp(s) by range reduction and a polynomial, in float32: k = floor(s * log2(e) + 1/2)
   (multiply, then add, each rounded), r = s - k ln2 (one rounding, a fused multiply-add),
   p = 1 + r (c1 + r (c2 + r (c3 + r (c4 + r c5)))) by fused multiply-adds, and
   exp(s) = p * 2^(k-1) * 2. Inputs below ln(FLT_MIN) give 0; results below FLT_MIN are
   flushed to zero (TensorFlow runs with denormals flushed).
3. The row's sum: the row is cut into blocks of 16 lanes; full blocks go round-robin into
   four accumulators of 16 lanes, a partial last block into the first one; the accumulators
   are added as (a0 + a1) + (a2 + a3), then the 16 lanes by halving (lane i + lane i+8, ...).
4. out = exp(s) * (1 / sum), flushed to zero below FLT_MIN.

A fused multiply-add is computed here in float64 and rounded once to float32 (the float32
product is exact in float64); eager (numpy) and compiled (Numba) code use the same formulas,
so they agree bit for bit. float64 softmax is exp(s) / sum(exp(s)).

The VJP is the usual one, written with `out`: dx = out * (g - sum(g * out)).
"""

from __future__ import annotations

import numpy as np

from tapeflow.ops import lowering as lw
from tapeflow.ops.core import (
    LoopKernel,
    OpTypeError,
    Primitive,
    ShapedArray,
    bind,
    per_input,
)
from tapeflow.ops.elementwise import multiply, subtract
from tapeflow.ops.reductions import reduce_sum

F32, F64 = np.dtype(np.float32), np.dtype(np.float64)

LANES = 16  # float32 lanes of an AVX-512 register
ACCUMULATORS = 4
# The polynomial's coefficients c1..c5 (a minimax fit of exp on [-ln2/2, ln2/2]), as float32
# bit patterns: those of TensorFlow's CPU kernel.
_COEFFS = [np.array([bits], np.uint32).view(np.float32)[0] for bits in
           (0x3F7FFFFB, 0x3EFFFEE3, 0x3E2AAD40, 0x3D2B9D0D, 0x3C07CFCE)]
_LN2 = np.array([0x3F317218], np.uint32).view(np.float32)[0]  # ln 2 rounded to float32
_LOG2E = np.array([0x3FB8AA3B], np.uint32).view(np.float32)[0]  # log2(e) rounded to float32
_TINY = np.finfo(np.float32).tiny
_EXP_LO = np.float32(np.log(_TINY))  # below: exp underflows to 0
_EXP_HI = np.float32(np.log(np.finfo(np.float32).max))


def _flush(a: np.ndarray) -> np.ndarray:
    return np.where(np.abs(a) < _TINY, np.float32(0), a).astype(np.float32)


def _fma(a, b, c) -> np.ndarray:
    """a * b + c rounded once to float32 (a, b, c float32)."""
    return (np.asarray(a, np.float64) * np.float64(b) + np.asarray(c, np.float64)).astype(
        np.float32)


def exp_f32(s: np.ndarray) -> np.ndarray:
    """exp of float32 `s` as step 2 of the module docstring computes it."""
    under = s < _EXP_LO
    z = np.minimum(np.maximum(s, _EXP_LO), _EXP_HI)
    k = np.floor((z * _LOG2E).astype(np.float32) + np.float32(0.5)).astype(np.float32)
    r = _fma(-k, _LN2, z)
    p = np.full_like(r, _COEFFS[4])
    for c in (_COEFFS[3], _COEFFS[2], _COEFFS[1], _COEFFS[0], np.float32(1)):
        p = _fma(p, r, c)
    with np.errstate(over="ignore", invalid="ignore"):
        scale = _flush(np.ldexp(np.float32(1), np.where(np.isfinite(k), k - 1, 0).astype(
            np.int32)).astype(np.float32))
    scale = np.where(under, np.float32(0), scale)
    return _flush(_flush(p * scale) * np.float32(2))


def row_sums_f32(e: np.ndarray) -> np.ndarray:
    """Sums over the last axis of `e` (float32, >= 0), as step 3 of the docstring adds."""
    n = e.shape[-1]
    full, tail = divmod(n, LANES)
    padded = np.zeros(e.shape[:-1] + ((full + (tail > 0)) * LANES,), np.float32)
    padded[..., :n] = e
    blocks = padded.reshape(e.shape[:-1] + (-1, LANES))
    acc = np.zeros(e.shape[:-1] + (ACCUMULATORS, LANES), np.float32)
    for b in range(full):
        acc[..., b % ACCUMULATORS, :] += blocks[..., b, :]
    if tail:
        acc[..., 0, :] += blocks[..., full, :]
    lanes = (acc[..., 0, :] + acc[..., 1, :]) + (acc[..., 2, :] + acc[..., 3, :])
    width = LANES
    while width > 1:
        width //= 2
        lanes = lanes[..., :width] + lanes[..., width:2 * width]
    return lanes  # (..., 1)


def _kernel(x: np.ndarray) -> np.ndarray:
    if x.size == 0:
        return x.copy()
    with np.errstate(invalid="ignore", over="ignore"):
        s = x - np.max(x, axis=-1, keepdims=True)
        if x.dtype == F64:
            e = np.exp(s)
            return e / np.sum(e, axis=-1, keepdims=True)
        e = exp_f32(s)
        inverse = (np.float32(1) / row_sums_f32(e)).astype(np.float32)
        return _flush(e * inverse)


def _rule(x: ShapedArray) -> ShapedArray:
    if x.dtype not in (F32, F64):
        raise OpTypeError(f"softmax: the primitive takes float32 or float64, got {x}")
    if x.ndim == 0:
        raise OpTypeError(f"softmax: needs at least one axis, got a scalar {x}")
    return x


softmax_p = Primitive("softmax", doc="exp(x - max) / sum over the last axis, rounded as "
                                     "TensorFlow's CPU kernel rounds float32")
softmax_p.def_abstract_eval(_rule)
softmax_p.def_impl(_kernel)
softmax_p.def_vjp(per_input(lambda g, out, x: multiply(
    out, subtract(g, reduce_sum(multiply(g, out), -1, keepdims=True)))))


def _f32(value) -> str:
    return f"np.float32({float(value)!r})"


@softmax_p.def_lowering
@LoopKernel
def _softmax_lowering(out, ins, avals):
    (x,) = ins
    out_aval, x_aval = avals
    dt = lw.dtype_expr(out_aval.dtype)
    n = x_aval.shape[-1]
    rows = x_aval.shape[:-1]
    lead = lw.loop_vars(len(rows))

    def at(j):
        return f"[{', '.join(lead + [j])}]"

    head = [f"{out} = {lw.empty(out_aval.shape, dt)}"]
    if n == 0:
        return head
    body = [f"_m = {x}{at('0')}",
            f"for _j in range(1, {n}):",
            f"    _m = _maximum(_m, {x}{at('_j')})"]
    if out_aval.dtype == F64:
        body += ["_sum = 0.0",
                 f"for _j in range({n}):",
                 f"    _e = math.exp({x}{at('_j')} - _m)",
                 f"    {out}{at('_j')} = _e",
                 "    _sum += _e",
                 f"for _j in range({n}):",
                 f"    {out}{at('_j')} = {out}{at('_j')} / _sum"]
        return head + lw.loop_nest(rows, body)
    full = n // LANES
    tiny = _f32(_TINY)
    c1, c2, c3, c4, c5 = (_f32(c) for c in _COEFFS)
    body += [
        "_acc[:, :] = 0",
        f"for _j in range({n}):",
        f"    _s = np.float32({x}{at('_j')} - _m)",
        # exp(_s): step 2 of the module docstring; fused multiply-adds in float64.
        f"    _z = min(max(_s, {_f32(_EXP_LO)}), {_f32(_EXP_HI)})",
        f"    _t = np.float32(np.float32(_z * {_f32(_LOG2E)}) + np.float32(0.5))",
        "    _k = math.floor(np.float64(_t)) if _t == _t else 0.0",
        f"    _r = np.float32(np.float64(_z) - _k * np.float64({_f32(_LN2)}))",
        f"    _p = np.float32(np.float64({c5}) * _r + np.float64({c4}))",
        f"    _p = np.float32(np.float64(_p) * _r + np.float64({c3}))",
        f"    _p = np.float32(np.float64(_p) * _r + np.float64({c2}))",
        f"    _p = np.float32(np.float64(_p) * _r + np.float64({c1}))",
        "    _p = np.float32(np.float64(_p) * _r + 1.0)",
        (f"    _sc = np.float32(2.0 ** (_k - 1)) if _k - 1 >= -126 and _s >= {_f32(_EXP_LO)} "
        "else np.float32(0)"),
        "    _e = np.float32(_p * _sc)",
        f"    if abs(_e) < {tiny}:",
        "        _e = np.float32(0)",
        "    _e = np.float32(_e * np.float32(2))",
        f"    if abs(_e) < {tiny}:",
        "        _e = np.float32(0)",
        "    if _s != _s:",
        "        _e = _s",
        f"    {out}{at('_j')} = _e",
        # step 3: which accumulator and lane this element joins
        f"    _b = _j // {LANES}",
        f"    _a = _b % {ACCUMULATORS} if _b < {full} else 0",
        f"    _acc[_a, _j % {LANES}] = np.float32(_acc[_a, _j % {LANES}] + _e)",
        f"for _l in range({LANES}):",
        ("    _lanes[_l] = np.float32(np.float32(_acc[0, _l] + _acc[1, _l])"
        " + np.float32(_acc[2, _l] + _acc[3, _l]))"),
        f"_w = {LANES}",
        "while _w > 1:",
        "    _w //= 2",
        "    for _l in range(_w):",
        "        _lanes[_l] = np.float32(_lanes[_l] + _lanes[_l + _w])",
        "_inv = np.float32(np.float32(1) / _lanes[0])",
        f"for _j in range({n}):",
        f"    _o = np.float32({out}{at('_j')} * _inv)",
        f"    if abs(_o) < {tiny}:",
        "        _o = np.float32(0)",
        f"    {out}{at('_j')} = _o",
    ]
    return head + [f"_acc = np.zeros(({ACCUMULATORS}, {LANES}), dtype=np.float32)",
                   f"_lanes = np.zeros({LANES}, dtype=np.float32)"] + lw.loop_nest(rows, body)


def softmax_last(x):
    """softmax over the last axis of a float32 or float64 tensor."""
    return bind(softmax_p, x)

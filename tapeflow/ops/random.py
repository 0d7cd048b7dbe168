"""Counter-based random numbers: one primitive, `random`, that draws from a Philox state.

Philox-4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011) maps
a 128-bit counter and a 64-bit key to 128 random bits with ten rounds of multiply/xor. It
keeps no state between draws, so a draw is a pure function of its inputs: the primitive
reads a state tensor `int64[2] = [key, counter]` and never changes it. Whoever owns the state
(a `Variable`: tf.random's global generator, a `tf.random.Generator`) advances its counter by
one after each draw, so under `@tapeflow.function` the state is an input of the step and its
advanced value an output committed with the call, like any variable update: each compiled
call draws fresh numbers, and the same state gives the same numbers eagerly and compiled.

The counter of element block `i` of one draw is (low32(i), high32(i) or the attempt number
of a truncated normal, low32(counter), high32(counter)); the key is the state's key xor
`salt` (an op-level seed). Each block gives four 32-bit words; an element takes

- uniform float32: one word, its top 24 bits times 2^-24 (exact in float32): [0, 1);
- uniform float64: two words, 53 bits times 2^-53: [0, 1);
- uniform int (`uniform_int`) and raw 64-bit `bits`: two words, as one 64-bit number
  (`minval + x mod (maxval - minval)`);
- normal: two elements per block, Box-Muller on two 53-bit uniforms u1 in (0, 1] and u2 in
  [0, 1) made of its four words: r cos(t) and r sin(t) with r = sqrt(-2 log u1),
  t = 2 pi u2, in float64;
- truncated normal: one element per block, r cos(t), drawn again (attempt 1, 2, ... in the
  counter's second word) while |z| > 2.

Scaling (`a + (b - a) u` for uniform, `a + b z` for normal) is computed in float64 and
rounded to the output dtype once. The eager kernel (numpy, vectorised over blocks) and the
Numba lowering (a loop over blocks) compute the same integer words and the same float64
formulas, so float32 results agree bitwise; float64 normals, and scaled float64 uniforms, may
differ in the last bit where compiled code fuses a multiply-add or libm's log/cos differs
from numpy's by an ulp.
"""

from __future__ import annotations

import math

import numpy as np

from tapeflow.ops import lowering as lw
from tapeflow.ops.core import (
    InvalidArgumentError,
    LoopKernel,
    OpTypeError,
    Primitive,
    ShapedArray,
    nondifferentiable,
    prod,
)

STATE_DTYPE = np.dtype(np.int64)
STATE_SHAPE = (2,)

# Philox-4x32 constants: the round multipliers and the Weyl sequence that bumps the key.
_M0, _M1 = 0xD2511F53, 0xCD9E8D57
_W0, _W1 = 0x9E3779B9, 0xBB67AE85
ROUNDS = 10
TRUNCATED_ATTEMPTS = 32  # a draw is beyond 2 sigma with p = 0.0455: 32 misses never happen

# 32-bit words each element of a distribution takes from the four a block gives.
# (A normal pair shares its block's four words: `words_per_element` says 2, and the kernels
# read all four for each pair.)
_WORDS = {"uniform": None, "uniform_int": 2, "bits": 2, "normal": 2, "truncated_normal": 4}
DISTRIBUTIONS = tuple(_WORDS)


def words_per_element(dist: str, dtype: np.dtype) -> int:
    if dist == "uniform":
        return 1 if dtype == np.float32 else 2
    return _WORDS[dist]


def splitmix64(x: int) -> int:
    """A 64-bit integer hash (Steele et al.'s SplitMix64 finaliser): seeds -> keys, so that
    nearby seeds give unrelated keys."""
    x = (x + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return x ^ (x >> 31)


def as_int64(x: int) -> int:
    """A 64-bit pattern as the signed value an int64 state element stores."""
    x &= 0xFFFFFFFFFFFFFFFF
    return x - (1 << 64) if x >= 1 << 63 else x


# --------------------------------------------------------------------------------------------
# Philox-4x32-10 in numpy (the eager kernel's core)
# --------------------------------------------------------------------------------------------

_U32 = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)


def philox4x32(c0, c1, c2, c3, k0, k1):
    """Ten Philox rounds on counters (c0..c3) and key (k0, k1): uint64 arrays or scalars
    holding 32-bit values. Returns the four output words (uint64 holding 32 bits)."""
    c0, c1, c2, c3 = (np.asarray(c, dtype=np.uint64) for c in (c0, c1, c2, c3))
    k0, k1 = np.uint64(k0), np.uint64(k1)
    m0, m1, w0, w1 = np.uint64(_M0), np.uint64(_M1), np.uint64(_W0), np.uint64(_W1)
    for _ in range(ROUNDS):
        p0 = c0 * m0  # a 32x32-bit product: exact in 64 bits
        p1 = c2 * m1
        c0, c1, c2, c3 = (p1 >> _S32) ^ c1 ^ k0, p1 & _U32, (p0 >> _S32) ^ c3 ^ k1, p0 & _U32
        k0 = (k0 + w0) & _U32
        k1 = (k1 + w1) & _U32
    return c0, c1, c2, c3


def _bits53(hi, lo):
    return ((hi >> np.uint64(5)) << np.uint64(26)) | (lo >> np.uint64(6))


_TWO_M24 = 2.0**-24
_TWO_M53 = 2.0**-53


def _box_muller(x0, x1, x2, x3, both=False):
    """r cos(t) (and r sin(t) with `both`) from a block's four words."""
    u1 = (_bits53(x0, x1) + np.uint64(1)).astype(np.float64) * _TWO_M53  # (0, 1]
    u2 = _bits53(x2, x3).astype(np.float64) * _TWO_M53  # [0, 1)
    r = np.sqrt(-2.0 * np.log(u1))
    t = 2.0 * math.pi * u2
    return (r * np.cos(t), r * np.sin(t)) if both else r * np.cos(t)


def draw(state, *, dist, shape, dtype, a, b, salt):
    """The values of one draw (the eager kernel): see the module docstring."""
    n = prod(shape)
    bits = np.asarray(state, dtype=np.int64).view(np.uint64)
    key = bits[0] ^ np.uint64(salt)
    ctr = bits[1]
    k0, k1, c2, c3 = key & _U32, key >> _S32, ctr & _U32, ctr >> _S32
    words = words_per_element(dist, dtype)
    per_block = 4 // words
    blocks = np.arange(-(-n // per_block), dtype=np.uint64)
    lo, hi = blocks & _U32, blocks >> _S32
    with np.errstate(all="ignore"):
        if dist == "truncated_normal":
            z = np.zeros(n, dtype=np.float64)
            pending = np.arange(n)
            for attempt in range(TRUNCATED_ATTEMPTS):
                x = philox4x32(lo[pending], np.uint64(attempt), c2, c3, k0, k1)
                candidate = _box_muller(*x)
                ok = np.abs(candidate) <= 2.0
                z[pending[ok]] = candidate[ok]
                pending = pending[~ok]
                if not pending.size:
                    break
            return _scaled(z, a, b, (0.0, 1.0), dtype).reshape(shape)
        x = np.stack(philox4x32(lo, hi, c2, c3, k0, k1), axis=1)
        w = x.reshape(-1, words)[:n]  # element i: words (i % per_block)*words.. of block i//per
        if dist == "normal":  # elements 2k and 2k + 1: the pair of block k
            pair = np.stack(_box_muller(*x.T, both=True), axis=1).reshape(-1)[:n]
            out = _scaled(pair, a, b, (0.0, 1.0), dtype)
        elif dist == "uniform" and words == 1:
            u = (w[:, 0] >> np.uint64(8)).astype(np.float32) * np.float32(_TWO_M24)
            out = u if (a, b) == (0.0, 1.0) else _scaled(u.astype(np.float64), a, b - a,
                                                        None, dtype)
        elif dist == "uniform":
            u = _bits53(w[:, 0], w[:, 1]).astype(np.float64) * _TWO_M53
            out = u if (a, b) == (0.0, 1.0) else _scaled(u, a, b - a, None, dtype)
        else:
            x64 = (w[:, 0] << _S32) | w[:, 1]
            if dist == "bits":
                out = x64.view(np.int64)
            else:
                out = (x64 % np.uint64(b - a)).astype(np.int64) + np.int64(a)
    return np.asarray(out, dtype=dtype).reshape(shape)


def _scaled(z, a, b, identity, dtype):
    """a + b*z in float64, rounded to `dtype` once (skipped when (a, b) is `identity`)."""
    if identity is not None and (a, b) == identity:
        return z.astype(dtype)
    return (a + b * z).astype(dtype)


# --------------------------------------------------------------------------------------------
# The primitive
# --------------------------------------------------------------------------------------------

random_p = Primitive(
    "random", doc="draws of `dist` with `shape` from a Philox state int64[2] = [key, counter]"
)


@random_p.def_abstract_eval
def _random_rule(state: ShapedArray, *, dist, shape, dtype, a, b, salt) -> ShapedArray:
    if state.dtype != STATE_DTYPE or tuple(state.shape) != STATE_SHAPE:
        raise OpTypeError(f"random: the state must be int64[2] ([key, counter]), got {state}")
    if dist not in _WORDS:
        raise InvalidArgumentError(f"random: unknown distribution {dist!r}; known: "
                                   f"{', '.join(DISTRIBUTIONS)}")
    integer = dist in ("uniform_int", "bits")
    if integer != (dtype.kind in "iu"):
        kind = "an integer" if integer else "a float"
        raise OpTypeError(f"random: {dist} draws need {kind} dtype, got {dtype.name}")
    if dist == "bits" and dtype != np.int64:
        raise OpTypeError(f"random: bits are int64, got {dtype.name}")
    if dist == "uniform_int" and not a < b:
        raise InvalidArgumentError(f"random: uniform integers need minval < maxval, got "
                                   f"[{a}, {b})")
    if isinstance(prod(shape), int) and prod(shape) >= 1 << 32:
        raise InvalidArgumentError(f"random: {prod(shape)} values in one draw is more than "
                                   "the 2**32 a counter addresses")
    return ShapedArray(tuple(shape), dtype)


random_p.def_impl(draw)
# Draws do not depend differentiably on the state (an integer), and no input is a float.
random_p.def_vjp(nondifferentiable(1))


@random_p.def_lowering
@LoopKernel
def _random_lowering(out, ins, avals, *, dist, shape, dtype, a, b, salt):
    """A loop over Philox blocks writing a flat buffer, reshaped at the end. Every temporary
    carries the output's name: two draws in one entry never share a variable's type."""
    (state,) = ins
    out_aval = avals[0]
    p = f"_{out}_"
    u32, s32 = "np.uint64(0xFFFFFFFF)", "np.uint64(32)"
    n = prod(out_aval.shape)
    dt = lw.dtype_expr(out_aval.dtype)
    words = words_per_element(dist, out_aval.dtype)
    per_block = 4 // words
    lines = [
        f"{p}key = np.uint64({state}[0]) ^ np.uint64({int(salt)})",
        f"{p}ctr = np.uint64({state}[1])",
        f"{p}flat = {lw.empty(n, dt)}",
        f"for {p}b in range({-(-n // per_block)}):",
    ]
    block = f"np.uint64({p}b)"
    if dist == "truncated_normal":
        body = [f"{p}z = 0.0", f"for {p}t in range({TRUNCATED_ATTEMPTS}):"]
        body += ["    " + s for s in _philox_text(p, f"{block} & {u32}", f"np.uint64({p}t)")]
        body += ["    " + s for s in _box_muller_text(p, f"{p}c")]
        body += [f"    if abs({p}c) <= 2.0:", f"        {p}z = {p}c", "        break",
                 f"{p}flat[{p}b] = {_scaled_text(f'{p}z', a, b, (0.0, 1.0), dt)}"]
    else:
        body = _philox_text(p, f"{block} & {u32}", f"{block} >> {s32}")
        xs = [f"{p}x{k}" for k in range(4)]
        for slot in range(per_block):
            w = xs[slot * words:(slot + 1) * words]
            if dist == "uniform" and words == 1:
                u = f"(np.float32({w[0]} >> np.uint64(8)) * np.float32({_TWO_M24!r}))"
                value = u if (a, b) == (0.0, 1.0) else _scaled_text(
                    f"np.float64({u})", a, b - a, None, dt)
            elif dist == "uniform":
                u = f"(np.float64({_bits53_text(*w)}) * {_TWO_M53!r})"
                value = u if (a, b) == (0.0, 1.0) else _scaled_text(u, a, b - a, None, dt)
            elif dist == "normal":
                if slot == 0:
                    body += _box_muller_text(p, f"{p}z", f"{p}z1")
                value = _scaled_text(f"{p}z" if slot == 0 else f"{p}z1", a, b, (0.0, 1.0), dt)
            else:
                x64 = f"(({w[0]} << {s32}) | {w[1]})"
                value = (f"np.int64({x64})" if dist == "bits" else
                         f"np.int64({x64} % np.uint64({int(b - a)})) + {int(a)}")
            index = f"{p}b * {per_block} + {slot}"
            if per_block == 1 or n % per_block == 0:
                body.append(f"{p}flat[{index}] = {value}")
            else:
                body += [f"if {index} < {n}:", f"    {p}flat[{index}] = {value}"]
    lines += ["    " + s for s in body]
    if not out_aval.shape:
        lines += [f"{out} = {lw.empty((), dt)}", f"{out}[()] = {p}flat[0]"]
    else:
        lines.append(f"{out} = {p}flat.reshape({tuple(out_aval.shape)})")
    return lines


def _philox_text(p: str, c0: str, c1: str) -> list[str]:
    """Statements computing Philox-4x32-10 of (c0, c1, counter) under the draw's key into
    `{p}x0`..`{p}x3`; all arithmetic in uint64 (Numba would widen mixed signs to float)."""
    u32, s32 = "np.uint64(0xFFFFFFFF)", "np.uint64(32)"
    x0, x1, x2, x3, k0, k1 = (f"{p}{s}" for s in ("x0", "x1", "x2", "x3", "k0", "k1"))
    return [
        f"{x0} = {c0}",
        f"{x1} = {c1}",
        f"{x2} = {p}ctr & {u32}",
        f"{x3} = {p}ctr >> {s32}",
        f"{k0} = {p}key & {u32}",
        f"{k1} = {p}key >> {s32}",
        f"for {p}r in range({ROUNDS}):",
        f"    {p}p0 = np.uint64({_M0}) * {x0}",
        f"    {p}p1 = np.uint64({_M1}) * {x2}",
        f"    {x0}, {x1}, {x2}, {x3} = (({p}p1 >> {s32}) ^ {x1} ^ {k0}, {p}p1 & {u32}, "
        f"({p}p0 >> {s32}) ^ {x3} ^ {k1}, {p}p0 & {u32})",
        f"    {k0} = ({k0} + np.uint64({_W0})) & {u32}",
        f"    {k1} = ({k1} + np.uint64({_W1})) & {u32}",
    ]


def _bits53_text(hi: str, lo: str) -> str:
    return f"((({hi} >> np.uint64(5)) << np.uint64(26)) | ({lo} >> np.uint64(6)))"


def _box_muller_text(p: str, z: str, z_sin: str | None = None) -> list[str]:
    """`z = r cos(t)` (and `z_sin = r sin(t)`) from the block's words, as `_box_muller`."""
    x0, x1, x2, x3 = (f"{p}x{k}" for k in range(4))
    lines = [
        f"{p}u1 = np.float64({_bits53_text(x0, x1)} + np.uint64(1)) * {_TWO_M53!r}",
        f"{p}u2 = np.float64({_bits53_text(x2, x3)}) * {_TWO_M53!r}",
        f"{p}rad = math.sqrt(-2.0 * math.log({p}u1))",
        f"{p}ang = {2.0 * math.pi!r} * {p}u2",
        f"{z} = {p}rad * math.cos({p}ang)",
    ]
    if z_sin is not None:
        lines.append(f"{z_sin} = {p}rad * math.sin({p}ang)")
    return lines


def _scaled_text(z: str, a, b, identity, dt: str) -> str:
    if identity is not None and (a, b) == identity:
        return f"{dt}({z})"
    return f"{dt}({float(a)!r} + {float(b)!r} * {z})"

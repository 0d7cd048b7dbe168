"""Two matrix algorithms that are loops, not LAPACK calls: the LU factorisation with partial
pivoting (`tf.linalg.lu`) and the matrix exponential (`tf.linalg.expm`), batched over leading
axes.

Each is a primitive whose eager kernel (numpy) and Numba lowering (loops written as text)
run the same arithmetic in the same order, one matrix of the batch at a time.

LU. PA = LU with L unit lower triangular and U upper triangular, packed into one matrix (U
on and above the diagonal, L's multipliers below it) as TF's Lu op returns it, and the
permutation p with input[p] = L U. The pivot of column k is the first row (from k down)
whose |value| is largest, as LAPACK's getrf and Eigen's PartialPivLU choose it. As TF, a
zero (or NaN) pivot raises InvalidArgumentError ("not invertible"); compiled code raises
numpy's LinAlgError, which the runtime names (ops/matrix.py: LAPACK_FAILURES). TF registers
no gradient for Lu; neither do we (the VJP raises LookupError, TF's error).

expm. TF's scaling and squaring (linalg_impl.matrix_exponential, after Higham, "The scaling
and squaring method for the matrix exponential revisited", 2005): with ||A||_1 the largest
column sum of |A|, a Padé approximant r = (V - U)^-1 (V + U) of degree 3, 5 or 7 (float32)
or 3, 5, 7, 9 or 13 (float64) chosen by ||A||_1, the largest one of A / 2^s with
s = max(floor(log2(||A||_1 / maxnorm)), 0), then r squared s times. A non-finite norm in
any matrix of the batch makes the whole result NaN, as TF's cond does. The VJP uses the
Fréchet derivative's block form (Najfeld & Havel 1995; Al-Mohy & Higham 2009):

    expm([[A^T, G], [0, A^T]]) = [[expm(A^T), L(A^T, G)], [0, expm(A^T)]]

and L(A^T, G) = <G, L(A, .)>^T is the cotangent of A: another expm, so gradients of
gradients work.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from tapeflow.ops import lowering as lw
from tapeflow.ops.array import getitem
from tapeflow.ops.core import (
    InvalidArgumentError,
    LoopKernel,
    OpTypeError,
    Primitive,
    ShapedArray,
    bind,
    per_input,
    promote,
)
from tapeflow.ops.decompositions import _aval, _float_matrices
from tapeflow.ops.linalg import _swap_last
from tapeflow.ops.matrix import _matrix
from tapeflow.ops.shape import concat

# --------------------------------------------------------------------------------------------
# LU with partial pivoting
# --------------------------------------------------------------------------------------------

lu_p = Primitive("lu", doc="one part of P A = L U (partial pivoting): `part` 'lu' (L and U "
                           "packed) or 'p' (the row permutation, as `index_dtype`)")


@lu_p.def_abstract_eval
def _lu_rule(x: ShapedArray, *, part: str, index_dtype) -> ShapedArray:
    _float_matrices("lu", "input", x, square=True)
    if part == "p":
        return ShapedArray(x.shape[:-1], np.dtype(index_dtype))
    return x


def _lu_one(a: np.ndarray):
    """(packed LU, permutation) of one square matrix: Doolittle elimination, row k's pivot
    the first largest |value| of column k at or below the diagonal."""
    n = a.shape[0]
    lu = a.copy()
    perm = np.arange(n)
    for k in range(n):
        pivot = k
        best = abs(lu[k, k])
        for i in range(k + 1, n):
            if abs(lu[i, k]) > best:
                pivot, best = i, abs(lu[i, k])
        if not best > 0:  # zero or NaN: TF's "Input is not invertible."
            raise InvalidArgumentError(f"lu: the input is not invertible (column {k} has no "
                                       "non-zero pivot)")
        if pivot != k:
            lu[[k, pivot]] = lu[[pivot, k]]
            perm[[k, pivot]] = perm[[pivot, k]]
        lu[k + 1:, k] /= lu[k, k]
        lu[k + 1:, k + 1:] -= np.outer(lu[k + 1:, k], lu[k, k + 1:])
    return lu, perm


def _lu(x, *, part, index_dtype):
    flat = x.reshape((-1,) + x.shape[-2:])
    outs = []
    with np.errstate(all="ignore"):
        for a in flat:
            lu, perm = _lu_one(a)
            outs.append(lu if part == "lu" else perm.astype(index_dtype))
    shape = x.shape if part == "lu" else x.shape[:-1]
    dtype = x.dtype if part == "lu" else np.dtype(index_dtype)
    return np.array(outs, dtype=dtype).reshape(shape)


lu_p.def_impl(_lu)


def _lu_no_gradient(cts, out, inputs, wanted, **params):
    raise LookupError("gradient registry has no entry for: Lu (tf.linalg.lu has no gradient "
                      "in TensorFlow; lu_solve and lu_reconstruct differentiate through the "
                      "factors they are given)")


lu_p.def_vjp(_lu_no_gradient)


@lu_p.def_lowering
@LoopKernel
def _lu_lowering(out, ins, avals, *, part, index_dtype):
    out_aval, x_aval = avals
    n = x_aval.shape[-1]
    batch = x_aval.shape[:-2]
    names = lw.loop_vars(len(batch), "n")
    prefix = (lw.index(names) + ", ") if batch else ""
    body = [
        f"_lu = {_matrix(ins[0], prefix)}.copy()",
        f"_perm = np.arange({n})",
        f"for _k in range({n}):",
        "    _piv = _k",
        "    _best = abs(_lu[_k, _k])",
        f"    for _i in range(_k + 1, {n}):",
        "        if abs(_lu[_i, _k]) > _best:",
        "            _piv = _i",
        "            _best = abs(_lu[_i, _k])",
        "    if not _best > 0:",
        "        raise np.linalg.LinAlgError('lu: the input is not invertible')",
        "    if _piv != _k:",
        f"        for _j in range({n}):",
        "            _t = _lu[_k, _j]",
        "            _lu[_k, _j] = _lu[_piv, _j]",
        "            _lu[_piv, _j] = _t",
        "        _ti = _perm[_k]",
        "        _perm[_k] = _perm[_piv]",
        "        _perm[_piv] = _ti",
        f"    for _i in range(_k + 1, {n}):",
        "        _lu[_i, _k] /= _lu[_k, _k]",
        "        _f = _lu[_i, _k]",
        f"        for _j in range(_k + 1, {n}):",
        "            _lu[_i, _j] -= _f * _lu[_k, _j]",
        f"{out}[{lw.index(names) if batch else '...'}] = {'_lu' if part == 'lu' else '_perm'}",
    ]
    dt = lw.dtype_expr(out_aval.dtype)
    return [f"{out} = {lw.empty(out_aval.shape, dt)}"] + lw.loop_nest(batch, body, "n")


LU = namedtuple("Lu", ["lu", "p"])


def lu(input, output_idx_type=np.int32, name=None):
    """`tf.linalg.lu`: `Lu(lu, p)`, L and U packed in one matrix and the permutation with
    input[..., p, :] = L @ U (p as output_idx_type, int32 or int64)."""
    (x,) = promote("lu", input)
    _float_matrices("lu", "input", _aval(x), square=True)
    index_dtype = np.dtype(getattr(output_idx_type, "as_numpy_dtype", output_idx_type))
    if index_dtype not in (np.int32, np.int64):
        raise OpTypeError(f"lu: output_idx_type must be int32 or int64, got {index_dtype}")
    return LU(bind(lu_p, x, part="lu", index_dtype=index_dtype.name),
              bind(lu_p, x, part="p", index_dtype=index_dtype.name))


# --------------------------------------------------------------------------------------------
# expm: scaling and squaring with Padé approximants, as TF
# --------------------------------------------------------------------------------------------

# Padé coefficients b[0..degree-1] (the leading one, 1, is implicit), Higham 2005, Table 2.1.
PADE = {
    3: [120.0, 60.0, 12.0],
    5: [30240.0, 15120.0, 3360.0, 420.0, 30.0],
    7: [17297280.0, 8648640.0, 1995840.0, 277200.0, 25200.0, 1512.0, 56.0],
    9: [17643225600.0, 8821612800.0, 2075673600.0, 302702400.0, 30270240.0, 2162160.0,
        110880.0, 3960.0, 90.0],
    13: [64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
         129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0,
         40840800.0, 960960.0, 16380.0, 182.0],
}
# Per dtype: the norm below which each degree is accurate to the unit roundoff (the last
# degree takes everything above, scaled), and `maxnorm`, the largest norm the last degree
# takes unscaled. TF's constants.
DEGREES = {np.dtype(np.float32): ((3, 5, 7), (4.258730016922831e-001, 1.880152677804762e+000),
                                  3.925724783138660),
           np.dtype(np.float64): ((3, 5, 7, 9, 13),
                                  (1.495585217958292e-002, 2.539398330063230e-001,
                                   9.504178996162932e-001, 2.097847961257068e+000),
                                  5.371920351148152)}


def _pade_text(degree: int, a: str, n: int, dt: str) -> list[str]:
    """Statements that set `_u`, `_v` (U and V of the degree's approximant) for the matrix
    named `a`, as TF writes them: U = A (A^(d-1) + ... + b1 I), V = b(d-1) A^(d-1) + ... +
    b0 I from the even powers A^2, A^4, ...; degree 13 in its factored form (A^8 ... A^12
    through A^6). The eager kernel runs these same statements with numpy."""
    b = [f"{dt}({c!r})" for c in PADE[degree]]
    lines = [f"_i = np.eye({n}, {n}, 0, {dt})", f"_p2 = np.dot({a}, {a})"]
    if degree == 13:
        lines += ["_p4 = np.dot(_p2, _p2)", "_p6 = np.dot(_p4, _p2)",
                  (f"_tu = np.dot(_p6, _p6 + {b[11]} * _p4 + {b[9]} * _p2) + {b[7]} * _p6 + "
                   f"{b[5]} * _p4 + {b[3]} * _p2 + {b[1]} * _i"),
                  f"_u = np.dot({a}, _tu)",
                  f"_tv = {b[12]} * _p6 + {b[10]} * _p4 + {b[8]} * _p2",
                  (f"_v = np.dot(_p6, _tv) + {b[6]} * _p6 + {b[4]} * _p4 + {b[2]} * _p2 + "
                   f"{b[0]} * _i")]
        return lines
    top = (degree - 1) // 2  # the highest even power is A^(2 top)
    for j in range(2, top + 1):  # A^4 = A^2 A^2, A^6 = A^4 A^2, A^8 = A^6 A^2
        lines.append(f"_p{2 * j} = np.dot(_p{2 * j - 2}, _p2)")
    power = ["_i"] + [f"_p{2 * j}" for j in range(1, top + 1)]
    odd = " + ".join([power[top]] + [f"{b[2 * j + 1]} * {power[j]}"
                                     for j in reversed(range(top))])
    even = " + ".join(f"{b[2 * j]} * {power[j]}" for j in reversed(range(top + 1)))
    return lines + [f"_u = np.dot({a}, {odd})", f"_v = {even}"]


def _expm_text(a: str, n: int, dtype: np.dtype, finite: str) -> list[str]:
    """Statements that set `_r` = expm of the matrix named `a` (its norm decides the degree
    and the squarings); `finite` names a bool, False making the result NaN."""
    dt = lw.dtype_expr(dtype)
    degrees, bounds, maxnorm = DEGREES[np.dtype(dtype)]
    lines = [f"_norm = np.max(np.sum(np.abs({a}), axis=0))",
             (f"_s = max(np.floor(np.log(_norm / {dt}({maxnorm!r})) / np.log({dt}(2.0))), "
              f"{dt}(0.0))")]
    for k, degree in enumerate(degrees):
        if k == 0:
            lines.append(f"if _norm < {dt}({bounds[0]!r}):")
        elif k < len(bounds):
            lines.append(f"elif _norm < {dt}({bounds[k]!r}):")
        else:
            lines.append("else:")
            lines.append(f"    _as = {a} / {dt}(2.0) ** _s")
        lines += ["    " + line for line in _pade_text(degree, "_as" if k == len(bounds)
                                                            else a, n, dt)]
    lines += [f"if {finite}:",
              "    _r = np.ascontiguousarray(np.linalg.solve(_v - _u, _u + _v))",
              "    for _q in range(int(_s)):",
              "        _r = np.dot(_r, _r)",
              "else:",
              f"    _r = np.full(({n}, {n}), np.nan, {dt})"]
    return lines


def _batch_finite(x) -> bool:
    """TF's test: the largest 1-norm over the batch is finite."""
    norms = np.max(np.sum(np.abs(x), axis=-2), axis=-1)
    return bool(np.isfinite(np.max(norms))) if norms.size else True


_EAGER_EXPM: dict = {}


def _eager_expm_function(n: int, dtype: np.dtype):
    """The statements of `_expm_text` as a Python function over numpy arrays, so the eager
    kernel and the compiled code run the same arithmetic (cached per size and dtype)."""
    key = (n, np.dtype(dtype))
    if key not in _EAGER_EXPM:
        body = _expm_text("a", n, np.dtype(dtype), "finite")
        source = "def expm_one(a, finite):\n" + "".join(
            f"    {line}\n" for line in body + ["return _r"])
        scope = {"np": np}
        exec(compile(source, f"<expm {n}x{n} {np.dtype(dtype)}>", "exec"), scope)  # noqa: S102
        _EAGER_EXPM[key] = scope["expm_one"]
    return _EAGER_EXPM[key]


expm_p = Primitive("expm", doc="the matrix exponential of each square matrix (TF's scaling "
                               "and squaring with Padé approximants)")


@expm_p.def_abstract_eval
def _expm_rule(x: ShapedArray) -> ShapedArray:
    _float_matrices("expm", "input", x, square=True)
    if x.dtype not in DEGREES:
        raise OpTypeError(f"expm: supports float32 and float64 matrices, got {x}")
    return x


def _expm(x):
    n = x.shape[-1]
    one = _eager_expm_function(n, x.dtype)
    finite = _batch_finite(x)
    flat = x.reshape((-1, n, n))
    with np.errstate(all="ignore"):
        try:
            out = [one(np.ascontiguousarray(a), finite) for a in flat]
        except np.linalg.LinAlgError as err:
            raise InvalidArgumentError(f"expm: the Padé denominator is singular ({err})") \
                from None
    return np.array(out, dtype=x.dtype).reshape(x.shape)


expm_p.def_impl(_expm)


@expm_p.def_lowering
@LoopKernel
def _expm_lowering(out, ins, avals):
    out_aval, x_aval = avals
    n = x_aval.shape[-1]
    batch = x_aval.shape[:-2]
    names = lw.loop_vars(len(batch), "n")
    prefix = (lw.index(names) + ", ") if batch else ""
    # TF's test: the largest 1-norm over the batch (column sums, then their maximum).
    finite = [f"_finite = np.isfinite(np.max(np.sum(np.abs({ins[0]}), axis={len(batch)})))"]
    body = [f"_a = {_matrix(ins[0], prefix)}"] + _expm_text("_a", n, x_aval.dtype, "_finite")
    body.append(f"{out}[{lw.index(names) if batch else '...'}] = _r")
    dt = lw.dtype_expr(out_aval.dtype)
    return ([f"{out} = {lw.empty(out_aval.shape, dt)}"] + finite
            + lw.loop_nest(batch, body, "n"))


def _expm_vjp(g, out, x):
    # The upper-right block of expm([[A^T, G], [0, A^T]]) (module docstring).
    n = x.aval.shape[-1]
    at = _swap_last(x)
    zeros = np.zeros(x.aval.shape, x.aval.dtype)
    block = concat([concat([at, g], -1), concat([zeros, at], -1)], -2)
    return getitem(bind(expm_p, block), (Ellipsis, slice(None, n), slice(n, None)))


expm_p.def_vjp(per_input(_expm_vjp))


def expm(input, name=None):
    """`tf.linalg.expm`: the matrix exponential of each square matrix [..., n, n]."""
    (x,) = promote("expm", input)
    aval = _aval(x)
    _float_matrices("expm", "input", aval, square=True)
    return bind(expm_p, x)

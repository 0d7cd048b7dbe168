"""BLAS entry points for generated code: np.dot's product without its compile cost, and the
in-place update np.dot does not offer.

`blas_matmul(a, b)` is `np.dot(a, b)` for 2-D float operands (a fresh C-contiguous product, the
same BLAS call with the same transpose flags), lowered straight to that call. Numba's own
np.dot lowering compiles two internal functions per combination of operand layouts and
dtype in every process (measured here: 0.39 s for its first use, C @ C, then ~0.2 s for
F @ C, C @ F...): a small training step's one-function entry spent most of its compile
there.

`gemm_into(a, b, c, alpha, beta)` computes `c = alpha * a @ b + beta * c` in place, so an
update such as an SGD step `w - lr * (x.T @ g)` is one BLAS call on a copy of `w` instead of
a product stored to memory and a second loop reading it back. It calls the same
`numba_xxgemm` helper (scipy's BLAS, loaded on first use, callable without the GIL) that
Numba's own np.dot lowering calls, with the same layout rules: `c` is C-contiguous, `a` and
`b` are C- or F-contiguous (an F-contiguous operand, such as `x.T` of a C-contiguous `x`,
is passed with BLAS's transpose flag instead of being copied).
"""

from __future__ import annotations

from llvmlite import ir
from numba.core import cgutils, types
from numba.core.imputils import impl_ret_new_ref
from numba.extending import intrinsic
from numba.np.arrayobj import _empty_nd_impl, make_array
from numba.np.linalg import check_blas_return, ensure_blas, get_blas_kind

_CHAR = ir.IntType(8)
_VOIDP = ir.IntType(8).as_pointer()


def _float_matrices(arrays) -> bool:
    """2-D arrays of one float dtype, each C- or F-contiguous."""
    return (all(isinstance(t, types.Array) and t.ndim == 2 and t.layout in "CF"
                for t in arrays)
            and len({t.dtype for t in arrays}) == 1
            and arrays[0].dtype in (types.float32, types.float64))


@intrinsic
def gemm_into(typingctx, a, b, c, alpha, beta):
    """c = alpha * a @ b + beta * c for 2-D float arrays of one dtype, no dimension 0 (the
    caller checks shapes: they are static in generated code)."""
    if not _float_matrices((a, b, c)) or c.layout != "C":
        return None
    if not all(isinstance(t, types.Number) for t in (alpha, beta)):
        return None

    def codegen(context, builder, sig, args):
        a_ty, b_ty, c_ty, alpha_ty, beta_ty = sig.args
        c_arr = make_array(c_ty)(context, builder, args[2])
        _call_gemm(context, builder, (a_ty, args[0]), (b_ty, args[1]), c_arr.data,
                   context.cast(builder, args[3], alpha_ty, c_ty.dtype),
                   context.cast(builder, args[4], beta_ty, c_ty.dtype))
        return context.get_dummy_value()

    return types.none(a, b, c, alpha, beta), codegen


@intrinsic
def blas_matmul(typingctx, a, b):
    """a @ b for 2-D float arrays of one dtype, C- or F-contiguous, no dimension 0 (the
    caller checks: shapes are static in generated code): a new C-contiguous array, from the
    BLAS call np.dot makes (beta 0: the new array's contents are never read)."""
    if not _float_matrices((a, b)):
        return None
    result = types.Array(a.dtype, 2, "C")

    def codegen(context, builder, sig, args):
        a_ty, b_ty = sig.args
        m = cgutils.unpack_tuple(builder, make_array(a_ty)(context, builder, args[0]).shape)[0]
        n = cgutils.unpack_tuple(builder, make_array(b_ty)(context, builder, args[1]).shape)[1]
        out = _empty_nd_impl(context, builder, result, (m, n))
        zero = context.get_constant(result.dtype, 0.0)
        _call_gemm(context, builder, (a_ty, args[0]), (b_ty, args[1]), out.data,
                   context.get_constant(result.dtype, 1.0), zero)
        return impl_ret_new_ref(context, builder, result, out._getvalue())

    return result(a, b), codegen


def _call_gemm(context, builder, a, b, c_data, alpha, beta) -> None:
    """c = alpha * a @ b + beta * c, c C-contiguous at `c_data`; `a` and `b` are (type,
    value) pairs of C- or F-contiguous matrices; `alpha`, `beta` values of their dtype."""
    ensure_blas()
    (a_ty, a_val), (b_ty, b_val) = a, b
    dtype = a_ty.dtype
    a_arr = make_array(a_ty)(context, builder, a_val)
    b_arr = make_array(b_ty)(context, builder, b_val)
    m, k = cgutils.unpack_tuple(builder, a_arr.shape)
    _, n = cgutils.unpack_tuple(builder, b_arr.shape)
    alpha_slot = cgutils.alloca_once_value(builder, alpha)
    beta_slot = cgutils.alloca_once_value(builder, beta)

    def operand(ty, shape, data):
        # BLAS is column-major: a C-contiguous matrix is its transpose there, so for
        # C-contiguous c we ask for c^T = b^T a^T, as Numba's np.dot does.
        trans = ir.Constant(_CHAR, ord("n" if ty.layout == "C" else "t"))
        lead = shape[1] if ty.layout == "C" else shape[0]
        return trans, lead, builder.bitcast(data, _VOIDP)

    trans_b, ld_b, data_b = operand(b_ty, (k, n), b_arr.data)
    trans_a, ld_a, data_a = operand(a_ty, (m, k), a_arr.data)
    intp = context.get_value_type(types.intp)
    fnty = ir.FunctionType(ir.IntType(32), [
        _CHAR, _CHAR, _CHAR,  # kind, transa, transb
        intp, intp, intp,  # m, n, k
        _VOIDP, _VOIDP, intp,  # alpha, a, lda
        _VOIDP, intp, _VOIDP,  # b, ldb, beta
        _VOIDP, intp,  # c, ldc
    ])
    fn = cgutils.get_or_insert_function(builder.module, fnty, "numba_xxgemm")
    kind = ir.Constant(_CHAR, ord(get_blas_kind(dtype)))
    res = builder.call(fn, (
        kind, trans_b, trans_a, n, m, k,
        builder.bitcast(alpha_slot, _VOIDP), data_b, ld_b, data_a, ld_a,
        builder.bitcast(beta_slot, _VOIDP), builder.bitcast(c_data, _VOIDP), n,
    ))
    check_blas_return(context, builder, res)

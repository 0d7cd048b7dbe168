"""BLAS entry points for generated code that np.dot does not offer.

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
from numba.extending import intrinsic
from numba.np.arrayobj import make_array
from numba.np.linalg import check_blas_return, ensure_blas, get_blas_kind

_CHAR = ir.IntType(8)
_VOIDP = ir.IntType(8).as_pointer()


@intrinsic
def gemm_into(typingctx, a, b, c, alpha, beta):
    """c = alpha * a @ b + beta * c for 2-D float arrays of one dtype, no dimension 0 (the
    caller checks shapes: they are static in generated code)."""
    arrays = (a, b, c)
    if not all(isinstance(t, types.Array) and t.ndim == 2 for t in arrays):
        return None
    if not (a.dtype == b.dtype == c.dtype) or c.dtype not in (types.float32, types.float64):
        return None
    if c.layout != "C" or a.layout not in "CF" or b.layout not in "CF":
        return None
    if not all(isinstance(t, types.Number) for t in (alpha, beta)):
        return None
    dtype = c.dtype

    def codegen(context, builder, sig, args):
        ensure_blas()
        a_ty, b_ty, c_ty, alpha_ty, beta_ty = sig.args
        a_arr = make_array(a_ty)(context, builder, args[0])
        b_arr = make_array(b_ty)(context, builder, args[1])
        c_arr = make_array(c_ty)(context, builder, args[2])
        m, k = cgutils.unpack_tuple(builder, a_arr.shape)
        _, n = cgutils.unpack_tuple(builder, b_arr.shape)
        alpha_slot = cgutils.alloca_once_value(
            builder, context.cast(builder, args[3], alpha_ty, dtype))
        beta_slot = cgutils.alloca_once_value(
            builder, context.cast(builder, args[4], beta_ty, dtype))

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
            builder.bitcast(beta_slot, _VOIDP), builder.bitcast(c_arr.data, _VOIDP), n,
        ))
        check_blas_return(context, builder, res)
        return context.get_dummy_value()

    return types.none(a, b, c, alpha, beta), codegen

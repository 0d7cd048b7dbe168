"""Reductions over axes: sum, max, min, prod primitives; mean, logsumexp, norm composites.

The primitives take normalised, sorted `axes` and a `keepdims` flag. VJPs first put the
cotangent back at keepdims shape, then broadcast it to the input's shape.
"""

from __future__ import annotations

import numpy as np

from tapeflow.ops.array import size_value
from tapeflow.ops.core import (
    BOOL,
    InvalidArgumentError,
    OpTypeError,
    Primitive,
    Reduction,
    ShapedArray,
    bind,
    is_float,
    is_tracer,
    per_input,
    prod,
    promote,
)
from tapeflow.ops.dims import Dim
from tapeflow.ops.elementwise import (
    abs,
    add,
    cast,
    divide,
    equal,
    exp,
    greater,
    log,
    multiply,
    pow,
    sqrt,
    stop_gradient,
    subtract,
    where,
)
from tapeflow.ops.mathops import truncatediv
from tapeflow.ops.shape import broadcast_to, ones_like, reshape, transpose, zeros_like


def _reduce_rule(name: str):
    def rule(x: ShapedArray, *, axes: tuple[int, ...], keepdims: bool) -> ShapedArray:
        if x.dtype == BOOL and name != "reduce_sum":
            raise OpTypeError(f"{name}: not defined for bool tensors ({x})")
        if any(not 0 <= a < x.ndim for a in axes) or len(set(axes)) != len(axes):
            raise InvalidArgumentError(f"{name}: axes {list(axes)} are invalid for {x}")
        if keepdims:
            shape = tuple(1 if i in axes else d for i, d in enumerate(x.shape))
        else:
            shape = tuple(d for i, d in enumerate(x.shape) if i not in axes)
        return ShapedArray(shape, x.dtype)

    return rule


def reduction(name: str, kernel, doc: str, combine: str) -> Primitive:
    """A primitive reducing `x` over `axes`; `combine` ('sum', 'prod', 'max', 'min') names
    how its loop lowering folds an element into the running result."""
    p = Primitive(name, doc=doc)
    p.def_abstract_eval(_reduce_rule(name))
    p.def_impl(lambda x, *, axes, keepdims: np.asarray(kernel(x, axis=axes, keepdims=keepdims),
                                                      dtype=x.dtype))
    p.def_lowering(Reduction(combine))
    return p



def _keep(t, x, axes):
    """`t` (reduced over `axes` of x, keepdims or not) reshaped to keepdims form."""
    shape = tuple(1 if i in axes else d for i, d in enumerate(x.aval.shape))
    return reshape(t, shape)


def _expand(t, x, axes):
    """`t` put back at x's shape: keepdims form, broadcast over the reduced axes."""
    return broadcast_to(_keep(t, x, axes), x.aval.shape)


reduce_sum_p = reduction("reduce_sum", np.sum, "sum over `axes`", "sum")
reduce_sum_p.def_vjp(per_input(lambda g, out, x, *, axes, keepdims: _expand(g, x, axes)))


def _extremum_vjp(g, out, x, *, axes, keepdims):
    # The gradient is shared equally among the elements that attain the extremum (TF's rule).
    hits = cast(equal(x, _expand(out, x, axes)), x.aval.dtype)
    count = bind(reduce_sum_p, hits, axes=axes, keepdims=True)
    return multiply(_expand(g, x, axes), divide(hits, count))


def _extremum_kernel(kernel, lowest: bool):
    # An empty reduction gives the identity, as in TF (-inf / the lowest integer for max),
    # where numpy alone raises "zero-size array to reduction operation".
    def run(x, *, axis, keepdims):
        if x.dtype.kind == "f":
            initial = -np.inf if lowest else np.inf
        else:
            info = np.iinfo(x.dtype)
            initial = info.min if lowest else info.max
        return kernel(x, axis=axis, keepdims=keepdims, initial=initial)

    return run


reduce_max_p = reduction("reduce_max", _extremum_kernel(np.max, lowest=True),
                         "maximum over `axes`", "max")
reduce_max_p.def_vjp(per_input(_extremum_vjp))

reduce_min_p = reduction("reduce_min", _extremum_kernel(np.min, lowest=False),
                         "minimum over `axes`", "min")
reduce_min_p.def_vjp(per_input(_extremum_vjp))


def _prod_vjp(g, out, x, *, axes, keepdims):
    # d prod / d x_i = product of the others. Where x has no zero that is out / x_i; with one
    # zero, only the zero's position gets the product of the non-zeros; with two, all get 0.
    dt = x.aval.dtype
    is_zero = equal(x, zeros_like(x))
    nonzero = where(is_zero, ones_like(x), x)
    zeros = bind(reduce_sum_p, cast(is_zero, dt), axes=axes, keepdims=True)
    prod_nonzero = _expand(bind(reduce_prod_p, nonzero, axes=axes, keepdims=True), x, axes)
    zeros = _expand(zeros, x, axes)
    others = where(
        is_zero,
        where(equal(zeros, ones_like(zeros)), prod_nonzero, zeros_like(x)),
        where(equal(zeros, zeros_like(zeros)), divide(prod_nonzero, nonzero), zeros_like(x)),
    )
    return multiply(_expand(g, x, axes), others)


reduce_prod_p = reduction("reduce_prod", np.prod, "product over `axes`", "prod")
reduce_prod_p.def_vjp(per_input(_prod_vjp))


# --------------------------------------------------------------------------------------------
# User-facing reductions
# --------------------------------------------------------------------------------------------


def normalize_axes(axis, ndim: int, op: str) -> tuple[int, ...]:
    """None -> every axis; ints (negative allowed) -> sorted tuple, with range checks."""
    if axis is None:
        return tuple(range(ndim))
    if is_tracer(axis):
        axis = axis.numpy().tolist()
    axes = list(axis) if isinstance(axis, list | tuple | np.ndarray) else [axis]
    out = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < max(ndim, 1):
            raise InvalidArgumentError(f"{op}: axis {a} is out of range for a tensor of rank "
                                       f"{ndim}")
        out.append(a % ndim if ndim else 0)
    if len(set(out)) != len(out):
        raise InvalidArgumentError(f"{op}: axis {list(axis)} repeats an axis")
    return tuple(sorted(out))


def _reducer(p: Primitive, tf_name: str):
    def op(input_tensor, axis=None, keepdims=False, name=None):
        (x,) = promote(tf_name, input_tensor)
        ndim = x.aval.ndim if is_tracer(x) else x.ndim
        if tf_name == "reduce_sum" and (x.aval.dtype if is_tracer(x) else x.dtype) == BOOL:
            raise OpTypeError(f"{tf_name}: not defined for bool tensors (cast first)")
        return bind(p, x, axes=normalize_axes(axis, ndim, tf_name), keepdims=bool(keepdims))

    op.__name__ = tf_name
    op.__doc__ = p.doc
    return op


reduce_sum = _reducer(reduce_sum_p, "reduce_sum")
reduce_max = _reducer(reduce_max_p, "reduce_max")
reduce_min = _reducer(reduce_min_p, "reduce_min")
reduce_prod = _reducer(reduce_prod_p, "reduce_prod")


def reduce_mean(input_tensor, axis=None, keepdims=False, name=None):
    """Mean over `axis`. Of an integer tensor, as TF's Mean: the sum is taken in 64 bits
    (an int8 mean of [100, 100] is 100, not the wrapped int8 sum halved) and divided
    rounding toward zero (the mean of [-1, -2] is -1), then cast back."""
    (x,) = promote("reduce_mean", input_tensor)
    shape = x.aval.shape if is_tracer(x) else x.shape
    axes = normalize_axes(axis, len(shape), "reduce_mean")
    count = prod(shape[a] for a in axes)  # symbolic for a None size: a `dim` equation
    dt = x.aval.dtype if is_tracer(x) else x.dtype
    if dt == BOOL:
        raise OpTypeError(f"reduce_mean: not defined for bool tensors ({x.aval}; cast first)")
    if is_float(dt) or dt.kind == "c":
        return divide(reduce_sum(x, axes, keepdims), size_value(count, dt))
    wide = np.dtype(np.uint64 if dt.kind == "u" else np.int64)
    total = reduce_sum(cast(x, wide), axes, keepdims)
    count = size_value(count if isinstance(count, Dim) else max(count, 1), wide)
    return cast(truncatediv(total, count), dt)


def reduce_logsumexp(input_tensor, axis=None, keepdims=False, name=None):
    """log(sum(exp(x))) over `axis`, computed around the maximum so it does not overflow."""
    (x,) = promote("reduce_logsumexp", input_tensor)
    shape = x.aval.shape if is_tracer(x) else x.shape
    axes = normalize_axes(axis, len(shape), "reduce_logsumexp")
    peak = stop_gradient(reduce_max(x, axes, keepdims=True))
    # An all -inf row has peak -inf; shifting by 0 there keeps the result -inf, not nan.
    peak = where(_is_finite(peak), peak, zeros_like(peak))
    total = reduce_sum(exp(subtract(x, peak)), axes, keepdims=True)
    result = add(log(total), peak)
    return result if keepdims else reshape(result, [d for i, d in enumerate(shape)
                                                    if i not in axes])


def reduce_variance(input_tensor, axis=None, keepdims=False, name=None):
    """`tf.math.reduce_variance`: the mean of squared deviations from the mean over `axis`
    (the population variance, dividing by n), of a float tensor."""
    (x,) = promote("reduce_variance", input_tensor)
    dt = x.aval.dtype if is_tracer(x) else x.dtype
    _float_statistic("reduce_variance", dt)
    shape = x.aval.shape if is_tracer(x) else x.shape
    axes = normalize_axes(axis, len(shape), "reduce_variance")
    deviation = subtract(x, reduce_mean(x, axes, keepdims=True))
    return reduce_mean(multiply(deviation, deviation), axes, keepdims)


def reduce_std(input_tensor, axis=None, keepdims=False, name=None):
    """`tf.math.reduce_std`: the square root of `reduce_variance`."""
    (x,) = promote("reduce_std", input_tensor)
    dt = x.aval.dtype if is_tracer(x) else x.dtype
    _float_statistic("reduce_std", dt)
    return sqrt(reduce_variance(x, axis, keepdims))


def _float_statistic(op: str, dt: np.dtype) -> None:
    # As TF: a bool tensor fails in its mean (InvalidArgumentError), an integer one is
    # refused up front with a TypeError.
    if dt == BOOL:
        raise OpTypeError(f"{op}: not defined for bool tensors (cast it with tf.cast)")
    if not is_float(dt):
        raise TypeError(f"{op}: expects a float tensor, got {dt.name} (cast it with tf.cast)")


def _is_finite(x):
    # x - x is 0 for finite x and nan for +-inf or nan; nan == 0 is False.
    return equal(subtract(x, x), zeros_like(x))


def _bool_only(op: str, x) -> None:
    if x.aval.dtype != BOOL:
        raise OpTypeError(f"{op}: expects a bool tensor, got {x.aval} (compare it, e.g. x != 0)")


def reduce_any(input_tensor, axis=None, keepdims=False, name=None):
    """Logical or over `axis` of a bool tensor (not differentiable)."""
    (x,) = promote("reduce_any", input_tensor)
    _bool_only("reduce_any", x)
    n = reduce_max(cast(x, np.int32), axis, keepdims)
    return greater(n, np.array(0, dtype=np.int32))


def reduce_all(input_tensor, axis=None, keepdims=False, name=None):
    """Logical and over `axis` of a bool tensor (not differentiable)."""
    (x,) = promote("reduce_all", input_tensor)
    _bool_only("reduce_all", x)
    n = reduce_min(cast(x, np.int32), axis, keepdims)
    return greater(n, np.array(0, dtype=np.int32))


def norm(tensor, ord="euclidean", axis=None, keepdims=None, name=None):  # noqa: A002
    """`tf.norm`. With `axis` None or an int, a vector norm (of all elements, or along the
    axis): 'euclidean' (= 2), 1, np.inf, or any p > 0 as (sum |x|^p)^(1/p). With `axis` a pair
    of axes (rows, columns), a matrix norm: 'euclidean'/'fro' (the root of the sum of
    squares), 1 (the largest column sum of |x|), np.inf (the largest row sum) or 2 (the
    largest singular value)."""
    (x,) = promote("norm", tensor)
    keep = bool(keepdims)
    ndim = len(x.aval.shape if is_tracer(x) else x.shape)
    if is_tracer(axis):
        axis = axis.numpy().tolist()
    if isinstance(axis, list | tuple) and len(axis) == 2:
        rows, cols = (a % ndim if -ndim <= a < ndim else a for a in (int(axis[0]),
                                                                   int(axis[1])))
        if rows == cols:
            raise ValueError(f"norm: 'axis' must be None, an integer, or a tuple of 2 unique "
                             f"integers, got {axis}")
        return _matrix_norm(x, ord, rows, cols, keep, ndim)
    if not (axis is None or isinstance(axis, int | np.integer)):
        raise ValueError(f"norm: 'axis' must be None, an integer, or a tuple of 2 unique "
                         f"integers, got {axis}")
    if ord in ("euclidean", 2, 2.0):
        return sqrt(reduce_sum(multiply(x, x), axis, keep))
    if ord in (1, 1.0):
        return reduce_sum(abs(x), axis, keep)
    if ord in (np.inf, "inf"):
        return reduce_max(abs(x), axis, keep)
    if isinstance(ord, int | float | np.integer | np.floating) and ord > 0:
        p = np.asarray(ord, x.aval.dtype if is_tracer(x) else x.dtype)
        return pow(reduce_sum(pow(abs(x), p), axis, keep), np.asarray(1.0 / ord, p.dtype))
    raise ValueError(f"norm: 'ord' must be a supported vector norm ('euclidean', 1, 2, np.inf "
                     f"or a number > 0), got {ord!r}")


def _matrix_norm(x, ord, rows: int, cols: int, keep: bool, ndim: int):  # noqa: A002
    if ord in ("euclidean", "fro"):
        return sqrt(reduce_sum(multiply(x, x), [rows, cols], keep))
    if ord in (1, 1.0):  # the largest sum over a column (the sum runs along the rows axis)
        sums = reduce_sum(abs(x), rows, keepdims=True)
        return _drop(reduce_max(sums, cols, keepdims=True), rows, cols, keep)
    if ord in (np.inf, "inf"):  # the largest sum over a row
        sums = reduce_sum(abs(x), cols, keepdims=True)
        return _drop(reduce_max(sums, rows, keepdims=True), rows, cols, keep)
    if ord in (2, 2.0):  # the spectral norm: the largest singular value
        from tapeflow.ops.matrix import svd  # matrix.py imports this module

        # The two matrix axes last, as svd takes them; the others are the batch.
        perm = [i for i in range(ndim) if i not in (rows, cols)] + [rows, cols]
        singular = svd(transpose(x, perm), compute_uv=False)
        largest = reduce_max(singular, -1)
        if not keep:
            return largest
        shape = [1 if i in (rows, cols) else d
                 for i, d in enumerate(x.aval.shape if is_tracer(x) else x.shape)]
        return reshape(largest, shape)
    raise ValueError(f"norm: 'ord' must be a supported matrix norm in ['euclidean', 'fro', 1, "
                     f"2, inf], got {ord!r}")


def _drop(t, rows: int, cols: int, keep: bool):
    """`t`, kept at size 1 on the two matrix axes, without them unless `keep`."""
    if keep:
        return t
    shape = [d for i, d in enumerate(t.aval.shape) if i not in (rows, cols)]
    return reshape(t, shape)

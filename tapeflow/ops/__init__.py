"""The primitive registry and the ops built on it. Importing this registers every primitive.

Families, in dependency order: shape (with array composites), elementwise (with mathops),
reductions, linalg, ranges, sorting, scans, layout, scatter, matrix, einsum, dynamic (sizes
that depend on values), control (cond, while_loop, ...), nn, custom, random, and checks
(in-kernel value checks).
"""

from tapeflow.ops import core
from tapeflow.ops.core import PRIMITIVES, InvalidArgumentError, OpTypeError, Primitive, bind
from tapeflow.ops.shape import (
    IndexOutOfRangeError,
    broadcast_to,
    concat,
    fill,
    full_like,
    gather,
    ones_like,
    reshape,
    transpose,
    zeros_like,
)
from tapeflow.ops.array import (
    expand_dims,
    getitem,
    shape,
    squeeze,
    stack,
    strided_slice,
    tile,
    unstack,
)
from tapeflow.ops.elementwise import (
    abs,
    add,
    cast,
    cos,
    divide,
    equal,
    exp,
    floordiv,
    greater,
    greater_equal,
    identity,
    less,
    less_equal,
    log,
    log1p,
    logical_and,
    logical_not,
    logical_or,
    maximum,
    minimum,
    mod,
    multiply,
    negative,
    not_equal,
    pow,
    sigmoid,
    sign,
    sin,
    softplus,
    sqrt,
    square,
    stop_gradient,
    subtract,
    tan,
    tanh,
)
from tapeflow.ops.mathops import (
    acos,
    acosh,
    add_n,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    ceil,
    cosh,
    erf,
    erfc,
    expm1,
    floor,
    logical_xor,
    round,
    sinh,
    truncatediv,
    truncatemod,
)
from tapeflow.ops.reductions import (
    norm,
    reduce_all,
    reduce_any,
    reduce_logsumexp,
    reduce_max,
    reduce_mean,
    reduce_min,
    reduce_prod,
    reduce_std,
    reduce_sum,
    reduce_variance,
)
from tapeflow.ops.linalg import matmul, tensordot
from tapeflow.ops.ranges import eye, linspace, meshgrid, one_hot
from tapeflow.ops.sorting import argmax, argmin, argsort, sort, top_k
from tapeflow.ops.scans import cumprod, cumsum
from tapeflow.ops.image import adjust_contrast, no_gradient
from tapeflow.ops.matrix import cholesky, det, inv, matrix_transpose, solve, svd
from tapeflow.ops.einsum import einsum
from tapeflow.ops import matrix_parts  # noqa: F401 - registers log_abs_det
from tapeflow.ops.decompositions import eigh, eigvalsh, qr
from tapeflow.ops import matrix_functions  # noqa: F401 - registers lu and expm
from tapeflow.ops.dynamic import (
    DataDependentShapeError,
    boolean_mask,
    unique,
    unique_with_counts,
    where,
)
from tapeflow.ops.extras import (
    count_nonzero,
    divide_no_nan,
    is_finite,
    is_inf,
    is_nan,
    l2_normalize,
    moments,
    reciprocal,
    reduce_euclidean_norm,
    rsqrt,
    sigmoid_cross_entropy_with_logits,
    softmax_cross_entropy_with_logits,
    squared_difference,
)
from tapeflow.ops.control import (
    case,
    cond,
    foldl,
    foldr,
    map_fn,
    scan,
    switch_case,
    vectorized_map,
    while_loop,
)
from tapeflow.ops.layout import pad, reverse, roll, slice, split
from tapeflow.ops.scatter import (
    gather_nd,
    scatter_nd,
    tensor_scatter_nd_add,
    tensor_scatter_nd_max,
    tensor_scatter_nd_min,
    tensor_scatter_nd_sub,
    tensor_scatter_nd_update,
)
from tapeflow.ops.nn import (
    elu,
    gelu,
    leaky_relu,
    log_sigmoid,
    log_softmax,
    relu,
    relu6,
    selu,
    silu,
    softmax,
    softsign,
    sparse_softmax_cross_entropy_with_logits,
    swish,
)
from tapeflow.ops import custom as _custom  # registers the custom_gradient primitive
from tapeflow.ops import checks as _checks
from tapeflow.ops import random as _random


def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    """min(max(t, lo), hi); at a bound the gradient is 1, since ties go to `t`."""
    return minimum(maximum(t, clip_value_min), clip_value_max)

# The second math sweep (TF 2.21's tf.math, tf.bitwise and complex names): special functions,
# complex parts, bitwise ops, segment reductions and counting.
from tapeflow.ops import bitwise  # noqa: E402, F401 - registers the bitwise primitives
from tapeflow.ops.complex import angle, complex, imag, real  # noqa: E402, F401, A004
from tapeflow.ops.special import (  # noqa: E402, F401
    cumulative_logsumexp,
    digamma,
    erfinv,
    lgamma,
    multiply_no_nan,
    ndtri,
    polygamma,
)
from tapeflow.ops.mathextra import (  # noqa: E402, F401
    accumulate_n,
    is_non_decreasing,
    is_strictly_increasing,
    polyval,
    reciprocal_no_nan,
    saturate_cast,
    scalar_mul,
    xdivy,
    xlog1py,
    xlogy,
)
from tapeflow.ops.segments import (  # noqa: E402, F401
    segment_max,
    segment_mean,
    segment_min,
    segment_prod,
    segment_sum,
    unsorted_segment_max,
    unsorted_segment_mean,
    unsorted_segment_min,
    unsorted_segment_prod,
    unsorted_segment_sqrt_n,
    unsorted_segment_sum,
)
from tapeflow.ops.counting import bincount, confusion_matrix, in_top_k  # noqa: E402, F401

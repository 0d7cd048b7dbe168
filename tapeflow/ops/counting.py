"""Counting: tf.math.bincount and tf.math.confusion_matrix (segment sums of weights, see
ops/segments.py) and tf.math.in_top_k (a comparison count per row).

bincount's length is max(arr) + 1 (at least minlength, at most maxlength) and
confusion_matrix's, without num_classes, max(labels, predictions) + 1: values read eagerly
(inside a compiled function they must be constants, or the size given: bincount with
minlength >= maxlength, confusion_matrix with num_classes).
"""

from __future__ import annotations

import numpy as np

from tapeflow.ops.checks import check_range
from tapeflow.ops.core import (
    BOOL,
    InvalidArgumentError,
    OpTypeError,
    canonical_dtype,
    dtype_name,
    dtype_of,
    promote,
    shape_of,
)
from tapeflow.ops.dynamic import _refuse_if_staged, _values
from tapeflow.ops.elementwise import (
    cast,
    equal,
    greater,
    greater_equal,
    less,
    logical_and,
    where,
)
from tapeflow.ops.extras import is_finite
from tapeflow.ops.ranges import constant_tensor
from tapeflow.ops.reductions import reduce_all, reduce_sum
from tapeflow.ops.segments import unsorted_segment_sum
from tapeflow.ops.shape import ones_like, reshape, zeros_like


def bincount(arr, weights=None, minlength=None, maxlength=None, dtype=np.int32, name=None,
             axis=None, binary_output=False):
    """`tf.math.bincount`: out[v] = how many times v occurs in arr (or the sum of its
    weights). arr is flattened (axis None or 0) or counted per row (axis -1); values are
    cast to int32, must be non-negative, and those >= maxlength are dropped."""
    op = "bincount"
    (arr,) = promote(op, arr)
    if dtype_of(arr).kind not in "iu":
        arr = cast(arr, np.int32)  # TF casts (float values truncate)
    shape = tuple(shape_of(arr))
    if axis not in (None, 0, -1):
        raise InvalidArgumentError(f"{op}: axis {axis} is not supported (only None, 0 and -1)")
    per_row = axis == -1 and len(shape) > 1
    if weights is not None:
        (weights,) = promote(op, weights)
        if tuple(shape_of(weights)) == (0,):
            weights = None
        elif tuple(shape_of(weights)) != shape:
            raise InvalidArgumentError(
                f"{op}: weights (shape {list(shape_of(weights))}) must have the shape of arr "
                f"({list(shape)}) or be empty")
    out_dtype = dtype_of(weights) if weights is not None else canonical_dtype(dtype)
    arr = check_range(arr, 0, np.iinfo(dtype_of(arr)).max, op=op, what="arr")
    size = _bincount_size(op, arr, minlength, maxlength)
    # Values past the end are dropped: a negative segment id drops its row.
    ids = where(less(arr, size), arr, zeros_like(arr) - 1)
    values = ones_like(arr) if weights is None else weights
    values = cast(values, out_dtype)
    if per_row:
        rows = int(np.prod(shape[:-1]))
        ids = reshape(ids, (rows, shape[-1]))
        offsets = np.arange(rows, dtype=dtype_of(ids))[:, None] * size
        ids = where(less(ids, 0), ids, ids + offsets)
        counts = reshape(unsorted_segment_sum(reshape(values, (rows, shape[-1])), ids,
                                              rows * size), (rows, size))
        counts = reshape(counts, shape[:-1] + (size,))
    else:
        counts = unsorted_segment_sum(reshape(values, (-1,)), reshape(ids, (-1,)), size)
    if binary_output:
        counts = cast(greater(counts, zeros_like(counts)), out_dtype)
    return counts


def _bincount_size(op, arr, minlength, maxlength) -> int:
    minlength = None if minlength is None else int(_values(minlength))
    maxlength = None if maxlength is None else int(_values(maxlength))
    if minlength is not None and maxlength is not None and minlength >= maxlength:
        return maxlength  # fixed whatever the values: no read needed
    _refuse_if_staged(op, "arr", arr)
    values = _values(arr)
    size = int(values.max()) + 1 if values.size else 0
    if minlength is not None:
        size = max(size, minlength)
    if maxlength is not None:
        size = min(size, maxlength)
    return size


def confusion_matrix(labels, predictions, num_classes=None, weights=None, dtype=np.int32,
                     name=None):
    """`tf.math.confusion_matrix`: out[i, j] = how many examples (or the sum of their
    weights) have label i and prediction j; labels and predictions are cast to int64, must
    be non-negative and, with num_classes, below it."""
    op = "confusion_matrix"
    labels, predictions = (cast(promote(op, v)[0], np.int64) for v in (labels, predictions))
    if tuple(shape_of(labels)) != tuple(shape_of(predictions)):
        raise InvalidArgumentError(
            f"{op}: labels (shape {list(shape_of(labels))}) and predictions (shape "
            f"{list(shape_of(predictions))}) must have the same shape")
    out_dtype = canonical_dtype(dtype)
    if num_classes is None:
        _refuse_if_staged(op, "labels and predictions", labels, predictions)
        both = np.concatenate([_values(labels).ravel(), _values(predictions).ravel()])
        for what, v in (("labels", _values(labels)), ("predictions", _values(predictions))):
            if v.size and v.min() < 0:
                raise InvalidArgumentError(f"{op}: `{what}` contains negative values "
                                           f"({v.min()})")
        num_classes = int(both.max()) + 1 if both.size else 0
    else:
        num_classes = int(_values(num_classes))
    labels = check_range(labels, 0, num_classes, op=op, what="labels")
    predictions = check_range(predictions, 0, num_classes, op=op, what="predictions")
    if weights is None:
        values = cast(ones_like(labels), out_dtype)
    else:
        values = cast(promote(op, weights)[0], out_dtype)
    flat = labels * num_classes + predictions
    counts = unsorted_segment_sum(reshape(values, (-1,)), reshape(flat, (-1,)),
                                  num_classes * num_classes)
    return reshape(counts, (num_classes, num_classes))


def in_top_k(targets, predictions, k, name=None):
    """`tf.math.in_top_k(targets, predictions, k)`: whether each row's target class is
    among its k largest predictions (float32). Classes tied with the k-th are in; a target
    out of range, or a row holding inf or nan, is False, as TF's kernel."""
    op = "in_top_k"
    (predictions,) = promote(op, predictions)
    (targets,) = promote(op, targets)
    if dtype_of(predictions) != np.float32:
        raise OpTypeError(f"{op}: predictions must be float32, got "
                          f"{dtype_name(dtype_of(predictions))} {list(shape_of(predictions))}")
    if dtype_of(targets) not in (np.int32, np.int64) or dtype_of(targets) == BOOL:
        raise OpTypeError(f"{op}: targets must be int32 or int64, got "
                          f"{dtype_name(dtype_of(targets))} {list(shape_of(targets))}")
    pshape, tshape = tuple(shape_of(predictions)), tuple(shape_of(targets))
    if len(pshape) != 2 or len(tshape) != 1 or pshape[0] != tshape[0]:
        raise InvalidArgumentError(
            f"{op}: predictions must be a matrix [batch, classes] and targets a vector of "
            f"its batch size, got predictions {list(pshape)} and targets {list(tshape)}")
    classes = constant_tensor(np.arange(pshape[1], dtype=dtype_of(targets)))
    is_target = equal(reshape(targets, (-1, 1)), classes)  # all False for a bad target
    target_score = reduce_sum(where(is_target, predictions, zeros_like(predictions)), axis=1,
                              keepdims=True)
    above = reduce_sum(cast(greater(predictions, target_score), dtype_of(targets)), axis=1)
    valid = logical_and(logical_and(greater_equal(targets, 0), less(targets, pshape[1])),
                        reduce_all(is_finite(predictions), axis=1))
    return logical_and(valid, less(above, k))

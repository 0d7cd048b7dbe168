"""The rest of `tf.sparse`: arithmetic, reductions, reshaping and slicing of SparseTensors,
eager and in numpy, as TF's kernels define them (tapeflow/api/sparse.py holds the container).

An op with a dense result (reduce_sum, sparse_dense_matmul, to_indicator, a sparse plus a
dense add) returns a Tensor; one that keeps sparsity returns a SparseTensor whose entries are
in row-major order, as TF's kernels emit them.
"""

from __future__ import annotations

import numpy as np

from tapeflow.api.sparse import SparseTensor, _array, reorder, to_dense
from tapeflow.ops.core import InvalidArgumentError, is_tracer
from tapeflow.tracer.tensor import make_constant


def _check(sp, op: str, arg: str = "sp_input") -> SparseTensor:
    if not isinstance(sp, SparseTensor):
        raise TypeError(f"sparse.{op}: {arg} must be a SparseTensor, got {type(sp).__name__}")
    return sp


def _make(indices, values, shape, dtype=None) -> SparseTensor:
    """A SparseTensor in row-major order from numpy parts."""
    indices = np.asarray(indices, np.int64).reshape(-1, len(shape))
    values = np.asarray(values, dtype=dtype)
    order = np.lexsort(indices.T[::-1]) if len(indices) else np.arange(0)
    return SparseTensor(indices[order], make_constant(values[order]), np.asarray(shape))


def _same_shape(op: str, a: SparseTensor, b: SparseTensor) -> None:
    if a._dense_shape.shape != b._dense_shape.shape or np.any(a._dense_shape != b._dense_shape):
        raise InvalidArgumentError(f"sparse.{op}: operands' shapes do not match: "
                                   f"{a._dense_shape.tolist()} and {b._dense_shape.tolist()}")


def _merge(a: SparseTensor, b: SparseTensor):
    """The union of a's and b's indices, with each one's values there (0 where absent)."""
    both = np.concatenate([a._indices, b._indices])
    union, where = np.unique(both, axis=0, return_inverse=True) if len(both) else (both, [])
    where = np.asarray(where).reshape(-1)
    dtype = np.result_type(a._values, b._values)
    va, vb = np.zeros(len(union), dtype), np.zeros(len(union), dtype)
    np.add.at(va, where[:len(a._indices)], a._values)
    np.add.at(vb, where[len(a._indices):], b._values)
    return union, va, vb


# --------------------------------------------------------------------------------------------
# Arithmetic
# --------------------------------------------------------------------------------------------


def add(a, b, threshold=0):
    """`tf.sparse.add`: sparse + sparse is sparse (entries with |sum| < threshold dropped);
    sparse + dense (either order) is dense."""
    if not isinstance(a, SparseTensor):
        a, b = b, a
    _check(a, "add", "a")
    if not isinstance(b, SparseTensor):
        dense = _array(b)
        if tuple(dense.shape) != tuple(a._dense_shape):
            raise InvalidArgumentError(f"sparse.add: the dense operand's shape "
                                       f"{list(dense.shape)} does not match the sparse one's "
                                       f"{a._dense_shape.tolist()}")
        out = dense.copy()
        np.add.at(out, tuple(a._indices.T), a._values.astype(out.dtype))
        return make_constant(out)
    _same_shape("add", a, b)
    union, va, vb = _merge(a, b)
    total = va + vb
    keep = np.abs(total) >= threshold
    return _make(union[keep], total[keep], a._dense_shape)


def _elementwise(op: str, fn, sp_a, sp_b) -> SparseTensor:
    _check(sp_a, op, "sp_a")
    _check(sp_b, op, "sp_b")
    _same_shape(op, sp_a, sp_b)
    union, va, vb = _merge(sp_a, sp_b)
    return _make(union, fn(va, vb), sp_a._dense_shape)


def maximum(sp_a, sp_b, name=None):
    """`tf.sparse.maximum`: on the union of the indices, absent entries counting as 0."""
    return _elementwise("maximum", np.maximum, sp_a, sp_b)


def minimum(sp_a, sp_b, name=None):
    """`tf.sparse.minimum`: on the union of the indices, absent entries counting as 0."""
    return _elementwise("minimum", np.minimum, sp_a, sp_b)


def map_values(op, *args, **kwargs):
    """`tf.sparse.map_values`: op applied to the values of the SparseTensors among args
    (which must share their indices); other args are passed as they are."""
    sparse = [x for x in list(args) + list(kwargs.values()) if isinstance(x, SparseTensor)]
    if not sparse:
        raise ValueError("sparse.map_values: no SparseTensor among the arguments")
    first = sparse[0]
    for other in sparse[1:]:
        if not np.array_equal(other._indices, first._indices) or not np.array_equal(
                other._dense_shape, first._dense_shape):
            raise InvalidArgumentError("sparse.map_values: the SparseTensors' indices and "
                                       "dense shapes must be equal")
    def unpack(x):
        return x.values if isinstance(x, SparseTensor) else x

    values = op(*[unpack(x) for x in args], **{k: unpack(v) for k, v in kwargs.items()})
    return SparseTensor(first._indices, values, first._dense_shape)


def sparse_dense_matmul(sp_a, b, adjoint_a=False, adjoint_b=False, name=None):
    """`tf.sparse.sparse_dense_matmul`: a dense product, one operand sparse (rank 2). It is
    the matmul of the sparse operand's dense form, so the dense operand gets a gradient."""
    from tapeflow.ops import matmul

    if isinstance(sp_a, SparseTensor) == isinstance(b, SparseTensor):
        raise TypeError("sparse.sparse_dense_matmul: exactly one operand must be a "
                        "SparseTensor")
    sparse = sp_a if isinstance(sp_a, SparseTensor) else b
    if len(sparse._dense_shape) != 2:
        raise InvalidArgumentError(f"sparse.sparse_dense_matmul: the SparseTensor must be a "
                                   f"matrix, got shape {sparse._dense_shape.tolist()}")
    a_shape = [int(d) for d in (sparse._dense_shape if sparse is sp_a else
                                np.shape(_array(sp_a)))]
    b_shape = [int(d) for d in (np.shape(_array(b)) if sparse is sp_a else
                                sparse._dense_shape)]
    inner_a = a_shape[0] if adjoint_a else a_shape[-1]
    inner_b = b_shape[-1] if adjoint_b else b_shape[0]
    if len(a_shape) != 2 or len(b_shape) != 2 or inner_a != inner_b:
        raise InvalidArgumentError(f"sparse.sparse_dense_matmul: cannot multiply A "
                                   f"{list(a_shape)} and B {list(b_shape)} (adjoint_a="
                                   f"{adjoint_a}, adjoint_b={adjoint_b}): inner dimensions "
                                   f"{inner_a} and {inner_b} differ")
    dense = to_dense(sparse, validate_indices=False)
    if sparse is sp_a:
        return matmul(dense, b, adjoint_a=adjoint_a, adjoint_b=adjoint_b)
    return matmul(sp_a, dense, adjoint_a=adjoint_a, adjoint_b=adjoint_b)


# --------------------------------------------------------------------------------------------
# Reductions and softmax
# --------------------------------------------------------------------------------------------


def _reduce(op: str, sp_input, axis, keepdims, output_is_sparse, combine, empty):
    _check(sp_input, op)
    rank = len(sp_input._dense_shape)
    axes = range(rank) if axis is None else np.atleast_1d(np.asarray(
        axis.numpy() if is_tracer(axis) else axis)).tolist()
    for ax in axes:
        if not -rank <= ax < rank:
            raise InvalidArgumentError(f"sparse.{op}: axis {ax} is out of range for rank "
                                       f"{rank}")
    axes = sorted({ax % rank for ax in axes})
    kept = [d for d in range(rank) if d not in axes]
    out_shape = [1 if d in axes else int(s) for d, s in enumerate(sp_input._dense_shape)]
    groups = {}
    for index, value in zip(sp_input._indices, sp_input._values):
        key = tuple(int(index[d]) if d in kept else 0 for d in range(rank))
        groups.setdefault(key, []).append(value)
    keys = sorted(groups)
    values = np.array([combine(groups[k]) for k in keys], dtype=sp_input._values.dtype)
    indices = np.array(keys, np.int64).reshape(-1, rank)
    if not keepdims:
        indices = indices[:, kept]
        out_shape = [out_shape[d] for d in kept]
    if output_is_sparse:
        return _make(indices, values, out_shape, sp_input._values.dtype)
    out = np.full(out_shape, empty, sp_input._values.dtype)
    if len(indices):  # a full reduction has one group and no index columns
        out[tuple(indices.T)] = values if indices.shape[1] else values[0]
    return make_constant(out)


def reduce_sum(sp_input, axis=None, keepdims=None, output_is_sparse=False, name=None):
    """`tf.sparse.reduce_sum`: the sum over `axis` of the entries (dense unless
    output_is_sparse)."""
    return _reduce("reduce_sum", sp_input, axis, bool(keepdims), output_is_sparse,
                   lambda v: np.sum(v), 0)


def reduce_max(sp_input, axis=None, keepdims=None, output_is_sparse=False, name=None):
    """`tf.sparse.reduce_max`: the largest entry over `axis`, missing entries not counted
    (a slice without entries gives 0 in the dense result, as TF)."""
    return _reduce("reduce_max", sp_input, axis, bool(keepdims), output_is_sparse,
                   lambda v: np.max(v), 0)


def softmax(sp_input, name=None):
    """`tf.sparse.softmax`: softmax over the last axis of each row's entries only (missing
    entries are not zeros: they take no probability)."""
    _check(sp_input, "softmax")
    sp = reorder(sp_input)
    values = sp._values.astype(sp._values.dtype, copy=True)
    rows = [tuple(i) for i in sp._indices[:, :-1]]
    for row in set(rows):
        mask = np.array([r == row for r in rows])
        x = values[mask].astype(np.float64)  # rounded once, as TF's float32 results are
        e = np.exp(x - x.max())
        values[mask] = e / e.sum()
    return SparseTensor(sp._indices, make_constant(values), sp._dense_shape)


# --------------------------------------------------------------------------------------------
# Shapes: reshape, transpose, expand_dims, concat, slice, reset_shape, eye
# --------------------------------------------------------------------------------------------


def reshape(sp_input, shape, name=None):
    """`tf.sparse.reshape`: the same entries in a dense shape of as many elements (one -1
    inferred), as TF: each entry keeps its row-major position."""
    _check(sp_input, "reshape")
    new = [int(s) for s in np.ravel(_array(shape, np.int64))]
    total = int(np.prod(sp_input._dense_shape))
    known = int(np.prod([s for s in new if s != -1]))
    if new.count(-1) > 1:
        raise InvalidArgumentError("sparse.reshape: at most one dimension can be -1")
    if -1 in new:
        if known == 0 or total % known:
            raise InvalidArgumentError(f"sparse.reshape: a SparseTensor with {total} dense "
                                       f"values cannot be reshaped to {new}")
        new[new.index(-1)] = total // known
    elif known != total:
        raise InvalidArgumentError(f"sparse.reshape: a SparseTensor with {total} dense "
                                   f"values cannot be reshaped to {new}")
    flat = np.ravel_multi_index(sp_input._indices.T, tuple(sp_input._dense_shape)) \
        if len(sp_input._indices) else np.zeros(0, np.int64)
    indices = np.stack(np.unravel_index(flat, new), axis=1) if len(flat) else \
        np.zeros((0, len(new)), np.int64)
    return SparseTensor(indices, make_constant(sp_input._values.copy()), new)


def transpose(sp_input, perm=None, name=None):
    """`tf.sparse.transpose`: the axes permuted (reversed by default), entries reordered."""
    _check(sp_input, "transpose")
    rank = len(sp_input._dense_shape)
    perm = list(range(rank))[::-1] if perm is None else [int(p) for p in np.ravel(
        _array(perm, np.int64))]
    if sorted(perm) != list(range(rank)):
        raise InvalidArgumentError(f"sparse.transpose: perm {perm} is not a permutation of "
                                   f"{rank} axes")
    return _make(sp_input._indices[:, perm], sp_input._values, sp_input._dense_shape[perm])


def expand_dims(sp_input, axis=None, name=None):
    """`tf.sparse.expand_dims`: a new axis of size 1 at `axis`."""
    _check(sp_input, "expand_dims")
    rank = len(sp_input._dense_shape)
    axis = -1 if axis is None else int(axis)
    if not -rank - 1 <= axis <= rank:
        raise InvalidArgumentError(f"sparse.expand_dims: axis {axis} is out of range for "
                                   f"rank {rank}")
    axis %= rank + 1
    indices = np.insert(sp_input._indices, axis, 0, axis=1)
    shape = np.insert(sp_input._dense_shape, axis, 1)
    return SparseTensor(indices, make_constant(sp_input._values.copy()), shape)


def concat(axis, sp_inputs, expand_nonconcat_dims=False, name=None, expand_nonconcat_dim=None):
    """`tf.sparse.concat`: the SparseTensors joined along `axis` (the other sizes must
    agree, or with expand_nonconcat_dims grow to the largest)."""
    sp_inputs = [_check(s, "concat", "sp_inputs") for s in sp_inputs]
    expand = expand_nonconcat_dims or bool(expand_nonconcat_dim)
    rank = len(sp_inputs[0]._dense_shape)
    axis = int(axis) % rank
    shapes = np.array([s._dense_shape for s in sp_inputs])
    others = [d for d in range(rank) if d != axis]
    if not expand and any(np.any(shapes[:, d] != shapes[0, d]) for d in others):
        raise InvalidArgumentError(f"sparse.concat: the inputs' shapes {shapes.tolist()} "
                                   f"differ outside the concat axis {axis}")
    offset, indices, values = 0, [], []
    for sp, shape in zip(sp_inputs, shapes):
        idx = sp._indices.copy()
        idx[:, axis] += offset
        indices.append(idx)
        values.append(sp._values)
        offset += shape[axis]
    out_shape = shapes.max(axis=0)
    out_shape[axis] = offset
    return _make(np.concatenate(indices), np.concatenate(values), out_shape)


def slice(sp_input, start, size, name=None):
    """`tf.sparse.slice`: the entries in [start, start + size), the size clipped to the
    dense shape; indices relative to start."""
    _check(sp_input, "slice")
    start = np.ravel(_array(start, np.int64)).astype(np.int64)
    size = np.ravel(_array(size, np.int64)).astype(np.int64)
    shape = sp_input._dense_shape
    if start.size != shape.size or size.size != shape.size:
        raise InvalidArgumentError(f"sparse.slice: start {start.tolist()} and size "
                                   f"{size.tolist()} must have one entry per dimension of "
                                   f"{shape.tolist()}")
    stop = np.minimum(start + size, shape)
    out_shape = np.maximum(stop - start, 0)
    idx = sp_input._indices
    keep = np.all((idx >= start) & (idx < stop), axis=1) if len(idx) else np.zeros(0, bool)
    return SparseTensor(idx[keep] - start, make_constant(sp_input._values[keep]), out_shape)


def reset_shape(sp_input, new_shape=None):
    """`tf.sparse.reset_shape`: the same entries in `new_shape` (at least as large), or in
    the tightest shape that holds them."""
    _check(sp_input, "reset_shape")
    idx = sp_input._indices
    if new_shape is None:
        shape = idx.max(axis=0) + 1 if len(idx) else np.zeros(idx.shape[1], np.int64)
    else:
        shape = np.ravel(_array(new_shape, np.int64)).astype(np.int64)
        if shape.size != sp_input._dense_shape.size or np.any(shape < sp_input._dense_shape):
            raise ValueError(f"sparse.reset_shape: new_shape {shape.tolist()} must have one "
                             f"size per dimension, each >= the input's "
                             f"{sp_input._dense_shape.tolist()}")
    return SparseTensor(idx, make_constant(sp_input._values.copy()), shape)


def eye(num_rows, num_columns=None, dtype=np.float32, name=None):
    """`tf.sparse.eye`: ones on the diagonal of a [num_rows, num_columns] SparseTensor."""
    from tapeflow.ops.core import canonical_dtype

    rows = int(num_rows)
    cols = rows if num_columns is None else int(num_columns)
    n = min(rows, cols)
    diagonal = np.repeat(np.arange(n, dtype=np.int64)[:, None], 2, axis=1)
    return SparseTensor(diagonal, make_constant(np.ones(n, canonical_dtype(dtype))),
                        [rows, cols])


# --------------------------------------------------------------------------------------------
# Entries: retain, fill_empty_rows, to_indicator
# --------------------------------------------------------------------------------------------


def retain(sp_input, to_retain):
    """`tf.sparse.retain`: the entries where the bool vector to_retain is true."""
    _check(sp_input, "retain")
    keep = np.asarray(_array(to_retain)).astype(bool).reshape(-1)
    if keep.shape[0] != sp_input._indices.shape[0]:
        raise ValueError(f"sparse.retain: to_retain has {keep.shape[0]} entries for "
                         f"{sp_input._indices.shape[0]} values")
    return SparseTensor(sp_input._indices[keep], make_constant(sp_input._values[keep]),
                        sp_input._dense_shape)


def fill_empty_rows(sp_input, default_value, name=None):
    """`tf.sparse.fill_empty_rows`: (the input with an entry (row, 0, ...) =
    default_value for each row without entries, the bool vector of those rows)."""
    _check(sp_input, "fill_empty_rows")
    rows = int(sp_input._dense_shape[0])
    empty = np.ones(rows, bool)
    empty[sp_input._indices[:, 0]] = False
    added = np.zeros((int(empty.sum()), sp_input._indices.shape[1]), np.int64)
    added[:, 0] = np.flatnonzero(empty)
    fill = np.full(len(added), default_value, sp_input._values.dtype)
    out = _make(np.concatenate([sp_input._indices, added]),
                np.concatenate([sp_input._values, fill]), sp_input._dense_shape)
    return out, make_constant(empty)


def to_indicator(sp_input, vocab_size, name=None):
    """`tf.sparse.to_indicator`: a dense bool [..., vocab_size] that is true at the ids
    each row (all axes but the last) holds."""
    _check(sp_input, "to_indicator")
    if sp_input._values.dtype.kind not in "iu":
        raise TypeError(f"sparse.to_indicator: sp_input must hold integer ids, got "
                        f"{sp_input._values.dtype.name}")
    vocab = int(vocab_size)
    ids = sp_input._values.astype(np.int64)
    if np.any((ids < 0) | (ids >= vocab)):
        bad = int(ids[(ids < 0) | (ids >= vocab)][0])
        raise InvalidArgumentError(f"sparse.to_indicator: id {bad} is outside [0, {vocab})")
    out = np.zeros(tuple(sp_input._dense_shape[:-1]) + (vocab,), bool)
    out[tuple(sp_input._indices[:, :-1].T) + (ids,)] = True
    return make_constant(out)

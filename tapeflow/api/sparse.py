"""`tf.sparse` and `tf.SparseTensor`, eager only: a dense shape, the indices of its
non-zero entries (int64, one row per entry) and their values, as TensorFlow stores them.
Convert with `tf.sparse.to_dense` before using other ops."""

from __future__ import annotations

import numpy as np

from tapeflow.ops.core import InvalidArgumentError, OpTypeError
from tapeflow.ops.core import is_tracer as _is_tracer
from tapeflow.tracer.dtypes import from_numpy as _from_numpy
from tapeflow.tracer.tensor import Tensor
from tapeflow.tracer.tensor import convert_to_tensor as _convert_to_tensor
from tapeflow.tracer.tensor import make_constant as _make_constant
from tapeflow.tracer.tensor_shape import TensorShape


def _array(x, dtype=None) -> np.ndarray:
    t = x if _is_tracer(x) else _convert_to_tensor(x, dtype=dtype)
    return np.asarray(t._concrete())


class SparseTensor:
    """`tf.SparseTensor(indices, values, dense_shape)`."""

    def __init__(self, indices, values, dense_shape):
        idx = np.asarray(_array(indices, np.int64) if not _is_tracer(indices) else
                         indices._concrete())
        if idx.size == 0:
            idx = idx.reshape(0, len(np.ravel(_array(dense_shape, np.int64))))
        if idx.ndim != 2 or idx.dtype.kind not in "iu":
            raise OpTypeError(f"SparseTensor: indices must be an integer matrix [N, rank], got "
                              f"{idx.dtype.name}{list(idx.shape)}")
        vals = _array(values)
        shape = np.asarray(_array(dense_shape, np.int64)).astype(np.int64).reshape(-1)
        if vals.ndim != 1 or vals.shape[0] != idx.shape[0]:
            raise InvalidArgumentError(
                f"SparseTensor: {idx.shape[0]} indices but values of shape {list(vals.shape)}")
        if idx.shape[1] != shape.size:
            raise InvalidArgumentError(
                f"SparseTensor: indices have {idx.shape[1]} columns for a dense shape of rank "
                f"{shape.size}")
        if idx.size and (np.any(idx < 0) or np.any(idx >= shape)):
            bad = idx[np.any((idx < 0) | (idx >= shape), axis=1)][0].tolist()
            raise InvalidArgumentError(f"SparseTensor: index {bad} is out of bounds for dense "
                                       f"shape {shape.tolist()}")
        self._indices = idx.astype(np.int64)
        self._values = vals
        self._dense_shape = shape

    @property
    def indices(self) -> Tensor:
        return _make_constant(self._indices.copy())

    @property
    def values(self) -> Tensor:
        return _make_constant(self._values.copy())

    @property
    def dense_shape(self) -> Tensor:
        return _make_constant(self._dense_shape.copy())

    @property
    def shape(self) -> TensorShape:
        return TensorShape(self._dense_shape.tolist())

    @property
    def dtype(self):
        return _from_numpy(self._values.dtype)

    def __repr__(self) -> str:
        # str(), not f"{t}": a tensor's __format__ is its numpy text, as TF's.
        return (f"SparseTensor(indices={str(self.indices)}, values={str(self.values)}, "
                f"dense_shape={str(self.dense_shape)})")

    __str__ = __repr__


def to_dense(sp_input, default_value=None, validate_indices=True, name=None) -> Tensor:
    """The dense tensor: `default_value` (zero) everywhere but at the indices."""
    if not isinstance(sp_input, SparseTensor):
        raise TypeError(f"sparse.to_dense: expected a SparseTensor, got "
                        f"{type(sp_input).__name__}")
    fill = 0 if default_value is None else default_value
    out = np.full(tuple(sp_input._dense_shape), fill, dtype=sp_input._values.dtype)
    if validate_indices and len(sp_input._indices):
        flat = np.ravel_multi_index(sp_input._indices.T, tuple(sp_input._dense_shape))
        if np.unique(flat).size != flat.size:
            raise InvalidArgumentError("sparse.to_dense: indices repeat")
    if len(sp_input._indices):
        out[tuple(sp_input._indices.T)] = sp_input._values
    return _make_constant(out)


def from_dense(tensor, name=None) -> SparseTensor:
    """The non-zero entries of a dense tensor, in row-major order."""
    arr = _array(tensor)
    idx = np.argwhere(arr != 0).astype(np.int64)
    return SparseTensor(idx, _make_constant(arr[tuple(idx.T)] if idx.size else
                                           np.zeros(0, arr.dtype)), arr.shape)


def reorder(sp_input, name=None) -> SparseTensor:
    """The same entries with indices in row-major order."""
    order = np.lexsort(sp_input._indices.T[::-1])
    return SparseTensor(sp_input._indices[order], _make_constant(sp_input._values[order]),
                        sp_input._dense_shape)


# ---- sweep-linalg3: the rest of tf.sparse (tapeflow/api/sparse_ops.py) ----------------------
from tapeflow.api.sparse_ops import (  # noqa: F401
    add,
    concat,
    expand_dims,
    eye,
    fill_empty_rows,
    map_values,
    maximum,
    minimum,
    reduce_max,
    reduce_sum,
    reset_shape,
    reshape,
    retain,
    slice,
    softmax,
    sparse_dense_matmul,
    to_indicator,
    transpose,
)

"""`tf.ragged` and `tf.RaggedTensor`, eager only: rows of different lengths.

A RaggedTensor is `flat_values` (a dense tensor of every element, row after row) with the
row boundaries of each ragged axis (`row_splits`), as TensorFlow stores it. It prints and
converts as TF's does (`<tf.RaggedTensor [[1, 2], [3]]>`, `to_list()`, `to_tensor()`,
`row_lengths()`, `bounding_shape()`, a shape with None for ragged axes). `+ - * / //` with a
scalar or a RaggedTensor of the same rows act on the values, as TF's. It is not
differentiated through and not accepted by other ops: convert it with `to_tensor()` first.
"""

from __future__ import annotations

import numpy as np

from tapeflow.ops.core import InvalidArgumentError
from tapeflow.ops.core import default_dtype as _default_dtype
from tapeflow.ops.core import to_array as _to_array
from tapeflow.tracer.dtypes import as_dtype as _as_dtype
from tapeflow.tracer.dtypes import from_numpy as _from_numpy
from tapeflow.tracer.tensor import Tensor
from tapeflow.tracer.tensor import make_constant as _make_constant
from tapeflow.tracer.tensor_shape import TensorShape


class RaggedTensor:
    """Rows of different lengths: `flat_values` and one `row_splits` per ragged axis."""

    def __init__(self, flat_values: np.ndarray, nested_splits: list[np.ndarray]):
        if not nested_splits:
            raise ValueError("RaggedTensor: at least one ragged axis is needed")
        self._flat = flat_values
        self._splits = [np.asarray(s, dtype=np.int64) for s in nested_splits]

    # ---- construction -----------------------------------------------------------------------

    @classmethod
    def from_row_splits(cls, values, row_splits, validate=True):
        flat, splits = _parts(values)
        row_splits = _index_vector(row_splits, "from_row_splits", "row_splits")
        if validate:
            n = splits[0].size - 1 if splits else len(flat)
            if (row_splits.size == 0 or row_splits[0] != 0 or row_splits[-1] != n
                    or np.any(np.diff(row_splits) < 0)):
                raise InvalidArgumentError(
                    f"from_row_splits: row_splits {row_splits.tolist()} must start at 0, never "
                    f"decrease and end at the number of values ({n})")
        return cls(flat, [row_splits] + splits)

    @classmethod
    def from_row_lengths(cls, values, row_lengths, validate=True):
        lengths = _index_vector(row_lengths, "from_row_lengths", "row_lengths")
        if validate and np.any(lengths < 0):
            raise InvalidArgumentError(f"from_row_lengths: negative row length in "
                                       f"{lengths.tolist()}")
        return cls.from_row_splits(values, np.concatenate([[0], np.cumsum(lengths)]),
                                   validate)

    @classmethod
    def from_value_rowids(cls, values, value_rowids, nrows=None, validate=True):
        ids = _index_vector(value_rowids, "from_value_rowids", "value_rowids")
        if validate and np.any(np.diff(ids) < 0):
            raise InvalidArgumentError("from_value_rowids: value_rowids must be sorted")
        n = int(nrows) if nrows is not None else (int(ids.max()) + 1 if ids.size else 0)
        return cls.from_row_lengths(values, np.bincount(ids, minlength=n)[:n], validate)

    # ---- what TF users read -----------------------------------------------------------------

    @property
    def flat_values(self) -> Tensor:
        return _make_constant(self._flat.copy())

    @property
    def values(self):
        """The rows' contents one ragged axis down (a RaggedTensor or the flat values)."""
        if len(self._splits) == 1:
            return self.flat_values
        return RaggedTensor(self._flat, self._splits[1:])

    @property
    def row_splits(self) -> Tensor:
        return _make_constant(self._splits[0].copy())

    @property
    def ragged_rank(self) -> int:
        return len(self._splits)

    @property
    def dtype(self):
        return _from_numpy(self._flat.dtype)

    @property
    def shape(self) -> TensorShape:
        ragged = [None] * len(self._splits)
        return TensorShape([self.nrows_int()] + ragged + list(self._flat.shape[1:]))

    def nrows_int(self) -> int:
        return int(self._splits[0].size - 1)

    def nrows(self, out_type=None) -> Tensor:
        return _make_constant(np.array(self.nrows_int(), dtype=np.int64))

    def row_lengths(self, axis: int = 1) -> Tensor:
        if axis != 1:
            raise NotImplementedError("row_lengths: only axis=1 is supported")
        return _make_constant(np.diff(self._splits[0]))

    def value_rowids(self) -> Tensor:
        lengths = np.diff(self._splits[0])
        return _make_constant(np.repeat(np.arange(lengths.size, dtype=np.int64), lengths))

    def to_list(self) -> list:
        return _to_list(self._flat, self._splits)

    def numpy(self) -> np.ndarray:
        """An object array of the rows (numpy arrays), as TF's RaggedTensor.numpy()."""
        rows = [np.array(r, dtype=self._flat.dtype) if not isinstance(r, RaggedTensor) else r
                for r in self._rows_as_arrays()]
        out = np.empty(len(rows), dtype=object)
        out[:] = rows
        return out

    def _rows_as_arrays(self):
        s = self._splits[0]
        for i in range(s.size - 1):
            if len(self._splits) == 1:
                yield self._flat[s[i]:s[i + 1]]
            else:
                yield np.array(_to_list_rows(self._flat, self._splits[1:], s[i], s[i + 1]),
                               dtype=object)

    def to_tensor(self, default_value=None, name=None, shape=None) -> Tensor:
        """A dense tensor, rows padded with `default_value` (zero) to the longest."""
        dense_shape = list(_dense_shape(self._flat, self._splits))
        if shape is not None:
            dense_shape = [d if s is None else int(s) for d, s in zip(dense_shape, shape)]
        if default_value is None:
            fill = np.zeros((), dtype=self._flat.dtype) if self._flat.dtype != object else b""
        else:
            fill = default_value
        out = np.full(dense_shape, fill, dtype=self._flat.dtype)
        _fill_dense(out, self._flat, self._splits)
        return _make_constant(out)

    def with_flat_values(self, new_values) -> RaggedTensor:
        flat = np.asarray(new_values)
        if flat.shape[:1] != self._flat.shape[:1]:
            raise ValueError(f"with_flat_values: {flat.shape[0]} values for "
                             f"{self._flat.shape[0]} places")
        return RaggedTensor(flat, self._splits)

    def bounding_shape(self, axis=None, name=None, out_type=None) -> Tensor:
        """The shape of the smallest dense tensor holding every row: [nrows, the longest
        row of each ragged axis, the inner dims], int64 (or `out_type`); one entry with
        `axis`."""
        shape = np.array(_dense_shape(self._flat, self._splits), dtype=np.int64)
        if out_type is not None:
            shape = shape.astype(_as_dtype(out_type).as_numpy_dtype)
        if axis is not None:
            axis = int(axis)
            if not -shape.size <= axis < shape.size:
                raise InvalidArgumentError(f"bounding_shape: axis {axis} is out of range for "
                                           f"a RaggedTensor of rank {shape.size}")
            shape = shape[axis]
        return _make_constant(shape)

    # ---- arithmetic: elementwise on the values, rows unchanged ------------------------------

    def _values_op(self, other, op, reverse: bool = False) -> RaggedTensor:
        """`op(self, other)` (or `op(other, self)`) on the flat values, as TF's ragged
        dispatch for a scalar or a RaggedTensor with the same row partitions; the dense
        op's dtype rules apply (int32 + 1.5 is an InvalidArgumentError, as TF)."""
        from tapeflow.tracer.tensor import convert_to_tensor

        if isinstance(other, RaggedTensor):
            if len(other._splits) != len(self._splits):
                raise InvalidArgumentError(
                    f"RaggedTensor {op.__name__}: ragged ranks differ ({self.ragged_rank} vs "
                    f"{other.ragged_rank}); elementwise ops need the same row partitions")
            for axis, (a, b) in enumerate(zip(self._splits, other._splits), start=1):
                if not np.array_equal(a, b):
                    raise InvalidArgumentError(
                        f"RaggedTensor {op.__name__}: the row lengths of ragged axis {axis} "
                        f"differ ({np.diff(a).tolist()} vs {np.diff(b).tolist()}); "
                        "elementwise ops need the same row partitions")
            other_values = convert_to_tensor(other._flat)
        else:
            other_values = other if hasattr(other, "_tapeflow_tensor") else None
            if other_values is None:
                other_values = convert_to_tensor(other, dtype_hint=self.dtype)
            if other_values.shape.rank != 0:
                raise InvalidArgumentError(
                    f"RaggedTensor {op.__name__}: only a scalar or a RaggedTensor with the "
                    f"same rows is supported here, got a dense {other_values.shape}")
        values = convert_to_tensor(self._flat)
        out = op(other_values, values) if reverse else op(values, other_values)
        return RaggedTensor(np.asarray(out.numpy()), self._splits)

    def __add__(self, other):
        return self._values_op(other, _ops().add)

    def __radd__(self, other):
        return self._values_op(other, _ops().add, reverse=True)

    def __sub__(self, other):
        return self._values_op(other, _ops().subtract)

    def __rsub__(self, other):
        return self._values_op(other, _ops().subtract, reverse=True)

    def __mul__(self, other):
        return self._values_op(other, _ops().multiply)

    def __rmul__(self, other):
        return self._values_op(other, _ops().multiply, reverse=True)

    def __truediv__(self, other):
        return self._values_op(other, _ops().truediv)

    def __floordiv__(self, other):
        return self._values_op(other, _ops().floordiv)

    def __neg__(self):
        return RaggedTensor(np.asarray(_ops().negative(self.flat_values).numpy()),
                            self._splits)

    def __getitem__(self, key):
        if isinstance(key, int | np.integer):
            n = self.nrows_int()
            i = int(key) + n if key < 0 else int(key)
            if not 0 <= i < n:
                raise InvalidArgumentError(f"RaggedTensor index {key} is out of range "
                                           f"[0, {n})")
            s = self._splits[0]
            if len(self._splits) == 1:
                return _make_constant(self._flat[s[i]:s[i + 1]].copy())
            return constant(self.to_list()[i], dtype=self.dtype)
        raise TypeError("RaggedTensor indexing takes a row index (an int)")

    def __repr__(self) -> str:
        return f"<tf.RaggedTensor {self.to_list()}>"

    __str__ = __repr__

    def __len__(self) -> int:
        return self.nrows_int()

    def __iter__(self):
        for i in range(self.nrows_int()):
            yield self[i]


def _ops():
    """The dense math ops (imported on first use: tf.ragged is loaded lazily)."""
    from tapeflow.api import math

    return math


def _index_vector(x, op: str, arg: str) -> np.ndarray:
    arr = np.asarray(x._concrete() if hasattr(x, "_concrete") else x)
    if arr.ndim != 1 or (arr.size and arr.dtype.kind not in "iu"):
        raise TypeError(f"{op}: {arg} must be a vector of integers, got "
                        f"{arr.dtype.name}{list(arr.shape)}")
    return arr.astype(np.int64)


def _parts(values):
    if isinstance(values, RaggedTensor):
        return values._flat, values._splits
    if hasattr(values, "_concrete"):
        return np.asarray(values._concrete()), []
    if isinstance(values, np.ndarray):
        return values, []
    # A Python list has TF's dtype (ints int32, floats float32), not numpy's int64/float64.
    return _to_array(values, _default_dtype(values), op="RaggedTensor"), []


def _to_list_rows(flat, splits, lo, hi):
    if not splits:
        return flat[lo:hi].tolist()
    s = splits[0]
    return [_to_list_rows(flat, splits[1:], s[i], s[i + 1]) for i in range(lo, hi)]


def _to_list(flat, splits) -> list:
    return _to_list_rows(flat, splits, 0, splits[0].size - 1)


def _dense_shape(flat, splits) -> tuple:
    shape = [splits[0].size - 1]
    for s in splits:
        lengths = np.diff(s)
        shape.append(int(lengths.max()) if lengths.size else 0)
    return tuple(shape) + flat.shape[1:]


def _fill_dense(out, flat, splits, lo=0, hi=None, index=()):
    s = splits[0]
    hi = s.size - 1 if hi is None else hi
    for row, i in enumerate(range(lo, hi)):
        if len(splits) == 1:
            n = s[i + 1] - s[i]
            out[index + (row, slice(0, n))] = flat[s[i]:s[i + 1]]
        else:
            _fill_dense(out, flat, splits[1:], s[i], s[i + 1], index + (row,))


def constant(pylist, dtype=None, ragged_rank=None, inner_shape=None, name=None,
             row_splits_dtype=None) -> RaggedTensor:
    """`tf.ragged.constant`: a RaggedTensor from nested Python lists of any row lengths."""
    depth, leaves = _depth_and_leaves(pylist)
    if depth < 2:
        raise ValueError(f"ragged.constant: expected a nested list (rank >= 2), got rank {depth}")
    np_dtype = (np.dtype(_as_dtype(dtype).as_numpy_dtype) if dtype is not None
                else _default_dtype(leaves if leaves else [0.0]))
    flat = _to_array(leaves, np_dtype, op="ragged.constant")
    splits = []
    level = [pylist]
    for _ in range(depth - 1):
        lengths = [len(row) for node in level for row in node]
        splits.append(np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64))
        level = [row for node in level for row in node]
    return RaggedTensor(np.asarray(flat), splits)


def _depth_and_leaves(pylist):
    depths = set()
    leaves = []

    def walk(node, d):
        if isinstance(node, list | tuple):
            if not node:
                depths.add(d + 1)
            for x in node:
                walk(x, d + 1)
        else:
            depths.add(d)
            leaves.append(node)

    walk(pylist, 0)
    if len(depths) > 1:
        raise ValueError("ragged.constant: all scalar values must have the same nesting "
                         f"depth, got depths {sorted(depths)}")
    return (depths.pop() if depths else 1), leaves

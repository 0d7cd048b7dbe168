"""`tf.TensorArray`: a list of same-shaped tensors written one index at a time.

Elements are ordinary tensors, so `stack()` is a `tf.stack` that tapes differentiate and
traces record. Under `tapeflow.function` a Python loop that writes one element per step
is unrolled by the trace (an index that is a traced tensor is read as a Python int, which
guards the path). As in TF, `write` returns the TensorArray to keep using (here the same
object, updated).
"""

from __future__ import annotations

import numpy as np

from tapeflow import ops
from tapeflow.ops.core import InvalidArgumentError, OpTypeError
from tapeflow.ops.errors import OutOfRangeError
from tapeflow.ops.core import canonical_dtype as _canonical_dtype
from tapeflow.ops.core import is_tracer as _is_tracer
from tapeflow.tracer.dtypes import from_numpy as _from_numpy
from tapeflow.tracer.tensor import convert_to_tensor as _convert_to_tensor
from tapeflow.tracer.tensor import make_constant as _make_constant
from tapeflow.tracer.tensor_shape import TensorShape


class TensorArray:
    """`tf.TensorArray(dtype, size=0, dynamic_size=False, clear_after_read=True, ...)`."""

    def __init__(self, dtype, size=None, dynamic_size=None, clear_after_read=None,
                 tensor_array_name=None, handle=None, flow=None, infer_shape=True,
                 element_shape=None, colocate_with_first_write_call=True, name=None):
        self._dtype = _canonical_dtype(dtype)
        n = 0 if size is None else _index(size, "size")
        if n < 0:
            raise ValueError(f"TensorArray: size must be >= 0, got {n}")
        self._items: list = [None] * n
        self._dynamic = bool(dynamic_size)
        self._clear_after_read = True if clear_after_read is None else bool(clear_after_read)
        self._element_shape = (None if element_shape is None
                               else tuple(TensorShape(element_shape)))
        self._infer_shape = infer_shape

    @property
    def dtype(self):
        return _from_numpy(self._dtype)

    @property
    def dynamic_size(self) -> bool:
        return self._dynamic

    @property
    def element_shape(self) -> TensorShape:
        return TensorShape(self._element_shape)

    def size(self, name=None):
        return _make_constant(np.array(len(self._items), dtype=np.int32))

    def _checked(self, value, op: str):
        t = value if _is_tracer(value) else _convert_to_tensor(value, dtype=self._dtype)
        if t.aval.dtype != self._dtype:
            raise OpTypeError(f"TensorArray.{op}: value has dtype {t.dtype.name}, the array "
                              f"holds {np.dtype(self._dtype).name}")
        shape = tuple(t.shape)
        if self._element_shape is not None:
            ok = len(shape) == len(self._element_shape) and all(
                e is None or e == d for e, d in zip(self._element_shape, shape))
            if not ok:
                raise ValueError(f"TensorArray.{op}: value of shape {shape} does not fit the "
                                 f"element shape {TensorShape(self._element_shape)}")
        return t

    def _infer(self, t) -> None:
        """Fix the element shape from a value stored (after every check passed)."""
        if self._infer_shape:
            self._element_shape = tuple(t.shape)

    def write(self, index, value, name=None) -> TensorArray:
        i = _index(index, "write")
        t = self._checked(value, "write")
        if i < 0:
            raise InvalidArgumentError(f"TensorArray.write: index {i} is negative")
        if i >= len(self._items):
            if not self._dynamic:
                raise OutOfRangeError(
                    f"TensorArray.write: index {i} is out of range for a TensorArray of size "
                    f"{len(self._items)} (create it with dynamic_size=True to grow)")
            self._items.extend([None] * (i + 1 - len(self._items)))
        if self._items[i] is not None and self._items[i] is not _READ:
            raise InvalidArgumentError(
                f"TensorArray.write: could not write to index {i}: it was already written")
        self._items[i] = t
        self._infer(t)
        return self

    def read(self, index, name=None):
        i = _index(index, "read")
        if not 0 <= i < len(self._items):
            raise OutOfRangeError(f"TensorArray.read: index {i} is out of range for a "
                                       f"TensorArray of size {len(self._items)}")
        t = self._items[i]
        if t is _READ:
            raise InvalidArgumentError(
                f"TensorArray.read: index {i} was already read and cleared "
                "(clear_after_read=True); create the array with clear_after_read=False")
        if t is None:
            return self._zeros()
        if self._clear_after_read:
            self._items[i] = _READ
        return t

    def _zeros(self):
        if self._element_shape is None or None in self._element_shape:
            raise InvalidArgumentError("TensorArray.read: the element was never written and "
                                       "its shape is unknown")
        return _make_constant(np.zeros(self._element_shape, dtype=self._dtype))

    def stack(self, name=None):
        """The elements stacked along a new first axis (a zero-length array when empty)."""
        if not self._items:
            shape = (0,) + (self._element_shape or ())
            if None in shape:
                raise InvalidArgumentError("TensorArray.stack: empty array of unknown "
                                           "element shape")
            return _make_constant(np.zeros(shape, dtype=self._dtype))
        return ops.stack([self._element(i, "stack") for i in range(len(self._items))])

    def gather(self, indices, name=None):
        idx = [int(i) for i in np.ravel(indices._concrete() if _is_tracer(indices) else indices)]
        return ops.stack([self._element(i, "gather") for i in idx])

    def concat(self, name=None):
        return ops.concat([self._element(i, "concat") for i in range(len(self._items))], 0)

    def _element(self, i: int, op: str):
        if not 0 <= i < len(self._items):
            raise OutOfRangeError(f"TensorArray.{op}: index {i} is out of range for a "
                                       f"TensorArray of size {len(self._items)}")
        t = self._items[i]
        if t is _READ:
            raise InvalidArgumentError(f"TensorArray.{op}: index {i} was already read and "
                                       "cleared (clear_after_read=True)")
        return self._zeros() if t is None else t

    def unstack(self, value, name=None) -> TensorArray:
        t = value if _is_tracer(value) else _convert_to_tensor(value, dtype=self._dtype)
        if t.shape.rank == 0:
            raise ValueError("TensorArray.unstack: value must have at least one axis")
        n = t.shape[0]
        if n > len(self._items) and not self._dynamic and self._items:
            raise InvalidArgumentError(f"TensorArray.unstack: {n} elements for a TensorArray "
                                       f"of size {len(self._items)}")
        parts = [self._checked(part, "unstack") for part in ops.unstack(t)]
        self._items = parts + [None] * (len(self._items) - n)
        if parts:
            self._infer(parts[0])
        return self

    def scatter(self, indices, value, name=None) -> TensorArray:
        t = value if _is_tracer(value) else _convert_to_tensor(value, dtype=self._dtype)
        idx = [int(i) for i in np.ravel(indices._concrete() if _is_tracer(indices) else indices)]
        for i, part in zip(idx, ops.unstack(t)):
            self.write(i, part)
        return self

    def close(self, name=None) -> None:
        self._items = []

    def __repr__(self) -> str:
        return f"<tf.TensorArray dtype={self.dtype.name} size={len(self._items)}>"


_READ = object()  # marks an element read and cleared (clear_after_read)


def _index(i, op: str) -> int:
    if _is_tracer(i):
        if i.aval.dtype.kind not in "iu" or i.aval.shape != ():
            raise TypeError(f"TensorArray.{op}: index must be an integer scalar, got "
                            f"{i.dtype.name}{list(i.shape)}")
        return int(i)
    if isinstance(i, bool) or not isinstance(i, int | np.integer):
        raise TypeError(f"TensorArray.{op}: index must be an int, got {type(i).__name__}")
    return int(i)

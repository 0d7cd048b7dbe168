"""`tf.TensorShape`: what `Tensor.shape` returns, a possibly partial shape.

A shape has a known rank and a size (an int, or None when unknown) per axis, or an unknown
rank (`TensorShape(None)`). It is a tuple of its sizes, so code that treats `t.shape` as a
tuple (indexing, unpacking, `t.shape == (2, 3)`, `np.zeros(t.shape)`) keeps working, and it
has TensorFlow's methods and printed forms: `str` is `(2, 3)`, `repr` is
`TensorShape([2, 3])`.
"""

from __future__ import annotations

import operator


def _dim(d, where: str):
    """One size as TensorFlow accepts it: an int >= 0 (anything with __index__), or None."""
    if d is None:
        return None
    value = getattr(d, "value", d)  # TF's Dimension objects carry `.value`
    if value is None:
        return None
    try:
        n = operator.index(value)
    except TypeError:
        raise TypeError(
            f"{where}: a dimension must be an int or None, got {type(d).__name__} {d!r:.40}"
        ) from None
    if n < 0:
        raise ValueError(f"{where}: dimension {n} is negative")
    return n


class TensorShape(tuple):
    """A tensor's shape: a tuple of sizes (None where unknown), or an unknown rank."""

    # No __slots__: an instance dict holds `_unknown_rank`, set only on TensorShape(None).
    _unknown_rank = False

    def __new__(cls, dims=None):
        if isinstance(dims, TensorShape):
            return dims
        if dims is None:
            shape = super().__new__(cls, ())
            shape._unknown_rank = True
            return shape
        if isinstance(dims, int):  # TensorShape(3) is a vector of 3, as in TF
            dims = (dims,)
        try:
            items = list(dims)
        except TypeError:
            raise TypeError(f"TensorShape: cannot build a shape from {dims!r:.60}") from None
        return super().__new__(cls, tuple(_dim(d, "TensorShape") for d in items))

    @classmethod
    def _of(cls, dims: tuple) -> TensorShape:
        """A shape of sizes already checked (a tensor's own): `Tensor.shape` is read often,
        so it skips the validation of __new__ (0.2 instead of several us)."""
        for d in dims:
            if type(d) is not int and d is not None:  # a symbolic size: read as an int
                return cls(dims)
        return tuple.__new__(cls, dims)

    # ---- rank and sizes ---------------------------------------------------------------------

    @property
    def rank(self) -> int | None:
        """The number of axes, or None for an unknown rank."""
        return None if self._unknown_rank else tuple.__len__(self)

    @property
    def ndims(self) -> int | None:
        return self.rank

    @property
    def dims(self) -> list | None:
        return None if self._unknown_rank else list(tuple.__iter__(self))

    def as_list(self) -> list:
        if self._unknown_rank:
            raise ValueError("as_list() is not defined on an unknown TensorShape.")
        return list(tuple.__iter__(self))

    def num_elements(self) -> int | None:
        """The number of elements, or None when a size or the rank is unknown."""
        if not self.is_fully_defined():
            return None
        n = 1
        for d in tuple.__iter__(self):
            n *= d
        return n

    def is_fully_defined(self) -> bool:
        return not self._unknown_rank and None not in tuple.__iter__(self)

    def assert_is_fully_defined(self) -> None:
        if not self.is_fully_defined():
            raise ValueError(f"Shape {self} is not fully defined")

    # ---- compatibility ----------------------------------------------------------------------

    def is_compatible_with(self, other) -> bool:
        """True when some fully defined shape could be both: same rank (or one unknown) and
        equal sizes wherever both are known."""
        other = as_shape(other)
        if self._unknown_rank or other._unknown_rank:
            return True
        if tuple.__len__(self) != tuple.__len__(other):
            return False
        return all(a is None or b is None or a == b
                   for a, b in zip(tuple.__iter__(self), tuple.__iter__(other)))

    def assert_is_compatible_with(self, other) -> None:
        if not self.is_compatible_with(other):
            raise ValueError(f"Shapes {self} and {as_shape(other)} are incompatible")

    def merge_with(self, other) -> TensorShape:
        """The shape holding what both know; ValueError when they disagree."""
        other = as_shape(other)
        if self._unknown_rank:
            return other
        if other._unknown_rank:
            return self
        if not self.is_compatible_with(other):
            raise ValueError(f"Shapes {self} and {other} are not compatible")
        return TensorShape([a if a is not None else b
                            for a, b in zip(tuple.__iter__(self), tuple.__iter__(other))])

    def most_specific_compatible_shape(self, other) -> TensorShape:
        """The most specific shape compatible with both (sizes that differ become None)."""
        other = as_shape(other)
        if self._unknown_rank or other._unknown_rank or self.rank != other.rank:
            return TensorShape(None)
        return TensorShape([a if a == b else None
                            for a, b in zip(tuple.__iter__(self), tuple.__iter__(other))])

    def concatenate(self, other) -> TensorShape:
        other = as_shape(other)
        if self._unknown_rank or other._unknown_rank:
            return TensorShape(None)
        return TensorShape(tuple(tuple.__iter__(self)) + tuple(tuple.__iter__(other)))

    def with_rank(self, rank: int) -> TensorShape:
        shape = self.merge_with(unknown_shape(rank))
        return shape

    def assert_has_rank(self, rank: int) -> None:
        if self.rank not in (None, rank):
            raise ValueError(f"Shape {self} must have rank {rank}")

    def assert_same_rank(self, other) -> None:
        other = as_shape(other)
        if self.rank is not None and other.rank is not None and self.rank != other.rank:
            raise ValueError(f"Shapes {self} and {other} must have the same rank")

    # ---- sequence protocol ------------------------------------------------------------------

    def __len__(self) -> int:
        if self._unknown_rank:
            raise ValueError("Cannot take the length of shape with unknown rank.")
        return tuple.__len__(self)

    def __iter__(self):
        if self._unknown_rank:
            raise ValueError("Cannot iterate over a shape with unknown rank.")
        return tuple.__iter__(self)

    def __bool__(self) -> bool:
        # TensorFlow's rule: a shape is truthy when its rank is known (also for a scalar).
        return not self._unknown_rank

    def __getitem__(self, key):
        if self._unknown_rank:
            if isinstance(key, slice):
                return TensorShape(None)
            return None
        if isinstance(key, slice):
            return TensorShape(tuple.__getitem__(self, key))
        return tuple.__getitem__(self, key)

    def __add__(self, other):
        return self.concatenate(other)

    def __radd__(self, other):
        return as_shape(other).concatenate(self)

    def __eq__(self, other) -> bool:
        try:
            other = as_shape(other)
        except (TypeError, ValueError):
            return NotImplemented
        if self._unknown_rank or other._unknown_rank:
            return self._unknown_rank and other._unknown_rank
        return tuple.__eq__(self, other)

    def __ne__(self, other) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        return tuple.__hash__(self)

    def __reduce__(self):
        return (TensorShape, (self.dims,))

    def __repr__(self) -> str:
        if self._unknown_rank:
            return "TensorShape(None)"
        return f"TensorShape({list(tuple.__iter__(self))})"

    def __str__(self) -> str:
        if self._unknown_rank:
            return "<unknown>"
        dims = [str(d) for d in tuple.__iter__(self)]
        if len(dims) == 1:
            return f"({dims[0]},)"
        return f"({', '.join(dims)})"


def as_shape(shape) -> TensorShape:
    """`tf.TensorShape` of anything that describes one (a tuple, a list, None, a shape)."""
    if isinstance(shape, TensorShape):
        return shape
    if shape is not None and not isinstance(shape, list | tuple | int) and not hasattr(
        shape, "__iter__"
    ):
        raise TypeError(f"cannot convert {shape!r:.60} to a TensorShape")
    return TensorShape(shape)


def unknown_shape(rank: int | None = None) -> TensorShape:
    """A shape of `rank` unknown sizes, or of unknown rank."""
    return TensorShape(None) if rank is None else TensorShape([None] * rank)

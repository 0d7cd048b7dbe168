"""Datasets made from other datasets: shuffle, batch, unbatch, repeat, take, skip, map,
filter, enumerate, concatenate, cache (prefetch is in prefetch.py)."""

from __future__ import annotations

import itertools

import numpy as np

from tapeflow.data.dataset import AUTOTUNE, INFINITE, UNKNOWN, Dataset
from tapeflow.data.sources import _TensorSlices
from tapeflow.data.structure import (
    _call,
    _count,
    _leaves,
    _map,
    _map_pair,
    _pack,
    _spec_of,
    _stack,
    _structure_of_arrays,
)
from tapeflow.ops.core import InvalidArgumentError, is_tracer
from tapeflow.runtime.signature import TensorSpec
from tapeflow.tracer import creation

# --------------------------------------------------------------------------------------------
# Transformations
# --------------------------------------------------------------------------------------------


class _Itemwise(Dataset):
    """A transformation that moves whole elements (shuffle, repeat, take, skip), written once
    over "items" made by `make_input()`: it runs on the input's elements, or on its row
    indices when the input's elements are rows of arrays (see `Dataset._rows`), so the order
    is the same either way."""

    def _items(self, make_input):
        raise NotImplementedError

    def _elements(self):
        return self._items(self._input._elements)

    def _rows(self):
        rows = self._input._rows()
        if rows is None:
            return None
        arrays, make_indices = rows
        return arrays, lambda: self._items(make_indices)

    def _spec(self):
        return self._input.element_spec


class _Shuffle(_Itemwise):
    """TF's buffer shuffle: keep `buffer_size` elements, yield a random one, refill its
    place from the input (a buffer as large as the data is a uniform permutation)."""

    def __init__(self, input_dataset, buffer_size, seed, reshuffle_each_iteration):
        self._input = input_dataset
        self._size = _count(buffer_size, "shuffle")
        if self._size < 1 and self._size != AUTOTUNE:
            raise InvalidArgumentError(f"shuffle: buffer_size must be positive, got "
                                       f"{self._size}")
        if seed is None:
            seed = int(creation._state.generator.integers(1 << 62))
        self._seed = _count(seed, "shuffle")
        self._reshuffle = bool(reshuffle_each_iteration)
        self._epoch = 0

    def _items(self, make_input):
        epoch = self._epoch if self._reshuffle else 0
        self._epoch += 1
        uniforms = _uniforms(np.random.default_rng([self._seed, epoch]))
        buffer = []
        size = self._size if self._size > 0 else 1024
        for item in make_input():
            if len(buffer) < size:
                buffer.append(item)
                continue
            k = int(next(uniforms) * len(buffer))
            yield buffer[k]
            buffer[k] = item
        while buffer:
            k = int(next(uniforms) * len(buffer))
            buffer[k], buffer[-1] = buffer[-1], buffer[k]
            yield buffer.pop()

    def _cardinality(self) -> int:
        return self._input._cardinality()


def _uniforms(rng, chunk: int = 4096):
    """Floats in [0, 1) drawn `chunk` at a time (one numpy call per chunk, not per pick)."""
    while True:
        yield from rng.random(chunk).tolist()


class _Batch(Dataset):
    def __init__(self, input_dataset, batch_size, drop_remainder):
        self._input = input_dataset
        self._size = _count(batch_size, "batch")
        if self._size < 1:
            raise InvalidArgumentError(f"batch: batch_size must be positive, got {self._size}")
        self._drop = bool(drop_remainder)

    def _elements(self):
        rows = self._input._rows()
        if rows is not None:  # one gather per component and batch
            arrays, make_indices = rows
            indices = make_indices()
            while True:
                batch = np.fromiter(itertools.islice(indices, self._size), dtype=np.int64)
                if not len(batch) or (self._drop and len(batch) < self._size):
                    return
                yield _map(lambda a: a[batch], arrays)
        pending = []
        for element in self._input._elements():
            pending.append(element)
            if len(pending) == self._size:
                yield _stack(pending, "batch")
                pending = []
        if pending and not self._drop:
            yield _stack(pending, "batch")

    def _spec(self):
        n = self._size if self._drop else None
        return _map(lambda s: TensorSpec((n, *s.shape), s.dtype), self._input.element_spec)

    def _cardinality(self) -> int:
        n = self._input._cardinality()
        if n < 0:
            return n
        return n // self._size if self._drop else -(-n // self._size)


class _Unbatch(Dataset):
    def __init__(self, input_dataset):
        self._input = input_dataset
        for path, spec in _leaves(input_dataset.element_spec):
            if not spec.shape:
                raise InvalidArgumentError(f"unbatch: component {path} is a scalar")

    def _elements(self):
        for element in self._input._elements():
            yield from _TensorSlices(element)._elements()

    def _spec(self):
        return _map(lambda s: TensorSpec(s.shape[1:], s.dtype), self._input.element_spec)


class _Repeat(_Itemwise):
    def __init__(self, input_dataset, count):
        self._input = input_dataset
        self._count = -1 if count is None else _count(count, "repeat")

    def _items(self, make_input):
        n = 0
        while self._count < 0 or n < self._count:
            empty = True
            for item in make_input():
                empty = False
                yield item
            n += 1
            if empty:  # repeating nothing forever would never return
                return

    def _cardinality(self) -> int:
        n = self._input._cardinality()
        if n == 0:
            return 0
        if self._count < 0:  # TF's: forever is infinite unless known to be empty
            return INFINITE
        return n * self._count if n >= 0 else n


class _Take(_Itemwise):
    def __init__(self, input_dataset, count):
        self._input, self._count = input_dataset, _count(count, "take")

    def _items(self, make_input):
        if self._count == 0:
            return
        for n, item in enumerate(make_input(), 1):
            yield item
            if n == self._count:
                return

    def _cardinality(self) -> int:
        n = self._input._cardinality()
        if self._count < 0:
            return n
        if n == INFINITE:
            return self._count
        return min(n, self._count) if n >= 0 else UNKNOWN


class _Skip(_Itemwise):
    def __init__(self, input_dataset, count):
        self._input, self._count = input_dataset, _count(count, "skip")

    def _items(self, make_input):
        for n, item in enumerate(make_input()):
            if self._count >= 0 and n >= self._count:
                yield item

    def _cardinality(self) -> int:
        n = self._input._cardinality()
        if n < 0:
            return n
        return 0 if self._count < 0 else max(n - self._count, 0)


class _Map(Dataset):
    def __init__(self, input_dataset, map_func):
        if not callable(map_func):
            raise InvalidArgumentError("map: map_func must be callable")
        self._input, self._fn = input_dataset, map_func

    def _elements(self):
        from tapeflow.data.streams import _skipping_errors

        for element in self._input._elements():
            try:
                yield _structure_of_arrays(_call(self._fn, element))
            except Exception:
                if not _skipping_errors():  # (ignore_errors downstream drops the element)
                    raise

    def _spec(self):
        return _probed_spec(self._fn, self._input.element_spec)

    def _cardinality(self) -> int:
        return self._input._cardinality()


def _probes(input_spec):
    """Elements of `input_spec` to run a function on (eagerly, where TF traces it): zeros
    with every unknown size 1, zeros with it 2, and ones with it 1; a dataset component (a
    window's) is an empty dataset of its spec."""
    from tapeflow.data.nested import DatasetSpec, _Values

    def leaf(spec, size, fill):
        if isinstance(spec, DatasetSpec):
            return _Values([], spec.element_spec)
        if spec.dtype == object:  # a string: b"" and b"1", not the ints 0 and 1
            fill = b"1" * fill
        return np.full([size if d is None else d for d in spec.shape], fill, spec.dtype)

    return [_map(lambda s, size=size, fill=fill: leaf(s, size, fill), input_spec)
            for size, fill in ((1, 0), (2, 0), (1, 1))]


def _merged_specs(specs):
    """One spec for elements of any of `specs` (of one structure and dtypes): a size that
    differs between them is unknown (None), as is a rank."""
    from tapeflow.data.nested import DatasetSpec

    def merged(*leaves):
        if isinstance(leaves[0], DatasetSpec):
            return DatasetSpec(_merged_specs([s.element_spec for s in leaves]))
        shapes = {None if s.shape is None else tuple(s.shape) for s in leaves}
        if None in shapes or len({len(s) for s in shapes}) > 1:
            return TensorSpec(None, leaves[0].dtype)
        return TensorSpec([d if len(set(ds)) == 1 else None
                           for d, *ds in zip(next(iter(shapes)), *shapes)], leaves[0].dtype)

    columns = [[leaf for _, leaf in _leaves(spec)] for spec in specs]
    return _pack(specs[0], [merged(*column) for column in zip(*columns)])


def _probed_spec(fn, input_spec):
    """The spec of fn's outputs, from its outputs on `_probes`: a size that differs between
    them is unknown (None): one that follows an input size, or an input value
    (`tf.fill([x], x)` is (0,) on zeros, (1,) on ones)."""
    return _merged_specs([_spec_of(_structure_of_arrays(_call(fn, probe)))
                          for probe in _probes(input_spec)])


class _Filter(Dataset):
    def __init__(self, input_dataset, predicate, unpack=None, eager=True):
        if not callable(predicate):
            raise InvalidArgumentError("filter: predicate must be callable")
        self._input, self._predicate = input_dataset, predicate
        self._unpack = unpack  # what to yield of an element that passes (shard: drop i)
        self._eager = eager  # call with tensors (the user's predicate) or numpy values

    def _elements(self):
        for element in self._input._elements():
            if self._eager:
                try:
                    keep = _call(self._predicate, element)
                except Exception:
                    from tapeflow.data.streams import _skipping_errors

                    if _skipping_errors():  # (ignore_errors downstream drops the element)
                        continue
                    raise
                keep = np.asarray(keep.numpy() if is_tracer(keep) else keep)
                if keep.shape != () or keep.dtype != np.bool_:
                    raise InvalidArgumentError(
                        f"filter: the predicate must return a scalar bool, got "
                        f"{keep.dtype.name} of shape {list(keep.shape)}")
            else:
                keep = self._predicate(*element)
            if keep:
                yield element if self._unpack is None else self._unpack(element)

    def _spec(self):
        spec = self._input.element_spec
        return spec if self._unpack is None else self._unpack(spec)


class _Shard(_Filter):
    """Every num_shards-th element from `index` on; its count known where the input's is."""

    def __init__(self, input_dataset, num_shards, index):
        super().__init__(_Enumerate(input_dataset, 0), lambda i, _: i % num_shards == index,
                         unpack=lambda pair: pair[1], eager=False)
        self._shards, self._index = num_shards, index

    def _cardinality(self) -> int:
        n = self._input._cardinality()
        if n < 0:
            return n
        return n // self._shards + (self._index < n % self._shards)


class _Enumerate(Dataset):
    def __init__(self, input_dataset, start):
        self._input, self._start = input_dataset, _count(start, "enumerate")

    def _elements(self):
        for i, element in enumerate(self._input._elements(), self._start):
            yield (np.array(i, dtype=np.int64), element)

    def _spec(self):
        return (TensorSpec((), np.int64), self._input.element_spec)

    def _cardinality(self) -> int:
        return self._input._cardinality()


class _Concatenate(Dataset):
    def __init__(self, first, second):
        a, b = _leaves(first.element_spec), _leaves(second.element_spec)
        if [p for p, _ in a] != [p for p, _ in b] or any(
                s.dtype != t.dtype for (_, s), (_, t) in zip(a, b)):
            raise TypeError(
                f"concatenate: the datasets' elements differ ({first.element_spec} and "
                f"{second.element_spec})")
        self._first, self._second = first, second

    def _elements(self):
        yield from self._first._elements()
        yield from self._second._elements()

    def _spec(self):
        return _map_pair(lambda s, t: TensorSpec(
            s.shape if s.shape == t.shape else
            ([d if d == e else None for d, e in zip(s.shape, t.shape)]
             if len(s.shape) == len(t.shape) else None), s.dtype),
            self._first.element_spec, self._second.element_spec)

    def _cardinality(self) -> int:
        a, b = self._first._cardinality(), self._second._cardinality()
        if INFINITE in (a, b):
            return INFINITE
        return UNKNOWN if UNKNOWN in (a, b) else a + b


class _Cache(Dataset):
    """The input's elements, kept in memory by the first pass that reaches the end; later
    passes replay them (a pass stopped early keeps nothing)."""

    def __init__(self, input_dataset):
        self._input = input_dataset
        self._stored: list | None = None

    def _elements(self):
        if self._stored is not None:
            yield from self._stored
            return
        seen = []
        for element in self._input._elements():
            seen.append(element)
            yield element
        self._stored = seen

    def _spec(self):
        return self._input.element_spec

    def _cardinality(self) -> int:
        return self._input._cardinality()

"""Datasets of datasets: window, flat_map, interleave, group_by_window,
bucket_by_sequence_length, choose_from_datasets and sample_from_datasets.

A window is an element whose components are datasets (TF's DatasetSpec in the element_spec);
flat_map and interleave call a function that returns a dataset per input element and yield
that dataset's elements, in TF's order. As `map`, the functions run eagerly, per element; a
spec is found by running them on probe elements (transforms._probed_spec).
"""

from __future__ import annotations

import collections
import os

import numpy as np

from tapeflow.data.dataset import AUTOTUNE, UNKNOWN, Dataset
from tapeflow.data.structure import _call, _count, _leaves, _map, _pack, _to_numpy
from tapeflow.ops.core import InvalidArgumentError
from tapeflow.runtime.signature import TensorSpec
from tapeflow.tracer.tensor_shape import TensorShape


class DatasetSpec:
    """The spec of a component that is itself a dataset (a window's)."""

    def __init__(self, element_spec, dataset_shape=()):
        self.element_spec = element_spec
        self._shape = TensorShape(list(dataset_shape))

    def __eq__(self, other):
        return (isinstance(other, DatasetSpec) and other.element_spec == self.element_spec
                and other._shape == self._shape)

    def __hash__(self):
        return hash(repr(self))

    def __repr__(self) -> str:
        return f"DatasetSpec({self.element_spec!r}, {self._shape!r})"


class _Values(Dataset):
    """Stored elements (a window's) with a given spec."""

    def __init__(self, values, spec):
        self._values, self._spec_value = values, spec

    def _elements(self):
        yield from self._values

    def _spec(self):
        return self._spec_value

    def _cardinality(self) -> int:
        return len(self._values)


def _dataset_spec(fn, input_spec, op: str):
    """The element_spec of the datasets `fn` returns, from probe elements of `input_spec`
    (as transforms._probed_spec: a size that differs between probes is unknown)."""
    from tapeflow.data.transforms import _merged_specs, _probes

    specs = []
    for probe in _probes(input_spec):
        out = _call(fn, probe)
        if not isinstance(out, Dataset):
            raise TypeError(f"{op}: the function must return a Dataset, got "
                            f"{type(out).__name__}")
        specs.append(out.element_spec)
    return _merged_specs(specs)


# --------------------------------------------------------------------------------------------
# window
# --------------------------------------------------------------------------------------------


class _Window(Dataset):
    """Window i holds the elements i*shift + k*stride for k < size that exist; a pass yields a
    window for every start before the end (only full ones with drop_remainder)."""

    def __init__(self, input_dataset, size, shift, stride, drop_remainder):
        self._input = input_dataset
        self._size = _count(size, "window")
        self._shift = self._size if shift is None else _count(shift, "window")
        self._stride = _count(stride, "window")
        for name, value in (("size", self._size), ("shift", self._shift),
                            ("stride", self._stride)):
            if value < 1:
                raise InvalidArgumentError(f"window: {name} must be positive, got {value}")
        self._drop = bool(drop_remainder)

    def _windows(self):
        span = (self._size - 1) * self._stride + 1  # input elements one window covers
        source, buffer, ended = self._input._elements(), collections.deque(), False
        while True:
            while len(buffer) < span and not ended:
                try:
                    buffer.append(next(source))
                except StopIteration:
                    ended = True
            if not buffer:
                return
            window = list(buffer)[::self._stride][:self._size]
            if len(window) < self._size and self._drop:
                return
            yield window
            for _ in range(self._shift):  # past the buffer: skip input elements
                if buffer:
                    buffer.popleft()
                elif ended or next(source, _SKIPPED_END) is _SKIPPED_END:
                    return

    def _elements(self):
        spec = self._input.element_spec
        for window in self._windows():
            columns = [[leaf for _, leaf in _leaves(e)] for e in window]
            parts = [_Values(list(column), leaf_spec)
                     for column, (_, leaf_spec) in zip(zip(*columns), _leaves(spec))]
            yield _pack(spec, parts)

    def _spec(self):
        return _map(DatasetSpec, self._input.element_spec)

    def _cardinality(self) -> int:
        n = self._input._cardinality()
        if n < 0:
            return n
        if not self._drop:
            return -(-n // self._shift)
        span = (self._size - 1) * self._stride + 1
        return 0 if n < span else (n - span) // self._shift + 1


_SKIPPED_END = object()


# --------------------------------------------------------------------------------------------
# flat_map, interleave
# --------------------------------------------------------------------------------------------


class _Interleave(Dataset):
    """TF's interleave: `cycle_length` open datasets, `block_length` elements from each in
    turn; a dataset that ends is replaced by the next input element's in its slot (flat_map
    is cycle_length 1)."""

    def __init__(self, input_dataset, fn, cycle_length, block_length, op="interleave"):
        if not callable(fn):
            raise TypeError(f"{op}: map_func must be callable")
        self._input, self._fn, self._op = input_dataset, fn, op
        cycle = AUTOTUNE if cycle_length is None else _count(cycle_length, op)
        # TF's AUTOTUNE cycle is the machine's parallelism (so its order depends on it)
        self._cycle = (os.cpu_count() or 1) if cycle == AUTOTUNE else cycle
        self._block = 1 if block_length is None else _count(block_length, op)
        if self._cycle < 1 or self._block < 1:
            raise InvalidArgumentError(f"{op}: cycle_length and block_length must be "
                                       f"positive, got {self._cycle} and {self._block}")

    def _open(self, element):
        out = _call(self._fn, element)
        if not isinstance(out, Dataset):
            raise TypeError(f"{self._op}: the function must return a Dataset, got "
                            f"{type(out).__name__}")
        return out._elements()

    def _elements(self):
        source, ended = self._input._elements(), False
        slots, index, taken, open_count = [None] * self._cycle, 0, 0, 0

        def advance():
            nonlocal index, taken
            index, taken = (index + 1) % self._cycle, 0

        while not ended or open_count:
            if slots[index] is not None:
                value = next(slots[index], _SKIPPED_END)
                if value is not _SKIPPED_END:
                    yield value
                    taken += 1
                    if taken == self._block:
                        advance()
                    continue
                slots[index] = None
                open_count -= 1
                advance()
            elif not ended:
                element = next(source, _SKIPPED_END)
                if element is _SKIPPED_END:
                    ended = True
                else:
                    slots[index] = self._open(element)
                    open_count += 1
            else:
                advance()

    def _spec(self):
        return _dataset_spec(self._fn, self._input.element_spec, self._op)

    def _cardinality(self) -> int:
        return UNKNOWN


# --------------------------------------------------------------------------------------------
# group_by_window, bucket_by_sequence_length
# --------------------------------------------------------------------------------------------


class _GroupByWindow(Dataset):
    """Elements gathered by key_func's int64 key; a group of window_size(key) elements goes
    to reduce_func(key, dataset) and its elements are yielded. At the end the groups left
    are reduced in the order of their keys (TF keeps them in an ordered map)."""

    def __init__(self, input_dataset, key_func, reduce_func, window_size, window_size_func):
        if (window_size is None) == (window_size_func is None):
            raise ValueError("group_by_window: give exactly one of window_size and "
                             "window_size_func")
        if window_size is not None:
            size = _count(window_size, "group_by_window")
            window_size_func = lambda key: size
        self._input, self._key, self._reduce = input_dataset, key_func, reduce_func
        self._size_of = window_size_func

    def _key_of(self, element) -> int:
        key = np.asarray(_to_numpy(_call(self._key, element)))
        if key.shape != () or key.dtype != np.int64:
            raise ValueError(f"group_by_window: key_func must return a scalar int64, got "
                             f"{key.dtype.name} of shape {list(key.shape)}")
        return int(key)

    def _reduced(self, key, group):
        from tapeflow.tracer.tensor import make_constant

        window = _Values(group, self._input.element_spec)
        return self._reduce(make_constant(np.array(key, np.int64)), window)._elements()

    def _elements(self):
        groups: dict[int, list] = {}
        for element in self._input._elements():
            key = self._key_of(element)
            group = groups.setdefault(key, [])
            group.append(element)
            size = int(_to_numpy(self._size_of(np.int64(key))))
            if len(group) >= size:
                del groups[key]
                yield from self._reduced(key, group)
        for key in sorted(groups):
            yield from self._reduced(key, groups[key])

    def _spec(self):
        from tapeflow.tracer.tensor import make_constant

        window = _Values([], self._input.element_spec)
        return self._reduce(make_constant(np.array(0, np.int64)), window).element_spec

    def _cardinality(self) -> int:
        return UNKNOWN


def _bucket_by_sequence_length(dataset, element_length_func, bucket_boundaries,
                              bucket_batch_sizes, padded_shapes=None, padding_values=None,
                              pad_to_bucket_boundary=False, no_padding=False,
                              drop_remainder=False):
    """TF's: group by the bucket of element_length_func's length (bucket i holds lengths in
    [boundary i-1, boundary i)), each bucket batched (padded) by its own batch size."""
    boundaries = [int(b) for b in bucket_boundaries]
    sizes = [int(b) for b in bucket_batch_sizes]
    if len(sizes) != len(boundaries) + 1:
        raise ValueError(f"bucket_by_sequence_length: len(bucket_batch_sizes) must be "
                         f"len(bucket_boundaries) + 1, got {len(sizes)} and {len(boundaries)}")
    if boundaries != sorted(boundaries):
        raise ValueError("bucket_by_sequence_length: bucket_boundaries must be sorted")

    def bucket(*element):
        length = int(_to_numpy(element_length_func(*element)))
        return np.int64(int(np.searchsorted(boundaries, length, side="right")))

    def batch(key, window):
        key, size = int(key.numpy()), sizes[int(key.numpy())]
        if no_padding:
            return window.batch(size, drop_remainder=drop_remainder)
        shapes = padded_shapes
        if pad_to_bucket_boundary:
            # TF checks this where it batches the last bucket, so the batches before come
            if key == len(boundaries):
                raise InvalidArgumentError(
                    f"bucket_by_sequence_length: with pad_to_bucket_boundary=True, elements "
                    f"must have length < max(bucket_boundaries) ({boundaries[-1]})")
            bound = boundaries[key] - 1
            shapes = _map(lambda s: [bound] + [None] * (len(s.shape) - 1),
                          window.element_spec)
        return window.padded_batch(size, shapes, padding_values, drop_remainder)

    return _GroupByWindow(dataset, bucket, batch, None,
                          lambda key: sizes[int(_to_numpy(key))])


# --------------------------------------------------------------------------------------------
# choose_from_datasets, sample_from_datasets
# --------------------------------------------------------------------------------------------


class _Choose(Dataset):
    """The next element of datasets[i] for each i of `choices` (an iterable of indices made
    per pass). A chosen dataset that has ended ends the pass, or is passed over."""

    def __init__(self, datasets, choices, stop_on_empty, op):
        self._datasets, self._choices = list(datasets), choices
        self._stop, self._op = bool(stop_on_empty), op
        if not self._datasets:
            raise ValueError(f"{op}: needs at least one dataset")

    def _elements(self):
        sources = [d._elements() for d in self._datasets]
        ended = [False] * len(sources)
        choices = self._choices(ended)
        for i in choices:
            if not 0 <= i < len(sources):
                raise InvalidArgumentError(f"{self._op}: index {i} is not in "
                                           f"[0, {len(sources)})")
            if ended[i]:
                continue
            value = next(sources[i], _SKIPPED_END)
            if value is _SKIPPED_END:
                ended[i] = True
                if self._stop or all(ended):
                    return
                continue
            yield value

    def _spec(self):
        from tapeflow.data.transforms import _merged_specs

        return _merged_specs([d.element_spec for d in self._datasets])

    def _cardinality(self) -> int:
        return UNKNOWN


def _choose_from_datasets(datasets, choice_dataset, stop_on_empty_dataset=True):
    spec = choice_dataset.element_spec
    if not isinstance(spec, TensorSpec) or spec.shape != () or spec.dtype != np.int64:
        raise TypeError(f"choose_from_datasets: choice_dataset must be a dataset of scalar "
                        f"int64, got {spec}")
    return _Choose(datasets, lambda ended: (int(c) for c in choice_dataset._elements()),
                   stop_on_empty_dataset, "choose_from_datasets")


def _sample_from_datasets(datasets, weights=None, seed=None, stop_on_empty_dataset=False,
                         rerandomize_each_iteration=None):
    """Elements drawn from the datasets at random with `weights` (not TF's draws: its RNG);
    a dataset that ends is left out of later draws unless stop_on_empty_dataset."""
    from tapeflow.tracer import creation

    datasets = list(datasets)
    w = np.ones(len(datasets)) if weights is None else np.asarray(_to_numpy(weights), float)
    if w.shape != (len(datasets),):
        raise ValueError(f"sample_from_datasets: {len(datasets)} datasets and weights of "
                         f"shape {list(w.shape)}")
    seed = int(creation._state.generator.integers(1 << 62)) if seed is None else int(seed)
    passes = [0]

    def choices(ended):
        epoch = passes[0] if rerandomize_each_iteration else 0
        passes[0] += 1
        rng = np.random.default_rng([seed, epoch])
        while True:
            live = np.where(ended, 0.0, w)
            if live.sum() <= 0:
                return
            yield int(rng.choice(len(w), p=live / live.sum()))

    return _Choose(datasets, choices, stop_on_empty_dataset, "sample_from_datasets")

"""More transformations: padded_batch, rebatch, scan, take_while, unique, ignore_errors,
assert_cardinality; and the Optional that Iterator.get_next_as_optional returns."""

from __future__ import annotations

import itertools
import threading

import numpy as np

from tapeflow.data.dataset import INFINITE, UNKNOWN, Dataset
from tapeflow.data.structure import (
    _call,
    _count,
    _leaves,
    _map,
    _pack,
    _structure_of_arrays,
    _to_numpy,
)
from tapeflow.data.transforms import _Itemwise, _probed_spec, _probes
from tapeflow.ops.core import InvalidArgumentError
from tapeflow.ops.errors import FailedPreconditionError
from tapeflow.runtime.signature import TensorSpec

# --------------------------------------------------------------------------------------------
# padded_batch, rebatch
# --------------------------------------------------------------------------------------------


def _shape_list(shape, path):
    if shape is None:
        return None
    if isinstance(shape, int | np.integer):  # TF reads padded_shapes=5 as [5]
        return [int(shape)]
    if isinstance(shape, TensorSpec):
        shape = shape.shape
    shape = _to_numpy(shape).tolist() if not isinstance(shape, list | tuple) else shape
    return [None if d is None or d == -1 else int(d) for d in shape]


class _PaddedBatch(Dataset):
    """Batches whose components are padded to a common shape: each dimension to the
    padded_shapes' size, or (None, or no padded_shapes) to the batch's largest."""

    def __init__(self, input_dataset, batch_size, padded_shapes, padding_values,
                 drop_remainder):
        self._input = input_dataset
        self._size = _count(batch_size, "padded_batch")
        if self._size < 1:
            raise InvalidArgumentError(f"padded_batch: batch_size must be positive, got "
                                       f"{self._size}")
        self._drop = bool(drop_remainder)
        spec = input_dataset.element_spec
        specs = _leaves(spec)
        shapes = ([_shape_list(s.shape, p) for p, s in specs] if padded_shapes is None else
                  _leaves_like(spec, padded_shapes, "padded_shapes", _shape_list))
        for (path, s), shape in zip(specs, shapes):
            rank = None if s.shape is None else len(s.shape)
            if shape is None or rank is None or len(shape) != rank:
                raise ValueError(f"padded_batch: padded_shapes{path} {shape} does not have "
                                 f"the rank of the component, {s}")
        self._shapes = shapes
        self._values = [np.zeros((), s.dtype) if s.dtype != object else np.array(b"", object)
                        for _, s in specs]
        if padding_values is not None:
            given = _leaves_like(spec, padding_values, "padding_values",
                                 lambda v, p: _scalar(v))
            for (path, s), value in zip(specs, given):
                if value.dtype != s.dtype or value.shape != ():
                    raise TypeError(
                        f"padded_batch: padding_values{path} is {value.dtype.name} of shape "
                        f"{list(value.shape)}; the component is {s} (TF needs a scalar of "
                        "its dtype)")
            self._values = given

    def _pad(self, column, shape, value, path):
        target = [max(a.shape[k] for a in column) if d is None else d
                  for k, d in enumerate(shape)]
        out = np.full([len(column), *target], value, dtype=column[0].dtype)
        for i, a in enumerate(column):
            if any(n > t for n, t in zip(a.shape, target)):
                raise InvalidArgumentError(
                    f"padded_batch: component {path} has shape {list(a.shape)}, larger "
                    f"than its padded shape {target}")
            out[(i, *[slice(0, n) for n in a.shape])] = a
        return out

    def _elements(self):
        source = self._input._elements()
        spec = self._input.element_spec
        while True:
            batch = list(itertools.islice(source, self._size))
            if not batch or (self._drop and len(batch) < self._size):
                return
            columns = zip(*[[leaf for _, leaf in _leaves(e)] for e in batch])
            yield _pack(spec, [self._pad(list(c), shape, value, path) for c, shape, value, (
                path, _) in zip(columns, self._shapes, self._values, _leaves(spec))])

    def _spec(self):
        n = self._size if self._drop else None
        specs = [TensorSpec((n, *shape), s.dtype)
                 for shape, (_, s) in zip(self._shapes, _leaves(self._input.element_spec))]
        return _pack(self._input.element_spec, specs)

    def _cardinality(self) -> int:
        n = self._input._cardinality()
        if n < 0:
            return n
        return n // self._size if self._drop else -(-n // self._size)


def _scalar(value) -> np.ndarray:
    value = np.asarray(_to_numpy(value))
    # a string as the dataset holds it: an object array of bytes
    return value.astype(object) if value.dtype.kind in "SU" else value


def _leaves_like(spec, given, what: str, convert):
    """`given` (a structure like the element's, or one value for every component) as a list
    in the element's leaf order, each converted."""
    specs = _leaves(spec)
    # one component: `given` is its value whatever it is (padded_shapes=(5,) is a shape)
    if not isinstance(spec, dict | tuple) or not isinstance(given, dict | tuple):
        return [convert(given, path) for path, _ in specs]
    paths = _leaves(given)
    if [p for p, _ in paths] != [p for p, _ in specs]:
        raise ValueError(f"padded_batch: {what} does not have the structure of the element "
                         f"({spec})")
    return [convert(v, p) for p, v in paths]


class _Rebatch(Dataset):
    """The input's batches split and joined into batches of batch_size (or of the sizes of a
    list of them, in turn)."""

    def __init__(self, input_dataset, batch_size, drop_remainder):
        self._input = input_dataset
        sizes = _to_numpy(batch_size).reshape(-1).tolist()
        if not sizes or min(sizes) < 0:
            raise InvalidArgumentError(f"rebatch: batch sizes must not be negative, got "
                                       f"{sizes}")
        self._sizes, self._drop = [int(s) for s in sizes], bool(drop_remainder)
        self._fixed = np.ndim(_to_numpy(batch_size)) == 0

    def _elements(self):
        from tapeflow.data.transforms import _Unbatch

        rows = _Unbatch(self._input)._elements()
        for size in itertools.cycle(self._sizes):
            batch = list(itertools.islice(rows, size))
            if size and (not batch or (self._drop and len(batch) < size)):
                return
            columns = zip(*[[leaf for _, leaf in _leaves(e)] for e in batch])
            yield _pack(self._input.element_spec, [np.stack(c) for c in columns] if batch
                        else [np.zeros((0, *s.shape[1:]), s.dtype)
                              for _, s in _leaves(self._input.element_spec)])

    def _spec(self):
        n = self._sizes[0] if self._drop and len(set(self._sizes)) == 1 else None
        return _map(lambda s: TensorSpec((n, *s.shape[1:]), s.dtype), self._input.element_spec)


# --------------------------------------------------------------------------------------------
# scan, take_while, unique, ignore_errors, assert_cardinality
# --------------------------------------------------------------------------------------------


class _Scan(Dataset):
    """scan_func(state, element) -> (new state, output), the state carried along a pass."""

    def __init__(self, input_dataset, initial_state, scan_func):
        self._input, self._fn = input_dataset, scan_func
        self._initial = _structure_of_arrays(initial_state)
        # TF traces scan_func here, so a state that changes dtype is refused at once
        self._step(self._initial, _probes(input_dataset.element_spec)[0])

    def _step(self, state, element):
        out = _call(self._fn, (state, element))
        if not isinstance(out, tuple) or len(out) != 2:
            raise TypeError("scan: scan_func must return a pair (new_state, output_element)")
        new_state, output = _structure_of_arrays(out[0]), _structure_of_arrays(out[1])
        old, new = _leaves(state), _leaves(new_state)
        if [p for p, _ in old] != [p for p, _ in new] or any(
                a.dtype != b.dtype for (_, a), (_, b) in zip(old, new)):
            raise TypeError(f"scan: the new state's structure or dtypes differ from the "
                            f"initial state's: {_dtypes(new_state)} and {_dtypes(state)}")
        return new_state, output

    def _elements(self):
        state = self._initial
        for element in self._input._elements():
            state, output = self._step(state, element)
            yield output

    def _spec(self):
        from tapeflow.data.structure import _spec_of

        spec = (_spec_of(self._initial), self._input.element_spec)
        return _probed_spec(lambda state, element: self._fn(state, element)[1], spec)

    def _cardinality(self) -> int:
        return self._input._cardinality()


def _dtypes(structure):
    return _map(lambda a: a.dtype.name, structure)


class _TakeWhile(Dataset):
    def __init__(self, input_dataset, predicate):
        self._input, self._predicate = input_dataset, predicate

    def _elements(self):
        for element in self._input._elements():
            keep = np.asarray(_to_numpy(_call(self._predicate, element)))
            if keep.shape != () or keep.dtype != np.bool_:
                raise ValueError(f"take_while: the predicate must return a scalar bool, got "
                                 f"{keep.dtype.name} of shape {list(keep.shape)}")
            if not keep:
                return
            yield element

    def _spec(self):
        return self._input.element_spec


class _Unique(Dataset):
    """Each element the first time it appears (scalars of an integer or string dtype)."""

    def __init__(self, input_dataset):
        spec = input_dataset.element_spec
        if not isinstance(spec, TensorSpec) or spec.dtype.kind not in "iuO":
            raise TypeError(f"unique: needs elements of one integer or string tensor, got "
                            f"{spec}")
        self._input = input_dataset

    def _elements(self):
        seen = set()
        for element in self._input._elements():
            key = element.tobytes() if element.dtype != object else element.item()
            if key not in seen:
                seen.add(key)
                yield element

    def _spec(self):
        return self._input.element_spec


_skipping = threading.local()  # set while an ignore_errors pass pulls from its input


def _skipping_errors() -> bool:
    """Whether a `map`/`filter` function's error should drop the element (ignore_errors)."""
    return getattr(_skipping, "on", False)


class _IgnoreErrors(Dataset):
    """The input's elements less those whose map/filter function raised. (TF drops an
    element wherever upstream its error arose; here map and filter drop theirs, and an error
    elsewhere, such as in a generator, ends the pass, since a Python generator that raised
    cannot go on.)"""

    def __init__(self, input_dataset):
        self._input = input_dataset

    def _elements(self):
        source = self._input._elements()
        while True:
            before, _skipping.on = _skipping_errors(), True
            try:
                element = next(source)
            except StopIteration:
                return
            except Exception:  # noqa: BLE001 - the generator raised: it cannot go on
                return
            finally:
                _skipping.on = before
            yield element

    def _spec(self):
        return self._input.element_spec

    def _cardinality(self) -> int:
        n = self._input._cardinality()
        return n if n == INFINITE else UNKNOWN


class _AssertCardinality(_Itemwise):
    def __init__(self, input_dataset, expected):
        self._input, self._expected = input_dataset, _count(expected, "assert_cardinality")

    def _items(self, make_input):
        n = 0
        for n, item in enumerate(make_input(), 1):
            if self._expected >= 0 and n > self._expected:
                raise FailedPreconditionError(
                    None, None, f"Input dataset was expected to contain {self._expected} "
                    f"elements but contained at least {n} elements.")
            yield item
        if self._expected == INFINITE or n < self._expected:
            raise FailedPreconditionError(
                None, None, f"Input dataset was expected to contain {self._expected} "
                f"elements but contained only {n} elements.")

    def _cardinality(self) -> int:
        return self._expected


class Optional:
    """tf.experimental.Optional: a value or none (Iterator.get_next_as_optional)."""

    def __init__(self, value, element_spec):
        self._value, self.element_spec = value, element_spec

    def has_value(self, name=None):
        from tapeflow.tracer.tensor import make_constant

        return make_constant(np.array(self._value is not None))

    def get_value(self, name=None):
        if self._value is None:
            raise InvalidArgumentError("Optional.get_value: the optional has no value")
        return self._value


"""Datasets made from data: from_tensor_slices, from_tensors, range, zip, from_generator."""

from __future__ import annotations

import numpy as np

from tapeflow.data.dataset import INFINITE, UNKNOWN, Dataset
from tapeflow.data.structure import (
    _END,
    _count,
    _leaves,
    _map,
    _numpy_value,
    _pack,
    _spec_of,
    _structure_of_arrays,
    _to_numpy,
)
from tapeflow.ops.core import InvalidArgumentError, canonical_dtype
from tapeflow.runtime.signature import TensorSpec


class _TensorSlices(Dataset):
    def __init__(self, tensors):
        self._data = _structure_of_arrays(tensors)
        leaves = _leaves(self._data)
        for path, leaf in leaves:
            if leaf.ndim == 0:
                raise ValueError(
                    f"from_tensor_slices: component {path} is a scalar; slicing needs at "
                    "least one dimension")
        lengths = {path: leaf.shape[0] for path, leaf in leaves}
        if len(set(lengths.values())) > 1:
            listed = ", ".join(f"{p} has {n}" for p, n in lengths.items())
            raise ValueError(
                f"from_tensor_slices: components have different lengths ({listed}); each "
                "component's first dimension is the number of elements, so they must agree")
        self._n = next(iter(lengths.values())) if lengths else 0

    def _elements(self):
        data = self._data
        for i in range(self._n):
            # `a[i, ...]` keeps a row of a string (object) array a 0-d array, not bytes
            yield _map(lambda a: a[i, ...], data)

    def _spec(self):
        return _map(lambda a: TensorSpec(a.shape[1:], a.dtype), self._data)

    def _rows(self):
        return self._data, lambda: iter(range(self._n))

    def _cardinality(self) -> int:
        return self._n


class _FromTensors(Dataset):
    def __init__(self, tensors):
        self._data = _structure_of_arrays(tensors)

    def _elements(self):
        yield self._data

    def _spec(self):
        return _spec_of(self._data)

    def _cardinality(self) -> int:
        return 1


class _Range(Dataset):
    def __init__(self, args, dtype):
        if not 1 <= len(args) <= 3:
            raise InvalidArgumentError(f"range: takes 1 to 3 arguments, got {len(args)}")
        args = [_count(a, "range") for a in args]
        self._range = range(*args) if len(args) > 1 else range(args[0])
        if self._range.step == 0:
            raise InvalidArgumentError("range: step must not be 0")
        self._dtype = canonical_dtype(dtype)

    def _elements(self):
        for i in self._range:
            yield np.array(i, dtype=self._dtype)

    def _spec(self):
        return TensorSpec((), self._dtype)

    def _cardinality(self) -> int:
        return len(self._range)


class _Zip(Dataset):
    def __init__(self, datasets):
        for path, d in _leaves(datasets):
            if not isinstance(d, Dataset):
                raise InvalidArgumentError(f"zip: {path} is a {type(d).__name__}, not a Dataset")
        self._datasets = datasets

    def _elements(self):
        parts = _leaves(self._datasets)
        iterators = [d._elements() for _, d in parts]
        while True:
            values = []
            for it in iterators:
                value = next(it, _END)
                if value is _END:
                    return
                values.append(value)
            yield _pack(self._datasets, values)

    def _spec(self):
        return _map(lambda d: d.element_spec, self._datasets)

    def _cardinality(self) -> int:
        counts = [d._cardinality() for _, d in _leaves(self._datasets)]
        finite = [c for c in counts if c >= 0]
        if finite:
            return min(finite)
        return UNKNOWN if UNKNOWN in counts else INFINITE


class _FromGenerator(Dataset):
    def __init__(self, generator, args, output_signature):
        if not callable(generator):
            raise InvalidArgumentError("from_generator: `generator` must be callable")
        # TF hands the generator its args as numpy values of tensors (3 -> np.int32(3),
        # 'ab' -> b'ab'), converted once, not the Python objects given
        args = tuple(_numpy_value(_to_numpy(a)) for a in args)
        self._generator, self._args, self._signature = generator, args, output_signature

    def _elements(self):
        for value in self._generator(*self._args):
            if self._signature is not None:
                value = _converted(value, self._signature)
            element = _structure_of_arrays(value)
            if self._signature is not None:
                _check_signature(element, self._signature)
            yield element

    def _spec(self):
        if self._signature is not None:
            return self._signature
        return _spec_of(next(iter(self._elements())))


def _signature_from_types(output_types, output_shapes):
    """from_generator's older form: a TensorSpec per dtype of `output_types`, with the
    shape at the same place in `output_shapes` (unknown rank where none is given)."""
    def spec(types, shapes, path: str):
        if isinstance(types, dict | tuple):
            keys = list(types) if isinstance(types, dict) else range(len(types))
            if shapes is not None and (type(shapes) is not type(types) and not (
                    isinstance(types, tuple) and isinstance(shapes, list)) or
                    len(shapes) != len(types)):
                raise TypeError(f"from_generator: output_shapes{path} does not have the "
                                f"structure of output_types{path} ({types!r})")
            parts = [spec(types[k], None if shapes is None else shapes[k], f"{path}[{k!r}]")
                     for k in keys]
            return dict(zip(keys, parts)) if isinstance(types, dict) else tuple(parts)
        return TensorSpec(None if shapes is None else shapes, types)

    return spec(output_types, output_shapes, "")


def _converted(value, signature):
    """The generator's value with each component made an array of the signature's dtype
    where numpy converts it without losing its kind (an int for a float64 component; not
    1.5 for an int32 one, which _check_signature then reports), as TF converts it."""
    got, want = _leaves(value), _leaves(signature)
    if len(got) != len(want):
        return value  # (reported by _check_signature)
    leaves = []
    for (_, leaf), (_, spec) in zip(got, want):
        try:
            raw = np.asarray(leaf)
        except (TypeError, ValueError):
            leaves.append(leaf)
            continue
        dtype = spec.dtype
        if np.can_cast(raw.dtype, dtype, "same_kind") or (
                raw.dtype.kind in "iub" and dtype.kind in "fc"):
            leaf = np.asarray(leaf, dtype=dtype)
        leaves.append(leaf)
    return _pack(value, leaves)


def _check_signature(element, signature) -> None:
    got, want = _leaves(element), _leaves(signature)
    if len(got) != len(want):
        raise InvalidArgumentError(f"from_generator: the generator yielded {len(got)} "
                                   f"components, the output_signature has {len(want)}")
    for (path, value), (_, spec) in zip(got, want):
        if not spec.matches(value.shape, value.dtype):
            raise InvalidArgumentError(
                f"from_generator: component {path} has shape {list(value.shape)} and dtype "
                f"{value.dtype.name}; the output_signature says {spec.short()}")

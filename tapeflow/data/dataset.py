"""`tf.data.Dataset`: input pipelines as chains of Python iterators over numpy elements.

A dataset is a recipe: each iteration (`for x in ds`) runs it again from its source. An
element is a structure of tuples and dicts (TF's rule: a list is a tensor, not a structure)
whose leaves are numpy arrays; iteration hands the user tensors, `as_numpy_iterator` numpy
values. Nothing here is compiled: a pipeline feeds a `@tapeflow.function` step the way
tf.data feeds a `tf.function`, and a step sees each batch as ordinary tensor arguments. A
last batch of another size is another signature, so it costs one more trace, or none with
`reduce_retracing=True` or an `input_signature` whose batch size is None.

Randomness: `shuffle` without a seed draws its seed from the numpy generator that
`tf.random.set_seed` reseeds, so a seeded program shuffles the same way on every run;
`reshuffle_each_iteration` gives each pass over the data its own order.

`map` calls its function eagerly, once per element, with the element's tensors (a tuple is
unpacked into arguments); `prefetch` runs everything upstream of it on a background thread.
"""

from __future__ import annotations

import numbers

import numpy as np

from tapeflow.ops.core import InvalidArgumentError, canonical_dtype, is_tracer
from tapeflow.runtime.signature import TensorSpec
from tapeflow.tracer import creation
from tapeflow.tracer.tensor import Tensor, constant, make_constant

INFINITE = -1  # tf.data.INFINITE_CARDINALITY
UNKNOWN = -2  # tf.data.UNKNOWN_CARDINALITY
AUTOTUNE = -1


# --------------------------------------------------------------------------------------------
# Elements: structures of tuples and dicts with numpy leaves
# --------------------------------------------------------------------------------------------


def _is_structure(x) -> bool:
    return isinstance(x, tuple | dict)


def _map(fn, element):
    """fn over the leaves of an element (tuples, namedtuples and dicts are structure)."""
    if isinstance(element, dict):
        return type(element)((k, _map(fn, v)) for k, v in element.items())
    if isinstance(element, tuple):
        items = [_map(fn, v) for v in element]
        return type(element)(*items) if hasattr(element, "_fields") else tuple(items)
    return fn(element)


def _leaves(element, path="") -> list[tuple[str, object]]:
    """(path, leaf) pairs in a fixed order: `[0]`, `['image']`, ..."""
    if isinstance(element, dict):
        return [pair for k in sorted(element, key=repr)
                for pair in _leaves(element[k], f"{path}[{k!r}]")]
    if isinstance(element, tuple):
        return [pair for i, v in enumerate(element) for pair in _leaves(v, f"{path}[{i}]")]
    return [(path or "the element", element)]


def _to_numpy(value) -> np.ndarray:
    """A leaf as a numpy array with TF's dtype rules (Python floats are float32)."""
    if is_tracer(value):
        return np.asarray(value.numpy())
    return np.asarray(constant(value).numpy())


def _to_tensor(leaf: np.ndarray) -> Tensor:
    return make_constant(leaf)


def _spec_of(element):
    return _map(lambda a: TensorSpec(a.shape, a.dtype), element)


def _numpy_value(leaf: np.ndarray):
    return leaf[()] if leaf.ndim == 0 else leaf


# --------------------------------------------------------------------------------------------
# Dataset
# --------------------------------------------------------------------------------------------


class Dataset:
    """A sequence of elements, made again by each iteration. Subclasses define `_elements`
    (a generator of numpy elements), `_spec()` and `_cardinality()`."""

    def _elements(self):
        raise NotImplementedError

    def _spec(self):
        raise NotImplementedError

    def _cardinality(self) -> int:
        return UNKNOWN

    # ---- iteration ---------------------------------------------------------------------------

    def __iter__(self):
        _refuse_inside_a_trace()
        for element in self._elements():
            yield _map(_to_tensor, element)

    def as_numpy_iterator(self):
        """The elements as numpy values (0-d ones as numpy scalars)."""
        for element in self._elements():
            yield _map(_numpy_value, element)

    @property
    def element_spec(self):
        """The structure of an element, with a TensorSpec per component (None: any size)."""
        return self._spec()

    def cardinality(self) -> Tensor:
        """The number of elements: INFINITE (-1), UNKNOWN (-2) or a count, as an int64."""
        return make_constant(np.array(self._cardinality(), dtype=np.int64))

    def __len__(self) -> int:
        n = self._cardinality()
        if n == INFINITE:
            raise TypeError("The dataset is infinite.")
        if n == UNKNOWN:
            raise TypeError("The dataset length is unknown.")
        return n

    def __bool__(self) -> bool:
        return True  # an empty dataset is still a dataset (as TF; not its length)

    def __repr__(self) -> str:
        return f"<{type(self).__name__.lstrip('_')} element_spec={self.element_spec}>"

    # ---- sources -----------------------------------------------------------------------------

    @staticmethod
    def from_tensor_slices(tensors, name=None) -> "Dataset":
        """The slices of every component along its first axis: element i is the structure
        of `tensors` with each component's row i. Tuples and dicts are structure, lists are
        tensors, as in TF."""
        return _TensorSlices(tensors)

    @staticmethod
    def from_tensors(tensors, name=None) -> "Dataset":
        """One element: `tensors` itself."""
        return _FromTensors(tensors)

    @staticmethod
    def range(*args, dtype=np.int64, name=None) -> "Dataset":  # noqa: A003
        """`range(stop)`, `range(start, stop)`, `range(start, stop, step)` as int64 scalars."""
        return _Range(args, dtype)

    @staticmethod
    def zip(*datasets, name=None) -> "Dataset":
        """Elements of several datasets side by side (a tuple, or the nesting given), until
        the shortest ends."""
        if len(datasets) == 1 and not isinstance(datasets[0], Dataset):
            datasets = datasets[0]
        return _Zip(datasets)

    @staticmethod
    def from_generator(generator, output_types=None, output_shapes=None, args=None,
                       output_signature=None, name=None) -> "Dataset":
        """The elements `generator(*args)` yields, called again on each iteration."""
        return _FromGenerator(generator, tuple(args or ()), output_signature)

    # ---- transformations ---------------------------------------------------------------------

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=True, name=None):
        return _Shuffle(self, buffer_size, seed, reshuffle_each_iteration)

    def batch(self, batch_size, drop_remainder=False, num_parallel_calls=None,
              deterministic=None, name=None):
        return _Batch(self, batch_size, drop_remainder)

    def unbatch(self, name=None):
        return _Unbatch(self)

    def repeat(self, count=None, name=None):
        return _Repeat(self, count)

    def take(self, count, name=None):
        return _Take(self, count)

    def skip(self, count, name=None):
        return _Skip(self, count)

    def shard(self, num_shards, index, name=None):
        num_shards, index = _count(num_shards, "shard"), _count(index, "shard")
        if not 0 <= index < num_shards:
            raise InvalidArgumentError(f"shard: index {index} is not in [0, {num_shards})")
        return _Filter(_Enumerate(self, 0), lambda i, _: i % num_shards == index,
                       unpack=lambda pair: pair[1], eager=False)

    def map(self, map_func, num_parallel_calls=None, deterministic=None, name=None):
        return _Map(self, map_func)

    def filter(self, predicate, name=None):
        return _Filter(self, predicate)

    def enumerate(self, start=0, name=None):
        return _Enumerate(self, start)

    def concatenate(self, dataset, name=None):
        return _Concatenate(self, dataset)

    def cache(self, filename="", name=None):
        if filename:
            raise InvalidArgumentError(
                f"cache: caching to a file ({filename!r}) is not supported; cache() keeps "
                "the elements in memory")
        return _Cache(self)

    def prefetch(self, buffer_size, name=None):
        from tapeflow.data.prefetch import Prefetch

        return Prefetch(self, buffer_size)

    def apply(self, transformation_func):
        return transformation_func(self)

    def reduce(self, initial_state, reduce_func):
        """Fold the elements into a state with `reduce_func(state, element)` (eagerly)."""
        state = initial_state
        for element in self:
            state = reduce_func(state, element)
        return state


def _refuse_inside_a_trace() -> None:
    """A loop over a dataset inside `@tapeflow.function` would run once, at trace time, and
    bake that pass's elements into the graph as constants: every later call would train on
    them again. TF compiles such loops (AutoGraph); tapeflow says so instead."""
    from tapeflow.runtime.trace import active_trace

    if active_trace() is not None:
        raise RuntimeError(
            "iterating a tf.data.Dataset inside a @tapeflow.function would bake the "
            "elements of one pass into the compiled step; iterate outside and call the step "
            "once per element (for x, y in ds: step(x, y))")


def _count(value, op: str) -> int:
    if is_tracer(value):
        value = value.numpy()
    if not isinstance(value, numbers.Integral) and not (
            isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iu"):
        raise InvalidArgumentError(f"{op}: expected an integer, got {value!r}")
    return int(value)


# --------------------------------------------------------------------------------------------
# Sources
# --------------------------------------------------------------------------------------------


def _structure_of_arrays(tensors):
    """`tensors` with every leaf a numpy array of TF's dtype (a copy: the dataset owns it)."""
    return _map(lambda leaf: np.array(_to_numpy(leaf)), tensors)


class _TensorSlices(Dataset):
    def __init__(self, tensors):
        self._data = _structure_of_arrays(tensors)
        leaves = _leaves(self._data)
        for path, leaf in leaves:
            if leaf.ndim == 0:
                raise InvalidArgumentError(
                    f"from_tensor_slices: component {path} is a scalar; slicing needs at "
                    "least one dimension")
        lengths = {path: leaf.shape[0] for path, leaf in leaves}
        if len(set(lengths.values())) > 1:
            listed = ", ".join(f"{p} has {n}" for p, n in lengths.items())
            raise InvalidArgumentError(
                f"from_tensor_slices: components have different lengths ({listed}); each "
                "component's first dimension is the number of elements, so they must agree")
        self._n = next(iter(lengths.values())) if lengths else 0

    def _elements(self):
        data = self._data
        for i in range(self._n):
            yield _map(lambda a: a[i], data)

    def _spec(self):
        return _map(lambda a: TensorSpec(a.shape[1:], a.dtype), self._data)

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


_END = object()


def _pack(structure, leaves):
    """Rebuild `structure` (its datasets replaced) from leaves in `_leaves` order."""
    it = iter(leaves)
    order = [path for path, _ in _leaves(structure)]
    by_path = dict(zip(order, it))

    def build(node, path=""):
        if isinstance(node, dict):
            return type(node)((k, build(v, f"{path}[{k!r}]")) for k, v in node.items())
        if isinstance(node, tuple):
            items = [build(v, f"{path}[{i}]") for i, v in enumerate(node)]
            return type(node)(*items) if hasattr(node, "_fields") else tuple(items)
        return by_path[path or "the element"]

    return build(structure)


class _FromGenerator(Dataset):
    def __init__(self, generator, args, output_signature):
        if not callable(generator):
            raise InvalidArgumentError("from_generator: `generator` must be callable")
        self._generator, self._args, self._signature = generator, args, output_signature

    def _elements(self):
        for value in self._generator(*self._args):
            element = _structure_of_arrays(value)
            if self._signature is not None:
                _check_signature(element, self._signature)
            yield element

    def _spec(self):
        if self._signature is not None:
            return self._signature
        return _spec_of(next(iter(self._elements())))


def _check_signature(element, signature) -> None:
    got, want = _leaves(element), _leaves(signature)
    if len(got) != len(want):
        raise InvalidArgumentError(f"from_generator: the generator yielded {len(got)} "
                                   f"components, the output_signature has {len(want)}")
    for (path, value), (_, spec) in zip(got, want):
        if not spec.matches(value.shape, value.dtype):
            raise InvalidArgumentError(
                f"from_generator: component {path} has shape {list(value.shape)} and dtype "
                f"{value.dtype.name}; the output_signature says {spec}")


# --------------------------------------------------------------------------------------------
# Transformations
# --------------------------------------------------------------------------------------------


class _Shuffle(Dataset):
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

    def _elements(self):
        epoch = self._epoch if self._reshuffle else 0
        self._epoch += 1
        rng = np.random.default_rng([self._seed, epoch])
        buffer = []
        size = self._size if self._size > 0 else 1024
        for element in self._input._elements():
            if len(buffer) < size:
                buffer.append(element)
                continue
            k = int(rng.integers(len(buffer)))
            yield buffer[k]
            buffer[k] = element
        while buffer:
            k = int(rng.integers(len(buffer)))
            buffer[k], buffer[-1] = buffer[-1], buffer[k]
            yield buffer.pop()

    def _spec(self):
        return self._input.element_spec

    def _cardinality(self) -> int:
        return self._input._cardinality()


class _Batch(Dataset):
    def __init__(self, input_dataset, batch_size, drop_remainder):
        self._input = input_dataset
        self._size = _count(batch_size, "batch")
        if self._size < 1:
            raise InvalidArgumentError(f"batch: batch_size must be positive, got {self._size}")
        self._drop = bool(drop_remainder)

    def _elements(self):
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


def _stack(elements, op: str):
    """One element whose leaves are the elements' leaves stacked on a new first axis."""
    first = _leaves(elements[0])
    columns = [[leaf for _, leaf in _leaves(e)] for e in elements]
    stacked = []
    for k, (path, leaf) in enumerate(first):
        for j, column in enumerate(columns):
            if column[k].shape != leaf.shape:
                raise InvalidArgumentError(
                    f"{op}: cannot batch components {path} of different shapes: element 0 "
                    f"has shape {list(leaf.shape)} and element {j} has shape "
                    f"{list(column[k].shape)}")
        stacked.append(np.stack([column[k] for column in columns]))
    return _pack(elements[0], stacked)


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


class _Repeat(Dataset):
    def __init__(self, input_dataset, count):
        self._input = input_dataset
        self._count = -1 if count is None else _count(count, "repeat")

    def _elements(self):
        n = 0
        while self._count < 0 or n < self._count:
            empty = True
            for element in self._input._elements():
                empty = False
                yield element
            n += 1
            if empty:  # repeating nothing forever would never return
                return

    def _spec(self):
        return self._input.element_spec

    def _cardinality(self) -> int:
        n = self._input._cardinality()
        if n == 0:
            return 0
        if self._count < 0:
            return INFINITE if n > 0 or n == INFINITE else UNKNOWN
        return n * self._count if n >= 0 else n


class _Take(Dataset):
    def __init__(self, input_dataset, count):
        self._input, self._count = input_dataset, _count(count, "take")

    def _elements(self):
        if self._count == 0:
            return
        for n, element in enumerate(self._input._elements(), 1):
            yield element
            if n == self._count:
                return

    def _spec(self):
        return self._input.element_spec

    def _cardinality(self) -> int:
        n = self._input._cardinality()
        if self._count < 0:
            return n
        if n == INFINITE:
            return self._count
        return min(n, self._count) if n >= 0 else UNKNOWN


class _Skip(Dataset):
    def __init__(self, input_dataset, count):
        self._input, self._count = input_dataset, _count(count, "skip")

    def _elements(self):
        for n, element in enumerate(self._input._elements()):
            if self._count >= 0 and n >= self._count:
                yield element

    def _spec(self):
        return self._input.element_spec

    def _cardinality(self) -> int:
        n = self._input._cardinality()
        if n < 0:
            return n
        return 0 if self._count < 0 else max(n - self._count, 0)


def _call(fn, element):
    """fn on an element's tensors: a tuple is unpacked into arguments, as tf.data does."""
    tensors = _map(_to_tensor, element)
    return fn(*tensors) if type(tensors) is tuple else fn(tensors)


class _Map(Dataset):
    def __init__(self, input_dataset, map_func):
        if not callable(map_func):
            raise InvalidArgumentError("map: map_func must be callable")
        self._input, self._fn = input_dataset, map_func

    def _elements(self):
        for element in self._input._elements():
            yield _structure_of_arrays(_call(self._fn, element))

    def _spec(self):
        # The function is run (eagerly, as TF traces it) on zeros of the input's spec, with
        # every unknown size once 1 and once 2: a size that follows them is unknown too.
        outputs = []
        for size in (1, 2):
            zeros = _map(lambda s: np.zeros([size if d is None else d for d in s.shape],
                                            s.dtype), self._input.element_spec)
            outputs.append(_structure_of_arrays(_call(self._fn, zeros)))
        return _map_pair(lambda a, b: TensorSpec(
            [d if d == e else None for d, e in zip(a.shape, b.shape)], a.dtype), *outputs)

    def _cardinality(self) -> int:
        return self._input._cardinality()


def _map_pair(fn, first, second):
    values = [fn(a, b) for (_, a), (_, b) in zip(_leaves(first), _leaves(second))]
    return _pack(first, values)


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
                keep = _call(self._predicate, element)
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
            raise InvalidArgumentError(
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

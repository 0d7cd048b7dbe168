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

import numpy as np

from tapeflow.data.structure import _count, _map, _numpy_value, _to_tensor
from tapeflow.ops.core import InvalidArgumentError
from tapeflow.ops.errors import OutOfRangeError
from tapeflow.tracer.tensor import Tensor, make_constant

INFINITE = -1  # tf.data.INFINITE_CARDINALITY
UNKNOWN = -2  # tf.data.UNKNOWN_CARDINALITY
AUTOTUNE = -1


# --------------------------------------------------------------------------------------------
# Dataset
# --------------------------------------------------------------------------------------------


class Dataset:
    """A sequence of elements, made again by each iteration. Subclasses define `_elements`
    (a generator of numpy elements), `_spec()` and `_cardinality()`."""

    # A @tapeflow.function given a dataset runs eagerly (see Iterator).
    _runs_functions_eagerly = "a tf.data dataset"

    def _elements(self):
        raise NotImplementedError

    def _spec(self):
        raise NotImplementedError

    def _cardinality(self) -> int:
        return UNKNOWN

    def _rows(self):
        """(arrays, make_indices) when every element is row i of `arrays` (a structure of
        numpy arrays) for the i that `make_indices()` yields, in order; else None. `batch`
        then gathers a batch's rows with one indexing per component instead of stacking
        elements one at a time (60000 MNIST rows per epoch: ~10x less Python work)."""
        return

    # ---- iteration ---------------------------------------------------------------------------

    def __iter__(self):
        return Iterator(self)

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
    def from_tensor_slices(tensors, name=None) -> Dataset:
        """The slices of every component along its first axis: element i is the structure
        of `tensors` with each component's row i. Tuples and dicts are structure, lists are
        tensors, as in TF."""
        return _TensorSlices(tensors)

    @staticmethod
    def from_tensors(tensors, name=None) -> Dataset:
        """One element: `tensors` itself."""
        return _FromTensors(tensors)

    @staticmethod
    def range(*args, output_type=np.int64, name=None, **ignored) -> Dataset:
        """`range(stop)`, `range(start, stop)`, `range(start, stop, step)` as scalars of
        `output_type` (int64). Other keywords are ignored, as TF's range ignores them: a
        `dtype=tf.int32` there still gives int64 elements under TF, so it must here too."""
        return _Range(args, output_type)

    @staticmethod
    def zip(*datasets, name=None) -> Dataset:
        """Elements of several datasets side by side (a tuple, or the nesting given), until
        the shortest ends."""
        if len(datasets) == 1 and not isinstance(datasets[0], Dataset):
            datasets = datasets[0]
        return _Zip(datasets)

    @staticmethod
    def from_generator(generator, output_types=None, output_shapes=None, args=None,
                       output_signature=None, name=None) -> Dataset:
        """The elements `generator(*args)` yields, called again on each iteration, each
        converted to the dtypes of `output_signature` (or of the older `output_types`, with
        `output_shapes`)."""
        if output_signature is None and output_types is not None:
            output_signature = _signature_from_types(output_types, output_shapes)
        elif output_signature is None and output_shapes is not None:
            raise TypeError("from_generator: output_shapes needs output_types")
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
        from tapeflow.data.transforms import _Shard

        return _Shard(self, num_shards, index)

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

    def padded_batch(self, batch_size, padded_shapes=None, padding_values=None,
                     drop_remainder=False, name=None):
        from tapeflow.data.streams import _PaddedBatch

        return _PaddedBatch(self, batch_size, padded_shapes, padding_values, drop_remainder)

    def rebatch(self, batch_size, drop_remainder=False, name=None):
        from tapeflow.data.streams import _Rebatch

        return _Rebatch(self, batch_size, drop_remainder)

    def window(self, size, shift=None, stride=1, drop_remainder=False, name=None):
        from tapeflow.data.nested import _Window

        return _Window(self, size, shift, stride, drop_remainder)

    def flat_map(self, map_func, name=None):
        from tapeflow.data.nested import _Interleave

        return _Interleave(self, map_func, 1, 1, op="flat_map")

    def interleave(self, map_func, cycle_length=None, block_length=None,
                   num_parallel_calls=None, deterministic=None, name=None):
        from tapeflow.data.nested import _Interleave

        return _Interleave(self, map_func, cycle_length, block_length)

    def group_by_window(self, key_func, reduce_func, window_size=None,
                        window_size_func=None, name=None):
        from tapeflow.data.nested import _GroupByWindow

        return _GroupByWindow(self, key_func, reduce_func, window_size, window_size_func)

    def bucket_by_sequence_length(self, element_length_func, bucket_boundaries,
                                  bucket_batch_sizes, padded_shapes=None,
                                  padding_values=None, pad_to_bucket_boundary=False,
                                  no_padding=False, drop_remainder=False, name=None):
        from tapeflow.data.nested import _bucket_by_sequence_length

        return _bucket_by_sequence_length(
            self, element_length_func, bucket_boundaries, bucket_batch_sizes, padded_shapes,
            padding_values, pad_to_bucket_boundary, no_padding, drop_remainder)

    @staticmethod
    def choose_from_datasets(datasets, choice_dataset, stop_on_empty_dataset=True):
        from tapeflow.data.nested import _choose_from_datasets

        return _choose_from_datasets(datasets, choice_dataset, stop_on_empty_dataset)

    @staticmethod
    def sample_from_datasets(datasets, weights=None, seed=None, stop_on_empty_dataset=False,
                             rerandomize_each_iteration=None):
        from tapeflow.data.nested import _sample_from_datasets

        return _sample_from_datasets(datasets, weights, seed, stop_on_empty_dataset,
                                    rerandomize_each_iteration)

    def scan(self, initial_state, scan_func, name=None):
        from tapeflow.data.streams import _Scan

        return _Scan(self, initial_state, scan_func)

    def take_while(self, predicate, name=None):
        from tapeflow.data.streams import _TakeWhile

        return _TakeWhile(self, predicate)

    def unique(self, name=None):
        from tapeflow.data.streams import _Unique

        return _Unique(self)

    def ignore_errors(self, log_warning=False, name=None):
        from tapeflow.data.streams import _IgnoreErrors

        return _IgnoreErrors(self)

    def reduce(self, initial_state, reduce_func):
        """Fold the elements into a state with `reduce_func(state, element)` (eagerly).
        As in TF the state is tensors from the start (a Python 0 is an int32 tensor, so
        adding int64 elements to it is an error, not an int64 sum) and each new state must
        keep the initial state's structure and dtypes."""
        from tapeflow.data.structure import _leaves, _structure_of_arrays

        initial = _structure_of_arrays(initial_state)
        state = _map(_to_tensor, initial)
        want = [(p, a.dtype) for p, a in _leaves(initial)]
        for element in self:
            state = reduce_func(state, element)
            got = [(p, a.dtype) for p, a in _leaves(_structure_of_arrays(state))]
            if got != want:
                raise TypeError(f"reduce: reduce_func's new state {got} does not have the "
                                f"structure and dtypes of the initial state {want}")
            state = _map(lambda t: t if isinstance(t, Tensor) else _to_tensor(
                _structure_of_arrays(t)), state)
        return state


class Iterator:
    """`iter(dataset)`: one pass over its elements, as tensors (TF's tf.data.Iterator).

    A `@tapeflow.function` that reads a dataset or an iterator runs its Python eagerly:
    a trace would read one pass's elements and bake them into the graph as constants, so
    every later call would see them again. TF compiles such loops (AutoGraph); here the
    trace stops before taking an element (runtime.trace.RunsEagerly) and the call, and
    every later one with that signature, runs the function's Python with the elements,
    each `for` over the dataset with its body compiled once (runtime/dataset_loops.py).
    A dataset or iterator passed as an argument is seen before any trace starts."""

    _runs_functions_eagerly = "a tf.data iterator"

    def __init__(self, dataset: Dataset):
        self._dataset = dataset
        self._elements = None  # the pass, started by the first element taken

    def __iter__(self):
        return self

    def __next__(self):
        _stop_a_trace()
        if self._elements is None:
            self._elements = self._dataset._elements()
        return _map(_to_tensor, next(self._elements))

    def get_next(self):
        """The next element (tf.errors.OutOfRangeError at the end, as TF's)."""
        try:
            return next(self)
        except StopIteration:
            raise OutOfRangeError(None, None, "End of sequence") from None

    def get_next_as_optional(self):
        """The next element as a tf.experimental.Optional (without a value at the end)."""
        from tapeflow.data.streams import Optional

        return Optional(next(self, None), self.element_spec)

    @property
    def element_spec(self):
        return self._dataset.element_spec


def _stop_a_trace() -> None:
    """Inside a trace, stop it before an element is taken (see Iterator)."""
    from tapeflow.runtime.trace import RunsEagerly, active_trace

    if active_trace() is not None:
        raise RunsEagerly("it reads a tf.data dataset (Python makes its elements on every "
                          "call)")


# The datasets themselves, after Dataset (they subclass it; its methods make them).
from tapeflow.data.sources import (
    _FromGenerator,
    _FromTensors,
    _Range,
    _signature_from_types,
    _TensorSlices,
    _Zip,
)
from tapeflow.data.transforms import (
    _Batch,
    _Cache,
    _Concatenate,
    _Enumerate,
    _Filter,
    _Map,
    _Repeat,
    _Shuffle,
    _Skip,
    _Take,
    _Unbatch,
)

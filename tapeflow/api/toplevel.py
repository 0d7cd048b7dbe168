"""Small names of TensorFlow's top level: `tf.is_tensor`, `tf.get_static_value`,
`tf.ensure_shape`, `tf.control_dependencies`, `tf.group`, `tf.no_op`, `tf.identity_n`,
`tf.inside_function`, `tf.get_current_name_scope`, `tf.get_logger`, `tf.parallel_stack`,
`tf.dynamic_partition`, `tf.dynamic_stitch`, `tf.histogram_fixed_width`, `tf.make_ndarray`.

tapeflow runs ops in program order, eagerly and in a traced graph alike (a check's failure
stops the call before any Variable is committed), so `control_dependencies` and `group`
only accept what TF accepts and order nothing themselves.
"""

from __future__ import annotations

import contextlib
import logging

import numpy as np

from tapeflow import ops
from tapeflow.ops.core import InvalidArgumentError
from tapeflow.ops.dynamic import _refuse_if_staged
from tapeflow.tracer import tensor as tensor_module
from tapeflow.tracer.tensor import Tensor, convert_to_tensor

__all__ = [
    "control_dependencies", "dynamic_partition", "dynamic_stitch", "ensure_shape",
    "get_current_name_scope", "get_logger", "get_static_value", "group",
    "histogram_fixed_width", "identity_n", "inside_function", "is_tensor", "make_ndarray",
    "no_op", "parallel_stack",
]


def _is_tensor_like(x) -> bool:
    # Tensors, Variables, and the composite tensors (RaggedTensor, SparseTensor), as TF's
    # is_tensor counts them.
    if isinstance(x, Tensor) or hasattr(x, "_read"):
        return True
    return type(x).__name__ in ("RaggedTensor", "SparseTensor")


def is_tensor(x) -> bool:
    """Whether `x` is a tensor-like object (a Tensor, Variable, RaggedTensor or
    SparseTensor), not a Python or numpy value."""
    return _is_tensor_like(x)


def get_static_value(tensor, partial=False):
    """The value of `tensor` as a numpy array when it is known without running anything (a
    constant, or any eager tensor); None for a value of a function being traced and for a
    Variable (its value may change). A Python or numpy value is returned as it is."""
    if hasattr(tensor, "_read"):
        return None
    if not isinstance(tensor, Tensor):
        return tensor
    if tensor_module.is_traced_value(tensor):
        return None
    return tensor.numpy()


def inside_function() -> bool:
    """True while a `tapeflow.function` traces (TF: while building a graph)."""
    from tapeflow.runtime.trace import active_trace

    return active_trace() is not None


def get_current_name_scope() -> str:
    """The current `tf.name_scope`, "a/b" ("" at top level)."""
    from tapeflow.tracer.name_scope import current_scope

    return current_scope().rstrip("/")


def get_logger() -> logging.Logger:
    """TF's logger, the standard library's `logging.getLogger("tensorflow")`."""
    return logging.getLogger("tensorflow")


def _check_dependency(x, op: str) -> None:
    if x is None or callable(x) or _is_tensor_like(x) or isinstance(x, (list, tuple)):
        return
    raise TypeError(f"{op}: expected tensors or operations, got {type(x).__name__}: {x!r}")


@contextlib.contextmanager
def control_dependencies(control_inputs):
    """A context inside which ops run after `control_inputs` (tensors, operations or
    None). tapeflow runs every op in program order, so there is nothing to reorder: the
    context only checks what it is given."""
    for x in control_inputs or ():
        _check_dependency(x, "control_dependencies")
    yield None


def group(*inputs, name=None):
    """An op that waits for `inputs`: nothing to wait for in tapeflow (ops run in program
    order), so None, as TF's eager group returns."""
    for x in inputs:
        _check_dependency(x, "group")
    return None


def no_op(name=None):
    """An op that does nothing: None, as TF returns eagerly."""
    return None


def identity_n(input, name=None):
    """Each of `input` passed through `tf.identity`, as a list."""
    return [ops.identity(x) for x in input]


def parallel_stack(values, name=None):
    """`tf.stack` along a new first axis, inside a traced function; TF refuses it eagerly."""
    if not inside_function():
        raise RuntimeError("tf.parallel_stack() is not compatible with eager execution.")
    return ops.stack(values, axis=0)


def ensure_shape(x, shape, name=None):
    """`x`, after checking that its shape is compatible with `shape` (None sizes match any
    size): a size known while tracing is checked then (ValueError, as TF's shape
    inference), one known only when the function runs is checked in the kernel, and an
    eager mismatch is TF's InvalidArgumentError."""
    from tapeflow.api.asserts import check_in_kernel
    from tapeflow.tracer.tensor_shape import TensorShape

    x = x._read() if hasattr(x, "_read") else convert_to_tensor(x)
    expected = TensorShape(shape)
    if expected.rank is None:
        return x
    sizes = x.aval.shape  # ints, or Dims while tracing for any size (ops/dims.py)
    spec = [d for d in expected]

    def text(dims) -> str:
        return "[" + ",".join("?" if d is None else str(d) for d in dims) + "]"

    public = [d if isinstance(d, int) else None for d in sizes]
    traced = inside_function()
    if len(sizes) != len(spec):
        if traced:
            raise ValueError(f"Shape must be rank {len(spec)} but is rank {len(sizes)} for "
                             f"EnsureShape: shapes are {text(spec)} and {text(public)}.")
        raise InvalidArgumentError(f"Shape of tensor input {text(public)} is not compatible "
                                   f"with expected shape {text(spec)}.")
    for axis, (have, want) in enumerate(zip(sizes, spec)):
        if want is None:
            continue
        if isinstance(have, int):
            if have == want:
                continue
            if traced:
                raise ValueError(
                    f"Dimension {axis} in both shapes must be equal, but are {want} and "
                    f"{have}. Shapes are {text(spec)} and {text(public)}.")
            raise InvalidArgumentError(f"Shape of tensor input {text(public)} is not "
                                       f"compatible with expected shape {text(spec)}.")
        # A size the trace does not know (input_signature with None): checked per call.
        size = ops.shape(x)[axis]
        check_in_kernel(ops.equal(size, want), [
            f"Shape of tensor input is not compatible "
            f"with expected shape {text(spec)}: dimension {axis} is", None], [size], None)
    return x


def dynamic_partition(data, partitions, num_partitions, name=None):
    """The rows of `data` split into `num_partitions` lists by `partitions` (ints in
    [0, num_partitions), shaped like the leading axes of `data`). The sizes of the results
    depend on the values of `partitions`: eagerly (or on constant partitions) only, as
    `tf.boolean_mask`; traced partitions raise DataDependentShapeError."""
    x = data._read() if hasattr(data, "_read") else convert_to_tensor(data)
    p = partitions._read() if hasattr(partitions, "_read") else convert_to_tensor(partitions)
    if not p.dtype.is_integer:
        raise TypeError(f"dynamic_partition: partitions must be int32, got {p.dtype.name}")
    pshape, shape = tuple(p.shape), tuple(x.shape)
    if shape[:len(pshape)] != pshape:
        raise InvalidArgumentError(f"data.shape must start with partitions.shape, got "
                                   f"data.shape = {list(shape)}, partitions.shape = "
                                   f"{list(pshape)}")
    _refuse_if_staged("dynamic_partition", "partitions", p)
    values = np.ravel(p.numpy()).astype(np.int64)
    bad = np.flatnonzero((values < 0) | (values >= num_partitions))
    if bad.size:
        where = np.unravel_index(bad[0], pshape) if pshape else ()
        at = "".join(f"[{int(i)}]" for i in where) or ""
        raise InvalidArgumentError(f"partitions{at} = {values[bad[0]]} is not in "
                                   f"[0, {num_partitions})")
    flat = ops.reshape(x, (int(np.prod(pshape, dtype=np.int64)),) + shape[len(pshape):])
    return [ops.gather(flat, np.flatnonzero(values == k).astype(np.int64))
            for k in range(int(num_partitions))]


def dynamic_stitch(indices, data, name=None):
    """The rows `data[m][i]` placed at `indices[m][i]` of one result of max(indices) + 1
    rows (a later index wins; rows nobody writes are zero). The result's size depends on
    the values of the indices: eager or constant indices only."""
    idx = [i._read() if hasattr(i, "_read") else convert_to_tensor(i) for i in indices]
    xs = [d._read() if hasattr(d, "_read") else convert_to_tensor(d) for d in data]
    if len(idx) != len(xs):
        raise InvalidArgumentError(f"dynamic_stitch: {len(idx)} index tensors but "
                                   f"{len(xs)} data tensors")
    _refuse_if_staged("dynamic_stitch", "indices", *idx)
    rows, flats, inner = [], [], None
    for i, x in zip(idx, xs):
        ishape, shape = tuple(i.shape), tuple(x.shape)
        if shape[:len(ishape)] != ishape:
            raise InvalidArgumentError(f"dynamic_stitch: data.shape {list(shape)} must start "
                                       f"with indices.shape {list(ishape)}")
        if inner is None:
            inner = shape[len(ishape):]
        rows.append(np.ravel(i.numpy()).astype(np.int64))
        flats.append(ops.reshape(x, (-1,) + inner))
    every = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    if (every < 0).any():
        raise InvalidArgumentError(f"dynamic_stitch: indices must be >= 0, got "
                                   f"{int(every.min())}")
    n = int(every.max()) + 1 if every.size else 0
    # The last writer of each row wins: the position in the concatenated data of the last
    # occurrence of each index, then one gather (which carries the gradient to the rows).
    source = np.full(n, every.size, np.int64)  # points at an appended zero row
    source[every] = np.arange(every.size)
    stacked = ops.concat(flats + [ops.zeros_like(flats[0][:1])], axis=0)
    return ops.gather(stacked, source)


def histogram_fixed_width(values, value_range, nbins=100, dtype="int32", name=None):
    """Counts of `values` in `nbins` equal bins over `value_range` [lo, hi]; values below
    lo count in the first bin, values above hi in the last, as TF's."""
    x = values._read() if hasattr(values, "_read") else convert_to_tensor(values)
    if not x.dtype.is_floating:
        x = ops.cast(x, "float64")  # TF divides integer values in double precision
    bounds = ops.cast(value_range, x.dtype)
    lo, hi = bounds[0], bounds[1]
    scaled = (ops.reshape(x, (-1,)) - lo) / (hi - lo)
    bins = ops.clip_by_value(ops.floor(scaled * float(nbins)), 0.0, float(nbins - 1))
    ids = ops.cast(bins, "int32")
    counts = ops.unsorted_segment_sum(ops.ones_like(ids), ids, int(nbins))
    return ops.cast(counts, dtype)


def make_ndarray(tensor):
    """The value of a tensor as a numpy array (a copy). TF 2.21 takes a TensorProto
    (tapeflow has none) and refuses an EagerTensor; tapeflow takes the tensor itself."""
    if hasattr(tensor, "_read"):
        tensor = tensor._read()
    if isinstance(tensor, Tensor):
        return np.array(tensor.numpy())
    return np.array(tensor)

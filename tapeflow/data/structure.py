"""Elements of datasets: structures of tuples and dicts (a list is a tensor, as in TF) with
numpy leaves, and the helpers every dataset uses to walk, build and convert them."""

from __future__ import annotations

import numbers

import numpy as np

from tapeflow.ops.core import InvalidArgumentError, is_tracer
from tapeflow.runtime.signature import TensorSpec
from tapeflow.tracer.tensor import Tensor, constant, make_constant

# --------------------------------------------------------------------------------------------
# Elements: structures of tuples and dicts with numpy leaves
# --------------------------------------------------------------------------------------------


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
    if not isinstance(leaf, np.ndarray):  # a dataset (a window's component) is itself
        return leaf
    return make_constant(leaf)


def _spec_of(element):
    return _map(lambda a: TensorSpec(a.shape, a.dtype), element)


def _numpy_value(leaf: np.ndarray):
    value = leaf[()] if leaf.ndim == 0 else leaf
    return bytes(value) if isinstance(value, np.bytes_) else value  # a string is bytes


def _structure_of_arrays(tensors):
    """`tensors` with every leaf a numpy array of TF's dtype (a copy: the dataset owns it)."""
    return _map(lambda leaf: np.array(_to_numpy(leaf)), tensors)


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


def _call(fn, element):
    """fn on an element's tensors: a tuple is unpacked into arguments, as tf.data does."""
    tensors = _map(_to_tensor, element)
    out = fn(*tensors) if type(tensors) is tuple else fn(tensors)
    # TF reads a list returned at the top as a tuple of components (its structured
    # functions: a list is more likely [a, b] results than one tensor to stack)
    return tuple(out) if isinstance(out, list) else out


def _map_pair(fn, first, second):
    values = [fn(a, b) for (_, a), (_, b) in zip(_leaves(first), _leaves(second))]
    return _pack(first, values)


def _count(value, op: str) -> int:
    if is_tracer(value):
        value = value.numpy()
    if not isinstance(value, numbers.Integral) and not (
            isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iu"):
        raise InvalidArgumentError(f"{op}: expected an integer, got {value!r}")
    return int(value)

"""Call signatures: which arguments are traced inputs and which are static, as tf.function.

Tensors and numpy arrays are inputs, keyed by shape and dtype; Python numbers, bools,
strings and None are static values, keyed by value (Python code may branch on them where no
guard can see it); Variables are keyed by identity (their reads are captured); other objects
by identity too. Containers (lists, tuples, dicts) are walked, with paths like `x[0]['w']`
to name each leaf in messages.
"""

from __future__ import annotations

import itertools
import math
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np

from tapeflow.ops.core import canonical_dtype, native_dtype, short_dtype
from tapeflow.tracer import dtypes
from tapeflow.tracer.tensor import Tensor
from tapeflow.tracer.tensor_shape import TensorShape
from tapeflow.tracer.variable import Variable


@dataclass(frozen=True)
class TensorSpec:
    """`tf.TensorSpec`: the shape (None for any size) and dtype an argument must have."""

    shape: tuple
    dtype: Any = np.float32
    name: str | None = None

    def __post_init__(self):
        dims = None if self.shape is None else tuple(
            None if d is None else int(d) for d in self.shape
        )
        # TF's TensorSpec.shape is a TensorShape (a tuple here; None for an unknown rank).
        object.__setattr__(self, "shape", None if dims is None else TensorShape._of(dims))
        object.__setattr__(self, "dtype", canonical_dtype(self.dtype))

    def __repr__(self) -> str:
        # The tf.DType's repr: tf.string, not numpy's name (object) for a string spec.
        return (f"TensorSpec(shape={TensorShape(self.shape)}, dtype={tf_dtype_repr(self.dtype)}, "
                f"name={self.name!r})")

    __str__ = __repr__  # as TF prints a spec

    def short(self) -> str:
        """The compact text error messages use: f32[?,3] (? any size, * any rank)."""
        dims = "*" if self.shape is None else ",".join("?" if d is None else str(d)
                                                       for d in self.shape)
        return f"{short_dtype(self.dtype)}[{dims}]"

    def matches(self, shape: tuple[int, ...], dtype: np.dtype) -> bool:
        if dtype != self.dtype:
            return False
        if self.shape is None:
            return True
        return len(shape) == len(self.shape) and all(
            s is None or s == d for s, d in zip(self.shape, shape)
        )


def tf_dtype_repr(dtype: np.dtype) -> str:
    """`tf.float32`, `tf.string` (not numpy's `object`): the tf.DType's repr."""
    try:
        return repr(dtypes.from_numpy(np.dtype(dtype)))
    except KeyError:
        return f"tf.{np.dtype(dtype).name}"


def is_input(leaf) -> bool:
    """Leaves that become graph inputs (everything else is static or captured)."""
    return isinstance(leaf, Tensor | np.ndarray | np.generic) and not isinstance(
        leaf, bool | int | float
    )


def leaves_with_paths(arguments: dict[str, Any]) -> list[tuple[str, Any]]:
    """(path, leaf) for every leaf of the bound arguments, dicts in sorted key order."""
    out: list[tuple[str, Any]] = []
    stack = [(name, value) for name, value in reversed(list(arguments.items()))]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            stack.extend((f"{path}[{k!r}]", node[k]) for k in reversed(_sorted_keys(node)))
        elif isinstance(node, list | tuple):
            stack.extend((f"{path}[{i}]", v) for i, v in reversed(list(enumerate(node))))
        else:
            out.append((path, node))
    return out


def rebuild(arguments: dict[str, Any], leaves: list) -> dict[str, Any]:
    """The arguments with their leaves replaced, in `leaves_with_paths` order."""
    it = iter(leaves)

    def build(node):
        if isinstance(node, dict):
            new = {k: build(node[k]) for k in _sorted_keys(node)}
            return type(node)((k, new[k]) for k in node)
        if isinstance(node, list | tuple):
            items = [build(v) for v in node]
            if isinstance(node, tuple) and hasattr(node, "_fields"):
                return type(node)(*items)
            return type(node)(items)
        return next(it)

    return {name: build(value) for name, value in arguments.items()}


def _sorted_keys(d: dict) -> list:
    try:
        return sorted(d)
    except TypeError:
        return sorted(d, key=repr)


def _structure(node):
    """The container skeleton of an argument (leaves left out), for the signature key."""
    if isinstance(node, dict):
        return ("dict", tuple((k, _structure(node[k])) for k in _sorted_keys(node)))
    if isinstance(node, list | tuple):
        return (type(node).__name__, tuple(_structure(v) for v in node))
    return "*"


def leaf_spec(leaf):
    """The part of a leaf that the signature key depends on."""
    if isinstance(leaf, Tensor):
        return ("tensor", leaf.aval.shape, leaf.aval.dtype)
    if isinstance(leaf, np.ndarray | np.generic) and not isinstance(leaf, bool | int | float):
        arr = np.asarray(leaf)
        return ("tensor", arr.shape, canonical_dtype(arr.dtype))
    if isinstance(leaf, Variable):
        return ("variable", leaf._uid)
    if isinstance(leaf, float):
        return ("static", "float", float_token(leaf))
    if leaf is None or isinstance(leaf, bool | int | str | bytes):
        return ("static", type(leaf).__name__, leaf)
    return ("object", type(leaf).__qualname__, object_token(leaf))


class _FloatName:
    """A float value that `==` cannot key: -0.0 equals 0.0 (yet 1/x, copysign and printing
    tell them apart, so they are different static arguments), and nan equals nothing (a
    nan argument would never find its trace). One instance per such value, compared by
    identity, printed as the float."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


ZERO, MINUS_ZERO, NAN = _FloatName("0.0"), _FloatName("-0.0"), _FloatName("nan")


def float_token(x: float):
    """A Python float as a signature key: itself, except the values `==` mixes up."""
    if math.isnan(x):
        return NAN
    if x != 0.0:
        return x
    return MINUS_ZERO if math.copysign(1.0, x) < 0 else ZERO


# id() alone is not an identity once the object dies: CPython reuses ids, and a new object
# would silently hit the old one's traces (its static attributes, its Variables). Each object
# gets a serial number that is never reused, held beside a weak reference (or, for objects
# that take none, a strong one, so their id cannot be reused while we key on it).
_tokens: dict[int, tuple[Any, int]] = {}
_serials = itertools.count()


def object_token(obj) -> int:
    entry = _tokens.get(id(obj))
    if entry is not None:
        ref, serial = entry
        if (ref() if isinstance(ref, weakref.ref) else ref) is obj:
            return serial
    serial = next(_serials)
    try:
        ref = weakref.ref(obj, lambda _, key=id(obj), serial=serial: _forget(key, serial))
    except TypeError:
        ref = obj
    _tokens[id(obj)] = (ref, serial)
    return serial


def _forget(key: int, serial: int) -> None:
    entry = _tokens.get(key)
    if entry is not None and entry[1] == serial:
        del _tokens[key]


def signature_key(arguments: dict[str, Any]):
    paths = leaves_with_paths(arguments)
    structure = tuple((name, _structure(v)) for name, v in arguments.items())
    return (structure, tuple(leaf_spec(leaf) for _, leaf in paths)), paths


def describe_spec(spec) -> str:
    kind = spec[0]
    if kind == "tensor":
        return f"{short_dtype(spec[2])}[{','.join(map(str, spec[1]))}]"
    if kind == "static":
        return f"{spec[2]!r} ({spec[1]})"
    if kind == "variable":
        return f"Variable #{spec[1]}"
    return f"a {spec[1]} object"


def describe_change(old_key, new_key, paths) -> str:
    """'x: f32[3] -> f32[4]' for the leaves that differ between two signature keys."""
    if old_key[0] != new_key[0]:
        return "the structure of the arguments changed"
    changes = []
    for (path, _), old, new in zip(paths, old_key[1], new_key[1]):
        if old != new and old[0] == new[0] == "object" and old[1] == new[1]:
            changes.append(f"{path}: another {old[1]} object (objects are keyed by identity)")
        elif old != new:
            changes.append(f"{path}: {describe_spec(old)} -> {describe_spec(new)}")
    return "; ".join(changes) if changes else "no argument changed"


def check_input_signature(signature, paths) -> None:
    """Raise TypeError/ValueError naming the argument that does not fit `input_signature`."""
    specs = list(signature)
    tensor_paths = [(p, leaf) for p, leaf in paths]
    if len(tensor_paths) != len(specs):
        declared = ", ".join(spec.short() for spec in specs)
        raise TypeError(
            f"the function was declared with an input_signature of {len(specs)} tensors "
            f"({declared}), but was called with {len(tensor_paths)} "
            f"arguments ({', '.join(p for p, _ in tensor_paths)})"
        )
    for (path, leaf), spec in zip(tensor_paths, specs):
        if not is_input(leaf) and not isinstance(leaf, bool | int | float | list):
            raise TypeError(f"argument {path}: expected a tensor {spec.short()}, got "
                            f"{type(leaf).__name__}")
        arr = leaf._value if isinstance(leaf, Tensor) else np.asarray(leaf)
        dtype = native_dtype(arr.dtype) if is_input(leaf) else spec.dtype
        # TypeError for either mismatch, as TF's binding of the call to the signature.
        if dtype != spec.dtype:
            raise TypeError(
                f"argument {path}: expected dtype {spec.dtype.name} ({spec.short()}), got "
                f"{np.dtype(dtype).name}{list(arr.shape)}"
            )
        if not spec.matches(arr.shape, spec.dtype):
            raise TypeError(
                f"argument {path}: expected shape {spec.short()} (rank {len(spec.shape)}), got "
                f"{list(arr.shape)}"
            )

"""How a call of a `@tapeflow.function` is keyed before any trace (function.py): the lean
path's key read straight off positional arguments, the generated hot path of a function with
an input_signature, and the arguments that make a call run its Python eagerly."""

from __future__ import annotations

from typing import Callable

import numpy as np

from tapeflow.runtime import signature as sig
from tapeflow.runtime.concrete import ConcreteFunction
from tapeflow.tracer import tape as tape_module
from tapeflow.tracer.tensor import Tensor


def runs_eagerly_reason(paths) -> str | None:
    """Why a call with these arguments runs its Python eagerly, or None: an argument that
    a graph cannot take (a tf.data dataset or iterator: Python makes its elements on every
    call; TF compiles a loop over one with AutoGraph). Checked before tracing, so the
    function's Python runs once for such a call, not a trace and then eagerly."""
    for path, leaf in paths:
        reason = getattr(leaf, "_runs_functions_eagerly", None)
        if isinstance(reason, str):
            return f"argument {path} is {reason}"
    return None


def signature_hot_path(concrete: ConcreteFunction, args: tuple) -> Callable | None:
    """The hot path for calls like this one to a function with an input_signature, where
    the lean path does not apply (it keys Python numbers as static values; the signature
    converts them). Only for calls of tensors and arrays alone: their exact shapes and
    dtypes then key the dispatcher (11.9 -> ~2 us a call for a W2-sized step)."""
    if tape_module._recording or not all(type(a) is Tensor or type(a) is np.ndarray
                                         for a in args):
        return None
    return concrete.dispatcher_for(fast_key(args))


def fast_key(args) -> tuple | None:
    """The signature of a flat positional call, read straight off the arguments: tensors
    by their type, arrays by shape and dtype, Python scalars by type and value. None for
    anything else (containers, Variables, objects): `_keyed` decides those."""
    key = []
    for a in args:
        kind = type(a)
        if kind is Tensor:
            key.append(a._var.aval)
        elif kind is np.ndarray:
            key.append((a.shape, a.dtype))
        elif kind is float:
            key.append((kind, sig.float_token(a)))  # -0.0 is not 0.0; nan is nan
        elif kind is int or kind is bool or kind is str or a is None:
            key.append((kind, a))
        else:
            return None
    return tuple(key)

"""TensorFlow's top-level helpers that are not ops of their own: `tf.size`, `tf.rank`,
`tf.device`, `tf.init_scope`, `tf.executing_eagerly`.

`size` and `rank` are built from `tf.shape`, so a size unknown while tracing for any size
(input_signature with None) is computed per call, as in TensorFlow.
"""

from __future__ import annotations

import contextlib
import re

import numpy as np

from tapeflow import ops
from tapeflow.ops.core import InvalidArgumentError, OpTypeError
from tapeflow.ops.core import canonical_dtype as _canonical_dtype
from tapeflow.ops.core import is_tracer as _is_tracer
from tapeflow.ops.dims import is_symbolic as _is_symbolic
from tapeflow.tracer.tensor import convert_to_tensor as _convert_to_tensor
from tapeflow.tracer.tensor import make_constant as _make_constant


def _as_tensor(x, op: str):
    if _is_tracer(x):
        return x
    try:
        return _convert_to_tensor(x)
    except (TypeError, ValueError) as e:
        raise type(e)(f"{op}: {e}") from None


def size(input, out_type=None, name=None):
    """`tf.size`: the number of elements, an int32 scalar (int64 with `out_type`)."""
    dtype = _canonical_dtype(out_type) if out_type is not None else np.dtype(np.int32)
    if dtype.kind not in "iu":
        raise OpTypeError(f"size: out_type must be an integer dtype, got {dtype.name}")
    x = _as_tensor(input, "size")
    shape = x.aval.shape
    if _is_symbolic(shape):
        return ops.reduce_prod(ops.shape(x, out_type=dtype))
    n = 1
    for d in shape:
        n *= d
    return _make_constant(np.array(n, dtype=dtype))


def rank(input, name=None):
    """`tf.rank`: the number of axes, an int32 scalar."""
    x = _as_tensor(input, "rank")
    return _make_constant(np.array(len(x.aval.shape), dtype=np.int32))


def executing_eagerly() -> bool:
    """False while a `tapeflow.function` traces (its Python code runs once to build a
    graph), True otherwise, as in TensorFlow."""
    from tapeflow.runtime.trace import active_trace

    return active_trace() is None


_DEVICE = re.compile(r"^(/job:[^/]+)?(/replica:\d+)?(/task:\d+)?(/device:)?"
                     r"(/?(?P<kind>[A-Za-z_]+)(:(?P<index>\d+|\*))?)?$")


@contextlib.contextmanager
def device(device_name):
    """`tf.device`: tapeflow runs every op on the CPU, so a CPU device is accepted and does
    nothing; a GPU or TPU name is accepted too (TF's soft placement falls back to the CPU
    when the device is missing), but a name that is not a device spec is an error."""
    if device_name is not None and not callable(device_name):
        if not isinstance(device_name, str):
            raise TypeError(f"device: expected a device name string, got "
                            f"{type(device_name).__name__}")
        match = _DEVICE.match(device_name.strip())
        if match is None:
            raise InvalidArgumentError(
                f"device: {device_name!r} is not a device specification (for example "
                "'/CPU:0' or '/device:CPU:0')")
    yield


@contextlib.contextmanager
def init_scope():
    """`tf.init_scope`: code inside runs outside any function being traced, eagerly, as in
    TensorFlow (the usual use: creating a Variable once from within a traced function).
    Tapes recording around the scope are paused, since TF lifts the code out of them too."""
    from tapeflow.runtime import trace as trace_module
    from tapeflow.tracer import tape as tape_module
    from tapeflow.tracer import tensor as tensor_module
    from tapeflow.tracer import variable as variable_module

    active = list(trace_module._active)
    recording = list(tape_module._recording)
    # Every piece of tracing state is this thread's own (tapeflow/perthread.py).
    saved = (tensor_module.python_value_hook.value, variable_module.write_hook.value,
             tensor_module.graph_name_hook.value, list(variable_module.creation_hooks),
             tensor_module.traced_value_hook.value)
    del trace_module._active[:]
    del tape_module._recording[:]
    tensor_module.python_value_hook.value = tensor_module._eager_python_value
    variable_module.write_hook.value = variable_module._commit_now
    tensor_module.graph_name_hook.value = None
    tensor_module.traced_value_hook.value = None
    del variable_module.creation_hooks[:]
    try:
        yield
    finally:
        trace_module._active[:] = active
        tape_module._recording[:] = recording
        tensor_module.python_value_hook.value = saved[0]
        variable_module.write_hook.value = saved[1]
        tensor_module.graph_name_hook.value = saved[2]
        variable_module.creation_hooks[:] = saved[3]
        tensor_module.traced_value_hook.value = saved[4]


def broadcast_static_shape(shape_x, shape_y):
    """`tf.broadcast_static_shape`: the TensorShape two shapes broadcast to (a None size
    against 1 or None stays None, against d > 1 is d); ValueError when they cannot."""
    from tapeflow.tracer.tensor_shape import TensorShape

    x, y = TensorShape(shape_x), TensorShape(shape_y)
    if x.rank is None or y.rank is None:
        return TensorShape(None)
    n = max(len(x), len(y))
    x, y = (1,) * (n - len(x)) + tuple(x), (1,) * (n - len(y)) + tuple(y)
    out = []
    for a, b in zip(x, y):
        if a is None or b is None:
            known = b if a is None else a
            out.append(known if known is not None and known > 1 else None)
        elif a == b or b == 1:
            out.append(a)
        elif a == 1:
            out.append(b)
        else:
            raise ValueError(f"broadcast_static_shape: incompatible shapes {shape_x} and "
                             f"{shape_y}")
    return TensorShape(out)


def broadcast_dynamic_shape(shape_x, shape_y):
    """`tf.broadcast_dynamic_shape`: the shape vectors' broadcast, as a tensor of their
    dtype (int32 for Python lists); InvalidArgumentError when they cannot broadcast."""
    x, y = _as_tensor(shape_x, "broadcast_dynamic_shape"), _as_tensor(
        shape_y, "broadcast_dynamic_shape")
    try:
        out = np.broadcast_shapes(tuple(int(d) for d in x.numpy()),
                                  tuple(int(d) for d in y.numpy()))
    except ValueError:
        raise InvalidArgumentError(f"broadcast_dynamic_shape: incompatible shapes "
                                   f"{x.numpy().tolist()} and {y.numpy().tolist()}") from None
    return _make_constant(np.array(out, dtype=x.dtype.as_numpy_dtype))

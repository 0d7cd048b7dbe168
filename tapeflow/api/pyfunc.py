"""`tf.py_function` and `tf.numpy_function`: call Python on tensor values, eagerly.

Eagerly they call `func` at once (py_function with tensors, numpy_function with numpy
arrays) and convert its results to `Tout`. Inside a `tapeflow.function` they raise: the
trace runs Python once, so `func` would run on the tracing call alone and its result be
baked into the graph, which is wrong for any function with an effect or a changing result.
Keep such calls outside the function, or use tf.config.run_functions_eagerly(True).
"""

from __future__ import annotations

import numpy as np

from tapeflow.ops.core import canonical_dtype as _canonical_dtype
from tapeflow.ops.core import is_tracer as _is_tracer
from tapeflow.ops.errors import UnimplementedError
from tapeflow.tracer.tensor import convert_to_tensor as _convert_to_tensor
from tapeflow.tracer.tensor import make_constant as _make_constant


def _call(op: str, func, inp, Tout, as_numpy: bool):
    from tapeflow.runtime.trace import active_trace

    if not callable(func):
        raise TypeError(f"{op}: func must be callable, got {type(func).__name__}")
    if active_trace() is not None:
        raise UnimplementedError(
            f"tf.{op} inside a tapeflow.function: the Python function "
            f"{getattr(func, '__name__', func)!r} "
            "would run only while tracing and its result be frozen into the graph. Call it "
            "outside the function, or run functions eagerly (tf.config.run_functions_eagerly)")
    inputs = list(inp) if isinstance(inp, list | tuple) else [inp]
    args = []
    for i, x in enumerate(inputs):
        t = x if _is_tracer(x) else _convert_to_tensor(x)
        args.append(np.array(t._concrete()) if as_numpy else t)
    result = func(*args)
    if Tout is None:
        return None
    single = not isinstance(Tout, list | tuple)
    touts = [Tout] if single else list(Tout)
    results = [result] if single else (list(result) if isinstance(result, list | tuple)
                                       else [result])
    if len(results) != len(touts):
        raise ValueError(f"{op}: func returned {len(results)} values, Tout names {len(touts)}")
    out = []
    for k, (r, dt) in enumerate(zip(results, touts)):
        dtype = _canonical_dtype(dt)
        if _is_tracer(r) or isinstance(r, np.ndarray | np.generic):
            # Arrays and tensors keep their dtype: it must be Tout's, as in TF.
            t = r if _is_tracer(r) else _convert_to_tensor(np.asarray(r))
            if t.aval.dtype != dtype:
                raise TypeError(f"{op}: result {k} of func has dtype {t.dtype.name}, Tout "
                                f"says {np.dtype(dtype).name}")
            out.append(_make_constant(np.array(t._concrete())))
        else:  # Python values take Tout's dtype (refused where it would lose information)
            out.append(_convert_to_tensor(r, dtype=dtype))
    return out[0] if single else out


def py_function(func, inp, Tout, name=None):
    """`tf.py_function`: `func(*tensors)` with its results converted to `Tout`."""
    return _call("py_function", func, inp, Tout, as_numpy=False)


def numpy_function(func, inp, Tout, stateful=True, name=None):
    """`tf.numpy_function`: `func(*arrays)` with its results converted to `Tout`."""
    return _call("numpy_function", func, inp, Tout, as_numpy=True)


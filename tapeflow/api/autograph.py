"""`tf.autograph`: tapeflow needs no source conversion (Python control flow on tensors
becomes guarded paths of the trace), so `to_code` gives what the function became instead:
the text of each graph it was traced to, or its Python source when it has not been traced.
"""

from __future__ import annotations

import inspect
import types


def to_code(entity, recursive=True, experimental_optional_features=None) -> str:
    """The printed graph of every trace of a tapeflow.function (forward and adjoint, with
    the user's source lines), or the Python source of a function not traced yet."""
    from tapeflow.runtime.function import Function

    function = getattr(entity, "_function", entity)
    if isinstance(function, Function) and function._concretes:
        return "\n\n".join(str(c.graph) for c in function._concretes)
    fn = function.python_function if isinstance(function, Function) else entity
    if not callable(fn):
        raise TypeError(f"to_code: expected a function, got {type(entity).__name__}")
    try:
        return inspect.getsource(fn)
    except (OSError, TypeError) as e:
        raise ValueError(f"to_code: the source of {fn!r} is not available ({e})") from None


def to_graph(entity, recursive=True, experimental_optional_features=None):
    """The function itself: tapeflow traces Python control flow as it is."""
    return entity


def set_verbosity(level, alsologtostdout=False) -> None:
    if not isinstance(level, int):
        raise TypeError(f"set_verbosity: level must be an int, got {level!r}")


def _do_not_convert(func=None):
    return func if func is not None else (lambda f: f)


experimental = types.SimpleNamespace(do_not_convert=_do_not_convert)

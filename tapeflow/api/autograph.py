"""`tf.autograph`. tapeflow converts only a traced function's tensor loops
(autograph_convert.py: `for i in tf.range(n)`, `for x in <tensor>`, `while <tensor>:` and
the `if`s in their bodies become graph loops traced once), in the user functions it calls
too (autograph_calls.py; `experimental.do_not_convert` opts one out); other Python control
flow on tensors becomes guarded paths of the trace. `to_code` gives the code TensorFlow's
AutoGraph would generate where tapeflow writes it (autograph_code.py: straight-line code,
calls, `if`/`else`, `while`, `for`, a final `return`), so a user's comparison with TF reads
the same; for other functions, what the function became: the text of each graph it was
traced to, or its Python source when it has not been traced.
"""

from __future__ import annotations

import inspect
import types

from tapeflow.api.autograph_calls import do_not_convert as _do_not_convert
from tapeflow.api.autograph_code import autograph_code as _autograph_code


def to_code(entity, recursive=True, experimental_optional_features=None) -> str:
    """AutoGraph's generated code for the function, where tapeflow writes it; else the
    printed graph of every trace of a tapeflow.function (forward and adjoint, with the
    user's source lines), or the Python source of a function not traced yet."""
    from tapeflow.runtime.function import Function

    function = getattr(entity, "_function", entity)
    fn = function.python_function if isinstance(function, Function) else entity
    if not callable(fn):
        raise TypeError(f"to_code: expected a function, got {type(entity).__name__}")
    code = _autograph_code(fn)
    if code is not None:
        return code
    if isinstance(function, Function) and function._concretes:
        return "\n\n".join(str(c.graph) for c in function._concretes)
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


experimental = types.SimpleNamespace(do_not_convert=_do_not_convert)

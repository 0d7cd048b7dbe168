"""`tf.debugging`: find where a nan or an inf first appears.

`check_numerics(x, message)` passes `x` through and raises InvalidArgumentError (`message :
Tensor had NaN values`, the first bad element's position and the user's line) when `x` holds
a nan or an inf. `enable_check_numerics()` puts that check after every op that produces a
float tensor, so the error names the first op whose output went bad, and the line that
called it; `disable_check_numerics()` stops adding checks.

Both work eagerly and compiled: the check is the primitive `check_numerics`
(tapeflow/ops/checks.py), whose Numba lowering raises from the kernel with the message and
position as data, which the runtime turns into the eager error. As in TF, enabling affects
functions traced afterwards: a function traced before keeps its graph (and its speed).
"""

from __future__ import annotations

import threading

from tapeflow.ops import core
from tapeflow.ops.checks import _user_line, check_numerics_p
from tapeflow.ops.checks import check_numerics as _check

__all__ = ["check_numerics", "disable_check_numerics", "enable_check_numerics"]


def check_numerics(tensor, message, name=None):
    """`tensor`, after checking that it has no nan or inf (InvalidArgumentError if it has)."""
    return _check(tensor, str(message), where=_user_line(1))


class _Checking(threading.local):
    def __init__(self):
        self.inside = False  # a check's own bind is not checked again


_lock = threading.Lock()
_checking = _Checking()
_previous_hook = None  # the bind hook that enable_check_numerics wraps, while enabled


def _checking_bind(prim, args, params):
    outs = _previous_hook(prim, args, params)
    if prim is check_numerics_p or _checking.inside:
        return outs
    multiple = prim.multiple_results
    results = list(outs) if multiple else [outs]
    if not any(getattr(o, "dtype", None) is not None and _is_float(o) for o in results):
        return outs
    where = _user_line(1)
    message = f"Detected NaN or Infinity in output {{}} of op {prim.name!r}"
    _checking.inside = True
    try:
        results = [_check(o, message.format(k), where=where) if _is_float(o) else o
                   for k, o in enumerate(results)]
    finally:
        _checking.inside = False
    return tuple(results) if multiple else results[0]


def _is_float(x) -> bool:
    aval = getattr(x, "aval", None)
    return aval is not None and aval.dtype.kind == "f"


def enable_check_numerics(stack_height_limit=30, path_length_limit=50):
    """Check every op's float outputs for nan and inf from now on (eagerly, and in
    functions traced from now on)."""
    global _previous_hook
    with _lock:
        if _previous_hook is None:
            _previous_hook = core.set_bind_hook(_checking_bind)


def disable_check_numerics():
    """Stop checking op outputs (functions traced while enabled keep their checks)."""
    global _previous_hook
    with _lock:
        if _previous_hook is not None:
            core.set_bind_hook(_previous_hook)
            _previous_hook = None


# tf.debugging's assertions (tapeflow/api/asserts.py).
from tapeflow.api.asserts import (  # noqa: E402, F401 - the namespace tf.debugging
    Assert,
    assert_all_finite,
    assert_equal,
    assert_greater,
    assert_greater_equal,
    assert_integer,
    assert_less,
    assert_less_equal,
    assert_near,
    assert_negative,
    assert_non_negative,
    assert_non_positive,
    assert_none_equal,
    assert_positive,
    assert_rank,
    assert_rank_at_least,
    assert_rank_in,
    assert_same_float_dtype,
    assert_scalar,
    assert_shapes,
    assert_type,
    is_numeric_tensor,
)
from tapeflow.api import asserts as _asserts  # noqa: E402

__all__ += _asserts.__all__

"""Checks on values that run inside the kernel: `check_range`, and how its error reads.

Library code must never read a traced value from Python to validate it: under
`@tapeflow.function` such a read records a value guard, so a new batch (new labels, new
indices) fails the guard and retraces the step, and after a few it runs eagerly for good. A
check that needs values is an equation instead: `check_range(x, lo, hi)` passes `x` through
and raises when an element is outside [lo, hi). Its eager kernel raises at once (with the
user's line in the traceback); its Numba lowering raises from compiled code with the
position and the value as the exception's arguments (data, so the kernel's text is the
same for any values), which the runtime turns into the same message plus the line that
recorded the check (`native_error_message`). gather and scatter_add check their indices
the same way (tapeflow/ops/shape.py holds the message and the raise both share).

The message names the op, what was checked, the first bad element's position and value and
the valid range: `sparse_softmax_cross_entropy_with_logits: labels[3] = 12 is out of range
[0, 10)`.
"""

from __future__ import annotations

import os
import sys

import numpy as np

from tapeflow.ops import lowering as lw
from tapeflow.ops.core import (
    InvalidArgumentError,
    LoopKernel,
    OpTypeError,
    Primitive,
    ShapedArray,
    bind,
    nondifferentiable,
    per_input,
)
from tapeflow.ops.shape import (
    RANGE_ERROR,
    IndexOutOfRangeError,
    check_in_range,
    raise_out_of_range,
    range_message,
)

check_range_p = Primitive(
    "check_range", doc="x itself, after checking that every element is in [lo, hi) (raises)"
)


@check_range_p.def_abstract_eval
def _check_range_rule(x: ShapedArray, *, lo, hi, op, what) -> ShapedArray:
    if x.dtype.kind not in "iu":
        raise OpTypeError(f"{op}: {what} must be integers, got {x}")
    return x


def _check_range(x, *, lo, hi, op, what):
    check_in_range(x, lo, hi, op, what)
    return x


check_range_p.def_impl(_check_range)
check_range_p.def_vjp(nondifferentiable(1))  # integers: no gradient


@check_range_p.def_lowering
@LoopKernel
def _check_range_lowering(out, ins, avals, *, lo, hi, op, what):
    # A copy that checks each element before it is stored; the raise carries the position
    # and the value as data, so the kernel's text (and its cache key) is the same for any
    # values.
    (x,) = ins
    out_aval = avals[0]
    names = lw.loop_vars(out_aval.ndim)
    here = lw.index(names)
    body = [
        f"_v = {x}[{here}]",
        f"if _v < {int(lo)} or _v >= {int(hi)}:",
        "    " + raise_out_of_range(op, what, lo, hi, "_v", names),
        f"{out}[{here}] = _v",
    ]
    return [f"{out} = {lw.empty(out_aval.shape, lw.dtype_expr(out_aval.dtype))}"] + \
        lw.loop_nest(out_aval.shape, body)


def check_range(x, lo, hi, *, op: str, what: str):
    """`x`, checked (in the kernel, eagerly and compiled) to lie in [lo, hi). An eager
    failure (or one while tracing) names the user's line, as compiled code's does."""
    try:
        return bind(check_range_p, x, lo=lo, hi=hi, op=op, what=what)
    except IndexOutOfRangeError as e:
        where = _user_line()
        raise IndexOutOfRangeError(f"{e} [at {where}]" if where else str(e)) from None


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _user_line(depth: int = 0) -> str | None:
    """`file.py:12` of the innermost caller outside the tapeflow package."""
    frame = sys._getframe(1 + depth)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    if frame is None:
        return None
    return f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno}"


def native_error_message(error: IndexError, sources=()) -> str:
    """The message of an IndexError raised by compiled code: a failed `check_range` (its
    arguments are data) reads as the eager kernel's message; `sources` are the user lines
    (`file:line` text) of the equations that may have raised it."""
    args = error.args
    if len(args) >= 6 and args[0] == RANGE_ERROR:
        _, op, what, lo, hi, value, *position = args
        message = range_message(op, what, position, value, lo, hi)
    else:
        message = str(error)
    if sources:
        message += f" [recorded at {', '.join(sources)}]"
    return message


def raised_by(eqn, error: IndexError) -> bool:
    """Whether equation `eqn` can have raised `error` in compiled code: a failed range check
    is its op's and name's `check_range`; any other IndexError an indexing op's."""
    args = error.args
    if len(args) >= 6 and args[0] == RANGE_ERROR:
        if eqn.prim is check_range_p:
            params = eqn.params_dict
            return params["op"] == args[1] and params["what"] == args[2]
        # gather, scatter_add: their indices; ravel_index names the op it serves (gather_nd).
        return eqn.prim.name == args[1] or eqn.params_dict.get("op") == args[1]
    return eqn.prim.name in ("gather", "scatter_add")


# --------------------------------------------------------------------------------------------
# check_numerics: x itself, after checking that it holds no nan or inf
# --------------------------------------------------------------------------------------------

# The first argument of the FloatingPointError a compiled check_numerics raises: the rest are
# the message, "NaN" or "Infinity", and the element's position (data, as for check_range).
NUMERICS_ERROR = "tapeflow.check_numerics"

check_numerics_p = Primitive(
    "check_numerics", doc="x itself, after checking that no element is nan or inf (raises)"
)


@check_numerics_p.def_abstract_eval
def _check_numerics_rule(x: ShapedArray, *, message) -> ShapedArray:
    if x.dtype.kind != "f":
        raise OpTypeError(f"check_numerics: {message}: x must be a float tensor, got {x}")
    return x


def numerics_message(message: str, kind: str, position) -> str:
    """TF's text (`message : Tensor had NaN values`) and the first bad element's position."""
    where = f" (first at [{', '.join(str(int(p)) for p in position)}])" if position else ""
    return f"{message} : Tensor had {kind} values{where}"


def _check_numerics(x, *, message):
    bad = ~np.isfinite(x)
    if bad.any():
        position = tuple(int(p) for p in np.argwhere(bad)[0])
        kind = "NaN" if np.isnan(x[position]) else "Infinity"
        raise InvalidArgumentError(numerics_message(message, kind, position))
    return x


check_numerics_p.def_impl(_check_numerics)
# The check is the identity on values that pass it: the cotangent passes through.
check_numerics_p.def_vjp(per_input(lambda g, out, x, **params: g))


@check_numerics_p.def_lowering
@LoopKernel
def _check_numerics_lowering(out, ins, avals, *, message):
    (x,) = ins
    out_aval = avals[0]
    names = lw.loop_vars(out_aval.ndim)
    here = lw.index(names)
    position = "".join(f", {n}" for n in names)
    body = [
        f"_v = {x}[{here}]",
        "if not math.isfinite(_v):",
        (f"    raise FloatingPointError({NUMERICS_ERROR!r}, {message!r}, "
         f"'NaN' if _v != _v else 'Infinity'{position})"),
        f"{out}[{here}] = _v",
    ]
    return [f"{out} = {lw.empty(out_aval.shape, lw.dtype_expr(out_aval.dtype))}"] + \
        lw.loop_nest(out_aval.shape, body)


def check_numerics(x, message: str, *, where: str | None = None):
    """`x`, checked (eagerly and in compiled code) to hold no nan or inf; the error is an
    InvalidArgumentError naming `message`, what was found, and the user's line (`where`, or
    the innermost caller outside tapeflow)."""
    where = where or _user_line(1)
    return bind(check_numerics_p, x, message=f"{message} [at {where}]" if where else message)


def native_numerics_error(error: FloatingPointError) -> Exception:
    """What a FloatingPointError from compiled code becomes: a failed check_numerics reads
    as its eager kernel's InvalidArgumentError; any other keeps its type."""
    args = error.args
    if len(args) >= 3 and args[0] == NUMERICS_ERROR:
        _, message, kind, *position = args
        return InvalidArgumentError(numerics_message(message, kind, position))
    return error


# --------------------------------------------------------------------------------------------
# assert_that: tf.debugging's assertions on traced values (tapeflow/api/asserts.py)
# --------------------------------------------------------------------------------------------

# The first (and only) argument of the FloatingPointError a compiled assertion raises. The
# kernel cannot format the data the error shows, so the runtime runs the graph once more on
# the interpreter, whose kernel raises the full InvalidArgumentError (`failed_assertion`).
ASSERT_ERROR = "tapeflow.assert"

assert_p = Primitive(
    "assert_that", doc="cond itself, after checking that every element is true (raises); "
                       "the other inputs are the data its error shows"
)


@assert_p.def_abstract_eval
def _assert_rule(cond: ShapedArray, *data: ShapedArray, template, summarize) -> ShapedArray:
    if cond.dtype.kind != "b":
        raise OpTypeError(f"Assert: the condition must be a bool tensor, got {cond}")
    return cond


def format_data(value: np.ndarray, summarize: int) -> str:
    """A tensor as TF's Assert prints it: nested brackets, at most `summarize` elements per
    axis then `...` (`[1 -1]`, `[[1 2]...]`), numbers in their shortest form."""
    value = np.asarray(value)

    def element(v) -> str:
        if value.dtype.kind == "f":
            return f"{float(v):g}"
        if value.dtype.kind in "SU":
            return v.decode() if isinstance(v, bytes) else str(v)
        return str(v.item() if hasattr(v, "item") else v)

    def nested(v) -> str:
        if v.ndim == 0:
            return element(v)
        parts = [nested(row) for row in v[:summarize]]
        more = "..." if v.shape[0] > summarize else ""
        return "[" + " ".join(parts) + more + "]"

    return nested(value)


def assert_message(template, data, summarize: int) -> str:
    """TF's graph-mode text: `assertion failed: [message] [x (x:0) = ] [1 2] ...`, each piece
    of `template` (a string, or None for the next data tensor); strings in brackets."""
    values = iter(data)
    pieces = [format_data(next(values), summarize) if piece is None else f"[{piece}]"
              for piece in template]
    return "assertion failed: " + " ".join(pieces)


def _assert(cond, *data, template, summarize):
    if not np.all(cond):
        raise InvalidArgumentError(assert_message(template, data, summarize))
    return cond


assert_p.def_impl(_assert)


def _assert_vjp(cts, out, inputs, wanted, **params):
    return (None,) * len(inputs)  # a condition and data to show: nothing to differentiate


_assert_vjp.nondifferentiable = True
assert_p.def_vjp(_assert_vjp)


@assert_p.def_lowering
@LoopKernel
def _assert_lowering(out, ins, avals, *, template, summarize):
    # A copy of the condition that raises at its first false element; the data inputs are
    # only read by the interpreter's kernel when the runtime formats the error.
    cond = ins[0]
    out_aval = avals[0]
    names = lw.loop_vars(out_aval.ndim)
    here = lw.index(names)
    body = [
        f"_v = {cond}[{here}]",
        "if not _v:",
        f"    raise FloatingPointError({ASSERT_ERROR!r})",
        f"{out}[{here}] = _v",
    ]
    return [f"{out} = {lw.empty(out_aval.shape, lw.dtype_expr(out_aval.dtype))}"] + \
        lw.loop_nest(out_aval.shape, body)


def is_failed_assertion(error: FloatingPointError) -> bool:
    return error.args[:1] == (ASSERT_ERROR,)


def failed_assertion(run_on_interpreter, inputs) -> Exception:
    """The error of a compiled call whose assertion failed: the graph run again on the
    interpreter (`run_on_interpreter(inputs)`), whose kernel raises with the data."""
    try:
        run_on_interpreter(inputs)
    except InvalidArgumentError as e:
        return e
    return InvalidArgumentError("assertion failed")  # not reached: the same graph fails

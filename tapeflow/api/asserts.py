"""`tf.debugging`'s assertions: `assert_equal`, `assert_less`, ..., `assert_rank`, `Assert`.

What each one checks is either static or a value:

- ranks, dtypes and static sizes are known while a function traces: a failed check raises
  then, as TF's ValueError or TypeError (eagerly too, where TF does);
- values are only known when the function runs. Eagerly they are checked at once (an
  InvalidArgumentError in TF's eager text: the message, the condition, the first failing
  indices and values). Under `@tapeflow.function` the condition becomes an `assert_that`
  equation (tapeflow/ops/checks.py) that raises InvalidArgumentError from the kernel when
  the graph runs, in TF's graph text (`assertion failed: [message] [Condition x == y did
  not hold element-wise:] [x (x:0) = ] [1 2] ...`). Never a Python read of the value, which
  would record a guard and trace the function again for every new value. The check is an
  output of the graph, so it runs on every call, and a failed call commits no Variable.

Eagerly the assertions return None, as TF's; `assert_all_finite` returns its checked tensor.
"""

from __future__ import annotations

import numpy as np

from tapeflow import ops
from tapeflow.ops.checks import assert_p
from tapeflow.ops.core import InvalidArgumentError, bind
from tapeflow.tracer import tensor as tensor_module
from tapeflow.tracer.dtypes import as_dtype
from tapeflow.tracer.tensor import Tensor, convert_to_tensor

__all__ = [
    "Assert", "assert_all_finite", "assert_equal", "assert_greater", "assert_greater_equal",
    "assert_integer", "assert_less", "assert_less_equal", "assert_near", "assert_negative",
    "assert_non_negative", "assert_non_positive", "assert_none_equal", "assert_positive",
    "assert_rank", "assert_rank_at_least", "assert_rank_in", "assert_same_float_dtype",
    "assert_scalar", "assert_shapes", "assert_type", "is_numeric_tensor",
]

SUMMARIZE = 3  # TF's default number of elements an assertion's error shows


# --------------------------------------------------------------------------------------------
# Helpers: tensors, traced values, and the two ways a value check runs
# --------------------------------------------------------------------------------------------


def _tensor(x, dtype=None) -> Tensor:
    """`x` as a tensor (a Variable's current value)."""
    if isinstance(x, Tensor) and dtype is None:
        return x
    return convert_to_tensor(x, dtype=dtype)


def _traced(*xs) -> bool:
    """Whether any of `xs` is a value of the function being traced (known only at run)."""
    return any(tensor_module.is_traced_value(x) for x in xs)


def _graph_name(x) -> str:
    """TF's name of `x` in the graph being traced (`x:0`), or "" for an eager value."""
    hook = tensor_module.graph_name_hook.value
    return (hook(x) if hook is not None else None) or ""


def _label(what: str, x) -> str:
    """`x (x:0) = ` for a value of the graph, `y = ` for a constant (TF's data labels)."""
    name = _graph_name(x)
    return f"{what} ({name}) = " if name else f"{what} = "


def _summarize(summarize) -> int:
    return SUMMARIZE if summarize is None else int(summarize)


def _describe(x) -> str:
    """`shape=(3,) dtype=float32`, as TF's messages describe a tensor."""
    return f"shape={tuple(x.shape)} dtype={x.dtype.name}"


def check_in_kernel(cond, template: tuple, data: list, summarize) -> None:
    """Under a trace: record `cond` (a traced bool tensor) as an in-kernel check whose
    error is `template` (strings, None for each of `data` in turn) and keep it running on
    every call (runtime/trace.py: keep_check)."""
    from tapeflow.runtime.trace import keep_check

    checked = bind(assert_p, cond, *[_tensor(d) for d in data], template=tuple(template),
                   summarize=_summarize(summarize))
    keep_check(checked)


def _text(message) -> str:
    return "" if message is None else str(message)


# --------------------------------------------------------------------------------------------
# Comparisons of two tensors
# --------------------------------------------------------------------------------------------

_COMPARISONS = {
    "==": (ops.equal, np.equal), "!=": (ops.not_equal, np.not_equal),
    "<": (ops.less, np.less), "<=": (ops.less_equal, np.less_equal),
    ">": (ops.greater, np.greater), ">=": (ops.greater_equal, np.greater_equal),
}


def _binary_assert(symbol: str, x, y, message, summarize) -> None:
    op, _ = _COMPARISONS[symbol]
    x, y = _tensor(x), _tensor(y)
    cond = op(x, y)  # dtype and shape errors: the comparison's own, as TF's
    condition = f"Condition x {symbol} y did not hold"
    if _traced(x, y, cond):
        template = ([] if message is None else [_text(message)]) + [
            f"{condition} element-wise:", _label("x", x), None,
            _label("y", y), None]
        check_in_kernel(cond, template, [x, y], summarize)
        return None
    holds = np.asarray(cond.numpy())
    if holds.all():
        return None
    n = _summarize(summarize)
    xv, yv = (np.broadcast_to(t.numpy(), holds.shape) for t in (x, y))
    failing = np.argwhere(~holds)[:n]
    at = tuple(failing.T)
    lines = [] if message is None else [_text(message)]
    lines += [f"{condition}.", f"Indices of first {len(failing)} different values:",
              str(failing), "Corresponding x values:", str(xv[at]),
              "Corresponding y values:", str(yv[at]),
              f"First {n} elements of x:", str(np.ravel(x.numpy())[:n]),
              f"First {n} elements of y:", str(np.ravel(y.numpy())[:n])]
    raise InvalidArgumentError("\n".join(lines))


def assert_equal(x, y, message=None, summarize=None, name=None):
    """InvalidArgumentError unless x == y element-wise (broadcasting)."""
    return _binary_assert("==", x, y, message, summarize)


def assert_none_equal(x, y, summarize=None, message=None, name=None):
    """InvalidArgumentError unless x != y element-wise."""
    return _binary_assert("!=", x, y, message, summarize)


def assert_less(x, y, message=None, summarize=None, name=None):
    """InvalidArgumentError unless x < y element-wise."""
    return _binary_assert("<", x, y, message, summarize)


def assert_less_equal(x, y, message=None, summarize=None, name=None):
    """InvalidArgumentError unless x <= y element-wise."""
    return _binary_assert("<=", x, y, message, summarize)


def assert_greater(x, y, message=None, summarize=None, name=None):
    """InvalidArgumentError unless x > y element-wise."""
    return _binary_assert(">", x, y, message, summarize)


def assert_greater_equal(x, y, message=None, summarize=None, name=None):
    """InvalidArgumentError unless x >= y element-wise."""
    return _binary_assert(">=", x, y, message, summarize)


# --------------------------------------------------------------------------------------------
# Signs of one tensor
# --------------------------------------------------------------------------------------------


def _sign_assert(symbol: str, x, message, summarize) -> None:
    op, _ = _COMPARISONS[symbol]
    x = _tensor(x)
    cond = op(x, ops.zeros_like(x))
    condition = f"Condition x {symbol} 0 did not hold element-wise:"
    if _traced(x, cond):
        template = ([] if message is None else [_text(message)]) + [
            condition, _label("x", x), None]
        check_in_kernel(cond, template, [x], summarize)
        return None
    if np.asarray(cond.numpy()).all():
        return None
    n = _summarize(summarize)
    values = [str(v) for v in np.ravel(x.numpy())[:n]]
    raise InvalidArgumentError("\n".join([
        _text(message), condition, f"x ({_describe(x)}) = ", str(values)]))


def assert_positive(x, message=None, summarize=None, name=None):
    """InvalidArgumentError unless every element of x is > 0."""
    return _sign_assert(">", x, message, summarize)


def assert_negative(x, message=None, summarize=None, name=None):
    """InvalidArgumentError unless every element of x is < 0."""
    return _sign_assert("<", x, message, summarize)


def assert_non_negative(x, message=None, summarize=None, name=None):
    """InvalidArgumentError unless every element of x is >= 0."""
    return _sign_assert(">=", x, message, summarize)


def assert_non_positive(x, message=None, summarize=None, name=None):
    """InvalidArgumentError unless every element of x is <= 0."""
    return _sign_assert("<=", x, message, summarize)


def assert_near(x, y, rtol=None, atol=None, message=None, summarize=None, name=None):
    """InvalidArgumentError unless |x - y| <= atol + rtol * |y| element-wise; the default
    tolerances are 10 machine epsilons of the dtype, as TF's."""
    x, y = _tensor(x), _tensor(y)
    if x.dtype != y.dtype:
        raise TypeError(f"assert_near: x and y must have the same dtype, got {x.dtype.name} "
                        f"and {y.dtype.name}")
    dtype = x.dtype.as_numpy_dtype
    eps = 10 * np.finfo(dtype).eps if np.issubdtype(dtype, np.inexact) else 0
    rtol = _tensor(eps if rtol is None else rtol, dtype=x.dtype)
    atol = _tensor(eps if atol is None else atol, dtype=x.dtype)
    cond = ops.reduce_all(ops.less_equal(ops.abs(x - y), atol + rtol * ops.abs(y)))
    # TF shows the tolerances as tensors (a traced one by its graph name: no value read).
    tolerance = f"x and y not equal to tolerance rtol = {rtol}, atol = {atol}"
    if _traced(x, y, cond, rtol, atol):
        template = ([] if message is None else [_text(message)]) + [
            tolerance, _label("x", x), None, _label("y", y), None]
        check_in_kernel(cond, template, [x, y], summarize)
        return None
    return _eager_assert(cond, [_text(message), tolerance, f"x ({_describe(x)}) = ", x,
                                f"y ({_describe(y)}) = ", y], summarize)


def assert_all_finite(x, message, name=None):
    """`x`, checked to hold no nan or inf (tf.debugging.check_numerics)."""
    from tapeflow.api.debugging import check_numerics

    return check_numerics(x, message)


# --------------------------------------------------------------------------------------------
# Static checks: dtypes, ranks, shapes
# --------------------------------------------------------------------------------------------


def _prefix(message) -> str:
    return f"{message}.  " if message else ""  # TF's separator


def is_numeric_tensor(tensor) -> bool:
    """Whether `tensor` is a tensor of a numeric dtype (not bool, not string)."""
    if not isinstance(tensor, Tensor) and not hasattr(tensor, "_read"):
        return False
    dtype = tensor.dtype
    return bool(dtype.is_floating or dtype.is_integer or dtype.is_complex)


def assert_integer(x, message=None, name=None):
    """TypeError unless `x` has an integer dtype."""
    x = _tensor(x)
    if not x.dtype.is_integer:
        what = _graph_name(x) or "tensor"
        raise TypeError(f'{_prefix(message)}Expected "x" to be integer type.  Found: {what} of '
                        f"dtype {x.dtype}")


def assert_type(tensor, tf_type, message=None, name=None):
    """TypeError unless `tensor` has dtype `tf_type`."""
    t = _tensor(tensor)
    expected = as_dtype(tf_type)
    if t.dtype != expected:
        what = _graph_name(t) or "tensor"
        raise TypeError(f"{_prefix(message)}{what} must be of type {expected!r}; "
                        f"got {t.dtype!r}")


def assert_scalar(tensor, message=None, name=None):
    """ValueError unless `tensor` is a scalar (rank 0)."""
    t = _tensor(tensor)
    if len(t.shape) != 0:
        raise ValueError(f"{_prefix(message)}Expected scalar shape, saw shape: "
                         f"{tuple(t.shape)}.")


def _static_rank(rank, op: str) -> int:
    if isinstance(rank, Tensor):
        if _traced(rank):
            raise ValueError(f"{op}: the rank must be known when the function is traced "
                             "(a Python int or a constant)")
        rank = rank.numpy()
    return int(rank)


def _rank_error(x, message, requirement: str):
    rank = len(x.shape)
    return ValueError(f"{_prefix(message)}Tensor {_graph_name(x)} must have {requirement}.  "
                      f"Received rank {rank}, shape {tuple(x.shape)}")


def assert_rank(x, rank, message=None, name=None):
    """ValueError unless `x` has rank `rank` (known when tracing: a static check)."""
    x = _tensor(x)
    rank = _static_rank(rank, "assert_rank")
    if len(x.shape) != rank:
        raise _rank_error(x, message, f"rank {rank}")


def assert_rank_at_least(x, rank, message=None, name=None):
    """ValueError unless `x` has rank >= `rank`."""
    x = _tensor(x)
    rank = _static_rank(rank, "assert_rank_at_least")
    if len(x.shape) < rank:
        raise _rank_error(x, message, f"rank at least {rank}")


def assert_rank_in(x, ranks, message=None, name=None):
    """ValueError unless the rank of `x` is one of `ranks`."""
    x = _tensor(x)
    ranks = tuple(_static_rank(r, "assert_rank_in") for r in ranks)
    if len(x.shape) not in ranks:
        raise _rank_error(x, message, f"rank in {ranks}")


def assert_same_float_dtype(tensors=None, dtype=None):
    """The float dtype shared by `tensors` (and `dtype`); float32 when there are none;
    ValueError when they differ or the dtype is not a float."""
    tensors = list(tensors or [])
    expected = as_dtype(dtype) if dtype is not None else None
    first = None
    for t in tensors:
        if expected is None:
            expected, first = t.dtype, t
        elif t.dtype != expected:
            against = f" as {first!s}" if first is not None else ""
            raise ValueError(f"{t!s}, type={t.dtype!s}, must be of the same type "
                             f"({expected!s}){against}.")
    if expected is None:
        return as_dtype("float32")
    if not expected.is_floating:
        raise ValueError(f"Expected floating point type, got {expected!s}.")
    return expected


def assert_shapes(shapes, data=None, summarize=None, message=None, name=None):
    """Check that tensors have the given shapes, sizes named by strings shared among them:
    `assert_shapes([(x, ("N", "D")), (y, ("N",))])`. A spec may start with "..." for any
    leading axes; a size of 1 in a spec also matches a scalar, as in TF. Static sizes are
    checked now (ValueError); a size unknown while tracing (input_signature with None) is
    checked in the kernel when the function runs."""
    items = list(shapes.items()) if isinstance(shapes, dict) else list(shapes)
    bound: dict = {}  # a symbol -> (its size, the tensor that set it, the axis)
    for tensor, spec in items:
        x = _tensor(tensor)
        spec = [spec] if isinstance(spec, (int, str)) else list(spec)
        shape = tuple(x.shape)
        leading = bool(spec) and spec[0] == "..."
        if leading:
            spec = spec[1:]
        if not shape and all(s == 1 for s in spec):
            continue  # TF: a scalar satisfies a spec of ones
        if (len(shape) < len(spec)) if leading else (len(shape) != len(spec)):
            which = "at least " if leading else ""
            raise ValueError(f"{_prefix(message)}Specified by tensor {_describe_tensor(x)} "
                             f"dimension 0.  Tensor {_describe_tensor(x)} must have rank "
                             f"{which}{len(spec)}.  Received rank {len(shape)}, shape {shape}")
        offset = len(shape) - len(spec)
        for k, size in enumerate(spec):
            axis = offset + k
            if size is None or size == ".":
                continue
            if isinstance(size, str):
                if size not in bound:
                    bound[size] = (x.aval.shape[axis], x, axis)
                    continue
                want, by, by_axis = bound[size]
            else:
                want, by, by_axis = int(size), x, axis
            _check_size(x, axis, want, by, by_axis, message)


def _describe_tensor(x) -> str:
    name = _graph_name(x)
    return f"{name} {_describe(x)}".strip() if name else _describe(x)


def _check_size(x, axis, want, by, by_axis, message) -> None:
    have = x.aval.shape[axis]  # an int, or a Dim while tracing for any size (ops/dims.py)
    if isinstance(have, int) and isinstance(want, int):
        if have != want:
            raise ValueError(
                f"{_prefix(message)}Specified by tensor {_describe_tensor(by)} dimension "
                f"{by_axis}.  Tensor {_describe_tensor(x)} dimension {axis} must have size "
                f"{want}.  Received size {have}, shape {tuple(x.shape)}")
        return
    # A size unknown while tracing (a symbolic size): compared when the function runs.
    have_t = ops.shape(x)[axis]
    want_t = ops.shape(by)[by_axis] if not isinstance(want, int) else want
    template = ([] if message is None else [_text(message)]) + [
        f"dimension {axis} of {_describe_tensor(x)} must equal dimension {by_axis} of "
        f"{_describe_tensor(by)}:", None, None]
    check_in_kernel(ops.equal(have_t, want_t), template, [have_t, want_t], None)


# --------------------------------------------------------------------------------------------
# tf.debugging.Assert
# --------------------------------------------------------------------------------------------


def _eager_piece(d, summarize: int) -> str:
    """One item of an eager Assert's data, as TF prints it: a tensor's first elements
    joined by ", ", a string as its bytes."""
    if isinstance(d, str):
        return repr(d.encode())
    if isinstance(d, bytes):
        return repr(d)
    values = np.ravel(_tensor(d).numpy())
    show = repr if values.dtype.kind in "SO" else str
    more = [", ..."] if values.size > summarize else []
    return ", ".join(show(v) for v in values[:summarize]) + "".join(more)


def _eager_assert(cond, data, summarize):
    if bool(np.all(_tensor(cond).numpy())):
        return None
    n = _summarize(summarize)
    shown = "tf.Tensor(False, shape=(), dtype=bool)"
    raise InvalidArgumentError(f"Expected '{shown}' to be true. Summarized data: "
                               + "\n".join(_eager_piece(d, n) for d in data))


def Assert(condition, data, summarize=None, name=None):  # noqa: N802 - TensorFlow's name
    """InvalidArgumentError showing `data` (tensors and strings) unless the bool
    `condition` (a scalar; TF accepts any shape, all true) is true."""
    cond = _tensor(condition)
    if cond.dtype.name != "bool":
        raise TypeError(f"Assert: the condition must be bool, got {cond.dtype.name}")
    data = list(data)
    tensors = [d for d in data if not isinstance(d, (str, bytes))]
    if _traced(cond, *tensors):
        template = [(d.decode() if isinstance(d, bytes) else d)
                    if isinstance(d, (str, bytes)) else None for d in data]
        check_in_kernel(cond, template, tensors, summarize)
        return None
    return _eager_assert(cond, data, summarize)

"""`tf.print`: TensorFlow's text for tensors, eagerly and as an effect of a compiled call.

TensorFlow formats a tensor's values itself (not with numpy): floats in `%g` style with as
few digits as read back the same (`2`, `0.1`, `0.333333343` in float32), booleans as 1 and 0,
scalar strings bare and strings inside a tensor quoted, rows on lines of their own, and only
the first and last `summarize` (default 3) entries of a long axis with `...` between. Python
values print as Python prints them, with any tensor inside formatted as above. The default
stream is stderr, as TensorFlow's.

Inside a function being traced, `tf.print` prints at once (the trace runs the real values)
and records itself as an effect of the graph: every later call of the compiled function
prints again, after the call's guards hold (tapeflow/runtime/effects.py).
"""

from __future__ import annotations

import sys

import numpy as np

from tapeflow.ops.core import is_tracer as _is_tracer


def _float_text(x, double: bool) -> str:
    """TensorFlow's text for a float: `%g` with the fewest digits of two choices that read
    back as the same number: 6 then 9 significant digits for float32 (and the 16-bit types),
    15 then 17 for float64 (0.1 -> 0.1, 1/3 -> 0.333333343 or 0.33333333333333331)."""
    short, full, kind = (15, 17, np.float64) if double else (6, 9, np.float32)
    text = f"{float(x):.{short}g}"
    if np.isfinite(x) and kind(text) != kind(x):
        text = f"{float(x):.{full}g}"
    return text


def _scalar_text(x, dtype: np.dtype, quote: bool) -> str:
    if dtype.kind == "b":
        return "1" if x else "0"
    if dtype.kind == "f" or dtype.name == "bfloat16":
        return _float_text(x, dtype == np.float64)
    if dtype.kind == "c":
        return "?"  # TensorFlow's tf.print has no text for complex values
    if dtype.kind in "OSU":
        text = x.decode("utf-8", "backslashreplace") if isinstance(x, bytes) else str(x)
        return f'"{text}"' if quote else text
    return str(x)


def format_array(value: np.ndarray, summarize: int = 3) -> str:
    """A tensor's value as tf.print writes it."""
    value = np.asarray(value)
    if value.ndim == 0:
        return _scalar_text(value[()], value.dtype, quote=False)
    return _format_axis(value, summarize, indent=1)


def _format_axis(value: np.ndarray, summarize: int, indent: int) -> str:
    n = value.shape[0]
    if summarize >= 0 and n > 2 * summarize:
        head, tail = list(range(summarize)), list(range(n - summarize, n))
    else:
        head, tail = list(range(n)), []
    if value.ndim == 1:
        parts = [_scalar_text(value[i], value.dtype, quote=True) for i in head]
        if tail:
            parts += ["..."] + [_scalar_text(value[i], value.dtype, quote=True) for i in tail]
        return "[" + " ".join(parts) + "]"
    sep = "\n" + " " * indent
    parts = [_format_axis(value[i], summarize, indent + 1) for i in head]
    if tail:
        parts += ["..."] + [_format_axis(value[i], summarize, indent + 1) for i in tail]
    return "[" + sep.join(parts) + "]"


def format_value(x, summarize: int = 3, inside: bool = False) -> str:
    """Any argument of tf.print: tensors as TF formats them, Python values as Python does
    (containers walked, so a tensor inside a list is formatted as a tensor; a string inside
    one is quoted, as Python's str of the list quotes it)."""
    if _is_tracer(x):
        return format_array(x._concrete(), summarize)
    if isinstance(x, np.ndarray):
        return format_array(x, summarize)
    if isinstance(x, dict):
        return "{" + ", ".join(f"{k!r}: {format_value(v, summarize, True)}"
                               for k, v in x.items()) + "}"
    if isinstance(x, tuple):
        inner = ", ".join(format_value(v, summarize, True) for v in x)
        return f"({inner},)" if len(x) == 1 else f"({inner})"
    if isinstance(x, list):
        return "[" + ", ".join(format_value(v, summarize, True) for v in x) + "]"
    return repr(x) if inside and isinstance(x, str | bytes) else str(x)


def _stream(output_stream):
    """Where to write: None for stderr (looked up when writing, so a redirected
    sys.stderr is honoured on every later compiled call too), a stream, or a file path."""
    if output_stream is None or output_stream is sys.stderr:
        return None
    if isinstance(output_stream, str):
        if output_stream.startswith("file://"):
            return output_stream[len("file://"):]
        raise ValueError(
            f"print: output_stream {output_stream!r} is not supported (use sys.stdout, "
            "sys.stderr, a file object or 'file://PATH')")
    if hasattr(output_stream, "write"):
        return output_stream
    raise TypeError(f"print: output_stream must be a stream or 'file://PATH', got "
                    f"{type(output_stream).__name__}")


class _CurrentStdout:
    """sys.stdout as it is when a loaded SavedModel's tf.print writes (a redirect made after
    the load is honoured, as for the default stderr)."""

    def write(self, text: str) -> None:
        sys.stdout.write(text)

    def __repr__(self) -> str:
        return "<sys.stdout>"


CURRENT_STDOUT = _CurrentStdout()


def render(inputs, sep: str, end: str, summarize: int) -> str:
    return sep.join(format_value(x, summarize) for x in inputs) + end


def write(text: str, stream) -> None:
    if stream is None:
        sys.stderr.write(text)
    elif isinstance(stream, str):
        with open(stream, "a", encoding="utf-8") as f:
            f.write(text)
    else:
        stream.write(text)


def print_(*inputs, output_stream=None, summarize=3, sep=" ", end="\n", name=None):
    """`tf.print`: print tensors and Python values (see the module docstring)."""
    if not isinstance(sep, str) or not isinstance(end, str):
        raise TypeError("print: sep and end must be strings")
    if summarize is None:
        summarize = 3
    if not isinstance(summarize, int) or isinstance(summarize, bool):
        raise TypeError(f"print: summarize must be an int (-1 for everything), got "
                        f"{summarize!r}")
    stream = _stream(output_stream)
    from tapeflow.runtime import effects

    if effects.record_print(inputs, sep, end, summarize, stream):
        return
    write(render(inputs, sep, end, summarize), stream)
    return

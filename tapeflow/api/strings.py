"""`tf.strings`: text ops on string tensors, eagerly.

String tensors hold bytes (UTF-8 for text), as TensorFlow's. These ops run on the host with
Python's string methods; they are not primitives, so no graph can hold them: inside a
`tapeflow.function` they work on values that do not depend on the function's arguments or
variables (those are constants of the trace) and raise a clear error for any that do.
"""

from __future__ import annotations

import builtins  # this module's `format` is tf.strings.format
import re

import numpy as np

from tapeflow.ops.core import STRING, OpTypeError
from tapeflow.ops.core import canonical_dtype as _canonical_dtype
from tapeflow.ops.core import dtype_name as _dtype_name
from tapeflow.ops.core import is_tracer as _is_tracer
from tapeflow.ops.errors import InvalidArgumentError
from tapeflow.tracer.tensor import convert_to_tensor as _convert_to_tensor
from tapeflow.tracer.tensor import make_constant as _make_constant

_UNITS = ("BYTE", "UTF8_CHAR")


def _text(x, op: str, arg: str = "input") -> np.ndarray:
    """The bytes array of a string tensor argument (or Python text), checked."""
    if isinstance(x, str | bytes) or (isinstance(x, list | tuple) and not _is_tracer(x)):
        x = _convert_to_tensor(x)
    if not _is_tracer(x):
        arr = np.asarray(x)
        if arr.dtype.kind not in "USO":
            raise OpTypeError(f"strings.{op}: {arg} must be a string tensor, got "
                              f"{type(x).__name__} of dtype {arr.dtype.name}")
        x = _convert_to_tensor(arr)
    if x.aval.dtype != STRING:
        raise OpTypeError(f"strings.{op}: {arg} must be a string tensor, got "
                          f"{_dtype_name(x.aval.dtype)}{list(x.aval.shape)}")
    _refuse_traced(x, op, arg)
    return x._concrete()


def _refuse_traced(x, op: str, arg: str) -> None:
    from tapeflow.runtime.trace import active_trace

    trace = active_trace()
    value = x._read() if hasattr(x, "_read") else x
    if trace is not None and value._var in trace.recorder._watched:
        raise OpTypeError(
            f"strings.{op}: string tensors are eager only, and {arg} depends on the "
            "arguments or variables of the tapeflow.function being traced, so compiled code "
            "would need it as a string on every call. Run string processing outside the "
            "function (or with tf.config.run_functions_eagerly(True))")


def _map(arr: np.ndarray, fn, dtype=object) -> np.ndarray:
    out = np.empty(arr.shape, dtype=dtype)
    for i, s in enumerate(arr.flat):
        out.flat[i] = fn(s)
    return out


def _decode(b: bytes, op: str) -> str:
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidArgumentError(f"strings.{op}: {b!r:.40} is not valid UTF-8") from None


def length(input, unit="BYTE", name=None):
    """The length of each string, in bytes or (unit='UTF8_CHAR') in characters."""
    if unit not in _UNITS:
        raise ValueError(f"strings.length: unit must be one of {_UNITS}, got {unit!r}")
    arr = _text(input, "length")
    count = len if unit == "BYTE" else (lambda b: len(_decode(b, "length")))
    return _make_constant(_map(arr, count, np.int32))


def upper(input, encoding="", name=None):
    arr = _text(input, "upper")
    return _make_constant(_map(arr, lambda b: _decode(b, "upper").upper().encode()
                              if encoding else b.upper()))


def lower(input, encoding="", name=None):
    arr = _text(input, "lower")
    return _make_constant(_map(arr, lambda b: _decode(b, "lower").lower().encode()
                              if encoding else b.lower()))


def strip(input, name=None):
    """Leading and trailing whitespace removed."""
    return _make_constant(_map(_text(input, "strip"), bytes.strip))


def join(inputs, separator="", name=None):
    """Elementwise join of a list of string tensors (broadcast against each other)."""
    if not isinstance(inputs, list | tuple) or not inputs:
        raise TypeError("strings.join: inputs must be a non-empty list of string tensors")
    arrays = np.broadcast_arrays(*[_text(x, "join", f"inputs[{i}]")
                                   for i, x in enumerate(inputs)])
    sep = separator.encode() if isinstance(separator, str) else bytes(separator)
    out = np.empty(arrays[0].shape, dtype=object)
    for index in np.ndindex(out.shape):
        out[index] = sep.join(a[index] for a in arrays)
    return _make_constant(out)


def reduce_join(inputs, axis=None, keepdims=False, separator="", name=None):
    """Strings joined along `axis` (all of them when None)."""
    arr = _text(inputs, "reduce_join")
    sep = separator.encode() if isinstance(separator, str) else bytes(separator)
    if axis is None:
        out = np.empty((), dtype=object)
        out[()] = sep.join(arr.flat)
        if keepdims:
            out = out.reshape((1,) * arr.ndim)
        return _make_constant(out)
    axis = int(axis)
    if not -arr.ndim <= axis < arr.ndim:
        raise InvalidArgumentError(f"strings.reduce_join: axis {axis} is out of range for "
                                   f"rank {arr.ndim}")
    moved = np.moveaxis(arr, axis, -1)
    out = np.empty(moved.shape[:-1], dtype=object)
    for index in np.ndindex(out.shape):
        out[index] = sep.join(moved[index])
    if keepdims:
        out = np.expand_dims(out, axis)
    return _make_constant(out)


def split(input, sep=None, maxsplit=-1, name=None):
    """Split each string at `sep` (runs of whitespace when None): a vector for a scalar
    input, a RaggedTensor with one row per string for a vector."""
    from tapeflow.api.ragged import RaggedTensor

    arr = _text(input, "split")
    if arr.ndim > 1:
        raise ValueError(f"strings.split: input must be a scalar or vector, got rank {arr.ndim}")
    if sep is not None:
        sep = sep.encode() if isinstance(sep, str) else bytes(sep)
        if not sep:
            raise ValueError("strings.split: sep must not be empty (use strings.bytes_split)")

    def parts(b):
        return b.split(sep, maxsplit) if maxsplit >= 0 else b.split(sep)

    if arr.ndim == 0:
        return _make_constant(np.array(parts(arr[()]) + [], dtype=object).reshape(-1))
    rows = [parts(b) for b in arr]
    flat = np.empty(sum(len(r) for r in rows), dtype=object)
    flat[:] = [p for r in rows for p in r]
    return RaggedTensor.from_row_lengths(flat, [len(r) for r in rows])


def bytes_split(input, name=None):
    """Each string as a vector of one-byte strings (a RaggedTensor for a vector input)."""
    from tapeflow.api.ragged import RaggedTensor

    arr = _text(input, "bytes_split")
    if arr.ndim == 0:
        out = np.empty(len(arr[()]), dtype=object)
        out[:] = [bytes([c]) for c in arr[()]]
        return _make_constant(out)
    rows = [[bytes([c]) for c in b] for b in arr.reshape(-1)]
    flat = np.empty(sum(len(r) for r in rows), dtype=object)
    flat[:] = [p for r in rows for p in r]
    return RaggedTensor.from_row_lengths(flat, [len(r) for r in rows])


def unicode_split(input, input_encoding="UTF-8", errors="replace", name=None):
    """Each string as a vector of its characters (each UTF-8 encoded)."""
    from tapeflow.api.ragged import RaggedTensor

    arr = _text(input, "unicode_split")
    chars = [[c.encode() for c in _decode(b, "unicode_split")] for b in arr.reshape(-1)]
    if arr.ndim == 0:
        out = np.empty(len(chars[0]), dtype=object)
        out[:] = chars[0]
        return _make_constant(out)
    flat = np.empty(sum(len(r) for r in chars), dtype=object)
    flat[:] = [p for r in chars for p in r]
    return RaggedTensor.from_row_lengths(flat, [len(r) for r in chars])


def unicode_decode(input, input_encoding="UTF-8", errors="replace", name=None):
    """Each string as a vector of its code points (int32)."""
    from tapeflow.api.ragged import RaggedTensor

    arr = _text(input, "unicode_decode")
    codes = [[ord(c) for c in _decode(b, "unicode_decode")] for b in arr.reshape(-1)]
    if arr.ndim == 0:
        return _make_constant(np.array(codes[0], dtype=np.int32))
    return RaggedTensor.from_row_lengths(
        np.array([c for r in codes for c in r], dtype=np.int32), [len(r) for r in codes])


def to_number(string_tensor, out_type=np.float32, name=None):
    """Each string parsed as a number of `out_type` (float32 by default)."""
    dtype = _canonical_dtype(out_type)
    if dtype.kind not in "fiu":
        raise OpTypeError(f"strings.to_number: out_type must be a float or integer dtype, "
                          f"got {_dtype_name(dtype)}")
    arr = _text(string_tensor, "to_number", "string_tensor")
    parse = float if dtype.kind == "f" else int

    def convert(b):
        try:
            return parse(b.decode("utf-8").strip())
        except (ValueError, UnicodeDecodeError):
            raise InvalidArgumentError(
                "StringToNumberOp could not correctly convert string: "
                f"{b.decode('utf-8', 'replace')}") from None

    return _make_constant(_map(arr, convert).astype(dtype))


def as_string(input, precision=-1, scientific=False, shortest=False, width=-1, fill="",
              name=None):
    """Numbers (or bools) as strings, formatted as TensorFlow's AsString: floats with six
    decimals unless `precision`, `scientific` or `shortest` say otherwise."""
    x = _convert_to_tensor(input) if not _is_tracer(input) else input
    if x.aval.dtype == STRING:
        raise OpTypeError("strings.as_string: input is already a string tensor")
    _refuse_traced(x, "as_string", "input")
    arr = x._concrete()
    if arr.dtype.kind == "f":
        if shortest:
            spec = "g"
        else:
            spec = (f".{precision}" if precision >= 0 else ".6") + ("e" if scientific else "f")
    else:
        spec = ""
    width_spec = f"{fill or ''}>{width}" if width > 0 else ""

    def fmt(v):
        if arr.dtype.kind == "b":
            text = "true" if v else "false"
        else:
            text = builtins.format(v.item() if hasattr(v, "item") else v, spec)
        return builtins.format(text, width_spec).encode() if width_spec else text.encode()

    return _make_constant(_map(arr, fmt))


def substr(input, pos, len, unit="BYTE", name=None):
    """`len` bytes (or characters) of each string from `pos` (negative counts from the end)."""
    if unit not in _UNITS:
        raise ValueError(f"strings.substr: unit must be one of {_UNITS}, got {unit!r}")
    arr = _text(input, "substr")
    pos, n = int(pos), int(len)

    def cut(b):
        s = b if unit == "BYTE" else _decode(b, "substr")
        size = s.__len__()
        start = pos + size if pos < 0 else pos
        if not 0 <= start <= size:
            raise InvalidArgumentError(f"strings.substr: pos {pos} out of range for string "
                                       f"{b!r} of length {size}")
        part = s[start:start + n]
        return part if unit == "BYTE" else part.encode()

    return _make_constant(_map(arr, cut))


def regex_replace(input, pattern, rewrite, replace_global=True, name=None):
    """Matches of `pattern` replaced by `rewrite` (`\\1` for groups, as RE2's)."""
    arr = _text(input, "regex_replace")
    try:
        compiled = re.compile(pattern.encode() if isinstance(pattern, str) else pattern)
    except re.error as e:
        raise InvalidArgumentError(f"strings.regex_replace: bad pattern {pattern!r}: {e}") \
            from None
    repl = rewrite.encode() if isinstance(rewrite, str) else rewrite
    count = 0 if replace_global else 1
    return _make_constant(_map(arr, lambda b: compiled.sub(repl, b, count=count)))


def regex_full_match(input, pattern, name=None):
    arr = _text(input, "regex_full_match")
    compiled = re.compile(pattern.encode() if isinstance(pattern, str) else pattern)
    return _make_constant(_map(arr, lambda b: compiled.fullmatch(b) is not None, np.bool_))


# --------------------------------------------------------------------------------------------
# format: tensors summarised into a template, as TF's StringFormat kernel writes them
# --------------------------------------------------------------------------------------------


def format(template, inputs, placeholder="{}", summarize=3, name=None):
    """`tf.strings.format`: `template` with each `placeholder` replaced by the next input's
    text, a scalar string tensor. A tensor's text is TF's Tensor::SummarizeValue (print_v2):
    numpy-like brackets without column padding, at most `summarize` elements at each end of
    every axis with `...` between (-1: all), floats in the fewest of 6 or 9 significant
    digits (15 or 17 for float64) that read back as the same value, bools as 1 and 0,
    strings quoted and C-escaped. The placeholder is plain text (no `{{` escapes)."""
    if _is_tracer(inputs):  # a lone tensor is wrapped in a list, as TF
        inputs = [inputs]
    expected = template.count(placeholder)
    if expected != len(inputs):  # len() of a Python scalar is TF's TypeError too
        raise ValueError(f"The template expects {expected} tensors, but the inputs only has "
                         f"{len(inputs)}. Please ensure the number of placeholders in "
                         "template matches inputs length.")
    pieces = template.split(placeholder)
    out = [pieces[0]]
    for i, (x, rest) in enumerate(zip(inputs, pieces[1:])):
        x = x if _is_tracer(x) else _convert_to_tensor(x)
        _refuse_traced(x, "format", f"inputs[{i}]")
        out += [_summarize(np.asarray(x._concrete()), int(summarize)), rest]
    text = np.empty((), dtype=object)
    text[()] = "".join(out).encode("utf-8", "surrogateescape")
    return _make_constant(text)


def _summarize(arr: np.ndarray, summarize: int) -> str:
    """TF's SummarizeValue(summarize, print_v2=True) of one tensor's values."""
    element = _element_text(arr.dtype)
    # `limit` elements at most, and that many at each end of every axis.
    limit = arr.size if summarize < 0 else min(summarize, arr.size)
    if arr.ndim == 0:
        return (element(arr[()]) if limit else "") + ("..." if arr.size > limit else "")
    return _summarize_axis(arr, limit, (), element)


def _summarize_axis(arr: np.ndarray, ends: int, index: tuple, element) -> str:
    """TF's PrintOneDimV2 for the block arr[index]: the first and last `ends` entries of
    the next axis, `...` between when some are left out. Entries of the last axis are
    separated by a space; blocks of an outer axis by as many newlines as axes below it,
    then one space per depth."""
    axis = len(index)
    if axis == arr.ndim:
        return element(arr[index])
    count = arr.shape[axis]
    below = arr.ndim - axis - 1  # axes below this one
    gap = " " if below == 0 else "\n" * below + " " * (axis + 1)
    text = gap.join(_summarize_axis(arr, ends, index + (i,), element)
                    for i in range(min(ends, count)))
    # As TF, the gap goes before `...` and each later entry even when nothing precedes
    # them (summarize=0 prints "[ ...]").
    if count > 2 * ends:
        text += gap + "..."
    for i in range(max(ends, count - ends), count):
        text += gap + _summarize_axis(arr, ends, index + (i,), element)
    return "[" + text + "]"


def _element_text(dtype: np.dtype):
    """One element as TF's PrintOneElement writes it (strings::StrCat of the value)."""
    if dtype.kind == "f":
        # TF's FloatToBuffer / DoubleToBuffer: %.6g (%.15g) unless that does not read back
        # as the same value, then %.9g (%.17g). float16 is printed as its float32 value.
        short, full, kind = (15, 17, np.float64) if dtype == np.float64 else (6, 9, np.float32)

        def text(v):
            v = kind(v)
            s = f"{v:.{short}g}"
            return s if kind(float(s)) == v else f"{v:.{full}g}"

        return text
    if dtype.kind == "b":
        return lambda v: "1" if v else "0"
    if dtype.kind in "iu":
        return lambda v: str(int(v))
    if dtype.kind in "OSU":
        return lambda v: '"' + _c_escape(v if isinstance(v, bytes) else str(v).encode()) + '"'
    return lambda v: "?"  # complex numbers: TF's kernel has no text for them either


_ESCAPES = {ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t", ord('"'): '\\"',
            ord("'"): "\\'", ord("\\"): "\\\\"}


def _c_escape(b: bytes) -> str:
    """absl::Utf8SafeCEscape: C escapes for quotes, backslashes and control bytes (octal);
    bytes >= 0x80 (UTF-8) are kept."""
    out = bytearray()
    for c in b:
        if c in _ESCAPES:
            out += _ESCAPES[c].encode()
        elif c < 0x20 or c == 0x7F:
            out += f"\\{c:03o}".encode()
        else:
            out.append(c)
    return out.decode("utf-8", "surrogateescape")  # any bytes survive the join

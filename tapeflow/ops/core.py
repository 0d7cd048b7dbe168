"""The primitive registry and `bind`, the one entry point every tensor operation goes through.

A `Primitive` carries four rules, registered right after its definition in `ops/<family>.py`:

1. ``abstract_eval(*avals, **params) -> aval | tuple[aval, ...]``: shapes and dtypes, and every
   check that makes a bad call fail with a clear error before any kernel runs;
2. ``impl(*arrays, **params) -> ndarray | tuple[ndarray, ...]``: the eager numpy kernel;
3. ``vjp(cts, out, inputs, wanted, **params) -> tuple``: the cotangent of each input, built with
   tapeflow ops (so the backward pass is itself recorded) and returned at the broadcast shape;
   `graph/autodiff.py` sums broadcasting back down, in one place;
4. ``lowering``: the Numba lowering, filled in by the code generator's issue.

`bind` knows nothing of tensors: it hands the call to whichever tracer installed itself with
`set_bind_hook`, so that this module imports nothing above it and VJP rules can call ops freely.
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from dataclasses import dataclass
from typing import Callable

import numpy as np

from tapeflow.ops.errors import InvalidArgumentError

# --------------------------------------------------------------------------------------------
# Abstract values and dtypes
# --------------------------------------------------------------------------------------------

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
INT_DTYPES = (np.dtype(np.int32), np.dtype(np.int64))
BOOL = np.dtype(np.bool_)
# The dtypes compiled code handles (the Numba lowerings are written and tested for these);
# a graph holding any other runs on the interpreter, with a warning naming the op.
COMPILED_DTYPES = FLOAT_DTYPES + INT_DTYPES + (BOOL,)

# TensorFlow's string dtype: numpy object arrays holding bytes, as TF's `.numpy()` returns.
STRING = np.dtype(object)


@functools.cache
def bfloat16_dtype() -> np.dtype | None:
    """numpy's bfloat16 from the optional ml_dtypes package (TF's own dtype library), or
    None: `pip install 'tapeflow[bfloat16]'`. Imported on first use, not with tapeflow:
    ml_dtypes' import registers its types and ufuncs with numpy (about 0.6 s here), which
    every program would otherwise pay before its first step."""
    try:
        import ml_dtypes
    except ImportError:
        return None
    return np.dtype(ml_dtypes.bfloat16)


def is_bfloat16(dtype) -> bool:
    """True for numpy's bfloat16. Never imports ml_dtypes: a dtype of that type can only
    exist once ml_dtypes is imported, so until then the answer is no."""
    if "ml_dtypes" not in sys.modules or getattr(dtype, "name", None) != "bfloat16":
        return False
    bf16 = bfloat16_dtype()
    return bf16 is not None and dtype == bf16


# The rest of TensorFlow's numeric dtypes: eager and on the interpreter (bfloat16 too, when
# ml_dtypes is installed: see is_supported_dtype).
EXTRA_DTYPES = tuple(np.dtype(t) for t in (
    np.float16, np.int8, np.int16, np.uint8, np.uint16, np.uint32, np.uint64,
    np.complex64, np.complex128,
)) + (STRING,)
SUPPORTED_DTYPES = COMPILED_DTYPES + EXTRA_DTYPES


def is_supported_dtype(dtype: np.dtype) -> bool:
    return dtype in SUPPORTED_DTYPES or is_bfloat16(dtype)
# The primitives that take string tensors, as TF's string kernels: concatenation (+),
# equality, selection and the shape ops; any other refuses them by name.
STRING_PRIMITIVES = frozenset((
    "add", "eq", "ne", "identity", "stop_gradient", "reshape", "transpose", "broadcast_to",
    "concatenate", "gather", "strided_slice", "select", "pad_strided", "cast",
))

_SHORT_NAMES = {
    np.dtype(np.float32): "f32",
    np.dtype(np.float64): "f64",
    np.dtype(np.int32): "i32",
    np.dtype(np.int64): "i64",
    np.dtype(np.bool_): "bool",
    np.dtype(np.float16): "f16",
    np.dtype(np.int8): "i8",
    np.dtype(np.int16): "i16",
    np.dtype(np.uint8): "u8",
    np.dtype(np.uint16): "u16",
    np.dtype(np.uint32): "u32",
    np.dtype(np.uint64): "u64",
    np.dtype(np.complex64): "c64",
    np.dtype(np.complex128): "c128",
    STRING: "str",
}
SHORT_TO_DTYPE = {v: k for k, v in _SHORT_NAMES.items()}


def short_dtype(dtype: np.dtype) -> str:
    """`float32` -> `f32`, as the IR printer writes types."""
    if is_bfloat16(dtype):
        return "bf16"
    return _SHORT_NAMES[dtype]


def dtype_from_short(name: str) -> np.dtype | None:
    """`f32` -> float32 (the IR parser's inverse of short_dtype); None for an unknown name."""
    if name == "bf16":
        return bfloat16_dtype()
    return SHORT_TO_DTYPE.get(name)


def dtype_name(dtype: np.dtype) -> str:
    """TensorFlow's name of a dtype (`string` for the object arrays holding bytes)."""
    return "string" if dtype == STRING else dtype.name


class ShapedArray:
    """The abstract value of a tensor: its static shape and dtype. A size may be a symbolic
    `Dim` (see ops/dims.py) while a function with None dimensions is traced.

    Immutable by convention (nothing assigns to it after construction). A plain slotted
    class rather than a frozen dataclass: one is made for every tensor, and a frozen
    dataclass's __init__ costs three times as much."""

    __slots__ = ("dtype", "shape")

    def __init__(self, shape: tuple[int, ...], dtype: np.dtype):
        self.shape = shape
        self.dtype = dtype

    def __eq__(self, other):
        if not isinstance(other, ShapedArray):
            return NotImplemented
        return self.shape == other.shape and self.dtype == other.dtype

    def __hash__(self):
        return hash((self.shape, self.dtype))

    def __repr__(self) -> str:
        return f"ShapedArray(shape={self.shape!r}, dtype={self.dtype!r})"

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return prod(self.shape)

    def __str__(self) -> str:
        return f"{short_dtype(self.dtype)}[{','.join(map(str, self.shape))}]"


def is_float(dtype: np.dtype) -> bool:
    """A real floating type (differentiable): float16/32/64 and bfloat16."""
    return dtype.kind == "f" or is_bfloat16(dtype)


_PYTHON_TYPES = {float: np.dtype(np.float32), int: np.dtype(np.int32), bool: BOOL}


def canonical_dtype(dtype) -> np.dtype:
    """Any dtype spelling users write (tf.float32, np.float64, 'int32', float) -> numpy dtype.

    Python's `float` means float32 and `int` int32, as in TensorFlow.
    """
    if hasattr(dtype, "as_numpy_dtype"):
        return np.dtype(dtype.as_numpy_dtype)
    if dtype in _PYTHON_TYPES:
        return _PYTHON_TYPES[dtype]
    if isinstance(dtype, str) and dtype == "bfloat16" and bfloat16_dtype() is not None:
        return bfloat16_dtype()  # numpy knows the name only once ml_dtypes is imported
    try:
        np_dtype = native_dtype(np.dtype(dtype))
    except TypeError:
        raise TypeError(f"{dtype!r} is not a dtype") from None
    if np_dtype.kind in "US":  # np.str_ / np.bytes_: TF's string
        return STRING
    if not is_supported_dtype(np_dtype):
        raise OpTypeError(f"dtype {np_dtype.name} is not supported (tapeflow has "
                          f"{_supported_names()})")
    return np_dtype


def native_dtype(dtype: np.dtype) -> np.dtype:
    """`dtype` in this machine's byte order: a big-endian float32 array ('>f4', from a file
    or a network format) is float32 to tapeflow, and its values are converted on the way
    in (np.asarray(x, dtype=native) swaps the bytes)."""
    return dtype if dtype.isnative else dtype.newbyteorder("=")


def prod(dims) -> int:
    """The number of elements of a shape (1 for ())."""
    n = 1
    for d in dims:
        n *= d
    return n


def shape_of(x) -> tuple[int, ...]:
    """The shape of a tracer or a numpy array."""
    return x.aval.shape if hasattr(x, "aval") else np.shape(x)


def dtype_of(x) -> np.dtype:
    """The numpy dtype of a tracer or a numpy array."""
    return x.aval.dtype if hasattr(x, "aval") else np.asarray(x).dtype


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class OpTypeError(InvalidArgumentError, TypeError):
    """A dtype mismatch: caught by `except TypeError` and by TF users' `InvalidArgumentError`."""


def fmt_avals(avals) -> str:
    return ", ".join(str(a) for a in avals)


# --------------------------------------------------------------------------------------------
# The registry
# --------------------------------------------------------------------------------------------

PRIMITIVES: dict[str, "Primitive"] = {}


class Primitive:
    """One operation of the IR. Declared once; its rules are registered right after it."""

    def __init__(
        self, name: str, *, multiple_results: bool = False, doc: str = "", memo: bool = True
    ):
        if name in PRIMITIVES:
            raise ValueError(f"primitive {name!r} is declared twice")
        self.name = name
        self.multiple_results = multiple_results
        self.doc = doc
        self.abstract_eval: Callable | None = None
        self.impl: Callable | None = None
        self.vjp: Callable | None = None
        # Filled by the code generator (issue: Numba codegen); the slot is part of the contract.
        self.lowering: Callable | None = None
        # Memo of abstract_eval results: shapes repeat in training loops, and the rule checks.
        # Off for primitives whose params are fresh objects each call (closures).
        self._aval_cache: dict | None = {} if memo else None
        PRIMITIVES[name] = self

    def __repr__(self) -> str:
        return self.name

    # Registration, in the order a family file writes them.
    def def_abstract_eval(self, rule: Callable) -> Callable:
        self.abstract_eval = rule
        return rule

    def def_impl(self, kernel: Callable) -> Callable:
        self.impl = kernel
        return kernel

    def def_vjp(self, rule: Callable) -> Callable:
        self.vjp = rule
        return rule

    def def_lowering(self, lowering):
        """Register the Numba lowering: a `Scalar`, `Reduction` or `LoopKernel`."""
        self.lowering = lowering
        return lowering

    def out_avals(self, avals: tuple, params: dict) -> tuple:
        """Abstract evaluation, memoised on (avals, params); always returns a tuple."""
        cache = self._aval_cache
        key = None
        if cache is not None:
            key = (avals, tuple(sorted(params.items()))) if params else avals
            try:
                return cache[key]
            except KeyError:
                pass
            except TypeError:  # an unhashable param (rare): evaluate without the memo
                key = None
        if self.name not in STRING_PRIMITIVES and any(a.dtype == STRING for a in avals):
            # Checked here, past the memo, so it costs nothing on a repeated shape.
            raise OpTypeError(
                f"{self.name}: string tensors ({fmt_avals(avals)}) are not supported by this "
                "op (strings support +, ==, !=, tf.where, shape ops and tf.strings)")
        out = self.abstract_eval(*avals, **params)
        out = tuple(out) if self.multiple_results else (out,)
        if key is not None and len(cache) < 4096:
            cache[key] = out
        return out


# --------------------------------------------------------------------------------------------
# Numba lowerings (the fourth rule): what the code generator reads
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scalar:
    """An elementwise primitive's lowering: `expr(*operand_exprs, **params)` is the Python
    expression computing one output element from one element of each operand. The code
    generator puts it inside a loop nest (fusing chains of them), with broadcasting done by
    its indexing. Expressions may use `math`, `np` and `vm` (tapeflow.codegen.vecmath).

    Traits the code generator plans with are declared here as data, never read back from
    the expression: `transcendental` marks a function evaluated by a range reduction and a
    polynomial or a libm call (exp, sin, tanh: many operations per element, which is what
    makes a loop worth running on several threads)."""

    expr: Callable[..., str]
    transcendental: bool = False


@dataclass(frozen=True)
class Reduction:
    """A reduction's lowering: `combine` ('sum', 'prod', 'max' or 'min') says how an element
    folds into the running result. The code generator writes the loop, alone or fused into
    the loop that produces the reduced values."""

    combine: str


@dataclass(frozen=True)
class LoopKernel:
    """A structured primitive's lowering: `emit(out, ins, avals, **params) -> list[str]`
    returns statements (no indentation) that compute the array named `out` from the arrays
    named in `ins`; `avals` are the output's and the inputs' ShapedArrays."""

    emit: Callable[..., list[str]]


# --------------------------------------------------------------------------------------------
# bind: one entry point, handed to the active tracer
# --------------------------------------------------------------------------------------------


def _no_tracer(prim, args, params):
    raise RuntimeError("no tracer installed: import tapeflow, not tapeflow.ops alone")


_bind_hook: Callable = _no_tracer


def set_bind_hook(hook: Callable) -> Callable:
    """Install the function that `bind` hands every call to; returns the previous one."""
    global _bind_hook
    previous, _bind_hook = _bind_hook, hook
    return previous


def bind(prim: Primitive, *args, **params):
    """Apply `prim` to `args` (tensors, variables or numpy constants) with static `params`."""
    return _bind_hook(prim, args, params)


# --------------------------------------------------------------------------------------------
# Operand conversion shared by the op wrappers
# --------------------------------------------------------------------------------------------

def is_tracer(x) -> bool:
    """True for tapeflow tensors and variables: the objects that carry an `aval`."""
    return hasattr(x, "_tapeflow_tensor")


def default_dtype(value) -> np.dtype:
    """TF's dtype for a Python value: floats float32, ints int32, complex numbers
    complex128, text string; numpy values keep theirs."""
    if isinstance(value, np.ndarray | np.generic):
        dt = native_dtype(value.dtype)
        if dt.kind in "US" or (dt == STRING and _all_text(value)):
            return STRING
        if not is_supported_dtype(dt):
            raise OpTypeError(f"unsupported dtype {dt} (tapeflow has {_supported_names()})")
        return dt
    arr = np.asarray(value)
    if arr.dtype == BOOL:
        return BOOL
    if arr.dtype.kind in "iu":
        # int32, as TF, unless a value needs more: then int64 (TF's rule for Python ints).
        info = np.iinfo(np.int32)
        if arr.size and (arr.min() < info.min or arr.max() > info.max):
            return np.dtype(np.int64)
        return np.dtype(np.int32)
    if arr.dtype.kind == "f":
        return np.dtype(np.float32)
    if arr.dtype.kind == "c":
        return np.dtype(np.complex128)
    if arr.dtype.kind in "US" or (arr.dtype.kind == "O" and arr.size and _all_text(arr)):
        return STRING
    raise OpTypeError(f"cannot convert {type(value).__name__} {value!r:.60} to a tensor")


def _empty_sequence(value, arr) -> bool:
    """An empty Python list or tuple (nested or not): numpy types it float64, but it has no
    fraction to lose, so `tf.constant([], tf.int32)` is an empty int32 tensor, as in TF."""
    return arr.size == 0 and isinstance(value, list | tuple)


def _all_text(arr) -> bool:
    return all(isinstance(x, bytes | str) for x in np.asarray(arr, dtype=object).flat)


def _supported_names() -> str:
    names = [dtype_name(d) for d in SUPPORTED_DTYPES]
    if importlib.util.find_spec("ml_dtypes") is not None:
        names.append("bfloat16")
    return ", ".join(names)


def to_array(value, dtype: np.dtype, *, op: str = "convert") -> np.ndarray:
    """Convert a Python/numpy value to an array of `dtype`, refusing lossy kind changes
    (a fraction to an integer, a complex number to a real, text to a number and back)."""
    arr = np.asarray(value)
    if dtype == STRING or arr.dtype.kind in "US":
        return _to_string_array(value, arr, dtype, op)
    if arr.dtype.kind in "fc" and dtype.kind in "iub" and not _empty_sequence(value, arr):
        raise OpTypeError(
            f"{op}: cannot convert {value!r:.60} (a {arr.dtype.name} value) to {dtype.name} "
            "without losing its fraction; cast explicitly with tf.cast"
        )
    if arr.dtype.kind == "c" and dtype.kind != "c":
        raise OpTypeError(f"{op}: cannot convert {value!r:.60} (complex) to {dtype.name} "
                          "without losing its imaginary part; use tf.math.real")
    if arr.dtype.kind == "O":
        raise OpTypeError(f"{op}: cannot convert {type(value).__name__} to a tensor")
    if arr.dtype.kind in "iu" and dtype.kind in "iu" and arr.size and arr.dtype != dtype:
        # Never wrap around silently (2**40 as int32 would be 0).
        info = np.iinfo(dtype)
        low, high = arr.min(), arr.max()
        if low < info.min or high > info.max:
            bad = high if high > info.max else low
            raise InvalidArgumentError(
                f"{op}: cannot convert {int(bad)} to {dtype.name}: it is out of range "
                f"[{info.min}, {info.max}]")
    return np.asarray(arr, dtype=dtype)


def _to_string_array(value, arr: np.ndarray, dtype: np.dtype, op: str) -> np.ndarray:
    """Text as TF holds it: an object array of bytes (str is encoded as UTF-8)."""
    if dtype != STRING:
        raise OpTypeError(f"{op}: cannot convert text {value!r:.60} to {dtype_name(dtype)} "
                          "(use tf.strings.to_number)")
    if arr.size and not _all_text(arr):
        raise OpTypeError(f"{op}: cannot convert {value!r:.60} (a {arr.dtype.name} value) to "
                          "string (use tf.strings.as_string)")
    out = np.empty(arr.shape, dtype=object)
    for i, x in enumerate(arr.flat):
        out.flat[i] = x.encode("utf-8") if isinstance(x, str) else bytes(x)
    return out


def promote(op: str, *args):
    """Bring the operands of an elementwise op to one dtype, as TensorFlow does.

    Tensors and variables are strong: they must agree exactly (float32 with float64 is an
    error). Python scalars, lists and numpy arrays are weak: they take the strong dtype.
    """
    strong = None
    for a in args:
        if not hasattr(a, "_tapeflow_tensor"):
            continue
        if strong is None:
            strong = a.aval.dtype
        elif a.aval.dtype != strong:
            operands = ", ".join(str(t.aval) for t in args if is_tracer(t))
            raise OpTypeError(
                f"{op}: operands have different dtypes ({operands}); tapeflow does not mix "
                f"{strong.name} and {a.aval.dtype.name}: cast one with tf.cast"
            )
    if any(_holds_tracers(a) for a in args):
        # A list of tensors is a tensor (TF packs it), and stays differentiable.
        from tapeflow.ops.array import stack

        args = tuple(stack(list(a)) if _holds_tracers(a) else a for a in args)
        return promote(op, *args)
    if strong is None:
        strong = _weak_result_dtype(args)
    return tuple(a if is_tracer(a) else to_array(a, strong, op=op) for a in args)


def _holds_tracers(value) -> bool:
    return isinstance(value, list | tuple) and any(
        is_tracer(v) or _holds_tracers(v) for v in value
    )


def _weak_result_dtype(args) -> np.dtype:
    """The dtype of an op whose operands are all Python/numpy values."""
    dtypes = [default_dtype(a) for a in args]
    for kind in ("c", "f", "i", "b"):
        for d in dtypes:
            if d.kind == kind:
                return d
    return dtypes[0]


# --------------------------------------------------------------------------------------------
# Named rule shapes (JAX's deflinear / defjvp_zero, for our VJPs)
# --------------------------------------------------------------------------------------------


def per_input(*rules):
    """A VJP from one rule per input: ``rule(g, out, *inputs, **params) -> cotangent``.

    `None` in place of a rule marks an input that gets no gradient (an index, a condition).
    Only the rules of inputs that need a gradient are called.
    """

    def vjp(cts, out, inputs, wanted, **params):
        (g,) = cts
        return tuple(
            rule(g, out, *inputs, **params) if (want and rule is not None) else None
            for rule, want in zip(rules, wanted)
        )

    vjp.rules = rules
    return vjp


def nondifferentiable(n_inputs: int):
    """The VJP of a piecewise-constant op (comparisons, sign, floor division): no gradient."""

    def vjp(cts, out, inputs, wanted, **params):
        return (None,) * n_inputs

    vjp.nondifferentiable = True
    return vjp

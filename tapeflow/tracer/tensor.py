"""`Tensor`: an immutable array with an IR variable, and the operators users write on it.

Every operator goes through `tapeflow.ops`, so tapes and traced functions see it. A Tensor owns
its numpy value (never shared with the user: constants are copied in, `.numpy()` copies out)
and the `Var` that names it in any graph that records it.
"""

from __future__ import annotations

import numpy as np

from tapeflow import ops
from tapeflow.graph.ir import Var, _var_ids, new_var
from tapeflow.ops import bitwise as _bitwise  # &, |, ^, ~: logical of bools, bitwise of ints
from tapeflow.ops import dims
from tapeflow.ops.core import InvalidArgumentError, ShapedArray, default_dtype, to_array
from tapeflow.perthread import PerThreadValue
from tapeflow.tracer import dtypes
from tapeflow.tracer.tensor_shape import TensorShape


class TensorOperators:
    """Python operators for Tensor and Variable, each one tapeflow op (TF's operator set)."""

    __slots__ = ()
    _tapeflow_tensor = True
    __array_priority__ = 100  # numpy defers `ndarray * tensor` to us

    def __add__(self, other):
        return ops.add(self, other)

    def __radd__(self, other):
        return ops.add(other, self)

    def __sub__(self, other):
        return ops.subtract(self, other)

    def __rsub__(self, other):
        return ops.subtract(other, self)

    def __mul__(self, other):
        return ops.multiply(self, other)

    def __rmul__(self, other):
        return ops.multiply(other, self)

    def __truediv__(self, other):
        return ops.divide(self, other)

    def __rtruediv__(self, other):
        return ops.divide(other, self)

    def __floordiv__(self, other):
        return ops.floordiv(self, other)

    def __rfloordiv__(self, other):
        return ops.floordiv(other, self)

    def __mod__(self, other):
        return ops.mod(self, other)

    def __rmod__(self, other):
        return ops.mod(other, self)

    def __pow__(self, other):
        return ops.pow(self, other)

    def __rpow__(self, other):
        return ops.pow(other, self)

    def __matmul__(self, other):
        return ops.matmul(self, other)

    def __rmatmul__(self, other):
        return ops.matmul(other, self)

    def __neg__(self):
        return ops.negative(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return ops.abs(self)

    def __invert__(self):
        return _bitwise.logical_operator("not", self)

    def __and__(self, other):
        return _bitwise.logical_operator("and", self, other)

    def __or__(self, other):
        return _bitwise.logical_operator("or", self, other)

    def __xor__(self, other):
        return _bitwise.logical_operator("xor", self, other)

    def __rand__(self, other):
        return _bitwise.logical_operator("and", other, self)

    def __ror__(self, other):
        return _bitwise.logical_operator("or", other, self)

    def __rxor__(self, other):
        return _bitwise.logical_operator("xor", other, self)

    def __lt__(self, other):
        return ops.less(self, other)

    def __le__(self, other):
        return ops.less_equal(self, other)

    def __gt__(self, other):
        return ops.greater(self, other)

    def __ge__(self, other):
        return ops.greater_equal(self, other)

    def __eq__(self, other):
        if other is None:
            return False
        return ops.equal(self, other)

    def __ne__(self, other):
        if other is None:
            return True
        return ops.not_equal(self, other)

    # Elementwise == makes tensors unhashable, as in TensorFlow; use `.ref()` as a dict key.
    __hash__ = None

    def ref(self):
        return Reference(self)

    def __getitem__(self, key):
        return ops.getitem(self, key)

    def __len__(self):
        shape = self.aval.shape
        if not shape:
            raise TypeError("len() of a scalar tensor (shape=())")
        return shape[0]  # a symbolic size becomes its int here, specialising the trace

    def __iter__(self):
        shape = self.aval.shape
        if not shape:
            raise TypeError("iteration over a scalar tensor (shape=())")
        for i in range(shape[0]):
            yield self[i]

    def __bool__(self):
        return bool(_python_value(self, "bool"))

    def __float__(self):
        return float(_python_value(self, "float"))

    def __int__(self):
        return int(_python_value(self, "int"))

    def __index__(self):
        if self.aval.dtype.kind not in "iu":
            raise TypeError(f"only integer tensors can be used as an index, not {self.dtype!r}")
        return int(_python_value(self, "int"))

    @property
    def ndim(self) -> int:
        return len(self.aval.shape)

    @property
    def dtype(self) -> dtypes.DType:
        return dtypes.from_numpy(self.aval.dtype)

    @property
    def shape(self) -> TensorShape:
        shape = self.aval.shape
        # Inside a function traced for any size (input_signature with None), the unknown
        # sizes read as None, as in TensorFlow; ops see the symbolic sizes in `aval`.
        return TensorShape._of(dims.public_shape(shape) if dims.symbolic_active() else shape)

    def get_shape(self) -> TensorShape:
        return self.shape


class Reference:
    """A hashable handle to a tensor or variable (`t.ref()`), compared by identity (TF's
    class name, which `type(v.ref()).__name__` prints)."""

    __slots__ = ("_obj",)

    def __init__(self, obj):
        self._obj = obj

    def deref(self):
        return self._obj

    def __hash__(self):
        return id(self._obj)

    def __eq__(self, other):
        return isinstance(other, Reference) and other._obj is self._obj

    def __repr__(self):
        return f"<Reference wrapping {self._obj!r}>"


_Ref = Reference  # the earlier name


# Where Python reads a tensor's value (bool(t), float(t), t.numpy()). A function tracer
# replaces this to record a guard; eagerly it just hands back the value.
def _eager_python_value(tensor, kind):
    return tensor._concrete()


python_value_hook = PerThreadValue(_eager_python_value)  # `.value`: this thread's hook
# Called as observer(tensor, kind) on every such read (GradientTape notes where a value it
# recorded left it, for tapeflow.explain_gradient).
python_read_observers: list = []

# While a function is traced: tensor -> its graph name ("x:0") when it is a value of the
# graph being built (printed as TF prints a graph tensor), else None. Eagerly: None.
graph_name_hook = PerThreadValue(None)  # `.value`: this thread's (a tracer's naming)

# While a function is traced: tensor -> whether it is a value of the trace (of the function,
# or of a graph loop's body in it), which a Python read would turn into a guard. Ops that can
# take such a value as data instead (an index: `x[i]`) ask is_traced_value. Eagerly: None.
traced_value_hook = PerThreadValue(None)


def is_traced_value(tensor) -> bool:
    hook = traced_value_hook.value
    return hook is not None and hook(tensor)


def _python_value(tensor, kind: str):
    for observer in python_read_observers:
        observer(tensor, kind)
    value = python_value_hook.value(tensor, kind)
    if kind != "numpy" and value.size != 1:
        raise ValueError(
            f"{kind}() of a tensor with shape {tensor.shape} is ambiguous: it has "
            f"{value.size} elements (use tf.reduce_any / tf.reduce_all)"
        )
    return value.reshape(()) if kind != "numpy" else value


# Tensors read from a slice of a Variable can be assigned through, as TF's
# (`v[1:3].assign(x)`): id(tensor) -> (a weak reference to it, its `assign`). Filled by
# Variable.__getitem__ (tracer/variable.py); an entry goes when its tensor does.
sliced_from: dict[int, tuple] = {}


class Tensor(TensorOperators):
    """An immutable n-dimensional array, as `tf.Tensor`."""

    __slots__ = ("_value", "_var", "__weakref__")

    def __init__(self, value: np.ndarray, var: Var):
        self._value = value
        self._var = var

    @property
    def assign(self):
        """Only a slice of a Variable has it (it assigns that slice of the variable)."""
        entry = sliced_from.get(id(self))
        if entry is None or entry[0]() is not self:
            raise AttributeError("'EagerTensor' object has no attribute 'assign'")
        return entry[1]

    @property
    def aval(self) -> ShapedArray:
        return self._var.aval

    def _concrete(self) -> np.ndarray:
        return self._value

    def numpy(self) -> np.ndarray | np.generic:
        """A copy of the value (writing to it never changes the tensor); a numpy scalar
        (np.float32(6.0)) for a scalar tensor, as TensorFlow returns."""
        value = _python_value(self, "numpy")
        return value[()] if value.ndim == 0 else np.array(value)

    def __array__(self, dtype=None, copy=None):
        value = np.asarray(_python_value(self, "numpy"), dtype=dtype)
        if copy:
            return value.copy()
        if value is self._value:
            value = value.view()
            value.flags.writeable = False
        return value

    def __repr__(self) -> str:
        name = graph_name_hook.value(self) if graph_name_hook.value is not None else None
        if name is not None:  # a value of the graph being traced: no value to show, as TF
            return f"<tf.Tensor '{name}' shape={self.shape} dtype={self.dtype.name}>"
        return (f"<tf.Tensor: shape={self.shape}, dtype={self.dtype.name}, "
                f"numpy={numpy_text(self._value, is_repr=True)}>")

    def __str__(self) -> str:
        name = graph_name_hook.value(self) if graph_name_hook.value is not None else None
        if name is not None:
            return f'Tensor("{name}", shape={self.shape}, dtype={self.dtype.name})'
        return (f"tf.Tensor({numpy_text(self._value)}, shape={self.shape}, "
                f"dtype={self.dtype.name})")


# TensorFlow's eager tensors are of class EagerTensor, which is what `type(t).__name__` prints
# in the guides; `tf.Tensor` is this same class here (no subclass: hot paths test
# `type(x) is Tensor`). The alias keeps pickling by qualified name working.
Tensor.__name__ = Tensor.__qualname__ = "EagerTensor"
EagerTensor = Tensor


def _format(self, spec: str) -> str:
    """`format(t, spec)` / f"{t:spec}": as TF's eager tensors, the value's own formatting
    (f"{loss:.3f}" for a scalar; f"{t}" gives numpy's text); a graph value has none."""
    hook = graph_name_hook.value
    if hook is not None and hook(self) is not None:
        return format(str(self), spec)
    value = self._value
    return format(value[()] if value.ndim == 0 else value, spec)


Tensor.__format__ = _format


def numpy_text(value: np.ndarray, is_repr: bool = False) -> str:
    """A value as TensorFlow prints it inside a tensor's repr or str: numpy's own repr or
    str (so numpy's line wrapping and precision apply), a scalar as a plain number (`9.0`,
    not numpy 2's `np.float32(9.0)`; in a repr, the Python number's repr, all its digits),
    and text spanning lines starting on a line of its own.
    """
    if value.ndim == 0:
        scalar = value[()]
        if is_repr and value.dtype.kind in "biufc":
            # TensorFlow's repr shows the Python number: float32 27.3 is 27.299999237060547.
            return repr(scalar.item())
        with np.printoptions(legacy="1.25"):
            text = repr(scalar) if is_repr else str(scalar)
    else:
        text = repr(value) if is_repr else str(value)
        if is_repr and value.dtype.name == "bfloat16":  # ml_dtypes spells it dtype(bfloat16)
            text = text.replace("dtype=dtype(bfloat16)", "dtype=bfloat16")
    return "\n" + text if "\n" in text else text


def wrap_output(value: np.ndarray, aval: ShapedArray, new=object.__new__, ids=_var_ids) -> Tensor:
    """`Tensor(value, Var(aval))` for the compiled call path, which wraps every output of
    every call: it fills the slots without running the two __init__s, 0.17 instead of
    0.21 us a tensor. `value` must have `aval`'s shape and dtype and belong to the tensor
    alone. (tests/runtime/test_dispatch.py checks it builds what the constructors do.)"""
    var = new(Var)
    var.aval = aval
    var.id = next(ids)
    tensor = new(Tensor)
    tensor._value = value
    tensor._var = var
    return tensor


def make_constant(value: np.ndarray) -> Tensor:
    """A Tensor owning `value` (which the caller must not keep or mutate)."""
    return Tensor(value, new_var(ShapedArray(value.shape, value.dtype)))


def constant(value, dtype=None, shape=None, name=None) -> Tensor:
    """`tf.constant`: a tensor from a Python value, numpy array or tensor.

    Python floats become float32 and ints int32; numpy arrays keep their dtype.
    With `shape`, a scalar is filled out to that shape and other values are reshaped.
    """
    if dtype is None and ops.core.is_tracer(value):
        t = convert_to_tensor(value)
    else:
        np_dtype = dtypes.as_numpy_dtype(dtype) if dtype is not None else None
        if ops.core.is_tracer(value) or _holds_tensors(value):
            t = convert_to_tensor(value)
            if np_dtype is not None and t.aval.dtype != np_dtype:
                t = ops.cast(t, np_dtype)
        else:
            # tf.constant casts Python and numpy values to the requested dtype, but never
            # drops a fraction (TF: "Cannot convert 1.5 to EagerTensor of dtype int32").
            try:
                np_dtype = np_dtype or default_dtype(value)
                arr = np.array(value)
            except ValueError as e:
                if "inhomogeneous" not in str(e):
                    raise
                # TF's words; a tf.ragged.constant holds rows of different lengths.
                raise ValueError("Can't convert non-rectangular Python sequence to Tensor."
                                 ) from None
            if arr.dtype.kind == "O" and np_dtype != ops.core.STRING:
                raise TypeError(f"constant: cannot convert {type(value).__name__} to a tensor")
            try:
                t = make_constant(np.array(to_array(value, np_dtype, op="constant")))
            except ops.core.OpTypeError as e:
                # TF's tf.constant raises a plain TypeError here (an op's dtype mismatch is
                # its InvalidArgumentError, which OpTypeError also is).
                raise TypeError(str(e)) from None
    if shape is not None:
        shape = tuple(int(d) for d in shape)
        if t.shape == ():
            t = ops.broadcast_to(t, shape)
        elif t.shape != shape:
            t = ops.reshape(t, shape)
    return t


def _holds_tensors(value) -> bool:
    if isinstance(value, list | tuple):
        return any(ops.core.is_tracer(v) or _holds_tensors(v) for v in value)
    return False


def convert_to_tensor(value, dtype=None, dtype_hint=None, name=None) -> Tensor:
    """`tf.convert_to_tensor`. A list holding tensors is stacked (so it stays differentiable)."""
    np_dtype = dtypes.as_numpy_dtype(dtype) if dtype is not None else None
    if isinstance(value, Tensor):
        t = value
    elif ops.core.is_tracer(value):  # a Variable: read it (the read is seen by tapes)
        t = ops.identity(value)
    elif _holds_tensors(value):
        t = ops.stack([convert_to_tensor(v, dtype, dtype_hint) for v in value])
    else:
        if np_dtype is None and dtype_hint is not None:
            hinted = dtypes.as_numpy_dtype(dtype_hint)
            base = default_dtype(value)
            np_dtype = hinted if (hinted.kind == base.kind or base.kind in "ib") else base
        target = np_dtype or default_dtype(value)
        return make_constant(np.array(to_array(value, target, op="convert_to_tensor")))
    if np_dtype is not None and t.aval.dtype != np_dtype:
        raise InvalidArgumentError(
            f"convert_to_tensor: the tensor has dtype {t.aval.dtype.name}, "
            f"{np_dtype.name} was requested (use tf.cast)"
        )
    return t

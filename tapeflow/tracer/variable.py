"""`Variable`: mutable state whose reads are tensors that tapes watch automatically."""

from __future__ import annotations

import collections
import functools
import itertools
import weakref

import numpy as np

from tapeflow import ops
from tapeflow.ops.core import InvalidArgumentError, OpTypeError, ShapedArray
from tapeflow.perthread import PerThreadList, PerThreadValue
from tapeflow.tracer import dtypes, name_scope, variable_enums
from tapeflow.tracer import tensor as tensor_module
from tapeflow.tracer.tensor import (
    Tensor,
    TensorOperators,
    constant,
    make_constant,
    numpy_text,
)

# Creation order: `tape.watched_variables()` lists variables in it, as TensorFlow does.
_creation_ids = itertools.count()

# Whoever must see variable reads and writes (tapes, the function tracer) installs hooks here.
# read_hooks: called as hook(variable) before a read; write_hook.value: hook(variable,
# new_tensor) decides how an assignment lands (eagerly: at once).
read_hooks: list = []
# creation_hooks: called as hook(variable) once it is built (a function tracer refuses new
# variables after its first trace, as tf.function does).
# The write and creation hooks are the calling thread's own: a function tracing on one thread
# never sees (or records) another thread's assignments.
creation_hooks: PerThreadList = PerThreadList()


def _commit_now(variable: "Variable", value: Tensor) -> None:
    # The new state starts a new path, as TF's AssignVariableOp has no gradient: later reads
    # are differentiated with respect to the variable, not through the assigned expression.
    variable._value = make_constant(value._concrete())


write_hook = PerThreadValue(_commit_now)

_drain = collections.deque(maxlen=0).extend

# Where every tensor and variable lives (tapeflow runs on the CPU), as TF names it.
CPU_DEVICE = "/job:localhost/replica:0/task:0/device:CPU:0"


class _Deferred:
    """The hook of tapeflow.checkpoint.deferred (restore-on-create): `active` while a restore
    waits for variables not made yet; a new variable then sets `dirty`, and the next read
    calls `apply()`, which gives the new variables their saved values before they are used.
    Idle, it costs one attribute test per read."""

    __slots__ = ("active", "dirty", "apply")

    def __init__(self):
        self.active = self.dirty = False
        self.apply = None


deferred = _Deferred()


def assign_all(variables, values) -> None:
    """Set each variable's value to the matching one of `values` in a step that neither a
    KeyboardInterrupt nor another thread can split: `_drain(map(setattr, ...))` is one call
    into C that runs no Python bytecode, and CPython runs signal handlers and switches threads
    only between bytecodes (at calls and backward jumps), so the values are all set or none."""
    _drain(map(setattr, variables, itertools.repeat("_value"), values))


class Variable(TensorOperators):
    """`tf.Variable`: a named, mutable tensor. Trainable variables are watched by tapes.

    `tf.Variable(...)` makes a ResourceVariable, as in TensorFlow (`type(v).__name__` is what
    the guides print); subclasses of Variable are made as themselves."""

    __slots__ = ("_value", "_name", "trainable", "_uid", "_constraint", "_shape_spec",
                 "_aggregation", "_synchronization", "__weakref__")

    def __new__(cls, *args, **kwargs):
        return object.__new__(ResourceVariable if cls is Variable else cls)

    def __init__(self, initial_value=None, trainable=True, name=None, dtype=None, shape=None,
                 *, constraint=None, validate_shape=True, caching_device=None,
                 synchronization=None, aggregation=None):
        if initial_value is None:
            raise ValueError("Variable: initial_value is required")
        if callable(initial_value):
            initial_value = initial_value()
        value = constant(initial_value, dtype=dtype)
        if isinstance(initial_value, TensorOperators):
            # Detach: the variable owns its state; reading it later starts a new path.
            value = make_constant(value._concrete())
        self._value = value
        # `shape=` with None sizes (or validate_shape=False): the shapes `assign` may give
        # the variable, as TF's (`TensorShape(None)`: any). None: its initial shape only.
        self._shape_spec = _declared_shape(value, shape, validate_shape)
        # Inside tf.name_scope("a") the name is "a/<name>", as TensorFlow's.
        self._name = name_scope.current_scope() + (name or "Variable")
        self.trainable = bool(trainable)
        # Kept for whoever applies it (an optimizer step in Keras): assign does not, as TF's.
        if constraint is not None and not callable(constraint):
            raise ValueError(f"Variable: constraint must be callable, got {constraint!r}")
        self._constraint = constraint
        # One replica: both are reported, neither changes anything (TF's defaults).
        self._aggregation = (variable_enums.VariableAggregation.NONE if aggregation is None
                             else aggregation)
        self._synchronization = (variable_enums.VariableSynchronization.AUTO
                                 if synchronization is None else synchronization)
        self._uid = next(_creation_ids)
        for hook in creation_hooks:
            hook(self)
        if deferred.active:
            deferred.dirty = True

    @property
    def aval(self) -> ShapedArray:
        return self._value.aval

    @property
    def shape(self):
        """The declared shape (`shape=`, None where sizes may change), else the value's."""
        if self._shape_spec is not None:
            return self._shape_spec
        return super().shape

    @property
    def name(self) -> str:
        return f"{self._name}:0"

    @property
    def constraint(self):
        return self._constraint

    @property
    def aggregation(self):
        return self._aggregation

    @property
    def synchronization(self):
        return self._synchronization

    @property
    def device(self) -> str:
        return CPU_DEVICE

    @property
    def initial_value(self):
        # TF keeps no initial value for eager variables; its error, word for word.
        raise RuntimeError("This property is not supported when eager execution is enabled.")

    def __hash__(self):
        # TF's TypeError and text (== is elementwise, so a Variable cannot be a dict key).
        raise TypeError(f"Variable is unhashable. Instead, use variable.ref() as the key. "
                        f"(Variable: {self!r})")

    def experimental_ref(self):
        return self.ref()

    def sparse_read(self, indices, name=None) -> Tensor:
        """Rows `indices` of the variable (tf.gather along axis 0), a read tapes watch."""
        return ops.gather(self, indices)

    def gather_nd(self, indices, name=None) -> Tensor:
        return ops.gather_nd(self, indices)

    def _concrete(self) -> np.ndarray:
        if deferred.dirty:
            deferred.apply()
        return self._value._concrete()

    def _read(self) -> Tensor:
        """The current value, announced to tapes (this is what ops consume)."""
        if deferred.dirty:
            deferred.apply()
        for hook in read_hooks:
            hook(self)
        return self._value

    def read_value(self) -> Tensor:
        return ops.identity(self)

    def value(self) -> Tensor:
        return self._read()

    def numpy(self) -> np.ndarray:
        return self._read().numpy()

    def __array__(self, dtype=None, copy=None):
        return self._read().__array__(dtype, copy)

    # ---- assignment: validated before anything changes --------------------------------------

    # Each returns what TensorFlow's returns: the variable, as an "UnreadVariable" view of it
    # (reading it reads the variable now; assigning through it assigns the variable).

    def assign(self, value, use_locking=None, name=None, read_value=True):
        new = self._converted(value, "assign")
        write_hook.value(self, new)
        return _UnreadVariable.of(self) if read_value else None

    def assign_add(self, delta, use_locking=None, name=None, read_value=True):
        delta = self._converted(delta, "assign_add")
        write_hook.value(self, ops.add(self, delta))
        return _UnreadVariable.of(self) if read_value else None

    def assign_sub(self, delta, use_locking=None, name=None, read_value=True):
        delta = self._converted(delta, "assign_sub")
        write_hook.value(self, ops.subtract(self, delta))
        return _UnreadVariable.of(self) if read_value else None

    # ---- a slice assigned (`v[1:3].assign(x)`) and scatters -----------------------------------

    def __getitem__(self, key):
        result = ops.getitem(self, key)
        if isinstance(result, Tensor):
            assign = functools.partial(_assign_slice, getattr(self, "_base", self), key)
            forget = functools.partial(_forget_slice, id(result))
            tensor_module.sliced_from[id(result)] = (weakref.ref(result, forget), assign)
        return result

    def scatter_nd_update(self, indices, updates, name=None):
        return self._scatter("scatter_nd_update", ops.tensor_scatter_nd_update, indices, updates)

    def scatter_nd_add(self, indices, updates, name=None):
        return self._scatter("scatter_nd_add", ops.tensor_scatter_nd_add, indices, updates)

    def scatter_nd_sub(self, indices, updates, name=None):
        return self._scatter("scatter_nd_sub", ops.tensor_scatter_nd_sub, indices, updates)

    def _scatter(self, op: str, scatter, indices, updates):
        updates = self._converted(updates, op, shape=None)
        base = getattr(self, "_base", self)
        write_hook.value(base, scatter(base, indices, updates))
        return _UnreadVariable.of(base)

    def _converted(self, value, op: str, shape: tuple | None | bool = False) -> Tensor:
        """`value` as a tensor of this variable's dtype and shape (`shape`: a slice's shape
        instead; None: any shape), or a clear error."""
        aval = self.aval
        if isinstance(value, TensorOperators):
            tensor = value._read() if isinstance(value, Variable) else value
            if tensor.aval.dtype != aval.dtype:
                # TF's ValueError for a tensor of another dtype (a Python value that does not
                # convert is its TypeError, below).
                raise ValueError(
                    f"{op} to variable {self.name!r} ({aval}): value has dtype "
                    f"{tensor.aval.dtype.name}, the variable {aval.dtype.name}"
                )
        else:
            try:
                tensor = constant(np.asarray(ops.core.to_array(value, aval.dtype, op=op)))
            except OpTypeError as e:
                raise TypeError(f"{op} to variable {self.name!r} ({aval}): {e}") from None
        if op != "assign" and aval.dtype.kind not in "iufc":
            # TF has no AssignAdd/AssignSub kernel for bool or string variables.
            raise InvalidArgumentError(
                f"{op} to variable {self.name!r}: {aval.dtype.name} variables cannot be added to"
            )
        if shape is None:
            return tensor
        if shape is not False:
            if tuple(tensor.shape) != tuple(shape):
                raise InvalidArgumentError(
                    f"{op} to variable {self.name!r}: the slice has shape {tuple(shape)}, the "
                    f"value shape {tuple(tensor.shape)}")
            return tensor
        if op == "assign" and self._shape_spec is not None:
            if not self._shape_spec.is_compatible_with(tensor.shape):
                raise ValueError(
                    f"Cannot assign value to variable ' {self.name}': Shape mismatch.The "
                    f"variable shape {self._shape_spec}, and the assigned value shape "
                    f"{tuple(tensor.shape)} are incompatible.")
            return tensor
        if tensor.shape != aval.shape and op == "assign":
            # TensorFlow's ValueError, word for word (its odd spacing included), so that code
            # printing the message shows TF's text; it names the variable and both shapes.
            raise ValueError(
                f"Cannot assign value to variable ' {self.name}': Shape mismatch.The variable "
                f"shape {tuple(aval.shape)}, and the assigned value shape {tuple(tensor.shape)} "
                "are incompatible."
            )
        if tensor.shape != aval.shape:
            # assign_add/assign_sub: TensorFlow raises InvalidArgumentError from its kernel.
            raise InvalidArgumentError(
                f"{op} to variable {self.name!r}: shape {tensor.shape} does not match "
                f"the variable's shape {aval.shape}"
            )
        return tensor

    @property
    def dtype(self) -> dtypes.DType:
        return dtypes.from_numpy(self.aval.dtype)

    def __repr__(self) -> str:
        if tensor_module.graph_name_hook.value is not None:  # tracing: no value, as TF
            return f"<tf.Variable {self.name!r} shape={self.shape} dtype={self.dtype.name}>"
        return (
            f"<tf.Variable {self.name!r} shape={self.shape} dtype={self.dtype.name}, "
            f"numpy={numpy_text(self._concrete(), is_repr=True)}>"
        )

    def __str__(self) -> str:
        return self.__repr__()


def _assign_slice(variable: Variable, key, value, use_locking=None, name=None,
                  read_value=True):
    """`variable[key].assign(value)`: TF's strided-slice assignment. The slice's elements are
    found by indexing the positions of the variable's elements with `key` (Python indices:
    ints, slices, Ellipsis, tf.newaxis), and the value is scattered into them; `value` must
    have the slice's shape (TF's InvalidArgumentError otherwise)."""
    shape = tuple(variable.aval.shape)
    try:
        positions = np.arange(int(np.prod(shape, dtype=np.int64))).reshape(shape)[key]
    except (IndexError, TypeError) as e:
        raise InvalidArgumentError(f"assign to variable {variable.name!r}[{key!r}]: the "
                                   f"slice needs Python indices ({e})") from None
    value = variable._converted(value, "assign", shape=positions.shape)
    flat = ops.tensor_scatter_nd_update(
        ops.reshape(variable, [-1]), positions.reshape(-1, 1), ops.reshape(value, [-1]))
    write_hook.value(variable, ops.reshape(flat, shape))
    return _UnreadVariable.of(variable) if read_value else None


def _forget_slice(key: int, _ref) -> None:
    tensor_module.sliced_from.pop(key, None)


def _declared_shape(value: Tensor, shape, validate_shape: bool):
    """A Variable's declared shape where it is not the value's own: a TensorShape with
    None sizes (or of unknown rank), which the initial value must fit (TF's ValueError)."""
    from tapeflow.tracer.tensor_shape import TensorShape

    if not validate_shape:
        return TensorShape(None)
    if shape is None:
        return None
    declared = TensorShape(shape)
    if not declared.is_compatible_with(value.shape):
        raise ValueError(f"Variable: the initial value's shape {tuple(value.shape)} is not "
                         f"compatible with shape={declared}")
    return None if declared.is_fully_defined() else declared


class ResourceVariable(Variable):
    """The class of the variables `tf.Variable(...)` makes (TensorFlow's name for it)."""

    __slots__ = ()


def _shared(slot: str) -> property:
    """The base variable's `slot`, read and written through the view."""
    return property(lambda self: getattr(self._base, slot),
                    lambda self, value: setattr(self._base, slot, value))


class _UnreadVariable(ResourceVariable):
    """What `assign`, `assign_add` and `assign_sub` return, as TensorFlow's: a view of the
    variable (its state, name, trainability and identity for tapes and traces are the
    variable's own), printed as `<tf.Variable 'UnreadVariable' ...>`."""

    __slots__ = ("_base",)

    _value = _shared("_value")
    _name = _shared("_name")
    trainable = _shared("trainable")
    _uid = _shared("_uid")
    _constraint = _shared("_constraint")
    _aggregation = _shared("_aggregation")
    _synchronization = _shared("_synchronization")
    _shape_spec = _shared("_shape_spec")

    @classmethod
    def of(cls, variable: Variable) -> _UnreadVariable:
        view = object.__new__(cls)  # no __init__: no new state, no creation hooks
        view._base = variable._base if isinstance(variable, _UnreadVariable) else variable
        return view

    @property
    def name(self) -> str:
        return "UnreadVariable"

    def _read(self) -> Tensor:
        return self._base._read()  # tapes watch the variable itself

    def assign(self, value, use_locking=None, name=None, read_value=True):
        return self._base.assign(value, use_locking, name, read_value)

    def assign_add(self, delta, use_locking=None, name=None, read_value=True):
        return self._base.assign_add(delta, use_locking, name, read_value)

    def assign_sub(self, delta, use_locking=None, name=None, read_value=True):
        return self._base.assign_sub(delta, use_locking, name, read_value)

    def __repr__(self) -> str:
        if tensor_module.graph_name_hook.value is not None:
            return f"<tf.Variable 'UnreadVariable' shape={self.shape} dtype={self.dtype.name}>"
        return (
            f"<tf.Variable 'UnreadVariable' shape={self.shape} dtype={self.dtype.name}, "
            f"numpy={numpy_text(self._concrete(), is_repr=True)}>"
        )

"""`tf.custom_gradient` and `tf.recompute_grad`: user-written gradients over the tape.

`custom_gradient(f)` follows TensorFlow's eager rules:
  - `f(*args)` returns `(result, grad)`; `result` is a tensor or any nest of tensors (a tuple
    of two tensors: `grad(dy1, dy2)`), returned in its own structure;
  - every flattened positional argument is an input (a Python number too, as TF converts
    them), and `grad` returns one gradient per input (None for none), flattened the same way;
  - the trainable variables `f` reads that are not themselves arguments are inputs as well:
    then `grad` must accept `variables=` and returns `(input_grads, variable_grads)` (TF's
    TypeError when `f` reads variables and `grad` has no such keyword).

The forward computation is recorded as usual (a traced function needs it) but cut off from
differentiation with `stop_gradient`; one `custom_gradient` equation (ops/custom.py) carries
it, and its VJP calls `grad`. Several outputs are carried as one flat vector (concatenated,
then sliced back), so that `grad` is called once with every output's cotangent.
"""

from __future__ import annotations

import functools
import inspect
import threading

import numpy as np

from tapeflow import nest, ops
from tapeflow.ops.core import InvalidArgumentError, bind, is_float, shape_of
from tapeflow.ops.custom import custom_gradient_p
from tapeflow.tracer import variable as variable_module
from tapeflow.tracer.tensor import Tensor, constant
from tapeflow.tracer.variable import Variable


class _VariableReads:
    """The trainable variables read on this thread while the block runs, first read first
    (TF's VariableWatcher; its order is a set's, this one is deterministic)."""

    def __enter__(self):
        self.seen: dict[int, Variable] = {}
        thread = threading.get_ident()

        def hook(variable):
            if threading.get_ident() == thread and variable.trainable:
                base = getattr(variable, "_base", variable)  # an assign's view: the variable
                self.seen.setdefault(base._uid, base)

        self._hook = hook
        variable_module.read_hooks.append(hook)
        return self

    def __exit__(self, *exc):
        variable_module.read_hooks.remove(self._hook)
        return False


def _accepts_variables(grad_fn) -> bool:
    try:
        params = inspect.signature(grad_fn).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == "variables" or p.kind is p.VAR_KEYWORD for p in params)


def _as_input(arg):
    """A positional argument as the tensor the equation reads (None: not convertible)."""
    if isinstance(arg, Variable):
        return arg._read()
    if isinstance(arg, Tensor):
        return arg
    try:
        return constant(arg)
    except (TypeError, ValueError):
        return None


def _as_output(value, name: str):
    if isinstance(value, Variable):
        return value._read()
    if isinstance(value, Tensor):
        return value
    try:
        return constant(value)
    except (TypeError, ValueError):
        raise InvalidArgumentError(
            f"custom_gradient: {name} returned a {type(value).__name__} in its output; "
            "outputs must be tensors"
        ) from None


def custom_gradient(f=None):
    """`@tf.custom_gradient`: `f(*x)` returns `(y, grad)` with `grad(*dy) -> dx` per input."""
    if f is None:  # @tf.custom_gradient()
        return custom_gradient

    name = getattr(f, "__qualname__", "f")

    @functools.wraps(f)
    def wrapped(*args, **kwargs):
        with _VariableReads() as reads:
            result = f(*args, **kwargs)
        if not (isinstance(result, tuple) and len(result) == 2 and callable(result[1])):
            raise InvalidArgumentError(f"custom_gradient: {name} must return (output, grad_fn)")
        result, grad_fn = result
        flat_args = nest.flatten(args)
        arg_ids = {id(a) for a in flat_args}
        variables = [v for v in reads.seen.values() if id(v) not in arg_ids]
        if variables and not _accepts_variables(grad_fn):
            raise TypeError(
                "@tf.custom_gradient grad_fn must accept keyword argument 'variables', since "
                f"function {name} uses variables: {[v.name for v in variables]}"
            )
        inputs = [_as_input(a) for a in flat_args]
        flat_ys = [_as_output(y, name) for y in nest.flatten(result)]
        rule = _Rule(grad_fn, name, flat_ys, inputs, variables)
        tensors = [t for t in inputs if t is not None] + [v._read() for v in variables]
        carried = bind(custom_gradient_p, stop_gradient_packed(flat_ys), *tensors,
                       grad_fn=rule)
        return nest.pack_sequence_as(result, rule.unpack(carried))

    return wrapped


def stop_gradient_packed(flat_ys):
    """The outputs, cut off from differentiation, as one tensor: the output itself when it
    is the only one, else every float output flattened and concatenated (in float64 when
    their dtypes differ: every float widens to it exactly, and the slices cast back)."""
    if len(flat_ys) == 1:
        return ops.stop_gradient(flat_ys[0])
    floats = [y for y in flat_ys if is_float(y.aval.dtype)]
    if not floats:
        return constant(np.zeros(0, np.float32))
    dtype = {y.aval.dtype for y in floats}
    dtype = dtype.pop() if len(dtype) == 1 else np.dtype(np.float64)
    return ops.concat([ops.reshape(ops.cast(ops.stop_gradient(y), dtype), [-1])
                       for y in floats], 0)


class _Rule:
    """The VJP the `custom_gradient` equation calls: unpacks the cotangent into one per
    output, calls the user's grad and checks what it returns against the inputs."""

    def __init__(self, grad_fn, name, flat_ys, inputs, variables):
        self.grad_fn, self.name = grad_fn, name
        self.__qualname__ = getattr(grad_fn, "__qualname__", "grad")
        self.flat_ys, self.inputs, self.variables = flat_ys, inputs, variables

    def _pieces(self, carried):
        """(output index, its slice of the carried vector) for every float output."""
        start = 0
        for i, y in enumerate(self.flat_ys):
            if is_float(y.aval.dtype):
                size = int(np.prod(shape_of(y), dtype=np.int64))
                piece = ops.slice(carried, [start], [size])
                yield i, ops.cast(ops.reshape(piece, shape_of(y)), y.aval.dtype)
                start += size

    def unpack(self, carried):
        """The outputs, read back from what the equation returned."""
        if len(self.flat_ys) == 1:
            return [carried]
        outs = [ops.stop_gradient(y) for y in self.flat_ys]
        for i, piece in self._pieces(carried):
            outs[i] = piece
        return outs

    def __call__(self, ct):
        if len(self.flat_ys) == 1:
            dys = [ct]
        else:  # outputs with no float slice (integers) get zeros, as TF's tape gives them
            dys = [ops.zeros_like(y) for y in self.flat_ys]
            for i, piece in self._pieces(ct):
                dys[i] = piece
        if self.variables:
            returned = self.grad_fn(*dys, variables=self.variables)
            if not (isinstance(returned, list | tuple) and len(returned) == 2):
                raise ValueError(
                    f"custom_gradient: {self.__qualname__} must return (input gradients, "
                    "variable gradients) when the function uses variables"
                )
            input_grads, variable_grads = returned
            variable_grads = list(nest.flatten(variable_grads))
            if len(variable_grads) != len(self.variables):
                raise ValueError(
                    f"custom_gradient: {self.__qualname__} returned {len(variable_grads)} "
                    f"variable gradients for {len(self.variables)} variables "
                    f"({[v.name for v in self.variables]})"
                )
        else:
            input_grads, variable_grads = self.grad_fn(*dys), []
        input_grads = nest.flatten(input_grads)
        if len(input_grads) != len(self.inputs):
            raise ValueError(
                f"custom_gradient: {self.__qualname__} returned {len(input_grads)} gradients "
                f"for {len(self.inputs)} inputs of {self.name}"
            )
        # Arguments that are no tensors (not convertible) take no slot in the equation.
        grads = [g for g, x in zip(input_grads, self.inputs) if x is not None] + variable_grads
        return tuple(grads)


def recompute_grad(f):
    """`tf.recompute_grad`: TF recomputes `f`'s forward pass during the backward pass to save
    memory; the values and gradients are `f`'s own, which is what this returns (the tape keeps
    the activations: there is no memory to save in a numpy interpreter)."""

    @functools.wraps(f)
    def wrapped(*args, **kwargs):
        return f(*args, **kwargs)

    return wrapped

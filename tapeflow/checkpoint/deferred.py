"""Deferred restoration: values a `restore` found no variable for yet, assigned once the
variable exists, as TensorFlow does ("restore-on-create").

A checkpoint is often restored before the objects have made all their variables: a module
or Keras layer builds its weights on its first call, an optimizer makes its slots on its
first `apply_gradients`. TensorFlow keeps such values and assigns each when its variable is
created; dropping them silently (a warning at most) would let training resume from freshly
initialised Adam moments or weights, with wrong values and no error.

How: `restore` registers the values no variable took, with the objects they belong to.
Every new Variable marks the registry dirty (variable.py's `deferred` hook, one flag test);
the next read of any variable walks the registered objects again and assigns each value
whose path now leads to a variable. A variable is read before its value is used, so it gets
the checkpoint's value first; the walk runs once per batch of new variables, and only while
some restore still waits for values.
"""

from __future__ import annotations

import weakref

import numpy as np

from tapeflow.ops.core import InvalidArgumentError
from tapeflow.tracer import variable as variable_module
from tapeflow.tracer.tensor import make_constant

# The restores still waiting for values, oldest first (a later restore wins on conflict).
_waiting: list["Pending"] = []


class Pending:
    """One restore's values that no variable took yet: `values` (path -> array), the
    objects they belong to (the checkpoint's children, held weakly where Python allows, so
    a waiting restore keeps no model alive) and the `checkpoint` that restored them."""

    def __init__(self, checkpoint, roots: dict, values: dict[str, np.ndarray], path: str):
        self.checkpoint = weakref.ref(checkpoint)
        self.path = path
        self.values = values
        self._roots = {}
        for name, obj in roots.items():
            if not any(key.split("/", 1)[0] == name for key in values):
                continue  # nothing of this root waits
            try:
                self._roots[name] = weakref.ref(obj)
            except TypeError:  # a list or dict: held as is
                self._roots[name] = _Strong(obj)

    def roots(self) -> dict:
        alive = {name: ref() for name, ref in self._roots.items()}
        return {name: obj for name, obj in alive.items() if obj is not None}

    def apply(self) -> None:
        """Assign every waiting value whose variable now exists."""
        from tapeflow.checkpoint.checkpoint import named_variables

        roots = self.roots()
        if not roots:
            self.values.clear()  # its objects are gone: nothing can take the values
            return
        found = named_variables(roots)
        for name in [n for n in self.values if n in found]:
            value = self.values.pop(name)
            variable = found[name]
            check_fits(name, value, variable)
            # The variable's initial state, replaced before anything reads it: a plain
            # state change, not an assignment a function trace would record.
            variable._value = make_constant(np.array(value, copy=True))


class _Strong:
    """A strong reference called like a weak one."""

    def __init__(self, obj):
        self._obj = obj

    def __call__(self):
        return self._obj


def check_fits(name: str, value: np.ndarray, variable) -> None:
    """TF's errors for a saved value that does not fit its variable: ValueError for another
    shape, InvalidArgumentError for another dtype; both name the key and both sides."""
    aval = variable.aval
    if value.shape != tuple(aval.shape):
        raise ValueError(f"checkpoint value {name!r} has shape {list(value.shape)}, the "
                         f"variable {variable.name!r} has shape {list(aval.shape)}")
    if value.dtype != aval.dtype:
        raise InvalidArgumentError(
            f"checkpoint value {name!r} has dtype {value.dtype.name}, the variable "
            f"{variable.name!r} has dtype {aval.dtype.name}")


def wait(pending: Pending) -> None:
    """Register a restore's unmatched values (replacing what the same checkpoint waited
    for from an earlier restore)."""
    checkpoint = pending.checkpoint()
    _waiting[:] = [p for p in _waiting if p.checkpoint() is not checkpoint]
    if pending.values:
        _waiting.append(pending)
    variable_module.deferred.active = bool(_waiting)


def apply_waiting() -> None:
    """Called (through variable.py's hook) on the first read after new variables appeared."""
    variable_module.deferred.dirty = False
    try:
        for pending in list(_waiting):
            pending.apply()
    finally:
        _waiting[:] = [p for p in _waiting if p.values]
        variable_module.deferred.active = bool(_waiting)


variable_module.deferred.apply = apply_waiting

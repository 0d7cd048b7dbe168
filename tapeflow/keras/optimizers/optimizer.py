"""`tf.keras.optimizers.Optimizer`: the base class every optimizer shares (Keras 3's order of
work: clip the gradients, apply weight decay, update each variable, count the step).

All state is Variables: the step counter `iterations`, the learning rate (unless a schedule
computes it from `iterations`) and each variable's slots (momentum, moments, ...). So inside
`@tapeflow.function` an update is just more equations of the one compiled step, and changing
the learning rate between calls assigns a Variable instead of retracing.
"""

from __future__ import annotations

import warnings

import numpy as np

from tapeflow import ops
from tapeflow.keras.optimizers.schedules import LearningRateSchedule
from tapeflow.ops.clip import clip_by_global_norm, clip_by_norm
from tapeflow.tracer.tensor import Tensor, TensorOperators, convert_to_tensor
from tapeflow.tracer.variable import Variable


class Optimizer:
    """Subclasses name their slots in `_slot_names` (created as zeros, or by overriding
    `_slot_initial`) and write one variable's update in `update_step`."""

    _slot_names: tuple[str, ...] = ()
    _default_name = "optimizer"

    def __init__(self, learning_rate=0.001, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None, **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected keyword argument(s) "
                            f"{', '.join(sorted(kwargs))}")
        given = [k for k, v in (("clipnorm", clipnorm), ("clipvalue", clipvalue),
                                ("global_clipnorm", global_clipnorm)) if v is not None]
        if len(given) > 1:
            raise ValueError(f"{type(self).__name__}: only one of clipnorm, clipvalue and "
                             f"global_clipnorm can be set, got {', '.join(given)}")
        for key, value in (("clipnorm", clipnorm), ("clipvalue", clipvalue),
                           ("global_clipnorm", global_clipnorm), ("weight_decay", weight_decay)):
            if value is not None and not (isinstance(value, int | float) and value >= 0):
                raise ValueError(f"{type(self).__name__}: {key} must be a non-negative number, "
                                 f"got {value!r}")
        self.name = name or self._default_name
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.iterations = Variable(np.int64(0), trainable=False, name=f"{self.name}/iteration")
        self._schedule = None
        self._owns_learning_rate = False
        if isinstance(learning_rate, LearningRateSchedule):
            self._schedule = learning_rate
            self._learning_rate = None
        elif isinstance(learning_rate, Variable):
            self._learning_rate = learning_rate  # the caller's: assigning it changes the rate
        elif callable(learning_rate):
            # Keras accepts a callable of no arguments, called at every step.
            self._schedule = _Callable(learning_rate)
            self._learning_rate = None
        else:
            value = np.asarray(learning_rate.numpy() if isinstance(learning_rate, TensorOperators)
                               else learning_rate)
            if value.shape != () or value.dtype.kind not in "iuf":
                raise ValueError(f"{type(self).__name__}: learning_rate must be a number, a "
                                 f"Variable or a LearningRateSchedule, got {learning_rate!r}")
            self._learning_rate = Variable(np.float32(value), trainable=False,
                                           name=f"{self.name}/learning_rate")
            self._owns_learning_rate = True
        self._var_list: list[Variable] | None = None
        self._index: dict[int, int] = {}  # Variable._uid -> position in _var_list
        self._slots: list[dict[str, Variable]] = []
        self._decay_excluded: set[int] = set()
        self._decay_excluded_names: tuple[str, ...] = ()
        self._extra_variables: list[Variable] = []  # per-optimizer state beyond the slots

    # ---- the learning rate --------------------------------------------------------------------

    @property
    def learning_rate(self):
        """The Variable holding the rate, or (with a schedule) the rate at this step."""
        if self._schedule is not None:
            return self._schedule(self.iterations)
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        if self._schedule is not None:
            raise TypeError(f"{self.name}: the learning rate comes from a schedule "
                            f"({type(self._schedule).__name__}) and cannot be set")
        if isinstance(value, LearningRateSchedule):
            raise TypeError(f"{self.name}: a schedule must be given when the optimizer is "
                            "created, not set afterwards")
        self._learning_rate.assign(np.asarray(value, dtype=self._learning_rate.aval.dtype))

    def _current_learning_rate(self) -> Tensor:
        if self._schedule is not None:
            return convert_to_tensor(self._schedule(self.iterations))
        return self._learning_rate.value()

    # ---- state --------------------------------------------------------------------------------

    @property
    def built(self) -> bool:
        return self._var_list is not None

    @property
    def variables(self) -> list[Variable]:
        """The step counter, the learning rate (when the optimizer owns it) and every slot,
        variable by variable in build order."""
        out = [self.iterations]
        if self._owns_learning_rate:
            out.append(self._learning_rate)
        for slots in self._slots:
            out.extend(slots[name] for name in self._slot_names if name in slots)
        return out + self._extra_variables

    def build(self, var_list) -> None:
        """Create the slots of every variable in `var_list` (once: later calls with more
        variables raise, as Keras 3)."""
        var_list = list(var_list)
        for v in var_list:
            if not isinstance(v, Variable):
                raise TypeError(f"{self.name}.build: expected Variables, got "
                                f"{type(v).__name__}")
        if self.built:
            unknown = [v for v in var_list if v._uid not in self._index]
            if unknown:
                raise ValueError(self._unknown_message(unknown[0]))
            return
        self._var_list = []
        for v in var_list:
            if v._uid in self._index:
                continue
            self._index[v._uid] = len(self._var_list)
            self._var_list.append(v)
            self._slots.append({name: self._make_slot(v, name) for name in self._slot_names
                                if self._wants_slot(name)})

    def _wants_slot(self, name: str) -> bool:
        return True

    def _slot_initial(self, variable: Variable, name: str) -> np.ndarray:
        return np.zeros(variable.shape, dtype=variable.aval.dtype)

    def _make_slot(self, variable: Variable, name: str) -> Variable:
        base = variable._name
        return Variable(self._slot_initial(variable, name), trainable=False,
                        name=f"{self.name}/{base}/{name}")

    def get_slot(self, variable: Variable, name: str) -> Variable:
        if not self.built or variable._uid not in self._index:
            raise ValueError(self._unknown_message(variable))
        slots = self._slots[self._index[variable._uid]]
        if name not in slots:
            raise ValueError(f"{self.name}: no slot {name!r}; slots: {sorted(slots)}")
        return slots[name]

    def _unknown_message(self, variable) -> str:
        built = self._var_list or []
        known = ", ".join(repr(v.name) for v in built[:6]) + (", ..." if len(built) > 6 else "")
        return (f"{self.name}: unknown variable {variable.name!r}: the optimizer was built for "
                f"{len(built)} variable(s) ({known}); call optimizer.build(var_list) with every "
                "variable it will update before the first step")

    def _checkpoint_children(self) -> dict:
        """What tf.train.Checkpoint saves of an optimizer: the step counter, the learning
        rate it owns and every slot (under the position and name of its variable), never the
        variables it trains (their owner saves them). Build the optimizer before restoring
        into it, so that its slots exist."""
        children: dict = {"iterations": self.iterations}
        if self._owns_learning_rate:
            children["learning_rate"] = self._learning_rate
        for i, (variable, slots) in enumerate(zip(self._var_list or [], self._slots)):
            for name, slot in slots.items():
                children[f"slots/{i}/{variable._name}/{name}"] = slot
        return children

    def exclude_from_weight_decay(self, var_list=None, var_names=None) -> None:
        """Variables (or names containing one of `var_names`) that weight decay skips."""
        self._decay_excluded.update(v._uid for v in (var_list or []))
        self._decay_excluded_names += tuple(var_names or ())

    # ---- the update ---------------------------------------------------------------------------

    def apply_gradients(self, grads_and_vars, name=None):
        """Apply one step of `(gradient, variable)` pairs; returns `iterations`. Everything is
        checked before any variable changes: a mismatched shape or dtype, a non-Variable or a
        variable the optimizer was not built for raise ValueError naming it. None gradients
        are skipped with a warning, as TF does."""
        pairs = list(grads_and_vars)
        checked, skipped = [], []
        seen = set()
        for pair in pairs:
            if not isinstance(pair, tuple | list) or len(pair) != 2:
                raise TypeError(f"{self.name}.apply_gradients: expected (gradient, variable) "
                                f"pairs, got {pair!r:.80}")
            grad, var = pair
            if not isinstance(var, Variable):
                raise TypeError(f"{self.name}.apply_gradients: expected a Variable, got "
                                f"{type(var).__name__} (paired with a gradient)")
            if var._uid in seen:
                raise ValueError(f"{self.name}.apply_gradients: variable {var.name!r} appears "
                                 "twice")
            seen.add(var._uid)
            if grad is None:
                skipped.append(var)
                continue
            grad = grad.value() if isinstance(grad, Variable) else convert_to_tensor(grad)
            if tuple(grad.shape) != tuple(var.shape):
                raise ValueError(f"{self.name}.apply_gradients: the gradient for variable "
                                 f"{var.name!r} has shape {tuple(grad.shape)}, the variable "
                                 f"{tuple(var.shape)}")
            if grad.aval.dtype != var.aval.dtype:
                raise ValueError(f"{self.name}.apply_gradients: the gradient for variable "
                                 f"{var.name!r} has dtype {grad.aval.dtype.name}, the variable "
                                 f"{var.aval.dtype.name}")
            if var.aval.dtype.kind != "f":
                raise ValueError(f"{self.name}.apply_gradients: variable {var.name!r} has "
                                 f"dtype {var.aval.dtype.name}; only float variables can be "
                                 "trained")
            checked.append((grad, var))
        if self.built:
            for _, var in checked:
                if var._uid not in self._index:
                    raise ValueError(self._unknown_message(var))
        if skipped:
            warnings.warn(f"{self.name}: gradients do not exist for variables "
                          f"{[v.name for v in skipped]} when minimizing the loss; they are "
                          "not updated", UserWarning, stacklevel=2)
        if not checked:
            if not pairs:
                raise ValueError(f"{self.name}.apply_gradients: no (gradient, variable) pairs")
            raise ValueError(f"{self.name}.apply_gradients: no gradients provided for any "
                             f"variable ({', '.join(v.name for v in skipped)})")
        if not self.built:
            self.build([var for _, var in pairs])
        grads = self._clip([g for g, _ in checked])
        lr = self._current_learning_rate()
        rates: dict[np.dtype, Tensor] = {}
        self._before_updates()
        for grad, var in zip(grads, (v for _, v in checked)):
            dtype = var.aval.dtype
            if dtype not in rates:
                rates[dtype] = ops.cast(lr, dtype)
            if self.weight_decay and self._decays(var):
                # Decoupled weight decay (Keras 3): var <- var - var * wd * lr, before the step.
                var.assign_sub(ops.multiply(var, ops.multiply(rates[dtype], self.weight_decay)))
            self.update_step(grad, var, rates[dtype], self._slots[self._index[var._uid]])
        self.iterations.assign_add(np.int64(1))
        return self.iterations

    def _decays(self, var: Variable) -> bool:
        if var._uid in self._decay_excluded:
            return False
        return not any(n in var._name for n in self._decay_excluded_names)

    def _clip(self, grads: list[Tensor]) -> list[Tensor]:
        if self.clipnorm is not None:
            return [clip_by_norm(g, self.clipnorm) for g in grads]
        if self.global_clipnorm is not None:
            return clip_by_global_norm(grads, self.global_clipnorm)[0]
        if self.clipvalue is not None:
            return [ops.clip_by_value(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    def _before_updates(self) -> None:
        """Work done once per step before the variables are updated (Nadam's product of
        momentum factors)."""

    def update_step(self, gradient: Tensor, variable: Variable, learning_rate: Tensor,
                    slots: dict[str, Variable]) -> None:
        raise NotImplementedError(f"{type(self).__name__} must define update_step")

    def _step_number(self, dtype) -> Tensor:
        """The 1-based number of the step being applied, as a float of `dtype`."""
        return ops.cast(ops.add(self.iterations, np.int64(1)), dtype)

    def minimize(self, loss, var_list, tape=None):
        """Compute the gradients of `loss` (a tensor recorded by `tape`, or a callable of no
        arguments) with respect to `var_list` and apply them; returns `iterations`."""
        from tapeflow.tracer.tape import GradientTape

        if callable(var_list):
            var_list = var_list()
        var_list = list(var_list)
        if callable(loss):
            with GradientTape() as recorder:
                recorder.watch(var_list)
                loss = loss()
            tape = recorder
        elif tape is None:
            raise ValueError(f"{self.name}.minimize: `tape` is required when `loss` is a "
                             "tensor (pass the GradientTape that recorded it, or a callable)")
        grads = tape.gradient(loss, var_list)
        return self.apply_gradients(zip(grads, var_list))

    # ---- configuration --------------------------------------------------------------------------

    def get_config(self) -> dict:
        config = {"name": self.name, "weight_decay": self.weight_decay,
                  "clipnorm": self.clipnorm, "clipvalue": self.clipvalue,
                  "global_clipnorm": self.global_clipnorm}
        if self._schedule is None:
            config["learning_rate"] = float(self._learning_rate.numpy())
        return config

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r} built={self.built}>"


class _Callable(LearningRateSchedule):
    """A learning rate given as a callable of no arguments (called at every step)."""

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, step):
        return ops.cast(convert_to_tensor(self.fn()), np.float32)


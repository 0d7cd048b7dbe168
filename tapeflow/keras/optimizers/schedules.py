"""`tf.keras.optimizers.schedules`: learning rates as functions of the step number.

Each schedule is computed with tensor ops from the step (the optimizer passes its
`iterations` Variable), never by a Python read of it, so inside a compiled step the rate is
part of the graph and a new step number never retraces."""

from __future__ import annotations

import itertools
import math

import numpy as np

from tapeflow import ops
from tapeflow.tracer.tensor import convert_to_tensor


class LearningRateSchedule:
    """Base class: `schedule(step)` returns the float32 learning rate at `step`."""

    def __call__(self, step):
        raise NotImplementedError(f"{type(self).__name__} must define __call__(step)")

    def get_config(self) -> dict:
        return {}


def _float_step(step):
    """The step as a float32 tensor (a Variable, a tensor or a Python number)."""
    t = convert_to_tensor(step) if not hasattr(step, "aval") else step
    return ops.cast(t, np.float32)


def _positive(name: str, key: str, value) -> float:
    if not isinstance(value, int | float) or value <= 0:
        raise ValueError(f"{name}: {key} must be a positive number, got {value!r}")
    return value


class _StepRatioDecay(LearningRateSchedule):
    """A decay of initial_learning_rate by decay_rate over p = step / decay_steps (floored
    with `staircase`): what ExponentialDecay and InverseTimeDecay share."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase, name):
        self.initial_learning_rate = float(initial_learning_rate)
        self.decay_steps = _positive(name, "decay_steps", decay_steps)
        self.decay_rate = float(decay_rate)
        self.staircase = bool(staircase)
        self.name = name

    def _ratio(self, step):
        p = ops.divide(_float_step(step), np.float32(self.decay_steps))
        return ops.floor(p) if self.staircase else p

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class ExponentialDecay(_StepRatioDecay):
    """initial_learning_rate * decay_rate ** (step / decay_steps); with `staircase` the
    exponent is floored, so the rate drops every `decay_steps` steps."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay"):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step):
        return ops.multiply(np.float32(self.initial_learning_rate),
                            ops.pow(np.float32(self.decay_rate), self._ratio(step)))


class PiecewiseConstantDecay(LearningRateSchedule):
    """values[0] while step <= boundaries[0], values[1] while step <= boundaries[1], ...,
    values[-1] after the last boundary."""

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        boundaries, values = list(boundaries), list(values)
        if len(values) != len(boundaries) + 1:
            raise ValueError(f"{name}: values needs one more entry than boundaries, got "
                             f"{len(boundaries)} boundaries and {len(values)} values")
        if any(b1 <= b0 for b0, b1 in itertools.pairwise(boundaries)):
            raise ValueError(f"{name}: boundaries must increase, got {boundaries}")
        self.boundaries = boundaries
        self.values = [float(v) for v in values]
        self.name = name

    def __call__(self, step):
        x = _float_step(step)
        rate = ops.fill([], np.float32(self.values[-1]))
        # From the last interval to the first, so the first boundary the step is under wins.
        for boundary, value in zip(reversed(self.boundaries), reversed(self.values[:-1])):
            rate = ops.where(ops.less_equal(x, np.float32(boundary)),
                             ops.fill([], np.float32(value)), rate)
        return rate

    def get_config(self) -> dict:
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class CosineDecay(LearningRateSchedule):
    """Cosine decay from the rate to alpha * rate over `decay_steps` (then constant), after
    an optional linear warmup from initial_learning_rate to warmup_target over warmup_steps
    (the decay then starts from warmup_target)."""

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        self.initial_learning_rate = float(initial_learning_rate)
        self.decay_steps = _positive(name, "decay_steps", decay_steps)
        self.alpha = float(alpha)
        self.warmup_target = None if warmup_target is None else float(warmup_target)
        self.warmup_steps = int(warmup_steps)
        if self.warmup_steps < 0:
            raise ValueError(f"{name}: warmup_steps must be >= 0, got {warmup_steps}")
        self.name = name

    def _decay(self, step, start: float):
        fraction = ops.divide(ops.minimum(step, np.float32(self.decay_steps)),
                              np.float32(self.decay_steps))
        cosine = ops.multiply(np.float32(0.5),
                              ops.add(np.float32(1.0), ops.cos(ops.multiply(
                                  np.float32(math.pi), fraction))))
        decayed = ops.add(ops.multiply(np.float32(1.0 - self.alpha), cosine),
                          np.float32(self.alpha))
        return ops.multiply(np.float32(start), decayed)

    def __call__(self, step):
        x = _float_step(step)
        if self.warmup_target is None:
            return self._decay(x, self.initial_learning_rate)
        w = np.float32(max(self.warmup_steps, 1))
        warm = ops.add(np.float32(self.initial_learning_rate),
                       ops.multiply(np.float32(self.warmup_target - self.initial_learning_rate),
                                    ops.divide(x, w)))
        decayed = self._decay(ops.maximum(ops.subtract(x, np.float32(self.warmup_steps)),
                                          np.float32(0.0)), self.warmup_target)
        return ops.where(ops.less(x, np.float32(self.warmup_steps)), warm, decayed)

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "alpha": self.alpha, "name": self.name,
                "warmup_target": self.warmup_target, "warmup_steps": self.warmup_steps}


class InverseTimeDecay(_StepRatioDecay):
    """initial_learning_rate / (1 + decay_rate * step / decay_steps); with `staircase` the
    quotient step / decay_steps is floored."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="InverseTimeDecay"):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step):
        return ops.divide(np.float32(self.initial_learning_rate),
                          ops.add(np.float32(1.0), ops.multiply(np.float32(self.decay_rate),
                                                                self._ratio(step))))


class PolynomialDecay(LearningRateSchedule):
    """(initial - end) * (1 - step / decay_steps) ** power + end, the step held at
    decay_steps after it; with `cycle`, decay_steps is instead stretched to the first multiple
    of itself at or above the step (1 * decay_steps at step 0), so the decay restarts."""

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001,
                 power=1.0, cycle=False, name="PolynomialDecay"):
        self.initial_learning_rate = float(initial_learning_rate)
        self.decay_steps = _positive(name, "decay_steps", decay_steps)
        self.end_learning_rate = float(end_learning_rate)
        self.power = float(power)
        self.cycle = bool(cycle)
        self.name = name

    def __call__(self, step):
        x = _float_step(step)
        steps = np.float32(self.decay_steps)
        if self.cycle:
            multiplier = ops.where(ops.equal(x, np.float32(0.0)), ops.fill([], np.float32(1.0)),
                                   ops.ceil(ops.divide(x, steps)))
            steps = ops.multiply(steps, multiplier)
        else:
            x = ops.minimum(x, steps)
        remaining = ops.subtract(np.float32(1.0), ops.divide(x, steps))
        return ops.add(ops.multiply(np.float32(self.initial_learning_rate
                                               - self.end_learning_rate),
                                    ops.pow(remaining, np.float32(self.power))),
                       np.float32(self.end_learning_rate))

    def get_config(self) -> dict:
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "end_learning_rate": self.end_learning_rate,
                "power": self.power, "cycle": self.cycle, "name": self.name}


__all__ = ["CosineDecay", "ExponentialDecay", "InverseTimeDecay", "LearningRateSchedule",
           "PiecewiseConstantDecay", "PolynomialDecay"]

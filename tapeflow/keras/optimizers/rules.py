"""The optimizers' update rules, as Keras 3 defines them. `g` is the (clipped) gradient,
`lr` the learning rate at this step, `t` the 1-based step number; each rule updates its slots
and then the variable with `assign*`, so a compiled step commits them all together."""

from __future__ import annotations

import numpy as np

from tapeflow import ops
from tapeflow.keras.optimizers.optimizer import Optimizer


class SGD(Optimizer):
    """Without momentum: w <- w - lr * g. With momentum m:
    v <- m * v - lr * g, then w <- w + v, or with `nesterov` w <- w + m * v - lr * g."""

    _slot_names = ("momentum",)
    _default_name = "SGD"

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        if not isinstance(momentum, int | float) or not 0 <= momentum <= 1:
            raise ValueError(f"SGD: momentum must be a number in [0, 1], got {momentum!r}")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)

    def _wants_slot(self, name):
        return self.momentum != 0

    def update_step(self, g, var, lr, slots):
        step = ops.multiply(g, lr)
        if self.momentum == 0:
            var.assign_sub(step)
            return
        v = slots["momentum"]
        v.assign(ops.subtract(ops.multiply(v, self.momentum), step))
        if self.nesterov:
            var.assign_add(ops.subtract(ops.multiply(v, self.momentum), step))
        else:
            var.assign_add(v)


class Adam(Optimizer):
    """m <- m + (g - m)(1 - b1), v <- v + (g^2 - v)(1 - b2) (with `amsgrad`, v_hat <- max(v_hat,
    v) is used for v below), then
    w <- w - lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + epsilon)."""

    _slot_names = ("m", "v", "vhat")
    _default_name = "adam"

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        for key, value in (("beta_1", beta_1), ("beta_2", beta_2)):
            if not isinstance(value, int | float) or not 0 <= value < 1:
                raise ValueError(f"{type(self).__name__}: {key} must be in [0, 1), got "
                                 f"{value!r}")
        self.beta_1, self.beta_2 = float(beta_1), float(beta_2)
        self.epsilon = float(epsilon)
        self.amsgrad = bool(amsgrad)

    def _wants_slot(self, name):
        return name != "vhat" or self.amsgrad

    def update_step(self, g, var, lr, slots):
        dtype = var.aval.dtype
        t = self._step_number(dtype)
        b1_power = ops.pow(np.asarray(self.beta_1, dtype), t)
        b2_power = ops.pow(np.asarray(self.beta_2, dtype), t)
        alpha = ops.divide(ops.multiply(lr, ops.sqrt(ops.subtract(1.0, b2_power))),
                           ops.subtract(1.0, b1_power))
        m, v = slots["m"], slots["v"]
        m.assign_add(ops.multiply(ops.subtract(g, m), 1.0 - self.beta_1))
        v.assign_add(ops.multiply(ops.subtract(ops.multiply(g, g), v), 1.0 - self.beta_2))
        if self.amsgrad:
            vhat = slots["vhat"]
            vhat.assign(ops.maximum(vhat, v))
            v = vhat
        var.assign_sub(ops.divide(ops.multiply(m, alpha), ops.add(ops.sqrt(v), self.epsilon)))


class AdamW(Adam):
    """Adam with decoupled weight decay (w <- w - w * weight_decay * lr before each step);
    the decay defaults to 0.004, as Keras 3."""

    _default_name = "adamw"

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, **kwargs):
        if weight_decay is None:
            raise ValueError("AdamW: weight_decay must be a number (AdamW without it is Adam)")
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay,
                         beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, amsgrad=amsgrad,
                         **kwargs)


class RMSprop(Optimizer):
    """s <- rho * s + (1 - rho) g^2; with `centered`, a <- rho * a + (1 - rho) g and the
    denominator is s - a^2 + epsilon, else s + epsilon; step = lr * g / sqrt(denominator);
    with momentum mu: p <- mu * p + step and w <- w - p, else w <- w - step."""

    _slot_names = ("velocity", "momentum", "average_gradient")
    _default_name = "rmsprop"

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        if not isinstance(rho, int | float) or not 0 <= rho < 1:
            raise ValueError(f"RMSprop: rho must be in [0, 1), got {rho!r}")
        if not isinstance(momentum, int | float) or not 0 <= momentum <= 1:
            raise ValueError(f"RMSprop: momentum must be in [0, 1], got {momentum!r}")
        self.rho, self.momentum = float(rho), float(momentum)
        self.epsilon = float(epsilon)
        self.centered = bool(centered)

    def _wants_slot(self, name):
        if name == "momentum":
            return self.momentum > 0
        return name != "average_gradient" or self.centered

    def update_step(self, g, var, lr, slots):
        s = slots["velocity"]
        s.assign(ops.add(ops.multiply(s, self.rho), ops.multiply(ops.multiply(g, g),
                                                                 1.0 - self.rho)))
        if self.centered:
            a = slots["average_gradient"]
            a.assign(ops.add(ops.multiply(a, self.rho), ops.multiply(g, 1.0 - self.rho)))
            denominator = ops.add(ops.subtract(s, ops.multiply(a, a)), self.epsilon)
        else:
            denominator = ops.add(s, self.epsilon)
        step = ops.divide(ops.multiply(lr, g), ops.sqrt(denominator))
        if self.momentum > 0:
            p = slots["momentum"]
            p.assign(ops.add(ops.multiply(p, self.momentum), step))
            var.assign_sub(p)
        else:
            var.assign_sub(step)


class Adagrad(Optimizer):
    """acc <- acc + g^2 (acc starts at initial_accumulator_value), then
    w <- w - lr * g / sqrt(acc + epsilon)."""

    _slot_names = ("accumulator",)
    _default_name = "adagrad"

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        if not isinstance(initial_accumulator_value, int | float) or \
                initial_accumulator_value < 0:
            raise ValueError(f"Adagrad: initial_accumulator_value must be >= 0, got "
                             f"{initial_accumulator_value!r}")
        self.initial_accumulator_value = float(initial_accumulator_value)
        self.epsilon = float(epsilon)

    def _slot_initial(self, variable, name):
        return np.full(variable.shape, self.initial_accumulator_value, variable.aval.dtype)

    def update_step(self, g, var, lr, slots):
        acc = slots["accumulator"]
        acc.assign_add(ops.multiply(g, g))
        var.assign_sub(ops.divide(ops.multiply(lr, g), ops.sqrt(ops.add(acc, self.epsilon))))

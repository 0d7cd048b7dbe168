"""The optimizers' update rules, as Keras 3 defines them. `g` is the (clipped) gradient,
`lr` the learning rate at this step, `t` the 1-based step number; each rule updates its slots
and then the variable with `assign*`, so a compiled step commits them all together."""

from __future__ import annotations

import numpy as np

from tapeflow import ops
from tapeflow.keras.optimizers.optimizer import Optimizer
from tapeflow.tracer.variable import Variable


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


class Adamax(Optimizer):
    """Adam with the infinity norm: m <- m + (g - m)(1 - b1), u <- max(b2 * u, |g|), then
    w <- w - lr * m / ((1 - b1^t)(u + epsilon))."""

    _slot_names = ("m", "u")
    _default_name = "adamax"

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1, self.beta_2 = float(beta_1), float(beta_2)
        self.epsilon = float(epsilon)

    def update_step(self, g, var, lr, slots):
        t = self._step_number(var.aval.dtype)
        b1_power = ops.pow(np.asarray(self.beta_1, var.aval.dtype), t)
        m, u = slots["m"], slots["u"]
        m.assign_add(ops.multiply(ops.subtract(g, m), 1.0 - self.beta_1))
        u.assign(ops.maximum(ops.multiply(u, self.beta_2), ops.abs(g)))
        var.assign_sub(ops.divide(ops.multiply(lr, m),
                                  ops.multiply(ops.subtract(1.0, b1_power),
                                               ops.add(u, self.epsilon))))


class Nadam(Optimizer):
    """Adam with Nesterov momentum, Keras 3's form (Dozat's schedule of momentum):
    mu_t = b1 (1 - 0.5 * 0.96^t), and a running product of the mu's (one Variable for the
    whole optimizer, advanced once per step before the variables are updated). Then
    m_hat = mu_{t+1} m / (1 - prod_t * mu_{t+1}) + (1 - mu_t) g / (1 - prod_t),
    v_hat = v / (1 - b2^t), w <- w - lr * m_hat / (sqrt(v_hat) + epsilon)."""

    _slot_names = ("m", "v")
    _default_name = "nadam"

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1, self.beta_2 = float(beta_1), float(beta_2)
        self.epsilon = float(epsilon)
        self._u_product = None

    def build(self, var_list):
        var_list = list(var_list)
        first_build = not self.built
        super().build(var_list)
        if first_build:
            dtype = var_list[0].aval.dtype if var_list else np.dtype(np.float32)
            self._u_product = Variable(np.asarray(1.0, dtype), trainable=False,
                                       name=f"{self.name}/u_product")
            self._extra_variables.append(self._u_product)

    def _mu(self, step, dtype):
        """beta_1 * (1 - 0.5 * 0.96 ** step) for a float `step` tensor."""
        return ops.multiply(self.beta_1, ops.subtract(
            1.0, ops.multiply(0.5, ops.pow(np.asarray(0.96, dtype), step))))

    def _before_updates(self):
        dtype = self._u_product.aval.dtype
        self._u_product.assign(ops.multiply(self._u_product, self._mu(
            self._step_number(dtype), dtype)))

    def update_step(self, g, var, lr, slots):
        dtype = var.aval.dtype
        t = self._step_number(dtype)
        mu_t = self._mu(t, dtype)
        mu_next = self._mu(ops.add(t, np.asarray(1.0, dtype)), dtype)
        product = ops.cast(self._u_product, dtype)  # already includes mu_t
        product_next = ops.multiply(product, mu_next)
        b2_power = ops.pow(np.asarray(self.beta_2, dtype), t)
        m, v = slots["m"], slots["v"]
        m.assign_add(ops.multiply(ops.subtract(g, m), 1.0 - self.beta_1))
        v.assign_add(ops.multiply(ops.subtract(ops.multiply(g, g), v), 1.0 - self.beta_2))
        m_hat = ops.add(ops.divide(ops.multiply(mu_next, m), ops.subtract(1.0, product_next)),
                        ops.divide(ops.multiply(ops.subtract(1.0, mu_t), g),
                                   ops.subtract(1.0, product)))
        v_hat = ops.divide(v, ops.subtract(1.0, b2_power))
        var.assign_sub(ops.divide(ops.multiply(m_hat, lr),
                                  ops.add(ops.sqrt(v_hat), self.epsilon)))


class Adadelta(Optimizer):
    """a <- rho a + (1 - rho) g^2; delta = -sqrt(d + eps) / sqrt(a + eps) * g;
    d <- rho d + (1 - rho) delta^2; w <- w + lr * delta (Keras 3 keeps a learning rate,
    0.001 by default; 1.0 is the paper's)."""

    _slot_names = ("accumulated_grad", "accumulated_delta_var")
    _default_name = "adadelta"

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.rho, self.epsilon = float(rho), float(epsilon)

    def update_step(self, g, var, lr, slots):
        rho = self.rho
        acc, acc_delta = slots["accumulated_grad"], slots["accumulated_delta_var"]

        def rms(x):
            return ops.sqrt(ops.add(x, self.epsilon))

        acc.assign(ops.add(ops.multiply(acc, rho), ops.multiply(ops.multiply(g, g), 1.0 - rho)))
        delta = ops.negative(ops.divide(ops.multiply(rms(acc_delta), g), rms(acc)))
        acc_delta.assign(ops.add(ops.multiply(acc_delta, rho),
                                 ops.multiply(ops.multiply(delta, delta), 1.0 - rho)))
        var.assign_add(ops.multiply(lr, delta))


class Ftrl(Optimizer):
    """Follow The Regularized Leader (McMahan et al. 2013), Keras 3's form with p =
    -learning_rate_power: n' = n + g^2, z <- z + g' - (n'^p - n^p) / lr * w (g' = g + 2 *
    l2_shrinkage * w), then w <- (clip(z, -l1, l1) - z) / (n'^p / lr + 2 * l2) with
    l2 = l2_regularization_strength + beta / (2 lr), and n <- n'."""

    _slot_names = ("accumulator", "linear")
    _default_name = "ftrl"

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5,
                 initial_accumulator_value=0.1, l1_regularization_strength=0.0,
                 l2_regularization_strength=0.0, l2_shrinkage_regularization_strength=0.0,
                 beta=0.0, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        if learning_rate_power > 0:
            raise ValueError(f"Ftrl: learning_rate_power must be <= 0, got "
                             f"{learning_rate_power!r}")
        for key, value in (("initial_accumulator_value", initial_accumulator_value),
                           ("l1_regularization_strength", l1_regularization_strength),
                           ("l2_regularization_strength", l2_regularization_strength),
                           ("l2_shrinkage_regularization_strength",
                            l2_shrinkage_regularization_strength)):
            if value < 0:
                raise ValueError(f"Ftrl: {key} must be >= 0, got {value!r}")
        self.learning_rate_power = float(learning_rate_power)
        self.initial_accumulator_value = float(initial_accumulator_value)
        self.l1_regularization_strength = float(l1_regularization_strength)
        self.l2_regularization_strength = float(l2_regularization_strength)
        self.l2_shrinkage_regularization_strength = float(l2_shrinkage_regularization_strength)
        self.beta = float(beta)

    def _slot_initial(self, variable, name):
        if name == "accumulator":
            return np.full(variable.shape, self.initial_accumulator_value, variable.aval.dtype)
        return super()._slot_initial(variable, name)

    def update_step(self, g, var, lr, slots):
        power = -self.learning_rate_power
        accum, linear = slots["accumulator"], slots["linear"]
        l2 = ops.add(self.l2_regularization_strength,
                     ops.divide(self.beta, ops.multiply(2.0, lr)))
        shrunk = ops.add(g, ops.multiply(2.0 * self.l2_shrinkage_regularization_strength, var))
        new_accum = ops.add(accum, ops.multiply(g, g))
        sigma = ops.divide(ops.subtract(ops.pow(new_accum, power), ops.pow(accum, power)), lr)
        linear.assign_add(ops.subtract(shrunk, ops.multiply(sigma, var)))
        quadratic = ops.add(ops.divide(ops.pow(new_accum, power), lr), ops.multiply(2.0, l2))
        l1 = self.l1_regularization_strength
        clipped = ops.clip_by_value(linear, -l1, l1)
        var.assign(ops.divide(ops.subtract(clipped, linear), quadratic))
        accum.assign(new_accum)


class Lion(Optimizer):
    """w <- w - lr * sign(b1 m + (1 - b1) g), then m <- b2 m + (1 - b2) g."""

    _slot_names = ("momentum",)
    _default_name = "lion"

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        if not isinstance(beta_1, int | float) or not 0 < beta_1 <= 1:
            raise ValueError(f"Lion: beta_1 must be in (0, 1], got {beta_1!r}")
        self.beta_1, self.beta_2 = float(beta_1), float(beta_2)

    def update_step(self, g, var, lr, slots):
        m = slots["momentum"]
        direction = ops.sign(ops.add(ops.multiply(m, self.beta_1),
                                     ops.multiply(g, 1.0 - self.beta_1)))
        var.assign_sub(ops.multiply(lr, direction))
        m.assign(ops.add(ops.multiply(m, self.beta_2), ops.multiply(g, 1.0 - self.beta_2)))

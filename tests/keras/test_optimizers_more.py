"""Adamax, Nadam, Adadelta, Ftrl and Lion against their Keras 3 rules in numpy (float64),
InverseTimeDecay and PolynomialDecay against their formulas, and each inside
@tapeflow.function against eager."""

import numpy as np
import pytest

import tapeflow as tf
from tests.keras.test_optimizers import W0, _grads, _run, _train

K = tf.keras.optimizers


def _reference(kind, cfg, steps=3):
    ws = [w.copy() for w in W0]
    lr = cfg["learning_rate"]
    state = [{} for _ in ws]
    u_product = 1.0
    for t in range(1, steps + 1):
        gs = _grads(ws)
        if kind == "Nadam":
            b1 = cfg.get("beta_1", 0.9)

            def mu(k, b1=b1):
                return b1 * (1 - 0.5 * 0.96**k)

            u_product *= mu(t)  # advanced once per step, before any variable
        for i, (w, g, s) in enumerate(zip(ws, gs, state)):
            if kind == "Adamax":
                b1, b2, eps = 0.9, 0.999, 1e-7
                s["m"] = s.get("m", 0.0) + (g - s.get("m", 0.0)) * (1 - b1)
                s["u"] = np.maximum(b2 * s.get("u", 0.0), np.abs(g))
                w = w - lr * s["m"] / ((1 - b1**t) * (s["u"] + eps))
            elif kind == "Nadam":
                b2, eps = cfg.get("beta_2", 0.999), 1e-7
                s["m"] = s.get("m", 0.0) + (g - s.get("m", 0.0)) * (1 - b1)
                s["v"] = s.get("v", 0.0) + (g * g - s.get("v", 0.0)) * (1 - b2)
                m_hat = (mu(t + 1) * s["m"] / (1 - u_product * mu(t + 1))
                         + (1 - mu(t)) * g / (1 - u_product))
                v_hat = s["v"] / (1 - b2**t)
                w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
            elif kind == "Adadelta":
                rho, eps = cfg.get("rho", 0.95), 1e-7
                s["a"] = rho * s.get("a", 0.0) + (1 - rho) * g * g
                delta = -np.sqrt(s.get("d", 0.0) + eps) / np.sqrt(s["a"] + eps) * g
                s["d"] = rho * s.get("d", 0.0) + (1 - rho) * delta * delta
                w = w + lr * delta
            elif kind == "Ftrl":
                p = -cfg.get("learning_rate_power", -0.5)
                l1 = cfg.get("l1_regularization_strength", 0.0)
                l2 = cfg.get("l2_regularization_strength", 0.0)
                n = s.get("n", np.full_like(w, 0.1))
                n_new = n + g * g
                s["z"] = s.get("z", 0.0) + g - (n_new**p - n**p) / lr * w
                w = (np.clip(s["z"], -l1, l1) - s["z"]) / (n_new**p / lr + 2 * l2)
                s["n"] = n_new
            elif kind == "Lion":
                b1, b2 = 0.9, 0.99
                m = s.get("m", 0.0)
                w = w - lr * np.sign(b1 * m + (1 - b1) * g)
                s["m"] = b2 * m + (1 - b2) * g
            ws[i] = w
    return ws


CASES = [
    ("Adamax", {"learning_rate": 0.0625}),
    ("Nadam", {"learning_rate": 0.0625}),
    ("Nadam", {"learning_rate": 0.0625, "beta_1": 0.75, "beta_2": 0.875}),
    ("Adadelta", {"learning_rate": 1.0}),
    ("Adadelta", {"learning_rate": 0.5, "rho": 0.75}),
    ("Ftrl", {"learning_rate": 0.25}),
    ("Ftrl", {"learning_rate": 0.25, "l1_regularization_strength": 0.125,
              "l2_regularization_strength": 0.25, "learning_rate_power": -0.75}),
    ("Lion", {"learning_rate": 0.0625}),
]


@pytest.mark.parametrize("kind,cfg", CASES, ids=[f"{k}{sorted(c)[1:]}" for k, c in CASES])
def test_update_equals_the_keras_rule_for_three_steps(kind, cfg):
    ws = _run(getattr(K, kind)(**cfg))
    for got, want in zip(ws, _reference(kind, cfg)):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("kind", ["Adamax", "Nadam", "Adadelta", "Ftrl", "Lion"])
def test_inside_a_function_matches_eager(kind):
    def factory():
        return getattr(K, kind)(0.01)

    eager = _train(False, 5, factory)
    compiled = _train(True, 5, factory)
    np.testing.assert_allclose(compiled[0], eager[0], rtol=1e-4)
    for a, b in zip(compiled[1:3], eager[1:3]):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-6)
    assert compiled[4].experimental_get_tracing_count() == 1


def test_nadam_keeps_one_product_variable_beyond_the_slots():
    a, b = tf.Variable([1.0, 2.0]), tf.Variable(3.0)
    opt = K.Nadam(0.1)
    opt.build([a, b])
    # iterations, learning_rate, m and v of each variable, the product of momentum factors
    assert len(opt.variables) == 7


def test_inverse_time_and_polynomial_decay_formulas():
    s = K.schedules.InverseTimeDecay(0.1, 10, 0.5)
    for k in (0, 5, 10, 25):
        np.testing.assert_allclose(float(s(k)), 0.1 / (1 + 0.5 * k / 10), rtol=1e-6)
    s = K.schedules.InverseTimeDecay(0.1, 10, 0.5, staircase=True)
    for k in (0, 9, 10, 25):
        np.testing.assert_allclose(float(s(k)), 0.1 / (1 + 0.5 * (k // 10)), rtol=1e-6)
    s = K.schedules.PolynomialDecay(0.1, 10, 0.01, power=2.0)
    for k in (0, 5, 10, 20):
        np.testing.assert_allclose(float(s(k)), 0.09 * (1 - min(k, 10) / 10) ** 2 + 0.01,
                                   rtol=1e-6)
    s = K.schedules.PolynomialDecay(0.1, 10, 0.01, cycle=True)
    for k, steps in ((0, 10), (5, 10), (10, 10), (15, 20), (25, 30)):
        np.testing.assert_allclose(float(s(k)), 0.09 * (1 - k / steps) + 0.01, rtol=1e-6)


@pytest.mark.parametrize("schedule", [
    K.schedules.InverseTimeDecay(0.1, 2, 0.5, staircase=True),
    K.schedules.PolynomialDecay(0.1, 3, 0.01, cycle=True),
], ids=["inverse_time", "polynomial"])
def test_a_schedule_inside_a_function_matches_eager(schedule):
    eager = _train(False, 6, lambda: K.SGD(schedule))
    compiled = _train(True, 6, lambda: K.SGD(schedule))
    np.testing.assert_allclose(compiled[0], eager[0], rtol=1e-5)
    assert compiled[4].experimental_get_tracing_count() == 1

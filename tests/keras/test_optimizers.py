"""tf.keras.optimizers: each update rule against its published formula in numpy (float64),
clipping, weight decay, schedules, and the step inside @tapeflow.function."""

import warnings

import numpy as np
import pytest

import tapeflow as tf

K = tf.keras.optimizers

# Two float64 variables and a loss whose gradient is known in closed form:
# loss = sum(a * w^2 + b * w), so dloss/dw = 2 a w + b (a different scale per element).
A = [np.array([[0.5, 2.0, 1.5], [3.0, 0.25, 1.0]]), np.array([4.0, 0.75])]
B = [np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]]), np.array([-0.5, 2.0])]
W0 = [np.array([[0.3, -0.7, 1.1], [-1.4, 0.9, 0.2]]), np.array([0.6, -0.8])]


def _grads(ws):
    return [2 * a * w + b for a, b, w in zip(A, B, ws)]


# ---- the published rules, in numpy --------------------------------------------------------


def _clip(gs, cfg):
    if cfg.get("clipnorm") is not None:
        c = cfg["clipnorm"]
        return [g * c / max(np.sqrt(np.sum(g * g)), c) for g in gs]
    if cfg.get("global_clipnorm") is not None:
        c = cfg["global_clipnorm"]
        n = np.sqrt(sum(np.sum(g * g) for g in gs))
        return [g * c / max(n, c) for g in gs]
    if cfg.get("clipvalue") is not None:
        return [np.clip(g, -cfg["clipvalue"], cfg["clipvalue"]) for g in gs]
    return gs


def _reference(kind, cfg, steps=3):
    """The weights after `steps` steps of optimizer `kind`, from the rules as published."""
    ws = [w.copy() for w in W0]
    lr = cfg["learning_rate"]
    state = [{} for _ in ws]
    for t in range(1, steps + 1):
        gs = _clip(_grads(ws), cfg)
        for i, (w, g, s) in enumerate(zip(ws, gs, state)):
            wd = cfg.get("weight_decay", 0.004 if kind == "AdamW" else None)
            if wd:
                w = w - w * wd * lr
            if kind == "SGD":
                mu = cfg.get("momentum", 0.0)
                if mu == 0:
                    w = w - lr * g
                else:
                    v = mu * s.get("v", 0.0) - lr * g
                    s["v"] = v
                    w = w + (mu * v - lr * g if cfg.get("nesterov") else v)
            elif kind in ("Adam", "AdamW"):
                b1, b2, eps = 0.9, 0.999, 1e-7
                m = b1 * s.get("m", 0.0) + (1 - b1) * g
                v = b2 * s.get("v", 0.0) + (1 - b2) * g * g
                s["m"], s["v"] = m, v
                if cfg.get("amsgrad"):
                    s["vhat"] = np.maximum(s.get("vhat", 0.0), v)
                    v = s["vhat"]
                m_hat_scale = np.sqrt(1 - b2**t) / (1 - b1**t)
                w = w - lr * m_hat_scale * m / (np.sqrt(v) + eps)
            elif kind == "RMSprop":
                rho, mu, eps = 0.9, cfg.get("momentum", 0.0), 1e-7
                ms = rho * s.get("ms", 0.0) + (1 - rho) * g * g
                s["ms"] = ms
                if cfg.get("centered"):
                    mg = rho * s.get("mg", 0.0) + (1 - rho) * g
                    s["mg"] = mg
                    denom = ms - mg * mg + eps
                else:
                    denom = ms + eps
                step = lr * g / np.sqrt(denom)
                if mu > 0:
                    s["mom"] = mu * s.get("mom", 0.0) + step
                    step = s["mom"]
                w = w - step
            elif kind == "Adagrad":
                acc = s.get("acc", np.full_like(w, 0.1)) + g * g
                s["acc"] = acc
                w = w - lr * g / np.sqrt(acc + 1e-7)
            ws[i] = w
    return ws


CASES = [
    ("SGD", {"learning_rate": 0.125}),
    ("SGD", {"learning_rate": 0.125, "momentum": 0.5}),
    ("SGD", {"learning_rate": 0.125, "momentum": 0.75, "nesterov": True}),
    ("Adam", {"learning_rate": 0.0625}),
    ("Adam", {"learning_rate": 0.0625, "amsgrad": True}),
    ("AdamW", {"learning_rate": 0.0625}),
    ("AdamW", {"learning_rate": 0.0625, "weight_decay": 0.25}),
    ("RMSprop", {"learning_rate": 0.0625}),
    ("RMSprop", {"learning_rate": 0.0625, "momentum": 0.5, "centered": True}),
    ("Adagrad", {"learning_rate": 0.25}),
]
EXTRAS = [
    {},
    {"clipnorm": 1.5},
    {"global_clipnorm": 2.0},
    {"clipvalue": 0.75},
    {"weight_decay": 0.125},
    {"clipnorm": 1.0, "weight_decay": 0.0625},
]


def _run(opt, steps=3):
    ws = [tf.Variable(w.copy(), name=f"w{i}") for i, w in enumerate(W0)]
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = sum(tf.reduce_sum(a * w * w + b * w) for a, b, w in zip(A, B, ws))
        opt.apply_gradients(zip(tape.gradient(loss, ws), ws))
    return ws


@pytest.mark.parametrize("extra", EXTRAS, ids=lambda e: ",".join(e) or "plain")
@pytest.mark.parametrize("kind,cfg", CASES, ids=[f"{k}{sorted(c)[1:]}" for k, c in CASES])
def test_update_equals_the_published_rule_for_three_steps(kind, cfg, extra):
    cfg = {**cfg, **extra}
    ws = _run(getattr(K, kind)(**cfg))
    for got, want in zip(ws, _reference(kind, cfg)):
        assert got.numpy().dtype == np.float64
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-6, atol=1e-12)


def test_the_clipping_changes_the_result_in_these_cases():
    # Otherwise the clipped cases above would prove nothing.
    plain = _reference("SGD", {"learning_rate": 0.125})
    for extra in EXTRAS[1:4]:
        clipped = _reference("SGD", {"learning_rate": 0.125, **extra})
        assert not np.allclose(clipped[0], plain[0])


def test_iterations_variables_and_slots():
    opt = K.Adam(0.01, amsgrad=True)
    ws = _run(opt, steps=2)
    assert int(opt.iterations.numpy()) == 2
    assert opt.iterations.dtype == tf.int64
    names = [v.name for v in opt.variables]
    assert names[:2] == ["adam/iteration:0", "adam/learning_rate:0"]
    assert names[2:5] == ["adam/w0/m:0", "adam/w0/v:0", "adam/w0/vhat:0"]
    assert len(names) == 2 + 3 * len(ws)
    assert opt.get_slot(ws[1], "m").shape == ws[1].shape


def test_build_creates_the_slots_before_the_first_step():
    w = tf.Variable(np.zeros(3, np.float32))
    opt = K.SGD(0.1, momentum=0.9)
    opt.build([w])
    assert [v.name for v in opt.variables][-1] == "SGD/Variable/momentum:0"
    assert K.SGD(0.1).variables[-1].name == "SGD/learning_rate:0"  # no momentum, no slot


def test_minimize_with_a_tape_and_with_a_callable():
    v = tf.Variable(1.0)
    opt = K.SGD(learning_rate=0.1)
    assert int(opt.minimize(lambda: (v**2) / 2.0, [v]).numpy()) == 1
    np.testing.assert_allclose(v.numpy(), 0.9, rtol=1e-6)
    with tf.GradientTape() as tape:
        loss = (v**2) / 2.0
    opt.minimize(loss, [v], tape=tape)
    np.testing.assert_allclose(v.numpy(), 0.81, rtol=1e-6)
    with pytest.raises(ValueError, match="tape"):
        opt.minimize(loss, [v])


def test_a_none_gradient_is_skipped_with_a_warning():
    a, b = tf.Variable([1.0, 2.0], name="a"), tf.Variable(3.0, name="b")
    opt = K.SGD(0.5)
    with pytest.warns(UserWarning, match="b:0"):
        opt.apply_gradients([(tf.constant([1.0, 1.0]), a), (None, b)])
    np.testing.assert_allclose(a.numpy(), [0.5, 1.5])
    assert float(b.numpy()) == 3.0
    with pytest.raises(ValueError, match="no gradients provided"), pytest.warns(UserWarning):
        opt.apply_gradients([(None, b)])


def _state(vs):
    return [v.numpy().copy() for v in vs]


def test_mismatched_shape_raises_naming_the_variable_and_changes_nothing():
    a, b = tf.Variable(np.ones(3), name="a"), tf.Variable(np.ones((2, 2)), name="kernel")
    opt = K.Adam(0.1)
    before = _state([a, b])
    with pytest.raises(ValueError, match=r"'kernel:0'.*\(3,\).*\(2, 2\)"):
        opt.apply_gradients([(tf.constant(np.ones(3)), a), (tf.constant(np.ones(3)), b)])
    assert all(np.array_equal(x, y) for x, y in zip(before, _state([a, b])))
    assert int(opt.iterations.numpy()) == 0 and not opt.built
    with pytest.raises(ValueError, match="dtype float32"):
        opt.apply_gradients([(tf.constant(np.ones(3, np.float32)), a)])


def test_unknown_variable_raises_and_changes_nothing():
    a, c = tf.Variable(np.ones(3), name="a"), tf.Variable(np.ones(2), name="stranger")
    opt = K.Adam(0.1)
    opt.apply_gradients([(tf.constant(np.ones(3)), a)])
    before = _state([a, c] + opt.variables)
    with pytest.raises(ValueError, match="unknown variable 'stranger:0'"):
        opt.apply_gradients([(tf.constant(np.ones(3)), a), (tf.constant(np.ones(2)), c)])
    assert all(np.array_equal(x, y) for x, y in zip(before, _state([a, c] + opt.variables)))


def test_unknown_name_lists_the_choices():
    assert isinstance(K.get("Adam"), K.Adam)
    with pytest.raises(ValueError, match="adadelta, adagrad, adam, adamax, adamw, ftrl, lion, nadam, rmsprop, sgd"):
        K.get("adamx")


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="only one of"):
        K.SGD(clipnorm=1.0, clipvalue=1.0)
    with pytest.raises(TypeError, match="lr_decay"):
        K.Adam(lr_decay=0.1)
    with pytest.raises(ValueError, match="beta_1"):
        K.Adam(beta_1=1.5)


def test_learning_rate_is_a_variable_that_can_be_set():
    opt = K.SGD(0.5)
    assert isinstance(opt.learning_rate, tf.Variable)
    opt.learning_rate = 0.25
    np.testing.assert_allclose(opt.learning_rate.numpy(), 0.25)
    shared = tf.Variable(0.125)
    v = tf.Variable(1.0)
    opt = K.SGD(shared)
    shared.assign(0.5)
    opt.apply_gradients([(tf.constant(1.0), v)])
    np.testing.assert_allclose(v.numpy(), 0.5)


# ---- schedules ------------------------------------------------------------------------------


def test_schedules_against_their_formulas():
    S = K.schedules
    steps = np.arange(0, 25)
    exp = S.ExponentialDecay(0.5, 4, 0.8)
    stair = S.ExponentialDecay(0.5, 4, 0.8, staircase=True)
    pw = S.PiecewiseConstantDecay([5, 10], [1.0, 0.5, 0.1])
    cos = S.CosineDecay(0.5, 10, alpha=0.1)
    warm = S.CosineDecay(0.0, 10, warmup_target=1.0, warmup_steps=5)
    for s in steps:
        np.testing.assert_allclose(float(exp(s)), 0.5 * 0.8 ** (s / 4), rtol=1e-6)
        np.testing.assert_allclose(float(stair(s)), 0.5 * 0.8 ** (s // 4), rtol=1e-6)
        assert float(pw(s)) == np.float32(1.0 if s <= 5 else 0.5 if s <= 10 else 0.1)
        c = 0.5 * (1 + np.cos(np.pi * min(s, 10) / 10))
        np.testing.assert_allclose(float(cos(s)), 0.5 * (0.9 * c + 0.1), rtol=1e-5, atol=1e-7)
        if s < 5:
            want = s / 5
        else:
            want = 0.5 * (1 + np.cos(np.pi * min(s - 5, 10) / 10))
        np.testing.assert_allclose(float(warm(s)), want, rtol=1e-5, atol=1e-7)


def test_a_schedule_is_evaluated_at_the_step_count():
    opt = K.SGD(K.schedules.PiecewiseConstantDecay([1], [1.0, 0.5]))
    v = tf.Variable(0.0)
    for _ in range(4):
        opt.apply_gradients([(tf.constant(1.0), v)])
    np.testing.assert_allclose(v.numpy(), -(1.0 + 1.0 + 0.5 + 0.5))
    with pytest.raises(TypeError, match="schedule"):
        opt.learning_rate = 0.1


# ---- clip_by_norm and clip_by_global_norm ----------------------------------------------------


def test_clip_by_norm_and_global_norm():
    t = np.array([[3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(tf.clip_by_norm(tf.constant(t), 2.5).numpy(), t / 2)
    np.testing.assert_allclose(tf.clip_by_norm(tf.constant(t), 10.0).numpy(), t)
    np.testing.assert_allclose(tf.clip_by_norm(tf.constant(t), 2.0, axes=[1]).numpy(),
                               [[1.2, 1.6], [0.0, 0.0]])
    z = tf.Variable(np.zeros(3))
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.clip_by_norm(z, 1.0))
    assert np.all(np.isfinite(tape.gradient(y, z).numpy()))
    a, b = np.array([3.0, 0.0]), np.array([[4.0]])
    (ca, none, cb), n = tf.clip_by_global_norm([tf.constant(a), None, tf.constant(b)], 1.0)
    assert none is None
    np.testing.assert_allclose(n.numpy(), 5.0)
    np.testing.assert_allclose(ca.numpy(), a / 5)
    np.testing.assert_allclose(cb.numpy(), b / 5)
    (inf,), _ = tf.clip_by_global_norm([tf.constant([np.inf, 1.0])], 1.0)
    assert np.all(np.isnan(inf.numpy()))


# ---- inside @tapeflow.function ---------------------------------------------------------------


def _mlp_problem(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(16, 5)).astype(np.float32)
    y = rng.normal(size=(16, 1)).astype(np.float32)
    w1 = rng.normal(size=(5, 8)).astype(np.float32) * 0.5
    w2 = rng.normal(size=(8, 1)).astype(np.float32) * 0.5
    return x, y, w1, w2


def _train(compiled: bool, steps: int, opt_factory=lambda: K.Adam(0.01)):
    x, y, w1, w2 = _mlp_problem()
    v1, v2 = tf.Variable(w1, name="w1"), tf.Variable(w2, name="w2")
    opt = opt_factory()

    def step(x, y):
        with tf.GradientTape() as tape:
            h = tf.tanh(x @ v1)
            loss = tf.reduce_mean((h @ v2 - y) ** 2)
        grads = tape.gradient(loss, [v1, v2])
        opt.apply_gradients(zip(grads, [v1, v2]))
        return loss

    fn = tf.function(step) if compiled else step
    losses = [float(fn(tf.constant(x), tf.constant(y))) for _ in range(steps)]
    return losses, v1, v2, opt, fn


def test_adam_inside_a_function_matches_eager_after_20_steps():
    eager = _train(False, 20)
    compiled = _train(True, 20)
    np.testing.assert_allclose(compiled[0], eager[0], rtol=1e-4)
    for a, b in zip(compiled[1:3], eager[1:3]):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-6)
    assert int(compiled[3].iterations.numpy()) == 20
    assert compiled[4].experimental_get_tracing_count() == 1
    x, y = (tf.constant(a) for a in _mlp_problem()[:2])
    assert compiled[4].get_concrete_function(x, y).conditions() == []  # no value guards
    assert eager[0][-1] < eager[0][0]


@pytest.mark.slow
def test_adam_compiled_with_numba_matches_eager_after_20_steps():
    eager = _train(False, 20, lambda: K.Adam(0.01, global_clipnorm=1.0))
    compiled = _train(True, 20, lambda: K.Adam(0.01, global_clipnorm=1.0))
    np.testing.assert_allclose(compiled[0], eager[0], rtol=1e-4)
    for a, b in zip(compiled[1:3], eager[1:3]):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4, atol=1e-6)
    assert compiled[4].experimental_get_tracing_count() == 1


@pytest.mark.parametrize("compiled_mark", [
    pytest.param(False, id="interpreter"), pytest.param(True, id="numba", marks=pytest.mark.slow)
])
def test_changing_the_learning_rate_never_retraces(compiled_mark):
    v = tf.Variable(np.float32(2.0))
    opt = K.SGD(0.5, momentum=0.5)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = v * v
        opt.apply_gradients([(tape.gradient(loss, v), v)])
        return loss

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        step()
        opt.learning_rate = 0.25
        step()
        opt.learning_rate.assign(0.125)
        step()
    assert step.experimental_get_tracing_count() == 1
    # v: 2 -> (v=-2, w=0) ; lr .25: g=0, v=-1, w=-1 ; lr .125: g=-2, v=-.5+.25, w=-1.25
    np.testing.assert_allclose(v.numpy(), -1.25, rtol=1e-6)
    assert int(opt.iterations.numpy()) == 3


@pytest.mark.parametrize("schedule", [
    K.schedules.ExponentialDecay(0.1, 2, 0.5, staircase=True),
    K.schedules.PiecewiseConstantDecay([1, 2], [0.1, 0.05, 0.01]),
    K.schedules.CosineDecay(0.1, 3, warmup_target=0.2, warmup_steps=2),
], ids=["exponential", "piecewise", "cosine"])
def test_a_schedule_inside_a_function_matches_eager(schedule):
    eager = _train(False, 6, lambda: K.SGD(schedule))
    compiled = _train(True, 6, lambda: K.SGD(schedule))
    np.testing.assert_allclose(compiled[0], eager[0], rtol=1e-5)
    assert compiled[4].experimental_get_tracing_count() == 1


def test_a_failed_apply_inside_a_function_commits_nothing():
    v = tf.Variable(np.ones(3, np.float32), name="v")
    opt = K.Adam(0.1)

    @tf.function
    def bad():
        opt.apply_gradients([(tf.ones(4), v)])

    with pytest.raises(ValueError, match="'v:0'"):
        bad()
    np.testing.assert_array_equal(v.numpy(), np.ones(3))
    assert int(opt.iterations.numpy()) == 0

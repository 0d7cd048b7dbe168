"""The gradient of `tf.where` never leaks a nan from the branch not taken (graph/autodiff.py:
the adjoint pass masks cotangents below a select, the "double where" applied for the user).
TF gives nan for d/dx where(x > 0, sqrt(x), 0) at x = 0; the answer is 0."""

import numpy as np
import pytest

import tapeflow as tf

X = np.array([0.0, 4.0, -1.0, 0.25])
WANT = np.array([0.0, 0.25, 0.0, 1.0])  # 1 / (2 sqrt(x)) where x > 0, else 0
SECOND = np.array([0.0, -1 / 32, 0.0, -2.0])  # -1 / (4 x^1.5) where x > 0, else 0


def safe_sqrt_grad(x):
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.where(x > 0, tf.sqrt(x), tf.zeros_like(x))
        loss = tf.reduce_sum(y)
    return tape.gradient(loss, x)


def log_branch_grad(x):
    # The nan comes from log of a negative number, two elementwise ops below the select.
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.where(x > 0, tf.math.log(x) * 2.0 + 1.0, x * x)
        loss = tf.reduce_sum(y)
    return tape.gradient(loss, x)


def second_order(x):
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = tf.reduce_sum(tf.where(x > 0, tf.sqrt(x), tf.zeros_like(x)))
        g = inner.gradient(y, x)
    return outer.gradient(g, x)


def _check(fn, dtype=np.float64):
    with np.errstate(all="ignore"):
        eager = np.asarray(fn(tf.constant(X.astype(dtype))))
        traced = np.asarray(tf.function(fn)(tf.constant(X.astype(dtype))))
    return eager, traced


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_where_gradient_of_sqrt_at_zero_is_zero(dtype):
    for got in _check(safe_sqrt_grad, dtype):
        np.testing.assert_allclose(got, WANT, rtol=1e-6)


def test_where_gradient_through_several_ops():
    want = np.array([0.0, 2 / 4.0, -2.0, 2 / 0.25])  # 2/x where x > 0, else 2x
    for got in _check(log_branch_grad):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_where_second_derivative_is_finite():
    for got in _check(second_order):
        np.testing.assert_allclose(got, SECOND, rtol=1e-12)


def test_taken_branch_keeps_its_nan_and_unmasked_paths_are_untouched():
    # The mask only removes what is zero exactly: a nan in the branch that is taken stays,
    # and a second use of sqrt(x) outside the where still gives its own (inf) derivative.
    x = tf.constant([0.0, 4.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        s = tf.sqrt(x)
        loss = tf.reduce_sum(tf.where(x > 0, s, tf.zeros_like(x))) + tf.reduce_sum(s)
    with np.errstate(all="ignore"):
        g = tape.gradient(loss, x).numpy()
    assert np.isinf(g[0]) and g[1] == pytest.approx(0.5)


@pytest.mark.slow
def test_where_gradient_compiled():
    f = tf.function(safe_sqrt_grad, backend="numba")
    np.testing.assert_allclose(f(tf.constant(X)).numpy(), WANT, rtol=1e-12)
    g = tf.function(second_order, backend="numba")
    np.testing.assert_allclose(g(tf.constant(X)).numpy(), SECOND, rtol=1e-12)


def test_relu_layer_gradient_gets_no_extra_select():
    # relu is where(x > 0, x, 0) and its input a broadcasting add: add passes its cotangent
    # through unchanged, so the mask adds nothing there, and stops at the matmul.
    def step(x, w, b):
        with tf.GradientTape() as tape:
            tape.watch([w, b])
            loss = tf.reduce_sum(tf.nn.relu(x @ w + b))
        return tape.gradient(loss, [w, b])

    args = [tf.constant(np.ones(s)) for s in [(4, 3), (3, 2), (2,)]]
    graph = tf.function(step).get_concrete_function(*args).raw_graph
    assert [e.prim.name for e in graph.eqns].count("select") == 2  # forward and relu's VJP


# The untaken branch through non-elementwise equations: the mask follows reshapes,
# transposes, broadcast operands, reductions and matmuls (graph/autodiff.py). Each gradient
# was nan at the untaken elements before; `_grads` checks eager and traced alike.
def _grads(fn, *args):
    args = [tf.constant(np.asarray(a, np.float64)) for a in args]

    def grad(*xs):
        with tf.GradientTape() as tape:
            tape.watch(list(xs))
            loss = tf.reduce_sum(fn(*xs))
        return tape.gradient(loss, list(xs))

    with np.errstate(all="ignore"):
        eager = [g.numpy() for g in grad(*args)]
        traced = tf.function(grad)
        traced(*args)  # the first call traces
        compiled = [g.numpy() for g in traced(*args)]
    for e, c in zip(eager, compiled):
        np.testing.assert_array_equal(c, e)
    return eager


def test_where_mask_goes_through_reshape_and_transpose():
    x = np.array([[0.0, 4.0], [-1.0, 0.25]])

    def f(x):
        s = tf.transpose(tf.reshape(tf.sqrt(tf.reshape(x, [4])), [2, 2]))
        return tf.where(tf.transpose(x) > 0, s, tf.zeros_like(s))

    (g,) = _grads(f, x)
    np.testing.assert_allclose(g, [[0.0, 0.25], [0.0, 1.0]])


def test_where_mask_goes_to_a_broadcast_operand():
    # sqrt(s) is broadcast against x: s is taken where any of its copies is.
    def f(s, x):
        return tf.where(x > 0, tf.sqrt(s) + x, tf.zeros_like(x))

    g_s, g_x = _grads(f, 0.0, [-1.0, -2.0])
    assert g_s == 0.0 and np.array_equal(g_x, [0.0, 0.0])
    g_s, g_x = _grads(f, 0.0, [1.0, -2.0])  # taken once: d sqrt(s)/ds at 0 is inf
    assert np.isposinf(g_s) and np.array_equal(g_x, [1.0, 0.0])
    g_s, _ = _grads(f, 4.0, [1.0, 3.0])
    assert g_s == 0.5  # two copies taken, 1/(2*2) each


def test_where_mask_goes_through_reductions():
    x = np.array([[0.0, 4.0], [1.0, 4.0]])
    taken = np.array([False, True])

    def total(x):  # sum: each element is taken where its row's sum is
        return tf.where(taken, tf.reduce_sum(tf.sqrt(x), axis=1), tf.zeros([2], tf.float64))

    (g,) = _grads(total, x)
    np.testing.assert_allclose(g, [[0.0, 0.0], [0.5, 0.25]])

    def peak(x):  # max: its VJP divides by the count of maxima, 0/0 for a row of nan
        return tf.where(taken, tf.reduce_max(tf.math.log(x), axis=1),
                        tf.zeros([2], tf.float64))

    (g,) = _grads(peak, [[-1.0, -2.0], [1.0, 2.0]])
    np.testing.assert_allclose(g, [[0.0, 0.0], [0.0, 0.5]])

    def mean(x):  # mean of a 0-d value, and a keepdims reduction broadcast back
        m = tf.reduce_mean(tf.sqrt(x), axis=1, keepdims=True) * tf.ones([2, 2], tf.float64)
        return tf.where(x > 0, m, tf.zeros_like(m))

    (g,) = _grads(mean, [[0.0, -1.0], [1.0, 4.0]])
    np.testing.assert_allclose(g, [[0.0, 0.0], [0.5, 0.25]])


def test_where_mask_goes_through_matmul():
    # Row 0 of the product is not taken: sqrt's cotangent is zero on row 0 of x, where
    # sqrt(0) has an infinite derivative.
    x = np.array([[0.0, 1.0], [4.0, 1.0]])
    w = np.array([[1.0, 2.0], [3.0, 4.0]])
    taken = np.array([[False, False], [True, False]])

    def f(x, w):
        p = tf.sqrt(x) @ w
        return tf.where(taken, p, tf.zeros_like(p))

    g_x, g_w = _grads(f, x, w)
    np.testing.assert_allclose(g_x, [[0.0, 0.0], [0.25, 1.5]])
    np.testing.assert_allclose(g_w, [[2.0, 0.0], [1.0, 0.0]])


def test_where_mask_keeps_a_partly_taken_row():
    # A row with one taken element is taken: the real derivative (inf at sqrt(0)) stays.
    x = np.array([[0.0, 1.0]])
    taken = np.array([[True, False]])

    def f(x):
        p = tf.sqrt(x) @ tf.ones([2, 2], tf.float64)
        return tf.where(taken, p, tf.zeros_like(p))

    (g,) = _grads(f, x)
    assert np.isposinf(g[0, 0]) and g[0, 1] == 0.5


@pytest.mark.slow
def test_where_mask_through_reductions_compiled():
    x = tf.constant([[0.0, 4.0], [1.0, 4.0]], tf.float64)

    def grad(x):  # a condition computed from x, so the masks are not folded away
        with tf.GradientTape() as tape:
            tape.watch(x)
            s = tf.reduce_sum(tf.sqrt(tf.transpose(x)), axis=0)  # [2, 3]
            y = tf.where(s > 2.5, s, tf.zeros([2], tf.float64))
            loss = tf.reduce_sum(y)
        return tape.gradient(loss, x)

    f = tf.function(grad, backend="numba")
    for _ in range(2):
        np.testing.assert_allclose(f(x).numpy(), [[0.0, 0.0], [0.5, 0.25]])


def test_where_mask_goes_through_slices_gathers_and_concatenation():
    x = np.array([0.0, 4.0, 1.0])

    def sliced(x):  # x[1:] is taken, x[0] (sqrt's derivative infinite there) is not
        s = tf.sqrt(x)[1:]
        return tf.where(s > 0, s, tf.zeros_like(s))

    (g,) = _grads(sliced, x)
    np.testing.assert_allclose(g, [0.0, 0.25, 0.5])

    def gathered(x):  # element 2 gathered twice, taken once; element 0 never taken
        s = tf.gather(tf.sqrt(x), [0, 2, 2, 1])
        return tf.where(tf.constant([False, True, False, False]), s, tf.zeros_like(s))

    (g,) = _grads(gathered, x)
    np.testing.assert_allclose(g, [0.0, 0.0, 0.5])

    def joined(x):
        s = tf.concat([tf.sqrt(x), tf.math.log(x)], axis=0)
        return tf.where(s > 0.5, s, tf.zeros_like(s))

    (g,) = _grads(joined, x)
    np.testing.assert_allclose(g, [0.0, 0.25 + 0.25, 0.5])  # log(1) = 0 is not taken


def test_where_mask_second_derivative_through_a_gather():
    # The adjoint's scatter_add and gather are differentiated again: still finite.
    def second(x):
        with tf.GradientTape() as outer:
            outer.watch(x)
            with tf.GradientTape() as inner:
                inner.watch(x)
                s = tf.gather(tf.sqrt(x), [1, 0])
                y = tf.reduce_sum(tf.where(tf.constant([False, True]), s, tf.zeros_like(s)))
            g = inner.gradient(y, x)
        return outer.gradient(g, x)

    x = tf.constant([4.0, 0.0], tf.float64)
    with np.errstate(all="ignore"):
        eager = second(x).numpy()
        traced = tf.function(second)
        traced(x)
        got = traced(x).numpy()
    # y = sqrt(x[0]): x[1] = 0 reaches only the untaken element
    np.testing.assert_allclose(eager, [-1 / 32, 0.0])
    np.testing.assert_array_equal(got, eager)


@pytest.mark.slow
def test_where_mask_through_slices_and_gathers_compiled():
    # The masks' own equations (a bool pad, an int scatter_add) compile too.
    def grad(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            s = tf.gather(tf.sqrt(x), [0, 2, 2, 1])[1:]  # [1, 1, 2]
            y = tf.where(s > 1.5, s, tf.zeros_like(s))
            loss = tf.reduce_sum(y)
        return tape.gradient(loss, x)

    f = tf.function(grad, backend="numba")
    x = tf.constant([0.0, 4.0, 1.0], tf.float64)
    for _ in range(2):
        np.testing.assert_allclose(f(x).numpy(), [0.0, 0.25, 0.0])
    graph = f.get_concrete_function(x).graph
    # The masks' own equations: a bool padding and an int scatter_add, compiled.
    assert any(e.prim.name == "pad_strided" and e.outputs[0].aval.dtype == bool
               for e in graph.eqns)
    assert any(e.prim.name == "scatter_add" and e.outputs[0].aval.dtype == np.int32
               for e in graph.eqns)
    assert f.get_concrete_function(x).executor.entry is not None  # native code

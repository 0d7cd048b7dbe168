"""GradientTape semantics, each as TensorFlow's tape behaves."""
import os
import warnings

import numpy as np
import pytest

import tapeflow as tf


def _v(x):
    return np.asarray(x)


# ---------------------------------------------------------------- targets and sources

def test_scalar_gradient_of_variable():
    x = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = x ** 2
    g = tape.gradient(y, x)
    assert isinstance(g, tf.Tensor)
    assert g.dtype == tf.float32 and g.shape == ()
    assert float(g) == 6.0


def test_non_scalar_target_is_summed():
    x = tf.Variable([1.0, 2.0, 3.0])
    with tf.GradientTape() as tape:
        y = x * x  # shape (3,)
    np.testing.assert_allclose(_v(tape.gradient(y, x)), [2.0, 4.0, 6.0])


def test_list_of_targets_is_summed():
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y1 = x * 3.0
        y2 = x ** 2
    assert float(tape.gradient([y1, y2], x)) == 3.0 + 4.0


def test_list_and_tuple_sources_keep_structure():
    a = tf.Variable(1.0)
    b = tf.Variable(2.0)
    with tf.GradientTape(persistent=True) as tape:
        y = a * b
    gl = tape.gradient(y, [a, b])
    gt = tape.gradient(y, (a, b))
    assert isinstance(gl, list) and len(gl) == 2
    assert isinstance(gt, tuple) and len(gt) == 2
    assert [float(g) for g in gl] == [2.0, 1.0]
    assert [float(g) for g in gt] == [2.0, 1.0]


def test_nested_dict_sources_keep_structure():
    w = tf.Variable([[1.0, 2.0]])
    b = tf.Variable([0.5])
    c = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(w * 2.0) + tf.reduce_sum(b) * c
    g = tape.gradient(y, {"layer": {"w": w, "b": b}, "extra": [c]})
    assert set(g) == {"layer", "extra"}
    assert set(g["layer"]) == {"w", "b"}
    assert isinstance(g["extra"], list)
    np.testing.assert_allclose(_v(g["layer"]["w"]), [[2.0, 2.0]])
    np.testing.assert_allclose(_v(g["layer"]["b"]), [3.0])
    assert float(g["extra"][0]) == 0.5


def test_dict_target():
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        ys = {"a": x * 2.0, "b": [x * x]}
    assert float(tape.gradient(ys, x)) == 2.0 + 4.0


def test_gradient_shape_matches_source_under_broadcasting():
    w = tf.Variable([[1.0], [2.0]])  # (2, 1)
    b = tf.Variable(0.5)  # ()
    x = tf.constant([[1.0, 2.0, 3.0]])  # (1, 3)
    with tf.GradientTape() as tape:
        y = w * x + b  # (2, 3)
    gw, gb = tape.gradient(y, [w, b])
    assert gw.shape == (2, 1)
    assert gb.shape == ()
    np.testing.assert_allclose(_v(gw), [[6.0], [6.0]])
    assert float(gb) == 6.0


def test_unconnected_source_gives_none():
    x = tf.Variable(1.0)
    z = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = x * 2.0
    gx, gz = tape.gradient(y, [x, z])
    assert float(gx) == 2.0
    assert gz is None


def test_unconnected_gradients_zero():
    x = tf.Variable(1.0)
    z = tf.Variable([[2.0, 3.0]])
    with tf.GradientTape() as tape:
        y = x * 2.0
    gz = tape.gradient(y, z, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    assert isinstance(gz, tf.Tensor)
    assert gz.shape == (1, 2) and gz.dtype == tf.float32
    np.testing.assert_array_equal(_v(gz), [[0.0, 0.0]])


def test_unconnected_gradients_zero_as_string():
    x = tf.Variable(1.0)
    z = tf.Variable(np.array([2.0, 3.0]))
    with tf.GradientTape() as tape:
        y = x * 2.0
    gz = tape.gradient(y, z, unconnected_gradients="zero")
    assert gz.dtype == tf.float64
    np.testing.assert_array_equal(_v(gz), [0.0, 0.0])


def test_gradient_through_integer_path_is_none():
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = tf.cast(tf.cast(x, tf.int32), tf.float32) * 3.0
    assert tape.gradient(y, x) is None


def test_integer_variable_source_gives_none_with_warning():
    x = tf.Variable(2)
    with tf.GradientTape() as tape:
        y = x * x
    with pytest.warns(UserWarning, match="int32"):
        g = tape.gradient(y, x)
    assert g is None


def test_integer_tensor_source_gives_none_with_warning():
    x = tf.constant([1, 2])
    f = tf.Variable(1.0)
    with tf.GradientTape() as tape:
        with pytest.warns(UserWarning):
            tape.watch(x)
        y = tf.cast(x, tf.float32) * f
    with pytest.warns(UserWarning, match="int32"):
        gx, gf = tape.gradient(y, [x, f])
    assert gx is None
    assert float(gf) == 3.0


def test_float64_stays_float64():
    x = tf.constant(np.array([1.0, 2.0]))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(tf.exp(x) * 2)
    g = tape.gradient(y, x)
    assert g.dtype == tf.float64
    np.testing.assert_allclose(_v(g), 2 * np.exp([1.0, 2.0]), rtol=1e-12)


# ---------------------------------------------------------------- persistence, watching

def test_non_persistent_tape_second_gradient_raises():
    x = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = x * x
        z = y * x
    tape.gradient(y, x)
    with pytest.raises(RuntimeError, match="persistent"):
        tape.gradient(z, x)


def test_non_persistent_tape_jacobian_after_gradient_raises():
    x = tf.Variable([3.0])
    with tf.GradientTape() as tape:
        y = x * x
    tape.gradient(y, x)
    with pytest.raises(RuntimeError):
        tape.jacobian(y, x)


def test_persistent_tape_allows_many_gradients():
    x = tf.constant(3.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        z = y * y
    assert float(tape.gradient(z, x)) == 108.0  # 4x^3
    assert float(tape.gradient(y, x)) == 6.0
    assert float(tape.gradient(z, y)) == 18.0  # 2y
    assert float(tape.gradient(z, x)) == 108.0


def test_gradient_inside_the_with_block():
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = x * x
        g = tape.gradient(y, x)
    assert float(g) == 4.0


def test_persistent_tape_differentiates_its_own_gradient():
    x = tf.Variable(2.0)
    with tf.GradientTape(persistent=True) as tape:
        y = x * x * x
        g = tape.gradient(y, x)
    assert float(g) == 12.0
    assert float(tape.gradient(g, x)) == 12.0  # 6x


def test_duplicate_sources_each_get_the_gradient():
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = x * x
    g1, g2 = tape.gradient(y, [x, x])
    assert float(g1) == float(g2) == 4.0


def test_integer_target_gives_none():
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = tf.cast(x, tf.int32)
    assert tape.gradient(y, x) is None


def test_gradient_of_a_watched_tensor_with_respect_to_itself_is_ones():
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
    np.testing.assert_array_equal(_v(tape.gradient(x, x)), [1.0, 1.0])


def test_re_entering_a_tape_continues_recording():
    x = tf.Variable(2.0)
    tape = tf.GradientTape()
    with tape:
        y = x * x
    with tape:
        z = y * 3.0
    assert float(tape.gradient(z, x)) == 12.0


def test_re_entering_a_used_tape_starts_afresh():
    x = tf.Variable(2.0)
    tape = tf.GradientTape()
    with tape:
        y = x * x
    assert float(tape.gradient(y, x)) == 4.0
    with tape:
        z = x * 3.0
    assert float(tape.gradient(z, x)) == 3.0


def test_entering_a_recording_tape_raises():
    with tf.GradientTape() as tape:
        with pytest.raises(ValueError):
            tape.__enter__()


def test_stop_recording_outside_the_block_raises():
    tape = tf.GradientTape()
    with pytest.raises(ValueError):
        with tape.stop_recording():
            pass


def test_constants_are_not_watched_unless_asked():
    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        y = x * x
    assert tape.gradient(y, x) is None


def test_watch_on_constant():
    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    assert float(tape.gradient(y, x)) == 6.0


def test_watch_a_list_of_tensors():
    a, b = tf.constant(1.0), tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch([a, b])
        y = a * b
    assert [float(g) for g in tape.gradient(y, [a, b])] == [2.0, 1.0]


def test_watch_accessed_variables_false():
    x0 = tf.Variable(0.0)
    x1 = tf.Variable(10.0)
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(x1)
        y0 = tf.math.sin(x0)
        y1 = tf.nn.softplus(x1)
        y = y0 + y1
        ys = tf.reduce_sum(y)
    assert [v.name for v in tape.watched_variables()] == [x1.name]
    g0, g1 = tape.gradient(ys, {"x0": x0, "x1": x1}).values()
    assert g0 is None
    np.testing.assert_allclose(float(g1), 1 / (1 + np.exp(-10.0)), rtol=1e-6)


def test_non_trainable_variable_is_not_watched():
    x = tf.Variable(2.0)
    frozen = tf.Variable(3.0, trainable=False)
    with tf.GradientTape() as tape:
        y = x * frozen
    assert [v.ref() for v in tape.watched_variables()] == [x.ref()]
    assert tape.gradient(y, frozen) is None


def test_watched_variables_survive_a_non_persistent_gradient():
    # TF keeps the list after the tape's resources are released.
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = x * x
    tape.gradient(y, x)
    assert [v.ref() for v in tape.watched_variables()] == [x.ref()]


def test_non_trainable_variable_can_be_watched_explicitly():
    frozen = tf.Variable(3.0, trainable=False)
    with tf.GradientTape() as tape:
        tape.watch(frozen)
        y = frozen * frozen
    assert float(tape.gradient(y, frozen)) == 6.0


def test_watched_variables_in_creation_order():
    a = tf.Variable(1.0, name="a")
    b = tf.Variable(2.0, name="b")
    c = tf.Variable(3.0, name="c")
    with tf.GradientTape() as tape:
        y = c * b * a  # read in reverse order
    assert [v.name for v in tape.watched_variables()] == ["a:0", "b:0", "c:0"]
    assert all(w is v for w, v in zip(tape.watched_variables(), (a, b, c)))


def test_variable_read_before_tape_is_not_recorded():
    x = tf.Variable(2.0)
    xx = x * x  # outside any tape
    with tf.GradientTape() as tape:
        y = xx * 3.0
    assert tape.gradient(y, x) is None
    assert tape.watched_variables() == ()


def test_output_gradients_weight_the_target():
    x = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        y = x * x
    g = tape.gradient(y, x, output_gradients=tf.constant([10.0, 100.0]))
    np.testing.assert_allclose(_v(g), [20.0, 400.0])


def test_output_gradients_for_a_list_of_targets():
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y1 = x * 3.0
        y2 = x * x
    g = tape.gradient([y1, y2], x, output_gradients=[tf.constant(1.0), tf.constant(0.5)])
    assert float(g) == 3.0 + 0.5 * 4.0


def test_stop_recording_ops_are_not_differentiated():
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        with tape.stop_recording():
            y = x * x
        z = x * 3.0 + y
    assert float(tape.gradient(z, x)) == 3.0


def test_stop_recording_block_gives_none_when_only_path():
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        with tape.stop_recording():
            y = x * x
    assert tape.gradient(y, x) is None


def test_stop_recording_pauses_outer_tapes_too():
    x = tf.Variable(2.0)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            with inner.stop_recording():
                y = x * x
    assert outer.gradient(y, x) is None


def test_stop_recording_resumes_every_tape():
    x = tf.Variable(2.0)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            with inner.stop_recording():
                with outer.stop_recording():  # nested: still allowed, as in TF
                    unused = x * x
            y = x * 3.0
        g = inner.gradient(y, x)
    assert float(g) == 3.0
    assert float(outer.gradient(y, x)) == 3.0
    del unused


def test_reset_forgets_recorded_ops():
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = x * x
        tape.reset()
        z = x * 5.0
    assert tape.gradient(y, x) is None
    x2 = tf.Variable(2.0)
    with tf.GradientTape() as tape2:
        y2 = x2 * x2
        tape2.reset()
        z2 = x2 * 5.0
    assert float(tape2.gradient(z2, x2)) == 5.0
    del z, y2


def test_stop_gradient_blocks_gradient():
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = tf.stop_gradient(x * x) * x
    assert float(tape.gradient(y, x)) == 4.0


def test_gradient_outside_the_with_block():
    x = tf.Variable(1.0)
    with tf.GradientTape() as tape:
        y = tf.exp(x)
    z = y * 2.0  # not recorded: the tape is closed
    assert tape.gradient(z, x) is None


# ---------------------------------------------------------------- jacobians

def test_jacobian_vector_wrt_vector():
    x = tf.constant([1.0, 2.0, 3.0])
    A = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, -1.0]], dtype=np.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(tf.constant(A) * x ** 2, axis=1)  # (2,)
    j = tape.jacobian(y, x)
    assert j.shape == (2, 3)
    assert j.dtype == tf.float32
    np.testing.assert_allclose(_v(j), A * 2 * np.array([1.0, 2.0, 3.0]))


def test_jacobian_vector_wrt_matrix_source():
    w = tf.Variable(np.arange(6, dtype=np.float32).reshape(3, 2) / 10)
    x = tf.constant([[1.0, 2.0, 3.0]])
    with tf.GradientTape() as tape:
        y = tf.reshape(tf.tanh(x @ w), [-1])  # (2,)
    j = tape.jacobian(y, w)
    assert j.shape == (2, 3, 2)
    wn = w.numpy().astype(np.float64)
    xn = np.array([1.0, 2.0, 3.0])
    dy = 1 - np.tanh(xn @ wn) ** 2
    expected = np.zeros((2, 3, 2))
    for i in range(2):
        expected[i, :, i] = dy[i] * xn
    np.testing.assert_allclose(_v(j), expected, rtol=1e-5, atol=1e-7)


def test_jacobian_of_matrix_target_and_list_sources():
    a = tf.Variable([1.0, 2.0])
    b = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = a[:, None] * tf.constant([[1.0, 2.0, 3.0]]) * b  # (2, 3)
    ja, jb = tape.jacobian(y, [a, b])
    assert ja.shape == (2, 3, 2)
    assert jb.shape == (2, 3)
    expected_a = np.zeros((2, 3, 2))
    for i in range(2):
        expected_a[i, :, i] = np.array([1.0, 2.0, 3.0]) * 3.0
    np.testing.assert_allclose(_v(ja), expected_a)
    np.testing.assert_allclose(_v(jb), np.outer([1.0, 2.0], [1.0, 2.0, 3.0]))


def test_jacobian_unconnected_is_none_or_zero():
    x = tf.Variable([1.0, 2.0])
    z = tf.Variable([5.0, 6.0, 7.0])
    with tf.GradientTape(persistent=True) as tape:
        y = x * 2.0
    assert tape.jacobian(y, z) is None
    jz = tape.jacobian(y, z, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    assert jz.shape == (2, 3)
    np.testing.assert_array_equal(_v(jz), np.zeros((2, 3)))


def test_batch_jacobian_shape_and_values():
    x = tf.constant(np.arange(6, dtype=np.float32).reshape(2, 3) / 4)  # (b=2, 3)
    W = tf.constant(np.array([[1.0, -1.0], [0.5, 2.0], [0.0, 1.0]], dtype=np.float32))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.sigmoid(x @ W)  # (2, 2)
    bj = tape.batch_jacobian(y, x)
    assert bj.shape == (2, 2, 3)
    xn, Wn = _v(x).astype(np.float64), _v(W).astype(np.float64)
    s = 1 / (1 + np.exp(-(xn @ Wn)))
    expected = np.stack([(s[b] * (1 - s[b]))[:, None] * Wn.T for b in range(2)])
    np.testing.assert_allclose(_v(bj), expected, rtol=1e-5)


def test_jacobian_of_scalar_target_is_the_gradient():
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(x ** 2)
    j = tape.jacobian(y, x)
    assert j.shape == (2,)
    np.testing.assert_allclose(_v(j), [2.0, 4.0])


def test_batch_jacobian_unconnected():
    x = tf.constant(np.ones((2, 3)))
    z = tf.constant(np.ones((2, 4)))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([x, z])
        y = x * 2.0
    assert tape.batch_jacobian(y, z) is None
    bz = tape.batch_jacobian(y, z, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    assert bz.shape == (2, 3, 4)
    assert bz.dtype == tf.float64
    np.testing.assert_array_equal(_v(bz), np.zeros((2, 3, 4)))


def test_batch_jacobian_multi_dim_target():
    x = tf.constant(np.ones((4, 2), dtype=np.float32))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x[:, :, None] * tf.constant([1.0, 2.0, 3.0])  # (4, 2, 3)
    bj = tape.batch_jacobian(y, x)
    assert bj.shape == (4, 2, 3, 2)
    expected = np.zeros((2, 3, 2))
    for i in range(2):
        expected[i, :, i] = [1.0, 2.0, 3.0]
    np.testing.assert_allclose(_v(bj), np.broadcast_to(expected, (4, 2, 3, 2)))


# ---------------------------------------------------------------- higher order

def test_second_derivative_of_cube():
    x = tf.Variable(2.0)
    with tf.GradientTape() as t2:
        with tf.GradientTape() as t1:
            y = x ** 3
        dy = t1.gradient(y, x)
    d2y = t2.gradient(dy, x)
    assert float(dy) == pytest.approx(12.0)
    assert float(d2y) == pytest.approx(12.0)  # 6x


def test_second_derivative_of_sin_vector():
    xs = np.linspace(-3, 3, 7).astype(np.float32)
    x = tf.constant(xs)
    with tf.GradientTape() as t2:
        t2.watch(x)
        with tf.GradientTape() as t1:
            t1.watch(x)
            y = tf.sin(x)
        dy = t1.gradient(y, x)
    d2y = t2.gradient(dy, x)
    np.testing.assert_allclose(_v(dy), np.cos(xs), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(_v(d2y), -np.sin(xs), rtol=1e-5, atol=1e-6)


def test_third_derivative_with_persistent_tape():
    x = tf.constant(1.5)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x ** 4
        d1 = tape.gradient(y, x)
        d2 = tape.gradient(d1, x)
    d3 = tape.gradient(d2, x)
    assert float(d1) == pytest.approx(4 * 1.5 ** 3)
    assert float(d2) == pytest.approx(12 * 1.5 ** 2)
    assert float(d3) == pytest.approx(24 * 1.5, rel=1e-5)


def test_hessian_vector_product_of_sum_of_cubes():
    xs = np.array([1.0, -2.0, 0.5])
    vs = np.array([0.3, 1.0, -4.0])
    x = tf.Variable(xs)
    v = tf.constant(vs)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            f = tf.reduce_sum(x ** 3)
        g = inner.gradient(f, x)
        gv = tf.reduce_sum(g * v)
    hvp = outer.gradient(gv, x)
    H = np.diag(6 * xs)
    assert hvp.dtype == tf.float64
    np.testing.assert_allclose(_v(hvp), H @ vs, rtol=1e-12)


def test_hessian_vector_product_of_quadratic_form():
    A = np.array([[2.0, 1.0, 0.0], [-1.0, 3.0, 0.5], [0.0, 4.0, 1.0]])
    xs = np.array([0.5, -1.0, 2.0])
    vs = np.array([1.0, 2.0, 3.0])
    x = tf.Variable(xs)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            f = tf.reduce_sum(x * tf.linalg.matmul(tf.constant(A), x[:, None])[:, 0])  # x^T A x
        g = inner.gradient(f, x)
        gv = tf.reduce_sum(g * tf.constant(vs))
    np.testing.assert_allclose(_v(g), (A + A.T) @ xs, rtol=1e-12)
    np.testing.assert_allclose(_v(outer.gradient(gv, x)), (A + A.T) @ vs, rtol=1e-12)


def test_full_hessian_via_jacobian_of_gradient():
    A = np.array([[2.0, 1.0], [1.0, 3.0]], dtype=np.float32)
    x = tf.Variable([1.0, -1.0])
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            f = tf.reduce_sum(x * tf.reshape(tf.constant(A) @ x[:, None], [-1])) + tf.reduce_sum(x ** 3)
        g = inner.gradient(f, x)
    H = outer.jacobian(g, x)
    np.testing.assert_allclose(_v(H), 2 * A + np.diag(6 * np.array([1.0, -1.0])), rtol=1e-6)


# ---------------------------------------------------------------- custom_gradient

@tf.custom_gradient
def log1pexp(x):
    e = tf.exp(x)

    def grad(upstream):
        return upstream * (1 - 1 / (1 + e))

    return tf.math.log(1 + e), grad


def test_custom_gradient_log1pexp():
    x = tf.constant(100.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = log1pexp(x)  # exp(100) overflows float32 to inf, silently as in TF
    assert np.isinf(float(y))
    assert float(tape.gradient(y, x)) == 1.0  # the naive gradient would be nan


def test_custom_gradient_value_and_small_input():
    x = tf.constant([0.0, 1.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = log1pexp(x)
    np.testing.assert_allclose(_v(y), np.log1p(np.exp([0.0, 1.0])), rtol=1e-6)
    np.testing.assert_allclose(_v(tape.gradient(y, x)), 1 / (1 + np.exp(-np.array([0.0, 1.0]))),
                               rtol=1e-6)


@tf.custom_gradient
def clip_gradient(x):
    def grad(upstream):
        return tf.clip_by_value(upstream, -1.0, 1.0)

    return tf.identity(x), grad


def test_custom_gradient_clipping():
    x = tf.Variable([1.0, 2.0, 3.0])
    with tf.GradientTape() as tape:
        y = clip_gradient(x) * tf.constant([0.5, -5.0, 5.0])
    np.testing.assert_allclose(_v(tape.gradient(y, x)), [0.5, -1.0, 1.0])


def test_custom_gradient_with_upstream_from_chain():
    x = tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = 3.0 * log1pexp(x * x)
    e = np.exp(4.0)
    expected = 3.0 * (1 - 1 / (1 + e)) * 2 * 2.0
    assert float(tape.gradient(y, x)) == pytest.approx(expected, rel=1e-6)


@tf.custom_gradient
def _two_outputs(x):
    def grad(da, db):
        return da * 10.0 + db * 100.0

    return (x * 2.0, x * 3.0), grad


def test_custom_gradient_with_a_tuple_of_outputs_calls_grad_once_with_each_cotangent():
    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        a, b = _two_outputs(x)
        y = tf.reduce_sum(a) + 2.0 * tf.reduce_sum(b)
    np.testing.assert_array_equal(_v(a), [2.0, 4.0])
    np.testing.assert_array_equal(_v(b), [3.0, 6.0])
    np.testing.assert_array_equal(_v(tape.gradient(y, x)), [210.0, 210.0])
    assert isinstance(_two_outputs(x), tuple)


def test_custom_gradient_two_outputs_traced_gives_the_eager_values():
    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            a, b = _two_outputs(x)
            y = tf.reduce_sum(a) + 2.0 * tf.reduce_sum(b)
        return tape.gradient(y, x)

    np.testing.assert_array_equal(_v(step(tf.constant([1.0, 2.0]))), [210.0, 210.0])


def test_custom_gradient_passes_the_variables_it_reads_and_their_gradients_come_back():
    w = tf.Variable(3.0)
    seen = []

    @tf.custom_gradient
    def scale(x):
        def grad(dy, variables=None):
            seen.append(list(variables))
            return dy * w, [dy * 100.0]

        return x * w, grad

    x = tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = scale(x)
    gx, gw = tape.gradient(y, [x, w])
    assert float(gx) == 3.0 and float(gw) == 100.0
    assert seen == [[w]]


def test_custom_gradient_refuses_a_grad_without_variables_when_the_function_reads_one():
    w = tf.Variable(3.0)

    @tf.custom_gradient
    def scale(x):
        return x * w, lambda dy: dy

    with pytest.raises(TypeError, match="must accept keyword argument 'variables'"):
        scale(tf.constant(1.0))


def test_custom_gradient_counts_python_number_arguments_as_inputs():
    # As TF: every flattened positional argument is an input, so grad returns two gradients.
    @tf.custom_gradient
    def scaled(x, k):
        return x * k, lambda dy: (dy * k, None)

    x = tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = scaled(x, 3.0)
    assert float(tape.gradient(y, x)) == 3.0

    @tf.custom_gradient
    def one_grad(x, k):
        return x * k, lambda dy: dy

    with tf.GradientTape() as tape:
        tape.watch(x)
        y = one_grad(x, 3.0)
    with pytest.raises(ValueError, match="returned 1 gradients for 2 inputs"):
        tape.gradient(y, x)


def test_recompute_grad_gives_the_functions_values_and_gradients():
    f = tf.recompute_grad(lambda x: x * x * 2.0)
    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    assert float(y) == 18.0 and float(tape.gradient(y, x)) == 12.0


# ---------------------------------------------------------------- variables under the tape

def test_variable_read_several_times_accumulates():
    x = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = x * x + x + tf.sin(x)
    assert float(tape.gradient(y, x)) == pytest.approx(2 * 3.0 + 1 + np.cos(3.0), rel=1e-6)


def test_gradient_after_assign_counts_both_values():
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y1 = x * x  # reads x = 2
        x.assign(5.0)
        y2 = x * 3.0  # reads x = 5
        y = y1 + y2
    assert float(tape.gradient(y, x)) == 2 * 2.0 + 3.0
    assert float(x.numpy()) == 5.0


def test_assign_inside_the_tape_cuts_the_path():
    # TF's AssignVariableOp has no gradient: a later read is differentiated with respect to
    # the variable itself, not through the assigned expression.
    v = tf.Variable(1.0)
    with tf.GradientTape() as tape:
        v.assign(v * 2.0)
        z = v * v
    assert float(tape.gradient(z, v)) == 4.0  # 2 * v_new, not 8 through v_new = 2 v_old
    w = tf.Variable(1.0)
    with tf.GradientTape() as tape:
        w.assign_add(w * 2.0)
        z = w * w
    assert float(tape.gradient(z, w)) == 6.0


def test_assign_from_watched_tensor_cuts_the_path():
    c = tf.constant(5.0)
    v = tf.Variable(1.0)
    with tf.GradientTape() as tape:
        tape.watch(c)
        v.assign(c)
        z = v * 3.0
    gc, gv = tape.gradient(z, [c, v])
    assert gc is None
    assert float(gv) == 3.0


def test_gradient_after_assign_add_uses_new_value():
    w = tf.Variable(1.0)
    w.assign_add(2.0)
    with tf.GradientTape() as tape:
        y = w * w
    assert float(tape.gradient(y, w)) == 6.0


def test_read_value_is_differentiable():
    x = tf.Variable(4.0)
    with tf.GradientTape() as tape:
        y = x.read_value() ** 2
    assert float(tape.gradient(y, x)) == 8.0


def test_training_loop_converges():
    w = tf.Variable(0.0)
    for _ in range(50):
        with tf.GradientTape() as tape:
            loss = (w - 3.0) ** 2
        w.assign_sub(0.1 * tape.gradient(loss, w))
    assert float(w.numpy()) == pytest.approx(3.0, abs=1e-3)


# ---------------------------------------------------------------- the recorded graph

def test_tape_graph_names_user_file_and_line():
    x = tf.Variable([1.0, 2.0], name="x")
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.exp(x) * 2.0)  # LINE-MARKER
    text = str(tape.graph)
    assert os.path.basename(__file__) in text
    with open(__file__) as f:
        line = next(i for i, l in enumerate(f, 1) if "# LINE-MARKER" in l and "tf.exp" in l)
    assert f"{os.path.basename(__file__)}:{line}" in text
    assert "exp" in text
    del y


def test_tape_graph_is_empty_without_watched_ops():
    with tf.GradientTape() as tape:
        tf.constant(1.0) * 2.0
    assert len(tape.graph.eqns) == 0


def test_nested_tapes_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = tf.Variable(1.0)
        with tf.GradientTape() as t2:
            with tf.GradientTape() as t1:
                y = tf.tanh(x)
            g = t1.gradient(y, x)
        t2.gradient(g, x)

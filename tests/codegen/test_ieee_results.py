"""Compiled code computes what IEEE arithmetic (and eager numpy) computes: no fastmath flag
that could change a result on some input (issue 13 defect 2).

Each test is one of the programs whose compiled value used to differ from eager because the
generated code allowed LLVM to reassociate (`reassoc`), use approximate reciprocals and
functions (`arcp`, `afn`) or ignore the sign of zero (`nsz`): a value is compared with eager
exactly (0 ulp, nan at the same places, infinities and zeros with the same sign).
"""

import warnings

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.runtime.backends import CompileFallbackWarning

pytestmark = pytest.mark.slow

F32 = np.float32


def assert_identical(got, want, what: str):
    """Equal as IEEE values: the same bits up to the payload of a nan."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape, what
    same = (got == want) & (np.signbit(got) == np.signbit(want))
    same |= np.isnan(got) & np.isnan(want)
    if not same.all():
        at = np.flatnonzero(~same)[:6]
        raise AssertionError(f"{what}: compiled {got.ravel()[at]}, eager {want.ravel()[at]} "
                             f"at {at}")


def compiled_and_eager(fn, *args):
    """(compiled result, eager result) of fn(*args); the compiled one from a later call, so
    it runs the Numba code, not the tracing run."""
    f = tf.function(fn, backend="numba")
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileFallbackWarning)  # must run compiled code
        f(*args)
        got = f(*args)
    return got, fn(*[tf.constant(a) for a in args])


def test_the_round_to_integer_idiom_rounds():
    # (x + 1.5 * 2**23) - 1.5 * 2**23 rounds a float32 to an integer (ties to even); with
    # reassociation LLVM folds it to x.
    x = np.array([0.3, 1.5, 2.5, -1.7, -2.5, 1e6 + 0.4, 4194303.5, 0.0, -0.0], F32)
    got, want = compiled_and_eager(lambda x: (x + 12582912.0) - 12582912.0, x)
    assert_identical(got, want, "(x + M) - M")
    np.testing.assert_array_equal(np.asarray(got)[:5], [0, 2, 2, -2, -2])


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=str)
def test_x_minus_x_plus_y_keeps_nan_inf_and_rounding(dtype):
    # x - (x + y) is -y only in exact arithmetic: with x = inf or nan it is nan, and where
    # x + y rounds to x it is 0.
    x = np.array([np.inf, -np.inf, np.nan, 1e8, 1e17, 0.0, 3.0], dtype)
    y = np.array([1.0, 2.0, 3.0, 1.0, 1.0, -0.0, 0.5], dtype)
    got, want = compiled_and_eager(lambda x, y: x - (x + y), x, y)
    assert_identical(got, want, "x - (x + y)")
    assert np.isnan(np.asarray(got)[:3]).all()


def test_reciprocal_square_root_in_float32_at_zero_inf_and_tiny_values():
    fi = np.finfo(F32)
    x = np.array([0.0, -0.0, np.inf, fi.smallest_subnormal, fi.tiny, 1e-30, 2.0, 3.0, 1e30,
                  fi.max, 0.7, 5e-39], F32)
    got, want = compiled_and_eager(lambda x: 1.0 / tf.sqrt(x), x)
    assert_identical(got, want, "1 / sqrt(x)")
    # a / b and sqrt are correctly rounded in IEEE arithmetic: the same for every input.
    x = np.random.default_rng(0).uniform(1e-3, 1e3, 10_000).astype(F32)
    got, want = compiled_and_eager(lambda x: 1.0 / tf.sqrt(x), x)
    assert_identical(got, want, "1 / sqrt(x), uniform x")


def test_division_by_a_constant_is_not_a_multiplication_by_its_reciprocal():
    # x / 10 and x * 0.1 differ in the last bit for many x (arcp allows the second).
    x = np.random.default_rng(1).uniform(-100, 100, 10_000).astype(F32)
    got, want = compiled_and_eager(lambda x: x / 10.0, x)
    assert_identical(got, want, "x / 10")


def test_a_gradient_that_overflows_eagerly_overflows_compiled():
    # y = x * 1e-30 * 1e30: the gradient is (g * 1e30) * 1e-30, and with g = 1e10 the
    # first product overflows to inf; reassociated, the constants fold to 1 and it stays
    # finite. The value: x * 1e-30 underflows to 0 for a tiny x (x itself, reassociated).
    def step(x):
        with tf.GradientTape() as t:
            t.watch(x)
            y = x * 1e-30 * 1e30
        return y, t.gradient(y, x, output_gradients=tf.fill(tf.shape(x), 1e10))

    x = np.array([1e-44, 1.0, -2e-40, 2.0], F32)
    (got_y, got_g), (want_y, want_g) = compiled_and_eager(step, x)
    assert_identical(got_y, want_y, "x * 1e-30 * 1e30")
    assert_identical(got_g, want_g, "its gradient")
    assert np.isinf(np.asarray(want_g)).all() and np.asarray(want_y)[0] == 0


def test_the_sign_of_zero_survives_additions_of_zero():
    # x + 0.0 is x except that -0.0 + 0.0 = +0.0 (nsz folds it to x); 0.0 - x is -x except
    # 0.0 - 0.0 = +0.0.
    x = np.array([-0.0, 0.0, 1.0, -1.0], F32)
    got, want = compiled_and_eager(lambda x: (x + 0.0, 0.0 - x, x * 0.0), x)
    for g, w, what in zip(got, want, ["x + 0", "0 - x", "x * 0"]):
        assert_identical(g, w, what)

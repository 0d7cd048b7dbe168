"""Programs the differential fuzzer found disagreeing, shrunk by hypothesis: each stays
here as a regression test (tests/fuzz/programs.py runs and compares them)."""

import pytest

from .programs import Program, run_program


def _assert_agree(program, seed=0, special=False, backends=("interpreter",), **kw):
    findings = run_program(program, seed, special, backends=backends, **kw)
    assert not findings, "\n".join(f"{f.kind} ({f.runner}): {f.detail}" for f in findings)


# A Variable read after an assignment inside @function carried the gradient of the assigned
# expression (here d/db of mean(b)); eagerly, as in TF, an assignment has no gradient and
# the gradient w.r.t. b is zero.
ASSIGN_HAS_NO_GRADIENT = Program("float32", m=0, n=1, k=1, steps=(("assign", 1),),
                                 second_order=False)


def test_assignment_has_no_gradient_when_traced():
    _assert_agree(ASSIGN_HAS_NO_GRADIENT)


@pytest.mark.slow
def test_assignment_has_no_gradient_compiled():
    _assert_agree(ASSIGN_HAS_NO_GRADIENT, backends=("numba",), check_gradients=False)


# Empty Python lists have numpy's default dtype float64; as indices or as an integer constant
# they mean "no elements", as in TF, not "a float that would lose its fraction".
def test_empty_list_is_an_integer_constant_and_gather_indices():
    import numpy as np

    import tapeflow as tf

    assert tf.constant([], dtype=tf.int32).dtype == tf.int32
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    assert tf.gather(x, [], axis=1).shape == (2, 0)
    np.testing.assert_array_equal(tf.gather(x, [], axis=0).numpy(), np.zeros((0, 2)))
    with pytest.raises(TypeError):
        tf.constant([1.5], dtype=tf.int32)  # a fraction is still refused


EMPTY_GATHER = Program("float64", m=2, n=3, k=1, steps=(("gather", 1, 0, ()),
                                                        ("unary", "sin", 3)), second_order=False)


def test_gather_of_no_indices():
    _assert_agree(EMPTY_GATHER)


# log_softmax over an axis of size 1 is x - x - log(exp(0)) = +0; compiled with fastmath's
# `nsz` (no signed zeros) LLVM may produce -0.0 (issue 13, defect 2: only flags that cannot
# change an IEEE result may stay). Expected to fail while the emitter keeps `nsz`.
SIGNED_ZERO_LOG_SOFTMAX = Program("float64", m=0, n=3, k=1,
                                  steps=(("while", 2), ("softmax", "log_softmax", 2)),
                                  second_order=False)


def _emitter_keeps_nsz():
    from tapeflow.codegen.emit import FASTMATH

    return "nsz" in FASTMATH


@pytest.mark.slow
@pytest.mark.xfail(_emitter_keeps_nsz(), strict=True,
                   reason="fastmath `nsz` flips the sign of a zero (issue 13 defect 2)")
def test_log_softmax_of_one_class_is_plus_zero_compiled():
    _assert_agree(SIGNED_ZERO_LOG_SOFTMAX, seed=1364, backends=("numba",),
                  check_gradients=False)


# Found by benchmarks/fuzz.py (6000 programs, interpreter): the traced graph (after its
# passes) gave -0.0 where eager gives +0.0 for the mean of a softmax cross-entropy at special
# inputs under a nested tape. The mean of a 0-d value is a sum over no axes, which the
# simplifier rewrote to x; a sum starts from +0.0, so it is x + 0.0 (-0.0 becomes +0.0).
SIGNED_ZERO_XENT = Program("float64", m=1, n=3, k=1,
                           steps=(("xent", 1, 1), ("xent", 0, 0), ("reshape", 2),
                                  ("reduce", "reduce_mean", 3, None, False)),
                           second_order=True)


def test_cross_entropy_zero_keeps_its_sign_when_traced():
    _assert_agree(SIGNED_ZERO_XENT, seed=17, special=True)


# The same rule on a sum over an axis of size 1 with keepdims: the 10^5 run's one finding
# before the fix (chunk seed 25), as `benchmarks/fuzz.py --replay 25` shrank it.
SIGNED_ZERO_KEEPDIMS_SUM = Program(
    "float32", m=1, n=1, k=1,
    steps=(("unary", "tanh", 0), ("unary", "tanh", 0), ("unary", "tanh", 0),
           ("reduce", "reduce_sum", 1, None, True)),
    second_order=False)


def test_keepdims_sum_over_one_element_keeps_its_sign_when_traced():
    _assert_agree(SIGNED_ZERO_KEEPDIMS_SUM, seed=1, special=True)


def test_mean_of_a_scalar_minus_zero_is_plus_zero_when_traced():
    # The same, reduced to one op: reduce_mean(-0.0) is (-0.0 + 0.0) / 1 = +0.0 eagerly.
    import numpy as np

    import tapeflow as tf

    for x, fn in [(np.array(-0.0), lambda x: tf.reduce_mean(x)),
                  (np.array(-0.0), lambda x: tf.reduce_sum(x)),
                  (np.array([-0.0]), lambda x: tf.reduce_sum(x, axis=())),
                  (np.array([[-0.0]]), lambda x: tf.reduce_sum(x, axis=1, keepdims=True))]:
        traced = tf.function(fn)
        traced(tf.constant(x))  # the first call traces (and gives the eager kernels' value)
        for run in (fn, traced):
            assert not np.signbit(run(tf.constant(x)).numpy()).any()


# Found by the 10^5 run (9 programs, all one family): sqrt of a value that is identically
# zero (here b - b; also a cross-entropy over one class, a log_softmax over one element)
# has gradient nan where finite differences see a smooth function. That is the chain rule's
# inf * 0 (sqrt'(0) = inf times d(b - b)/db = 0), which TF and JAX give too: not a defect,
# and counted apart ("nonfinite gradient") from gradients that are wrong.
# As `benchmarks/fuzz.py --replay 1043 --fail-on gradient` shrank it (before the kind).
SQRT_OF_ZERO = Program("float64", m=0, n=1, k=1,
                       steps=(("binary", "sub", 1, 1), ("unary", "sqrt", 3)),
                       second_order=False)


def test_sqrt_of_an_identically_zero_value_has_a_nan_gradient_as_in_tf():
    findings = run_program(SQRT_OF_ZERO, 0, False)
    assert [(f.kind, f.runner) for f in findings] == [("nonfinite gradient", "fd")]


# Found by the compiled tier (1,600 programs, chunk seeds 2032 and 2062): sin(1e300)
# compiled to nan where numpy gives a value in [-1, 1]: the vectorised kernels' range
# reduction stopped at 1e15. Loops now count sin/cos arguments beyond the exact range and
# hand such a call to numpy (codegen/loops.py, TRIG_BEYOND_EXACT).
SIN_OF_HUGE = Program("float64", m=2, n=3, k=2, steps=(("unary", "sin", 0), ("where", 2, 2)),
                      second_order=True)


@pytest.mark.slow
def test_sin_of_a_huge_argument_compiled():
    _assert_agree(SIN_OF_HUGE, seed=188, special=True, backends=("numba",),
                  check_gradients=False)


def _trig_arguments(dtype):
    """Arguments on both sides of the kernels' exact range (1.6e6), near the old nan threshold
    (1e15), huge, the largest finite, and the special values, of both signs."""
    import numpy as np

    from tapeflow.codegen.vecmath import TRIG_EXACT_MAX

    edge = float(np.nextafter(dtype(TRIG_EXACT_MAX), dtype(np.inf)))
    values = [0.5, 3.0, 1e5, 1.5e6, TRIG_EXACT_MAX, edge, 1.7e6, 2.0**24, 1e10, 1e15, 1.0001e15,
              1e16, 1e20, 1e30, float(np.finfo(dtype).max), 0.0, np.inf, np.nan]
    values += [-v for v in values]
    return np.array(values, dtype)


@pytest.mark.slow
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sin_and_cos_of_huge_arguments_agree_with_numpy_compiled(dtype):
    import numpy as np

    import tapeflow as tf

    dtype = np.dtype(dtype).type
    x = _trig_arguments(dtype)
    small = np.where(np.abs(x) < 1e5, x, 0.25)  # none beyond the exact range: native code

    def values(x):  # sin and cos apart, and the pair sincos computes, with their gradients
        with tf.GradientTape() as tape:
            tape.watch(x)
            s, c = tf.sin(x), tf.cos(x)
            y = tf.reduce_sum(s * c + s)
        return s, c, tape.gradient(y, x)

    compiled = tf.function(values, compile="sync")
    for args in (x, small, x):
        with np.errstate(invalid="ignore"):
            want = [np.sin(args), np.cos(args),
                    np.cos(args) ** 2 - np.sin(args) ** 2 + np.cos(args)]
        got = [t.numpy() for t in compiled(tf.constant(args))]
        for name, g, w in zip(["sin", "cos", "gradient"], got, want):
            assert g.dtype == dtype
            np.testing.assert_array_equal(np.isnan(g), np.isnan(w), err_msg=name)
            tol = 4 * np.finfo(dtype).eps * (3 if name == "gradient" else 1)
            np.testing.assert_allclose(g, w.astype(dtype), rtol=0, atol=tol, err_msg=name)


@pytest.mark.slow
def test_a_handed_back_call_commits_its_variable_updates_once():
    # A call that native code hands to numpy (a sin/cos argument beyond the exact range)
    # commits the interpreter's updates, through both call paths (the first call's and the
    # generated dispatcher's), once per call.
    import numpy as np

    import tapeflow as tf

    v = tf.Variable(np.zeros(3))

    @tf.function(compile="sync")
    def step(x):
        v.assign_add(tf.sin(x))
        return tf.reduce_sum(tf.cos(x))

    x = np.array([0.5, 1e20, -3e7])
    for calls in (1, 2, 3):
        np.testing.assert_allclose(step(tf.constant(x)).numpy(), np.cos(x).sum(), rtol=1e-12)
        np.testing.assert_allclose(v.numpy(), calls * np.sin(x), rtol=1e-12)


# A float32 product of at most TINY_MATMUL multiply-adds compiles to loops, which rounded
# each product to float32 before adding: -3e38 * 1.206 overflowed to -inf there, where
# numpy's BLAS call (a fused multiply-add keeps the product unrounded) gives -0.699 * -3e38
# + -3e38 * 1.206 = -1.52e38. The loops now sum each row in float64 (ops/linalg.py).
FLOAT32_MATMUL_NEAR_OVERFLOW = Program("float32", m=0, n=2, k=2, steps=(("matmul", 2, 2),),
                                       second_order=True)


@pytest.mark.slow
def test_float32_matmul_near_overflow_compiled():
    _assert_agree(FLOAT32_MATMUL_NEAR_OVERFLOW, seed=314, special=True, backends=("numba",),
                  check_gradients=False)


# Found by the compiled run (seeds from 20000): the sign of a float32 product that underflows
# to zero is BLAS's kernel's choice. -0.182 * 1e-45 (a denormal) is +0.0 in numpy's (2,1)@(1,2)
# product (it rounds the product, -0.0, and adds it into a zeroed result) and -0.0 in its
# (2,2)@(2,2) one (fused, stored as it is); the tiny-product loops give the sign of their
# float64 sum, -0.0, in both. A known limit (README): the first fails until the loops follow
# numpy's kernel choice; the second holds (a fix giving +0.0 always broke it).
FLOAT32_MATMUL_UNDERFLOW_SIGN = Program("float32", m=2, n=1, k=2, steps=(("matmul", 0, 2),),
                                        second_order=False)
FLOAT32_MATMUL_UNDERFLOW_MINUS_ZERO = Program(
    "float32", m=2, n=2, k=2, steps=(("matmul", 2, 0), ("gather", 3, 1, (1, 1, 0))),
    second_order=True)


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="the sign of an underflowed float32 product is "
                                       "numpy's BLAS kernel's choice (README, Known limits)")
def test_float32_matmul_underflow_is_plus_zero_compiled():
    _assert_agree(FLOAT32_MATMUL_UNDERFLOW_SIGN, seed=65536, special=True,
                  backends=("interpreter", "numba"))


@pytest.mark.slow
def test_float32_matmul_underflow_is_minus_zero_where_blas_gives_it_compiled():
    _assert_agree(FLOAT32_MATMUL_UNDERFLOW_MINUS_ZERO, seed=65536, special=True,
                  backends=("interpreter", "numba"))


# Found by the compiled run: where a product leaves float32's range, BLAS's answer depends
# on its kernel. numpy's (3,3) @ (3,1) goes to sgemv, which rounds -3e38 * 1.36 to -inf and
# adds it to -2.5 * -inf: nan; with two columns sgemm fuses each multiply-add: inf. The
# float64 row sums give inf for both. A known limit (README): computing such a product by
# np.dot, as eagerly, cost ~3 s of compile for a linear model's step; blas_matmul, cheap to
# compile, is sgemm whatever the shape.
FLOAT32_MATMUL_OVERFLOW_GEMV = Program("float32", m=3, n=3, k=1, steps=(("matmul", 0, 2),),
                                       second_order=True)
_KERNEL_CHOICE = pytest.mark.xfail(strict=True, reason="an out-of-range float32 product is "
                                   "numpy's BLAS kernel's choice (README, Known limits)")


@pytest.mark.slow
@_KERNEL_CHOICE
def test_float32_matmul_overflow_as_blas_computes_it_compiled():
    _assert_agree(FLOAT32_MATMUL_OVERFLOW_GEMV, seed=502, special=True,
                  backends=("interpreter", "numba"))


@pytest.mark.slow
@pytest.mark.parametrize("cols", [pytest.param(1, marks=_KERNEL_CHOICE), 2])
@pytest.mark.parametrize("batched", [False, True])
def test_float32_matmul_with_products_out_of_range_agrees_with_numpy_compiled(cols, batched):
    import warnings

    import numpy as np

    import tapeflow as tf

    a = np.array([[3e38, 1.4e-45, -2.5], [-2.5, -3e38, 1.0], [0.687, 1.3, 3e38]], np.float32)
    b = np.repeat(np.array([[-np.inf], [1.3628248], [-0.6818111]], np.float32), cols, axis=1)
    if batched:  # the second batch element finite: only the first leaves float32's range
        a = np.stack([a, np.eye(3, dtype=np.float32)])
        b = np.stack([b, np.ones_like(b)])
    fn = tf.function(lambda a, b: tf.matmul(a, b), backend="numba", compile="sync")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        want = np.matmul(a, b)
        for _ in range(2):  # the second call runs native code
            got = fn(tf.constant(a), tf.constant(b)).numpy()
    np.testing.assert_array_equal(got, want)


# Found by the compiled run: the mean of [1, 1, 1.08, 0.59, -1.22, -3e38, 3e38, 0.86, 0] in
# float32 is 0.41 eagerly (numpy's pairwise sum meets -3e38 + 3e38 after adding the small
# terms in pairs) and 0 compiled (whose sum absorbs them into the huge terms first); the
# exact mean is 0.37. Either order is a correct float32 sum: the output is ill-conditioned,
# as eager's own value moves as much when the inputs move by a few ulps, and such a value
# finding is counted apart from defects (programs._ill_conditioned).
ASSIGN_OF_A_CANCELLING_MEAN = Program("float32", m=3, n=3, k=2, steps=(("assign", 0),),
                                      second_order=True)


@pytest.mark.slow
def test_ill_conditioned_mean_is_counted_apart_compiled():
    findings = run_program(ASSIGN_OF_A_CANCELLING_MEAN, 42, True, backends=("numba",),
                           check_gradients=False)
    assert findings and {f.kind for f in findings} == {"ill-conditioned value"}


def test_a_well_conditioned_output_is_not_called_ill_conditioned():
    from .programs import _ill_conditioned, _run_all, make_inputs

    for special in (False, True):
        arrays = make_inputs(ASSIGN_OF_A_CANCELLING_MEAN, 42, special)
        eager = _run_all(ASSIGN_OF_A_CANCELLING_MEAN, arrays, 1, ())["eager"]
        unstable = _ill_conditioned(ASSIGN_OF_A_CANCELLING_MEAN, arrays, eager)
        assert unstable == (set() if not special else {0, 1, 6})
    program = Program("float64", m=2, n=3, k=1, steps=(("unary", "sin", 0),
                                                       ("reduce", "reduce_sum", 3, None, False)),
                      second_order=False)
    arrays = make_inputs(program, 7, True)  # special values: no cancellation of huge terms
    eager = _run_all(program, arrays, 1, ())["eager"]
    assert 0 not in _ill_conditioned(program, arrays, eager)


# Found by the compiled run (seeds from 20000; 6 programs in 2 chunks, all this kind): the float64
# form of the kernel choice above. a = [[-0.72, -0.60], [inf, 1e300]]: element [1, 1] of
# a @ a is inf * -0.60 + 1e300 * 1e300. numpy's (2,2)@(2,2) goes to dgemm, which fuses the
# second multiply-add (1e600 - inf, rounded once: -inf); the loops round 1e300 * 1e300 to inf
# first and give -inf + inf = nan, as numpy's own (2,2)@(2,1) (dgemv) and np.einsum do. In
# the program below that nan reaches d loss / d a [0, 1] through the gradient of
# mean((a @ a)^2), where eager gives -inf. A known limit (README): which product a kernel
# rounds is BLAS's choice, by shape.
FLOAT64_MATMUL_OVERFLOW_GEMM = Program("float64", m=2, n=2, k=1,
                                       steps=(("matmul", 0, 0), ("if", 1)), second_order=True)
_FUSED_BY_BLAS = pytest.mark.xfail(strict=True, reason="whether a float64 product beyond the "
                                   "range is rounded before its sum is numpy's BLAS kernel's "
                                   "choice (README, Known limits)")


@pytest.mark.slow
@_FUSED_BY_BLAS
def test_float64_matmul_overflow_as_blas_computes_it_compiled():
    _assert_agree(FLOAT64_MATMUL_OVERFLOW_GEMM, seed=2, special=True,
                  backends=("interpreter", "numba"))


@pytest.mark.slow
@pytest.mark.parametrize("rows, cols", [pytest.param(1, 1, marks=_FUSED_BY_BLAS), (2, 1),
                                        pytest.param(2, 2, marks=_FUSED_BY_BLAS)])
def test_float64_matmul_with_a_product_beyond_the_range_agrees_with_numpy_compiled(rows, cols):
    # Each element is inf * -0.6 + 1e300 * 1e300: -inf where BLAS fuses the second product
    # into the sum (numpy's (1,2)@(2,1) and (2,2)@(2,2)), nan where it rounds it to inf first
    # (numpy's (2,2)@(2,1), and the loops the compiled code writes for every shape).
    import warnings

    import numpy as np

    import tapeflow as tf

    a = np.repeat(np.array([[np.inf, 1e300]]), rows, axis=0)
    b = np.repeat(np.array([[-0.6], [1e300]]), cols, axis=1)
    fn = tf.function(lambda a, b: tf.matmul(a, b), backend="numba", compile="sync")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        want = np.matmul(a, b)
        for _ in range(2):  # the second call runs native code
            got = fn(tf.constant(a), tf.constant(b)).numpy()
    np.testing.assert_array_equal(got, want)


# Found by the compiled run on 29f7d61 (chunk seed 20765: `--replay 20765 --fail-on value`,
# kernel by kernel, shrunk to the first; the second as the run met it; the third is chunk
# seed 20940's): the first's loss came out as 0.109, where eager gives 0.292.
# With loop epilogues (a kernel's 0-d arithmetic after its sums, 29f7d61 and their re-landing
# on the compile branch) the epilogue read the sum o1 into `_o10`, the name of its own output
# o10, and added o10 to itself. The 0-d loads have names of their own now (codegen/loops.py).
# On main without epilogues the program never met the clash.
EPILOGUE_NAME_CLASH = Program("float32", m=2, n=3, k=1,
                              steps=(("while", 2), ("xent", 3, 2), ("while", 2)),
                              second_order=False)
EPILOGUE_NAME_CLASH_64 = Program("float64", m=2, n=3, k=1,
                                 steps=(("while", 2), ("xent", 3, 3), ("while", 2)),
                                 second_order=True)
EPILOGUE_NAME_CLASH_MEAN = Program("float64", m=2, n=1, k=2,
                                   steps=(("reduce", "reduce_mean", 0, None, False),
                                          ("where", 2, 3)), second_order=True)


@pytest.mark.slow
@pytest.mark.parametrize("program, seed, special", [(EPILOGUE_NAME_CLASH, 0, True),
                                                    (EPILOGUE_NAME_CLASH_64, 2, True),
                                                    (EPILOGUE_NAME_CLASH_MEAN, 37527, False)])
def test_loop_kernel_epilogue_reads_its_own_sums_compiled_kernel_by_kernel(program, seed,
                                                                            special,
                                                                            monkeypatch):
    from tapeflow.codegen import compile as codegen_compile

    # As benchmarks/fuzz.py's run compiles (--mode kernels), and as a large graph compiles.
    monkeypatch.setattr(codegen_compile, "compiles_inline", lambda program: False)
    _assert_agree(program, seed=seed, special=special, backends=("numba",),
                  check_gradients=False)


# Found by the compiled run on 2b999b8 (chunk seed 21138): a Variable assigned
# `0.125 + mean(c)` came out inf, where eager gives nan, for c = [[-0.99, -3e38], [-3e38, inf],
# [1.4e-45, 3e38]] in float32. Fused beside a row or column reduction, a full float32 sum
# accumulates in float64 (codegen/loops.py, Accumulator "scalar", wide), where numpy adds in
# float32 and overflows on the way: -3e38 + -3e38 is -inf there, and -inf + inf is nan; in
# float64 nothing overflows and the inf term gives inf, the exact sum's sign. A known limit
# (README): which partial sums overflow is the summation's order and width.
WIDE_SUM_OVERFLOW = Program("float32", m=0, n=3, k=2, steps=(("xent", 0, 0), ("assign", 2)),
                            second_order=False)
_WIDE_SUM = pytest.mark.xfail(strict=True, reason="a float32 sum fused beside another "
                              "reduction accumulates in float64, where numpy's float32 "
                              "partial sums overflow (README, Known limits)")


@pytest.mark.slow
@_WIDE_SUM
def test_float32_sum_accumulated_wide_overflows_as_numpy_compiled():
    _assert_agree(WIDE_SUM_OVERFLOW, seed=140, special=True, backends=("numba",),
                  check_gradients=False)


@pytest.mark.slow
@pytest.mark.parametrize("rows, eager", [
    pytest.param([[-0.99, -3e38], [-3e38, float("inf")], [1.4e-45, 3e38]], "nan",
                 marks=_WIDE_SUM),
    pytest.param([[1.0, -3e38], [-3e38, 3e38], [3e38, 5.0]], "-inf", marks=_WIDE_SUM),
    ([[1.0, -3e38], [3e38, 2.0], [0.5, 0.25]], "finite"),
])
def test_a_full_float32_sum_beside_a_row_sum_agrees_with_numpy_compiled(rows, eager):
    # The full sum shares its loop with the row sums, so it is the wide "scalar" accumulator.
    # numpy adds these six float32 terms in order: in the first two rows -3e38 + -3e38
    # overflows (then + inf is nan, or the -inf stays), which float64 partial sums never do
    # (inf, and 5.0 for an exact sum of 6). Without an overflow on the way they agree.
    import warnings

    import numpy as np

    import tapeflow as tf

    x = np.array(rows, np.float32)
    fn = tf.function(lambda x: (tf.reduce_sum(x), tf.reduce_sum(x, axis=1)),
                     backend="numba", compile="sync")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        want = np.sum(x)
        for _ in range(2):  # the second call runs native code
            got = fn(tf.constant(x))[0].numpy()
    assert eager == ("finite" if np.isfinite(want) else str(want))
    np.testing.assert_allclose(got, want, rtol=1e-6)

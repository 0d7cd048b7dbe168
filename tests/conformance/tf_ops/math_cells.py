"""Op cells: math (see cells.py for what a cell is and how its text was confirmed).

Elementwise math and its edge values (rounding, the divisions of negative and integer
operands, nan, inf and signed zeros), reductions (axes, keepdims, empty and integer
tensors), argmax/argmin, scans, norms, activations, clipping, dtypes and promotion. An
error is printed by its class only, as a TF user catches it (TF's messages name its own
internals).
"""

from __future__ import annotations

from tests.conformance.guides.cells import Cell, _cells

CELLS: list[Cell] = _cells(
    "math",
    ('round halves to even', """
print(tf.round(tf.constant([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.7, -3.2])))
print(tf.math.round(tf.constant([0.5, 1.5, 2.5], tf.float64)))
""", """tf.Tensor([-2. -2. -0.  0.  2.  2.  4. -3.], shape=(8,), dtype=float32)
tf.Tensor([0. 2. 2.], shape=(3,), dtype=float64)
"""),
    ('round of integers is the identity', """
print(tf.round(tf.constant([1, -2, 3])))
""", """tf.Tensor([ 1 -2  3], shape=(3,), dtype=int32)
"""),
    ('floor and ceil keep signed zeros', """
x = tf.constant([-1.5, -0.0, 0.0, 0.2, 2.9])
print(tf.floor(x))
print(tf.math.ceil(x))
""", """tf.Tensor([-2. -0.  0.  0.  2.], shape=(5,), dtype=float32)
tf.Tensor([-1. -0.  0.  1.  3.], shape=(5,), dtype=float32)
"""),
    ('floor of an int tensor is refused', """
try:
    tf.floor(tf.constant([1, 2]))
except tf.errors.InvalidArgumentError:
    print("InvalidArgumentError")
except TypeError:
    print("TypeError")
except ValueError:
    print("ValueError")
""", """InvalidArgumentError
"""),
    ('floordiv and floormod of negative ints', """
a = tf.constant([7, -7, 7, -7])
b = tf.constant([2, 2, -2, -2])
print(tf.math.floordiv(a, b))
print(tf.math.floormod(a, b))
print(tf.math.mod(a, b))
""", """tf.Tensor([ 3 -4 -4  3], shape=(4,), dtype=int32)
tf.Tensor([ 1  1 -1 -1], shape=(4,), dtype=int32)
tf.Tensor([ 1  1 -1 -1], shape=(4,), dtype=int32)
"""),
    ('truncatediv and truncatemod of negative ints', """
a = tf.constant([7, -7, 7, -7])
b = tf.constant([2, 2, -2, -2])
print(tf.truncatediv(a, b))
print(tf.truncatemod(a, b))
""", """tf.Tensor([ 3 -3 -3  3], shape=(4,), dtype=int32)
tf.Tensor([ 1 -1  1 -1], shape=(4,), dtype=int32)
"""),
    ('truncatediv and truncatemod of floats', """
print(tf.truncatediv(tf.constant([7.5, -7.5]), tf.constant([2., 2.])))
print(tf.truncatemod(tf.constant([7.5, -7.5, -4.0, 4.0]), tf.constant([2., 2., 2., -3.])))
""", """tf.Tensor([ 3. -3.], shape=(2,), dtype=float32)
tf.Tensor([ 1.5 -1.5 -0.   1. ], shape=(4,), dtype=float32)
"""),
    ('// and % operators on float tensors', """
a = tf.constant([7.5, -7.5, 7.5, -7.5])
b = tf.constant([2., 2., -2., -2.])
print(a // b)
print(a % b)
print(a // 2)
print(-7 % b)
""", """tf.Tensor([ 3. -4. -4.  3.], shape=(4,), dtype=float32)
tf.Tensor([ 1.5  0.5 -0.5 -1.5], shape=(4,), dtype=float32)
tf.Tensor([ 3. -4.  3. -4.], shape=(4,), dtype=float32)
tf.Tensor([ 1.  1. -1. -1.], shape=(4,), dtype=float32)
"""),
    ('// and % operators on int tensors', """
a = tf.constant([7, -7, 0, 5], tf.int64)
print(a // 3)
print(a % 3)
print(10 // tf.constant([3, -3]))
""", """tf.Tensor([ 2 -3  0  1], shape=(4,), dtype=int64)
tf.Tensor([1 2 0 2], shape=(4,), dtype=int64)
tf.Tensor([ 3 -4], shape=(2,), dtype=int32)
"""),
    ('integer division by zero is an error', """
try:
    print(tf.constant([7, -7]) // tf.constant([0, 1]))
except tf.errors.InvalidArgumentError:
    print("InvalidArgumentError")
except TypeError:
    print("TypeError")
except ValueError:
    print("ValueError")

try:
    print(tf.constant([7, -7]) % tf.constant([1, 0]))
except tf.errors.InvalidArgumentError:
    print("InvalidArgumentError")
except TypeError:
    print("TypeError")
except ValueError:
    print("ValueError")
""", """InvalidArgumentError
InvalidArgumentError
"""),
    ('float division by zero gives inf and nan', """
x = tf.constant([1., -1., 0.])
print(x / 0.)
print(x // 0.)
print(tf.math.floormod(tf.constant([1., -1.]), 0.))
""", """tf.Tensor([ inf -inf  nan], shape=(3,), dtype=float32)
tf.Tensor([ inf -inf  nan], shape=(3,), dtype=float32)
tf.Tensor([nan nan], shape=(2,), dtype=float32)
"""),
    ('true division of int32 gives float64', """
print(tf.constant([7, -7]) / tf.constant([2, 2]))
print(tf.constant([1, 2]) / 2)
print(tf.divide(tf.constant([3, 4]), tf.constant([2, 8])))
print(tf.math.truediv(tf.constant([1, 2], tf.int64), tf.constant([4, 4], tf.int64)))
""", """tf.Tensor([ 3.5 -3.5], shape=(2,), dtype=float64)
tf.Tensor([0.5 1. ], shape=(2,), dtype=float64)
tf.Tensor([1.5 0.5], shape=(2,), dtype=float64)
tf.Tensor([0.25 0.5 ], shape=(2,), dtype=float64)
"""),
    ('true division of small ints gives float32', """
print(tf.constant([3], tf.int16) / tf.constant([2], tf.int16))
print(tf.constant([3, 4], tf.uint8) / tf.constant([2, 8], tf.uint8))
print(tf.constant([3, 4], tf.int8) / 2)
""", """tf.Tensor([1.5], shape=(1,), dtype=float32)
tf.Tensor([1.5 0.5], shape=(2,), dtype=float32)
tf.Tensor([1.5 2. ], shape=(2,), dtype=float32)
"""),
    ('pow of ints and negative bases', """
print(tf.pow(tf.constant([2, -2, 3]), tf.constant([3, 3, 0])))
print(tf.constant([1, 2, 3]) ** 2)
print(2 ** tf.constant([1, 2, 3]))
print(tf.pow(tf.constant([-8., 4.]), tf.constant([2., 0.5])))
print(tf.pow(tf.constant([-8.]), 1. / 3))
""", """tf.Tensor([ 8 -8  1], shape=(3,), dtype=int32)
tf.Tensor([1 4 9], shape=(3,), dtype=int32)
tf.Tensor([2 4 8], shape=(3,), dtype=int32)
tf.Tensor([64.  2.], shape=(2,), dtype=float32)
tf.Tensor([nan], shape=(1,), dtype=float32)
"""),
    ('pow of zero to a negative power is inf', """
print(tf.pow(tf.constant([0., -0., 2.]), -1.))
""", """tf.Tensor([ inf -inf  0.5], shape=(3,), dtype=float32)
"""),
    ('sign of floats, ints and nan', """
print(tf.sign(tf.constant([-3., -0., 0., 2., float('nan')])))
print(tf.sign(tf.constant([-3, 0, 5])))
""", """tf.Tensor([-1.  0.  0.  1. nan], shape=(5,), dtype=float32)
tf.Tensor([-1  0  1], shape=(3,), dtype=int32)
"""),
    ('abs of ints and floats', """
print(tf.abs(tf.constant([-3, 0, 5])))
print(tf.abs(tf.constant([-1.5, -0.0, 2.])))
print(abs(tf.constant([-2., 3.])))
print(tf.abs(tf.constant([-128, 5], tf.int8)))
""", """tf.Tensor([3 0 5], shape=(3,), dtype=int32)
tf.Tensor([1.5 0.  2. ], shape=(3,), dtype=float32)
tf.Tensor([2. 3.], shape=(2,), dtype=float32)
tf.Tensor([-128    5], shape=(2,), dtype=int8)
"""),
    ('sqrt and rsqrt at 0, negatives and inf', """
x = tf.constant([0., -1., 4., float('inf')])
print(tf.sqrt(x))
print(tf.math.rsqrt(x))
""", """tf.Tensor([ 0. nan  2. inf], shape=(4,), dtype=float32)
tf.Tensor([inf nan 0.5 0. ], shape=(4,), dtype=float32)
"""),
    ('log at 0, negatives and inf', """
print(tf.math.log(tf.constant([0., -1., 1., float('inf')])))
print(tf.math.log(tf.constant([-0.0])))
print(tf.math.log1p(tf.constant([-1., -2., 0.])))
""", """tf.Tensor([-inf  nan   0.  inf], shape=(4,), dtype=float32)
tf.Tensor([-inf], shape=(1,), dtype=float32)
tf.Tensor([-inf  nan   0.], shape=(3,), dtype=float32)
"""),
    ('expm1 and log1p near zero', """
print(tf.math.expm1(tf.constant([1e-10, 0., -50.])))
print(tf.math.log1p(tf.constant([1e-10, -0.5], tf.float64)))
""", """tf.Tensor([ 1.e-10  0.e+00 -1.e+00], shape=(3,), dtype=float32)
tf.Tensor([ 1.00000000e-10 -6.93147181e-01], shape=(2,), dtype=float64)
"""),
    ('sinh and cosh', """
x = tf.constant([-2., 0., 100.], tf.float64)
print(tf.math.sinh(x))
print(tf.math.cosh(x))
""", """tf.Tensor([-3.62686041e+00  0.00000000e+00  1.34405857e+43], shape=(3,), dtype=float64)
tf.Tensor([3.76219569e+00 1.00000000e+00 1.34405857e+43], shape=(3,), dtype=float64)
"""),
    ('tanh saturates', """
print(tf.tanh(tf.constant([-100., -20., 0., 20., 100.])))
""", """tf.Tensor([-1. -1.  0.  1.  1.], shape=(5,), dtype=float32)
"""),
    ('asin and acos outside [-1, 1] are nan', """
x = tf.constant([-2., -1., 0., 1., 2.])
print(tf.math.asin(x))
print(tf.math.acos(x))
""", """tf.Tensor([       nan -1.5707964  0.         1.5707964        nan], shape=(5,), dtype=float32)
tf.Tensor([      nan 3.1415927 1.5707964 0.              nan], shape=(5,), dtype=float32)
"""),
    ('atan of infinities', """
print(tf.math.atan(tf.constant([float('-inf'), -1., 0., float('inf')])))
""", """tf.Tensor([-1.5707964 -0.7853982  0.         1.5707964], shape=(4,), dtype=float32)
"""),
    ('inverse hyperbolic functions at their edges', """
print(tf.math.asinh(tf.constant([-2., 0.])))
print(tf.math.acosh(tf.constant([0.5, 1.])))
print(tf.math.atanh(tf.constant([-1., 0., 1., 2.])))
""", """tf.Tensor([-1.4436355  0.       ], shape=(2,), dtype=float32)
tf.Tensor([nan  0.], shape=(2,), dtype=float32)
tf.Tensor([-inf   0.  inf  nan], shape=(4,), dtype=float32)
"""),
    ('atan2 of signed zeros', """
y = tf.constant([0., -0., 0., -0., 1., -1.])
x = tf.constant([0., 0., -0., -0., 0., 0.])
print(tf.math.atan2(y, x))
print(tf.math.atan2(tf.constant([1., 1.], tf.float64), tf.constant([1., -1.], tf.float64)))
""", """tf.Tensor([ 0.        -0.         3.1415927 -3.1415927  1.5707964 -1.5707964], shape=(6,), dtype=float32)
tf.Tensor([0.78539816 2.35619449], shape=(2,), dtype=float64)
"""),
    ('erf and erfc', """
x = tf.constant([-1., 0., 0.5, 2., 10.], tf.float64)
print(tf.math.erf(x))
print(tf.math.erfc(x))
""", """tf.Tensor([-0.84270079  0.          0.52049988  0.99532227  1.        ], shape=(5,), dtype=float64)
tf.Tensor(
[1.84270079e+00 1.00000000e+00 4.79500122e-01 4.67773498e-03
 2.08848758e-45], shape=(5,), dtype=float64)
"""),
    ('erfc of an int tensor is refused', """
try:
    tf.math.erfc(tf.constant([1, 2]))
except tf.errors.InvalidArgumentError:
    print("InvalidArgumentError")
except TypeError:
    print("TypeError")
except ValueError:
    print("ValueError")
""", """InvalidArgumentError
"""),
    ('square and reciprocal', """
print(tf.square(tf.constant([-3, 4])))
print(tf.math.square(tf.constant([1.5, -2.])))
print(tf.math.reciprocal(tf.constant([2., 0., -0., 4.])))
""", """tf.Tensor([ 9 16], shape=(2,), dtype=int32)
tf.Tensor([2.25 4.  ], shape=(2,), dtype=float32)
tf.Tensor([0.5   inf -inf 0.25], shape=(4,), dtype=float32)
"""),
    ('maximum and minimum propagate nan', """
a = tf.constant([1., float('nan'), 3., float('nan')])
b = tf.constant([float('nan'), 2., 1., float('nan')])
print(tf.maximum(a, b))
print(tf.minimum(a, b))
""", """tf.Tensor([nan nan  3. nan], shape=(4,), dtype=float32)
tf.Tensor([nan nan  1. nan], shape=(4,), dtype=float32)
"""),
    ('maximum and minimum with a Python scalar', """
print(tf.maximum(tf.constant([1, 5]), 3))
print(tf.minimum(tf.constant([1.5, -2.]), 0.))
""", """tf.Tensor([3 5], shape=(2,), dtype=int32)
tf.Tensor([ 0. -2.], shape=(2,), dtype=float32)
"""),
    ('is_nan, is_inf and is_finite', """
x = tf.constant([1., float('nan'), float('inf'), -float('inf')])
print(tf.math.is_nan(x))
print(tf.math.is_inf(x))
print(tf.math.is_finite(x))
""", """tf.Tensor([False  True False False], shape=(4,), dtype=bool)
tf.Tensor([False False  True  True], shape=(4,), dtype=bool)
tf.Tensor([ True False False False], shape=(4,), dtype=bool)
"""),
    ('is_nan of an int tensor is refused', """
try:
    tf.math.is_nan(tf.constant([1, 2]))
except tf.errors.InvalidArgumentError:
    print("InvalidArgumentError")
except TypeError:
    print("TypeError")
except ValueError:
    print("ValueError")
""", """InvalidArgumentError
"""),
    ('logical ops and their operators', """
a = tf.constant([True, True, False, False])
b = tf.constant([True, False, True, False])
print(tf.logical_and(a, b))
print(tf.logical_or(a, b))
print(tf.logical_not(a))
print(tf.math.logical_xor(a, b))
print(a & b)
print(a | b)
print(~a)
""", """tf.Tensor([ True False False False], shape=(4,), dtype=bool)
tf.Tensor([ True  True  True False], shape=(4,), dtype=bool)
tf.Tensor([False False  True  True], shape=(4,), dtype=bool)
tf.Tensor([False  True  True False], shape=(4,), dtype=bool)
tf.Tensor([ True False False False], shape=(4,), dtype=bool)
tf.Tensor([ True  True  True False], shape=(4,), dtype=bool)
tf.Tensor([False False  True  True], shape=(4,), dtype=bool)
"""),
    ('logical_and of ints is refused', """
try:
    tf.logical_and(tf.constant([1]), tf.constant([0]))
except tf.errors.InvalidArgumentError:
    print("InvalidArgumentError")
except TypeError:
    print("TypeError")
except ValueError:
    print("ValueError")
""", """InvalidArgumentError
"""),
    ('comparisons give bool tensors', """
a = tf.constant([1, 2, 3])
b = tf.constant([3, 2, 1])
print(a < b)
print(a >= b)
print(tf.equal(a, b))
print(tf.not_equal(a, 2))
print(tf.math.greater(tf.constant([1.]), 0.5))
""", """tf.Tensor([ True False False], shape=(3,), dtype=bool)
tf.Tensor([False  True  True], shape=(3,), dtype=bool)
tf.Tensor([False  True False], shape=(3,), dtype=bool)
tf.Tensor([ True False  True], shape=(3,), dtype=bool)
tf.Tensor([ True], shape=(1,), dtype=bool)
"""),
    ('nan is not equal to itself', """
n = tf.constant([float('nan'), 1.])
print(n == n)
print(n != n)
print(tf.math.less_equal(n, 1.))
""", """tf.Tensor([False  True], shape=(2,), dtype=bool)
tf.Tensor([ True False], shape=(2,), dtype=bool)
tf.Tensor([False  True], shape=(2,), dtype=bool)
"""),
    ('reduce_sum over int, negative and list axes', """
x = tf.constant([[1., 2., 3.], [4., 5., 6.]])
print(tf.reduce_sum(x))
print(tf.reduce_sum(x, 0))
print(tf.reduce_sum(x, -1))
print(tf.reduce_sum(x, [0, 1]))
print(tf.reduce_sum(x, axis=[]))
""", """tf.Tensor(21.0, shape=(), dtype=float32)
tf.Tensor([5. 7. 9.], shape=(3,), dtype=float32)
tf.Tensor([ 6. 15.], shape=(2,), dtype=float32)
tf.Tensor(21.0, shape=(), dtype=float32)
tf.Tensor(
[[1. 2. 3.]
 [4. 5. 6.]], shape=(2, 3), dtype=float32)
"""),
    ('reduce_sum keepdims', """
x = tf.constant([[1., 2., 3.], [4., 5., 6.]])
print(tf.reduce_sum(x, axis=1, keepdims=True))
print(tf.reduce_sum(x, axis=[-1, 0], keepdims=True))
print(tf.reduce_mean(x, axis=None, keepdims=True))
""", """tf.Tensor(
[[ 6.]
 [15.]], shape=(2, 1), dtype=float32)
tf.Tensor([[21.]], shape=(1, 1), dtype=float32)
tf.Tensor([[3.5]], shape=(1, 1), dtype=float32)
"""),
    ('reduce_sum with a tensor axis', """
x = tf.constant([[1, 2], [3, 4]])
print(tf.reduce_sum(x, axis=tf.constant(1)))
print(tf.reduce_max(x, axis=tf.constant([0, 1])))
""", """tf.Tensor([3 7], shape=(2,), dtype=int32)
tf.Tensor(4, shape=(), dtype=int32)
"""),
    ('reduce over an axis out of range', """
try:
    tf.reduce_sum(tf.ones((2, 3)), axis=2)
except tf.errors.InvalidArgumentError:
    print("InvalidArgumentError")
except TypeError:
    print("TypeError")
except ValueError:
    print("ValueError")
""", """InvalidArgumentError
"""),
    ('reduce_mean of ints rounds toward zero', """
print(tf.reduce_mean(tf.constant([-1, -2])))
print(tf.reduce_mean(tf.constant([[1, 2, 3], [4, 5, 7]]), 0))
print(tf.reduce_mean(tf.constant([-3, -4, 0])))
""", """tf.Tensor(-1, shape=(), dtype=int32)
tf.Tensor([2 3 5], shape=(3,), dtype=int32)
tf.Tensor(-2, shape=(), dtype=int32)
"""),
    ('reduce_mean of small ints does not overflow', """
print(tf.reduce_mean(tf.constant([100, 100], tf.int8)))
print(tf.reduce_mean(tf.constant([7, 200], tf.uint8)))
""", """tf.Tensor(100, shape=(), dtype=int8)
tf.Tensor(103, shape=(), dtype=uint8)
"""),
    ('reduce_sum of small ints wraps', """
print(tf.reduce_sum(tf.constant([200, 100], tf.uint8)))
print(tf.reduce_prod(tf.constant([[1, 2, 3], [4, 5, 7]])))
""", """tf.Tensor(44, shape=(), dtype=uint8)
tf.Tensor(840, shape=(), dtype=int32)
"""),
    ('reduce_sum and reduce_mean of bools are refused', """
try:
    print(tf.reduce_sum(tf.constant([True, False])))
except tf.errors.InvalidArgumentError:
    print("InvalidArgumentError")
except TypeError:
    print("TypeError")
except ValueError:
    print("ValueError")

try:
    print(tf.reduce_mean(tf.constant([True, False])))
except tf.errors.InvalidArgumentError:
    print("InvalidArgumentError")
except TypeError:
    print("TypeError")
except ValueError:
    print("ValueError")
""", """InvalidArgumentError
InvalidArgumentError
"""),
    ('reduce_any of ints is refused', """
try:
    print(tf.reduce_any(tf.constant([1, 0])))
except tf.errors.InvalidArgumentError:
    print("InvalidArgumentError")
except TypeError:
    print("TypeError")
except ValueError:
    print("ValueError")
""", """InvalidArgumentError
"""),
    ('reduce_euclidean_norm of ints truncates', """
print(tf.math.reduce_euclidean_norm(tf.constant([3, 4])))
print(tf.math.reduce_euclidean_norm(tf.constant([[2, 3], [1, 1]]), 1))
print(tf.math.reduce_euclidean_norm(tf.constant([-3, 4], tf.int8)))
""", """tf.Tensor(5, shape=(), dtype=int32)
tf.Tensor([3 1], shape=(2,), dtype=int32)
tf.Tensor(5, shape=(), dtype=int8)
"""),
    ('reductions of empty tensors', """
e = tf.zeros((0, 3))
print(tf.reduce_sum(e))
print(tf.reduce_sum(e, 0))
print(tf.reduce_prod(e, 0))
print(tf.reduce_mean(e, 0))
""", """tf.Tensor(0.0, shape=(), dtype=float32)
tf.Tensor([0. 0. 0.], shape=(3,), dtype=float32)
tf.Tensor([1. 1. 1.], shape=(3,), dtype=float32)
tf.Tensor([nan nan nan], shape=(3,), dtype=float32)
"""),
    ('max and min of empty tensors', """
e = tf.zeros((0, 3))
print(tf.reduce_max(e, 0))
print(tf.reduce_min(e))
print(tf.reduce_max(tf.zeros((0,), tf.int32)))
print(tf.reduce_logsumexp(e, 0))
""", """tf.Tensor([-inf -inf -inf], shape=(3,), dtype=float32)
tf.Tensor(inf, shape=(), dtype=float32)
tf.Tensor(-2147483648, shape=(), dtype=int32)
tf.Tensor([-inf -inf -inf], shape=(3,), dtype=float32)
"""),
    ('any and all of empty tensors', """
print(tf.reduce_any(tf.zeros((0,), tf.bool)))
print(tf.reduce_all(tf.zeros((0,), tf.bool)))
""", """tf.Tensor(False, shape=(), dtype=bool)
tf.Tensor(True, shape=(), dtype=bool)
"""),
    ('reduce_any and reduce_all', """
b = tf.constant([[True, False], [True, True]])
print(tf.reduce_any(b, 0))
print(tf.reduce_all(b, 1))
print(tf.reduce_all(b))
print(tf.reduce_any(b, keepdims=True))
""", """tf.Tensor([ True  True], shape=(2,), dtype=bool)
tf.Tensor([False  True], shape=(2,), dtype=bool)
tf.Tensor(False, shape=(), dtype=bool)
tf.Tensor([[ True]], shape=(1, 1), dtype=bool)
"""),
    ('reduce_max and reduce_min propagate nan', """
x = tf.constant([[1., float('nan')], [3., 2.]])
print(tf.reduce_max(x, 1))
print(tf.reduce_min(x, 0))
""", """tf.Tensor([nan  3.], shape=(2,), dtype=float32)
tf.Tensor([ 1. nan], shape=(2,), dtype=float32)
"""),
    ('reduce_std and reduce_variance', """
x = tf.constant([[1., 2.], [3., 5.]])
print(tf.math.reduce_std(x))
print(tf.math.reduce_variance(x, 0))
print(tf.math.reduce_std(x, axis=1, keepdims=True))
print(tf.math.reduce_variance(tf.constant([1., 2.], tf.float64)))
""", """tf.Tensor(1.47902, shape=(), dtype=float32)
tf.Tensor([1.   2.25], shape=(2,), dtype=float32)
tf.Tensor(
[[0.5]
 [1. ]], shape=(2, 1), dtype=float32)
tf.Tensor(0.25, shape=(), dtype=float64)
"""),
    ('reduce_std of ints is refused', """
try:
    tf.math.reduce_std(tf.constant([1, 2]))
except tf.errors.InvalidArgumentError:
    print("InvalidArgumentError")
except TypeError:
    print("TypeError")
except ValueError:
    print("ValueError")
""", """TypeError
"""),
    ('reduce_logsumexp does not overflow', """
x = tf.constant([[1000., 1000.], [-1000., 0.]])
print(tf.math.reduce_logsumexp(x, 1))
print(tf.math.reduce_logsumexp(tf.constant([-np.inf, -np.inf])))
print(tf.math.reduce_logsumexp(tf.constant([np.inf, 1.])))
""", """tf.Tensor([1000.6932    0.    ], shape=(2,), dtype=float32)
tf.Tensor(-inf, shape=(), dtype=float32)
tf.Tensor(inf, shape=(), dtype=float32)
"""),
    ('reduce_euclidean_norm', """
x = tf.constant([[3., 4.], [6., 8.]])
print(tf.math.reduce_euclidean_norm(x, 1))
print(tf.math.reduce_euclidean_norm(x, 0, keepdims=True))
""", """tf.Tensor([ 5. 10.], shape=(2,), dtype=float32)
tf.Tensor([[6.708204 8.944272]], shape=(1, 2), dtype=float32)
"""),
    ('argmax and argmin: ties go to the first', """
print(tf.argmax(tf.constant([5, 5, 1])))
print(tf.argmin(tf.constant([[1, 0], [0, 1]]), axis=0))
print(tf.math.argmax(tf.constant([[1., 3., 3.], [2., 2., 0.]]), axis=-1, output_type=tf.int32))
""", """tf.Tensor(0, shape=(), dtype=int64)
tf.Tensor([1 0], shape=(2,), dtype=int64)
tf.Tensor([1 0], shape=(2,), dtype=int32)
"""),
    ('argmax and argmin never pick nan', """
x = tf.constant([[1., 3., 3.], [2., np.nan, 0.]])
print(tf.argmax(x))
print(tf.argmax(x, 1))
print(tf.argmin(x, 1))
print(tf.argmax(tf.constant([np.nan, 1., np.nan])))
print(tf.argmin(tf.constant([np.nan, -np.inf])))
print(tf.argmax(tf.constant([np.nan, np.nan])))
""", """tf.Tensor([1 0 0], shape=(3,), dtype=int64)
tf.Tensor([1 0], shape=(2,), dtype=int64)
tf.Tensor([0 2], shape=(2,), dtype=int64)
tf.Tensor(1, shape=(), dtype=int64)
tf.Tensor(1, shape=(), dtype=int64)
tf.Tensor(0, shape=(), dtype=int64)
"""),
    ('argmax output_type must be an int type', """
try:
    tf.argmax(tf.constant([1., 2.]), output_type=tf.float32)
except tf.errors.InvalidArgumentError:
    print("InvalidArgumentError")
except TypeError:
    print("TypeError")
except ValueError:
    print("ValueError")
""", """InvalidArgumentError
"""),
    ('argmax of an empty axis is an error', """
try:
    tf.argmax(tf.zeros((0,)))
except tf.errors.InvalidArgumentError:
    print("InvalidArgumentError")
except TypeError:
    print("TypeError")
except ValueError:
    print("ValueError")

try:
    tf.argmax(tf.constant([1., 2.]), axis=1)
except tf.errors.InvalidArgumentError:
    print("InvalidArgumentError")
except TypeError:
    print("TypeError")
except ValueError:
    print("ValueError")
""", """InvalidArgumentError
InvalidArgumentError
"""),
    ('cumsum with exclusive and reverse', """
x = tf.constant([[1, 2, 3], [4, 5, 6]])
print(tf.cumsum(x))
print(tf.cumsum(x, axis=1))
print(tf.cumsum(x, axis=-1, exclusive=True))
print(tf.cumsum(x, axis=1, reverse=True))
print(tf.cumsum(x, 1, exclusive=True, reverse=True))
""", """tf.Tensor(
[[1 2 3]
 [5 7 9]], shape=(2, 3), dtype=int32)
tf.Tensor(
[[ 1  3  6]
 [ 4  9 15]], shape=(2, 3), dtype=int32)
tf.Tensor(
[[0 1 3]
 [0 4 9]], shape=(2, 3), dtype=int32)
tf.Tensor(
[[ 6  5  3]
 [15 11  6]], shape=(2, 3), dtype=int32)
tf.Tensor(
[[ 5  3  0]
 [11  6  0]], shape=(2, 3), dtype=int32)
"""),
    ('cumprod with exclusive and reverse', """
x = tf.constant([[1., 2., 3.], [4., 5., 6.]])
print(tf.math.cumprod(x, axis=1))
print(tf.math.cumprod(x, axis=1, exclusive=True))
print(tf.math.cumprod(x, 0, reverse=True))
print(tf.math.cumprod(tf.constant([2, 3, 4]), exclusive=True, reverse=True))
""", """tf.Tensor(
[[  1.   2.   6.]
 [  4.  20. 120.]], shape=(2, 3), dtype=float32)
tf.Tensor(
[[ 1.  1.  2.]
 [ 1.  4. 20.]], shape=(2, 3), dtype=float32)
tf.Tensor(
[[ 4. 10. 18.]
 [ 4.  5.  6.]], shape=(2, 3), dtype=float32)
tf.Tensor([12  4  1], shape=(3,), dtype=int32)
"""),
    ('add_n', """
print(tf.add_n([tf.constant([1, 2]), tf.constant([3, 4]), tf.constant([5, 6])]))
print(tf.math.add_n([tf.constant(1.5)]))
""", """tf.Tensor([ 9 12], shape=(2,), dtype=int32)
tf.Tensor(1.5, shape=(), dtype=float32)
"""),
    ('add_n refuses mixed shapes, dtypes and an empty list', """
try:
    tf.add_n([tf.constant([1.]), tf.constant([1., 2.])])
except tf.errors.InvalidArgumentError:
    print("InvalidArgumentError")
except TypeError:
    print("TypeError")
except ValueError:
    print("ValueError")

try:
    tf.add_n([tf.constant([1.]), tf.constant([1])])
except tf.errors.InvalidArgumentError:
    print("InvalidArgumentError")
except TypeError:
    print("TypeError")
except ValueError:
    print("ValueError")

try:
    tf.add_n([])
except tf.errors.InvalidArgumentError:
    print("InvalidArgumentError")
except TypeError:
    print("TypeError")
except ValueError:
    print("ValueError")
""", """InvalidArgumentError
InvalidArgumentError
ValueError
"""),
    ('norm of vectors', """
x = tf.constant([[3., -4.], [0., 12.]])
print(tf.norm(x))
print(tf.norm(x, axis=1))
print(tf.norm(x, ord=1, axis=1))
print(tf.norm(x, ord=np.inf, axis=0))
print(tf.norm(x, keepdims=True))
print(tf.norm(x, ord=1))
""", """tf.Tensor(13.0, shape=(), dtype=float32)
tf.Tensor([ 5. 12.], shape=(2,), dtype=float32)
tf.Tensor([ 7. 12.], shape=(2,), dtype=float32)
tf.Tensor([ 3. 12.], shape=(2,), dtype=float32)
tf.Tensor([[13.]], shape=(1, 1), dtype=float32)
tf.Tensor(19.0, shape=(), dtype=float32)
"""),
    ('norm with a p other than 1, 2 and inf', """
print(tf.norm(tf.constant([1., 2., 2.]), ord=3))
print(tf.norm(tf.constant([[1., 4.], [9., 1.]]), ord=0.5, axis=0))
""", """tf.Tensor(2.5712817, shape=(), dtype=float32)
tf.Tensor([16.  9.], shape=(2,), dtype=float32)
"""),
    ('matrix norms over two axes', """
x = tf.constant([[3., -4.], [0., 12.]])
print(tf.norm(x, ord='fro', axis=[0, 1]))
print(tf.norm(x, ord=1, axis=[-2, -1]))
print(tf.norm(x, ord=np.inf, axis=[0, 1]))
print(tf.norm(x, ord=np.inf, axis=[1, 0]))
print(tf.norm(x, ord=1, axis=(0, 1), keepdims=True))
""", """tf.Tensor(13.0, shape=(), dtype=float32)
tf.Tensor(16.0, shape=(), dtype=float32)
tf.Tensor(12.0, shape=(), dtype=float32)
tf.Tensor(16.0, shape=(), dtype=float32)
tf.Tensor([[16.]], shape=(1, 1), dtype=float32)
"""),
    ('spectral norm', """
x = tf.constant([[2., 0.], [0., -3.]])
print(tf.norm(x, ord=2, axis=[0, 1]))
print(tf.norm(tf.stack([x, 2 * x]), ord=2, axis=[1, 2], keepdims=True))
""", """tf.Tensor(3.0, shape=(), dtype=float32)
tf.Tensor(
[[[3.]]

 [[6.]]], shape=(2, 1, 1), dtype=float32)
"""),
    ('norm refuses unsupported ords and axes', """
x = tf.ones((2, 2))
for kw in [dict(ord='fro', axis=1), dict(ord=0), dict(ord=-1), dict(ord='nuc', axis=[0, 1]),
           dict(ord=3, axis=[0, 1]), dict(axis=[0, 1, 1])]:
    try:
        tf.norm(x, **kw)
    except tf.errors.InvalidArgumentError:
        print("InvalidArgumentError")
    except TypeError:
        print("TypeError")
    except ValueError:
        print("ValueError")
""", """ValueError
ValueError
ValueError
ValueError
ValueError
ValueError
"""),
    ('elu and selu', """
x = tf.constant([-1., 0., 2.])
print(tf.nn.elu(x))
print(tf.nn.selu(x))
print(tf.nn.elu(tf.constant([-2., 3.], tf.float64)))
""", """tf.Tensor([-0.63212055  0.          2.        ], shape=(3,), dtype=float32)
tf.Tensor([-1.1113307  0.         2.101402 ], shape=(3,), dtype=float32)
tf.Tensor([-0.86466472  3.        ], shape=(2,), dtype=float64)
"""),
    ('gelu exact and approximate', """
x = tf.constant([-1., 0., 0.5, 2.])
print(tf.nn.gelu(x))
print(tf.nn.gelu(tf.constant([-1., 0., 2.]), approximate=True))
""", """tf.Tensor([-0.15865526  0.          0.34573123  1.9544997 ], shape=(4,), dtype=float32)
tf.Tensor([-0.158808   0.         1.9545977], shape=(3,), dtype=float32)
"""),
    ('leaky_relu and relu6', """
x = tf.constant([-10., -1., 0., 3., 8.])
print(tf.nn.leaky_relu(x))
print(tf.nn.leaky_relu(x, alpha=0.5))
print(tf.nn.relu6(x))
print(tf.nn.relu(x))
print(tf.nn.relu(tf.constant([-2, 3])))
""", """tf.Tensor([-2.  -0.2  0.   3.   8. ], shape=(5,), dtype=float32)
tf.Tensor([-5.  -0.5  0.   3.   8. ], shape=(5,), dtype=float32)
tf.Tensor([0. 0. 0. 3. 6.], shape=(5,), dtype=float32)
tf.Tensor([0. 0. 0. 3. 8.], shape=(5,), dtype=float32)
tf.Tensor([0 3], shape=(2,), dtype=int32)
"""),
    ('silu and swish', """
x = tf.constant([-2., 0., 1.5])
print(tf.nn.silu(x))
print(tf.nn.swish(x))
print(tf.nn.silu(x, beta=2.0))
""", """tf.Tensor([-0.23840584  0.          1.2263618 ], shape=(3,), dtype=float32)
tf.Tensor([-0.23840584  0.          1.2263618 ], shape=(3,), dtype=float32)
tf.Tensor([-0.03597242  0.          1.4288611 ], shape=(3,), dtype=float32)
"""),
    ('log_sigmoid, softplus and softsign', """
x = tf.constant([-50., 0., 50.])
print(tf.math.log_sigmoid(x))
print(tf.nn.softplus(x))
print(tf.nn.softsign(tf.constant([-100., -1., 0., 1., 100.])))
print(tf.math.softplus(tf.constant([-100., 30.], tf.float64)))
""", """tf.Tensor([-5.0000000e+01 -6.9314718e-01 -1.9287499e-22], shape=(3,), dtype=float32)
tf.Tensor([1.9287499e-22 6.9314718e-01 5.0000000e+01], shape=(3,), dtype=float32)
tf.Tensor([-0.990099 -0.5       0.        0.5       0.990099], shape=(5,), dtype=float32)
tf.Tensor([3.72007598e-44 3.00000000e+01], shape=(2,), dtype=float64)
"""),
    ('sigmoid at extremes', """
print(tf.sigmoid(tf.constant([-20., 0., 20., 100.])))
print(tf.nn.sigmoid(tf.constant([-800., 800.], tf.float64)))
""", """tf.Tensor([2.0611537e-09 5.0000000e-01 1.0000000e+00 1.0000000e+00], shape=(4,), dtype=float32)
tf.Tensor([0. 1.], shape=(2,), dtype=float64)
"""),
    ('softmax and log_softmax with axis', """
x = tf.constant([[1., 2., 3.], [1000., 1000., -np.inf]])
print(tf.nn.softmax(x))
print(tf.nn.softmax(x, axis=0))
print(tf.nn.log_softmax(tf.constant([[1., 2.], [3., 5.]]), axis=0))
print(tf.nn.softmax(tf.constant([2., 2.])))
""", """tf.Tensor(
[[0.09003057 0.24472848 0.6652409 ]
 [0.5        0.5        0.        ]], shape=(2, 3), dtype=float32)
tf.Tensor(
[[0. 0. 1.]
 [1. 1. 0.]], shape=(2, 3), dtype=float32)
tf.Tensor(
[[-2.126928   -3.0485873 ]
 [-0.12692805 -0.04858733]], shape=(2, 2), dtype=float32)
tf.Tensor([0.5 0.5], shape=(2,), dtype=float32)
"""),
    ('softmax of ints is refused', """
try:
    tf.nn.softmax(tf.constant([1, 2]))
except tf.errors.InvalidArgumentError:
    print("InvalidArgumentError")
except TypeError:
    print("TypeError")
except ValueError:
    print("ValueError")
""", """InvalidArgumentError
"""),
    ('clip_by_value', """
x = tf.constant([-3., 0.5, 7.])
print(tf.clip_by_value(x, -1., 1.))
print(tf.clip_by_value(tf.constant([-3, 5, 9]), 0, 6))
print(tf.clip_by_value(x, tf.constant([0., 0., 0.]), tf.constant([1., 1., 5.])))
""", """tf.Tensor([-1.   0.5  1. ], shape=(3,), dtype=float32)
tf.Tensor([0 5 6], shape=(3,), dtype=int32)
tf.Tensor([0.  0.5 5. ], shape=(3,), dtype=float32)
"""),
    ('clip_by_norm', """
x = tf.constant([[3., 4.], [6., 8.]])
print(tf.clip_by_norm(x, 5.))
print(tf.clip_by_norm(x, 5., axes=[1]))
print(tf.clip_by_norm(x, 100.))
print(tf.clip_by_norm(tf.zeros(2), 1.))
""", """tf.Tensor(
[[1.3416408 1.7888544]
 [2.6832817 3.5777087]], shape=(2, 2), dtype=float32)
tf.Tensor(
[[3. 4.]
 [3. 4.]], shape=(2, 2), dtype=float32)
tf.Tensor(
[[3. 4.]
 [6. 8.]], shape=(2, 2), dtype=float32)
tf.Tensor([0. 0.], shape=(2,), dtype=float32)
"""),
    ('clip_by_global_norm', """
a = tf.constant([3., 4.])
b = tf.constant([[12.]])
clipped, n = tf.clip_by_global_norm([a, b], 6.5)
print(clipped)
print(n)
clipped, n = tf.clip_by_global_norm([a, None, b], 100.)
print(clipped[1], clipped[0])
clipped, n = tf.clip_by_global_norm([a], 1., use_norm=tf.constant(10.))
print(clipped, n)
""", """[<tf.Tensor: shape=(2,), dtype=float32, numpy=array([1.5, 2. ], dtype=float32)>, <tf.Tensor: shape=(1, 1), dtype=float32, numpy=array([[6.]], dtype=float32)>]
tf.Tensor(13.0, shape=(), dtype=float32)
None tf.Tensor([3. 4.], shape=(2,), dtype=float32)
[<tf.Tensor: shape=(2,), dtype=float32, numpy=array([0.3, 0.4], dtype=float32)>] tf.Tensor(10.0, shape=(), dtype=float32)
"""),
    ('binary ops refuse mixed dtypes', """
for f in [lambda: tf.constant(1) + tf.constant(1.0),
          lambda: tf.constant([1.], tf.float64) * tf.constant([2.]),
          lambda: tf.maximum(tf.constant(1), tf.constant(2, tf.int64)),
          lambda: tf.constant([1]) < tf.constant([1.])]:
    try:
        print(f())
    except tf.errors.InvalidArgumentError:
        print("InvalidArgumentError")
    except TypeError:
        print("TypeError")
    except ValueError:
        print("ValueError")
""", """InvalidArgumentError
InvalidArgumentError
InvalidArgumentError
InvalidArgumentError
"""),
    ("Python scalars take the tensor's dtype", """
print(tf.constant([1, 2]) + 1)
print(tf.constant([1., 2.]) * 2)
print(tf.constant([1., 2.], tf.float64) + 1)
print(3 - tf.constant([1.5], tf.float16))
print(tf.constant([1], tf.int64) * 2)
print(tf.constant([1, 2], tf.uint8) + 255)
""", """tf.Tensor([2 3], shape=(2,), dtype=int32)
tf.Tensor([2. 4.], shape=(2,), dtype=float32)
tf.Tensor([2. 3.], shape=(2,), dtype=float64)
tf.Tensor([1.5], shape=(1,), dtype=float16)
tf.Tensor([2], shape=(1,), dtype=int64)
tf.Tensor([0 1], shape=(2,), dtype=uint8)
"""),
    ('constant refuses a fraction for an int dtype', """
for v, d in [(1.5, tf.int32), (1.0, tf.int32)]:
    try:
        print(tf.constant(v, dtype=d))
    except tf.errors.InvalidArgumentError:
        print("InvalidArgumentError")
    except TypeError:
        print("TypeError")
    except ValueError:
        print("ValueError")
    
print(tf.constant(1e40, tf.float32))
print(tf.constant([1, 2.5]))
print(tf.constant([1, 2], tf.float16))
""", """TypeError
TypeError
tf.Tensor(inf, shape=(), dtype=float32)
tf.Tensor([1.  2.5], shape=(2,), dtype=float32)
tf.Tensor([1. 2.], shape=(2,), dtype=float16)
"""),
    ('cast floats to ints truncates toward zero', """
x = tf.constant([-2.7, -0.5, 0.0, 0.5, 2.7])
print(tf.cast(x, tf.int32))
print(tf.cast(x, tf.bool))
print(tf.cast(tf.constant([True, False]), tf.float32))
""", """tf.Tensor([-2  0  0  0  2], shape=(5,), dtype=int32)
tf.Tensor([ True  True False  True  True], shape=(5,), dtype=bool)
tf.Tensor([1. 0.], shape=(2,), dtype=float32)
"""),
    ('cast ints wraps to narrower ints', """
print(tf.cast(tf.constant([-1, 256, 3]), tf.uint8))
print(tf.cast(tf.constant([-200, 100]), tf.int8))
print(tf.cast(tf.constant([70000]), tf.int16))
""", """tf.Tensor([255   0   3], shape=(3,), dtype=uint8)
tf.Tensor([ 56 100], shape=(2,), dtype=int8)
tf.Tensor([4464], shape=(1,), dtype=int16)
"""),
    ('cast to float16 and bfloat16', """
x = tf.constant([-2.7, 0.1, 1000.3])
print(tf.cast(x, tf.float16))
print(tf.cast(x, tf.bfloat16))
print(tf.cast(tf.constant([0.1, 1/3], tf.float64), tf.float32))
""", """tf.Tensor([-2.6992e+00  9.9976e-02  1.0005e+03], shape=(3,), dtype=float16)
tf.Tensor([-2.70312 0.100098 1000], shape=(3,), dtype=bfloat16)
tf.Tensor([0.1        0.33333334], shape=(2,), dtype=float32)
"""),
    ('printing float16, bfloat16 and small ints', """
print(tf.constant([1.1, 2.5, 1000.3], tf.float16))
print(tf.constant([1.1, 2.5, 1000.3], tf.bfloat16))
print(tf.constant([-3, 7], tf.int8))
print(tf.constant(3.3, tf.bfloat16))
print(tf.constant([1, 2], tf.uint16))
""", """tf.Tensor([1.0996e+00 2.5000e+00 1.0005e+03], shape=(3,), dtype=float16)
tf.Tensor([1.10156 2.5 1000], shape=(3,), dtype=bfloat16)
tf.Tensor([-3  7], shape=(2,), dtype=int8)
tf.Tensor(3.29688, shape=(), dtype=bfloat16)
tf.Tensor([1 2], shape=(2,), dtype=uint16)
"""),
    ('arithmetic in float16 and bfloat16', """
print(tf.constant([1., 2.], tf.float16) / tf.constant([3., 3.], tf.float16))
print(tf.constant([1.1, 2.2], tf.bfloat16) + tf.constant([1.1, 2.2], tf.bfloat16))
""", """tf.Tensor([0.3333 0.6665], shape=(2,), dtype=float16)
tf.Tensor([2.20312 4.40625], shape=(2,), dtype=bfloat16)
"""),
    ('dtype predicates', """
for d in [tf.float32, tf.int8, tf.uint8, tf.bool, tf.float16, tf.bfloat16, tf.complex64, tf.int64]:
    print(d.name, d.is_floating, d.is_integer, d.is_complex, d.is_bool, d.is_unsigned, d.size)
""", """float32 True False False False False 4
int8 False True False False False 1
uint8 False True False False True 1
bool False False False True False 1
float16 True False False False False 2
bfloat16 True False False False False 2
complex64 False False True False False 8
int64 False True False False False 8
"""),
    ('dtype as_numpy_dtype', """
for d in [tf.float32, tf.int8, tf.uint16, tf.bool, tf.float16, tf.complex128]:
    print(d.as_numpy_dtype)
""", """<class 'numpy.float32'>
<class 'numpy.int8'>
<class 'numpy.uint16'>
<class 'numpy.bool'>
<class 'numpy.float16'>
<class 'numpy.complex128'>
"""),
    ('dtype max and min', """
print(tf.int8.max, tf.int8.min, tf.uint16.max, tf.uint8.min)
print(tf.float16.max, tf.float32.min, tf.bfloat16.max, tf.float64.max)
""", """127 -128 65535 0
6.55e+04 -3.4028235e+38 3.38953e+38 1.7976931348623157e+308
"""),
    ('dtype conversions and equality', """
print(tf.float64.real_dtype, tf.complex128.real_dtype, tf.complex64.real_dtype)
print(tf.as_dtype(np.float32), tf.as_dtype("int16"), tf.dtypes.as_dtype(tf.bool))
print(tf.float32 == np.float32, tf.float32 == tf.float64, repr(tf.int32))
print(tf.dtypes.float32.is_compatible_with(tf.float32), tf.double is tf.float64)
""", """<dtype: 'float64'> <dtype: 'float64'> <dtype: 'float32'>
<dtype: 'float32'> <dtype: 'int16'> <dtype: 'bool'>
True False tf.int32
True True
"""),
    ('linspace', """
print(tf.linspace(0., 1., 5))
print(tf.linspace(0, 10, 3))
print(tf.linspace(tf.constant(1., tf.float64), 2., 3))
print(tf.linspace(0., 1., 1))
""", """tf.Tensor([0.   0.25 0.5  0.75 1.  ], shape=(5,), dtype=float32)
tf.Tensor([ 0.  5. 10.], shape=(3,), dtype=float64)
tf.Tensor([1.  1.5 2. ], shape=(3,), dtype=float64)
tf.Tensor([0.], shape=(1,), dtype=float32)
"""),
    ('linspace of vectors along an axis', """
print(tf.linspace([0., 1.], [1., 3.], 3))
print(tf.linspace([0., 1.], [1., 3.], 3, axis=1))
""", """tf.Tensor(
[[0.  1. ]
 [0.5 2. ]
 [1.  3. ]], shape=(3, 2), dtype=float32)
tf.Tensor(
[[0.  0.5 1. ]
 [1.  2.  3. ]], shape=(2, 3), dtype=float32)
"""),
    ('range dtypes', """
print(tf.range(5))
print(tf.range(1, 2, 0.25))
print(tf.range(10, 0, -3))
print(tf.range(5, dtype=tf.float32))
print(tf.range(3.))
print(tf.range(0))
print(tf.range(2, 5, dtype=tf.float64))
""", """tf.Tensor([0 1 2 3 4], shape=(5,), dtype=int32)
tf.Tensor([1.   1.25 1.5  1.75], shape=(4,), dtype=float32)
tf.Tensor([10  7  4  1], shape=(4,), dtype=int32)
tf.Tensor([0. 1. 2. 3. 4.], shape=(5,), dtype=float32)
tf.Tensor([0. 1. 2.], shape=(3,), dtype=float32)
tf.Tensor([], shape=(0,), dtype=int32)
tf.Tensor([2. 3. 4.], shape=(3,), dtype=float64)
"""),
    ('range takes the dtype of tensor arguments', """
print(tf.range(tf.constant(4, tf.int64)))
print(tf.range(tf.constant(3.)))
print(tf.range(1, tf.constant(3., tf.float64)))
""", """tf.Tensor([0 1 2 3], shape=(4,), dtype=int64)
tf.Tensor([0. 1. 2.], shape=(3,), dtype=float32)
tf.Tensor([1. 2.], shape=(2,), dtype=float64)
"""),
    ('range with a zero delta is an error', """
try:
    tf.range(1, 5, 0)
except tf.errors.InvalidArgumentError:
    print("InvalidArgumentError")
except TypeError:
    print("TypeError")
except ValueError:
    print("ValueError")
""", """InvalidArgumentError
"""),
    ('xor and reflected logical operators', """
a = tf.constant([True, True, False, False])
b = tf.constant([True, False, True, False])
print(a ^ b)
print(True ^ a)
print(True & a)
print(False | a)
""", """tf.Tensor([False  True  True False], shape=(4,), dtype=bool)
tf.Tensor([False False  True  True], shape=(4,), dtype=bool)
tf.Tensor([ True  True False False], shape=(4,), dtype=bool)
tf.Tensor([ True  True False False], shape=(4,), dtype=bool)
"""),
    ('relu6 and leaky_relu of ints', """
print(tf.nn.relu6(tf.constant([-2, 3, 9])))
print(tf.nn.leaky_relu(tf.constant([-2, 3])))
""", """tf.Tensor([0 3 6], shape=(3,), dtype=int32)
tf.Tensor([-0.4  3. ], shape=(2,), dtype=float32)
"""),
    # The second math sweep: complex parts, tf.bitwise, special functions, the xlogy
    # family, saturate_cast, polyval, segment reductions, bincount, confusion_matrix,
    # in_top_k.
    ('complex from float parts, and its parts', """
z = tf.complex(tf.constant([1.0, -2.0]), tf.constant([3.0, 0.5]))
print(z)
print(tf.math.real(z), tf.math.imag(z))
print(tf.math.conj(z))
print(tf.abs(z))
print(tf.complex(tf.constant([1.0], tf.float64), tf.constant([2.0], tf.float64)))
print(tf.complex(tf.constant([1.0, 2.0]), tf.constant(3.0)))
""", """tf.Tensor([ 1.+3.j  -2.+0.5j], shape=(2,), dtype=complex64)
tf.Tensor([ 1. -2.], shape=(2,), dtype=float32) tf.Tensor([3.  0.5], shape=(2,), dtype=float32)
tf.Tensor([ 1.-3.j  -2.-0.5j], shape=(2,), dtype=complex64)
tf.Tensor([3.1622777 2.0615528], shape=(2,), dtype=float32)
tf.Tensor([1.+2.j], shape=(1,), dtype=complex128)
tf.Tensor([1.+3.j 2.+3.j], shape=(2,), dtype=complex64)
"""),
    ('angle of complex and of real tensors', """
z = tf.complex(tf.constant([1.0, -1.0, 0.0], tf.float64), tf.constant([1.0, 0.0, -2.0], tf.float64))
print(tf.math.angle(z))
print(tf.math.angle(tf.constant([-1.0, 2.0, 0.0, -0.0])))
print(tf.math.real(tf.constant([1])), tf.math.imag(tf.constant([1.5])))
""", """tf.Tensor([ 0.78539816  3.14159265 -1.57079633], shape=(3,), dtype=float64)
tf.Tensor([3.1415927 0.        0.        0.       ], shape=(4,), dtype=float32)
tf.Tensor([1], shape=(1,), dtype=int32) tf.Tensor([0.], shape=(1,), dtype=float32)
"""),
    ('complex of ints or mixed floats is refused', """
for re, im in [(tf.constant([1]), tf.constant([2])), (tf.constant([1.0]), tf.constant([2.0], tf.float64))]:
    try:
        tf.complex(re, im)
    except tf.errors.InvalidArgumentError:
        print("InvalidArgumentError")
    except TypeError:
        print("TypeError")
""", """TypeError
TypeError
"""),
    ('printing complex tensors', """
print(tf.constant(1+2j))
print(tf.constant([[1+2j, 3.5-1j], [0j, -1e-3+1e5j]], tf.complex64))
print(tf.constant([complex(float('nan'), float('inf')), 1j]))
""", """tf.Tensor((1+2j), shape=(), dtype=complex128)
tf.Tensor(
[[ 1.0e+00+2.e+00j  3.5e+00-1.e+00j]
 [ 0.0e+00+0.e+00j -1.0e-03+1.e+05j]], shape=(2, 2), dtype=complex64)
tf.Tensor([nan+infj  0. +1.j], shape=(2,), dtype=complex128)
"""),
    ('bitwise and, or, xor, invert', """
a = tf.constant([12, 10, -3])
b = tf.constant([10, 6, 5])
print(tf.bitwise.bitwise_and(a, b), tf.bitwise.bitwise_or(a, b), tf.bitwise.bitwise_xor(a, b))
print(tf.bitwise.invert(a))
print(tf.bitwise.invert(tf.constant([0, 5], tf.uint8)))
print(tf.bitwise.bitwise_and(a, 6))
""", """tf.Tensor([8 2 5], shape=(3,), dtype=int32) tf.Tensor([14 14 -3], shape=(3,), dtype=int32) tf.Tensor([ 6 12 -8], shape=(3,), dtype=int32)
tf.Tensor([-13 -11   2], shape=(3,), dtype=int32)
tf.Tensor([255 250], shape=(2,), dtype=uint8)
tf.Tensor([4 2 4], shape=(3,), dtype=int32)
"""),
    ('shifts clamp the amount to the bit width', """
a = tf.constant([12, 10, -3])
print(tf.bitwise.left_shift(a, tf.constant([1, 31, 33])))
print(tf.bitwise.left_shift(a, tf.constant([-1, 32, 64])))
print(tf.bitwise.right_shift(a, tf.constant([1, 40, -1])))
print(tf.bitwise.right_shift(tf.constant([200], tf.uint8), tf.constant([9], tf.uint8)))
""", """tf.Tensor([         24           0 -2147483648], shape=(3,), dtype=int32)
tf.Tensor([         12           0 -2147483648], shape=(3,), dtype=int32)
tf.Tensor([ 6  0 -3], shape=(3,), dtype=int32)
tf.Tensor([1], shape=(1,), dtype=uint8)
"""),
    ('operators on int tensors are bitwise', """
a = tf.constant([12, 10, -3])
b = tf.constant([10, 6, 5])
print(a & b, a | b, a ^ b, ~a)
print(6 & a, a | 1)
print(~tf.constant([True, False]))
""", """tf.Tensor([8 2 5], shape=(3,), dtype=int32) tf.Tensor([14 14 -3], shape=(3,), dtype=int32) tf.Tensor([ 6 12 -8], shape=(3,), dtype=int32) tf.Tensor([-13 -11   2], shape=(3,), dtype=int32)
tf.Tensor([4 2 4], shape=(3,), dtype=int32) tf.Tensor([13 11 -3], shape=(3,), dtype=int32)
tf.Tensor([False  True], shape=(2,), dtype=bool)
"""),
    ('bitwise ops refuse floats, bools and mixed ints', """
for f in [lambda: tf.bitwise.bitwise_and(tf.constant([1.0]), tf.constant([2.0])),
          lambda: tf.bitwise.bitwise_or(tf.constant([True]), tf.constant([False])),
          lambda: tf.bitwise.bitwise_xor(tf.constant([1]), tf.constant([1], tf.int64)),
          lambda: tf.bitwise.invert(tf.constant([1.0]))]:
    try:
        f()
    except tf.errors.InvalidArgumentError:
        print("InvalidArgumentError")
    except TypeError:
        print("TypeError")
""", """InvalidArgumentError
InvalidArgumentError
InvalidArgumentError
InvalidArgumentError
"""),
    ('xlogy, xlog1py, xdivy are 0 where x is 0', """
x = tf.constant([0.0, 0.0, 2.0, 3.0])
y = tf.constant([0.0, -1.0, 0.5, float('inf')])
print(tf.math.xlogy(x, y))
print(tf.math.xlog1py(x, y - 1))
print(tf.math.xdivy(x, y))
""", """tf.Tensor([ 0.         0.        -1.3862944        inf], shape=(4,), dtype=float32)
tf.Tensor([ 0.         0.        -1.3862944        inf], shape=(4,), dtype=float32)
tf.Tensor([0. 0. 4. 0.], shape=(4,), dtype=float32)
"""),
    ('multiply_no_nan and reciprocal_no_nan', """
print(tf.math.multiply_no_nan(tf.constant([float('nan'), float('inf'), 2.0]), tf.constant([0.0, 0.0, 3.0])))
print(tf.math.reciprocal_no_nan(tf.constant([0.0, 2.0, -0.0, float('inf')])))
""", """tf.Tensor([0. 0. 6.], shape=(3,), dtype=float32)
tf.Tensor([0.  0.5 0.  0. ], shape=(4,), dtype=float32)
"""),
    ('gradients of xlogy and multiply_no_nan at zero', """
v = tf.Variable([0.0, 1.0, 2.0])
w = tf.Variable([0.0, 0.0, 0.5])
with tf.GradientTape(persistent=True) as tape:
    a = tf.reduce_sum(tf.math.xlogy(v, w))
    b = tf.reduce_sum(tf.math.multiply_no_nan(v, w))
for t in tape.gradient(a, [v, w]) + tape.gradient(b, [v, w]):
    print(t.numpy())
""", """[ 0.              -inf -0.6931472]
[ 0. inf  4.]
[0.  0.  0.5]
[0. 1. 2.]
"""),
    ('lgamma and digamma at poles and infinities', """
print(tf.math.lgamma(tf.constant([-2.5, -1.0, 0.0, 0.5, 1.0, 10.0, float('inf'), float('-inf')], tf.float64)))
print(tf.math.digamma(tf.constant([-2.5, -1.0, 0.0, 0.5, 1.0, 10.0, float('inf')], tf.float64)))
""", """tf.Tensor(
[-0.05624372         inf         inf  0.57236494  0.         12.80182748
         inf         inf], shape=(8,), dtype=float64)
tf.Tensor(
[ 1.10315664         nan         nan -1.96351003 -0.57721566  2.25175259
         inf], shape=(7,), dtype=float64)
"""),
    ('polygamma orders', """
print(tf.math.polygamma(tf.constant([0., 1., 2., 1.5, -1.], tf.float64), tf.constant([2.0, 2.0, 2.0, 2.0, 2.0], tf.float64)))
""", """tf.Tensor([ 0.42278434  0.64493407 -0.40411381         nan         nan], shape=(5,), dtype=float64)
"""),
    ('erfinv and ndtri, with their ends', """
print(tf.math.erfinv(tf.constant([-1.0, -0.5, 0.0, 0.3, 0.999, 1.0, 1.5], tf.float64)))
print(tf.math.ndtri(tf.constant([0.0, 1e-30, 0.025, 0.5, 0.9, 1.0, 1.5], tf.float64)))
""", """tf.Tensor(
[       -inf -0.47693628  0.          0.27246271  2.32675377         inf
         nan], shape=(7,), dtype=float64)
tf.Tensor(
[        -inf -11.46402469  -1.95996398   0.           1.28155157
          inf          nan], shape=(7,), dtype=float64)
"""),
    ('gradients of lgamma and digamma', """
x = tf.Variable([0.5, 1.5, 2.5], dtype=tf.float64)
with tf.GradientTape(persistent=True) as tape:
    a = tf.reduce_sum(tf.math.lgamma(x))
    b = tf.reduce_sum(tf.math.digamma(x))
print(tape.gradient(a, x).numpy())
print(tape.gradient(b, x).numpy())
""", """[-1.96351003  0.03648997  0.70315664]
[4.9348022  0.9348022  0.49035776]
"""),
    ('special functions refuse ints', """
for f in [tf.math.lgamma, tf.math.digamma, tf.math.erfinv, lambda t: tf.math.xlogy(t, t), tf.math.cumulative_logsumexp]:
    try:
        f(tf.constant([1, 2]))
    except tf.errors.InvalidArgumentError:
        print("InvalidArgumentError")
    except TypeError:
        print("TypeError")
""", """InvalidArgumentError
InvalidArgumentError
InvalidArgumentError
InvalidArgumentError
InvalidArgumentError
"""),
    ('saturate_cast clamps to the target range', """
print(tf.saturate_cast(tf.constant([-5.0, 300.0, 12.7, float('nan')]), tf.uint8))
print(tf.saturate_cast(tf.constant([-1e10, 1e10, 3.9]), tf.int32))
print(tf.saturate_cast(tf.constant([-1e10, 1e10, 2147483647.5], tf.float64), tf.int32))
print(tf.saturate_cast(tf.constant([-1000, 1000, 5]), tf.int8))
print(tf.saturate_cast(tf.constant([1e300, -1e300, 1.5], tf.float64), tf.float32))
print(tf.saturate_cast(tf.constant([200], tf.uint8), tf.int8))
print(tf.saturate_cast(tf.constant([-5, 7]), tf.uint32))
print(tf.saturate_cast(tf.constant([1e300+1j]), tf.float32))
""", """tf.Tensor([  0 255  12   0], shape=(4,), dtype=uint8)
tf.Tensor([-2147483648  2147483520           3], shape=(3,), dtype=int32)
tf.Tensor([-2147483648  2147483647  2147483647], shape=(3,), dtype=int32)
tf.Tensor([-128  127    5], shape=(3,), dtype=int8)
tf.Tensor([ 3.4028235e+38 -3.4028235e+38  1.5000000e+00], shape=(3,), dtype=float32)
tf.Tensor([127], shape=(1,), dtype=int8)
tf.Tensor([0 7], shape=(2,), dtype=uint32)
tf.Tensor([3.4028235e+38], shape=(1,), dtype=float32)
"""),
    ('scalar_mul, polyval, accumulate_n', """
print(tf.math.scalar_mul(2.0, tf.constant([1.0, 2.0])))
print(tf.math.scalar_mul(tf.constant(3.0), tf.constant([1.0, 2.0])))
print(tf.math.polyval([2.0, -1.0, 3.0], tf.constant([0.0, 1.0, 2.0])))
print(tf.math.polyval([], tf.constant([1.0, 2.0])))
print(tf.math.polyval([1, 2], tf.constant([3, 4])))
print(tf.math.accumulate_n([tf.constant([1.0, 2.0]), tf.constant([3.0, 4.0])]))
try:
    tf.math.scalar_mul(tf.constant([3.0, 1.0]), tf.constant([1.0, 2.0]))
except ValueError:
    print("ValueError")
try:
    tf.math.accumulate_n([tf.constant([1.0, 2.0]), tf.constant([3.0])])
except ValueError:
    print("ValueError")
""", """tf.Tensor([2. 4.], shape=(2,), dtype=float32)
tf.Tensor([3. 6.], shape=(2,), dtype=float32)
tf.Tensor([3. 4. 9.], shape=(3,), dtype=float32)
tf.Tensor([0. 0.], shape=(2,), dtype=float32)
tf.Tensor([5 6], shape=(2,), dtype=int32)
tf.Tensor([4. 6.], shape=(2,), dtype=float32)
ValueError
ValueError
"""),
    ('is_non_decreasing and is_strictly_increasing', """
print(tf.math.is_non_decreasing([1, 1, 2]), tf.math.is_strictly_increasing([1, 1, 2]))
print(tf.math.is_non_decreasing(tf.constant([[1.0, 2.0], [0.0, 3.0]])))
print(tf.math.is_strictly_increasing([5]), tf.math.is_strictly_increasing(tf.constant([], tf.float32)))
print(tf.math.is_non_decreasing(tf.constant([1.0, float('nan')])))
try:
    tf.math.is_non_decreasing(tf.constant([True, False]))
except TypeError:
    print("TypeError")
""", """tf.Tensor(True, shape=(), dtype=bool) tf.Tensor(False, shape=(), dtype=bool)
tf.Tensor(False, shape=(), dtype=bool)
tf.Tensor(True, shape=(), dtype=bool) tf.Tensor(True, shape=(), dtype=bool)
tf.Tensor(False, shape=(), dtype=bool)
TypeError
"""),
    ('cumulative_logsumexp with exclusive and reverse', """
c = tf.constant([[0.0, 1.0, -1000.0], [2.0, 2.0, 3.0]])
print(tf.math.cumulative_logsumexp(c, axis=1))
print(tf.math.cumulative_logsumexp(c, axis=1, exclusive=True))
print(tf.math.cumulative_logsumexp(c, axis=0, reverse=True))
print(tf.math.cumulative_logsumexp(c, axis=1, exclusive=True, reverse=True))
print(tf.math.cumulative_logsumexp(tf.constant([float('-inf'), float('-inf'), 1.0, float('inf')])))
""", """tf.Tensor(
[[0.        1.3132617 1.3132617]
 [2.        2.6931472 3.5514448]], shape=(2, 3), dtype=float32)
tf.Tensor(
[[     -inf 0.        1.3132617]
 [     -inf 2.        2.6931472]], shape=(2, 3), dtype=float32)
tf.Tensor(
[[2.126928  2.3132617 3.       ]
 [2.        2.        3.       ]], shape=(2, 3), dtype=float32)
tf.Tensor(
[[    1.        -1000.                 -inf]
 [    3.3132617     3.                 -inf]], shape=(2, 3), dtype=float32)
tf.Tensor([-inf -inf   1.  inf], shape=(4,), dtype=float32)
"""),
    ('sorted segment reductions, a missing id holds 0 (1 for prod)', """
d = tf.constant([[1.0, 2.0], [3.0, -4.0], [5.0, 6.0], [-7.0, 8.0]])
ids = tf.constant([0, 0, 2, 2])
for f in [tf.math.segment_sum, tf.math.segment_mean, tf.math.segment_max, tf.math.segment_min, tf.math.segment_prod]:
    print(f(d, ids).numpy().tolist())
print(tf.math.segment_mean(tf.constant([1, 2, 4]), [0, 0, 0]))
print(tf.math.segment_max(tf.constant([1, 2, 3]), [0, 2, 2]))
""", """[[4.0, -2.0], [0.0, 0.0], [-2.0, 14.0]]
[[2.0, -1.0], [0.0, 0.0], [-1.0, 7.0]]
[[3.0, 2.0], [0.0, 0.0], [5.0, 8.0]]
[[1.0, -4.0], [0.0, 0.0], [-7.0, 6.0]]
[[3.0, -8.0], [1.0, 1.0], [-35.0, 48.0]]
tf.Tensor([2], shape=(1,), dtype=int32)
tf.Tensor([1 0 3], shape=(3,), dtype=int32)
"""),
    ('unsorted segment reductions, empty segments and dropped negative ids', """
d = tf.constant([[1.0, 2.0], [3.0, -4.0], [5.0, 6.0], [-7.0, 8.0]])
for f in [tf.math.unsorted_segment_sum, tf.math.unsorted_segment_mean, tf.math.unsorted_segment_max,
          tf.math.unsorted_segment_min, tf.math.unsorted_segment_prod, tf.math.unsorted_segment_sqrt_n]:
    print(f(d, [2, 0, 2, -1], num_segments=4))
print(tf.math.unsorted_segment_max(tf.constant([1, 2]), [0, 0], 2))
print(tf.math.unsorted_segment_mean(tf.constant([1, 2]), [0, 0], 2))
print(tf.math.unsorted_segment_sum(d, [[0, 1], [1, 1], [0, 0], [2, 2]], 3))
""", """tf.Tensor(
[[ 3. -4.]
 [ 0.  0.]
 [ 6.  8.]
 [ 0.  0.]], shape=(4, 2), dtype=float32)
tf.Tensor(
[[ 3. -4.]
 [ 0.  0.]
 [ 3.  4.]
 [ 0.  0.]], shape=(4, 2), dtype=float32)
tf.Tensor(
[[ 3.0000000e+00 -4.0000000e+00]
 [-3.4028235e+38 -3.4028235e+38]
 [ 5.0000000e+00  6.0000000e+00]
 [-3.4028235e+38 -3.4028235e+38]], shape=(4, 2), dtype=float32)
tf.Tensor(
[[ 3.0000000e+00 -4.0000000e+00]
 [ 3.4028235e+38  3.4028235e+38]
 [ 1.0000000e+00  2.0000000e+00]
 [ 3.4028235e+38  3.4028235e+38]], shape=(4, 2), dtype=float32)
tf.Tensor(
[[ 3. -4.]
 [ 1.  1.]
 [ 5. 12.]
 [ 1.  1.]], shape=(4, 2), dtype=float32)
tf.Tensor(
[[ 3.       -4.      ]
 [ 0.        0.      ]
 [ 4.242641  5.656854]
 [ 0.        0.      ]], shape=(4, 2), dtype=float32)
tf.Tensor([          2 -2147483648], shape=(2,), dtype=int32)
tf.Tensor([1.5 0. ], shape=(2,), dtype=float64)
tf.Tensor([12.  1.  1.], shape=(3,), dtype=float32)
"""),
    ('segment ids out of range, unsorted, or of the wrong shape', """
d = tf.constant([[1.0, 2.0], [3.0, -4.0], [5.0, 6.0], [-7.0, 8.0]])
for f in [lambda: tf.math.segment_sum(d, [0, 2, 1, 2]),
          lambda: tf.math.segment_sum(d, [0, 1]),
          lambda: tf.math.segment_sum(d, [0.0, 1.0, 1.0, 1.0]),
          lambda: tf.math.unsorted_segment_sum(d, [0, 5, 1, 1], 3),
          lambda: tf.math.unsorted_segment_sum(d, [0, 1, 1], 3),
          lambda: tf.math.unsorted_segment_sum(d, [0, 1, 1, 1], -1),
          lambda: tf.math.unsorted_segment_sum(tf.constant([True]), [0], 1)]:
    try:
        f()
    except tf.errors.InvalidArgumentError:
        print("InvalidArgumentError")
    except TypeError:
        print("TypeError")
""", """InvalidArgumentError
InvalidArgumentError
InvalidArgumentError
InvalidArgumentError
InvalidArgumentError
InvalidArgumentError
InvalidArgumentError
"""),
    ('segment gradients: ties share, zeros in products', """
v = tf.Variable([1.0, 3.0, 3.0, 2.0, 0.0, 5.0])
sid = tf.constant([0, 0, 0, 1, 2, 2])
w = tf.constant([1.0, 2.0, 3.0])
for f in [tf.math.segment_sum, tf.math.segment_max, tf.math.segment_min, tf.math.segment_prod, tf.math.segment_mean]:
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(f(v, sid) * w)
    print(tape.gradient(loss, v).numpy())
with tf.GradientTape() as tape:
    loss = tf.reduce_sum(tf.math.unsorted_segment_prod(v, [0, 0, 4, -1, 2, 2], 5) * [1., 2., 3., 4., 5.])
print(tape.gradient(loss, v).numpy())
""", """[1. 1. 1. 2. 3. 3.]
[0.  0.5 0.5 2.  0.  3. ]
[1. 0. 0. 2. 3. 0.]
[ 9.  3.  3.  2. 15.  0.]
[0.33333334 0.33333334 0.33333334 2.         1.5        1.5       ]
[ 3.  1.  5.  0. 15.  0.]
"""),
    ('bincount: weights, minlength, maxlength, dtype, axis', """
arr = tf.constant([1, 1, 3, 0])
print(tf.math.bincount(arr))
print(tf.math.bincount(tf.constant([1, 1, 3]), minlength=6))
print(tf.math.bincount(tf.constant([1, 1, 3, 5]), maxlength=2))
print(tf.math.bincount(tf.constant([1, 1, 3]), weights=tf.constant([0.5, 1.0, 2.0])))
print(tf.math.bincount(tf.constant([1, 1, 3]), dtype=tf.float32))
print(tf.math.bincount(tf.constant([], tf.int32)))
print(tf.math.bincount(tf.constant([[1, 2], [2, 2]])))
print(tf.math.bincount(tf.constant([[1, 2], [2, 2]]), axis=-1))
print(tf.math.bincount(tf.constant([1, 1, 3]), binary_output=True))
print(tf.math.bincount(tf.constant([1, 1, 3]), weights=tf.constant([2, 3, 4])))
try:
    tf.math.bincount(tf.constant([-1, 2]))
except tf.errors.InvalidArgumentError:
    print("InvalidArgumentError")
""", """tf.Tensor([1 2 0 1], shape=(4,), dtype=int32)
tf.Tensor([0 2 0 1 0 0], shape=(6,), dtype=int32)
tf.Tensor([0 2], shape=(2,), dtype=int32)
tf.Tensor([0.  1.5 0.  2. ], shape=(4,), dtype=float32)
tf.Tensor([0. 2. 0. 1.], shape=(4,), dtype=float32)
tf.Tensor([], shape=(0,), dtype=int32)
tf.Tensor([0 1 3], shape=(3,), dtype=int32)
tf.Tensor(
[[0 1 1]
 [0 0 2]], shape=(2, 3), dtype=int32)
tf.Tensor([0 1 0 1], shape=(4,), dtype=int32)
tf.Tensor([0 5 0 4], shape=(4,), dtype=int32)
InvalidArgumentError
"""),
    ('confusion_matrix', """
print(tf.math.confusion_matrix([1, 2, 4], [2, 2, 4]))
print(tf.math.confusion_matrix([1, 2, 0], [2, 2, 0], num_classes=4))
print(tf.math.confusion_matrix([1, 2, 0], [2, 2, 0], num_classes=3, weights=[0.5, 1.0, 2.0], dtype=tf.float32))
for f in [lambda: tf.math.confusion_matrix([-1, 2], [2, 2]),
          lambda: tf.math.confusion_matrix([1, 5], [2, 2], num_classes=3),
          lambda: tf.math.confusion_matrix([1, 2], [2, 2, 1])]:
    try:
        f()
    except tf.errors.InvalidArgumentError:
        print("InvalidArgumentError")
""", """tf.Tensor(
[[0 0 0 0 0]
 [0 0 1 0 0]
 [0 0 1 0 0]
 [0 0 0 0 0]
 [0 0 0 0 1]], shape=(5, 5), dtype=int32)
tf.Tensor(
[[1 0 0 0]
 [0 0 1 0]
 [0 0 1 0]
 [0 0 0 0]], shape=(4, 4), dtype=int32)
tf.Tensor(
[[2.  0.  0. ]
 [0.  0.  0.5]
 [0.  0.  1. ]], shape=(3, 3), dtype=float32)
InvalidArgumentError
InvalidArgumentError
InvalidArgumentError
"""),
    ('in_top_k: ties, out of range targets, non-finite rows', """
p = tf.constant([[0.1, 0.8, 0.1], [0.3, 0.3, 0.4], [0.5, 0.5, 0.0], [float('nan'), 0.2, 0.1]])
print(tf.math.in_top_k([1, 0, 1, 1], p, 1))
print(tf.math.in_top_k([2, 0, 2, 0], p, 2))
print(tf.math.in_top_k([3, -1, 0, 0], p, 1))
print(tf.math.in_top_k([1, 0, 1, 1], p, 0))
print(tf.math.in_top_k([0, 1], tf.constant([[float('inf'), 2.], [3., float('-inf')]]), 1))
try:
    tf.math.in_top_k([1, 0], p, 1)
except tf.errors.InvalidArgumentError:
    print("InvalidArgumentError")
""", """tf.Tensor([ True False  True False], shape=(4,), dtype=bool)
tf.Tensor([ True  True False False], shape=(4,), dtype=bool)
tf.Tensor([False False  True False], shape=(4,), dtype=bool)
tf.Tensor([False False False False], shape=(4,), dtype=bool)
tf.Tensor([False False], shape=(2,), dtype=bool)
InvalidArgumentError
"""),
)

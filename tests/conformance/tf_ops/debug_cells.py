"""Op cells: debug (see cells.py for what a cell is and how its text was confirmed).

tf.debugging's assertions (eager values, static ranks, dtypes and shapes, and value checks
inside a tf.function, which fail when the function runs) and the small top-level helpers:
is_tensor, get_static_value, ensure_shape, control_dependencies, group, identity_n,
dynamic_partition, dynamic_stitch, histogram_fixed_width, as_string, the initializers. An
error prints its class and a stable part of its message (TF's names its own internals).
"""

from __future__ import annotations

from tests.conformance.guides.cells import Cell, _cells

CELLS: list[Cell] = _cells(
    "debug",
    ('assert_equal passes with None and fails with the first different values', """
x = tf.constant([1, 2, 3])
print(tf.debugging.assert_equal(x, tf.constant([1, 2, 3])))
try:
    tf.debugging.assert_equal(x, tf.constant([1, 5, 3]), message="msg")
except tf.errors.InvalidArgumentError as e:
    print(type(e).__name__)
    print(e.message)
""", """None
InvalidArgumentError
msg
Condition x == y did not hold.
Indices of first 1 different values:
[[1]]
Corresponding x values:
[2]
Corresponding y values:
[5]
First 3 elements of x:
[1 2 3]
First 3 elements of y:
[1 5 3]
"""),
    ('the order comparisons and their top-level names', """
x, y = tf.constant([1, 2, 3]), tf.constant([1, 5, 3])
for fn in [tf.debugging.assert_less, tf.debugging.assert_less_equal, tf.assert_greater,
           tf.debugging.assert_greater_equal, tf.debugging.assert_none_equal, tf.assert_less]:
    try:
        print(fn(x, y))
    except tf.errors.InvalidArgumentError as e:
        print(e.message.splitlines()[0:3])
""", """['Condition x < y did not hold.', 'Indices of first 2 different values:', '[[0]']
None
['Condition x > y did not hold.', 'Indices of first 3 different values:', '[[0]']
['Condition x >= y did not hold.', 'Indices of first 1 different values:', '[[1]]']
['Condition x != y did not hold.', 'Indices of first 2 different values:', '[[0]']
['Condition x < y did not hold.', 'Indices of first 2 different values:', '[[0]']
"""),
    ('the sign assertions', """
v = tf.constant([1.0, -2.0, 0.0])
for fn in [tf.debugging.assert_positive, tf.debugging.assert_negative,
           tf.debugging.assert_non_negative, tf.debugging.assert_non_positive]:
    try:
        print(fn(v))
    except tf.errors.InvalidArgumentError as e:
        print(type(e).__name__, "Condition x" in e.message)
print(tf.debugging.assert_non_negative(tf.constant([0.0, 3.0])))
""", """InvalidArgumentError True
InvalidArgumentError True
InvalidArgumentError True
InvalidArgumentError True
None
"""),
    ('assert_near with the default and a given tolerance', """
a = tf.constant([1.0, 2.0])
print(tf.debugging.assert_near(a, a + 1e-7))
print(tf.debugging.assert_near(a, a + 0.05, atol=0.1))
try:
    tf.debugging.assert_near(a, tf.constant([1.0, 2.1]))
except tf.errors.InvalidArgumentError as e:
    print(type(e).__name__, "not equal to tolerance" in e.message)
""", """None
None
InvalidArgumentError True
"""),
    ('Assert summarizes its data', """
try:
    tf.debugging.Assert(tf.constant(False), [tf.constant([1, 2, 3, 4]), "hello"])
except tf.errors.InvalidArgumentError as e:
    print(e.message.split("Summarized data: ")[1])
print(tf.Assert(tf.constant(True), ["fine"]))
""", """1, 2, 3, ...
b'hello'
None
"""),
    ('static assertions: ranks, scalars, dtypes', """
x = tf.constant([1.0])
for check in [lambda: tf.debugging.assert_rank(x, 2, message="my"),
              lambda: tf.assert_rank(x, 1),
              lambda: tf.debugging.assert_rank_at_least(x, 2),
              lambda: tf.debugging.assert_rank_in(x, [0, 2]),
              lambda: tf.debugging.assert_scalar(x),
              lambda: tf.debugging.assert_scalar(tf.constant(1.0)),
              lambda: tf.debugging.assert_type(x, tf.int32),
              lambda: tf.debugging.assert_integer(x),
              lambda: tf.debugging.assert_integer(tf.constant([1]))]:
    try:
        print(check())
    except (ValueError, TypeError) as e:
        print(type(e).__name__, e)
""", """ValueError my.  Tensor  must have rank 2.  Received rank 1, shape (1,)
None
ValueError Tensor  must have rank at least 2.  Received rank 1, shape (1,)
ValueError Tensor  must have rank in (0, 2).  Received rank 1, shape (1,)
ValueError Expected scalar shape, saw shape: (1,).
None
TypeError tensor must be of type tf.int32; got tf.float32
TypeError Expected "x" to be integer type.  Found: tensor of dtype <dtype: 'float32'>
None
"""),
    ('assert_shapes binds named sizes across tensors', """
print(tf.debugging.assert_shapes([(tf.zeros([2, 3]), ("N", 3)), (tf.zeros([2]), ("N",))]))
try:
    tf.debugging.assert_shapes([(tf.zeros([2]), ("N",)), (tf.zeros([3]), ("N",))])
except ValueError as e:
    print(type(e).__name__, e)
""", """None
ValueError Specified by tensor shape=(2,) dtype=float32 dimension 0.  Tensor shape=(3,) dtype=float32 dimension 0 must have size 2.  Received size 3, shape (3,)
"""),
    ('assert_same_float_dtype and is_numeric_tensor', """
print(tf.debugging.assert_same_float_dtype([tf.constant([1.0])]))
print(tf.debugging.assert_same_float_dtype([]))
try:
    tf.debugging.assert_same_float_dtype([tf.constant([1.0]), tf.constant([1.0], tf.float64)])
except ValueError as e:
    print(type(e).__name__)
print(tf.debugging.is_numeric_tensor(tf.constant([1])), tf.debugging.is_numeric_tensor(1),
      tf.debugging.is_numeric_tensor(tf.constant([True])))
""", """<dtype: 'float32'>
<dtype: 'float32'>
ValueError
True False False
"""),
    ('an assertion in a tf.function fails when it runs, once traced', """
@tf.function
def f(x):
    tf.debugging.assert_positive(x, message="pos")
    return x * 2.0
print(f(tf.constant([1.0, 2.0])))
try:
    f(tf.constant([1.0, -1.0]))
except tf.errors.InvalidArgumentError as e:
    print(type(e).__name__, "assertion failed" in e.message)
print(f(tf.constant([3.0, 4.0])))
print(f.experimental_get_tracing_count())
""", """tf.Tensor([2. 4.], shape=(2,), dtype=float32)
InvalidArgumentError True
tf.Tensor([6. 8.], shape=(2,), dtype=float32)
1
"""),
    ('a static assertion in a tf.function fails while tracing', """
@tf.function
def f(x):
    tf.debugging.assert_rank(x, 1)
    return x
try:
    f(tf.constant([[1.0]]))
except ValueError as e:
    print(type(e).__name__, "must have rank 1" in str(e))
""", """ValueError True
"""),
    ('ensure_shape eagerly and in a function', """
x = tf.zeros([2, 3])
print(tf.ensure_shape(x, [None, 3]).shape)
try:
    tf.ensure_shape(x, [None, 4])
except tf.errors.InvalidArgumentError as e:
    print(type(e).__name__, "is not compatible with expected shape [?,4]" in e.message)
@tf.function
def f(x):
    return tf.ensure_shape(x, [None, 4])
try:
    f(x)
except ValueError as e:
    print(type(e).__name__, "Dimension 1 in both shapes must be equal" in str(e))
@tf.function(input_signature=[tf.TensorSpec([None, None], tf.float32)])
def g(x):
    return tf.ensure_shape(x, [None, 3])
print(g(tf.ones([1, 3])))
try:
    g(tf.ones([2, 4]))
except tf.errors.InvalidArgumentError as e:
    print(type(e).__name__)
""", """(2, 3)
InvalidArgumentError True
ValueError True
tf.Tensor([[1. 1. 1.]], shape=(1, 3), dtype=float32)
InvalidArgumentError
"""),
    ('is_tensor, get_static_value and the small ops', """
print(tf.is_tensor(tf.constant(1)), tf.is_tensor(tf.Variable(1.0)), tf.is_tensor(1))
print(tf.get_static_value(tf.constant([1, 2])), tf.get_static_value(tf.Variable(2)))
@tf.function
def f(x):
    print(tf.get_static_value(x), tf.get_static_value(tf.constant(3)), tf.inside_function())
    return x
f(tf.constant([1.0]))
print(tf.inside_function(), tf.no_op(), tf.group(tf.constant(1)))
with tf.control_dependencies([tf.constant(1)]):
    print(tf.identity_n([tf.constant(1), tf.constant([2.0])]))
with tf.name_scope("a"):
    with tf.name_scope("b"):
        print(repr(tf.get_current_name_scope()))
print(tf.get_logger().name)
""", """True True False
[1 2] None
None 3 True
False None None
[<tf.Tensor: shape=(), dtype=int32, numpy=1>, <tf.Tensor: shape=(1,), dtype=float32, numpy=array([2.], dtype=float32)>]
'a/b'
tensorflow
"""),
    ('dynamic_partition and dynamic_stitch', """
print(tf.dynamic_partition(tf.constant([[1, 2], [3, 4], [5, 6]]), tf.constant([1, 0, 1]), 2))
try:
    tf.dynamic_partition(tf.constant([10, 20]), tf.constant([0, 3]), 2)
except tf.errors.InvalidArgumentError as e:
    print(type(e).__name__, "partitions[1] = 3 is not in [0, 2)" in e.message)
print(tf.dynamic_stitch([tf.constant([0, 2]), tf.constant([1, 3])],
                        [tf.constant([10.0, 30.0]), tf.constant([20.0, 40.0])]))
print(tf.dynamic_stitch([tf.constant([0, 0]), tf.constant([3])],
                        [tf.constant([10.0, 30.0]), tf.constant([20.0])]))
""", """[<tf.Tensor: shape=(1, 2), dtype=int32, numpy=array([[3, 4]], dtype=int32)>, <tf.Tensor: shape=(2, 2), dtype=int32, numpy=
array([[1, 2],
       [5, 6]], dtype=int32)>]
InvalidArgumentError True
tf.Tensor([10. 20. 30. 40.], shape=(4,), dtype=float32)
tf.Tensor([30.  0.  0. 20.], shape=(4,), dtype=float32)
"""),
    ('histogram_fixed_width clamps to the edge bins', """
print(tf.histogram_fixed_width(tf.constant([-1.0, 0.0, 1.5, 2.0, 5.0, 15.0]), [0.0, 5.0],
                               nbins=5))
print(tf.histogram_fixed_width(tf.constant([1, 2, 3]), [0, 4], nbins=2, dtype=tf.int64))
""", """tf.Tensor([2 1 1 0 2], shape=(5,), dtype=int32)
tf.Tensor([1 2], shape=(2,), dtype=int64)
"""),
    ('parallel_stack works in a function only', """
try:
    tf.parallel_stack([tf.constant([1])])
except RuntimeError as e:
    print(type(e).__name__, e)
print(tf.function(lambda a, b: tf.parallel_stack([a, b]))(tf.constant([1, 2]),
                                                          tf.constant([3, 4])))
""", """RuntimeError tf.parallel_stack() is not compatible with eager execution.
tf.Tensor(
[[1 2]
 [3 4]], shape=(2, 2), dtype=int32)
"""),
    ('as_string and the top-level initializers', """
print(tf.as_string(tf.constant([1.5, 2.0])))
print(tf.as_string(tf.constant([1, 22]), width=4, fill="0"))
print(tf.as_string(tf.constant([True, False])))
print(tf.constant_initializer(2.0)([2], tf.float32))
print(tf.ones_initializer()([2]))
print(tf.zeros_initializer()([2], tf.int32))
print(tf.random_normal_initializer(seed=1)([3]).shape, tf.random_uniform_initializer(0.0, 1.0)([2]).dtype)
print(issubclass(tf.errors.OperatorNotAllowedInGraphError, TypeError))
""", """tf.Tensor([b'1.500000' b'2.000000'], shape=(2,), dtype=string)
tf.Tensor([b'0001' b'0022'], shape=(2,), dtype=string)
tf.Tensor([b'true' b'false'], shape=(2,), dtype=string)
tf.Tensor([2. 2.], shape=(2,), dtype=float32)
tf.Tensor([1. 1.], shape=(2,), dtype=float32)
tf.Tensor([0 0], shape=(2,), dtype=int32)
(3,) <dtype: 'float32'>
True
"""),
)

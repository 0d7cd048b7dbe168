"""Cells exercising the behaviour TensorFlow's guides rely on, with what TensorFlow prints.

One list per guide of tensorflow/docs site/en/guide (basics, tensor, variable, autodiff,
advanced_autodiff, intro_to_graphs, function, intro_to_modules, basic_training_loops). The
cells are written here in our own words: each exercises one behaviour a guide relies on
(not a copy of the guide's cell), and `expected` is the text TensorFlow prints for it. Every
expected text was confirmed by running the cell under TensorFlow 2.21 (tensorflow-cpu):
`python benchmarks/guides_tally.py --own-cells --tensorflow-python PATH` does that again
(PATH: a Python that can import tensorflow). `checked=False` would mark a cell whose expected
text has a detail not confirmed that way; none has one now.

A cell's code runs with `tf` (tapeflow) and `np` in scope; stdout and stderr are captured
together (tf.print writes to stderr, as TensorFlow's), and Python warnings are recorded, not
printed (TensorFlow's own log lines are not part of `expected` either).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Cell:
    guide: str
    name: str
    code: str
    expected: str
    checked: bool = True  # False: the expected text has a detail not confirmed under TF


def _cells(guide: str, *specs) -> list[Cell]:
    return [Cell(guide, *spec) for spec in specs]


BASICS = _cells(
    "basics",
    ("a matrix and its shape and dtype", """
m = tf.constant([[1., 2., 3.], [4., 5., 6.]])
print(m)
print(m.shape)
print(m.dtype)
""", """tf.Tensor(
[[1. 2. 3.]
 [4. 5. 6.]], shape=(2, 3), dtype=float32)
(2, 3)
<dtype: 'float32'>
"""),
    ("arithmetic and matmul", """
m = tf.constant([[1., 2., 3.], [4., 5., 6.]])
print(m + m)
print(m @ tf.transpose(m))
print(tf.reduce_sum(m))
""", """tf.Tensor(
[[ 2.  4.  6.]
 [ 8. 10. 12.]], shape=(2, 3), dtype=float32)
tf.Tensor(
[[14. 32.]
 [32. 77.]], shape=(2, 2), dtype=float32)
tf.Tensor(21.0, shape=(), dtype=float32)
"""),
    ("no GPU on this machine", """
print(bool(tf.config.list_physical_devices('GPU')))
print(tf.config.list_physical_devices('CPU'))
""", """False
[PhysicalDevice(name='/physical_device:CPU:0', device_type='CPU')]
"""),
    ("a variable assigned and added to", """
v = tf.Variable([0.0, 0.0, 0.0])
v.assign([1, 2, 3])
v.assign_add([1, 1, 1])
print(v)
""", """<tf.Variable 'Variable:0' shape=(3,) dtype=float32, numpy=array([2., 3., 4.], dtype=float32)>
"""),
    ("a gradient", """
x = tf.Variable(1.0)
with tf.GradientTape() as tape:
    y = x**2 + 2*x - 5
print(tape.gradient(y, x))
""", """tf.Tensor(4.0, shape=(), dtype=float32)
"""),
    ("tracing once per dtype", """
@tf.function
def total(x):
    print('Tracing.')
    return tf.reduce_sum(x)
print(total(tf.constant([1, 2, 3])))
print(total(tf.constant([10, 9, 8])))
print(total(tf.constant([10.0, 9.5, 8.25])))
""", """Tracing.
tf.Tensor(6, shape=(), dtype=int32)
tf.Tensor(27, shape=(), dtype=int32)
Tracing.
tf.Tensor(27.75, shape=(), dtype=float32)
"""),
    ("a module with a traced method", """
class Scale(tf.Module):
    def __init__(self, value):
        self.weight = tf.Variable(value)
    @tf.function
    def multiply(self, x):
        return x * self.weight
s = Scale(3)
print(s.multiply(tf.constant([1, 2, 3])))
""", """tf.Tensor([3 6 9], shape=(3,), dtype=int32)
"""),
    ("softmax of a row, to the last digit", """
print(tf.nn.softmax([[1.0, 2.0, 3.0], [0.5, -1.0, 4.0]]))
""", """tf.Tensor(
[[0.09003057 0.24472848 0.6652409 ]
 [0.02912176 0.00649794 0.9643803 ]], shape=(2, 3), dtype=float32)
"""),
)

TENSOR = _cells(
    "tensor",
    ("scalars and vectors", """
print(tf.constant(4))
print(tf.constant([2.0, 3.0, 4.0]))
""", """tf.Tensor(4, shape=(), dtype=int32)
tf.Tensor([2. 3. 4.], shape=(3,), dtype=float32)
"""),
    ("a float16 matrix", """
m = tf.constant([[1, 2], [3, 4], [5, 6]], dtype=tf.float16)
print(m)
print(repr(m.numpy()))
""", """tf.Tensor(
[[1. 2.]
 [3. 4.]
 [5. 6.]], shape=(3, 2), dtype=float16)
array([[1., 2.],
       [3., 4.],
       [5., 6.]], dtype=float16)
"""),
    ("elementwise and matrix products of ints", """
a = tf.constant([[1, 2], [3, 4]])
b = tf.constant([[1, 1], [1, 1]])
print(a * b)
print(a @ b)
""", """tf.Tensor(
[[1 2]
 [3 4]], shape=(2, 2), dtype=int32)
tf.Tensor(
[[3 3]
 [7 7]], shape=(2, 2), dtype=int32)
"""),
    ("shape facts", """
t = tf.zeros([3, 2, 4, 5])
print("dtype:", t.dtype)
print("axes:", t.ndim)
print("shape:", t.shape)
print("first axis:", t.shape[0], "last axis:", t.shape[-1])
print("elements:", tf.size(t).numpy())
print(tf.rank(t))
print(tf.shape(t))
""", """dtype: <dtype: 'float32'>
axes: 4
shape: (3, 2, 4, 5)
first axis: 3 last axis: 5
elements: 120
tf.Tensor(4, shape=(), dtype=int32)
tf.Tensor([3 2 4 5], shape=(4,), dtype=int32)
"""),
    ("indexing and slicing", """
fib = tf.constant([0, 1, 1, 2, 3, 5, 8, 13, 21, 34])
print(fib[0].numpy(), fib[-1].numpy())
print(fib[:].numpy())
print(fib[::-1].numpy())
print(fib[1:7:2].numpy())
""", """0 34
[ 0  1  1  2  3  5  8 13 21 34]
[34 21 13  8  5  3  2  1  1  0]
[1 2 5]
"""),
    ("TensorShape as a list and reshaping", """
x = tf.constant([[1], [2], [3]])
print(x.shape)
print(x.shape.as_list())
print(tf.reshape(x, [1, 3]).shape)
print(repr(x.shape))
""", """(3, 1)
[3, 1]
(1, 3)
TensorShape([3, 1])
"""),
    ("casting through float16 to uint8", """
f64 = tf.constant([2.2, 3.3, 4.4], dtype=tf.float64)
u8 = tf.cast(tf.cast(f64, dtype=tf.float16), dtype=tf.uint8)
print(u8)
""", """tf.Tensor([2 3 4], shape=(3,), dtype=uint8)
"""),
    ("broadcasting", """
print(tf.constant([1, 2, 3]) * 2)
print(tf.broadcast_to(tf.constant([1, 2, 3]), [3, 3]))
""", """tf.Tensor([2 4 6], shape=(3,), dtype=int32)
tf.Tensor(
[[1 2 3]
 [1 2 3]
 [1 2 3]], shape=(3, 3), dtype=int32)
"""),
    ("a ragged list is not a tensor; a RaggedTensor is", """
rows = [[0, 1, 2, 3], [4, 5], [6, 7, 8], [9]]
try:
    tf.constant(rows)
except Exception as e:
    print(f"{type(e).__name__}: {e}")
r = tf.ragged.constant(rows)
print(r)
print(r.shape)
""", """ValueError: Can't convert non-rectangular Python sequence to Tensor.
<tf.RaggedTensor [[0, 1, 2, 3], [4, 5], [6, 7, 8], [9]]>
(4, None)
"""),
    ("string tensors", """
print(tf.constant("Gray wolf"))
words = tf.constant(["Gray wolf", "Quick brown fox", "Lazy dog"])
print(words)
print(tf.strings.split(tf.constant("Gray wolf"), sep=" "))
print(tf.strings.split(words))
""", """tf.Tensor(b'Gray wolf', shape=(), dtype=string)
tf.Tensor([b'Gray wolf' b'Quick brown fox' b'Lazy dog'], shape=(3,), dtype=string)
tf.Tensor([b'Gray' b'wolf'], shape=(2,), dtype=string)
<tf.RaggedTensor [[b'Gray', b'wolf'], [b'Quick', b'brown', b'fox'], [b'Lazy', b'dog']]>
"""),
    ("text to numbers and bytes", """
print(tf.strings.to_number(tf.strings.split(tf.constant("1 10 100"), " ")))
print(tf.strings.bytes_split(tf.constant("Duck")))
print(tf.io.decode_raw(tf.constant("Duck"), tf.uint8))
""", """tf.Tensor([  1.  10. 100.], shape=(3,), dtype=float32)
tf.Tensor([b'D' b'u' b'c' b'k'], shape=(4,), dtype=string)
tf.Tensor([ 68 117  99 107], shape=(4,), dtype=uint8)
"""),
    ("unicode text", """
print(tf.constant("🥳👍"))
print(tf.strings.length(tf.constant("🥳👍"), unit="UTF8_CHAR"))
""", """tf.Tensor(b'\\xf0\\x9f\\xa5\\xb3\\xf0\\x9f\\x91\\x8d', shape=(), dtype=string)
tf.Tensor(2, shape=(), dtype=int32)
"""),
    ("a sparse tensor and its dense form", """
st = tf.sparse.SparseTensor(indices=[[0, 0], [1, 2]], values=[1, 2], dense_shape=[3, 4])
print(st)
print(tf.sparse.to_dense(st))
""", """SparseTensor(indices=tf.Tensor(
[[0 0]
 [1 2]], shape=(2, 2), dtype=int64), values=tf.Tensor([1 2], shape=(2,), dtype=int32), dense_shape=tf.Tensor([3 4], shape=(2,), dtype=int64))
tf.Tensor(
[[1 0 0 0]
 [0 0 2 0]
 [0 0 0 0]], shape=(3, 4), dtype=int32)
"""),
    ("two-axis indexing", """
t = tf.constant([[1., 2.], [3., 4.], [5., 6.]])
print("Second row:", t[1, :].numpy())
print("Second column:", t[:, 1].numpy())
print("Last row:", t[-1, :].numpy())
print(t[1:, :].numpy())
""", """Second row: [3. 4.]
Second column: [2. 4. 6.]
Last row: [5. 6.]
[[3. 4.]
 [5. 6.]]
"""),
    ("three-axis indexing and flattening", """
t = tf.constant([[[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]],
                 [[10, 11, 12, 13, 14], [15, 16, 17, 18, 19]],
                 [[20, 21, 22, 23, 24], [25, 26, 27, 28, 29]]])
print(t[:, :, 4])
print(tf.reshape(t, [-1])[:6])
print(tf.reshape(t, [3 * 2, 5]).shape)
""", """tf.Tensor(
[[ 4  9]
 [14 19]
 [24 29]], shape=(3, 2), dtype=int32)
tf.Tensor([0 1 2 3 4 5], shape=(6,), dtype=int32)
(6, 5)
"""),
    ("a large Python int is int64", """
print(repr(tf.constant(2**40)))
""", """<tf.Tensor: shape=(), dtype=int64, numpy=1099511627776>
"""),
    ("argmax and softmax", """
c = tf.constant([[4.0, 5.0], [10.0, 1.0]])
print(tf.reduce_max(c))
print(tf.math.argmax(c))
""", """tf.Tensor(10.0, shape=(), dtype=float32)
tf.Tensor([1 0], shape=(2,), dtype=int64)
"""),
)

VARIABLE = _cells(
    "variable",
    ("a variable's shape, dtype and value", """
v = tf.Variable(tf.constant([[1.0, 2.0], [3.0, 4.0]]))
print("Shape:", v.shape)
print("DType:", v.dtype)
print("As NumPy:", v.numpy())
""", """Shape: (2, 2)
DType: <dtype: 'float32'>
As NumPy: [[1. 2.]
 [3. 4.]]
"""),
    ("bool and complex variables", """
print(tf.Variable([False, False, False, True]))
print(tf.Variable([5 + 4j, 6 + 1j]))
""", """<tf.Variable 'Variable:0' shape=(4,) dtype=bool, numpy=array([False, False, False,  True])>
<tf.Variable 'Variable:0' shape=(2,) dtype=complex128, numpy=array([5.+4.j, 6.+1.j])>
"""),
    ("a variable viewed as a tensor", """
v = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
print(tf.convert_to_tensor(v))
print(tf.reshape(v, [1, 4]))
""", """tf.Tensor(
[[1. 2.]
 [3. 4.]], shape=(2, 2), dtype=float32)
tf.Tensor([[1. 2. 3. 4.]], shape=(1, 4), dtype=float32)
"""),
    ("assigning a wrong shape", """
a = tf.Variable([2.0, 3.0])
a.assign([1, 2])
try:
    a.assign([1.0, 2.0, 3.0])
except Exception as e:
    print(f"{type(e).__name__}: {e}")
print(a.numpy())
""", """ValueError: Cannot assign value to variable ' Variable:0': Shape mismatch.The variable shape (2,), and the assigned value shape (3,) are incompatible.
[1. 2.]
"""),
    ("variables copy their initial value", """
a = tf.Variable([2.0, 3.0])
b = tf.Variable(a)
a.assign([5, 6])
print(a.numpy())
print(b.numpy())
print(a.assign_add([2, 3]).numpy())
print(a.assign_sub([7, 9]).numpy())
""", """[5. 6.]
[2. 3.]
[7. 9.]
[0. 0.]
"""),
    ("two variables with one name are still two", """
t = tf.constant([[1.0, 2.0], [3.0, 4.0]])
a = tf.Variable(t, name="Mark")
b = tf.Variable(t + 1, name="Mark")
print(a == b)
print(a.name, b.name)
""", """tf.Tensor(
[[False False]
 [False False]], shape=(2, 2), dtype=bool)
Mark:0 Mark:0
"""),
    ("a non-trainable counter", """
step = tf.Variable(1, trainable=False)
print(step.trainable, step.dtype)
""", """False <dtype: 'int32'>
"""),
    ("placing ops on a device", """
with tf.device('CPU:0'):
    a = tf.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    b = tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    c = tf.matmul(a, b)
print(c)
""", """tf.Tensor(
[[22. 28.]
 [49. 64.]], shape=(2, 2), dtype=float32)
"""),
)

AUTODIFF = _cells(
    "autodiff",
    ("d(x^2)/dx", """
x = tf.Variable(3.0)
with tf.GradientTape() as tape:
    y = x**2
print(tape.gradient(y, x).numpy())
""", """6.0
"""),
    ("gradients for a dict of variables", """
w = tf.Variable([[1.0], [2.0]], name='w')
b = tf.Variable([1.0], name='b')
with tf.GradientTape() as tape:
    y = tf.constant([[1.0, 2.0]]) @ w + b
    loss = tf.reduce_mean(y**2)
grads = tape.gradient(loss, {'w': w, 'b': b})
print(grads['b'])
print(grads['w'].shape)
""", """tf.Tensor([12.], shape=(1,), dtype=float32)
(2, 1)
"""),
    ("what the tape watches", """
x0 = tf.Variable(3.0, name='x0')
x1 = tf.Variable(3.0, name='x1', trainable=False)
x2 = tf.Variable(2.0, name='x2') + 1.0
x3 = tf.constant(3.0, name='x3')
with tf.GradientTape() as tape:
    y = (x0**2) + (x1**2) + (x2**2)
for g in tape.gradient(y, [x0, x1, x2, x3]):
    print(g)
print([var.name for var in tape.watched_variables()])
""", """tf.Tensor(6.0, shape=(), dtype=float32)
None
None
None
['x0:0']
"""),
    ("watching a constant", """
x = tf.constant(3.0)
with tf.GradientTape() as tape:
    tape.watch(x)
    y = x**2
print(tape.gradient(y, x).numpy())
""", """6.0
"""),
    ("a persistent tape", """
x = tf.constant([1, 3.0])
with tf.GradientTape(persistent=True) as tape:
    tape.watch(x)
    y = x * x
    z = y * y
print(tape.gradient(z, x).numpy())
print(tape.gradient(y, x).numpy())
""", """[  4. 108.]
[2. 6.]
"""),
    ("targets are summed", """
x = tf.Variable(2.0)
with tf.GradientTape() as tape:
    y0 = x**2
    y1 = 1 / x
print(tape.gradient({'y0': y0, 'y1': y1}, x).numpy())
""", """3.75
"""),
    ("unconnected gradients", """
x = tf.Variable(2.)
y = tf.Variable(3.)
with tf.GradientTape(persistent=True) as tape:
    z = y * y
print(tape.gradient(z, x))
print(tape.gradient(z, x, unconnected_gradients=tf.UnconnectedGradients.ZERO))
""", """None
tf.Tensor(0.0, shape=(), dtype=float32)
"""),
    ("integers are not differentiable", """
x = tf.constant(10)
with tf.GradientTape() as tape:
    tape.watch(x)
    y = x * x
print(tape.gradient(y, x))
""", """None
"""),
    ("replacing a variable by a tensor", """
x = tf.Variable(2.0)
for epoch in range(2):
    with tf.GradientTape() as tape:
        y = x + 1
    print(type(x).__name__, tape.gradient(y, x))
    x = x + 1
""", """ResourceVariable tf.Tensor(1.0, shape=(), dtype=float32)
EagerTensor None
"""),
    ("a dense layer's weights are named kernel and bias", """
layer = tf.keras.layers.Dense(3)
layer.build((None, 2))
print([v.name for v in layer.trainable_variables])
print([v.shape for v in layer.weights])
""", """['kernel', 'bias']
[TensorShape([2, 3]), TensorShape([3])]
"""),
    ("no gradient through a contrast adjustment", """
img = tf.Variable(tf.ones([2, 2, 3]))
with tf.GradientTape() as tape:
    out = tf.image.adjust_contrast(img, 2.0)
try:
    tape.gradient(out, img)
except LookupError as e:
    print(type(e).__name__, e)
""", """LookupError gradient registry has no entry for: AdjustContrastv2
"""),
)

ADVANCED_AUTODIFF = _cells(
    "advanced_autodiff",
    ("stop_recording", """
x = tf.Variable(2.0)
y = tf.Variable(3.0)
with tf.GradientTape() as t:
    x_sq = x * x
    with t.stop_recording():
        y_sq = y * y
    z = x_sq + y_sq
grad = t.gradient(z, {'x': x, 'y': y})
print('dz/dx:', grad['x'])
print('dz/dy:', grad['y'])
""", """dz/dx: tf.Tensor(4.0, shape=(), dtype=float32)
dz/dy: None
"""),
    ("stop_gradient", """
x = tf.Variable(2.0)
y = tf.Variable(3.0)
with tf.GradientTape() as t:
    z = x * x + tf.stop_gradient(y * y)
grad = t.gradient(z, {'x': x, 'y': y})
print(grad['x'], grad['y'])
""", """tf.Tensor(4.0, shape=(), dtype=float32) None
"""),
    ("a custom gradient that clips", """
@tf.custom_gradient
def clip_gradients(y):
    def backward(dy):
        return tf.clip_by_norm(dy, 0.5)
    return y, backward
v = tf.Variable(2.0)
with tf.GradientTape() as t:
    output = clip_gradients(v * v)
print(t.gradient(output, v))
""", """tf.Tensor(2.0, shape=(), dtype=float32)
"""),
    ("two tapes at once", """
x0 = tf.constant(0.0)
x1 = tf.constant(0.0)
with tf.GradientTape() as tape0, tf.GradientTape() as tape1:
    tape0.watch(x0)
    tape1.watch(x1)
    ys = tf.reduce_sum(tf.math.sin(x0) + tf.nn.sigmoid(x1))
print(tape0.gradient(ys, x0).numpy())
print(tape1.gradient(ys, x1).numpy())
""", """1.0
0.25
"""),
    ("second derivative", """
x = tf.Variable(1.0)
with tf.GradientTape() as t2:
    with tf.GradientTape() as t1:
        y = x * x * x
    dy_dx = t1.gradient(y, x)
d2y_dx2 = t2.gradient(dy_dx, x)
print('dy_dx:', dy_dx.numpy())
print('d2y_dx2:', d2y_dx2.numpy())
""", """dy_dx: 3.0
d2y_dx2: 6.0
"""),
    ("jacobian of a vector by a scalar", """
x = tf.linspace(-10.0, 10.0, 200 + 1)
delta = tf.Variable(0.0)
with tf.GradientTape() as tape:
    y = tf.nn.sigmoid(x + delta)
print(y.shape)
print(tape.jacobian(y, delta).shape)
""", """(201,)
(201,)
"""),
    ("jacobian of a layer by its kernel", """
x = tf.random.normal([7, 5])
layer = tf.keras.layers.Dense(10, activation=tf.nn.relu)
with tf.GradientTape(persistent=True) as tape:
    y = layer(x)
print(y.shape)
print(layer.kernel.shape)
print(tape.jacobian(y, layer.kernel).shape)
""", """(7, 10)
(5, 10)
(7, 10, 5, 10)
"""),
    ("batch jacobian", """
x = tf.random.normal([7, 5])
layer1 = tf.keras.layers.Dense(8, activation=tf.nn.elu)
layer2 = tf.keras.layers.Dense(6, activation=tf.nn.elu)
with tf.GradientTape(persistent=True) as tape:
    tape.watch(x)
    y = layer2(layer1(x))
print(y.shape)
print(tape.jacobian(y, x).shape)
print(tape.batch_jacobian(y, x).shape)
""", """(7, 6)
(7, 6, 7, 5)
(7, 6, 5)
"""),
)

INTRO_TO_GRAPHS = _cells(
    "intro_to_graphs",
    ("a function and its graph agree", """
def affine(x, y, b):
    return tf.matmul(x, y) + b
graph_affine = tf.function(affine)
x1 = tf.constant([[1.0, 2.0]])
y1 = tf.constant([[2.0], [3.0]])
b1 = tf.constant(4.0)
print(affine(x1, y1, b1).numpy() == graph_affine(x1, y1, b1).numpy())
""", """[[ True]]
"""),
    ("Python control flow on a tensor", """
def simple_relu(x):
    if tf.greater(x, 0):
        return x
    else:
        return 0
graph_relu = tf.function(simple_relu)
print("First branch:", graph_relu(tf.constant(1)).numpy())
print("Second branch:", graph_relu(tf.constant(-1)).numpy())
""", """First branch: 1
Second branch: 0
"""),
    ("one function, three signatures", """
@tf.function
def my_relu(x):
    return tf.maximum(0., x)
print(my_relu(tf.constant(5.5)))
print(my_relu([1, -1]))
print(my_relu(tf.constant([3., -3.])))
print(my_relu.experimental_get_tracing_count())
""", """tf.Tensor(5.5, shape=(), dtype=float32)
tf.Tensor([1. 0.], shape=(2,), dtype=float32)
tf.Tensor([3. 0.], shape=(2,), dtype=float32)
3
"""),
    ("the traced signatures", """
@tf.function
def my_relu(x):
    return tf.maximum(0., x)
my_relu(tf.constant(5.5))
my_relu([1, -1])
print(my_relu.pretty_printed_concrete_signatures())
""", """Input Parameters:
  x (POSITIONAL_OR_KEYWORD): TensorSpec(shape=(), dtype=tf.float32, name=None)
Output Type:
  TensorSpec(shape=(), dtype=tf.float32, name=None)
Captures:
  None

Input Parameters:
  x (POSITIONAL_OR_KEYWORD): List[Literal[1], Literal[-1]]
Output Type:
  TensorSpec(shape=(2,), dtype=tf.float32, name=None)
Captures:
  None
"""),
    ("Python print runs when tracing only", """
@tf.function
def get_mse(y_true, y_pred):
    print("Calculating MSE!")
    return tf.reduce_mean(tf.pow(y_true - y_pred, 2))
y_true = tf.constant([1, 2, 3])
y_pred = tf.constant([1, 1, 1])
for _ in range(3):
    error = get_mse(y_true, y_pred)
print(error)
""", """Calculating MSE!
tf.Tensor(1, shape=(), dtype=int32)
"""),
    ("run_functions_eagerly runs Python every call", """
@tf.function
def get_mse(y_true, y_pred):
    print("Calculating MSE!")
    return tf.reduce_mean(tf.pow(y_true - y_pred, 2))
tf.config.run_functions_eagerly(True)
for _ in range(3):
    get_mse(tf.constant([1, 2, 3]), tf.constant([1, 1, 1]))
tf.config.run_functions_eagerly(False)
print(tf.config.functions_run_eagerly())
""", """Calculating MSE!
Calculating MSE!
Calculating MSE!
False
"""),
    ("tf.print runs on every call", """
@tf.function
def get_mse(y_true, y_pred):
    tf.print("Calculating MSE!")
    return tf.reduce_mean(tf.pow(y_true - y_pred, 2))
for _ in range(3):
    get_mse(tf.constant([1, 2, 3]), tf.constant([1, 1, 1]))
""", """Calculating MSE!
Calculating MSE!
Calculating MSE!
"""),
    ("an unused failing op", """
@tf.function
def unused_gather(x):
    tf.gather(x, [1])
    return x
print(unused_gather(tf.constant([0.0])))
tf.config.run_functions_eagerly(True)
try:
    unused_gather(tf.constant([0.0]))
except tf.errors.InvalidArgumentError as e:
    print(type(e).__name__)
tf.config.run_functions_eagerly(False)
""", """tf.Tensor([0.], shape=(1,), dtype=float32)
InvalidArgumentError
"""),
    ("graph code is faster than eager code in a loop", """
x = tf.random.uniform(shape=[10, 10], minval=-1, maxval=2, dtype=tf.dtypes.int32)
def power(x, y):
    result = tf.eye(10, dtype=tf.dtypes.int32)
    for _ in range(y):
        result = tf.matmul(x, result)
    return result
print(np.array_equal(power(x, 5).numpy(), tf.function(power)(x, 5).numpy()))
""", """True
"""),
    ("a concrete function from a spec holds both sides of an if on a tensor", """
@tf.function
def clip_or_square(x):
    if tf.reduce_max(x) > 2.0:
        return tf.minimum(x, 2.0)
    return x * x
cf = clip_or_square.get_concrete_function(tf.TensorSpec(shape=[None], dtype=tf.float32))
print(cf)
print(cf(tf.constant([1.0, 3.0])))
print(cf(tf.constant([1.0, 1.5, 0.5])))
print(clip_or_square(tf.constant([4.0])))
print(clip_or_square.experimental_get_tracing_count())
""", """ConcreteFunction Input Parameters:
  x (POSITIONAL_OR_KEYWORD): TensorSpec(shape=(None,), dtype=tf.float32, name=None)
Output Type:
  TensorSpec(shape=(None,), dtype=tf.float32, name=None)
Captures:
  None
tf.Tensor([1. 2.], shape=(2,), dtype=float32)
tf.Tensor([1.   2.25 0.25], shape=(3,), dtype=float32)
tf.Tensor([2.], shape=(1,), dtype=float32)
1
"""),
)

FUNCTION = _cells(
    "function",
    ("tf.autograph.to_code shows the code AutoGraph generates", """
def decay(x):
  while tf.reduce_max(x) > 0.5:
    x = x * 0.5
  return x

def count_positive(values):
  n = 0
  for v in values:
    if v > 0:
      n = n + 1
    else:
      n = n - 0
  return n

print(tf.autograph.to_code(decay))
print(tf.autograph.to_code(count_positive))
print(tf.function(decay)(tf.constant([3.0, 1.0])))
""", """def tf__decay(x):
    with ag__.FunctionScope('decay', 'fscope', ag__.ConversionOptions(recursive=True, user_requested=True, optional_features=(), internal_convert_user_code=True)) as fscope:
        do_return = False
        retval_ = ag__.UndefinedReturnValue()

        def get_state():
            return (x,)

        def set_state(vars_):
            nonlocal x
            x, = vars_

        def loop_body():
            nonlocal x
            x = ag__.ld(x) * 0.5

        def loop_test():
            return ag__.converted_call(ag__.ld(tf).reduce_max, (ag__.ld(x),), None, fscope) > 0.5
        ag__.while_stmt(loop_test, loop_body, get_state, set_state, ('x',), {})
        try:
            do_return = True
            retval_ = ag__.ld(x)
        except:
            do_return = False
            raise
        return fscope.ret(retval_, do_return)

def tf__count_positive(values):
    with ag__.FunctionScope('count_positive', 'fscope', ag__.ConversionOptions(recursive=True, user_requested=True, optional_features=(), internal_convert_user_code=True)) as fscope:
        do_return = False
        retval_ = ag__.UndefinedReturnValue()
        n = 0

        def get_state_1():
            return (n,)

        def set_state_1(vars_):
            nonlocal n
            n, = vars_

        def loop_body(itr):
            nonlocal n
            v = itr

            def get_state():
                return (n,)

            def set_state(vars_):
                nonlocal n
                n, = vars_

            def if_body():
                nonlocal n
                n = ag__.ld(n) + 1

            def else_body():
                nonlocal n
                n = ag__.ld(n) - 0
            ag__.if_stmt(ag__.ld(v) > 0, if_body, else_body, get_state, set_state, ('n',), 1)
        v = ag__.Undefined('v')
        ag__.for_stmt(ag__.ld(values), None, loop_body, get_state_1, set_state_1, ('n',), {'iterate_names': 'v'})
        try:
            do_return = True
            retval_ = ag__.ld(n)
        except:
            do_return = False
            raise
        return fscope.ret(retval_, do_return)

tf.Tensor([0.375 0.125], shape=(2,), dtype=float32)
"""),
    ("a function returns a tensor", """
@tf.function
def add(a, b):
    return a + b
print(repr(add(tf.ones([2, 2]), tf.ones([2, 2]))))
""", """<tf.Tensor: shape=(2, 2), dtype=float32, numpy=
array([[2., 2.],
       [2., 2.]], dtype=float32)>
"""),
    ("tracing per dtype, printing the graph tensor", """
@tf.function
def double(a):
    print("Tracing with", a)
    return a + a
print(double(tf.constant(1)))
print(double(tf.constant(1.1)))
print(double(tf.constant("a")))
""", """Tracing with Tensor("a:0", shape=(), dtype=int32)
tf.Tensor(2, shape=(), dtype=int32)
Tracing with Tensor("a:0", shape=(), dtype=float32)
tf.Tensor(2.2, shape=(), dtype=float32)
Tracing with Tensor("a:0", shape=(), dtype=string)
tf.Tensor(b'aa', shape=(), dtype=string)
"""),
    ("a concrete function is called directly", """
@tf.function
def double(a):
    return a + a
double_strings = double.get_concrete_function(tf.constant("a"))
print(double_strings(tf.constant("b")))
try:
    double_strings(tf.constant(1))
except tf.errors.InvalidArgumentError:
    print("wrong dtype refused")
""", """tf.Tensor(b'bb', shape=(), dtype=string)
wrong dtype refused
"""),
    ("a concrete function from a TensorSpec", """
@tf.function
def double(a):
    return a + a
cf = double.get_concrete_function(tf.TensorSpec(shape=[None], dtype=tf.float32))
print(cf(tf.constant([1.0, 2.0, 3.0])))
""", """tf.Tensor([2. 4. 6.], shape=(3,), dtype=float32)
"""),
    ("an input signature with a None size", """
@tf.function(input_signature=(tf.TensorSpec(shape=[None], dtype=tf.int32),))
def next_collatz(x):
    print("Tracing with", x)
    return tf.where(x % 2 == 0, x // 2, 3 * x + 1)
print(next_collatz(tf.constant([1, 2])))
try:
    next_collatz(tf.constant([[1, 2], [3, 4]]))
except TypeError:
    print("TypeError")
""", """Tracing with Tensor("x:0", shape=(None,), dtype=int32)
tf.Tensor([4 1], shape=(2,), dtype=int32)
TypeError
"""),
    ("reduce_retracing generalises sizes", """
@tf.function(reduce_retracing=True)
def g(x):
    print('Tracing with', x)
    return x
g(tf.constant([1, 2, 3]))
g(tf.constant([1, 2, 3, 4, 5]))
g(tf.constant([1, 2]))
print(g.experimental_get_tracing_count())
""", """Tracing with Tensor("x:0", shape=(3,), dtype=int32)
Tracing with Tensor("x:0", shape=(None,), dtype=int32)
2
"""),
    ("Python side effects run when tracing, tf.print every call", """
@tf.function
def f(x):
    print("Traced with", x)
    tf.print("Executed with", x)
f(1)
f(1)
f(2)
""", """Traced with 1
Executed with 1
Executed with 1
Traced with 2
Executed with 2
"""),
    ("a variable created on every call is refused", """
@tf.function
def f(x):
    v = tf.Variable(1.0)
    return v
try:
    f(1.0)
except ValueError:
    print("ValueError")
""", """ValueError
"""),
    ("a variable created on the first call only", """
class Count(tf.Module):
    def __init__(self):
        self.count = None
    @tf.function
    def __call__(self):
        if self.count is None:
            self.count = tf.Variable(0)
        return self.count.assign_add(1)
c = Count()
print(c())
print(c())
""", """tf.Tensor(1, shape=(), dtype=int32)
tf.Tensor(2, shape=(), dtype=int32)
"""),
    ("concrete functions per Python value and per tensor signature", """
@tf.function
def absolute(x):
    return tf.abs(x)
print(absolute.get_concrete_function(1) is absolute.get_concrete_function(2))
print(absolute.get_concrete_function(tf.constant(1)) is
      absolute.get_concrete_function(tf.constant(2)))
""", """False
True
"""),
    ("a Python side effect happens once", """
appended = []
@tf.function
def side_effect(x):
    print('Python side effect')
    appended.append(x)
side_effect(1)
side_effect(1)
side_effect(1)
print(len(appended))
""", """Python side effect
1
"""),
    ("a Python number returned is a tensor", """
@tf.function
def one():
    return 1
print(one())
""", """tf.Tensor(1, shape=(), dtype=int32)
"""),
    ("a variable captured by a function", """
v = tf.Variable(1.0)
@tf.function
def add_v(x):
    return x + v
print(add_v(tf.constant(1.0)))
v.assign(2.0)
print(add_v(tf.constant(1.0)))
""", """tf.Tensor(2.0, shape=(), dtype=float32)
tf.Tensor(3.0, shape=(), dtype=float32)
"""),
    ("a TensorArray in a loop", """
@tf.function
def running(x):
    ta = tf.TensorArray(tf.float32, size=3)
    total = tf.constant(0.0)
    for i in range(3):
        total = total + x[i]
        ta = ta.write(i, total)
    return ta.stack()
print(running(tf.constant([1.0, 2.0, 3.0])))
""", """tf.Tensor([1. 3. 6.], shape=(3,), dtype=float32)
"""),
    ("a concrete function for a spec of any rank", """
@tf.function
def cube(a, k):
    return a ** k

f = cube.get_concrete_function(tf.TensorSpec(None, tf.float32), 3)
print(f)
print(f(tf.constant([1.0, 2.0])))
""", """ConcreteFunction Input Parameters:
  a (POSITIONAL_OR_KEYWORD): TensorSpec(shape=<unknown>, dtype=tf.float32, name=None)
  k (POSITIONAL_OR_KEYWORD): Literal[3]
Output Type:
  TensorSpec(shape=<unknown>, dtype=tf.float32, name=None)
Captures:
  None
tf.Tensor([1. 8.], shape=(2,), dtype=float32)
"""),
    ("the nodes of a traced graph", """
@tf.function
def twice(word):
    return word + word

for node in twice.get_concrete_function(tf.constant("hi")).graph.as_graph_def().node:
    print(node.name, list(node.input))
""", """word []
add ['word', 'word']
Identity ['add']
"""),
)

INTRO_TO_MODULES = _cells(
    "intro_to_modules",
    ("a module's variables", """
class SimpleModule(tf.Module):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.a_variable = tf.Variable(5.0, name="train_me")
        self.non_trainable_variable = tf.Variable(5.0, trainable=False, name="do_not_train_me")
    def __call__(self, x):
        return self.a_variable * x + self.non_trainable_variable
m = SimpleModule(name="simple")
print(m(tf.constant(5.0)))
print("trainable variables:", m.trainable_variables)
print("all variables:", m.variables)
""", """tf.Tensor(30.0, shape=(), dtype=float32)
trainable variables: (<tf.Variable 'train_me:0' shape=() dtype=float32, numpy=5.0>,)
all variables: (<tf.Variable 'train_me:0' shape=() dtype=float32, numpy=5.0>, <tf.Variable 'do_not_train_me:0' shape=() dtype=float32, numpy=5.0>)
"""),
    ("submodules and their variables", """
class Dense(tf.Module):
    def __init__(self, in_features, out_features, name=None):
        super().__init__(name=name)
        self.w = tf.Variable(tf.ones([in_features, out_features]), name='w')
        self.b = tf.Variable(tf.zeros([out_features]), name='b')
    def __call__(self, x):
        return tf.nn.relu(x @ self.w + self.b)
class Sequential(tf.Module):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.dense_1 = Dense(in_features=3, out_features=3)
        self.dense_2 = Dense(in_features=3, out_features=2)
    def __call__(self, x):
        return self.dense_2(self.dense_1(x))
model = Sequential(name="the_model")
print("Model results:", model(tf.constant([[2.0, 2.0, 2.0]])))
print(len(model.submodules), len(model.variables))
print(model.name)
""", """Model results: tf.Tensor([[18. 18.]], shape=(1, 2), dtype=float32)
2 4
the_model
"""),
    ("a traced module method", """
class Affine(tf.Module):
    def __init__(self):
        self.w = tf.Variable(2.0)
    @tf.function
    def __call__(self, x):
        print("Tracing")
        return self.w * x
a = Affine()
print(a(tf.constant(3.0)))
print(a(tf.constant(4.0)))
""", """Tracing
tf.Tensor(6.0, shape=(), dtype=float32)
tf.Tensor(8.0, shape=(), dtype=float32)
"""),
    ("listing a checkpoint's variables", """
import tempfile
class Pair(tf.Module):
    def __init__(self):
        super().__init__()
        self.left = tf.Variable([1.0, 2.0])
        self.right = tf.Variable(tf.zeros([2, 3]))

path = tf.train.Checkpoint(pair=Pair()).write(tempfile.mkdtemp() + "/ckpt")
for name, shape in tf.train.list_variables(path):
    print(name, shape)
""", """_CHECKPOINTABLE_OBJECT_GRAPH []
pair/left/.ATTRIBUTES/VARIABLE_VALUE [2]
pair/right/.ATTRIBUTES/VARIABLE_VALUE [2, 3]
"""),
    ("a saved module called after loading", """
import tempfile
class Offset(tf.Module):
    def __init__(self):
        super().__init__()
        self.shift = tf.Variable(10)

    @tf.function
    def apply(self, x):
        return x + self.shift

m = Offset()
print(m.apply(tf.constant([1, 2])))
directory = tempfile.mkdtemp() + "/offset"
tf.saved_model.save(m, directory)
loaded = tf.saved_model.load(directory)
print(loaded.apply(tf.constant([1, 2])))
""", """tf.Tensor([11 12], shape=(2,), dtype=int32)
tf.Tensor([11 12], shape=(2,), dtype=int32)
"""),
    ("a keras layer's plain variables are not its weights", """
class Doubler(tf.keras.layers.Layer):
    def __init__(self):
        super().__init__()
        self.factor = tf.Variable(2.0)

    def call(self, x):
        return x * self.factor

layer = Doubler()
print(layer(tf.constant([1.0, 3.0])))
print(layer.variables, layer.count_params())
""", """tf.Tensor([2. 6.], shape=(2,), dtype=float32)
[] 0
"""),
)

BASIC_TRAINING_LOOPS = _cells(
    "basic_training_loops",
    ("a linear model's variables", """
class MyModel(tf.Module):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.w = tf.Variable(5.0)
        self.b = tf.Variable(0.0)
    def __call__(self, x):
        return self.w * x + self.b
model = MyModel()
print("Variables:", model.variables)
print(model(3.0).numpy())
""", """Variables: (<tf.Variable 'Variable:0' shape=() dtype=float32, numpy=0.0>, <tf.Variable 'Variable:0' shape=() dtype=float32, numpy=5.0>)
15.0
"""),
    ("a loss and ten steps of gradient descent", """
class MyModel(tf.Module):
    def __init__(self):
        self.w = tf.Variable(5.0)
        self.b = tf.Variable(0.0)
    def __call__(self, x):
        return self.w * x + self.b
def loss(target_y, predicted_y):
    return tf.reduce_mean(tf.square(target_y - predicted_y))
x = tf.constant([0.0, 1.0, 2.0])
y = x * 3.0 + 2.0
model = MyModel()
print("Current loss: %1.6f" % loss(y, model(x)).numpy())
@tf.function
def train(model, x, y, learning_rate):
    with tf.GradientTape() as t:
        current_loss = loss(y, model(x))
    dw, db = t.gradient(current_loss, [model.w, model.b])
    model.w.assign_sub(learning_rate * dw)
    model.b.assign_sub(learning_rate * db)
for epoch in range(10):
    train(model, x, y, learning_rate=0.1)
    print("Epoch %2d: W=%1.2f b=%1.2f, loss=%1.3f" % (
        epoch, model.w.numpy(), model.b.numpy(), loss(y, model(x)).numpy()))
""", """Current loss: 2.666667
Epoch  0: W=4.73 b=0.00, loss=2.074
Epoch  1: W=4.56 b=0.05, loss=1.766
Epoch  2: W=4.43 b=0.13, loss=1.552
Epoch  3: W=4.32 b=0.22, loss=1.377
Epoch  4: W=4.24 b=0.31, loss=1.226
Epoch  5: W=4.16 b=0.40, loss=1.092
Epoch  6: W=4.10 b=0.49, loss=0.974
Epoch  7: W=4.03 b=0.57, loss=0.868
Epoch  8: W=3.97 b=0.65, loss=0.774
Epoch  9: W=3.92 b=0.73, loss=0.690
"""),
    ("inputs from linspace", """
x = tf.linspace(-2, 2, 201)
x = tf.cast(x, tf.float32)
print(x.shape, x.dtype)
print(x[:3])
""", """(201,) <dtype: 'float32'>
tf.Tensor([-2.   -1.98 -1.96], shape=(3,), dtype=float32)
"""),
)

ALL = (BASICS + TENSOR + VARIABLE + AUTODIFF + ADVANCED_AUTODIFF + INTRO_TO_GRAPHS + FUNCTION
       + INTRO_TO_MODULES + BASIC_TRAINING_LOOPS)
GUIDES = ("basics", "tensor", "variable", "autodiff", "advanced_autodiff", "intro_to_graphs",
          "function", "intro_to_modules", "basic_training_loops")

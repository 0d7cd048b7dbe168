"""The main demo: TensorFlow tape code, run by tapeflow unchanged but for the import.

    python examples/demo.py
"""

import time

import numpy as np

import tapeflow as tf
from tapeflow.graph.passes.fuse import fuse, print_fused

# Gradients of a scalar function (seed notebook 000).
x = tf.Variable(3.0)
with tf.GradientTape() as tape:
    y = x**2
print("y = x**2 at 3:", y.numpy(), " dy/dx:", tape.gradient(y, x).numpy())

# A linear model and its gradients; the tape is a graph you can print.
tf.random.set_seed(0)
w = tf.Variable(tf.random.normal((3, 2)), name="w")
b = tf.Variable(tf.zeros(2, dtype=tf.float32), name="b")
x = [[1.0, 2.0, 3.0]]
with tf.GradientTape(persistent=True) as tape:
    y = x @ w + b
    loss = tf.reduce_mean(y**2)
dl_dw, dl_db = tape.gradient(loss, [w, b])
print("\nWhat the tape recorded:")
print(tape.graph)
print("\ndl/dw:\n", dl_dw.numpy(), "\ndl/db:", dl_db.numpy())

# Higher order: nested tapes.
x = tf.Variable(1.0)
with tf.GradientTape() as outer:
    with tf.GradientTape() as inner:
        y = tf.sin(x)
    dy = inner.gradient(y, x)
d2y = outer.gradient(dy, x)
print("\nd/dx sin at 1:", dy.numpy(), " d2/dx2:", d2y.numpy(), " (-sin 1 =", -np.sin(1.0), ")")

# Gradient descent on a linear regression, 50 steps.
rng = np.random.default_rng(0)
xs = rng.normal(size=(64, 3)).astype(np.float32)
ys = xs @ np.array([[2.0], [-1.0], [0.5]], np.float32) + 0.3
W = tf.Variable(tf.zeros((3, 1)), name="W")
c = tf.Variable(0.0, name="c")
start = time.perf_counter()
for step in range(50):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((xs @ W + c - ys) ** 2)
    gW, gc = tape.gradient(loss, [W, c])
    W.assign_sub(0.1 * gW)
    c.assign_sub(0.1 * gc)
eager_per_step = (time.perf_counter() - start) / 50
print("\nlinear regression after 50 steps: loss", float(loss), "W", W.numpy().ravel(),
      "c", float(c.numpy()))

# The same step compiled: @tf.function traces it once (forward, adjoint and updates in one
# graph), the passes optimise it, and Numba compiles it into fused loops (cached on disk,
# so the next run of this script loads it instead of compiling).
W2 = tf.Variable(tf.zeros((3, 1)), name="W")
c2 = tf.Variable(0.0, name="c")


@tf.function
def train_step(xs, ys):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((xs @ W2 + c2 - ys) ** 2)
    gW, gc = tape.gradient(loss, [W2, c2])
    W2.assign_sub(0.1 * gW)
    c2.assign_sub(0.1 * gc)
    return loss


start = time.perf_counter()
train_step(xs, ys)  # traces, and runs eagerly
train_step(xs, ys)  # compiles (or loads from the cache) and runs compiled
first = time.perf_counter() - start
start = time.perf_counter()
for step in range(48):
    loss = train_step(xs, ys)
per_call = (time.perf_counter() - start) / 48
print("\n@tf.function, 50 steps: loss", float(loss), "W", W2.numpy().ravel(), "c", float(c2.numpy()))
print(f"  first two calls {first:.2f} s (trace + compile), then {per_call * 1e6:.0f} us per step"
      f" (eager: {eager_per_step * 1e6:.0f} us); traced "
      f"{train_step.experimental_get_tracing_count()} time(s)")
print("\nThe compiled step's loops (tapeflow graph examples/train_step.py::step --fused):")

print(print_fused(fuse(train_step.get_concrete_function(xs, ys).graph)))

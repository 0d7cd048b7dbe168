"""A training step for `tapeflow graph examples/train_step.py::step --input f32[4,3]`."""

import numpy as np

import tapeflow as tf

w = tf.Variable(np.full((3, 2), 0.1, np.float32), name="w")
b = tf.Variable(tf.zeros(2), name="b")


@tf.function
def step(x):
    with tf.GradientTape() as tape:
        y = x @ w + b
        loss = tf.reduce_mean(y**2)
    gw, gb = tape.gradient(loss, [w, b])
    w.assign_sub(0.01 * gw)
    b.assign_sub(0.01 * gb)
    return loss

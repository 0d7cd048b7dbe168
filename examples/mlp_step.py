"""An MLP training step (784 -> 128 -> 10, softmax cross-entropy, SGD) for the tapeflow command:

    tapeflow graph examples/mlp_step.py:step --format svg -o step.svg
    tapeflow profile examples/mlp_step.py:step --steps 50

The input types come from `input_signature`; `make_args` gives a batch for `--example`.
"""

import numpy as np

import tapeflow as tf

rng = np.random.default_rng(0)
w1 = tf.Variable(rng.normal(0, 0.05, (784, 128)).astype(np.float32), name="w1")
b1 = tf.Variable(np.zeros(128, np.float32), name="b1")
w2 = tf.Variable(rng.normal(0, 0.05, (128, 10)).astype(np.float32), name="w2")
b2 = tf.Variable(np.zeros(10, np.float32), name="b2")
LEARNING_RATE = 0.1


@tf.function(input_signature=[tf.TensorSpec([128, 784], tf.float32),
                              tf.TensorSpec([128], tf.int32)])
def step(x, labels):
    with tf.GradientTape() as tape:
        hidden = tf.nn.relu(x @ w1 + b1)
        logits = hidden @ w2 + b2
        loss = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
    grads = tape.gradient(loss, [w1, b1, w2, b2])
    for variable, grad in zip([w1, b1, w2, b2], grads):
        variable.assign_sub(LEARNING_RATE * grad)
    return loss


def make_args(batch: int = 128):
    """A batch of random images and labels: (x, labels)."""
    data = np.random.default_rng(1)
    x = data.uniform(0, 1, (batch, 784)).astype(np.float32)
    labels = data.integers(0, 10, batch).astype(np.int32)
    return x, labels


if __name__ == "__main__":
    x, labels = make_args()
    for i in range(5):
        print(f"step {i}: loss {float(step(x, labels)):.4f}")

"""Data-dependent Python control flow under @tf.function, and its gradient.

    python examples/control_flow.py

The function below is the seed notebook's (Dive into Deep Learning, 2.5.4): a `while` loop
whose number of iterations and an `if` whose branch depend on the values of tensors. JAX's
`jit` refuses it (a traced value has no truth value), TensorFlow needs AutoGraph to rewrite
it, torch.compile breaks the graph at each test. tapeflow traces the path the values take and
records each Python read of a tensor as a guard: a call whose guards hold runs the compiled
path; one whose values take another path is traced again along it (one compiled path per
outcome, reused from then on). The gradient, d = f(a) = a * 2^k (or 100 times that), is
d / a whichever path is taken.
"""

import warnings

import numpy as np

import tapeflow as tf

# Each new path is announced with a RetraceWarning; here they are the point of the example.
warnings.simplefilter("ignore", tf.RetraceWarning)


def f(a):
    b = a * 2
    while tf.norm(b) < 1000:
        b = b * 2
    if tf.reduce_sum(b) > 0:
        c = b
    else:
        c = 100 * b
    return c


@tf.function
def value_and_gradient(a):
    with tf.GradientTape() as tape:
        tape.watch(a)
        d = f(a)
    return d, tape.gradient(d, a)


def main() -> None:
    print(f"{'a':>8s} {'f(a)':>12s} {'df/da':>10s} {'f(a)/a':>10s}  paths traced")
    for a in [0.3, 0.7, -0.3, 5.0, 0.31, -4.0, 0.29]:
        x = tf.constant(np.float32(a))
        d, grad = value_and_gradient(x)
        with tf.GradientTape() as tape:  # the same computation eagerly, for comparison
            tape.watch(x)
            eager = f(x)
        eager_grad = tape.gradient(eager, x)
        assert np.isclose(float(d), float(eager)) and np.isclose(float(grad), float(eager_grad))
        print(f"{a:8.2f} {float(d):12.1f} {float(grad):10.1f} {float(d) / a:10.1f}  "
              f"{value_and_gradient.experimental_get_tracing_count()}")
    print("each new number of loop iterations or branch is one more path; a repeated one "
          "reuses its compiled path (0.31 and 0.29 take 0.3's)")


if __name__ == "__main__":
    main()

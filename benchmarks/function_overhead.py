"""Per-call cost of `@tapeflow.function` on the interpreter backend, against eager tapeflow.

    python benchmarks/function_overhead.py

Workload (the seed linear model): w (3,2), b (2), x [[1,2,3]], loss = mean((x@w+b)**2),
gradients of loss for w and b, SGD update w -= 0.01*gw, b -= 0.01*gb, all in one step.
Both variants run in this process; prints medians and the ratio.
"""

from __future__ import annotations

import numpy as np
from _timing import median_time

import tapeflow as tf


def make_step(w, b, x):
    def step():
        with tf.GradientTape() as tape:
            y = x @ w + b
            loss = tf.reduce_mean(y**2)
        gw, gb = tape.gradient(loss, [w, b])
        w.assign_sub(0.01 * gw)
        b.assign_sub(0.01 * gb)
        return loss

    return step


def main() -> None:
    x = tf.constant([[1.0, 2.0, 3.0]])
    init = np.random.default_rng(0).normal(size=(3, 2)).astype(np.float32) * 0.01
    w_e, b_e = tf.Variable(init), tf.Variable(tf.zeros(2))
    w_f, b_f = tf.Variable(init), tf.Variable(tf.zeros(2))
    eager = make_step(w_e, b_e, x)
    traced = tf.function(make_step(w_f, b_f, x), backend="interpreter")
    traced()  # trace outside the timing
    t_eager = median_time(eager, number=500, warmup=50)
    t_traced = median_time(traced, number=500, warmup=50)
    np.testing.assert_allclose(w_f.numpy(), w_e.numpy(), rtol=1e-4)
    print("seed linear model step (forward, gradients, SGD update), median per call")
    print(f"  eager tapeflow               {t_eager * 1e6:9.1f} us")
    print(f"  tapeflow.function (interp)   {t_traced * 1e6:9.1f} us   "
          f"{t_eager / t_traced:5.2f}x faster than eager")
    print(f"  traces: {traced.experimental_get_tracing_count()}, "
          f"graph: {len(traced.get_concrete_function().graph.eqns)} equations")


if __name__ == "__main__":
    main()

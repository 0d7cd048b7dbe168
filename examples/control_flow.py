"""A function whose path depends on tensor values: Python `if` and `while` on traced values.

Under `@tapeflow.function` each Python read of a tensor (`if total > 0`, `while norm > 1`)
becomes a guard: the compiled call checks that the read comes out as it did when traced, and
traces again along the new path when it does not (see `clip_and_scale.explain_retraces()`).

    tapeflow graph examples/control_flow.py:clip_and_scale --input x=f32[8]
"""

import numpy as np

import tapeflow as tf


@tf.function
def clip_and_scale(x):
    total = tf.reduce_sum(x)
    if total > 0:  # a guard: the sign of the sum picks the branch
        y = x * 2.0
    else:
        y = -x
    norm = tf.sqrt(tf.reduce_sum(y * y))
    halvings = 0
    while norm > 4.0:  # a guard per iteration
        y = y * 0.5
        norm = norm * 0.5
        halvings += 1
    return y


if __name__ == "__main__":
    print(clip_and_scale(np.ones(8, np.float32)).numpy())
    print(clip_and_scale(-np.ones(8, np.float32) * 10).numpy())
    print(clip_and_scale.explain_retraces())

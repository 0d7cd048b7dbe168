"""An epoch as a tf.function looping over a tf.data dataset: the loop's body compiled once
and run per batch (runtime/dataset_loops.py), against the same function's Python loop
(`autograph=False`: every op of the body eager on every batch, as before).

    python benchmarks/dataset_loop.py

Workload: linear regression, 4096 rows of 32 features in batches of 64 (64 steps), Adam.
Both variants run in this process, compile="sync"; prints each one's first epoch (trace and
compile included) and the median of later epochs, and the ratio.
"""

from __future__ import annotations

import warnings

import numpy as np
from _timing import median_time

import tapeflow as tf


def make(autograph: bool):
    w = tf.Variable(tf.zeros((32, 1)))
    opt = tf.keras.optimizers.Adam(0.01)

    @tf.function(autograph=autograph, compile="sync")
    def epoch(dataset):
        total = 0.0
        for x, y in dataset:
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean((x @ w - y) ** 2)
            opt.apply_gradients([(tape.gradient(loss, w), w)])
            total += loss
        return total

    return epoch


def main() -> None:
    warnings.simplefilter("ignore")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4096, 32)).astype(np.float32)
    y = (x @ rng.standard_normal((32, 1))).astype(np.float32)
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(64)
    times = {}
    for name, autograph in (("Python loop (baseline)", False), ("compiled body", True)):
        epoch = make(autograph)
        first = median_time(lambda: epoch(data), number=1, repeat=1, warmup=0)
        times[name] = median_time(lambda: epoch(data), number=1, repeat=7, warmup=1)
        print(f"{name:24s} first epoch {first * 1e3:8.1f} ms, then {times[name] * 1e3:7.2f} ms")
    base = times["Python loop (baseline)"]
    print(f"compiled body: {base / times['compiled body']:.1f}x the baseline's epochs per second")


if __name__ == "__main__":
    main()

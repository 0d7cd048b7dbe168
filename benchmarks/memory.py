"""Resident memory of a compiled training loop, and of retracing under changing shapes.

    python benchmarks/memory.py [--calls 100000] [--shapes 40]

1. A two-layer tanh MLP step (x 32x8 @ w1 8x16 -> tanh -> @ w2 16x1, mean squared error, SGD
   on both weights) compiled with Numba, called `--calls` times: resident memory (from
   /proc/self/statm) after warm-up and every tenth of the calls, and the growth per 1,000
   calls.
2. A function called with `--shapes` new input lengths, keeping at most 8 signatures: resident
   memory after them, after deleting the function, and how many generated modules are left in
   sys.modules. The compile cache is a fresh temporary directory, so every shape compiles;
   run it twice with `--cache DIR` to see loads from the cache instead.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
import warnings

import numpy as np


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def training_loop(calls: int) -> None:
    import tapeflow as tf

    rng = np.random.default_rng(0)
    w1 = tf.Variable(rng.normal(size=(8, 16)).astype(np.float32) * 0.1)
    w2 = tf.Variable(rng.normal(size=(16, 1)).astype(np.float32) * 0.1)

    @tf.function(backend="numba")
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((tf.tanh(x @ w1) @ w2 - y) ** 2)
        g1, g2 = tape.gradient(loss, [w1, w2])
        w1.assign_sub(0.01 * g1)
        w2.assign_sub(0.01 * g2)
        return loss

    x = rng.normal(size=(32, 8)).astype(np.float32)
    y = rng.normal(size=(32, 1)).astype(np.float32)
    for _ in range(1000):
        step(x, y)
    gc.collect()
    start = rss_mb()
    print(f"training step: {start:.1f} MB resident after 1,000 warm-up calls")
    t0 = time.perf_counter()
    tenth = max(calls // 10, 1)
    for i in range(1, calls + 1):
        loss = step(x, y)
        if i % tenth == 0:
            print(f"  after {i:>7,} calls: {rss_mb():7.1f} MB ({rss_mb() - start:+.2f} MB)")
    elapsed = time.perf_counter() - t0
    grown = rss_mb() - start
    print(f"  growth {grown:+.2f} MB over {calls:,} calls ({grown / calls * 1000 * 1024:+.2f} KiB "
          f"per 1,000 calls); {elapsed / calls * 1e6:.1f} us a call; final loss {float(loss):.4f}")


def retracing(shapes: int, cache_dir: str) -> None:
    import tapeflow as tf
    from tapeflow.codegen import cache

    os.environ["TAPEFLOW_CACHE_DIR"] = cache_dir

    def make():
        @tf.function(backend="numba", max_signatures=8)
        def f(x):
            return tf.reduce_sum(tf.exp(x) * 2.0)
        return f

    gc.collect()
    start = rss_mb()
    f = make()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for n in range(3, 3 + shapes):
            x = np.ones(n, np.float32)
            f(x)
            f(x)  # compiled
    gc.collect()
    after = rss_mb()
    kept = len(f._paths)
    del f
    gc.collect()
    left = sum(1 for name in sys.modules if name.startswith("tapeflow_kernel_"))
    print(f"retracing over {shapes} shapes (at most 8 kept, {kept} kept): "
          f"{after - start:+.1f} MB resident, {rss_mb() - start:+.1f} MB after deleting the "
          f"function; {left} generated modules left in sys.modules, {len(cache._live)} alive")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--shapes", type=int, default=40)
    parser.add_argument("--cache", default=None, help="compile cache directory (default: fresh)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as fresh:
        os.environ["TAPEFLOW_CACHE_DIR"] = args.cache or fresh
        training_loop(args.calls)
        retracing(args.shapes, args.cache or fresh)


if __name__ == "__main__":
    main()

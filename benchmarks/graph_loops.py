"""Per-iteration cost of a graph loop (`for _ in tf.range(n)` traced once), against the same
loop unrolled (`autograph=False`: one guarded path per trip count, fused into one native call).

    python benchmarks/graph_loops.py

Workload: x (1000 float32), n iterations of x = x * 0.999 + 0.001, for n in 10 and 1000.
A compiled graph loop calls its body-and-condition step once per iteration from Python; the
unrolled path is straight-line code, but traces (and compiles) once per new n. All variants
run in this process; prints medians per call and per iteration, and the ratios.

Second case, rows: `for row in x` over x of shape [None, 64] (an input_signature), a
recurrence h = tanh(h * 0.5 + row), called with 10, 100 and 1000 rows: the graph loop traces
once for all three sizes, the unrolled loop once per size. Prints the first call's time
(trace and compile included) and the median of later calls, per size.
"""

from __future__ import annotations

import numpy as np
from _timing import median_time

import tapeflow as tf


def make(backend: str, autograph: bool):
    @tf.function(backend=backend, compile="sync", autograph=autograph)
    def relax(x, n):
        for _ in tf.range(n):
            x = x * 0.999 + 0.001
        return x

    return relax


def main() -> None:
    x = tf.constant(np.ones(1000, np.float32))
    variants = [("graph loop, interpreter", make("interpreter", True)),
                ("graph loop, numba", make("numba", True)),
                ("unrolled, numba (baseline)", make("numba", False))]
    for n in (10, 1000):
        count = tf.constant(n)
        times = {}
        for name, f in variants:
            f(x, count)  # trace and compile outside the timing
            times[name] = median_time(lambda f=f: f(x, count), number=20, repeat=9)
        base = times["unrolled, numba (baseline)"]
        print(f"n = {n}: median per call (per iteration), ratio to the unrolled baseline")
        for name, t in times.items():
            print(f"  {name:28s} {t * 1e6:10.1f} us ({t / n * 1e6:7.2f} us)  {t / base:6.1f}x")
    print("traces:", ", ".join(f"{name}: {f.experimental_get_tracing_count()}"
                               for name, f in variants))


def make_rows(autograph: bool):
    @tf.function(backend="numba", compile="sync", autograph=autograph,
                 input_signature=[tf.TensorSpec([None, 64])])
    def recur(x):
        h = tf.zeros([64])
        for row in x:
            h = tf.tanh(h * 0.5 + row)
        return h

    return recur


def rows() -> None:
    import time

    variants = [("graph loop over rows", make_rows(True)),
                ("unrolled rows (baseline)", make_rows(False))]
    print("rows: first call (trace + compile) and median later call, per size")
    for n in (10, 100, 1000):
        x = tf.constant(np.random.default_rng(n).normal(size=(n, 64)).astype(np.float32))
        for name, f in variants:
            start = time.perf_counter()
            f(x)
            first = time.perf_counter() - start
            later = median_time(lambda f=f: f(x), number=5, repeat=5)
            print(f"  n = {n:4d} {name:26s} first {first * 1e3:9.1f} ms, "
                  f"later {later * 1e6:10.1f} us")
    print("traces:", ", ".join(f"{name}: {f.experimental_get_tracing_count()}"
                               for name, f in variants))


if __name__ == "__main__":
    main()
    rows()

"""Random draws inside a compiled step: a Dropout-like mask (uniform [128, 256] >= 0.5,
times x, times 2) and a normal draw of the same size, per call.

Variants, measured in one run: tapeflow compiled (Numba, the Philox loop in the step),
tapeflow eager (the numpy Philox kernel), and numpy's own generator (PCG64, `rng.random`)
as the baseline. Prints medians and ratios to numpy.

    .venv/bin/python benchmarks/random_draws.py [--shape 128,256]
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _timing import format_seconds, median_time  # noqa: E402

import tapeflow as tf  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shape", default="128,256")
    shape = tuple(int(d) for d in parser.parse_args().shape.split(","))
    x_np = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    x = tf.constant(x_np)
    rng = np.random.default_rng(1)

    def dropout_numpy():
        return x_np * (rng.random(shape, dtype=np.float32) >= 0.5) * np.float32(2.0)

    def dropout(t):
        return t * tf.cast(tf.random.uniform(shape) >= 0.5, tf.float32) * 2.0

    def normal_numpy():
        return x_np + rng.standard_normal(shape, dtype=np.float32)

    def normal(t):
        return t + tf.random.normal(shape)

    rows = []
    for name, numpy_fn, fn in [("dropout mask", dropout_numpy, dropout),
                               ("normal noise", normal_numpy, normal)]:
        compiled = tf.function(fn)
        compiled(x)  # trace and compile
        times = {
            "numpy (PCG64)": median_time(numpy_fn, number=50),
            "tapeflow compiled": median_time(lambda: compiled(x), number=50),
            "tapeflow eager": median_time(lambda: fn(x), number=10),
        }
        rows.append((name, times))
    print(f"random draws of shape {list(shape)}, float32 (load average "
          f"{os.getloadavg()[0]:.1f})")
    for name, times in rows:
        base = times["numpy (PCG64)"]
        print(f"\n{name}")
        for variant, t in times.items():
            print(f"  {variant:<20} {format_seconds(t)}   {t / base:6.2f}x numpy")


if __name__ == "__main__":
    main()

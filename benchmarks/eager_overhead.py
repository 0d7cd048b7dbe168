"""Eager overhead: the cost of recording an op under a tape, against plain numpy.

    python benchmarks/eager_overhead.py

Workload: `y = x * x + 1` (two ops) on a float32 scalar and on 1000 float32 elements, under a
GradientTape, then `tape.gradient(y, x)`; the baseline is the same arithmetic in numpy on the
same arrays, measured in the same run. Prints medians of repeated timings and their ratios.
Goal (issue 2): recording costs at most 5x plain numpy per op on scalars.
"""

from __future__ import annotations

import numpy as np
from _timing import median_time

import tapeflow as tf


def run(size: int | None) -> dict[str, float]:
    shape = () if size is None else (size,)
    value = np.full(shape, 1.5, dtype=np.float32)
    one = np.float32(1)
    x = tf.Variable(value)

    def numpy_forward():
        return value * value + one

    def numpy_forward_backward():
        y = value * value + one
        return y, np.ones_like(y) * value * 2  # d(sum y)/dx by hand

    def eager_untaped():
        return x * x + 1

    def taped_forward():
        with tf.GradientTape():
            return x * x + 1

    def taped_gradient():
        with tf.GradientTape() as tape:
            y = x * x + 1
        return tape.gradient(y, x)

    number = 2000 if size is None else 1000
    return {
        "numpy y=x*x+1": median_time(numpy_forward, number=number),
        "numpy forward+grad": median_time(numpy_forward_backward, number=number),
        "tapeflow untaped": median_time(eager_untaped, number=number),
        "tapeflow taped": median_time(taped_forward, number=number),
        "tapeflow taped+gradient": median_time(taped_gradient, number=number),
    }


def main() -> None:
    for label, size in (("scalar", None), ("1000 float32", 1000)):
        t = run(size)
        base, base_grad = t["numpy y=x*x+1"], t["numpy forward+grad"]
        print(f"\n{label}: y = x * x + 1 (2 ops), median per call")
        for name, seconds in t.items():
            ref = base_grad if "gradient" in name or "grad" in name else base
            print(f"  {name:26s} {seconds * 1e6:9.2f} us   {seconds / ref:6.1f}x numpy")
        per_op = (t["tapeflow taped"] - 0) / 2
        print(f"  recorded op (taped / 2)    {per_op * 1e6:9.2f} us   "
              f"{per_op / (base / 2):6.1f}x numpy per op (goal <= 5x on scalars)")


if __name__ == "__main__":
    main()

"""Timing shared by the benchmarks: medians of repeated batches (the machines are noisy)."""

from __future__ import annotations

import statistics
import time


def median_time(fn, *, number: int, repeat: int = 15, warmup: int | None = None) -> float:
    """Median seconds per call over `repeat` batches of `number` calls, after a warm-up."""
    for _ in range(number if warmup is None else warmup):
        fn()
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - t0) / number)
    return statistics.median(samples)

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


def batch_time(fn, number: int) -> float:
    """Seconds for `number` back-to-back calls."""
    t0 = time.perf_counter()
    for _ in range(number):
        fn()
    return time.perf_counter() - t0


def auto_times(fn, *, batch_s: float = 0.02, repeat: int = 15,
               budget_s: float = 3.0) -> list[float]:
    """Seconds per call of each timed batch, for calls that take from 100 ns to seconds.

    The batch size grows (as `timeit.autorange` does) until one batch lasts `batch_s`, so
    the clock's resolution and the loop's own cost vanish for fast calls; then `repeat`
    batches are timed, fewer (down to 3) when they would take more than `budget_s` in all.
    The calibration batches double as the warm-up.
    """
    number = 1
    while True:
        elapsed = batch_time(fn, number)
        if elapsed >= batch_s:
            break
        # Aim a little past the target so that the next batch is usually the last one.
        number = max(number * 2, int(number * 1.2 * batch_s / max(elapsed, 1e-9)))
    repeat = max(3, min(repeat, int(budget_s / elapsed)))
    return [batch_time(fn, number) / number for _ in range(repeat)]


def format_seconds(seconds: float) -> str:
    """A duration in the unit that keeps 3-4 significant digits readable (ns, us, ms, s)."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:7.3g} {unit}"
    return f"{seconds / 1e-9:7.3g} ns"


def write_bytecode(*trees) -> None:
    """Compile the `tapeflow/` package of each tree (a repository root) to bytecode, as an
    installed package has it, before timing fresh processes: where PYTHONDONTWRITEBYTECODE
    is set (as on these machines) a process would otherwise compile every tapeflow source
    again at each start, ~30 ms of a 0.3 s start that no user's process pays. Processes
    read bytecode whatever that setting says."""
    import compileall
    from pathlib import Path

    for tree in trees:
        compileall.compile_dir(str(Path(tree) / "tapeflow"), quiet=1)

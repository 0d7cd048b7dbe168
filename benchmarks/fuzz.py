"""Differential fuzzing at scale: run many random programs (tests/fuzz/programs.py) eagerly,
on the interpreter and compiled with Numba, and count what disagrees.

    python benchmarks/fuzz.py --examples 2000 --compiled 300 [--seconds 600] [--show 5]

`--examples` programs run eagerly and on the interpreter (float64 gradients also against
finite differences); the first `--compiled` of them also compiled (each a Numba compile,
which is the cost). Prints the number of programs, how many raised the same error on every
runner, the findings by kind and runner, and the first few failing programs (paste one into
tests/fuzz/test_regressions.py). Set NUMBA_BOUNDSCHECK=1 to compile with bounds checks.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import time
import warnings

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from tests.fuzz.programs import programs, run_program


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=1000)
    parser.add_argument("--compiled", type=int, default=100)
    parser.add_argument("--max-steps", type=int, default=6)
    parser.add_argument("--show", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=float("inf"),
                        help="stop starting new programs after this long (report then)")
    args = parser.parse_args()

    counts = collections.Counter()
    failing = []
    started = time.perf_counter()

    @settings(max_examples=args.examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(program=programs(max_steps=args.max_steps), seed=st.integers(0, 2**16),
           special=st.booleans())
    def run(program, seed, special):
        if time.perf_counter() - started > args.seconds:
            return  # over the budget: the remaining examples do nothing
        compiled = counts["programs"] < args.compiled
        backends = ("interpreter", "numba") if compiled else ("interpreter",)
        counts["programs"] += 1
        counts["compiled"] += compiled
        counts["special inputs"] += special
        try:
            findings = run_program(program, seed, special, backends=backends, stats=counts)
        except Exception as e:  # the harness itself (or eager) crashed: count, keep going
            counts[f"harness crash {type(e).__name__}"] += 1
            failing.append((program, seed, special, [f"{type(e).__name__}: {e}"]))
            return
        for kind in sorted({(f.kind, f.runner) for f in findings}):
            counts[f"{kind[0]} ({kind[1]})"] += 1
        if findings:
            counts["programs with findings"] += 1
            failing.append((program, seed, special, [f"{f.kind} ({f.runner}): {f.detail}"
                                                     for f in findings]))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run()
    elapsed = time.perf_counter() - started
    print(f"boundscheck: {os.environ.get('NUMBA_BOUNDSCHECK', '0')}, "
          f"{elapsed:.0f} s ({elapsed / max(counts['programs'], 1):.2f} s per program)")
    for key in ["programs", "compiled", "special inputs", "programs with findings"]:
        print(f"{key:>40}: {counts.pop(key, 0)}")
    for key, n in sorted(counts.items()):
        print(f"{key:>40}: {n}")
    for program, seed, special, lines in failing[:args.show]:
        print(f"\n{program!r} seed={seed} special={special}")
        for line in lines[:3]:
            print("   ", line[:300])


if __name__ == "__main__":
    main()

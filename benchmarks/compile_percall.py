"""Per-call time of W1-W4 under two tapeflow source trees, in alternating fresh processes.

    git archive <commit> tapeflow | tar -x -C /tmp/before
    python benchmarks/compile_percall.py --against /tmp/before --runs 5

Checks issue 11's "W1-W4 per call no more than 5% slower than before": each round runs one
process per tree (this checkout's tapeflow, then the one in --against), each timing the
tapeflow Numba variant of every workload of benchmarks/workloads.py (compile="sync" where the
tree has the option; the same steps, checked against numpy as workloads.py does) with
_timing.auto_times, median per call. Prints, per workload, the median over rounds of each
tree's median and the ratio this/against. Each tree keeps its own warm compile cache. The
machine is shared: the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def child(only: list[str]) -> None:
    import inspect

    sys.path.insert(0, str(HERE))
    import workloads as wl
    from _timing import auto_times

    import tapeflow as tf

    sync = {"compile": "sync"} if "compile" in inspect.signature(tf.function).parameters else {}
    out = {}
    for w in wl.make_workloads():
        if only and w.key not in only and w.name not in only:
            continue
        impl = wl.tf_impl(w, tf, lambda fn: tf.function(fn, backend="numba", **sync))
        want = wl.reference(w)
        wl.check(w, [wl._copy(impl.read(impl.step())) for _ in want], want)
        out[w.name] = statistics.median(auto_times(impl.step))
    print(json.dumps({"tapeflow": tf.__file__, "times": out}))


def run(tree: Path, cache: str, only: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree), TAPEFLOW_CACHE_DIR=cache)
    proc = subprocess.run([sys.executable, __file__, "--child", "--only", only], env=env,
                          capture_output=True, text=True, timeout=1800, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"child for {tree} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--against", help="a directory holding the other tapeflow/ package")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", default="", help="workloads, e.g. W1,W2,'W3 n=1e3',W4")
    parser.add_argument("--child", action="store_true")
    args = parser.parse_args()
    only = [s for s in args.only.split(",") if s]
    if args.child:
        child(only)
        return
    trees = {"this": HERE.parent, "against": Path(args.against).resolve()}
    caches = {name: tempfile.mkdtemp(prefix=f"tapeflow-percall-{name}-") for name in trees}
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    times: dict = {name: {} for name in trees}
    for _ in range(args.runs):
        for name, tree in trees.items():
            report = run(tree, caches[name], args.only)
            for label, t in report["times"].items():
                times[name].setdefault(label, []).append(t)
    print(f"{'workload':<12} {'this':>12} {'against':>12} {'this/against':>13}  "
          f"(medians of {args.runs} alternating processes)")
    for label in times["this"]:
        a = statistics.median(times["this"][label])
        b = statistics.median(times["against"][label])
        print(f"{label:<12} {a * 1e6:>10.2f}us {b * 1e6:>10.2f}us {a / b:>13.3f}")
    print(f"load average {os.getloadavg()[0]:.1f}; target: this/against <= 1.05")


if __name__ == "__main__":
    main()

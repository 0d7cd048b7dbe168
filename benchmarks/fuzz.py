"""Differential fuzzing at scale: run many random programs (tests/fuzz/programs.py) eagerly,
on the interpreter and compiled with Numba, and count what disagrees.

    python benchmarks/fuzz.py --programs 100000 --out fuzz-counts.json          # interpreter
    nice -n 19 python benchmarks/fuzz.py --tier compiled --programs 100000 --chunk 50 \
        --seed-base 20000 --out benchmarks/results/fuzz_compiled.json --cache fuzz-cache
    python benchmarks/fuzz.py --out benchmarks/results/fuzz_compiled.json --report
    python benchmarks/fuzz.py --tier compiled --chunk 50 --replay 20123 --fail-on value

The second line is the compiled run the README cites, towards 10^5 programs: its counts
file is in the repository, and the same command (in any session) resumes it.

The run is cut into chunks of `--chunk` programs; chunk i draws its programs with hypothesis
seed `--seed-base + i`, so every chunk is reproducible on its own. `--workers N` runs chunks
in N processes. Each finished chunk's counts are appended to the JSON file `--out`, keyed by
tier, generator version (tests/fuzz/programs.py's GENERATOR_VERSION: a seed draws the same
programs only under one version) and settings, and stamped with the tapeflow commit that ran
it (and whether the tree was dirty). A run stopped at any point keeps what it finished, and
the same command, in this session or a later one, resumes it: the seeds its generator version
has run already are skipped. `--report` prints each key's totals per commit and overall.

Tiers: `interpreter` runs each program eagerly and on the interpreter backend (float64
programs with smooth inputs also compare their gradients with central finite differences);
`compiled` also compiles it with Numba (native code; a fallback to the interpreter is a
finding) and draws shorter programs, since each is a Numba compile. With NUMBA_BOUNDSCHECK=1
in the environment the compiled tier's counts are kept apart as `compiled-boundscheck`, and
each chunk's record says what its worker's Numba read (`boundscheck`; --report counts them).

The compiled tier's cost is Numba compiling each program's kernels. `--mode kernels` (its
default) compiles every kernel on its own, where a kernel another program already compiled
(same structure, any sizes) is loaded from the on-disk cache instead, so the run gets
cheaper as `--cache` fills; `--mode auto` compiles as users get it (small graphs as one
function, whose cache entry no other program shares). Keep `--cache` across runs and
resumes. A worker also keeps the last `--hold-modules` kernel modules it used compiled in
memory, so a later program of its chunks that needs one of them neither loads it from the
disk cache nor verifies it again; a fresh worker replaces it every `--chunks-per-worker`
chunks, as Numba keeps the memory of each compile. Both tiers check float64 gradients
against finite differences (~8 ms per program, on eager). Measured, and not used: several
programs traced into one function to share one compile cost more per program (the compile
grows faster than the function), and compiled kernel by kernel their fused loops mix
programs, so no kernel is shared.

Counted per tier: programs (and how many distinct (program, inputs) pairs hypothesis drew,
since it repeats small ones), with special values, with a finite-difference check, eager
refusals by error type (the runners must refuse the same way), findings by kind and runner
(value, pattern of nan/inf/signed zero, error, crash, fallback, gradient, and "nonfinite
gradient": nan where finite differences are finite, the chain rule's inf * 0 that TF gives
too, not counted as a defect), programs with a finding (a defect), harness crashes, worker
processes that died, and wall and CPU seconds. `--replay SEED --fail-on KIND` reruns one
chunk failing on the first finding of that kind, so hypothesis shrinks the program (paste
it into tests/fuzz/test_regressions.py).
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import hashlib
import json
import multiprocessing
import os
import subprocess
import sys
import time
import warnings

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)

COMPILED_MAX_STEPS = 3  # as in the CI's compiled tier: a Numba compile per program
# Generated modules a worker keeps alive after their program is done (most recently used):
# a later program needing the same kernel then finds it compiled in this process, where
# it would otherwise load it from the disk cache again (~8 ms each, the verification of the
# entry and Numba's unpickling and linking; ~28 KB of memory each time, never returned).
HELD_MODULES = 4000  # --hold-modules
_held: collections.OrderedDict = collections.OrderedDict()
_held_uses = [0, 0]  # kernel modules asked for: [not held, held]


def _hold_modules(codegen_compile, limit: int) -> None:
    """Make this worker keep the last `limit` kernel modules it used alive, counting the
    programs' uses of one already held as "kernels held"."""
    global HELD_MODULES
    HELD_MODULES = limit
    if getattr(codegen_compile.load_module, "holds", False):
        return
    load_module = codegen_compile.load_module

    def holding(name, render, directory=None):
        _held_uses[name in _held] += 1
        module = load_module(name, render, directory)
        _held[name] = module
        _held.move_to_end(name)
        while len(_held) > HELD_MODULES:
            _held.popitem(last=False)
        return module

    holding.holds = True
    codegen_compile.load_module = holding


def source_state() -> tuple[str, bool]:
    """The tapeflow commit the run tests (git HEAD of this checkout) and whether its tracked
    files differ from it (the counts files under benchmarks/results do not count). A record
    from a dirty tree says so: its code is not exactly the commit's."""
    def git(*args):
        return subprocess.run(["git", "-C", ROOT, *args], check=False, capture_output=True,
                              text=True)

    head = git("rev-parse", "--short=12", "HEAD")
    if head.returncode != 0:
        return "unknown", True
    diff = git("diff", "--quiet", "HEAD", "--", ".", ":(exclude)benchmarks/results")
    return head.stdout.strip(), diff.returncode != 0


def tier_name(tier: str) -> str:
    if tier == "compiled" and os.environ.get("NUMBA_BOUNDSCHECK", "0") not in ("", "0"):
        return "compiled-boundscheck"
    return tier


def run_chunk(tier: str, seed: int, size: int, max_steps: int, fail_on: str | None = None,
              mode: str = "auto", hold: int = HELD_MODULES):
    """Run one chunk of `size` programs drawn with hypothesis seed `seed`; return its counts,
    the digests of its (program, inputs) pairs and its first failing programs. `mode`: how
    the compiled tier compiles (see the module docstring)."""
    import numba
    from hypothesis import HealthCheck, given, settings
    from hypothesis import seed as hypothesis_seed
    from hypothesis import strategies as st

    from tapeflow.codegen import compile as codegen_compile
    from tests.fuzz.programs import NOT_DEFECTS, programs, run_program

    # What this worker's Numba read from NUMBA_BOUNDSCHECK at import (None: each function's
    # own choice, tapeflow's unchecked; 1: index checks compiled into every kernel), kept in
    # the chunk's record: a bounds-checked count stands only where its workers checked.
    boundscheck = numba.config.BOUNDSCHECK
    if tier.startswith("compiled") and (tier == "compiled-boundscheck") != bool(boundscheck):
        raise RuntimeError(f"tier {tier} in a worker whose Numba has BOUNDSCHECK={boundscheck}")
    counts = collections.Counter()
    digests = []
    failing = []
    compiled = tier.startswith("compiled")  # compiled-boundscheck too
    backends = ("interpreter", "numba") if compiled else ("interpreter",)
    if compiled and mode != "auto":
        # compile_graph's own choice, made for every graph of this process.
        inline = mode == "inline"
        codegen_compile.compiles_inline = lambda program: inline
    if compiled and hold:
        _hold_modules(codegen_compile, hold)
    logged = len(codegen_compile.compile_log)
    reused = _held_uses[True]
    started, cpu_started = time.perf_counter(), time.process_time()

    @hypothesis_seed(seed)
    @settings(max_examples=size, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck), print_blob=True)
    @given(program=programs(max_steps=max_steps), input_seed=st.integers(0, 2**16),
           special=st.booleans())
    def run(program, input_seed, special):
        key = repr((program, input_seed, special)).encode()
        counts["programs"] += 1
        counts["special inputs"] += special
        digests.append(hashlib.blake2b(key, digest_size=8).hexdigest()[:DIGEST])
        try:
            findings = run_program(program, input_seed, special, backends=backends,
                                   check_gradients=True, stats=counts)
        except Exception as e:  # the harness itself (or eager) crashed: count, keep going
            counts[f"harness crash {type(e).__name__}"] += 1
            failing.append(f"{program!r} seed={input_seed} special={special}\n    "
                           f"{type(e).__name__}: {e}")
            return
        for kind, runner in sorted({(f.kind, f.runner) for f in findings}):
            counts[f"{kind} ({runner})"] += 1
        if any(f.kind not in NOT_DEFECTS for f in findings):
            counts["programs with findings"] += 1
        if findings and len(failing) < 20:
            failing.append(f"{program!r} seed={input_seed} special={special}\n    " +
                           "\n    ".join(f"{f.kind} ({f.runner}): {f.detail[:300]}"
                                         for f in findings[:3]))
        if fail_on is not None:
            matching = [f for f in findings if f.kind == fail_on]
            assert not matching, f"{matching[0].kind} ({matching[0].runner}): " \
                                 f"{matching[0].detail}"

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run()
    for _, how, _ in codegen_compile.compile_log[logged:]:  # kernel by kernel only
        counts[f"kernels {how}"] += 1
    if _held_uses[True] > reused:  # found compiled in this worker (HELD_MODULES)
        counts["kernels held"] += _held_uses[True] - reused
    counts["wall seconds"] = round(time.perf_counter() - started, 3)
    counts["cpu seconds"] = round(time.process_time() - cpu_started, 3)
    return {"seed": seed, "counts": dict(counts), "digests": digests, "failing": failing,
            "boundscheck": boundscheck}


# --------------------------------------------------------------------------------------------
# The counts file: {"<tier> steps=<max_steps> chunk=<size>": {"chunks": {seed: result}}}
# --------------------------------------------------------------------------------------------


# Hex digits kept of each (program, inputs) digest: 40 bits, so 10^5 programs collide with
# probability ~0.5% (the distinct count is a statistic, not a key), and the counts file of
# a 10^5 run stays ~2 MB, small enough for the repository (benchmarks/results).
DIGEST = 10


def load(path: str) -> dict:
    if path and os.path.exists(path):
        with open(path) as f:
            data = json.load(f)
        for entry in data.values():  # files written with longer digests
            for result in entry["chunks"].values():
                result["digests"] = [d[:DIGEST] for d in result["digests"]]
        return data
    return {}


def save(path: str, data: dict) -> None:
    """One line per chunk (sorted by key and seed), so a run's additions are whole lines
    in a diff."""
    keys = []
    for key in sorted(data):
        chunks = data[key]["chunks"]
        rows = ",\n".join(f"  {json.dumps(seed)}: {json.dumps(chunks[seed], sort_keys=True)}"
                          for seed in sorted(chunks, key=int))
        keys.append(f'{json.dumps(key)}: {{"chunks": {{\n{rows}\n}}}}')
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        f.write("{\n" + ",\n".join(keys) + "\n}\n")
    os.replace(tmp, path)  # a run stopped while writing keeps the previous file whole


def _total(chunks) -> tuple[collections.Counter, set, list]:
    total, distinct, failing = collections.Counter(), set(), []
    for result in chunks:
        total.update(result["counts"])
        distinct.update(result["digests"])
        failing += result["failing"]
    return total, distinct, failing


def _commit(result: dict) -> str:
    """The commit a chunk record ran (+ "dirty" where its tree was not clean)."""
    commit = result.get("commit", "unrecorded")
    return commit + (" dirty" if result.get("dirty") else "")


def report(data: dict, show: int) -> None:
    """Per key (tier, generator version, settings): totals per commit, then over all."""
    for key in sorted(data):
        chunks = data[key]["chunks"]
        by_commit = collections.defaultdict(list)
        for result in chunks.values():
            by_commit[_commit(result)].append(result)
        total, distinct, failing = _total(chunks.values())
        seeds = sorted(int(s) for s in chunks)
        n = max(total["programs"], 1)
        print(f"\n{key}: {len(chunks)} chunks, seeds {_ranges(seeds)}")
        for commit, results in sorted(by_commit.items(), key=lambda kv: min(
                int(r["seed"]) for r in kv[1])):
            c, d, _ = _total(results)
            crashes = sum(v for k, v in c.items() if k.startswith(("crash", "harness crash")))
            # Chunks whose worker's Numba compiled bounds checks in (older records do not say).
            checked = sum(bool(r.get("boundscheck")) for r in results)
            print(f"  {commit:>18}: {c['programs']:>7} programs ({len(d)} distinct), "
                  f"{c['programs with findings']} with findings, {crashes} crashes, "
                  f"{c['worker died']} workers died, seeds "
                  f"{_ranges(sorted(int(r['seed']) for r in results))}, "
                  f"{c['cpu seconds']:.0f} CPU s"
                  + (f", {checked} chunks bounds-checked" if checked else ""))
        print(f"{'distinct (program, inputs)':>44}: {len(distinct)}")
        for name in ["programs", "special inputs", "finite-difference checks",
                     "programs with findings", "worker died"]:
            print(f"{name:>44}: {total.pop(name, 0)}")
        wall, cpu = total.pop("wall seconds", 0.0), total.pop("cpu seconds", 0.0)
        for name, count in sorted(total.items()):
            print(f"{name:>44}: {count}")
        print(f"{'wall / cpu seconds':>44}: {wall:.0f} / {cpu:.0f} "
              f"({1000 * wall / n:.1f} / {1000 * cpu / n:.1f} ms per program, "
              f"{n / max(cpu, 1e-9):.2f} programs per CPU second)")
        for text in failing[:show]:
            print("\n" + text)
    # Over every generator version and setting, per tier.
    tiers = collections.defaultdict(collections.Counter)
    for key, entry in data.items():
        total, _, _ = _total(entry["chunks"].values())
        tiers[key.split()[0]].update(total)
    print()
    for tier, c in sorted(tiers.items()):
        print(f"all {tier}: {c['programs']} programs, {c['programs with findings']} with "
              f"findings, {c['worker died']} workers died")


def markdown(data: dict) -> None:
    """Each key's counts per commit as the rows of a markdown table (the README's)."""
    print("| run (generator, settings) | commit | seeds | programs (distinct) | special inputs "
          "| gradient checks | findings by kind (runner) | programs with a defect | crashes "
          "| CPU per program |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for key in sorted(data):
        by_commit = collections.defaultdict(list)
        for result in data[key]["chunks"].values():
            by_commit[_commit(result)].append(result)
        for commit, results in sorted(by_commit.items(), key=lambda kv: min(
                int(r["seed"]) for r in kv[1])):
            c, d, _ = _total(results)
            kinds = ", ".join(f"{k} {v}" for k, v in sorted(c.items()) if "(" in k) or "none"
            crashes = sum(v for k, v in c.items()
                          if k.startswith(("crash", "harness crash")) or k == "worker died")
            seeds = _ranges(sorted(int(r["seed"]) for r in results))
            print(f"| {key} | {commit} | {seeds} | {c['programs']:,} ({len(d):,}) "
                  f"| {c['special inputs']:,} | {c['finite-difference checks']:,} | {kinds} "
                  f"| {c['programs with findings']} | {crashes} "
                  f"| {1000 * c['cpu seconds'] / max(c['programs'], 1):.0f} ms |")


def _ranges(seeds: list[int]) -> str:
    out, start = [], None
    for i, s in enumerate(seeds):
        if start is None:
            start = s
        if i + 1 == len(seeds) or seeds[i + 1] != s + 1:
            out.append(str(start) if start == s else f"{start}-{s}")
            start = None
    return ", ".join(out) or "none"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tier", choices=["interpreter", "compiled"], default="interpreter")
    parser.add_argument("--programs", type=int, default=1000)
    parser.add_argument("--chunk", type=int, default=None,
                        help="programs per chunk (default 1000 interpreter, 10 compiled)")
    parser.add_argument("--max-steps", type=int, default=None,
                        help=f"steps per program (default 6, compiled {COMPILED_MAX_STEPS})")
    parser.add_argument("--mode", choices=["kernels", "auto", "inline"], default="kernels",
                        help="how the compiled tier compiles (see above)")
    parser.add_argument("--cache", default="",
                        help="TAPEFLOW_CACHE_DIR for the run (default: tapeflow's own)")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seed-base", type=int, default=0)
    parser.add_argument("--hold-modules", type=int, default=HELD_MODULES,
                        help="kernel modules a worker keeps compiled for later programs "
                             "(0: none; each program loads its kernels from the cache)")
    parser.add_argument("--chunks-per-worker", type=int, default=20,
                        help="chunks a worker process runs before a fresh one replaces it")
    parser.add_argument("--out", default="", help="JSON file the counts are appended to")
    parser.add_argument("--seconds", type=float, default=float("inf"),
                        help="start no chunk after this long")
    parser.add_argument("--show", type=int, default=5)
    parser.add_argument("--report", action="store_true", help="only print the file's totals")
    parser.add_argument("--markdown", action="store_true",
                        help="with --report: per commit, as markdown table rows")
    parser.add_argument("--replay", type=int, default=None, metavar="SEED")
    parser.add_argument("--fail-on", default="pattern")
    args = parser.parse_args()
    compiled = args.tier == "compiled"
    chunk = args.chunk or (10 if compiled else 1000)
    max_steps = args.max_steps or (COMPILED_MAX_STEPS if compiled else 6)
    tier = tier_name(args.tier)
    mode = args.mode if compiled else "auto"
    if args.cache:
        os.environ["TAPEFLOW_CACHE_DIR"] = os.path.abspath(args.cache)  # the workers' too

    if args.replay is not None:  # hypothesis raises with the shrunk program
        run_chunk(tier, args.replay, chunk, max_steps, fail_on=args.fail_on, mode=mode)
        print("no finding of that kind in this chunk")
        return
    data = load(args.out)
    if args.report:
        markdown(data) if args.markdown else report(data, args.show)
        return
    from tests.fuzz.programs import GENERATOR_VERSION

    # Seeds draw the same programs only under the same generator version: each version's
    # chunks are kept (and skipped on a re-run) under their own key.
    key = f"{tier} generator={GENERATOR_VERSION} steps={max_steps} chunk={chunk}"
    if compiled and mode != "auto":
        key += f" mode={mode}"
    entry = data.setdefault(key, {"chunks": {}})
    commit, dirty = source_state()
    stamp = {"commit": commit, "dirty": dirty, "generator": GENERATOR_VERSION}
    print(f"tapeflow {commit}{' (dirty tree)' if dirty else ''}", flush=True)
    n_chunks = -(-args.programs // chunk)
    todo = [args.seed_base + i for i in range(n_chunks)
            if str(args.seed_base + i) not in entry["chunks"]]
    print(f"{key}: {n_chunks - len(todo)} chunks already done, {len(todo)} to run "
          f"in {args.workers} process(es)", flush=True)
    started = time.perf_counter()
    # Fresh processes (spawn): each worker's Numba and tapeflow state is its own.
    context = multiprocessing.get_context("spawn")
    while todo:
        # A worker is replaced after --chunks-per-worker chunks: Numba never returns the
        # memory of what it compiled (~0.9 MB a compiled program here).
        with concurrent.futures.ProcessPoolExecutor(
                args.workers, mp_context=context,
                max_tasks_per_child=args.chunks_per_worker) as pool:
            running = {}
            try:
                while todo or running:
                    while todo and len(running) < args.workers and \
                            time.perf_counter() - started < args.seconds:
                        seed = todo.pop(0)
                        running[pool.submit(run_chunk, tier, seed, chunk, max_steps,
                                            mode=mode, hold=args.hold_modules)] = seed
                    if not running:
                        todo = []
                        break
                    done, _ = concurrent.futures.wait(
                        running, return_when=concurrent.futures.FIRST_COMPLETED)
                    for future in done:
                        seed = running.pop(future)
                        result = future.result() | stamp
                        entry["chunks"][str(seed)] = result
                        if args.out:
                            save(args.out, data)
                        c = result["counts"]
                        print(f"seed {seed}: {c['programs']} programs, "
                              f"{c.get('programs with findings', 0)} with findings, "
                              f"{c['wall seconds']:.0f} s", flush=True)
            except concurrent.futures.process.BrokenProcessPool:
                # A worker died (a native crash): the chunk counts as one, and the
                # remaining chunks run in a fresh pool.
                for seed in running.values():
                    entry["chunks"][str(seed)] = {"seed": seed, "digests": [], "failing": [
                        f"seed {seed}: the worker process died"], "counts": {"worker died": 1},
                        **stamp}
                if args.out:
                    save(args.out, data)
    report({key: entry}, args.show)


if __name__ == "__main__":
    main()

"""Compile latency: what a user waits for before compiled code runs (issue 11's targets).

    python benchmarks/compile_latency.py                    # deep MLP at L = 2, 8, 32, 128, cold W4
    python benchmarks/compile_latency.py --layers 2,8 --runs 1
    python benchmarks/compile_latency.py --only mlp          # or: w4, batch, tiering
    python benchmarks/compile_latency.py --only mlp --layers 650   # ~10,000 equations
    python benchmarks/compile_latency.py --only mlp --layers 32 --runs 5 --against /tmp/before

Rows:
  deep MLP   L dense tanh layers of 64 units, batch 32, mean squared error, SGD 0.01 on every
             weight and bias, float32, in an empty TAPEFLOW_CACHE_DIR (no compiled code on
             disk). Four fresh processes per round, alternating: tapeflow and JAX, each
             "cold" (the framework imported, its backend not started: tapeflow's compiled
             call starts Numba, JAX's first call starts XLA's CPU client) and "started"
             (tapeflow: Numba imported and one trivial function compiled, so its typing and
             target contexts are ready; JAX: jax.devices() and one trivial jit call).
             "first compiled call": tapeflow's 2nd call (its 1st traces and runs eagerly),
             JAX's 1st (trace and compile). "import to result": from before `import tapeflow`
             / `import jax` to the end of the first compiled call, in the cold process (what
             a script waits for, imports and tapeflow's eager 1st call included).
             Ratios: tapeflow over JAX, cold over cold and started over started.
             (The step compiles no vecmath kernel: tanh and exp are written into the loops
             that call them, codegen/vecmath_ir.py. Nothing of it is in any cache.)
  batch      the same step with `input_signature=[TensorSpec([None, 64]), ...]`: the first
             compiled call at batch 32, then the first compiled call at batch 48 in the same
             process (target: under 10% of the first).
  cold W4    a fresh process to the end of the 10th W4 step (benchmarks/cold_start.py's
             model), with an empty cache and with the cache that run filled, compile="sync"
             and "background", and JAX (no persistent cache) in the same rounds.
  tiering    the caller's per-call latency while a background compile runs, with the
             compile in a worker process (TAPEFLOW_COMPILE_WORKER=process, the default) and
             on a thread, against the same calls on the interpreter with nothing compiling.
Medians over --runs processes per row. The machine is shared: the load average is printed.
"""

import time

_T_START = time.time()

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

WIDTH = 64
BATCH = 32
LR = 0.01


# --------------------------------------------------------------------------------------------
# Children (self-contained: the JAX child never imports tapeflow)
# --------------------------------------------------------------------------------------------


def _mlp_data(layers: int, batch: int = BATCH):
    import numpy as np

    rng = np.random.default_rng(0)
    ws = [(rng.normal(size=(WIDTH, WIDTH)) / np.sqrt(WIDTH)).astype(np.float32)
          for _ in range(layers)]
    bs = [np.zeros(WIDTH, np.float32) for _ in range(layers)]
    x = rng.normal(size=(batch, WIDTH)).astype(np.float32)
    y = rng.normal(size=(batch, WIDTH)).astype(np.float32)
    return ws, bs, x, y


def _time_calls(step, args, n: int = 20) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        step(*args)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _sync(tf) -> dict:
    """Compile on the calling thread (the first compiled call is what is measured), where
    the installed tapeflow has the option."""
    import inspect

    return {"compile": "sync"} if "compile" in inspect.signature(tf.function).parameters else {}


def _mlp_step(tf, ws0, bs0, **options):
    """The deep-MLP training step (tanh layers, mean squared error, SGD) over fresh
    Variables holding `ws0` and `bs0`, as a tf.function with `options`."""
    ws = [tf.Variable(w) for w in ws0]
    bs = [tf.Variable(b) for b in bs0]

    @tf.function(**options)
    def step(x, y):
        with tf.GradientTape() as tape:
            h = x
            for w, b in zip(ws, bs):
                h = tf.tanh(h @ w + b)
            loss = tf.reduce_mean((h - y) ** 2)
        grads = tape.gradient(loss, ws + bs)
        for v, g in zip(ws + bs, grads):
            v.assign_sub(LR * g)
        return loss

    return step


def child_tapeflow_mlp(layers: int, start_numba: bool = False) -> dict:
    out = {}
    t_import = time.perf_counter()
    import numpy as np

    import tapeflow as tf

    if start_numba:
        # Numba's own start (import, scipy's BLAS, its typing and target contexts) before
        # the step is built, as JAX's backend is started in child_jax_mlp(started=True).
        t = time.perf_counter()
        import numba

        numba.njit(lambda v: v + 1.0)(1.0)
        out["backend_start"] = time.perf_counter() - t
    ws0, bs0, x, y = _mlp_data(layers)
    step = _mlp_step(tf, ws0, bs0, **_sync(tf))

    t = time.perf_counter()
    step(x, y)
    out["trace"] = time.perf_counter() - t
    t = time.perf_counter()
    step(x, y)
    out["compile"] = time.perf_counter() - t
    out["from_import"] = time.perf_counter() - t_import
    out["per_call"] = _time_calls(step, (x, y))
    graph = step.get_concrete_function(x, y).graph
    out["equations"] = len(graph.eqns)
    out["native"] = step.get_concrete_function(x, y).executor.entry is not None
    out["loss"] = float(np.asarray(step(x, y)))
    try:
        from tapeflow.codegen.compile import compile_log

        out["kernels"] = len({key for key, _, _ in compile_log})  # distinct kernels compiled
    except ImportError:  # a tapeflow before kernels
        pass
    return out


def child_tapeflow_mlp_started(layers: int) -> dict:
    return child_tapeflow_mlp(layers, start_numba=True)


def child_tapeflow_batch(layers: int) -> dict:
    import tapeflow as tf

    ws0, bs0, x, y = _mlp_data(layers)
    _, _, x2, y2 = _mlp_data(layers, batch=BATCH + 16)
    spec = [tf.TensorSpec([None, WIDTH], tf.float32)] * 2
    step = _mlp_step(tf, ws0, bs0, input_signature=spec, **_sync(tf))

    step(x, y)  # traces
    t = time.perf_counter()
    step(x, y)
    first = time.perf_counter() - t
    t = time.perf_counter()
    step(x2, y2)
    second = time.perf_counter() - t
    return {"first": first, "second": second}


def child_jax_mlp(layers: int, started: bool = False) -> dict:
    out = {}
    t_import = time.perf_counter()
    import jax
    import jax.numpy as jnp

    if started:
        # XLA's CPU client and JAX's first-jit machinery, before the step is built.
        t = time.perf_counter()
        jax.devices()
        jax.jit(lambda v: v + 1.0)(1.0).block_until_ready()
        out["backend_start"] = time.perf_counter() - t
    ws0, bs0, x, y = _mlp_data(layers)
    params = ([jnp.asarray(w) for w in ws0], [jnp.asarray(b) for b in bs0])

    def loss_fn(params, x, y):
        h = x
        for w, b in zip(*params):
            h = jnp.tanh(h @ w + b)
        return jnp.mean((h - y) ** 2)

    @jax.jit
    def step(params, x, y):
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        new = jax.tree_util.tree_map(lambda p, g: p - LR * g, params, grads)
        return new, loss

    t = time.perf_counter()
    params, loss = step(params, x, y)
    loss.block_until_ready()
    out["compile"] = time.perf_counter() - t
    out["from_import"] = time.perf_counter() - t_import
    times = []
    for _ in range(20):
        t = time.perf_counter()
        params, loss = step(params, x, y)
        loss.block_until_ready()
        times.append(time.perf_counter() - t)
    out["per_call"] = statistics.median(times)
    return out


def child_tapeflow_w4_background(steps: int) -> dict:
    """The W4 steps with the default compile mode: the interpreter runs them while a worker
    process compiles (or they load from the cache)."""
    import tapeflow as tf

    step, x, labels = _w4_step(tf)
    native = 0
    for _ in range(steps):
        step(x, labels)
        native += step.get_concrete_function(x, labels).executor.entry is not None
    return {"to_end": time.time() - _T_START, "native_steps": native}


def child_jax_w4(steps: int) -> dict:
    import jax
    import jax.numpy as jnp
    import numpy as np

    rng = np.random.default_rng(0)
    params = [jnp.asarray((rng.normal(size=(784, 256)) * np.sqrt(2 / 784)).astype(np.float32)),
              jnp.zeros(256, jnp.float32),
              jnp.asarray((rng.normal(size=(256, 10)) / np.sqrt(256)).astype(np.float32)),
              jnp.zeros(10, jnp.float32)]
    x = jnp.asarray(rng.normal(size=(128, 784)).astype(np.float32))
    labels = jnp.asarray(rng.integers(0, 10, 128).astype(np.int32))

    def loss_fn(params, x, labels):
        w1, b1, w2, b2 = params
        logits = jax.nn.relu(x @ w1 + b1) @ w2 + b2
        logp = jax.nn.log_softmax(logits)
        return -jnp.mean(jnp.take_along_axis(logp, labels[:, None], axis=1))

    @jax.jit
    def step(params, x, labels):
        loss, grads = jax.value_and_grad(loss_fn)(params, x, labels)
        return [p - 0.1 * g for p, g in zip(params, grads)], loss

    for _ in range(steps):
        params, loss = step(params, x, labels)
    loss.block_until_ready()
    return {"to_end": time.time() - _T_START}


def child_tapeflow_w4(steps: int) -> dict:
    import numpy as np

    import tapeflow as tf

    rng = np.random.default_rng(0)
    params = [tf.Variable((rng.normal(size=(784, 256)) * np.sqrt(2 / 784)).astype(np.float32)),
              tf.Variable(np.zeros(256, np.float32)),
              tf.Variable((rng.normal(size=(256, 10)) / np.sqrt(256)).astype(np.float32)),
              tf.Variable(np.zeros(10, np.float32))]
    x = rng.normal(size=(128, 784)).astype(np.float32)
    labels = rng.integers(0, 10, 128).astype(np.int32)

    @tf.function(**_sync(tf))
    def step(x, labels):
        w1, b1, w2, b2 = params
        with tf.GradientTape() as tape:
            logits = tf.nn.relu(x @ w1 + b1) @ w2 + b2
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=labels, logits=logits))
        grads = tape.gradient(loss, params)
        for p, g in zip(params, grads):
            p.assign_sub(0.1 * g)
        return loss

    for _ in range(steps):
        step(x, labels)
    return {"to_end": time.time() - _T_START}


def _w4_step(tf, **options):
    import numpy as np

    rng = np.random.default_rng(0)
    params = [tf.Variable((rng.normal(size=(784, 256)) * np.sqrt(2 / 784)).astype(np.float32)),
              tf.Variable(np.zeros(256, np.float32)),
              tf.Variable((rng.normal(size=(256, 10)) / np.sqrt(256)).astype(np.float32)),
              tf.Variable(np.zeros(10, np.float32))]
    x = rng.normal(size=(128, 784)).astype(np.float32)
    labels = rng.integers(0, 10, 128).astype(np.int32)

    @tf.function(**options)
    def step(x, labels):
        w1, b1, w2, b2 = params
        with tf.GradientTape() as tape:
            logits = tf.nn.relu(x @ w1 + b1) @ w2 + b2
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=labels, logits=logits))
        grads = tape.gradient(loss, params)
        for p, g in zip(params, grads):
            p.assign_sub(0.1 * g)
        return loss

    return step, x, labels


def child_tapeflow_tiering(layers: int) -> dict:
    """Per-call latency of a W4 step (layers == 0) or a deep MLP's while a thread compiles
    it, against the same calls on the interpreter alone."""
    import tapeflow as tf

    def build(**options):
        if layers == 0:
            step, x, labels = _w4_step(tf, **options)
            return step, (x, labels)
        ws0, bs0, x, y = _mlp_data(layers)
        return _mlp_step(tf, ws0, bs0, **options), (x, y)

    step, args = build(backend="interpreter")
    step(*args)
    alone = [_time_calls(step, args, 1) for _ in range(20)]
    step, args = build(compile="background")
    t0 = time.perf_counter()
    step(*args)  # traces
    during = []
    while step.get_concrete_function(*args).executor.entry is None:
        during.append(_time_calls(step, args, 1))
        if time.perf_counter() - t0 > 120:
            break
    ready = time.perf_counter() - t0
    after = [_time_calls(step, args, 1) for _ in range(20)]
    step, args = build(backend="interpreter")  # the interpreter alone again, after
    step(*args)
    alone += [_time_calls(step, args, 1) for _ in range(20)]
    return {"alone": statistics.median(alone), "during": statistics.median(during or [0]),
            "during_max": max(during or [0]), "calls_during": len(during), "ready": ready,
            "native": statistics.median(after)}


CHILDREN = {"tapeflow_tiering": child_tapeflow_tiering,
            "tapeflow_w4_background": child_tapeflow_w4_background,
            "tapeflow_mlp": child_tapeflow_mlp, "jax_mlp": child_jax_mlp,
            "tapeflow_mlp_started": child_tapeflow_mlp_started,
            "jax_mlp_started": lambda layers: child_jax_mlp(layers, started=True),
            "tapeflow_batch": child_tapeflow_batch, "tapeflow_w4": child_tapeflow_w4,
            "jax_w4": child_jax_w4}


# --------------------------------------------------------------------------------------------
# Parent
# --------------------------------------------------------------------------------------------


def _run_child(name: str, arg: int, cache_dir: str, **env_vars) -> dict | None:
    env = dict(os.environ, TAPEFLOW_CACHE_DIR=cache_dir, **env_vars)
    started = time.time()
    proc = subprocess.run([sys.executable, __file__, "--child", name, "--arg", str(arg)],
                          env=env, capture_output=True, text=True, timeout=1800, check=False)
    if proc.returncode != 0:
        print(f"  {name}({arg}) failed:\n{proc.stderr[-2000:]}")
        return None
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    if "to_end" in result:  # measured from the child's start; add the interpreter's own start
        result["to_end"] += result.pop("_t0") - started
    return result


def _median(rows, key):
    values = [r[key] for r in rows if r is not None and key in r]
    return statistics.median(values) if values else float("nan")


def _has_jax() -> bool:
    import importlib.util

    return importlib.util.find_spec("jax") is not None


def run_mlp(layer_counts, runs: int, against: str | None = None) -> None:
    """The deep-MLP rows; `against`: a directory holding another tapeflow/ package, whose
    processes run in the same rounds (alternating) for a before/after comparison."""
    jax = _has_jax()
    this = str(Path(__file__).resolve().parent.parent)  # (tapeflow from this checkout)
    print(f"deep MLP (L tanh layers of {WIDTH}, batch {BATCH}, SGD), empty cache, "
          f"medians of {runs} round(s) of alternating processes"
          + ("" if jax else "; JAX not installed"))
    print("  first compiled call, cold: the backend (Numba / XLA) starts in it; started: "
          "the backend started before; import to result: cold process, from the import "
          "to the end of the first compiled call")
    print(f"{'L':>5} {'eqns':>6} {'kernels':>7} {'native':>6} {'':>9}{'cold s':>8} "
          f"{'started s':>10} {'import to result s':>19} {'per call ms':>12}")
    loads = [os.getloadavg()[0]]
    for layers in layer_counts:
        keys = ["tapeflow_mlp", "tapeflow_mlp_started", "jax_mlp", "jax_mlp_started"]
        keys += ["against tapeflow_mlp", "against tapeflow_mlp_started"] if against else []
        rows: dict = {key: [] for key in keys}
        for _ in range(runs):  # one process of each kind per round, alternating
            for key, results in rows.items():
                tree, _, child = key.rpartition(" ")
                if child.startswith("jax") and not jax:
                    continue
                with tempfile.TemporaryDirectory() as cache:  # empty
                    results.append(_run_child(child, layers, cache,
                                              PYTHONPATH=against if tree else this))
            loads.append(os.getloadavg()[0])
        ok = [r for r in rows["tapeflow_mlp"] if r]
        native = all(r["native"] for r in ok) if ok else False
        eqns = ok[0]["equations"] if ok else 0
        kernels = _median(rows["tapeflow_mlp"], "kernels")
        figures = {}
        for name in ("tapeflow", "jax"):
            cold, started = rows[f"{name}_mlp"], rows[f"{name}_mlp_started"]
            figures[name] = (_median(cold, "compile"), _median(started, "compile"),
                             _median(cold, "from_import"),
                             _median(cold + started, "per_call"))
        for name, head in (("tapeflow", f"{layers:>5} {eqns:>6} {kernels:>7.0f} {native!s:>6}"),
                           ("jax", " " * 27)):
            cold, started, from_import, per_call = figures[name]
            print(f"{head} {name:>9}{cold:>8.2f} {started:>10.2f} {from_import:>19.2f} "
                  f"{per_call * 1e3:>12.3f}", flush=True)
        ratios = [a / b for a, b in zip(figures["tapeflow"], figures["jax"])]
        print(f"{'':>27} {'ratio':>9}{ratios[0]:>7.2f}x {ratios[1]:>9.2f}x {ratios[2]:>18.2f}x "
              f"{ratios[3]:>11.2f}x")
        started = [r["compile"] / j["compile"] for r, j in
                   zip(rows["tapeflow_mlp_started"], rows["jax_mlp_started"]) if r and j]
        if started:
            print(f"{'':>27} started ratio per round: "
                  + " ".join(f"{ratio:.2f}x" for ratio in started))
        if against:
            cold = _median(rows["against tapeflow_mlp"], "compile")
            started = _median(rows["against tapeflow_mlp_started"], "compile")
            this_cold, this_started = figures["tapeflow"][:2]
            jax_cold, jax_started = figures["jax"][:2]
            print(f"{'':>27} against {against}: cold {cold:.2f} s, started {started:.2f} s; "
                  f"this/against {this_cold / cold:.2f}x / {this_started / started:.2f}x; "
                  f"ratio to JAX {cold / jax_cold:.2f}x -> {this_cold / jax_cold:.2f}x cold, "
                  f"{started / jax_started:.2f}x -> {this_started / jax_started:.2f}x started")
        print(f"{'':>27} backend start alone: Numba "
              f"{_median(rows['tapeflow_mlp_started'], 'backend_start'):.2f} s, JAX "
              f"{_median(rows['jax_mlp_started'], 'backend_start'):.2f} s")
    print(f"load average over the rounds {min(loads):.1f}-{max(loads):.1f}")
    print("target: tapeflow's first compiled call within 2x of JAX's at L = 32 and 128")


def run_batch(layers: int, runs: int) -> None:
    rows = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as cache:
            rows.append(_run_child("tapeflow_batch", layers, cache))
    first, second = _median(rows, "first"), _median(rows, "second")
    print(f"None batch dimension, L = {layers}: first compiled call {first:.2f} s, a second "
          f"batch size {second:.3f} s ({second / first:.1%} of the first; target < 10%)")


def run_tiering(runs: int) -> None:
    """The caller's per-call latency while a background compile runs, with the compile in a
    worker process (the default) and on a thread of the caller, interleaved."""
    for layers, what in ((0, "W4 step"), (32, "deep MLP, L = 32")):
        rows: dict = {"process": [], "thread": []}
        for _ in range(runs):
            for mode in rows:
                with tempfile.TemporaryDirectory() as cache:
                    rows[mode].append(_run_child("tapeflow_tiering", layers, cache,
                                                 TAPEFLOW_COMPILE_WORKER=mode))
        for mode, r in rows.items():
            during, alone = _median(r, "during"), _median(r, "alone")
            print(f"compile='background' in a {mode}, {what}: native after "
                  f"{_median(r, 'ready'):.2f} s; {_median(r, 'calls_during'):.0f} calls "
                  f"meanwhile at {during * 1e3:.1f} ms median "
                  f"(max {_median(r, 'during_max') * 1e3:.0f} ms) against "
                  f"{alone * 1e3:.1f} ms on the interpreter alone ({during / alone:.2f}x); "
                  f"native {_median(r, 'native') * 1e3:.2f} ms", flush=True)


def run_w4(runs: int, steps: int = 10) -> None:
    """A fresh process to the end of the 10th W4 step: tapeflow with compile='sync' and with
    the default compile='background', each with an empty cache and then with the cache that
    run filled, and JAX (no persistent cache) in the same rounds, interleaved."""
    rows: dict = {key: [] for key in ("sync cold", "sync warm", "background cold",
                                      "background warm", "jax")}
    jax = _has_jax()
    for _ in range(runs):
        for mode in ("sync", "background"):
            child = "tapeflow_w4" if mode == "sync" else "tapeflow_w4_background"
            with tempfile.TemporaryDirectory() as cache:
                rows[f"{mode} cold"].append(_run_child(child, steps, cache))
                if mode == "background":
                    time.sleep(15)  # the worker of the cold run may still be filling it
                rows[f"{mode} warm"].append(_run_child(child, steps, cache))
        if jax:
            with tempfile.TemporaryDirectory() as cache:
                rows["jax"].append(_run_child("jax_w4", steps, cache))
    jax_s = _median(rows["jax"], "to_end")
    print(f"fresh process to the end of the {steps}th W4 step, medians of {runs}"
          + (f"; JAX {jax_s:.2f} s" if jax else "; JAX not installed"))
    for key in rows:
        if key == "jax":
            continue
        t = _median(rows[key], "to_end")
        native = _median(rows[key], "native_steps")
        print(f"  tapeflow compile='{key.split()[0]}', {key.split()[1]} cache: {t:.2f} s"
              + (f" ({t / jax_s:.2f}x JAX)" if jax else "")
              + (f", {native:.0f} of the steps native" if native == native else ""))
    print("  targets: empty cache no slower than JAX, warm cache <= 0.4 s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child")
    parser.add_argument("--arg", type=int, default=0)
    parser.add_argument("--layers", default="2,8,32,128")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--only", default="mlp,batch,w4,tiering")
    parser.add_argument("--against", help="mlp rows: a directory holding another tapeflow/ "
                        "package, run in the same rounds (e.g. git archive main | tar -x)")
    args = parser.parse_args()
    if args.child:
        result = CHILDREN[args.child](args.arg)
        result["_t0"] = _T_START
        print(json.dumps(result))
        return
    from _timing import write_bytecode

    write_bytecode(Path(__file__).resolve().parent.parent, *filter(None, [args.against]))
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    only = args.only.split(",")
    if "mlp" in only:
        run_mlp([int(n) for n in args.layers.split(",")], args.runs, args.against)
    if "batch" in only:
        run_batch(8, args.runs)
    if "w4" in only:
        run_w4(args.runs)
    if "tiering" in only:
        run_tiering(args.runs)
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()

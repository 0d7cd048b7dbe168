"""The benchmark issue's workloads W1-W4: tapeflow against numpy and its peers, in one process.

    python benchmarks/workloads.py                 # every workload, full timing (minutes)
    python benchmarks/workloads.py --quick         # shorter batches, fewer repeats
    python benchmarks/workloads.py --only W3,W4    # a selection (W3 runs all three sizes)

The peers (PyTorch eager and torch.compile, JAX jit, TensorFlow tf.function) run when they are
importable: `pip install -e .[bench]` in a virtual environment of its own. Each one missing is
skipped with a note.

Workloads, all float32:
  W1  y = x**2 and dy/dx for a scalar variable
  W2  the seed linear model: loss = mean((x@w+b)**2), w (3,2), b (2), x [[1,2,3]]; gradients;
      SGD w -= 0.01*gw, b -= 0.01*gb; the whole step in one function
  W3  loss = sum(softplus(sin(x)*x + exp(-x*x))) and its gradient, x of 1e3, 1e5, 1e7 in [-2, 2]
  W4  MLP step: x (128,784) @ W1 (784,256) + b1, relu, @ W2 (256,10) + b2, mean softmax
      cross-entropy over 10 classes, SGD lr 0.1 on all four parameters

Every implementation first runs two steps from the same initial values, checked against the
numpy steps (assert_allclose at float32 tolerance); only then is it timed. For each workload it
prints a table: variant; median time per call (median of batches whose size is calibrated per
variant); that time over tapeflow numba's; the fastest batch (far below the median when other
processes competed); the 1st and 2nd call (tapeflow's first call traces and runs eagerly, its
second compiles or loads the compiled code from TAPEFLOW_CACHE_DIR; the peers compile on their
first call). Below the table: the fastest peer, and the issue's target. W4 also gets a BLAS
floor: numpy's float32 matmul time on the step's own products, measured in the same run.
Each title ends with the load average: above the number of cores, other processes competed
with the benchmark (two-thread BLAS and parallel loops suffer most: a call waits for a
scheduler slice), so rerun before trusting a close call.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import importlib.util
import os
import statistics
import sys
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from _timing import auto_times, batch_time, format_seconds

import tapeflow as tf

# --------------------------------------------------------------------------------------------
# The workloads. Each is written once per library: numpy with a hand-written gradient, then a
# `tf_*` function shared by tapeflow and TensorFlow (tapeflow runs TensorFlow's code as is,
# so the same source serves both), then torch and JAX.
# --------------------------------------------------------------------------------------------


@dataclass
class Workload:
    """One workload at one size, and how to check each implementation of it.

    kind "grad": the value of a scalar function f(x) and its gradient for x (W1, W3).
    kind "sgd": one SGD step on `params` (updated in place), with `data` as the step's
    arguments; the check compares the loss and the parameters after the step (W2, W4).
    """

    key: str  # what --only selects ("W3" selects every size)
    name: str
    title: str
    kind: str
    init: dict[str, np.ndarray]
    numpy_step: Callable
    tf_fn: Callable  # (tf module, x) for "grad"; (tf module, params, *data) for "sgd"
    torch_fn: Callable
    jax_fn: Callable
    params: tuple[str, ...] = ()
    data: tuple[str, ...] = ()
    lr: float = 0.0
    x_is_variable: bool = False  # "grad": x is a tf.Variable (W1), or an input tensor (W3)
    rtol: float = 1e-4
    atol: float = 1e-6


# W1 ------------------------------------------------------------------------------------------

def w1_numpy(x):
    return x**2, 2 * x


def w1_tf(tf_mod, x):
    return x**2


def w1_torch(x):
    return x**2


def w1_jax(x):
    return x**2


# W2: the seed linear model -------------------------------------------------------------------

def w2_numpy(params, x):
    w, b = params
    y = x @ w + b
    loss = np.mean(y**2)
    dy = (2.0 / y.size) * y  # d mean(y^2) / dy
    gw = x.T @ dy
    gb = dy.sum(axis=0)
    w -= 0.01 * gw
    b -= 0.01 * gb
    return loss


def w2_tf(tf_mod, params, x):
    w, b = params
    return tf_mod.reduce_mean((x @ w + b) ** 2)


def w2_torch(params, x):
    w, b = params
    return ((x @ w + b) ** 2).mean()


def w2_jax(params, x):
    import jax.numpy as jnp

    w, b = params
    return jnp.mean((x @ w + b) ** 2)


# W3 ------------------------------------------------------------------------------------------

def w3_numpy(x):
    sin_x = np.sin(x)
    gauss = np.exp(-x * x)
    z = sin_x * x + gauss
    value = np.sum(np.logaddexp(np.float32(0), z))  # softplus(z) = log(1 + e^z)
    # softplus'(z) = sigmoid(z); dz/dx = cos(x)*x + sin(x) - 2x*exp(-x^2)
    grad = (1 / (1 + np.exp(-z))) * (np.cos(x) * x + sin_x - 2 * x * gauss)
    return value, grad


def w3_tf(tf_mod, x):
    return tf_mod.reduce_sum(tf_mod.nn.softplus(tf_mod.sin(x) * x + tf_mod.exp(-x * x)))


def w3_torch(x):
    import torch

    return torch.sum(torch.nn.functional.softplus(torch.sin(x) * x + torch.exp(-x * x)))


def w3_jax(x):
    import jax
    import jax.numpy as jnp

    return jnp.sum(jax.nn.softplus(jnp.sin(x) * x + jnp.exp(-x * x)))


# W4: MLP step --------------------------------------------------------------------------------

def w4_numpy(params, x, labels):
    w1, b1, w2, b2 = params
    rows = np.arange(len(labels))
    pre = x @ w1 + b1
    h = np.maximum(pre, 0)
    logits = h @ w2 + b2
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    loss = -np.mean(shifted[rows, labels] - np.log(total[:, 0]))
    # d loss / d logits = (softmax - one_hot) / batch
    dlogits = exp / total
    dlogits[rows, labels] -= 1
    dlogits /= len(labels)
    gw2 = h.T @ dlogits
    gb2 = dlogits.sum(axis=0)
    dh = (dlogits @ w2.T) * (pre > 0)  # relu'(0) = 0, as in TensorFlow
    gw1 = x.T @ dh
    gb1 = dh.sum(axis=0)
    for p, g in zip(params, (gw1, gb1, gw2, gb2)):
        p -= 0.1 * g
    return loss


def w4_tf(tf_mod, params, x, labels):
    w1, b1, w2, b2 = params
    logits = tf_mod.nn.relu(x @ w1 + b1) @ w2 + b2
    return tf_mod.reduce_mean(
        tf_mod.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))


def w4_torch(params, x, labels):
    import torch

    w1, b1, w2, b2 = params
    logits = torch.relu(x @ w1 + b1) @ w2 + b2
    return torch.nn.functional.cross_entropy(logits, labels)


def w4_jax(params, x, labels):
    import jax
    import jax.numpy as jnp

    w1, b1, w2, b2 = params
    logits = jax.nn.relu(x @ w1 + b1) @ w2 + b2
    log_probs = jax.nn.log_softmax(logits)
    return -jnp.mean(jnp.take_along_axis(log_probs, labels[:, None], axis=1))


# W4's matrix products, for the BLAS floor: (what it is, m, k, n, whether the left and the
# right operand is a transposed view in the step, whether the step needs the product). The step
# never needs dx = dh @ W1.T: x is data, not a parameter.
W4_PRODUCTS = [
    ("x @ W1          forward", 128, 784, 256, False, False, True),
    ("h @ W2          forward", 128, 256, 10, False, False, True),
    ("h.T @ dlogits   gW2", 256, 128, 10, True, False, True),
    ("dlogits @ W2.T  dh", 128, 10, 256, False, True, True),
    ("x.T @ dh        gW1", 784, 128, 256, True, False, True),
    ("dh @ W1.T       dx (unused)", 128, 256, 784, False, True, False),
]


def make_workloads() -> list[Workload]:
    f32 = np.float32
    rng = np.random.default_rng(0)
    workloads = [
        Workload("W1", "W1", "y = x**2 and dy/dx, x a scalar variable", "grad",
                 {"x": np.array(3.0, f32)}, w1_numpy, w1_tf, w1_torch, w1_jax,
                 x_is_variable=True),
        Workload("W2", "W2", "seed linear model: mean((x@w+b)**2), gradients, SGD 0.01",
                 "sgd",
                 {"w": rng.normal(size=(3, 2)).astype(f32), "b": np.zeros(2, f32),
                  "x": np.array([[1.0, 2.0, 3.0]], f32)},
                 w2_numpy, w2_tf, w2_torch, w2_jax, params=("w", "b"), data=("x",), lr=0.01),
    ]
    for n in (10**3, 10**5, 10**7):
        workloads.append(Workload(
            "W3", f"W3 n=1e{len(str(n)) - 1}",
            f"sum(softplus(sin(x)*x + exp(-x*x))) and its gradient, x of {n:,}", "grad",
            {"x": rng.uniform(-2, 2, n).astype(f32)}, w3_numpy, w3_tf, w3_torch, w3_jax,
            atol=1e-5))
    workloads.append(Workload(
        "W4", "W4", "MLP step 784-256-10, batch 128, softmax cross-entropy, SGD 0.1", "sgd",
        {"W1": (rng.normal(size=(784, 256)) * np.sqrt(2 / 784)).astype(f32),
         "b1": np.zeros(256, f32),
         "W2": (rng.normal(size=(256, 10)) / np.sqrt(256)).astype(f32),
         "b2": np.zeros(10, f32),
         "x": rng.normal(size=(128, 784)).astype(f32),
         "labels": rng.integers(0, 10, 128).astype(np.int32)},
        w4_numpy, w4_tf, w4_torch, w4_jax, params=("W1", "b1", "W2", "b2"),
        data=("x", "labels"), lr=0.1))
    return workloads


# --------------------------------------------------------------------------------------------
# One implementation per library and kind. `step()` is what gets timed: the whole call a user
# makes, including the library's Python-side path (and, for JAX, waiting for the result).
# `read(out)` turns a step's result, and the state it left, into numpy arrays.
# --------------------------------------------------------------------------------------------


@dataclass
class Impl:
    step: Callable[[], object]
    read: Callable[[object], dict[str, np.ndarray]]
    traces: Callable[[], int] | None = None  # tapeflow.function: how often it has traced


def numpy_impl(w: Workload) -> Impl:
    if w.kind == "grad":
        x = w.init["x"].copy()
        return Impl(lambda: w.numpy_step(x),
                    lambda out: {"value": np.asarray(out[0]), "grad": np.asarray(out[1])})
    params = [w.init[n].copy() for n in w.params]
    data = [w.init[n] for n in w.data]
    return Impl(lambda: w.numpy_step(params, *data),
                lambda loss: {"loss": np.asarray(loss),
                              **{n: p.copy() for n, p in zip(w.params, params)}})


def tf_impl(w: Workload, tf_mod, decorate=None, count_traces=None) -> Impl:
    """tapeflow (eager, or `decorate`d with tf.function) or TensorFlow: one source for both."""
    if w.kind == "grad":
        fn, args, read = _tf_grad_step(w, tf_mod)
    else:
        fn, args, read = _tf_sgd_step(w, tf_mod)
    if decorate is not None:
        fn = decorate(fn)
    traces = functools.partial(count_traces, fn) if count_traces else None
    return Impl(functools.partial(fn, *args), read, traces)


def _tf_grad_step(w: Workload, tf_mod):
    if w.x_is_variable:
        x = tf_mod.Variable(w.init["x"])

        def grad_of_variable():
            with tf_mod.GradientTape() as tape:
                y = w.tf_fn(tf_mod, x)
            return y, tape.gradient(y, x)

        fn, args = grad_of_variable, ()
    else:
        def grad_of_input(x):
            with tf_mod.GradientTape() as tape:
                tape.watch(x)
                y = w.tf_fn(tf_mod, x)
            return y, tape.gradient(y, x)

        fn, args = grad_of_input, (tf_mod.constant(w.init["x"]),)
    return fn, args, lambda out: {"value": out[0].numpy(), "grad": out[1].numpy()}


def _tf_sgd_step(w: Workload, tf_mod):
    variables = [tf_mod.Variable(w.init[n], name=n) for n in w.params]

    def sgd_step(*data):
        with tf_mod.GradientTape() as tape:
            loss = w.tf_fn(tf_mod, variables, *data)
        grads = tape.gradient(loss, variables)
        for v, g in zip(variables, grads):
            v.assign_sub(w.lr * g)
        return loss

    data = tuple(tf_mod.constant(w.init[n]) for n in w.data)
    return sgd_step, data, lambda loss: {
        "loss": loss.numpy(), **{n: v.numpy() for n, v in zip(w.params, variables)}}


def _torch_tensor(array):
    import torch

    # cross_entropy takes class indices as int64
    return torch.tensor(array, dtype=torch.int64 if array.dtype.kind in "iu" else None)


def torch_impl(w: Workload, flavour: str) -> Impl:
    """One of three flavours of torch.

    "eager": autograd as users write it (for training: zero_grad, backward, the step of
    torch.optim.SGD). "compile": that same step wrapped in torch.compile (Dynamo splits it at
    the backward call). "func": torch.func.grad_and_value and in-place updates, compiled as one
    graph (fullgraph=True), which avoids the graph breaks of the plain version.
    """
    import torch

    compile_ = functools.partial(torch.compile, dynamic=False)  # specialise per shape, as JAX
    if w.kind == "grad" and flavour == "func":
        x = _torch_tensor(w.init["x"])

        @functools.partial(compile_, fullgraph=True)
        def value_and_grad(x):
            grad, value = torch.func.grad_and_value(w.torch_fn)(x)
            return value, grad

        return Impl(functools.partial(value_and_grad, x),
                    lambda out: {"value": out[0].numpy(), "grad": out[1].numpy()})
    if w.kind == "grad":
        x = _torch_tensor(w.init["x"]).requires_grad_()

        def value_and_grad():
            y = w.torch_fn(x)
            (grad,) = torch.autograd.grad(y, x)
            return y, grad

        step = compile_(value_and_grad) if flavour == "compile" else value_and_grad
        return Impl(step, lambda out: {"value": out[0].detach().numpy(),
                                       "grad": out[1].detach().numpy()})

    data = [_torch_tensor(w.init[n]) for n in w.data]
    if flavour == "func":
        params = [_torch_tensor(w.init[n]) for n in w.params]

        @functools.partial(compile_, fullgraph=True)
        def sgd_step(params, *data):
            grads, loss = torch.func.grad_and_value(w.torch_fn)(params, *data)
            for p, g in zip(params, grads):
                p.sub_(w.lr * g)
            return loss

        call = functools.partial(sgd_step, params, *data)
    else:
        params = [_torch_tensor(w.init[n]).requires_grad_() for n in w.params]
        optimizer = torch.optim.SGD(params, lr=w.lr)

        def sgd_step(*data):
            optimizer.zero_grad()
            loss = w.torch_fn(params, *data)
            loss.backward()
            optimizer.step()
            return loss

        step = compile_(sgd_step) if flavour == "compile" else sgd_step
        call = functools.partial(step, *data)
    return Impl(call, lambda loss: {
        "loss": loss.detach().numpy(),
        **{n: p.detach().numpy().copy() for n, p in zip(w.params, params)}})


def jax_impl(w: Workload) -> Impl:
    """jax.jit(jax.value_and_grad(...)), with the SGD update inside the jitted function."""
    import jax
    import jax.numpy as jnp

    if w.kind == "grad":
        x = jnp.asarray(w.init["x"])
        value_and_grad = jax.jit(jax.value_and_grad(w.jax_fn))
        return Impl(lambda: jax.block_until_ready(value_and_grad(x)),
                    lambda out: {"value": np.asarray(out[0]), "grad": np.asarray(out[1])})

    # The old parameters are donated: XLA may write the new ones into their buffers.
    @functools.partial(jax.jit, donate_argnums=0)
    def sgd_step(params, *data):
        loss, grads = jax.value_and_grad(w.jax_fn)(params, *data)
        return jax.tree.map(lambda p, g: p - w.lr * g, params, grads), loss

    state = {"params": [jnp.asarray(w.init[n]) for n in w.params]}
    data = [jnp.asarray(w.init[n]) for n in w.data]

    def step():
        state["params"], loss = sgd_step(state["params"], *data)
        return jax.block_until_ready(loss)

    return Impl(step, lambda loss: {
        "loss": np.asarray(loss),
        **{n: np.asarray(p) for n, p in zip(w.params, state["params"])}})


# --------------------------------------------------------------------------------------------
# Variants: which implementations exist in this environment.
# --------------------------------------------------------------------------------------------

BASELINE = "tapeflow numba"


def _tapeflow_traces(fn) -> int:
    return fn.experimental_get_tracing_count()


def _installed(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def import_peers() -> tuple[list[str], list[str]]:
    """Import the installed peers now, before tapeflow compiles anything.

    tapeflow's compiler sets OMP_WAIT_POLICY=PASSIVE when it is first imported (idle Numba
    OpenMP workers otherwise starve BLAS). torch ships its own libgomp, which reads that
    variable when it loads: importing torch first keeps torch's default behaviour.
    Returns (installed, missing).
    """
    installed, missing = [], []
    for name in ("torch", "jax", "tensorflow"):
        if _installed(name):
            importlib.import_module(name)
            installed.append(name)
        else:
            missing.append(name)
    return installed, missing


def variants(w: Workload, peers: list[str]) -> list[tuple[str, bool, Callable[[], Impl]]]:
    """(name, is a peer, build) in the order the table shows them; the baseline first."""
    def function(backend):
        # compile="sync": the 2nd call is the first compiled one, and timing starts on
        # native code (the default, background, runs calls on the interpreter meanwhile).
        return lambda fn: tf.function(fn, backend=backend, compile="sync")

    out = [
        (BASELINE, False, lambda: tf_impl(w, tf, function("numba"), _tapeflow_traces)),
        ("tapeflow interpreter", False,
         lambda: tf_impl(w, tf, function("interpreter"), _tapeflow_traces)),
        ("tapeflow eager", False, lambda: tf_impl(w, tf)),
        ("numpy (hand-written gradient)", False, lambda: numpy_impl(w)),
    ]
    if "torch" in peers:
        out += [
            ("torch eager", True, lambda: torch_impl(w, "eager")),
            ("torch.compile", True, lambda: torch_impl(w, "compile")),
            ("torch.compile torch.func", True, lambda: torch_impl(w, "func")),
        ]
    if "jax" in peers:
        out.append(("jax.jit", True, lambda: jax_impl(w)))
    if "tensorflow" in peers:
        tensorflow = sys.modules["tensorflow"]
        out.append(("tensorflow tf.function", True,
                    lambda: tf_impl(w, tensorflow, tensorflow.function)))
    return out


# --------------------------------------------------------------------------------------------
# Running, checking, timing, printing.
# --------------------------------------------------------------------------------------------


@dataclass
class Row:
    name: str
    peer: bool
    median: float | None = None
    best: float | None = None  # the fastest batch: far below the median means contention
    first_calls: list[float] | None = None  # the 1st and 2nd call: tracing, compiling
    note: str = ""


# The check runs this many steps from the initial values. One would not be enough: tapeflow's first
# call runs the traced Python eagerly and only the second runs the compiled graph.
CHECKED_STEPS = 2


def reference(w: Workload) -> list[dict[str, np.ndarray]]:
    """What each of the first CHECKED_STEPS steps must give, from the numpy implementation."""
    impl = numpy_impl(w)
    return [_copy(impl.read(impl.step())) for _ in range(CHECKED_STEPS)]


def _copy(values: dict) -> dict[str, np.ndarray]:
    # Copied at once: a later step may update the buffer in place (JAX donates it).
    return {key: np.array(value, dtype=np.float64) for key, value in values.items()}


def check(w: Workload, got: list[dict], want: list[dict]) -> None:
    for step, (got_step, want_step) in enumerate(zip(got, want), start=1):
        for key, expected in want_step.items():
            np.testing.assert_allclose(got_step[key], expected, rtol=w.rtol, atol=w.atol,
                                       err_msg=f"{w.name}, step {step}: {key}")


def run_variant(w, name, peer, build, want, args, failures) -> Row:
    row = Row(name, peer, first_calls=[])
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            impl = build()
            got = []
            for _ in range(CHECKED_STEPS):
                t0 = time.perf_counter()
                out = impl.step()
                row.first_calls.append(time.perf_counter() - t0)
                got.append(_copy(impl.read(out)))
        if name.startswith("tapeflow"):
            # A compile fallback or any other warning from tapeflow is a finding to report.
            for warning in caught:
                if "tapeflow" in str(warning.filename) or "tapeflow" in str(warning.message):
                    failures.append(f"{w.name} / {name}: {warning.category.__name__}: "
                                    f"{warning.message}")
                    row.note = f"warning: {warning.category.__name__}"
        check(w, got, want)
    except AssertionError as e:
        row.note = "WRONG RESULT, not timed"
        failures.append(f"{w.name} / {name}: result differs from numpy:\n{e}")
        return row
    except Exception as e:  # noqa: BLE001 (any failure is reported; the other variants go on)
        row.note = f"FAILED: {type(e).__name__}"
        failures.append(f"{w.name} / {name}: {type(e).__name__}: {e}\n"
                        + "".join(traceback.format_exc(limit=-6)))
        return row

    one_call = batch_time(impl.step, 1)
    if one_call > args.max_call:
        # Too slow to repeat (eager variants at W3 n=1e7): report this one call.
        row.median = one_call
        row.note = f"timed once ({format_seconds(one_call).strip()} > --max-call)"
    else:
        samples = auto_times(impl.step, batch_s=args.batch_s, repeat=args.repeat,
                             budget_s=args.budget_s)
        row.median, row.best = statistics.median(samples), min(samples)
    if impl.traces is not None and impl.traces() != 1:
        row.note = (row.note + "; " if row.note else "") + f"traced {impl.traces()} times"
    return row


def print_table(w: Workload, rows: list[Row]) -> dict:
    base = next((r.median for r in rows if r.name == BASELINE), None)
    # The 1-minute load average after the timing: above the core count, other processes
    # competed for the CPU (multi-threaded BLAS suffers most) and the numbers are suspect.
    print(f"\n{w.name}: {w.title}  [load average {os.getloadavg()[0]:.1f}]")
    print(f"  {'variant':<30} {'median/call':>11} {'vs numba':>9} {'best batch':>10} "
          f"{'1st call':>10} {'2nd call':>10}  note")
    for r in rows:
        median = format_seconds(r.median) if r.median is not None else "-"
        ratio = f"{r.median / base:8.2f}x" if r.median is not None and base else "-"
        best = format_seconds(r.best) if r.best is not None else "-"
        first = [format_seconds(t) for t in r.first_calls or []]
        first += ["-"] * (CHECKED_STEPS - len(first))
        print(f"  {r.name:<30} {median:>11} {ratio:>9} {best:>10} {first[0]:>10} "
              f"{first[1]:>10}  {r.note}")
    timed_peers = [r for r in rows if r.peer and r.median is not None]
    fastest = min(timed_peers, key=lambda r: r.median, default=None)
    return {"base": base, "fastest": fastest, "rows": rows}


def verdict(text: str, met: bool | None) -> str:
    return f"{text}: {'met' if met else 'MISSED'}" if met is not None else f"{text}: n/a"


def print_targets(w: Workload, summary: dict, floor: dict | None) -> None:
    base, fastest = summary["base"], summary["fastest"]
    if fastest is None:
        print("  fastest peer: none timed (install the peers: pip install -e .[bench])")
    else:
        print(f"  fastest peer: {fastest.name} ({format_seconds(fastest.median).strip()})")
    if base is None:
        print("  targets: tapeflow numba was not timed")
        return
    if w.key in ("W1", "W2", "W3"):
        ratio = base / fastest.median if fastest else None
        text = "target: tapeflow numba no slower than the fastest peer"
        if ratio is not None:
            text += f" (numba / peer = {ratio:.2f})"
        print("  " + verdict(text, ratio <= 1.0 if ratio is not None else None))
    if w.key == "W4":
        compiled = [r for r in summary["rows"]
                    if r.name.startswith("torch.compile") and r.median is not None]
        best = min(compiled, key=lambda r: r.median, default=None)
        text = "target: ahead of torch.compile"
        if best:
            text += f" (numba / {best.name} = {base / best.median:.2f})"
        print("  " + verdict(text, base < best.median if best else None))
        if floor:
            ratio = base / floor["needed"]
            print("  " + verdict(f"target: within 1.3x of the BLAS floor "
                                 f"(numba / floor = {ratio:.2f}; counting dx as well, "
                                 f"{base / floor['all']:.2f})", ratio <= 1.3))


def blas_floor(args) -> dict[str, float]:
    """numpy's float32 matmul on W4's own products; floor = their FLOPs at the measured rate.

    The floor is the time numpy's BLAS needs for exactly the step's matrix work: the FLOPs at
    the rate it reaches on these shapes. Each product is timed alone (showing where the time
    goes), and the products are timed again back to back, as in a step.
    """
    rng = np.random.default_rng(1)

    def operand(rows, cols, transposed):
        if transposed:  # a transposed view, as x.T is in the step: BLAS reads it as is
            return rng.normal(size=(cols, rows)).astype(np.float32).T
        return rng.normal(size=(rows, cols)).astype(np.float32)

    def timed(fn):
        samples = auto_times(fn, batch_s=args.batch_s, repeat=args.repeat,
                             budget_s=args.budget_s)
        return statistics.median(samples), min(samples)

    print("\nBLAS floor for W4: numpy float32 matmul on the step's products")
    print(f"  {'product':<28} {'shape':>20} {'MFLOP':>7} {'median':>10} {'GFLOP/s':>8} "
          f"{'best batch':>10}")
    products = {"needed": [], "all": []}
    flops = {"needed": 0, "all": 0}
    alone = {"needed": 0.0, "all": 0.0}  # the sum of the products' medians, each timed alone
    for label, m, k, n, transpose_a, transpose_b, needed in W4_PRODUCTS:
        product = functools.partial(np.matmul, operand(m, k, transpose_a),
                                    operand(k, n, transpose_b))
        count = 2 * m * k * n
        seconds, best = timed(product)
        print(f"  {label:<28} {f'({m},{k})@({k},{n})':>20} {count / 1e6:7.2f} "
              f"{format_seconds(seconds):>10} {count / seconds / 1e9:8.1f} "
              f"{format_seconds(best):>10}")
        for key in ("needed", "all") if needed else ("all",):
            products[key].append(product)
            flops[key] += count
            alone[key] += seconds

    # Two estimates of the same time; contention only ever inflates one, so the floor is the
    # lower of the two.
    together = {key: timed(lambda fns=fns: [fn() for fn in fns])[0]
                for key, fns in products.items()}
    floor = {key: min(alone[key], together[key]) for key in products}
    print(f"  floor: the {len(products['needed'])} products the step needs: "
          f"{flops['needed'] / 1e6:.1f} MFLOP in {format_seconds(floor['needed']).strip()} "
          f"({flops['needed'] / floor['needed'] / 1e9:.1f} GFLOP/s; back to back "
          f"{format_seconds(together['needed']).strip()}, timed alone "
          f"{format_seconds(alone['needed']).strip()}); with dx as well: "
          f"{format_seconds(floor['all']).strip()}")
    return floor


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="short batches and few repeats (noisier, about 3x faster)")
    parser.add_argument("--only", default="",
                        help="comma-separated workload keys, e.g. W1,W3 (default: all)")
    parser.add_argument("--max-call", type=float, default=1.5,
                        help="a variant whose single call takes longer (seconds) is timed once")
    args = parser.parse_args(argv)
    args.batch_s, args.repeat, args.budget_s = (
        (0.005, 5, 0.5) if args.quick else (0.02, 15, 3.0))
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    selected = {key.strip().upper() for key in args.only.split(",") if key.strip()}
    workloads = [w for w in make_workloads() if not selected or w.key in selected]
    if not workloads:
        sys.exit(f"--only {args.only}: no such workload (W1, W2, W3, W4)")

    peers, missing = import_peers()
    versions = ", ".join(f"{name} {sys.modules[name].__version__}" for name in peers)
    print(f"tapeflow {tf.__version__}, numpy {np.__version__}; peers: {versions or 'none'}")
    for name in missing:
        print(f"  {name} is not installed: its variants are skipped (pip install -e .[bench])")
    print(f"{os.cpu_count()} CPUs; {'quick' if args.quick else 'full'} timing; medians per call "
          "over batches; 'vs numba' = time / tapeflow numba's time (above 1: slower)")

    failures: list[str] = []
    floor = None
    for w in workloads:
        if w.key == "W4":
            floor = blas_floor(args)
        want = reference(w)
        rows = [run_variant(w, name, peer, build, want, args, failures)
                for name, peer, build in variants(w, peers)]
        summary = print_table(w, rows)
        print_targets(w, summary, floor if w.key == "W4" else None)
        sys.stdout.flush()

    if failures:
        print("\nFailures and warnings:")
        for failure in failures:
            print("  " + failure.replace("\n", "\n    "))


if __name__ == "__main__":
    main()

"""Training steps per second: an MLP step with Adam in tapeflow and its peers, in one process.

    python benchmarks/train.py            # both models, every installed peer
    python benchmarks/train.py --quick    # shorter timing

Two models, float32, softmax cross-entropy on integer labels, Adam (lr 1e-3, Keras' defaults):
  digits  64-128-10 (relu), batch 64: the model of examples/train_digits.py, without Dropout
          so that every variant computes the same numbers
  W4      784-256-10 (relu), batch 128: the W4 workload of benchmarks/workloads.py, with Adam

Variants: tapeflow compiled (a Keras model and optimizer in one @tapeflow.function, Numba),
tapeflow eager (the same Python, every op dispatched), a hand-written numpy step (also the
reference), and where installed torch eager and torch.compile (torch.optim.Adam) and jax.jit
(Adam written out). Each variant first runs two steps from the same initial weights on the
same batch and is checked against the numpy steps; then it is timed on that batch (medians of
calibrated batches of calls). Keras' Adam adds epsilon to sqrt(v), torch's to sqrt(v_hat) =
sqrt(v / (1 - beta_2**t)), which is Keras' rule with epsilon * sqrt(1 - beta_2**t): for
gradients near epsilon the two differ by much more than rounding, so torch is checked against
the numpy step written with torch's placement.

Last, `model.fit`'s overhead per epoch on the digits model: one epoch of fit against the same
batches through a hand-written loop over the same compiled step (both after a warm-up epoch).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import statistics
import sys
import time

import numpy as np
from _timing import auto_times, format_seconds


def _threads_from_argv() -> int | None:
    # Read before anything imports a BLAS or a thread pool: they read these once, at load.
    if "--threads" in sys.argv:
        return int(sys.argv[sys.argv.index("--threads") + 1])
    return None


THREADS = _threads_from_argv()
if THREADS is not None:
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                 "NUMBA_NUM_THREADS"):
        os.environ[_var] = str(THREADS)
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                               f" --xla_cpu_multi_thread_eigen={str(THREADS > 1).lower()}"
                               f" intra_op_parallelism_threads={THREADS}")

PEERS = [name for name in ("torch", "jax") if importlib.util.find_spec(name) is not None]
for _name in PEERS:  # before tapeflow: torch's libgomp must read the environment as it is
    importlib.import_module(_name)
if THREADS is not None and "torch" in PEERS:
    sys.modules["torch"].set_num_threads(THREADS)

import tapeflow as tf

LR, B1, B2, EPS = 1e-3, 0.9, 0.999, 1e-7


def make_problem(sizes: tuple[int, int, int], batch: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    n_in, n_hidden, n_out = sizes
    weights = [  # Glorot-uniform kernels, zero biases, float32 throughout
        (rng.uniform(-1, 1, (n_in, n_hidden)) * np.sqrt(6 / (n_in + n_hidden))).astype(np.float32),
        np.zeros(n_hidden, np.float32),
        (rng.uniform(-1, 1, (n_hidden, n_out)) * np.sqrt(6 / (n_hidden + n_out))).astype(np.float32),
        np.zeros(n_out, np.float32),
    ]
    x = rng.normal(size=(batch, n_in)).astype(np.float32)
    y = rng.integers(0, n_out, batch).astype(np.int32)
    return weights, x, y


# ---- numpy: the reference --------------------------------------------------------------------


def numpy_variant(weights, x, y, torch_epsilon: bool = False):
    params = [w.copy() for w in weights]
    m = [np.zeros_like(w) for w in weights]
    v = [np.zeros_like(w) for w in weights]
    state = {"t": 0}
    onehot = np.eye(weights[3].shape[0], dtype=np.float32)[y]

    def step():
        w1, b1, w2, b2 = params
        h_pre = x @ w1 + b1
        h = np.maximum(h_pre, 0)
        logits = h @ w2 + b2
        z = logits - logits.max(1, keepdims=True)
        p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
        loss = -np.mean(np.log(p[np.arange(len(y)), y]))
        d_logits = (p - onehot) / len(y)
        d_h = (d_logits @ w2.T) * (h_pre > 0)
        grads = [x.T @ d_h, d_h.sum(0), h.T @ d_logits, d_logits.sum(0)]
        state["t"] += 1
        t = state["t"]
        alpha = LR * np.sqrt(1 - B2**t) / (1 - B1**t)
        eps = EPS * np.sqrt(1 - B2**t) if torch_epsilon else EPS
        for i, g in enumerate(grads):
            m[i] += (g - m[i]) * (1 - B1)
            v[i] += (g * g - v[i]) * (1 - B2)
            params[i] -= (alpha * m[i] / (np.sqrt(v[i]) + eps)).astype(np.float32)
        return loss

    return step, lambda: [p.copy() for p in params]


# ---- tapeflow ---------------------------------------------------------------------------------


def tapeflow_variant(weights, x, y, compiled: bool):
    model = tf.keras.Sequential([
        tf.keras.Input((weights[0].shape[0],)),
        tf.keras.layers.Dense(weights[0].shape[1], activation="relu"),
        tf.keras.layers.Dense(weights[2].shape[1]),
    ])
    for variable, w in zip(model.weights, weights):
        variable.assign(w)
    optimizer = tf.keras.optimizers.Adam(LR, epsilon=EPS)
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def train_step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    fn = tf.function(train_step) if compiled else train_step
    xt, yt = tf.constant(x), tf.constant(y)
    return (lambda: fn(xt, yt).numpy()), (lambda: [v.numpy() for v in model.weights])


# ---- torch ------------------------------------------------------------------------------------


def torch_variant(weights, x, y, compiled: bool):
    import torch

    params = [torch.tensor(w, requires_grad=True) for w in weights]
    optimizer = torch.optim.Adam(params, lr=LR, betas=(B1, B2), eps=EPS)
    xt, yt = torch.tensor(x), torch.tensor(y, dtype=torch.int64)

    def train_step():
        w1, b1, w2, b2 = params
        loss = torch.nn.functional.cross_entropy(torch.relu(xt @ w1 + b1) @ w2 + b2, yt)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return loss

    fn = torch.compile(train_step, dynamic=False) if compiled else train_step
    return (lambda: fn().detach().numpy()), (lambda: [p.detach().numpy().copy() for p in params])


# ---- JAX --------------------------------------------------------------------------------------


def jax_variant(weights, x, y):
    import jax
    import jax.numpy as jnp

    def loss_fn(params, x, y):
        w1, b1, w2, b2 = params
        logits = jax.nn.relu(x @ w1 + b1) @ w2 + b2
        return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), y[:, None], 1))

    @jax.jit
    def train_step(params, m, v, t, x, y):
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        t = t + 1
        alpha = LR * jnp.sqrt(1 - B2**t) / (1 - B1**t)
        m = [mi + (g - mi) * (1 - B1) for mi, g in zip(m, grads)]
        v = [vi + (g * g - vi) * (1 - B2) for vi, g in zip(v, grads)]
        params = [p - alpha * mi / (jnp.sqrt(vi) + EPS) for p, mi, vi in zip(params, m, v)]
        return params, m, v, t, loss

    state = {"params": [jnp.asarray(w) for w in weights],
             "m": [jnp.zeros_like(w) for w in weights],
             "v": [jnp.zeros_like(w) for w in weights], "t": jnp.float32(0)}
    xj, yj = jnp.asarray(x), jnp.asarray(y)

    def step():
        s = state
        s["params"], s["m"], s["v"], s["t"], loss = train_step(s["params"], s["m"], s["v"],
                                                               s["t"], xj, yj)
        return np.asarray(jax.block_until_ready(loss))

    return step, lambda: [np.asarray(p) for p in state["params"]]


# ---- running -------------------------------------------------------------------------------


def variants(weights, x, y):
    out = [
        ("tapeflow compiled", lambda: tapeflow_variant(weights, x, y, True)),
        ("tapeflow eager", lambda: tapeflow_variant(weights, x, y, False)),
        ("numpy (hand-written)", lambda: numpy_variant(weights, x, y)),
    ]
    if "torch" in PEERS:
        out += [("torch eager", lambda: torch_variant(weights, x, y, False)),
                ("torch.compile", lambda: torch_variant(weights, x, y, True))]
    if "jax" in PEERS:
        out.append(("jax.jit", lambda: jax_variant(weights, x, y)))
    return out


def check(name, step, read, reference) -> None:
    for i, want in enumerate(reference):
        loss = step()
        np.testing.assert_allclose(loss, want["loss"], rtol=1e-4, atol=1e-6,
                                   err_msg=f"{name}: loss of step {i + 1}")
        # Adam moves each weight by about lr whatever the gradient's size, so a gradient at
        # rounding level (summed in another order) can move its weight differently: an
        # absolute tolerance of 1% of lr passes that and still fails a wrong rule.
        for got, expected in zip(read(), want["params"]):
            np.testing.assert_allclose(got, expected, rtol=1e-4, atol=0.01 * LR,
                                       err_msg=f"{name}: weights after step {i + 1}")


def run_model(title: str, sizes, batch: int, quick: bool) -> dict[str, float]:
    """Check every variant, then time them in interleaved rounds (each round times one
    batch of calls of every variant in turn), so that a change of load on a shared machine
    weighs on all of them alike; the medians over rounds are compared."""
    weights, x, y = make_problem(sizes, batch)
    references = {}
    for torch_epsilon in (False, True):
        ref_step, ref_read = numpy_variant(weights, x, y, torch_epsilon)
        references[torch_epsilon] = [{"loss": ref_step(), "params": ref_read()}
                                     for _ in range(2)]
    print(f"\n{title}: {sizes[0]}-{sizes[1]}-{sizes[2]}, batch {batch}, Adam "
          f"(load average {os.getloadavg()[0]:.1f} before)")
    ready = []
    for name, build in variants(weights, x, y):
        try:
            step, read = build()
            start = time.perf_counter()
            check(name, step, read, references[name.startswith("torch")])
            first = time.perf_counter() - start
            # Calls per timed batch: enough for about 20 ms (the calibration warms up too).
            number = max(1, round(0.02 / statistics.median(auto_times(step, repeat=3,
                                                                       budget_s=0.5))))
        except Exception as e:  # noqa: BLE001 - a variant that fails is reported, not fatal
            print(f"  {name:24s} failed: {type(e).__name__}: {str(e).splitlines()[0][:120]}")
            continue
        ready.append((name, step, number, first))
    samples: dict[str, list[float]] = {name: [] for name, *_ in ready}
    for _ in range(7 if quick else 21):
        for name, step, number, _first in ready:
            start = time.perf_counter()
            for _ in range(number):
                step()
            samples[name].append((time.perf_counter() - start) / number)
    print(f"  {'variant':24s} {'median step':>12s} {'steps/s':>10s} {'vs compiled':>12s} "
          f"{'1st call':>10s}")
    medians = {name: statistics.median(times) for name, times in samples.items()}
    base = medians.get("tapeflow compiled")
    for name, _step, _number, first in ready:
        ratio = f"{medians[name] / base:11.2f}x" if base else f"{'':12s}"
        print(f"  {name:24s} {format_seconds(medians[name]):>12s} {1 / medians[name]:10,.0f} "
              f"{ratio} {format_seconds(first):>10s}")
    print(f"  (1st call: the two checked steps, tracing and compiling included; load average "
          f"{os.getloadavg()[0]:.1f} after)")
    return medians


def fit_overhead(quick: bool) -> None:
    """Seconds per epoch of model.fit against a hand-written loop over the same batches and
    the same kind of compiled step, on the digits model (one-hot labels, so neither path
    depends on the labels' values)."""
    rng = np.random.default_rng(1)
    n, batch = 1408, 64
    x = rng.normal(size=(n, 64)).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, n)]

    def build():
        model = tf.keras.Sequential([tf.keras.Input((64,)),
                                     tf.keras.layers.Dense(128, activation="relu"),
                                     tf.keras.layers.Dense(10)])
        model.compile(optimizer=tf.keras.optimizers.Adam(LR),
                      loss=tf.keras.losses.CategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"])
        return model

    fit_model = build()
    fit_model.fit(x, y, epochs=1, batch_size=batch, verbose=0)  # warm-up: trace and compile
    loop_model = build()
    step = loop_model._step("train")
    batches = [(x[i:i + batch], y[i:i + batch]) for i in range(0, n, batch)]
    for b in batches:  # warm-up
        step(*b)
    fit_times, loop_times = [], []
    epochs = 3  # per timed sample, alternating fit and the loop
    for _ in range(5 if quick else 11):
        start = time.perf_counter()
        fit_model.fit(x, y, epochs=epochs, batch_size=batch, verbose=0)
        fit_times.append((time.perf_counter() - start) / epochs)
        start = time.perf_counter()
        for _ in range(epochs):
            for m in loop_model.metrics:
                m.reset_state()
            for b in batches:
                loss, _ = step(*b)
            float(loss.numpy())
        loop_times.append((time.perf_counter() - start) / epochs)
    fit_s, loop_s = statistics.median(fit_times), statistics.median(loop_times)
    steps = len(batches)
    print(f"\nmodel.fit overhead (digits model, {steps} steps of batch {batch} per epoch):")
    print(f"  fit {fit_s * 1e3:.1f} ms/epoch, hand-written loop {loop_s * 1e3:.1f} ms/epoch: "
          f"{(fit_s - loop_s) * 1e3:.1f} ms more per epoch, "
          f"{(fit_s - loop_s) / steps * 1e6:.0f} us per step ({fit_s / loop_s:.2f}x)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter timing")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for every library's BLAS and thread pools (set before "
                             "they load; 1 gives steadier figures on a busy machine)")
    args = parser.parse_args(argv)
    print(f"threads: {THREADS or 'library defaults'}; cores: {os.cpu_count()}")
    missing = [name for name in ("torch", "jax") if name not in PEERS]
    if missing:
        print(f"not installed, skipped: {', '.join(missing)} (pip install -e '.[bench]')")
    results = {
        "digits": run_model("digits MLP", (64, 128, 10), 64, args.quick),
        "W4": run_model("W4 MLP", (784, 256, 10), 128, args.quick),
    }
    fit_overhead(args.quick)
    print("\nsummary: compiled tapeflow against the fastest peer (steps/s; > 1 means ahead)")
    for title, medians in results.items():
        peers = {k: v for k, v in medians.items() if k.startswith(("torch", "jax"))}
        if "tapeflow compiled" not in medians or not peers:
            continue
        best = min(peers, key=peers.get)
        print(f"  {title}: tapeflow {1 / medians['tapeflow compiled']:,.0f} steps/s, {best} "
              f"{1 / peers[best]:,.0f}: {peers[best] / medians['tapeflow compiled']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())

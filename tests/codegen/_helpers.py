"""Shared by the emitter tests: compile a traced graph and run it beside the interpreter."""

import numpy as np

import tapeflow as tf
from tapeflow.codegen.compile import compile_graph
from tapeflow.graph.interp import evaluate


def compiled_and_interpreted(fn, arrays, cache_dir):
    """(graph, compiled outputs, interpreter outputs) of `fn` traced on `arrays`."""
    graph = tf.function(fn).get_concrete_function(*[tf.constant(a) for a in arrays]).graph
    got = compile_graph(graph, cache_dir=cache_dir)(*arrays)
    return graph, got, evaluate(graph, arrays)


def assert_close(got, want, dtype):
    rtol = 2e-5 if dtype == np.float32 else 1e-12
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol)


def deep_mlp_step(layers: int, width: int = 16, lr: float = 0.01, seed: int = 0, **options):
    """A deep MLP's SGD step: `layers` dense tanh layers of `width`, mean squared error."""
    rng = np.random.default_rng(seed)
    ws = [tf.Variable((rng.normal(size=(width, width)) / np.sqrt(width)).astype(np.float32))
          for _ in range(layers)]
    bs = [tf.Variable(np.zeros(width, np.float32)) for _ in range(layers)]

    def step(x, y):
        with tf.GradientTape() as tape:
            h = x
            for w, b in zip(ws, bs):
                h = tf.tanh(h @ w + b)
            loss = tf.reduce_mean((h - y) ** 2)
        grads = tape.gradient(loss, ws + bs)
        for v, g in zip(ws + bs, grads):
            v.assign_sub(lr * g)
        return loss

    return tf.function(step, **options), ws + bs

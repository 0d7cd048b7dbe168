"""Large real graphs for the viewer's tests and benchmarks/viz.py: a deep residual MLP's
training step (forward, adjoint, SGD updates), traced, optimised and fused."""

from __future__ import annotations

import numpy as np

import tapeflow as tf
from tapeflow import viz


def deep_step_graph(layers: int, width: int = 8):
    rng = np.random.default_rng(0)
    weights = [tf.Variable(rng.normal(0, 0.3, (width, width)).astype(np.float32),
                           name=f"w{i}") for i in range(layers)]
    biases = [tf.Variable(np.zeros(width, np.float32), name=f"b{i}") for i in range(layers)]

    @tf.function(backend="interpreter")
    def step(x):
        with tf.GradientTape() as tape:
            h = x
            for w, b in zip(weights, biases):
                h = h + tf.tanh(h @ w + b)
            loss = tf.reduce_mean(h * h)
        grads = tape.gradient(loss, weights + biases)
        for v, g in zip(weights + biases, grads):
            v.assign_sub(0.01 * g)
        return loss

    return step.get_concrete_function(np.ones((4, width), np.float32)).graph


def graph_of_about(n_eqns: int):
    """A step graph of about `n_eqns` equations (within one layer's worth)."""
    per_layer = len(deep_step_graph(2).eqns) - len(deep_step_graph(1).eqns)
    base = len(deep_step_graph(1).eqns) - per_layer
    layers = max(1, round((n_eqns - base) / per_layer))
    return deep_step_graph(layers)


def big_model(n_eqns: int):
    graph = graph_of_about(n_eqns)
    return viz.build(graph, title=f"{len(graph.eqns)} equations")

"""Provenance: adjoint equations name the forward equation they differentiate; graph outputs
carry labels; both survive the passes and the printer/parser round trip."""

import inspect
import os

import numpy as np

import tapeflow as tf
from tapeflow.graph.ir import Origin
from tapeflow.graph.passes import optimize
from tapeflow.graph.printer import parse_graph, print_graph


def _line_of(fn, marker: str) -> int:
    lines, start = inspect.getsourcelines(fn)
    return start + next(i for i, text in enumerate(lines) if marker in text)


def _step_and_lines():
    w = tf.Variable(np.full((3, 2), 0.5, np.float32), name="w")

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            h = tf.exp(x @ w)  # FORWARD
            loss = tf.reduce_sum(h)
        (g,) = tape.gradient(loss, [w])  # GRADIENT
        w.assign_sub(0.1 * g)
        if loss > 0.0:  # GUARD
            return loss
        return -loss

    return step, _line_of(step.python_function, "# FORWARD"), \
        _line_of(step.python_function, "# GRADIENT"), _line_of(step.python_function, "# GUARD")


def test_every_adjoint_equation_names_its_forward_equation_and_user_line():
    step, forward, gradient, _ = _step_and_lines()
    graph = step.get_concrete_function(tf.constant(np.ones((4, 3), np.float32))).raw_graph
    adjoint = [e for e in graph.eqns if e.source and e.source[1] == gradient]
    assert adjoint, print_graph(graph)
    # Every equation the gradient call built knows which forward equation it came from.
    assert all(e.adjoint_of is not None for e in adjoint), print_graph(graph)
    origins = {(e.adjoint_of.prim, e.adjoint_of.source[1]) for e in adjoint}
    assert ("exp", forward) in origins and ("matmul", forward) in origins, origins
    # Forward equations are not adjoints.
    assert all(e.adjoint_of is None for e in graph.eqns if e.source and e.source[1] == forward)


def test_provenance_survives_the_passes_and_the_text_form():
    step, forward, gradient, _ = _step_and_lines()
    graph = step.get_concrete_function(tf.constant(np.ones((4, 3), np.float32))).raw_graph
    optimised = optimize(graph)
    text = print_graph(optimised)
    assert f"(adjoint of matmul at test_provenance.py:{forward})" in text, text
    again = parse_graph(text)
    assert print_graph(again) == text

    def origins(g):  # the text keeps a file's base name, as the printer shows it
        return [e.adjoint_of and (e.adjoint_of.prim, os.path.basename(e.adjoint_of.source[0]),
                                  e.adjoint_of.source[1]) for e in g.eqns]

    assert origins(again) == origins(optimised)
    assert again.output_names == optimised.output_names == graph.output_names


def test_outputs_are_labelled_loss_update_and_guard():
    step, _, _, guard = _step_and_lines()
    graph = step.get_concrete_function(tf.constant(np.ones((4, 3), np.float32))).graph
    # Two return statements name different things: the result is labelled by its place.
    assert graph.output_names == ("result", "new w:0", f"guard at test_provenance.py:{guard}")
    last = print_graph(graph).rstrip().splitlines()[-1]
    assert "'result', " in last and f" 'guard at test_provenance.py:{guard}')" in last


def test_outputs_are_named_after_the_return_statement():
    @tf.function
    def f(x):
        y = x * 2.0
        return y, {"z": x + 1.0}

    @tf.function
    def g(x):
        return tf.reduce_sum(x * x)

    @tf.function
    def h(x):
        return {"b": x, "a": x * 3.0}

    x = tf.constant([1.0, 2.0])
    assert f.get_concrete_function(x).graph.output_names == ("y", "result[1]['z']")
    assert g.get_concrete_function(x).graph.output_names == ("tf.reduce_sum(x * x)",)
    assert h.get_concrete_function(x).graph.output_names == ("result['a']", "result['b']")


def test_eager_tapes_record_adjoint_provenance_too():
    x = tf.Variable(2.0)
    with tf.GradientTape() as outer:
        with tf.GradientTape() as inner:
            y = tf.sin(x) * x
        dy = inner.gradient(y, x)
    graph = outer.graph
    origins = [e.adjoint_of for e in graph.eqns if e.adjoint_of is not None]
    assert {o.prim for o in origins} >= {"sin", "mul"}
    assert all(isinstance(o, Origin) and o.source[0].endswith("test_provenance.py")
               for o in origins)
    # Second order: differentiating the adjoint still points at the user's forward line.
    d2 = outer.gradient(dy, x)
    assert np.isclose(float(d2), -np.sin(2.0) * 2.0 + 2 * np.cos(2.0))

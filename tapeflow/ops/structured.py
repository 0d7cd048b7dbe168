"""Structured control flow in the IR: `while_loop`, `cond` and the `print` effect.

A traced `tf.while_loop` (and an AutoGraph-converted `for i in tf.range(n)`) is ONE equation
whose params hold sub-graphs, as TensorFlow's While op holds its cond and body functions:

    while_loop(*carried, *operands, body_graph=H, cond_graph=G, names=(...), max_iterations=N)

`cond_graph` maps (carried, operands) to one bool scalar; `body_graph` maps (carried,
operands) to the next carried values, of the same types (TF's rule: a loop variable keeps
its dtype and shape). Values the body closes over are explicit operands, so each sub-graph
is closed: a pass or an interpreter sees everything the loop reads. The outputs are the
carried values when the condition first fails (or after `max_iterations` iterations).

    cond(pred, *operands, true_graph=G, false_graph=H)

runs one of two closed graphs over the operands (both traced once: a tensor `if` inside a
converted loop body). `print` is a `tf.print` inside such a sub-graph: an equation with no
outputs whose effect is the printed text, written per iteration (runtime/loop_effects.py
decides when the text reaches the stream).

These primitives are not in the registry of array primitives (ops.PRIMITIVES): they have no
Numba lowering. The runtime runs them (runtime/control_exec.py drives the loop in Python and
compiles each sub-graph through the ordinary compile path). Their VJP reruns the iterations
taken, unrolled, for an eager tape; while tracing, a loop a tape differentiates is not made
a graph loop (runtime/graph_loops.py), so its gradient is the unrolled path's.
"""

from __future__ import annotations

import itertools
import weakref

import numpy as np

from tapeflow.ops.core import BOOL, PRIMITIVES, InvalidArgumentError, Primitive, fmt_avals

# Structured primitives by name (the IR parser reads them from here).
STRUCTURED: dict[str, Primitive] = {}

_effect_keys = itertools.count(1)


def new_effect_key() -> int:
    """A key naming one traced loop's (or branch's) print effects (loop_effects.py)."""
    return next(_effect_keys)


class StructuredPrimitive(Primitive):
    """A primitive whose params hold sub-graphs (or an effect); kept out of PRIMITIVES."""

    def __init__(self, name: str, *, doc: str, effectful: bool = False):
        saved = PRIMITIVES.pop(name, None)
        super().__init__(name, multiple_results=True, doc=doc, memo=False)
        del PRIMITIVES[name]
        if saved is not None:
            PRIMITIVES[name] = saved
        self.effectful = effectful
        STRUCTURED[name] = self


def sub_graphs(eqn) -> list:
    """The graphs an equation's params hold, in param order (none for most)."""
    return [value for _, value in eqn.params if _is_graph(value)]


def _is_graph(value) -> bool:
    return type(value).__name__ == "Graph" and hasattr(value, "eqns")


def has_effects(eqn) -> bool:
    """Whether running `eqn` has an effect beyond its outputs (a print, here or nested)."""
    prim = eqn.prim
    if getattr(prim, "effectful", False):
        return True
    return any(has_effects(e) for g in sub_graphs(eqn) for e in g.eqns)


def graph_has_effects(graph) -> bool:
    return any(has_effects(e) for e in graph.eqns)


# --------------------------------------------------------------------------------------------
# Running sub-graphs (the interpreter, cached per graph)
# --------------------------------------------------------------------------------------------

_runners: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def run_graph(graph, args: list) -> list:
    """`graph`'s outputs on `args` with the reference interpreter. The runtime swaps in
    compiled sub-graph runners (control_exec.py) through `graph_runner`."""
    runner = _runners.get(graph)
    if runner is None:
        from tapeflow.graph.interp import Interpreter

        interpreter = Interpreter(graph)
        runner = _runners[graph] = lambda values: interpreter.run(*values)
    return runner(args)


def set_graph_runner(graph, runner) -> None:
    """Run `graph` with `runner(values) -> outputs` (compiled code) from now on."""
    _runners[graph] = runner


# A loop's step: the body and then the condition on its results, in one call (compiled code
# pays per call, so one call per iteration instead of two). body_graph -> step(values) ->
# (next carried values..., the condition on them).
_steppers: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def set_loop_stepper(body_graph, step) -> None:
    _steppers[body_graph] = step


# --------------------------------------------------------------------------------------------
# while
# --------------------------------------------------------------------------------------------

while_p = StructuredPrimitive(
    "while_loop",
    doc="while cond_graph(carried, operands): carried = body_graph(carried, operands)")


def check_loop_types(names, before, after) -> None:
    """TF's error when a loop variable changes dtype or shape in one iteration."""
    for name, a, b in zip(names, before, after):
        if a.dtype != b.dtype:  # TensorFlow's words
            raise TypeError(f"'{name}' has dtype {a.dtype.name} before the loop, but dtype "
                            f"{b.dtype.name} after one iteration")
        if tuple(a.shape) != tuple(b.shape):
            raise ValueError(
                f"'{name}' has shape {tuple(a.shape)} before the loop, but shape "
                f"{tuple(b.shape)} after one iteration (a loop variable keeps its shape: "
                "tapeflow has no shape invariants)")


def _check_graph_inputs(op: str, caller: str, avals, **graphs) -> None:
    """Each sub-graph (named by keyword: cond_graph, true_branch, ...) takes exactly the
    values its equation passes."""
    for role, g in graphs.items():
        got = tuple(v.aval for v in g.inputs)
        if got != tuple(avals):
            raise InvalidArgumentError(
                f"{op}: the {role.replace('_', ' ')} takes ({fmt_avals(got)}), the {caller} "
                f"passes ({fmt_avals(avals)})")


@while_p.def_abstract_eval
def _while_abstract(*avals, cond_graph, body_graph, names, max_iterations, effects_key,
                    must_iterate=()):
    n = len(body_graph.outputs)
    carried = avals[:n]
    if len(cond_graph.inputs) != len(avals) or len(body_graph.inputs) != len(avals):
        raise InvalidArgumentError(
            f"while: cond takes {len(cond_graph.inputs)} and body {len(body_graph.inputs)} "
            f"values, the loop passes {len(avals)}")
    _check_graph_inputs("while", "loop", avals, cond_graph=cond_graph, body_graph=body_graph)
    (pred,) = cond_graph.outputs if len(cond_graph.outputs) == 1 else (None,)
    if pred is None or pred.aval.dtype != BOOL or pred.aval.shape not in ((), (1,)):
        raise InvalidArgumentError(
            f"while: the condition must give one bool scalar, got "
            f"({fmt_avals([v.aval for v in cond_graph.outputs])})")
    check_loop_types(names, carried, [v.aval for v in body_graph.outputs])
    return tuple(carried)


@while_p.def_impl
def _while_impl(*values, cond_graph, body_graph, names, max_iterations, effects_key,
                must_iterate=()):
    from tapeflow.runtime import loop_effects

    n = len(body_graph.outputs)
    carried, operands = list(values[:n]), list(values[n:])
    step = _steppers.get(body_graph)
    with loop_effects.running(effects_key):
        steps = 0
        (pred,) = run_graph(cond_graph, carried + operands)
        while (max_iterations is None or steps < max_iterations) and _true(pred):
            if step is not None:
                *carried, pred = step(carried + operands)
            else:
                carried = list(run_graph(body_graph, carried + operands))
                (pred,) = run_graph(cond_graph, carried + operands)
            steps += 1
    if must_iterate and steps == 0:  # TensorFlow's assertion, in its words
        raise InvalidArgumentError(f"assertion failed: [loop must iterate at least once to "
                                   f"initialize {', '.join(must_iterate)}]")
    return tuple(np.array(v, dtype=a.aval.dtype) for v, a in zip(carried, body_graph.outputs))


def _true(pred) -> bool:
    return bool(np.asarray(pred).reshape(()))


# The VJP of a loop (or branch) runs it again, unrolled, through `bind` under a tape of its
# own, and differentiates that: the adjoint is the adjoint of the iterations taken. This is
# right for the values at hand only, so it serves eager tapes (a compiled function called
# under an outer GradientTape replays its graph through `bind`: runtime/concrete.py). While
# a function is traced, a loop under a recording tape is never a graph loop
# (runtime/graph_loops.py): its gradient there is the unrolled path's, guarded.


def _bind_graph(graph, values: list) -> list:
    """`graph`'s outputs computed through `bind` (recorded on the active tapes); prints are
    skipped: the forward run printed them."""
    from tapeflow.ops.core import bind
    from tapeflow.tracer.tensor import make_constant

    env = dict(zip(graph.inputs, values))
    for v, value in graph.consts:
        env[v] = make_constant(value)
    for eqn in graph.eqns:
        if getattr(eqn.prim, "effectful", False):
            continue
        outs = bind(eqn.prim, *[env[v] for v in eqn.inputs], **eqn.params_dict)
        env.update(zip(eqn.outputs, outs if eqn.prim.multiple_results else (outs,)))
    return [env[v] for v in graph.outputs]


def _vjp_by_rerun(run, cts, inputs, wanted) -> tuple:
    from tapeflow.ops.core import is_float
    from tapeflow.runtime import loop_effects
    from tapeflow.tracer.tape import GradientTape

    sources = [k for k, (x, w) in enumerate(zip(inputs, wanted))
               if w and is_float(x.aval.dtype)]
    with loop_effects.silenced(), GradientTape(watch_accessed_variables=False) as tape:
        for k in sources:
            tape.watch(inputs[k])
        outs = run(list(inputs))
    pairs = [(o, ct) for o, ct in zip(outs, cts) if is_float(o.aval.dtype)]
    if not pairs or not sources:
        return tuple(None for _ in inputs)
    grads = tape.gradient([o for o, _ in pairs], [inputs[k] for k in sources],
                          output_gradients=[ct for _, ct in pairs])
    result = [None] * len(inputs)
    for k, g in zip(sources, grads):
        result[k] = g
    return tuple(result)


@while_p.def_vjp
def _while_vjp(cts, out, inputs, wanted, *, cond_graph, body_graph, names, max_iterations,
               effects_key, must_iterate=()):
    n = len(body_graph.outputs)

    def unrolled(values):
        carried, operands = values[:n], values[n:]
        steps = 0
        while max_iterations is None or steps < max_iterations:
            (pred,) = _bind_graph(cond_graph, carried + operands)
            if not bool(np.asarray(pred._value).reshape(())):
                break
            carried = _bind_graph(body_graph, carried + operands)
            steps += 1
        return carried

    return _vjp_by_rerun(unrolled, cts, inputs, wanted)

# --------------------------------------------------------------------------------------------
# cond
# --------------------------------------------------------------------------------------------

cond_p = StructuredPrimitive(
    "cond", doc="true_graph(operands) if pred else false_graph(operands)")


@cond_p.def_abstract_eval
def _cond_abstract(pred, *avals, true_graph, false_graph, effects_key):
    if pred.dtype != BOOL or pred.shape not in ((), (1,)):
        raise InvalidArgumentError(f"cond: the predicate must be a bool scalar, got {pred}")
    _check_graph_inputs("cond", "cond", avals, true_branch=true_graph,
                        false_branch=false_graph)
    outs_t = tuple(v.aval for v in true_graph.outputs)
    outs_f = tuple(v.aval for v in false_graph.outputs)
    if outs_t != outs_f:
        raise TypeError(f"cond: the branches give different types: ({fmt_avals(outs_t)}) "
                        f"and ({fmt_avals(outs_f)})")
    return outs_t


@cond_p.def_impl
def _cond_impl(pred, *operands, true_graph, false_graph, effects_key):
    from tapeflow.runtime import loop_effects

    graph = true_graph if bool(np.asarray(pred).reshape(())) else false_graph
    with loop_effects.running(effects_key):
        outs = run_graph(graph, list(operands))
    return tuple(np.array(v, dtype=a.aval.dtype) for v, a in zip(outs, graph.outputs))


@cond_p.def_vjp
def _cond_vjp(cts, out, inputs, wanted, *, true_graph, false_graph, effects_key):
    def taken(values):
        pred, operands = values[0], values[1:]
        graph = true_graph if bool(np.asarray(pred._value).reshape(())) else false_graph
        return _bind_graph(graph, operands)

    return _vjp_by_rerun(taken, cts, inputs, wanted)

# --------------------------------------------------------------------------------------------
# print (a tf.print inside a sub-graph)
# --------------------------------------------------------------------------------------------

print_p = StructuredPrimitive(
    "print", doc="tf.print of the inputs, placed into `format` (None marks a tensor)",
    effectful=True)


@print_p.def_abstract_eval
def _print_abstract(*avals, format, sep, end, summarize, stream):  # noqa: A002
    if sum(1 for part in format if part is None) != len(avals):
        raise InvalidArgumentError(
            f"print: format has {sum(1 for p in format if p is None)} tensor places for "
            f"{len(avals)} inputs")
    return ()


def print_text(values, format, sep, end, summarize) -> str:  # noqa: A002
    from tapeflow.api.printing import render
    from tapeflow.tracer.tensor import make_constant

    it = iter(values)
    parts = [make_constant(np.asarray(next(it))) if part is None else part for part in format]
    return render(parts, sep, end, summarize)


@print_p.def_impl
def _print_impl(*values, format, sep, end, summarize, stream):  # noqa: A002
    from tapeflow.runtime import loop_effects

    loop_effects.emit(print_text(values, format, sep, end, summarize), stream)
    return ()


print_p.def_vjp(lambda cts, out, inputs, wanted, **params: tuple(None for _ in inputs))

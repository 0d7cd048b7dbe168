"""Graph loops and graph branches: a loop on traced tensors traced ONCE into one equation.

Tracing otherwise runs Python control flow on the traced values, with a guard for each read
(trace.py): a `while` on a tensor unrolls, and a new trip count traces again. TensorFlow
instead traces a `tf.while_loop` (and AutoGraph's `for i in tf.range(n)`) once, as a While
op: the body's Python runs once, its `tf.print`s on every iteration, and a new `n` reuses
the graph. `trace_while` does that: it traces the condition and the body once, each on its
own recorder over fresh loop-variable tensors, closes each into a sub-graph (values they
read from the enclosing trace become explicit operands), runs the loop on those graphs for
the trace's own values, and records one `while_loop` equation (ops/structured.py) in the
enclosing trace. `trace_cond` does the same for a tensor `if` met while tracing a loop body:
both branches traced once into a `cond` equation.

What a graph loop cannot hold raises `CannotConvert` while the loop is traced, before the
loop has any effect on the trace; the caller then runs the loop as Python (the unrolled,
guarded path), so everything that worked before still works:
- a Python read of a value computed in the loop (`bool`, `int`, `float`, `.numpy()`):
  it would be one guard per iteration;
- a Variable assignment in the body (a graph loop has no per-iteration commit);
- an active GradientTape around the loop (the tape differentiates the unrolled equations,
  guarded; the `while_loop` equation's own VJP reruns the loop for eager tapes only);
- a traced `maximum_iterations`, a `tf.print` of nested structures or of values that are
  not str/int/float/bool, other effects (summaries) in the body, prints in the condition.

A function traced with symbolic sizes (an input_signature with None) makes graph loops too:
their sub-graphs are typed over the same symbols, and each specialisation of the enclosing
graph (graph/specialize.py) specialises them with it.
"""

from __future__ import annotations

import numpy as np

from tapeflow import nest
from tapeflow.graph.ir import Var, new_var
from tapeflow.ops import dims, structured
from tapeflow.ops.control import body_result
from tapeflow.ops.core import BOOL, InvalidArgumentError, is_tracer
from tapeflow.runtime.sub_trace import (
    CannotConvert,
    Closer,
    SubRecorder,
    add_prints,
    as_loop_tensor,
    enclosing_recorder,
    first_present,
    is_undefined,
    outer_tensor,
    record,
    run_at_trace,
    seal,
    sub_trace,
    where_in_user_code,
)
from tapeflow.runtime.trace import active_trace
from tapeflow.tracer import tape as tape_module
from tapeflow.tracer.tensor import Tensor, make_constant
from tapeflow.tracer.variable import Variable

__all__ = ["CannotConvert", "active_trace", "trace_while", "trace_cond", "trace_for_range",
           "trace_for_tensor", "is_traced", "in_graph_loop"]


def trace_while(cond, body, loop_vars, maximum_iterations, single: bool, names=None):
    """`tf.while_loop` as one graph loop in the active trace; CannotConvert where it cannot
    be (the caller runs the loop as Python). Returns the final loop_vars in their
    structure."""
    trace = active_trace()
    enclosing = enclosing_recorder(trace)
    if enclosing is None:
        raise CannotConvert("a GradientTape records around the loop")
    if maximum_iterations is not None:
        if is_tracer(maximum_iterations):
            if maximum_iterations._var in enclosing._watched:
                raise CannotConvert("maximum_iterations is a traced tensor")
            maximum_iterations = maximum_iterations._value
        maximum_iterations = int(maximum_iterations)
    state = [loop_vars] if single else loop_vars
    flat = nest.flatten(state)
    names = names or [f"loop_vars[{k}]" if not single else "loop_vars"
                      for k in range(len(flat))]
    # A variable the body assigns before reading it may have no value before the loop
    # (AutoGraph's Undefined): as TensorFlow, it starts as zeros of the type the body gives
    # it, and a loop that runs no iteration is an error.
    undefined = [k for k, x in enumerate(flat) if is_undefined(x)]
    init = [None if k in undefined else as_loop_tensor(x, n)
            for k, (x, n) in enumerate(zip(flat, names))]
    root = trace.recorder
    recorder = SubRecorder(enclosing, root)
    carried_tensors = [flat[k] if t is None else Tensor(t._value, new_var(t.aval))
                       for k, t in enumerate(init)]
    for t in carried_tensors:
        if isinstance(t, Tensor):
            recorder._watched.add(t._var)
            recorder._values[t._var] = t
    carried_state = nest.pack_sequence_as(state, carried_tensors)

    with sub_trace(trace, recorder, allow_prints=False):
        pred = cond(*carried_state)
    if isinstance(pred, Variable):
        pred = pred._read()
    if not isinstance(pred, Tensor) or pred._var not in recorder._watched:
        raise CannotConvert("the condition does not depend on a traced tensor")
    if pred.aval.shape not in ((), (1,)) or pred.aval.dtype != BOOL:
        raise CannotConvert("the condition is not a bool scalar")
    cond_eqns = list(recorder._eqns)
    recorder._eqns = []
    with sub_trace(trace, recorder, allow_prints=True):
        result = body(*carried_state)
    body_eqns = list(recorder._eqns)
    new_flat = body_result(result, state, single)
    for k in undefined:
        if is_undefined(new_flat[k]):
            raise CannotConvert(f"'{names[k]}' has no value before or after an iteration")
    new_tensors = [as_loop_tensor(x, n) for x, n in zip(new_flat, names)]
    for k in undefined:
        aval = new_tensors[k].aval
        init[k] = make_constant(np.zeros(aval.shape, aval.dtype))
        carried_tensors[k] = Tensor(init[k]._value, new_var(aval))
    carried = [t._var for t in carried_tensors]
    structured.check_loop_types(names, [t.aval for t in init], [t.aval for t in new_tensors])
    for t in new_tensors:
        recorder._values.setdefault(t._var, t)

    closer = Closer(recorder)
    closer.scan(carried, cond_eqns, [pred._var])
    closer.scan(carried, body_eqns, [t._var for t in new_tensors])
    cond_graph = closer.close(carried, cond_eqns, [pred._var])
    body_graph = closer.close(carried, body_eqns, [t._var for t in new_tensors])
    effectful = structured.graph_has_effects(body_graph)
    params = dict(cond_graph=cond_graph, body_graph=body_graph, names=tuple(names),
                  max_iterations=maximum_iterations,
                  effects_key=structured.new_effect_key() if effectful else 0,
                  must_iterate=tuple(names[k] for k in undefined))
    operand_tensors = [outer_tensor(v, enclosing, root, closer) for v in closer.operands]
    inputs = init + operand_tensors
    structured.while_p.out_avals(tuple(t.aval for t in inputs), params)  # checks the graphs
    finals = run_at_trace(trace, structured.while_p, inputs, params, init)
    outputs = [Tensor(value, new_var(t.aval)) for value, t in zip(finals, init)]
    record(structured.while_p, inputs, outputs, params, enclosing)
    seal(recorder, f"the body of the loop at {where_in_user_code()}")
    add_prints(trace, params, effectful)
    packed = nest.pack_sequence_as(state, outputs)
    return packed[0] if single else packed


def is_traced(x) -> bool:
    """Whether `x` is a value of the function being traced (or of a loop body in it)."""
    trace = active_trace()
    if trace is None:
        return False
    if isinstance(x, Variable):
        return True
    var = getattr(x, "_var", None)
    if var is None:
        return False
    if var in trace.recorder._watched:
        return True
    return any(isinstance(t, SubRecorder) and var in t._watched
               for t in tape_module._recording_here.items)


def in_graph_loop() -> bool:
    """Whether the Python running now is a graph loop's body (or branch) being traced."""
    items = tape_module._recording_here.items
    return bool(items) and isinstance(items[-1], SubRecorder)


def trace_for_range(args, kwargs, body, init, names, target, extra_test=None):
    """`for target in tf.range(*args, **kwargs)` with `state = body(i, *state)` as one
    graph loop: the counter is a loop variable, the bounds are operands; `extra_test(*state)`
    (a loop that breaks) must also hold for another iteration. Returns the final state (a
    tuple)."""
    import tapeflow as tf_api
    from tapeflow.ops.core import canonical_dtype

    bounds = dict(zip(("start", "limit", "delta"), args))
    extra = dict(kwargs)
    dtype = extra.pop("dtype", None)
    extra.pop("name", None)
    for key in ("start", "limit", "delta"):
        if key in extra:
            bounds[key] = extra.pop(key)
    if extra:
        raise CannotConvert(f"tf.range arguments {sorted(extra)}")
    start, limit, delta = bounds.get("start"), bounds.get("limit"), bounds.get("delta", 1)
    if limit is None:
        start, limit = 0, start
    if dtype is None:
        tensors = [b for b in (start, limit, delta) if isinstance(b, Tensor | Variable)]
        if tensors:
            dtype = tensors[0].dtype
        elif any(isinstance(b, float) for b in (start, limit, delta)):
            dtype = np.float32
        else:
            dtype = np.int32
    dtype = canonical_dtype(dtype)
    if not isinstance(delta, Tensor | Variable) and delta == 0:
        raise InvalidArgumentError("range: delta must not be 0")

    def as_bound(x):
        t = as_loop_tensor(x, "tf.range's bounds")
        return t if t.aval.dtype == dtype else tf_api.cast(t, dtype)

    start_t, limit_t, delta_t = as_bound(start), as_bound(limit), as_bound(delta)
    if isinstance(delta, Tensor | Variable):
        def cond(c, *state):
            return tf_api.logical_or(tf_api.logical_and(delta_t > 0, c < limit_t),
                                     tf_api.logical_and(delta_t < 0, c > limit_t))
    elif delta > 0:
        def cond(c, *state):
            return c < limit_t
    else:
        def cond(c, *state):
            return c > limit_t

    def loop_body(c, *state):
        return (c + delta_t, *body(c, *state))

    result = trace_while(_and_extra(cond, extra_test), loop_body, [start_t, *init], None, single=False,
                         names=[target, *names])
    return tuple(result[1:])


def trace_for_tensor(xs, body, init, names, target, extra_test=None):
    """`for target in xs` over a traced tensor of rank >= 1 with `state = body(x_i, *state)`
    as one graph loop, as TensorFlow's AutoGraph makes it: a counter runs over the leading
    axis (`tf.shape(xs)[0]`, an operand) and the body reads `gather(xs, counter)`;
    `extra_test(*state)` as in trace_for_range. Returns the final state (a tuple)."""
    import tapeflow as tf_api
    from tapeflow.ops.array import size_value

    if isinstance(xs, Variable):
        xs = xs._read()
    n = size_value(xs.aval.shape[0], np.int32)  # a constant, or a `dim` equation
    count = as_loop_tensor(n, "the length of the iterated tensor")
    empty = dims.hint_of(xs.aval.shape[0]) == 0

    def cond(c, *state):
        return c < count

    def loop_body(c, *state):
        if empty:
            # The body is traced on the counter's start value (0), which has no element
            # here: the gather is recorded with a stand-in value (its value at trace time
            # shapes nothing; the loop's values come from running the equation, which
            # makes no iteration).
            element = _stand_in_gather(xs, c)
        else:
            element = tf_api.gather(xs, c)
        return (c + 1, *body(element, *state))

    start = tf_api.constant(0, dtype=np.int32)
    result = trace_while(_and_extra(cond, extra_test), loop_body, [start, *init], None, single=False,
                         names=["ag__index", *names])
    return tuple(result[1:])


def _and_extra(cond, extra_test):
    """A `for` loop's condition on (counter, *state), and its extra test on the state."""
    if extra_test is None:
        return cond

    def both(c, *state):
        import tapeflow as tf_api

        return tf_api.logical_and(cond(c, *state), extra_test(*state))

    return both


def _stand_in_gather(xs: Tensor, index: Tensor) -> Tensor:
    from tapeflow.ops.shape import gather_p

    aval = gather_p.out_avals((xs.aval, index.aval), {"axis": 0})[0]
    out = Tensor(np.zeros(dims.hints(aval.shape), aval.dtype), new_var(aval))
    record(gather_p, [xs, index], [out], {"axis": 0}, tape_module._recording_here.items[-1])
    return out


def trace_cond(pred, true_fn, false_fn, names):
    """A tensor `if` inside a loop body being traced: both branches traced once into one
    `cond` equation. `true_fn`/`false_fn` take no argument and return the values of
    `names` after the branch (a tuple).
    CannotConvert where it cannot be (the caller runs the `if` as Python)."""
    trace = active_trace()
    enclosing = enclosing_recorder(trace)
    if not isinstance(enclosing, SubRecorder):
        raise CannotConvert("not inside a graph loop")
    if isinstance(pred, Variable):
        pred = pred._read()
    if pred.aval.shape not in ((), (1,)) or pred.aval.dtype != BOOL:
        raise CannotConvert("the condition is not a bool scalar")
    root = trace.recorder
    recorders, results = [], []
    for fn in (true_fn, false_fn):
        recorder = SubRecorder(enclosing, root)
        with sub_trace(trace, recorder, allow_prints=True):
            out = fn()
        for name, value in zip(names, out):
            if is_undefined(value):
                branch = "main" if fn is true_fn else "else"
                raise ValueError(
                    f"'{name}' must also be initialized in the {branch} branch, because it "
                    "is used after the if (both branches of an if on a tensor are traced)")
        flat = [as_loop_tensor(x, n) for x, n in zip(out, names)]
        for t in flat:
            recorder._values.setdefault(t._var, t)
        recorders.append(recorder)
        results.append(flat)
    for name, a, b in zip(names, *results):  # TensorFlow's words
        if a.aval.dtype != b.aval.dtype:
            raise TypeError(f"'{name}' has dtype {a.aval.dtype.name} in the main branch, but "
                            f"dtype {b.aval.dtype.name} in the else branch")
        if a.aval.shape != b.aval.shape:
            raise ValueError(f"'{name}' has shape {tuple(a.aval.shape)} in the main branch, "
                             f"but shape {tuple(b.aval.shape)} in the else branch")
    closers = [Closer(r) for r in recorders]
    operands: list[Var] = []
    for closer, recorder, flat in zip(closers, recorders, results):
        closer.scan([], recorder._eqns, [t._var for t in flat])
        operands += [v for v in closer.operands if v not in operands]
    graphs = []
    for closer, recorder, flat in zip(closers, recorders, results):
        closer.operands = operands
        graphs.append(closer.close([], recorder._eqns, [t._var for t in flat]))
    effectful = any(structured.graph_has_effects(g) for g in graphs)
    params = dict(true_graph=graphs[0], false_graph=graphs[1],
                  effects_key=structured.new_effect_key() if effectful else 0)
    operand_tensors = []
    for v in operands:
        t = first_present(enclosing._values.get(v), root._values.get(v),
                   *[c.tensors.get(v) for c in closers])
        if t is None:
            raise CannotConvert(f"the branch reads a value tapeflow cannot find ({v})")
        operand_tensors.append(t)
    inputs = [pred] + operand_tensors
    structured.cond_p.out_avals(tuple(t.aval for t in inputs), params)
    finals = run_at_trace(trace, structured.cond_p, inputs, params, results[0])
    outputs = [Tensor(value, new_var(t.aval)) for value, t in zip(finals, results[0])]
    record(structured.cond_p, inputs, outputs, params, enclosing)
    for recorder in recorders:
        seal(recorder, f"a branch of the if at {where_in_user_code()}")
    trace._loop_texts = []
    return tuple(outputs)


def _install() -> None:
    from tapeflow.ops import control

    def hook(cond, body, loop_vars, maximum_iterations, single):
        if active_trace() is None:
            return NotImplemented
        try:
            return trace_while(cond, body, loop_vars, maximum_iterations, single)
        except CannotConvert:
            return NotImplemented

    control.graph_loop_hooks.append(hook)


_install()


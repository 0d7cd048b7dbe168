"""`tapeflow.explain_gradient(tape, target, source)`: why a gradient is None (or zero).

It reads what the tape recorded and answers with the first reason that applies, as one
paragraph naming the user's lines:

- the source has an integer dtype (integers have no gradient);
- the source was never watched (a tensor without `tape.watch`, a Variable with
  `trainable=False` or under `watch_accessed_variables=False`, or one never read while the
  tape recorded);
- the target is not on the tape (computed outside the `with` block, or while
  `stop_recording` paused it);
- a path exists but is cut: `tf.stop_gradient`, an integer or boolean intermediate (a cast, a
  comparison), or a piecewise-constant op;
- the value left the tape: Python read it (`.numpy()`, `np.asarray`, a numpy function,
  `float()`), and what came back is a constant to the tape;
- there is no path at all.

A non-persistent tape forgets its records when `gradient` is called; it keeps the last ones
for this explanation, so `explain_gradient` may come after the None it explains.
"""

from __future__ import annotations

from tapeflow import nest
from tapeflow.graph.ir import source_text
from tapeflow.ops.core import is_float
from tapeflow.tracer.tensor import Tensor
from tapeflow.tracer.variable import Variable


def _where(source) -> str:
    return f" at {source_text(source)}" if source else ""


def _records(tape):
    current = (tape._eqns, tape._watched, tape._values, tape._variable_values,
               tape._python_reads, tape._stopped_at)
    if not tape._eqns and getattr(tape, "_last_records", None) is not None:
        return tape._last_records
    return current


def explain_gradient(tape, target, source) -> str:
    """Why `tape.gradient(target, source)` is None (or, when it is not, that it is not)."""
    sources = nest.flatten(source)
    if len(sources) != 1:
        return "\n".join(f"source {i}: {explain_gradient(tape, target, s)}"
                         for i, s in enumerate(sources))
    (source,) = sources
    eqns, watched, values, variable_values, reads, stopped = _records(tape)
    if not isinstance(source, Variable | Tensor):
        return f"the source is a {type(source).__name__}, not a tensor or Variable"
    name = f"Variable {source.name!r}" if isinstance(source, Variable) else "the source tensor"
    if not is_float(source.aval.dtype):
        return (f"{name} has the integer dtype {source.aval.dtype.name}: only float tensors have "
                "gradients (cast it to a float dtype before the computation, and watch that)")

    # Which Vars stand for the source on this tape.
    if isinstance(source, Variable):
        source_vars = list(variable_values.get(source._uid, ()))
        if not source_vars:
            if not source.trainable:
                why = "it was created with trainable=False, so the tape does not watch it"
            elif not tape._watch_accessed_variables:
                why = "the tape has watch_accessed_variables=False"
            elif stopped:
                lines = ", ".join(source_text(s) for s in stopped if s)
                why = (f"it was read only while tape.stop_recording() paused the tape "
                       f"({lines})")
            else:
                why = "it was never read while the tape was recording"
            short = source.name.split(":")[0]
            return (f"{name} was never watched: {why}; call tape.watch({short}) inside the "
                    "`with` block, before it is used")
    else:
        if source._var not in watched:
            return (f"{name} was never watched: a tape watches Variables it sees read, and "
                    "tensors only through tape.watch(x) (call it inside the `with` block, "
                    "before x is used)")
        source_vars = [source._var]

    targets = [t._value if isinstance(t, Variable) else t for t in nest.flatten(target)]
    if not all(isinstance(t, Tensor) for t in targets):
        return "the target is not a tensor"
    made = {v: e for e in eqns for v in e.outputs}
    target_vars = [t._var for t in targets]
    # Everything that depends on the source (any dtype, through any equation), and what
    # depends on it differentiably.
    reach_all = set(source_vars)
    reach_grad = set(source_vars)
    cut_at = {}  # Var -> the equation that cut the gradient on the way to it
    for eqn in eqns:
        ins_all = [v for v in eqn.inputs if v in reach_all]
        if not ins_all:
            continue
        reach_all.update(eqn.outputs)
        ins_grad = [v for v in eqn.inputs if v in reach_grad]
        blocked = (eqn.prim.name == "stop_gradient"
                   or getattr(eqn.prim.vjp, "nondifferentiable", False))
        for v in eqn.outputs:
            if ins_grad and not blocked and is_float(v.aval.dtype):
                reach_grad.add(v)
            else:
                cut = next((cut_at[u] for u in ins_all if u in cut_at), None)
                cut_at[v] = cut or eqn
    left = [(v, reads[v]) for v in reads if v in reach_all]
    if not any(v in made or v in watched for v in target_vars):
        if left:
            return _left_message(left[0], made, name)
        if stopped:
            lines = ", ".join(source_text(s) for s in stopped if s) or "a stop_recording block"
            return (f"the target was not recorded on this tape: it was computed while "
                    f"tape.stop_recording() paused it ({lines}), or outside the `with` block")
        return ("the target was not recorded on this tape: it was computed outside the "
                "`with` block, or only from values the tape does not watch")

    if any(v in reach_grad for v in target_vars):
        return (f"the target depends on {name} through the recorded equations, so its "
                "gradient is a tensor (it may be zero where the function is flat there, e.g. "
                "relu below 0); it is None only if the tape was used up (persistent=False)")
    cuts = [cut_at[v] for v in target_vars if v in cut_at]
    if cuts:
        cut = cuts[0]
        if cut.prim.name == "stop_gradient":
            what = "tf.stop_gradient"
        elif not is_float(cut.outputs[0].aval.dtype):
            what = (f"{cut.prim.name}, which makes a {cut.outputs[0].aval.dtype.name} value "
                    "(integers and booleans carry no gradient)")
        else:
            what = f"{cut.prim.name}, which is piecewise constant (its gradient is zero)"
        return f"the path from {name} to the target is cut by {what}{_where(cut.source)}"
    if left:
        return _left_message(left[0], made, name)
    if stopped:
        lines = ", ".join(source_text(s) for s in stopped if s)
        return (f"no recorded path from {name} to the target; recording was stopped with "
                f"tape.stop_recording() ({lines}): what was computed there is not on the tape")
    return f"no path: the target does not depend on {name} in anything the tape recorded"


def _left_message(read, made, name: str) -> str:
    v, (kind, line) = read
    producer = made.get(v)
    value = (f"the value of {producer.prim.name}{_where(producer.source)}" if producer
             else f"{name}'s value")
    how = ".numpy() or a numpy function (np.asarray)" if kind == "numpy" else f"{kind}()"
    return (f"{value}, which depends on {name}, left the tape{_where(line)} through {how}: "
            "what comes back from numpy is a constant to the tape; keep the computation in "
            "tapeflow ops")

"""Recording the sub-graphs of a graph loop or branch (runtime/graph_loops.py uses them).

A sub-graph is recorded on its own tape, the only one recording while its Python runs, whose
watched set layers its own values over the enclosing trace's (an op on a value of the
enclosing trace belongs to the body too). Hooks refuse what a graph loop cannot hold by
raising `CannotConvert` before it has any effect: a Python read of a value computed in the
loop, a Variable assignment. A `tf.print` becomes a `print` equation at its place. `Closer`
then closes the recorded equations into a graph over (carried values, operands): the
values they read from the enclosing trace become operands, the others constants.
"""

from __future__ import annotations

import contextlib

import numpy as np

from tapeflow.graph.ir import Eqn, Graph, Var, make_params
from tapeflow.ops import dims, structured
from tapeflow.runtime import loop_effects
from tapeflow.runtime.effects import PrintEffect
from tapeflow.runtime.trace import _Recorder
from tapeflow.tracer import tape as tape_module
from tapeflow.tracer import tensor as tensor_module
from tapeflow.tracer import variable as variable_module
from tapeflow.tracer.tape import GradientTape, user_source
from tapeflow.tracer.tensor import Tensor, convert_to_tensor
from tapeflow.tracer.variable import Variable


class CannotConvert(Exception):
    """The loop (or branch) cannot be a graph loop; the message says why."""


class InaccessibleTensorError(ValueError):
    """A value a graph loop's body (or a graph branch) made, used after it (TF's error)."""


class Layered:
    """A sub-recorder's watched set: its own values, and everything the enclosing trace
    watches (an op on a value of the enclosing trace is part of the loop body too)."""

    def __init__(self, outer):
        self.own: set = set()
        self.outer = outer

    def __contains__(self, v) -> bool:
        return v in self.own or v in self.outer

    def add(self, v) -> None:
        self.own.add(v)


class SubRecorder(GradientTape):
    """Records one sub-graph (a condition, a body, a branch) of a graph loop."""

    _records_shape_dependent = True

    def __init__(self, outer: GradientTape, root: _Recorder):
        super().__init__(persistent=True, watch_accessed_variables=True)
        self._watched = Layered(outer._watched)
        self.outer = outer
        self.root = root
        self._inaccessible = root._inaccessible

    def _saw_variable(self, variable: Variable) -> None:
        # A variable read in the body is an input of the enclosing trace (the root trace
        # captures it), and an operand of the loop.
        self.outer._saw_variable(variable)
        if self.outer is not self.root:
            self.root._saw_variable(variable)


class EffectSink(list):
    """The trace's effect list while a sub-graph is traced: a tf.print becomes a `print`
    equation at its place among the recorded equations."""

    def __init__(self, recorder: SubRecorder, allow_prints: bool):
        super().__init__()
        self.recorder = recorder
        self.allow_prints = allow_prints

    def append(self, effect) -> None:
        if isinstance(effect, loop_effects.LoopPrints):
            return  # a nested loop's prints: its equation prints them
        if not isinstance(effect, PrintEffect):
            raise CannotConvert(f"a {type(effect).__name__} in the loop")
        if not self.allow_prints:
            raise CannotConvert("a tf.print in the loop condition")
        if len(effect.leaves) != len(effect.structure):
            raise CannotConvert("a tf.print of a nested structure")
        fmt, inputs = [], []
        for leaf in effect.leaves:
            if isinstance(leaf, Tensor):
                fmt.append(None)
                inputs.append(leaf)
            elif leaf is None or isinstance(leaf, str | int | float | bool):
                fmt.append(leaf)
            else:
                raise CannotConvert(f"a tf.print of a {type(leaf).__name__}")
        stream = effect.stream
        eqn = Eqn(structured.print_p, tuple(t._var for t in inputs), (),
                  make_params(dict(format=tuple(fmt), sep=effect.sep, end=effect.end,
                                   summarize=effect.summarize, stream=stream)),
                  user_source())
        self.recorder._append(eqn, inputs, [])


def seal(recorder: SubRecorder, what: str) -> None:
    """After its equation is recorded, the values a body or branch made exist only inside
    it: an op, a Python read or a result of the function that uses one (kept in a list, an
    attribute, a nonlocal) raises instead of taking the value of the one traced iteration."""
    for v in recorder._watched.own:
        recorder._inaccessible[v] = _inaccessible_error(v, what)


def _inaccessible_error(v: Var, what: str):
    def make() -> InaccessibleTensorError:
        return InaccessibleTensorError(
            f"a value computed in {what} ({v.aval}) is out of scope and cannot be used here, "
            f"at {where_in_user_code()}: a loop on a tensor runs as one graph loop, traced "
            "once, and the values its body makes exist only inside it (TensorFlow's rule). "
            "Make it a loop variable (assign it in the body and use it after the loop), "
            "collect per-iteration values in a tf.TensorArray, or run the loop as Python "
            "with tf.function(..., autograph=False).")
    return make


def enclosing_recorder(trace):
    """The recorder of the innermost graph being traced: a sub-recorder inside a body,
    else the trace's own. None when a user's GradientTape records around the loop."""
    items = tape_module._recording_here.items
    if not items:
        return None
    inner = items[-1]
    if isinstance(inner, SubRecorder):
        return inner if len(items) == 1 else None
    if inner is trace.recorder and len(items) == 1:
        return inner
    return None


@contextlib.contextmanager
def sub_trace(trace, recorder: SubRecorder, allow_prints: bool):
    """Run a sub-graph's Python with `recorder` as the only recording tape and the hooks
    that refuse what a graph loop cannot hold."""
    items = tape_module._recording_here.items
    saved_items = list(items)
    saved_effects = trace.effects
    saved_read = tensor_module.python_value_hook.value
    saved_write = variable_module.write_hook.value

    def read(tensor, kind):
        var = tensor._read()._var if isinstance(tensor, Variable) else tensor._var
        if var in recorder._watched.own:
            raise CannotConvert(f"Python reads a value computed in the loop ({kind}()) at "
                                f"{where_in_user_code()}")
        return saved_read(tensor, kind)

    def write(variable, value):
        raise CannotConvert(f"the loop assigns the Variable {variable.name} at "
                            f"{where_in_user_code()}")

    items[:] = [recorder]
    trace.effects = EffectSink(recorder, allow_prints)
    tensor_module.python_value_hook.value = read
    variable_module.write_hook.value = write
    try:
        yield
    finally:
        items[:] = saved_items
        trace.effects = saved_effects
        tensor_module.python_value_hook.value = saved_read
        variable_module.write_hook.value = saved_write


def where_in_user_code() -> str:
    from tapeflow.graph.ir import source_text

    source = user_source()
    return source_text(source) if source is not None else "an unknown line"


def as_loop_tensor(x, name: str) -> Tensor:
    if isinstance(x, Variable):
        return x._read()
    if isinstance(x, Tensor):
        return x
    try:
        return convert_to_tensor(x)
    except (TypeError, ValueError) as e:
        raise CannotConvert(f"loop variable {name} is not a tensor ({e})") from None


class Closer:
    """Closes recorded equations into sub-graphs over (carried, operands): the values the
    equations read from the enclosing trace become operands, in first-use order, and
    values of neither (eager constants) become the sub-graph's constants."""

    def __init__(self, recorder: SubRecorder):
        self.recorder = recorder
        self.operands: list[Var] = []  # enclosing-trace Vars, in first-use order
        self.tensors: dict[Var, Tensor] = {}

    def scan(self, carried: list[Var], eqns: list[Eqn], outputs: list[Var]) -> None:
        defined = set(carried)
        for e in eqns:
            for v in e.inputs:
                self._note(v, defined)
            defined.update(e.outputs)
        for v in outputs:
            self._note(v, defined)

    def _note(self, v: Var, defined: set) -> None:
        if v in defined:
            return
        if v in self.recorder._watched.outer and v not in self.operands:
            self.operands.append(v)
        t = self.recorder._values.get(v)
        if t is not None:
            self.tensors.setdefault(v, t)

    def close(self, carried: list[Var], eqns: list[Eqn], outputs: list[Var]) -> Graph:
        inner = {v: Var(v.aval) for v in self.operands}
        inputs = list(carried) + [inner[v] for v in self.operands]
        defined = set(carried)
        consts: dict[Var, np.ndarray] = {}
        new_eqns = []
        for e in eqns:
            ins = []
            for v in e.inputs:
                if v in inner:
                    ins.append(inner[v])
                    continue
                if v not in defined and v not in consts:
                    consts[v] = np.asarray(self._value(v))
                ins.append(v)
            new_eqns.append(e.with_inputs(tuple(ins)))
            defined.update(e.outputs)
        outs = []
        for v in outputs:
            if v in inner:
                v = inner[v]
            elif v not in defined and v not in consts:
                consts[v] = np.asarray(self._value(v))
            outs.append(v)
        return Graph(tuple(inputs), tuple(new_eqns), tuple(outs), tuple(consts.items()))

    def _value(self, v: Var):
        t = first_present(self.recorder._values.get(v), self.tensors.get(v))
        if t is None:
            raise CannotConvert(f"the loop reads a value tapeflow cannot find ({v})")
        return t._value


def is_undefined(x) -> bool:
    return type(x).__name__ == "_Undefined"  # api/autograph_ops.py's UNDEFINED


def outer_tensor(v: Var, enclosing, root, closer: Closer) -> Tensor:
    t = first_present(enclosing._values.get(v), root._values.get(v), closer.tensors.get(v))
    if t is None:
        raise CannotConvert(f"the loop reads a value tapeflow cannot find ({v})")
    return t


def first_present(*candidates):
    """The first that is not None (never `or`: the truth of a tensor is a guard)."""
    return next((c for c in candidates if c is not None), None)


def run_at_trace(trace, prim, inputs, params, like) -> list:
    """The equation's values for the trace itself (the tracing call's results), with the
    prints it makes kept for the tracing call (runtime/loop_effects.py)."""
    if trace.values_unknown:  # a trace from TensorSpecs: stand-in values, nothing to run
        return [np.zeros(dims.hints(t.aval.shape), t.aval.dtype) for t in like]
    if trace.symbolic:
        # Sub-graphs typed over the symbols of an input_signature's None sizes run here at
        # the sizes of the tracing call, as the graph's specialisation for them will.
        params = at_trace_sizes(trace, params)
    with loop_effects.collecting() as collected, np.errstate(all="ignore"):
        values = prim.impl(*[t._value for t in inputs], **params)
    trace._loop_texts = collected.get(params["effects_key"], [])
    return list(values)


def at_trace_sizes(trace, params: dict) -> dict:
    """`params` with each sub-graph specialised to the sizes of the tracing call."""
    from tapeflow.graph.specialize import specialize_param

    sizes = {}
    for v in trace.input_paths:
        for d in v.aval.shape:
            if isinstance(d, dims.Dim):
                (symbol,) = d.symbols()
                sizes[symbol] = d.hint
    return {k: specialize_param(p, sizes) for k, p in params.items()}


def record(prim, inputs, outputs, params, enclosing) -> None:
    eqn = Eqn(prim, tuple(t._var for t in inputs), tuple(t._var for t in outputs),
              make_params(params), user_source())
    enclosing._append(eqn, inputs, outputs)


def add_prints(trace, params, effectful: bool) -> None:
    texts = getattr(trace, "_loop_texts", [])
    trace._loop_texts = []
    if effectful:
        trace.effects.append(loop_effects.LoopPrints(params["effects_key"], list(texts)))

"""Tracing a Python function into a Graph: run it once on the real arguments, recording.

While a trace is active, every op whose inputs derive from the arguments or from variables
is recorded (a `GradientTape` that watches all of them), so inner tapes' `gradient` calls
append their adjoint equations to the same graph. Python's reads of traced values
(`bool`, `float`, `int`, `.numpy()`) become guards; variable assignments are collected and
become graph outputs. A trace that raises restores every variable it assigned.
"""

from __future__ import annotations

import contextlib
import linecache
import re
import sys
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tapeflow import nest
from tapeflow.graph.ir import Graph, Var, new_var, source_text
from tapeflow.ops import dims
from tapeflow.ops import dynamic as dynamic_ops
from tapeflow.ops.core import ShapedArray, native_dtype
from tapeflow.ops.elementwise import stop_gradient
from tapeflow.perthread import PerThreadList
from tapeflow.runtime.labels import result_labels
from tapeflow.tracer import tape as tape_module
from tapeflow.tracer import tensor as tensor_module
from tapeflow.tracer import variable as variable_module
from tapeflow.tracer.tape import PACKAGE_DIR, GradientTape, user_source
from tapeflow.tracer.tensor import Tensor
from tapeflow.tracer.variable import Variable

# The traces active on this thread, innermost last (a decorated function called inside one
# is inlined).
_active: PerThreadList = PerThreadList()


def active_trace() -> "Trace | None":
    return _active[-1] if _active else None


def keep_check(check: Tensor) -> None:
    """Make the in-kernel check `check` (a result nothing else uses) run on every call of
    the function being traced. Inside a graph loop's body or a graph branch it cannot be an
    output of the function's graph: the loop is not converted (the unrolled path runs)."""
    trace = active_trace()
    if trace is None:
        return
    from tapeflow.runtime import sub_trace

    if isinstance(trace.effects, sub_trace.EffectSink):
        raise sub_trace.CannotConvert(
            f"a tf.debugging assertion at {sub_trace.where_in_user_code()}")
    trace.checks.append((check, user_source()))


@dataclass(frozen=True)
class Guard:
    """Python read `var` as a `kind` and saw `expected`; the path is valid while it holds.
    `position`: how many equations the trace had recorded when Python read it (the read
    comes before equation `position` in program order)."""

    var: Var
    kind: str
    expected: np.ndarray
    source: tuple[str, int] | None
    position: int = 0

    def holds(self, value: np.ndarray) -> bool:
        value = np.asarray(value)
        if self.kind == "bool":
            return bool(value.reshape(())) == bool(self.expected.reshape(()))
        if self.kind == "int" and value.size == 1 == self.expected.size:
            # Python saw only the integer part: 1.2 and 1.7 take the same path. A value int()
            # cannot convert fails the guard, so the retrace raises at the user's line.
            v = value.reshape(())
            if value.dtype.kind == "f" and not np.isfinite(v):
                return False
            return int(v) == int(self.expected.reshape(()))
        floats = value.dtype.kind == "f"
        if value.shape != self.expected.shape or not np.array_equal(
                value, self.expected, equal_nan=floats):
            return False
        if floats:
            # 0.0 == -0.0, but Python tells them apart (1 / x, copysign, printing).
            zeros = value == 0
            return not zeros.any() or bool(np.array_equal(np.signbit(value[zeros]),
                                                          np.signbit(self.expected[zeros])))
        return True

    def where(self) -> str:
        if self.source is None:
            return f"{self.kind}() of a traced value"
        return f"{self.kind}() of a traced value at {source_text(self.source)}"


class RunsEagerly(Exception):
    """Raised inside a trace by what a graph cannot hold (reading a tf.data pipeline: its
    elements are produced by Python on every call), before it has any effect: the function
    then runs its Python eagerly for that signature (runtime/function.py). `reason` says
    why, for the user."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class VariableCreatedError(ValueError):
    """A Variable was created in a trace after the first one (tf.function's rule).

    TensorFlow raises a plain ValueError here, and this one prints as that class (its
    traceback line reads `ValueError: in user code: ...`, as TF's)."""


VariableCreatedError.__module__ = "builtins"
VariableCreatedError.__name__ = VariableCreatedError.__qualname__ = "ValueError"


def _in_user_code(message: str) -> str:
    """TensorFlow's frame for an error raised in a traced function: the user's line that
    raised it (the innermost frame outside tapeflow), then the error."""
    frame = sys._getframe(1)
    while frame is not None and (frame.f_code.co_filename.startswith(PACKAGE_DIR)
                                 or frame.f_code.co_filename == contextlib.__file__):
        frame = frame.f_back
    if frame is None:
        return message
    line = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
    return (f'in user code:\n\n    File "{frame.f_code.co_filename}", line {frame.f_lineno}, '
            f"in {frame.f_code.co_name}  *\n        {line}\n\n    ValueError: {message}\n")


class _Recorder(GradientTape):
    """A tape that watches every variable read (trainable or not) and every argument."""

    _records_shape_dependent = True

    def __init__(self):
        super().__init__(persistent=True, watch_accessed_variables=True)
        self.captured: dict[int, tuple[Variable, Tensor]] = {}  # first read, before writes
        self.written: dict[int, tuple[Variable, Tensor]] = {}  # value before the first write
        # Values of finished graph-loop bodies and branches (runtime/sub_trace.py: seal),
        # shared with the trace's sub-recorders.
        self._inaccessible: dict = {}

    def _saw_variable(self, variable: Variable) -> None:
        uid = variable._uid
        self._variables[uid] = variable
        if uid not in self.written and uid not in self.captured:
            self.captured[uid] = (variable, variable._value)
        self._watch_value(variable, variable._value)


@dataclass
class Trace:
    """One run of the user's function under recording, and what it observed."""

    allow_new_variables: bool
    recorder: _Recorder = field(default_factory=_Recorder)
    guards: list[Guard] = field(default_factory=list)
    # Decisions taken on symbolic sizes (input_signature with None), when there are any.
    shape_env: dims.ShapeEnv = field(default_factory=lambda: dims.ShapeEnv(where=user_source))
    symbolic: bool = False
    fn: Any = None  # the Python function run (its `return` statements label the outputs)
    # Effects to repeat on every call (runtime/effects.py: tf.print), in trace order.
    effects: list = field(default_factory=list)
    # In-kernel checks whose results nothing else uses (tf.debugging's assertions,
    # ops/checks.py: assert_that), with their user lines: outputs of the graph, so that
    # every call runs them (and a failed one commits nothing).
    checks: list = field(default_factory=list)
    # A trace from TensorSpecs alone: its values are stand-ins, so Python may not read them.
    values_unknown: bool = False
    created_variables: int = 0  # Variables the function created while this trace ran
    # Graph names of printed values ("x:0", "add_1:0"), as TF names a graph's tensors.
    graph_names: dict = field(default_factory=dict)
    input_paths: dict = field(default_factory=dict)  # input Var -> argument path
    # A trace from specs that explores the branches of `if`/`while` on tensors (specs.py:
    # explore_branches): the outcomes to take, in order, and the outcomes taken.
    branch_script: list | None = None
    branch_taken: list = field(default_factory=list)
    # tf.function(autograph=...): whether library code running in this trace converts the
    # user functions it calls (a Keras layer's `call`: api/autograph_calls.py).
    autograph: bool = True

    # ---- hooks installed while the function runs --------------------------------------------

    def _observe(self, tensor, kind: str) -> np.ndarray:
        if isinstance(tensor, Variable):
            tensor = tensor._read()
        value = tensor._value
        make_error = self.recorder._inaccessible.get(tensor._var)
        if make_error is not None:
            raise make_error()
        if tensor._var in tape_module.deferred_errors:
            raise tape_module.deferred_errors[tensor._var]
        if self.values_unknown and tensor._var in self.recorder._watched:
            from tapeflow.runtime.specs import branch_outcome, refuse_value_read

            value = branch_outcome(self, tensor) if kind == "bool" else None
            if value is None:
                refuse_value_read(tensor, kind)
        if tensor._var in self.recorder._watched:
            if not any(g.var is tensor._var and g.kind == kind for g in self.guards):
                self.guards.append(Guard(tensor._var, kind, np.array(value), user_source(),
                                         len(self.recorder._eqns)))
        return value

    def _assign(self, variable: Variable, value: Tensor) -> None:
        uid = variable._uid
        if uid not in self.recorder.written:
            self.recorder.written[uid] = (variable, variable._value)
        # As eagerly (tracer/variable.py: _commit_now), an assignment has no gradient: later
        # reads are differentiated w.r.t. the variable, not through the assigned expression.
        variable._value = stop_gradient(value)

    def _created(self, variable: Variable) -> None:
        if not self.allow_new_variables:
            # TF's words. (A function that creates variables is traced twice on its first
            # call, as in TF, and the second trace must create none.)
            raise VariableCreatedError(_in_user_code(
                "tf.function only supports singleton tf.Variables created on the first call. "
                "Make sure the tf.Variable is only created once or created outside "
                "tf.function. See https://www.tensorflow.org/guide/function"
                "#creating_tfvariables for more information."))
        self.created_variables += 1

    def _graph_name(self, tensor) -> str | None:
        """The name TF would give `tensor` in the graph being traced ("x:0" for the argument
        x, "add:0", "add_1:0" for op results), or None for a value that is not the graph's
        (a constant, an eager value)."""
        var = tensor._var
        if var not in self.recorder._watched:
            return None
        name = self.graph_names.get(var)
        if name is None:
            if var in self.input_paths:
                base = re.sub(r"\W.*", "", self.input_paths[var]) or "input"
            else:
                eqn = next((e for e in self.recorder._eqns if var in e.outputs), None)
                base = eqn.prim.name if eqn is not None else "ReadVariableOp"
            taken = sum(1 for n in self.graph_names.values() if n.rsplit(":", 1)[0] == base
                        or n.startswith(base + "_"))
            name = f"{base}_{taken}:0" if taken else f"{base}:0"
            self.graph_names[var] = name
        return name

    def _raise_deferred(self, result) -> None:
        """An op error deferred during the trace (tape.deferred_errors) whose value the
        function's effects use after all: raised now, as TF raises it when it runs."""
        deferred = tape_module.deferred_errors
        if not deferred:
            return
        used = [leaf._value if isinstance(leaf, Variable) else leaf
                for leaf in nest.flatten(result)]
        used += [variable._value for variable, _ in self.recorder.written.values()]
        used += [leaf for effect in self.effects for leaf in effect.leaves]
        if not self.values_unknown:  # (a trace from specs checks stand-in values)
            used += [t for t, _ in self.checks]  # an assertion that failed on the trace's values
        for t in used:
            if isinstance(t, Tensor) and t._var in deferred:
                raise deferred[t._var]

    def run(self, fn, args, kwargs, inputs: list[Tensor]):
        """Call fn(*args, **kwargs) with recording and the hooks installed; `inputs` are
        the argument tensors the graph takes."""
        self.fn = fn
        for t in inputs:  # every input, integer ones too (no "only float" warning)
            self.recorder._watched.add(t._var)
            self.recorder._values.setdefault(t._var, t)
        self._saved_hooks = (variable_module.write_hook.value,
                             tensor_module.python_value_hook.value,
                             tensor_module.graph_name_hook.value,
                             tensor_module.traced_value_hook.value)
        self._installed = True
        tensor_module.graph_name_hook.value = self._graph_name
        tensor_module.traced_value_hook.value = _is_traced
        tensor_module.python_value_hook.value = self._observe
        variable_module.write_hook.value = self._assign
        variable_module.creation_hooks.append(self._created)
        tape_module._recording.append(self.recorder)
        _active.append(self)
        if self.symbolic:
            dims.push_env(self.shape_env)
        try:
            result = fn(*args, **kwargs)
            self._raise_deferred(result)
            return result
        except BaseException:
            restore(self.recorder)
            raise
        finally:
            self.uninstall()

    def uninstall(self) -> None:
        """Take this trace out of the thread's state: its tape, hooks and shape environment.
        Idempotent, so a caller runs it again: a KeyboardInterrupt that stops one run half
        way then leaves nothing of the trace installed."""
        if not getattr(self, "_installed", False):
            return
        tape_module.forget_deferred()
        if any(env is self.shape_env for env in dims._envs):
            dims.pop_env(self.shape_env)
        active = _active.local.items
        for i in reversed(range(len(active))):
            if active[i] is self:
                del active[i]
        if self.recorder in tape_module._recording:
            tape_module._recording.remove(self.recorder)
        if self._created in variable_module.creation_hooks:
            variable_module.creation_hooks.remove(self._created)
        (variable_module.write_hook.value, tensor_module.python_value_hook.value,
         tensor_module.graph_name_hook.value,
         tensor_module.traced_value_hook.value) = self._saved_hooks
        self._installed = False


def _is_traced(tensor) -> bool:
    """A tensor (not a Variable) of the function being traced or of a graph loop's body."""
    from tapeflow.runtime.graph_loops import is_traced

    return isinstance(tensor, Tensor) and is_traced(tensor)


def restore(recorder: _Recorder) -> list[tuple[Variable, Tensor]]:
    """Give every variable the trace assigned its value from before the trace (in one
    uninterruptible step); returns the (variable, value) pairs the trace had left."""
    written = list(recorder.written.values())
    left = [(variable, variable._value) for variable, _ in written]
    variable_module.assign_all([v for v, _ in written], [original for _, original in written])
    return left


@dataclass
class TracedGraph:
    """A trace closed into a Graph, with the layout the runtime needs to call it."""

    graph: Graph
    n_args: int
    captured: list[Variable]
    output_slots: list[Any]  # per returned leaf: an output index, or ("static", value)
    result_structure: Any
    updates: list[tuple[Variable, int]]
    guards: list[tuple[Guard, int]]
    shape_guards: list[dims.ShapeGuard] = field(default_factory=list)
    # Per effect of the trace (a tf.print): the effect and the outputs holding its values.
    effects: list[tuple[Any, list[int]]] = field(default_factory=list)


def close_trace(trace: Trace, arg_inputs: list[tuple[str, Tensor]], result) -> TracedGraph:
    """Build the Graph of a finished trace: inputs are the tensor arguments and the
    variables read before any write; outputs are the returned tensors, the final value of
    each assigned variable, and every guarded value."""
    rec = trace.recorder
    captured = list(rec.captured.values())
    inputs = [t._var for _, t in arg_inputs] + [value._var for _, value in captured]
    names = [path for path, _ in arg_inputs] + [variable.name for variable, _ in captured]

    outputs: list[Var] = []
    known: dict[Var, Tensor] = dict(rec._values)

    def output(t: Tensor) -> int:
        make_error = rec._inaccessible.get(t._var)
        if make_error is not None:
            raise make_error()
        known.setdefault(t._var, t)
        outputs.append(t._var)
        return len(outputs) - 1

    slots, labels = [], []
    leaves = nest.flatten(result)
    for leaf, label in zip(leaves, result_labels(trace.fn, result)):
        if isinstance(leaf, Variable):
            leaf = leaf._value
        if isinstance(leaf, Tensor):
            slots.append(output(leaf))
            labels.append(label)
        else:
            slots.append(("static", leaf))
    updates = [(variable, output(variable._value)) for variable, _ in rec.written.values()]
    labels += [f"new {variable.name}" for variable, _ in rec.written.values()]
    guards = [(g, output(known[g.var])) for g in trace.guards]
    labels += [f"guard at {source_text(g.source)}" if g.source else "guard" for g in trace.guards]
    effects = [(e, [output(t) for t in e.leaves if isinstance(t, Tensor)])
               for e in trace.effects]
    labels += ["tf.print" for _, indices in effects for _ in indices]
    for check, source in trace.checks:
        output(check)
        labels.append(f"assert at {source_text(source)}" if source else "assert")

    defined = set(inputs)
    consts = {}
    for eqn in rec._eqns:
        for v in eqn.inputs:
            if v not in defined and v not in consts:
                consts[v] = known[v]._value
        defined.update(eqn.outputs)
    for v in outputs:
        if v not in defined and v not in consts:
            consts[v] = known[v]._value
    graph = Graph(
        tuple(inputs), tuple(rec._eqns), tuple(outputs), tuple(consts.items()), tuple(names),
        tuple(labels),
    )
    return TracedGraph(graph, len(arg_inputs), [v for v, _ in captured], slots, result,
                       updates, guards, list(trace.shape_env.guards), effects)


def concrete_result(result):
    """What the tracing call returns: `result` with each Variable replaced by its value at
    the end of the trace (what the graph returns for it on later calls, and TF's value
    of `return v.assign_add(1)`), and each tensor by one with a concrete shape (a trace
    with symbolic sizes computes with them, but results leave it with their sizes)."""
    leaves = []
    for leaf in nest.flatten(result):
        if isinstance(leaf, Variable):
            leaf = leaf._value
        if isinstance(leaf, Tensor):
            value = leaf._value
            leaf = Tensor(value, new_var(ShapedArray(value.shape, leaf.aval.dtype)))
        leaves.append(leaf)
    return nest.pack_sequence_as(result, leaves)


def fresh_input(leaf, path: str = "", spec_shape: tuple | None = None) -> Tensor:
    """A new graph input holding an argument's value (its own Var, so the graph owns it).
    Axes that are None in `spec_shape` (the input_signature's) get symbolic sizes, named
    after the argument's path and axis."""
    if isinstance(leaf, Tensor):
        value, aval = leaf._value, leaf.aval
    else:
        value = np.array(leaf)  # a copy, in native byte order
        value = value.astype(native_dtype(value.dtype), copy=False)
        aval = ShapedArray(value.shape, value.dtype)
    if spec_shape is not None and None in spec_shape:
        shape = tuple(
            dims.Dim.symbol(f"{path}.{axis}", d) if s is None else d
            for axis, (s, d) in enumerate(zip(spec_shape, value.shape))
        )
        aval = ShapedArray(shape, aval.dtype)
    return Tensor(value, new_var(aval))


def _staged(x) -> bool:
    """Whether x's value is known only when the function being traced runs (it derives from
    the arguments or variables): ops whose result size depends on values refuse it."""
    trace = active_trace()
    if trace is None:
        return False
    return isinstance(x, Variable) or getattr(x, "_var", None) in trace.recorder._watched


dynamic_ops.staging_probes.append(_staged)

"""The eager tracer: `bind` evaluates every op with numpy and records it on the active tapes.

A tape records an equation when one of its inputs is watched (a watched tensor, a variable the
tape has seen read, or an output of an equation it recorded); outputs of recorded equations
are watched in turn. What a tape holds is a graph: `tape.graph` is the recorded `Graph`.
"""

from __future__ import annotations

import contextlib
import enum
import os
import sys
import threading
import warnings

import numpy as np

from tapeflow import nest, ops
from tapeflow.graph.autodiff import backward_pass, differentiating
from tapeflow.graph.ir import Eqn, Graph, Var, new_var
from tapeflow.ops import core, dims
from tapeflow.ops.core import InvalidArgumentError, OpTypeError, is_float
from tapeflow.perthread import PerThreadList
from tapeflow.tracer import tensor as tensor_module
from tapeflow.tracer import variable as variable_module
from tapeflow.tracer.module import module_scope
from tapeflow.tracer.tensor import Tensor, make_constant
from tapeflow.tracer.variable import Variable

# The tapes currently recording on this thread, outermost first (per thread: an op on
# another thread is never recorded on this thread's tapes or traces).
_recording: PerThreadList = PerThreadList()
_recording_here = _recording.local  # `.items`: the calling thread's list, for hot paths


# --------------------------------------------------------------------------------------------
# Where in user code an op was called (for the IR's source comments)
# --------------------------------------------------------------------------------------------

PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def user_source() -> tuple[str, int] | None:
    """(file, line) of the innermost caller outside the tapeflow package."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.startswith(PACKAGE_DIR):
        frame = frame.f_back
    return (frame.f_code.co_filename, frame.f_lineno) if frame is not None else None


# --------------------------------------------------------------------------------------------
# The bind hook
# --------------------------------------------------------------------------------------------


def _as_input(x) -> Tensor:
    if type(x) is Tensor:
        return x
    if isinstance(x, Variable):
        return x._read()
    if isinstance(x, np.ndarray | np.generic):
        # A copy, in native byte order: the Tensor must not share the caller's array (a
        # reshape or transpose of it would be a view the caller could change).
        return make_constant(np.array(x, dtype=core.native_dtype(x.dtype)))
    raise TypeError(f"an op received {type(x).__name__}; expected a tensor or numpy array")


# While a function is traced, an op whose kernel rejects its values (an index out of range)
# may have a result nobody uses: TF prunes such an op from the graph and never raises. So the
# trace defers the error: the result is a stand-in, and the error is raised where the value
# is used (another op, a Python read, a result, an assignment, a print). Var -> error. One
# dict for every thread (Vars are unique, so threads never see each other's entries); each
# trace forgets its own thread's entries when it ends (`forget_deferred`).
deferred_errors: dict = {}
_deferred_by_thread: dict[int, list] = {}


def forget_deferred() -> None:
    """Drop the errors deferred by this thread's trace (at the end of the trace)."""
    for var in _deferred_by_thread.pop(threading.get_ident(), ()):
        deferred_errors.pop(var, None)


def _tracing_a_function() -> bool:
    return any(tape._records_shape_dependent for tape in _recording)


def eager_bind(prim, args, params):
    """Evaluate `prim` on concrete values and record it on every tape that watches an input."""
    inputs = [a if type(a) is Tensor else _as_input(a) for a in args]
    if deferred_errors:
        for t in inputs:
            if t._var in deferred_errors:
                raise deferred_errors[t._var]
    out_avals = prim.out_avals(tuple(t._var.aval for t in inputs), params)
    symbolic = dims.symbolic_active() and (
        dims.holds_dims(tuple(params.values())) or any(dims.is_symbolic(a.shape)
                                                       for a in out_avals))
    # The kernel computes with the sizes of this call (a symbolic size's hint).
    kernel_params = {k: dims.concretize(v) for k, v in params.items()} if symbolic else params
    deferred = None
    try:
        values = prim.impl(*[t._value for t in inputs], **kernel_params)
    except InvalidArgumentError as e:
        if not _tracing_a_function():
            raise
        deferred = e
        values = tuple(np.zeros(dims.hints(a.shape) if symbolic else a.shape, a.dtype)
                       for a in out_avals)
        values = values if prim.multiple_results else values[0]
    if not prim.multiple_results:
        values = (values,)
    outputs = []
    for value, aval in zip(values, out_avals):
        value = np.asarray(value, dtype=aval.dtype)
        if value.shape != (dims.hints(aval.shape) if symbolic else aval.shape):
            raise AssertionError(
                f"{prim.name}: the eager kernel made shape {value.shape}, the shape rule "
                f"says {aval.shape}"
            )
        outputs.append(Tensor(value, new_var(aval)))
    if deferred is not None:
        mine = _deferred_by_thread.setdefault(threading.get_ident(), [])
        for t in outputs:
            deferred_errors[t._var] = deferred
            mine.append(t._var)
    if _recording_here.items:
        _record(prim, inputs, outputs, params, symbolic)
    return tuple(outputs) if prim.multiple_results else outputs[0]


def _record(prim, inputs, outputs, params, shape_dependent: bool = False):
    eqn = None
    for tape in _recording_here.items:
        if tape._inaccessible:
            _refuse_inaccessible(tape._inaccessible, inputs)
        watched = tape._watched
        for t in inputs:
            if t._var in watched:
                break
        else:
            # A value that depends on a symbolic size (ones of shape [n]) is no constant:
            # a trace records it even when it reads no traced input.
            if not (shape_dependent and tape._records_shape_dependent):
                continue
        if eqn is None:
            origin = differentiating()
            eqn = Eqn(
                prim,
                tuple(t._var for t in inputs),
                tuple(t._var for t in outputs),
                tuple(sorted(params.items())) if params else (),
                user_source(),
                origin,
                # Module scopes are looked up for traced graphs only (a walk of the stack).
                (origin.scope if origin is not None else module_scope())
                if tape._records_shape_dependent else "",
            )
        tape._append(eqn, inputs, outputs)


def _refuse_inaccessible(inaccessible: dict, inputs) -> None:
    for t in inputs:
        make_error = inaccessible.get(t._var)
        if make_error is not None:
            raise make_error()


def _on_python_read(tensor, kind: str) -> None:
    """Note, on each recording tape, a recorded value Python reads (it leaves the tape)."""
    for tape in _recording:
        if tensor._var in tape._watched and tensor._var not in tape._python_reads:
            tape._python_reads[tensor._var] = (kind, _caller_line())


def _caller_line() -> tuple[str, int] | None:
    """The user's line (skipping tapeflow's frames and contextlib's)."""
    frame = sys._getframe(1)
    while frame is not None and (frame.f_code.co_filename.startswith(PACKAGE_DIR)
                                 or frame.f_code.co_filename == contextlib.__file__):
        frame = frame.f_back
    return (frame.f_code.co_filename, frame.f_lineno) if frame is not None else None


def _on_variable_read(variable: Variable) -> None:
    for tape in _recording_here.items:
        tape._saw_variable(variable)


core.set_bind_hook(eager_bind)
tensor_module.python_read_observers.append(_on_python_read)
variable_module.read_hooks.append(_on_variable_read)


# --------------------------------------------------------------------------------------------
# GradientTape
# --------------------------------------------------------------------------------------------


class UnconnectedGradients(enum.Enum):
    """What `gradient` returns for a source the target does not depend on."""

    NONE = "none"
    ZERO = "zero"


class GradientTape:
    """Records operations on watched tensors so that `gradient` can differentiate them."""

    _records_shape_dependent = False  # a trace's recorder sets it (see `_record`)
    # Values no op may read any more, each with the error to raise (a trace's recorders
    # set it: the values a finished graph loop's body made, runtime/sub_trace.py).
    _inaccessible: dict | None = None

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True):
        self._persistent = persistent
        self._watch_accessed_variables = watch_accessed_variables
        self._used = False
        self._in_with = False  # inside its `with` block (what stop_recording pauses)
        self._reset_records()

    def _reset_records(self):
        self._eqns: list[Eqn] = []
        self._watched: set[Var] = set()
        self._values: dict[Var, Tensor] = {}
        self._variables: dict[int, Variable] = {}  # uid -> variable, for watched_variables()
        self._variable_values: dict[int, list[Var]] = {}  # every value of it this tape read
        # For tapeflow.explain_gradient: where recorded values were read by Python
        # (Var -> (kind, user line)) and where recording was stopped.
        self._python_reads: dict[Var, tuple[str, tuple | None]] = {}
        self._stopped_at: list[tuple | None] = []

    # ---- context ----------------------------------------------------------------------------

    def __enter__(self) -> "GradientTape":
        if self in _recording:
            raise ValueError("this GradientTape is already recording: a tape cannot be "
                             "entered again inside its own `with` block")
        if self._used:  # a used non-persistent tape starts afresh, as TF's does
            self.reset()
        _recording.append(self)
        self._in_with = True
        return self

    def __exit__(self, *exc):
        self._in_with = False
        if self in _recording:
            _recording.remove(self)
        return False

    @contextlib.contextmanager
    def stop_recording(self):
        """Run the block without recording on any tape, as TF stops every tape on the
        thread. (A function tracer's recorder, which no `with` opened, keeps recording:
        a traced graph still needs the ops.)"""
        if not self._in_with:
            raise ValueError("stop_recording: this tape is not recording (use it inside "
                             "`with tape:`)")
        paused = [(i, t) for i, t in enumerate(_recording) if getattr(t, "_in_with", False)]
        for _, t in paused:
            _recording.remove(t)
            t._stopped_at.append(_caller_line())
        try:
            yield
        finally:
            for i, t in paused:
                if t._in_with and t not in _recording:
                    _recording.insert(min(i, len(_recording)), t)

    def reset(self):
        """Forget everything recorded so far (the tape keeps recording if it is active)."""
        self._reset_records()
        self._used = False

    # ---- what is watched --------------------------------------------------------------------

    def watch(self, tensor):
        """Watch tensors or variables (any nesting) so ops on them are recorded."""
        for t in nest.flatten(tensor):
            if isinstance(t, Variable):
                self._variables[t._uid] = t
                self._watch_value(t, t._value)
            elif isinstance(t, Tensor):
                if not is_float(t.aval.dtype):
                    warnings.warn(
                        f"watch: the tensor has dtype {t.dtype.name}; only float tensors have "
                        "gradients",
                        stacklevel=2,
                    )
                self._watched.add(t._var)
                self._values.setdefault(t._var, t)
            else:
                # TF raises ValueError here; OpTypeError is both that and a TypeError.
                raise OpTypeError(
                    f"watch: expected a tensor or Variable, got {type(t).__name__}"
                )

    def watched_variables(self) -> tuple[Variable, ...]:
        """The variables this tape watches, in the order they were created."""
        return tuple(sorted(self._variables.values(), key=lambda v: v._uid))

    def _saw_variable(self, variable: Variable) -> None:
        uid = variable._uid
        if uid not in self._variables:
            if not (self._watch_accessed_variables and variable.trainable):
                return
            self._variables[uid] = variable
        self._watch_value(variable, variable._value)

    def _watch_value(self, variable: Variable, value: Tensor) -> None:
        var = value._var
        if var not in self._watched:
            self._watched.add(var)
            self._values[var] = value
            self._variable_values.setdefault(variable._uid, []).append(var)

    def _append(self, eqn: Eqn, inputs, outputs) -> None:
        self._eqns.append(eqn)
        values = self._values
        for t in inputs:
            values.setdefault(t._var, t)
        for t in outputs:
            values[t._var] = t
            self._watched.add(t._var)

    # ---- the recorded graph -----------------------------------------------------------------

    @property
    def graph(self) -> Graph:
        """What the tape recorded, as a Graph: inputs are watched values, constants are
        the other values the ops read, outputs are the values nothing recorded consumed."""
        return _graph_of(self._eqns, self._values, self._watched, self._watched_names())

    def _watched_names(self) -> dict[Var, str]:
        names = {}
        for uid, vars_ in self._variable_values.items():
            for v in vars_:
                names[v] = self._variables[uid].name
        return names

    # ---- differentiation --------------------------------------------------------------------

    def gradient(
        self,
        target,
        sources,
        output_gradients=None,
        unconnected_gradients=UnconnectedGradients.NONE,
    ):
        """d(sum of target)/d(source) for each source, in the structure of `sources`."""
        self._check_usable("gradient")
        flat_sources = nest.flatten(sources)
        own = _variables_in(target)
        source_vars = [self._source_vars(s, i, "gradient", own)
                       for i, s in enumerate(flat_sources)]
        seeds = self._seeds(target, output_gradients)
        with self._computing():
            cts = self._backward(seeds, [v for vs in source_vars for v in vs])
            grads = [
                self._gradient_for(s, vs, cts, unconnected_gradients)
                for s, vs in zip(flat_sources, source_vars)
            ]
        self._consume()
        return nest.pack_sequence_as(sources, grads)

    def jacobian(
        self,
        target,
        sources,
        unconnected_gradients=UnconnectedGradients.NONE,
        parallel_iterations=None,
        experimental_use_pfor=True,
    ):
        """d target[i...] / d source[j...], shaped target.shape + source.shape per source."""
        self._check_usable("jacobian")
        own = _variables_in(target)
        target = self._as_target(target, "jacobian")
        flat_sources = nest.flatten(sources)
        source_vars = [self._source_vars(s, i, "jacobian", own)
                       for i, s in enumerate(flat_sources)]
        all_vars = [v for vs in source_vars for v in vs]
        n = target.aval.size
        rows = [[] for _ in flat_sources]
        with self._computing():
            for i in range(n):
                seed = np.zeros(n, dtype=target.aval.dtype)
                seed[i] = 1
                seeds = {target._var: make_constant(seed.reshape(target.shape))}
                cts = self._backward(seeds, all_vars)
                for k, (s, vs) in enumerate(zip(flat_sources, source_vars)):
                    rows[k].append(self._gradient_for(s, vs, cts, unconnected_gradients))
            result = [
                self._stack_rows(r, s, axis=0, shape=tuple(target.shape) + tuple(s.shape))
                for r, s in zip(rows, flat_sources)
            ]
        self._consume()
        return nest.pack_sequence_as(sources, result)

    def batch_jacobian(
        self, target, source, unconnected_gradients=UnconnectedGradients.NONE,
        parallel_iterations=None, experimental_use_pfor=True,
    ):
        """Per-example Jacobian: target (b, ...) and source (b, ...) -> (b, t..., s...).

        Assumes example i of the target depends only on example i of the source (as TF).
        """
        self._check_usable("batch_jacobian")
        target = self._as_target(target, "batch_jacobian")
        (source_vars,) = [self._source_vars(source, 0, "batch_jacobian")]
        # (A TensorShape of rank 0 is truthy, as TF's: test the rank.)
        if (len(target.shape) == 0 or len(source.shape) == 0
                or target.shape[0] != source.shape[0]):
            raise InvalidArgumentError(
                f"batch_jacobian: target {target.shape} and source {source.shape} need the "
                "same first (batch) dimension"
            )
        b = target.shape[0]
        inner = int(np.prod(target.shape[1:], dtype=np.int64))
        rows = []
        with self._computing():
            for j in range(inner):
                seed = np.zeros((b, inner), dtype=target.aval.dtype)
                seed[:, j] = 1  # the same inner element of every example at once
                seeds = {target._var: make_constant(seed.reshape(target.shape))}
                cts = self._backward(seeds, source_vars)
                rows.append(self._gradient_for(source, source_vars, cts, unconnected_gradients))
            # Rows stack on axis 1: (b, inner, *source.shape[1:]).
            result = self._stack_rows(rows, source, axis=1,
                                      shape=target.shape + tuple(source.shape[1:]))
        self._consume()
        return result

    # ---- helpers ----------------------------------------------------------------------------

    def _check_usable(self, what: str):
        if self._used and not self._persistent:
            raise RuntimeError(
                f"{what}: a non-persistent GradientTape can only be used once; create it with "
                "GradientTape(persistent=True) to compute several gradients"
            )

    def _consume(self):
        # A used non-persistent tape drops what it holds; like TF it still answers
        # watched_variables().
        if not self._persistent:
            self._used = True
            # What explain_gradient reads to say why a gradient was None.
            self._last_records = (self._eqns, self._watched, self._values,
                                  self._variable_values, self._python_reads, self._stopped_at)
            variables = self._variables
            self._reset_records()
            self._variables = variables

    @contextlib.contextmanager
    def _computing(self):
        # A non-persistent tape does not record its own gradient computation; a persistent
        # one inside its `with` block does, so it can differentiate its gradients (as TF).
        paused = (not self._persistent) and self in _recording
        if paused:
            index = _recording.index(self)
            _recording.remove(self)
        try:
            yield
        finally:
            if paused:
                _recording.insert(index, self)

    def _as_target(self, t, what):
        if isinstance(t, Variable):
            return t._value
        if isinstance(t, Tensor):
            return t
        raise TypeError(f"{what}: the target must be a tensor, got {type(t).__name__}")

    def _source_vars(self, s, index: int, what: str, own: tuple[int, ...] = ()) -> list[Var]:
        """The Vars whose cotangents make up the gradient of source `s`: a tensor's own, a
        Variable's values this tape read, and its current value where the Variable itself
        is a target (`own`: their ids), so that d v / d v is ones, as in TF, whose tapes
        differentiate a Variable target and source as the same handle."""
        if not isinstance(s, Variable | Tensor):
            raise TypeError(
                f"{what}: source {index} is a {type(s).__name__}; sources must be tensors or "
                "Variables (watch a tensor with tape.watch)"
            )
        if not is_float(s.aval.dtype):
            label = f" ({s.name})" if isinstance(s, Variable) else ""
            warnings.warn(
                f"{what}: source {index}{label} has dtype {s.dtype.name}; integer sources "
                "have no gradient, so it is None",
                stacklevel=3,
            )
            return []
        if isinstance(s, Variable):
            found = list(self._variable_values.get(s._uid, ()))
            if s._uid in own and s._value._var not in found:
                found.append(s._value._var)
            return found
        return [s._var]

    def _backward(self, seeds: dict[Var, Tensor], source_vars: list[Var]) -> dict[Var, Tensor]:
        return backward_pass(tuple(self._eqns), self._values.__getitem__, seeds, source_vars)

    def _seeds(self, target, output_gradients) -> dict[Var, Tensor]:
        flat_targets = [self._as_target(t, "gradient") for t in nest.flatten(target)]
        if output_gradients is None:
            flat_grads = [None] * len(flat_targets)
        else:
            flat_grads = nest.flatten(output_gradients)
            if len(flat_grads) != len(flat_targets):
                raise InvalidArgumentError(
                    f"gradient: {len(flat_grads)} output_gradients for {len(flat_targets)} "
                    "targets"
                )
        seeds: dict[Var, Tensor] = {}
        for i, (t, g) in enumerate(zip(flat_targets, flat_grads)):
            if not is_float(t.aval.dtype):
                continue  # integer targets have no gradient
            if g is None:
                seed = make_constant(np.ones(t.shape, dtype=t.aval.dtype))
            else:
                seed = g if isinstance(g, Tensor) else make_constant(
                    core.to_array(g, t.aval.dtype, op="gradient")
                )
                if seed.shape != t.shape or seed.aval.dtype != t.aval.dtype:
                    raise InvalidArgumentError(
                        f"gradient: output_gradients[{i}] is {seed.aval}, but target {i} is "
                        f"{t.aval}"
                    )
            seeds[t._var] = ops.add(seeds[t._var], seed) if t._var in seeds else seed
        return seeds

    @staticmethod
    def _gradient_for(source, vars_, cts, unconnected):
        found = [cts[v] for v in vars_ if v in cts]
        if not found:
            if UnconnectedGradients(unconnected) is UnconnectedGradients.ZERO:
                return ops.zeros_like(source)
            return None
        total = found[0]
        for ct in found[1:]:
            total = ops.add(total, ct)
        return total

    @staticmethod
    def _stack_rows(rows, source, axis: int, shape: tuple[int, ...]):
        """Per-element gradients stacked into a Jacobian of `shape` (None if all are None)."""
        if rows and all(r is None for r in rows):
            return None
        if not rows:  # an empty target
            return make_constant(np.zeros(shape, source.aval.dtype))
        rows = [ops.zeros_like(source) if r is None else r for r in rows]
        return ops.reshape(ops.stack(rows, axis=axis), shape)


def _variables_in(target) -> tuple[int, ...]:
    """The ids of the Variables among a gradient's targets."""
    return tuple(t._uid for t in nest.flatten(target) if isinstance(t, Variable))


def _graph_of(eqns, values, watched, names: dict[Var, str]) -> Graph:
    """Close recorded equations into a Graph (see `GradientTape.graph`)."""
    defined, free, consumed = set(), {}, set()
    for eqn in eqns:
        for v in eqn.inputs:
            consumed.add(v)
            if v not in defined:
                free.setdefault(v, None)  # a dict keeps first-use order
        defined.update(eqn.outputs)
    inputs = tuple(v for v in free if v in watched)
    consts = tuple((v, values[v]._value) for v in free if v not in watched)
    outputs = tuple(v for eqn in eqns for v in eqn.outputs if v not in consumed)
    labels = tuple(names.get(v) for v in inputs) if any(v in names for v in inputs) else ()
    return Graph(inputs, tuple(eqns), outputs, consts, labels)

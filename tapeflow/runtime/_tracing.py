"""Tracing one path of a `@tapeflow.function` (its Python function run under recording,
with the variables it assigns restored and committed in one step) and what a function says
when it traces again. Function (function.py) dispatches calls to the paths traced here."""

from __future__ import annotations

import logging
import sys
import warnings

from tapeflow.api import autograph_convert
from tapeflow.ops import dims
from tapeflow.runtime import effects, retraces, specs
from tapeflow.runtime import signature as sig
from tapeflow.runtime.backends import default_compile
from tapeflow.runtime.concrete import ConcreteFunction
from tapeflow.runtime.trace import Trace, close_trace, concrete_result, fresh_input, restore
from tapeflow.tracer import tape as tape_module
from tapeflow.tracer.tape import PACKAGE_DIR
from tapeflow.tracer.variable import assign_all

logger = logging.getLogger("tapeflow")

RETRACE_REPORT_AFTER = 5  # traces of one function before the "keeps retracing" warning
# Called with each new ConcreteFunction (tapeflow/summary's trace_on adds one).
trace_hooks: list = []

class RetraceWarning(UserWarning):
    """A tapeflow.function was traced again; the message says which argument changed."""


def trace_path(function, arguments, paths, key, commit: bool = True, spec_shapes=None,
           from_specs: bool = False, branches: list | None = None):
    """Run the Python function under recording; returns (ConcreteFunction, its result).

    The variables the trace assigned get their old values back as soon as it ran; with
    `commit` they get the trace's values again at the very end, in one step (so an error
    or an interrupt anywhere before leaves them all as they were). Without, the caller
    runs the graph itself, or only wanted the graph. Tapes recording outside
    the call are paused while the trace runs: it works on fresh graph inputs they
    cannot differentiate through. `spec_shapes` (per leaf, None sizes) overrides the
    input_signature's; `from_specs` marks a trace on stand-in values (no Python reads);
    `branches`, for such a trace, the outcomes its `if`/`while` on tensors take (function.py:
    _trace_from_specs), which it records in `concrete._branches`.

    As tf.function, a first trace that creates Variables is run again, now refusing
    new ones: a function that creates a variable on every call fails on its first call
    instead of silently keeping the first variable. The first run's assignments are
    undone and its prints dropped; the second run is the trace."""
    # (Another outcome of a trace from specs is the same trace for the user: no message.)
    instance = function._per_instance.instance_of(arguments)
    message = None if branches else retrace_message(function, key, paths, instance)
    previous_key, previous_paths = function._last_key, list(function._paths.get(key, ()))
    if message is not None:
        logger.info(message)
        warn(message)
    if spec_shapes is None:
        # A spec of unknown rank traces at the call's rank with every size None.
        spec_shapes = [None if s is None else s.shape if s.shape is not None
                       else (None,) * len(sig.leaf_spec(leaf)[1])
                       for s, (_, leaf) in zip(
                           function.aligned_signature() or [None] * len(paths), paths)]
    first = function._variables_allowed
    function._variables_allowed = False
    try:
        traced, result, trace, call_args, updates = run_trace(
            function, arguments, paths, spec_shapes, from_specs, allow_new_variables=first,
            branches=branches)
        if trace.created_variables:
            traced, result, trace, call_args, updates = run_trace(
                function, arguments, paths, spec_shapes, from_specs, allow_new_variables=False,
                branches=branches)
        concrete = ConcreteFunction(traced, function.backend,
                                    max_sizes=function.max_signatures,
                                    compile=function._compile or default_compile())
    except BaseException:
        function._variables_allowed = first and function._trace_count == 0
        raise
    function._trace_count += 1
    function._last_key = key
    function._per_instance.note(instance, key)
    # What calling the ConcreteFunction directly and describing it need (specs.py).
    concrete._function = function
    concrete._call_info = (function._signature.parameters, call_args)
    concrete._expected = specs.expected_leaves(arguments, spec_shapes)
    concrete._branches = trace.branch_taken
    function._concretes.append(concrete)
    for hook in trace_hooks:  # tf.summary.trace_on records the graphs traced
        hook(concrete)
    if commit:
        assign_all([variable for variable, _ in updates], [value for _, value in updates])
        effects.run_traced(trace.effects)
    function._trace_log.append(retraces.record(function._trace_count, previous_key, key, paths,
                                           previous_paths, concrete))
    return concrete, result

def run_trace(function, arguments, paths, spec_shapes, from_specs, allow_new_variables,
              branches=None):
    """One run of the Python function under recording: (TracedGraph, result, Trace,
    the arguments it ran on, the (variable, value) pairs it assigned). The variables
    have their values from before the run again when it returns, raises or is
    interrupted."""
    arg_inputs = [
        (p, fresh_input(leaf, p, shape))
        for (p, leaf), shape in zip(paths, spec_shapes) if sig.is_input(leaf)
    ]
    replaced = iter(t for _, t in arg_inputs)
    leaves = [next(replaced) if sig.is_input(leaf) else leaf for _, leaf in paths]
    call_args = sig.rebuild(arguments, leaves)
    trace = Trace(allow_new_variables=allow_new_variables,
                  symbolic=any(dims.is_symbolic(t.aval.shape) for _, t in arg_inputs),
                  values_unknown=from_specs,
                  branch_script=list(branches) if from_specs and branches is not None
                  else None)
    trace.input_paths = {t._var: p for p, t in arg_inputs}
    trace.autograph = function._autograph
    bound = function._signature.bind_partial()
    bound.arguments.update(call_args)
    outer_tapes = list(tape_module._recording)
    del tape_module._recording[:]
    try:
        try:
            fn = function._fn
            if trace.autograph:  # tensor loops: graph loops
                fn = autograph_convert.converted(fn)
            result = trace.run(fn, bound.args, bound.kwargs,
                               [t for _, t in arg_inputs])
        finally:
            tape_module._recording[:0] = outer_tapes
        # As TF: Python numbers the function returns come back as tensors.
        result = specs.numbers_as_tensors(result)
        traced = close_trace(trace, arg_inputs, result)
        result = concrete_result(result)  # Variables' values now, concrete shapes
    finally:
        trace.uninstall()  # (again: in case an interrupt cut trace.run's short)
        updates = restore(trace.recorder)
    return traced, result, trace, call_args, updates

def retrace_message(function, key, paths, instance=None) -> str | None:
    """The RetraceWarning's text when this trace is not the function's first (for a
    method's call, not its instance's first: instances.py)."""
    previous = function._per_instance.last_key(instance, function._last_key)
    if previous is None:
        return None
    traced = function._per_instance.traces_before(instance, function._trace_count)
    guard_failed = key in function._paths
    if guard_failed:
        lines = sorted({line for c in function._paths[key] for line in c.conditions()})
        why = ("a guard failed (the path depends on values or sizes that differ on this "
               f"call: {'; '.join(lines)})")
    else:
        why = sig.describe_change(previous, key, paths)
    message = f"tapeflow.function {function.__name__!r} is tracing again: {why}"
    if traced + 1 >= RETRACE_REPORT_AFTER and not function._reported_churn:
        function._reported_churn = True
        message += f". It has now been traced {traced + 1} times"
        message += (
            ". Each new outcome of a Python read of a traced value is another path: "
            "compute it with tensor ops (tf.where, tf.maximum, ...) where you can"
            if guard_failed else suggestion(previous, key)
        )
    return message


def warn(message: str) -> None:
    """A RetraceWarning attributed to the user's line that made the call (the first frame
    outside tapeflow, however many wrappers, such as bound methods, lie between)."""
    frame, level = sys._getframe(0), 1
    while frame is not None and frame.f_code.co_filename.startswith(PACKAGE_DIR):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, RetraceWarning, stacklevel=level)


def suggestion(old_key, new_key) -> str:
    static_changes = [
        (o, n) for o, n in zip(old_key[1], new_key[1]) if o != n and o[0] == "static"
    ]
    if static_changes:
        return (
            ". A Python number that changes from call to call causes a trace per value: pass "
            "it as a tensor (tf.constant) or keep it in a tf.Variable"
        )
    return ". Consider input_signature with None dimensions for arguments whose shape varies"

"""`@tapeflow.function`: trace once per signature, optimise, and reuse the graph.

A call looks up its signature (tensor shapes and dtypes, static Python values); each
signature holds up to `max_specializations` traced paths, one per outcome of the guards. A
call runs a path's graph, checks its guards, and only then commits the variable updates and
returns; when no path's guards hold, the function is traced again along the new path. Past
the bound, the function runs eagerly and says which line keeps changing the path.
"""

from __future__ import annotations

import functools
import inspect
import logging
import sys
import warnings
from typing import Any, Callable

import numpy as np

from tapeflow import nest
from tapeflow.graph.ir import Var, source_text
from tapeflow.graph.passes import optimize
from tapeflow.graph.specialize import specialize, symbols_of
from tapeflow.ops import dims
from tapeflow.ops.core import bind
from tapeflow.runtime import signature as sig
from tapeflow.runtime.backends import check_backend, default_backend, make_executor
from tapeflow.runtime.dispatch import make_dispatcher
from tapeflow.runtime.trace import Trace, TracedGraph, close_trace, fresh_input
from tapeflow.runtime.trace import _active as _active_traces
from tapeflow.tracer import tape as tape_module
from tapeflow.tracer.tape import PACKAGE_DIR
from tapeflow.tracer.tensor import Tensor, convert_to_tensor, make_constant

logger = logging.getLogger("tapeflow")

RETRACE_REPORT_AFTER = 5  # traces of one function before the "keeps retracing" warning


class RetraceWarning(UserWarning):
    """A tapeflow.function was traced again; the message says which argument changed."""


# What `ConcreteFunction.run` returns when a guard does not hold (None is a valid result).
GUARD_FAILED = object()


class _Compiled:
    """An optimised static graph, the executor that runs it, and how its outputs are
    handed out (worked out once here, so a call only indexes)."""

    def __init__(self, graph, backend: str):
        self.graph = optimize(graph)
        self.execute = make_executor(backend, self.graph)
        self.out_avals = [v.aval for v in self.graph.outputs]
        # Outputs never alias memory the caller can change: an output that is an input (or
        # a view of one) is copied; everything else is fresh from this call. The
        # interpreter's numpy kernels return views freely, so there every output is copied.
        self.copied = frozenset(
            range(len(self.graph.outputs)) if backend == "interpreter"
            else _views_of_inputs(self.graph)
        )
        # The straight-line call path, written once the Numba entry exists (dispatch.py).
        self.dispatch: Callable | None = None

    def make_dispatch(self, traced, pack: str) -> None:
        if getattr(self.execute, "entry", None) is not None:
            self.dispatch = make_dispatcher(self.execute, self.graph, traced, self.copied,
                                            pack, GUARD_FAILED)


def _views_of_inputs(graph) -> list[int]:
    """Indices of outputs that compiled code may return as (views of) input arrays: an
    input itself, or a reshape of one (the only lowering that returns a view)."""
    made_by = graph.producers()
    found = []
    for i, v in enumerate(graph.outputs):
        while v in made_by and made_by[v].prim.name == "reshape":
            v = made_by[v].inputs[0]
        if v in graph.inputs:
            found.append(i)
    return found


class ConcreteFunction:
    """One traced path of a function for one signature.

    A path traced with symbolic sizes (input_signature with None) keeps its graph over the
    symbols and compiles one specialisation per set of sizes it is called with; the shape
    guards its trace recorded say which sizes it is valid for."""

    def __init__(self, traced: TracedGraph, backend: str = "interpreter"):
        self.traced = traced
        self.backend = backend
        self.raw_graph = traced.graph
        self._symbols = symbols_of(traced.graph)
        self._by_sizes: dict[tuple, _Compiled | None] = {}
        # The result's layout: per returned leaf an output index or ("static", value);
        # results that are one leaf or a flat tuple are packed without walking a structure.
        self._slots = traced.output_slots
        structure = traced.result_structure
        self._pack = (
            "leaf" if not isinstance(structure, list | tuple | dict)
            else "tuple" if type(structure) is tuple and not any(
                isinstance(x, list | tuple | dict) for x in structure)
            else "nested"
        )
        if self._symbols:
            self.graph = traced.graph  # printed with its symbolic sizes
            self._static = None
        else:
            self._static = _Compiled(traced.graph, backend)
            self.graph = self._static.graph

    @property
    def guards(self):
        return self.traced.guards

    @property
    def executor(self):
        """What runs the graph (an InterpreterExecutor or NumbaExecutor); for a path
        traced with symbolic sizes, the one of the sizes it was called with last."""
        if self._static is not None:
            return self._static.execute
        compiled = [c for c in self._by_sizes.values() if c is not None]
        return compiled[-1].execute if compiled else None

    def conditions(self) -> list[str]:
        """Where the path depends on the call: each guard's user line, for messages."""
        lines = [g.where() for g, _ in self.traced.guards]
        lines += [f"the sizes ({g})" + (f" at {source_text(g.source)}" if g.source else "")
                  for g in self.traced.shape_guards]
        return lines

    def __str__(self) -> str:
        return str(self.graph)

    def _for_sizes(self, arg_values: list) -> _Compiled | None:
        """The static graph for these arguments' sizes; None when the trace's shape guards
        do not hold for them (the path does not apply)."""
        key = tuple(_shape(arg_values[i])[axis] for i, axis, _ in self._symbols)
        if key not in self._by_sizes:
            sizes = {symbol: n for (_, _, symbol), n in zip(self._symbols, key)}
            valid = all(g.holds(sizes) for g in self.traced.shape_guards)
            self._by_sizes[key] = (
                _Compiled(specialize(self.traced.graph, sizes), self.backend) if valid else None
            )
        return self._by_sizes[key]

    def run(self, arg_values: list):
        """Run the graph on the argument arrays (a list); GUARD_FAILED when a guard does
        not hold, and then nothing is committed."""
        compiled = self._static
        if compiled is None:
            compiled = self._for_sizes(arg_values)
            if compiled is None:
                return GUARD_FAILED
        if tape_module._recording:
            return self._run_recorded(compiled.graph, arg_values)
        if compiled.dispatch is not None:
            return compiled.dispatch(arg_values)
        outs = compiled.execute(arg_values + [v._value._value for v in self.traced.captured])
        if self.backend == "numba":
            compiled.make_dispatch(self.traced, self._pack)  # compiled: later calls go straight
        for guard, index in self.traced.guards:
            if not guard.holds(outs[index]):
                return GUARD_FAILED
        copied, avals = compiled.copied, compiled.out_avals
        for variable, index in self.traced.updates:
            value = outs[index]
            variable._value = Tensor(value.copy() if index in copied else value, Var(avals[index]))
        leaves = [
            slot[1] if type(slot) is tuple else
            Tensor(outs[slot].copy() if slot in copied else outs[slot], Var(avals[slot]))
            for slot in self._slots
        ]
        return self._packed(leaves)

    def _packed(self, leaves: list):
        if self._pack == "leaf":
            return leaves[0]
        if self._pack == "tuple":
            return tuple(leaves)
        return nest.pack_sequence_as(self.traced.result_structure, leaves)

    def _run_recorded(self, graph, arg_values: list):
        # Under an outer GradientTape, replay the graph through `bind`, so the tape records
        # every primitive and can differentiate the call.
        inputs = [a if isinstance(a, Tensor) else make_constant(np.array(a)) for a in arg_values]
        inputs += [v._read() for v in self.traced.captured]
        env = dict(zip(graph.inputs, inputs))
        for v, value in graph.consts:
            env[v] = make_constant(value)
        for eqn in graph.eqns:
            out = bind(eqn.prim, *[env[v] for v in eqn.inputs], **eqn.params_dict)
            outs = out if eqn.prim.multiple_results else (out,)
            env.update(zip(eqn.outputs, outs))
        outs = [env[v] for v in graph.outputs]
        for guard, index in self.traced.guards:
            if not guard.holds(outs[index]._value):
                return GUARD_FAILED
        for variable, index in self.traced.updates:
            variable._value = make_constant(outs[index]._value)
        return self._packed([slot[1] if type(slot) is tuple else outs[slot]
                             for slot in self._slots])


class Function:
    """The object `@tapeflow.function` returns; call it like the function it wraps."""

    def __init__(
        self,
        fn: Callable,
        input_signature=None,
        max_specializations: int = 8,
        name: str | None = None,
        backend: str | None = None,
    ):
        if backend is not None:
            check_backend(backend)
        self._backend = backend
        self._fn = fn
        self._signature = inspect.signature(fn)
        self.input_signature = (
            None if input_signature is None else [
                s if isinstance(s, sig.TensorSpec) else sig.TensorSpec(*s)
                for s in input_signature
            ]
        )
        self.max_specializations = max_specializations
        self.__name__ = name or getattr(fn, "__name__", "function")
        functools.update_wrapper(self, fn)
        self._paths: dict[Any, list[ConcreteFunction]] = {}
        self._fast_paths: dict[Any, list[ConcreteFunction]] = {}
        self._eager_keys: dict[Any, str] = {}
        self._trace_count = 0
        self._last_key = None
        self._reported_churn = False
        self._variables_allowed = True

    # ---- the per-call path ------------------------------------------------------------------

    def __call__(self, *args, **kwargs):
        if not (kwargs or _active_traces or tape_module._recording):
            # The lean path: positional tensors, arrays and Python scalars whose signature
            # was seen before, no tape recording the call.
            fast = _fast_key(args)
            known = self._fast_paths.get(fast) if fast is not None else None
            if known is not None:
                values = [a._value if type(a) is Tensor else a for a in args
                          if type(a) is Tensor or type(a) is np.ndarray]
                for concrete in known:
                    result = concrete.run(values)
                    if result is not GUARD_FAILED:
                        return result
        if _active_traces:
            return self._fn(*args, **kwargs)  # inside another trace: inline, as TF does
        return self._call(args, kwargs)

    def _call(self, args, kwargs):
        arguments, key, paths = self._keyed(args, kwargs)
        if key in self._eager_keys:
            return self._fn(*args, **kwargs)
        arg_values = [leaf for _, leaf in paths if sig.is_input(leaf)]
        specializations = self._paths.get(key)
        if specializations:
            for concrete in specializations:
                result = concrete.run(
                    [a._value if isinstance(a, Tensor) and not tape_module._recording else a
                     for a in arg_values]
                )
                if result is not GUARD_FAILED:
                    return result
            if len(specializations) >= self.max_specializations:
                return self._give_up(key, specializations, args, kwargs)
        outer_tapes = list(tape_module._recording)
        concrete, result = self._trace(arguments, paths, key, commit=not outer_tapes)
        self._paths.setdefault(key, []).append(concrete)
        fast = _fast_key(args) if not kwargs and self.input_signature is None else None
        if fast is not None:
            # The same list as in _paths: paths traced later are seen by the lean path too.
            self._fast_paths[fast] = self._paths[key]
        if outer_tapes:
            # The trace ran on fresh graph inputs with the outer tapes paused and its variable
            # writes undone; replay it through `bind` on the caller's tensors so the outer
            # tapes record the call and can differentiate it (as they do on later calls).
            replayed = concrete.run(arg_values)
            if replayed is not GUARD_FAILED:
                return replayed
        return result

    def _keyed(self, args, kwargs):
        """(arguments, signature key, leaf paths) for a call. Under `input_signature` every
        argument is a tensor input (Python numbers are converted, as TF does), so a new
        value never retraces."""
        arguments = self._bind(args, kwargs)
        variadic = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        if (self.input_signature is not None and len(arguments) == len(self.input_signature)
                and all(self._signature.parameters[name].kind not in variadic
                        for name in arguments)):
            # Each argument is one tensor of the signature: a Python list or tuple is
            # converted to it (as tf.function does), not flattened into many arguments.
            arguments = {
                name: convert_to_tensor(value, dtype=spec.dtype)
                if isinstance(value, list | tuple) else value
                for (name, value), spec in zip(arguments.items(), self.input_signature)
            }
        key, paths = sig.signature_key(arguments)
        if self.input_signature is not None:
            sig.check_input_signature(self.input_signature, paths)
            if not all(sig.is_input(leaf) for _, leaf in paths):
                leaves = [
                    leaf if sig.is_input(leaf) else np.asarray(leaf, dtype=spec.dtype)
                    for (_, leaf), spec in zip(paths, self.input_signature)
                ]
                arguments = sig.rebuild(arguments, leaves)
                key, paths = sig.signature_key(arguments)
            # A None size is part of the signature, not of the key: one trace for all sizes.
            key = (key[0], tuple(
                ("tensor", spec.shape, spec.dtype) if spec.shape is not None and
                None in spec.shape else leaf
                for leaf, spec in zip(key[1], self.input_signature)
            ))
        return arguments, key, paths

    def _bind(self, args, kwargs) -> dict[str, Any]:
        try:
            bound = self._signature.bind(*args, **kwargs)
        except TypeError as e:
            expected = f"{self.__name__}{self._signature}"
            if self.input_signature is not None:
                expected += f" with input_signature ({', '.join(map(str, self.input_signature))})"
            given = f"{len(args)} positional argument(s)"
            if kwargs:
                given += f" and keyword argument(s) {', '.join(map(repr, kwargs))}"
            raise TypeError(f"{self.__name__}(): {e}; expected {expected}, given {given}") \
                from None
        bound.apply_defaults()
        return dict(bound.arguments)

    def _trace(self, arguments, paths, key, commit: bool = True):
        """Run the Python function under recording; returns (ConcreteFunction, its result).

        With `commit` false the variables the trace assigned are restored afterwards (the
        caller runs the graph itself, or only wanted the graph). Tapes recording outside
        the call are paused while the trace runs: it works on fresh graph inputs they
        cannot differentiate through."""
        message = self._retrace_message(key, paths)
        specs = self.input_signature or [None] * len(paths)
        arg_inputs = [
            (p, fresh_input(leaf, p, spec.shape if spec is not None else None))
            for (p, leaf), spec in zip(paths, specs) if sig.is_input(leaf)
        ]
        replaced = iter(t for _, t in arg_inputs)
        leaves = [next(replaced) if sig.is_input(leaf) else leaf for _, leaf in paths]
        call_args = sig.rebuild(arguments, leaves)
        trace = Trace(allow_new_variables=self._variables_allowed,
                      symbolic=any(dims.is_symbolic(t.aval.shape) for _, t in arg_inputs))
        bound = self._signature.bind_partial()
        bound.arguments.update(call_args)
        outer_tapes = list(tape_module._recording)
        del tape_module._recording[:]
        try:
            if message is not None:
                logger.info(message)
                _warn(message)
            result = trace.run(self._fn, bound.args, bound.kwargs, [t for _, t in arg_inputs])
        finally:
            tape_module._recording[:0] = outer_tapes
        self._trace_count += 1
        self._last_key = key
        self._variables_allowed = False
        traced = close_trace(trace, arg_inputs, result)
        if not commit:
            for variable, original in trace.recorder.written.values():
                variable._value = original
        return ConcreteFunction(traced, self.backend), result

    @property
    def backend(self) -> str:
        """The backend new traces compile for: the one named, else the default (Numba,
        see tapeflow.runtime.backends.set_default_backend)."""
        return self._backend or default_backend()

    def _retrace_message(self, key, paths) -> str | None:
        """The RetraceWarning's text when this trace is not the function's first."""
        previous = self._last_key
        if previous is None:
            return None
        guard_failed = key in self._paths
        if guard_failed:
            lines = sorted({line for c in self._paths[key] for line in c.conditions()})
            why = ("a guard failed (the path depends on values or sizes that differ on this "
                   f"call: {'; '.join(lines)})")
        else:
            why = sig.describe_change(previous, key, paths)
        message = f"tapeflow.function {self.__name__!r} is tracing again: {why}"
        if self._trace_count + 1 >= RETRACE_REPORT_AFTER and not self._reported_churn:
            self._reported_churn = True
            message += f". It has now been traced {self._trace_count + 1} times"
            message += (
                ". Each new outcome of a Python read of a traced value is another path: "
                "compute it with tensor ops (tf.where, tf.maximum, ...) where you can"
                if guard_failed else _suggestion(previous, key)
            )
        return message

    def _give_up(self, key, specializations, args, kwargs):
        lines = sorted({line for c in specializations for line in c.conditions()})
        self._eager_keys[key] = "; ".join(lines)
        _warn(
            f"tapeflow.function {self.__name__!r} took {len(specializations)} different paths "
            f"for one signature (the bound is {self.max_specializations}); it now runs "
            f"eagerly for this signature. The path depends on: {'; '.join(lines)}"
        )
        return self._fn(*args, **kwargs)

    # ---- TensorFlow's inspection API --------------------------------------------------------

    @property
    def python_function(self) -> Callable:
        """The decorated Python function (TF's name)."""
        return self._fn

    def experimental_get_tracing_count(self) -> int:
        return self._trace_count

    def get_concrete_function(self, *args, **kwargs) -> ConcreteFunction:
        """The traced path for these arguments (tracing them if needed)."""
        arguments, key, paths = self._keyed(args, kwargs)
        if not self._paths.get(key):
            # Tracing for the graph alone: variables keep their values (TF runs nothing).
            concrete, _ = self._trace(arguments, paths, key, commit=False)
            self._paths.setdefault(key, []).append(concrete)
        return self._paths[key][-1]

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        return _BoundFunction(self, instance)

    def __repr__(self) -> str:
        return f"<tapeflow.function {self.__name__} ({self._trace_count} traces)>"


class _BoundFunction:
    """A decorated method bound to its instance; `self` is part of the signature."""

    def __init__(self, function: Function, instance):
        self._function = function
        self._instance = instance

    def __call__(self, *args, **kwargs):
        return self._function(self._instance, *args, **kwargs)

    def get_concrete_function(self, *args, **kwargs):
        return self._function.get_concrete_function(self._instance, *args, **kwargs)

    def experimental_get_tracing_count(self) -> int:
        return self._function.experimental_get_tracing_count()


def _fast_key(args) -> tuple | None:
    """The signature of a flat positional call, read straight off the arguments: tensors
    by their type, arrays by shape and dtype, Python scalars by type and value. None for
    anything else (containers, Variables, objects): `_keyed` decides those."""
    key = []
    for a in args:
        kind = type(a)
        if kind is Tensor:
            key.append(a._var.aval)
        elif kind is np.ndarray:
            key.append((a.shape, a.dtype))
        elif kind is float or kind is int or kind is bool or kind is str or a is None:
            key.append((kind, a))
        else:
            return None
    return tuple(key)


def _shape(value) -> tuple:
    return value._value.shape if isinstance(value, Tensor) else np.shape(value)


def _warn(message: str) -> None:
    """A RetraceWarning attributed to the user's line that made the call (the first frame
    outside tapeflow, however many wrappers, such as bound methods, lie between)."""
    frame, level = sys._getframe(0), 1
    while frame is not None and frame.f_code.co_filename.startswith(PACKAGE_DIR):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, RetraceWarning, stacklevel=level)


def _suggestion(old_key, new_key) -> str:
    static_changes = [
        (o, n) for o, n in zip(old_key[1], new_key[1]) if o != n and o[0] == "static"
    ]
    if static_changes:
        return (
            ". A Python number that changes from call to call causes a trace per value: pass "
            "it as a tensor (tf.constant) or keep it in a tf.Variable"
        )
    return ". Consider input_signature with None dimensions for arguments whose shape varies"


def function(fn=None, *, input_signature=None, max_specializations: int = 8,
             backend: str | None = None, **unused):
    """`@tapeflow.function`, bare or with arguments, on functions and methods."""
    for option in unused:
        if option not in ("jit_compile", "reduce_retracing", "autograph",
                          "experimental_relax_shapes", "name"):
            raise TypeError(f"tapeflow.function() got an unexpected argument {option!r}")

    def wrap(f):
        return Function(f, input_signature=input_signature,
                        max_specializations=max_specializations,
                        name=unused.get("name"), backend=backend)

    return wrap if fn is None else wrap(fn)


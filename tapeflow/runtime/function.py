"""`@tapeflow.function`: trace once per signature, optimise, and reuse the graph.

A call looks up its signature (tensor shapes and dtypes, static Python values); each
signature holds up to `max_specializations` traced paths, one per outcome of the guards, and
the function keeps up to `max_signatures` signatures (the least recently used one is dropped,
and freed, for a new one). A call runs a path's graph, checks its guards, and only then
commits the variable updates and returns; when no path's guards hold, the function is traced
again along the new path. Past the bound, the function runs eagerly and says which line keeps
changing the path.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import threading
import time
from collections import OrderedDict
from typing import Any, Callable

import numpy as np

# (graph_loops: imported for what it installs, tf.while_loop's graph loops)
from tapeflow.api import autograph_convert
from tapeflow.runtime import dataset_loops, graph_loops, retraces, specs, unknown_rank  # noqa: F401
from tapeflow.runtime import signature as sig
from tapeflow.runtime._tracing import (  # noqa: F401  (RETRACE_REPORT_AFTER: public here)
    RETRACE_REPORT_AFTER,
    RetraceWarning,
    run_trace,
    trace_path,
    warn,
)
from tapeflow.runtime.backends import check_backend, check_compile, default_backend
from tapeflow.runtime.call_keys import fast_key, runs_eagerly_reason, signature_hot_path
from tapeflow.runtime.concrete import GUARD_FAILED, ConcreteFunction
from tapeflow.runtime.dispatch import OTHER_SIGNATURE
from tapeflow.runtime.instances import BoundFunction, InstanceTraces
from tapeflow.runtime.trace import RunsEagerly
from tapeflow.runtime.trace import _active as _active_traces
from tapeflow.tracer import tape as tape_module
from tapeflow.tracer.tensor import Tensor, convert_to_tensor

_tapes_here = tape_module._recording_here  # `.items`: the tapes recording on this thread

# tf.config.run_functions_eagerly: when True every call runs the Python function directly.
_run_eagerly = False


def set_run_eagerly(value: bool) -> None:
    global _run_eagerly
    _run_eagerly = bool(value)


def run_eagerly() -> bool:
    return _run_eagerly


class Function:
    """The object `@tapeflow.function` returns; call it like the function it wraps."""

    def __init__(
        self,
        fn: Callable,
        input_signature=None,
        max_specializations: int = 8,
        name: str | None = None,
        backend: str | None = None,
        reduce_retracing: bool = False,
        max_signatures: int = 64,
        compile: str | None = None,
        autograph: bool = True,
    ):
        if backend is not None:
            check_backend(backend)
        if compile is not None:
            check_compile(compile)
        self._backend = backend
        self._compile = compile
        # autograph=False: tensor loops stay Python loops (guarded, unrolled paths).
        self._autograph = bool(autograph)
        self._fn = fn
        self._signature = inspect.signature(fn)
        self.input_signature = (
            None if input_signature is None else [
                s if isinstance(s, sig.TensorSpec) else sig.TensorSpec(*s)
                for s in input_signature
            ]
        )
        # A method (first parameter `self`): the signature describes the arguments after it.
        self._method_signature = self.input_signature is not None and next(
            iter(self._signature.parameters), None) == "self"
        self.max_specializations = max_specializations
        self.max_signatures = max_signatures
        self.__name__ = name or getattr(fn, "__name__", "function")
        functools.update_wrapper(self, fn)
        # Signatures, least recently used first (see _drop_old_signatures).
        self._paths: OrderedDict[Any, list[ConcreteFunction]] = OrderedDict()
        self._fast_paths: dict[Any, list[ConcreteFunction]] = {}
        # The generated dispatcher, for that call's signature, of the path the lean path
        # ran last (its `.path` is that ConcreteFunction).
        self._hot: Callable | None = None
        self._eager_keys: dict[Any, str] = {}
        self._dataset_keys: set = set()  # eager because they read a dataset: dataset_loops
        self._dataset_bodies: dict = {}  # their loops' compiled bodies, by code object
        self._trace_count = 0
        # A method's traces, bound objects and last signatures per instance, as TF's
        # Function-per-instance shows them (instances.py).
        self._per_instance = InstanceTraces(self._signature.parameters)
        self._trace_log: list[retraces.TraceRecord] = []  # for explain_retraces()
        self._last_key = None
        self._reported_churn = False
        self._variables_allowed = True
        # reduce_retracing: per relax key (structure, statics, ranks, dtypes) the first key
        # seen, and the shapes (None where sizes changed) of the generalised trace.
        self._reduce_retracing = bool(reduce_retracing)
        self._first_of_kind: dict[Any, Any] = {}
        self._relaxed_shapes: dict[Any, list] = {}
        # Traces from TensorSpecs: per key, its paths (one per outcome of its branches).
        self._spec_paths: dict[Any, list[ConcreteFunction]] = {}
        self._concretes: list[ConcreteFunction] = []  # every trace kept, in trace order
        # Held while tracing and adding a specialisation: threads calling with a new
        # signature together trace it once. Runs of existing paths take no lock.
        self._lock = threading.RLock()

    # ---- the per-call path ------------------------------------------------------------------

    def __call__(self, *args, **kwargs):
        # (A trace records on its own tape, so no tape recording on this thread also means
        # no trace active on it.)
        if not (kwargs or _tapes_here.items or _run_eagerly):
            # The hot path: the generated call path of the path the lean path ran last takes
            # the arguments itself and checks their signature as it unwraps them (0.5 us
            # less than the lean path for W1 and W2: no key built, hashed and looked up).
            hot, skip = self._hot, None
            if hot is not None:
                result = hot(args)
                if result is GUARD_FAILED:
                    skip = hot.path  # ran to its guards: no need to run it again
                elif result is not OTHER_SIGNATURE:
                    return result
            # The lean path: positional tensors, arrays and Python scalars whose signature
            # was seen before, no tape recording the call.
            fast = fast_key(args)
            known = self._fast_paths.get(fast) if fast is not None else None
            if known is not None:
                values = [a._value if type(a) is Tensor else a for a in args
                          if type(a) is Tensor or type(a) is np.ndarray]
                for concrete in known:
                    if concrete is skip:
                        continue
                    result = concrete.run(values)
                    if result is not GUARD_FAILED:
                        self._hot = concrete.dispatcher_for(fast)
                        return result
        if _active_traces and not _run_eagerly:
            # Inside another trace: inline, as TF does, with this function's own AutoGraph
            # setting (its Python function is converted here, once per code object).
            fn = autograph_convert.converted(self._fn) if self._autograph else self._fn
            return fn(*args, **kwargs)
        if _run_eagerly:
            return self._fn(*args, **kwargs)
        return self._call(args, kwargs)

    def _call(self, args, kwargs):
        arguments, key, paths = self._keyed(args, kwargs)
        spec_shapes = None
        if self._reduce_retracing and self.input_signature is None:
            key, spec_shapes = self._relaxed(key)
        if key in self._eager_keys:
            return self._run_eagerly(key, args, kwargs)
        arg_values = [leaf for _, leaf in paths if sig.is_input(leaf)]
        tried: list[ConcreteFunction] = []
        result = self._run_traced(key, arg_values, args, kwargs, tried)
        if result is not GUARD_FAILED:
            return result
        with self._lock:
            # Another thread may have traced this signature (or path) meanwhile.
            result = self._run_traced(key, arg_values, args, kwargs, tried)
            if result is not GUARD_FAILED:
                return result
            if key in self._eager_keys:
                return self._run_eagerly(key, args, kwargs)
            result = self._run_spec_path(key, arg_values, args, kwargs, tried)
            if result is not GUARD_FAILED:
                return result
            specializations = self._paths.get(key, [])
            if len(specializations) >= self.max_specializations:
                return self._give_up(key, specializations, args, kwargs)
            reason = runs_eagerly_reason(paths)
            if reason is None:
                try:
                    return self._trace_and_add(arguments, paths, key, arg_values, args,
                                               kwargs, spec_shapes)
                except RunsEagerly as e:  # (raised before the trace had any effect)
                    reason = e.reason
            self._hot = None
            self._eager_keys[key] = reason
            self._dataset_keys.add(key)
            return self._run_eagerly(key, args, kwargs)

    def _run_eagerly(self, key, args, kwargs):
        """A call of a signature that runs eagerly: the Python function as written, except
        for a function that reads a tf.data dataset, whose AutoGraph-converted loops over
        it compile their bodies (runtime/dataset_loops.py), as TF compiles such loops."""
        if key not in self._dataset_keys or not self._autograph:
            return self._fn(*args, **kwargs)
        fn = autograph_convert.converted(self._fn)
        saved = dataset_loops.compiling_options.value
        dataset_loops.compiling_options.value = (self._backend, self._compile,
                                                 self._dataset_bodies)
        try:
            return fn(*args, **kwargs)
        finally:
            dataset_loops.compiling_options.value = saved

    def _run_traced(self, key, arg_values, args, kwargs, tried: list):
        """The result of the first traced path for `key` (not in `tried`) whose guards hold
        on this call; GUARD_FAILED when none does. Paths run are added to `tried`."""
        for concrete in list(self._paths.get(key, ())):
            if any(concrete is t for t in tried):
                continue
            tried.append(concrete)
            result = concrete.run(
                [a._value if isinstance(a, Tensor) and not tape_module._recording else a
                 for a in arg_values]
            )
            if result is not GUARD_FAILED:
                if self.input_signature is not None and not kwargs:
                    self._hot = signature_hot_path(concrete, args)
                with contextlib.suppress(KeyError):  # (dropped by another thread meanwhile)
                    self._paths.move_to_end(key)  # most recently used last: one atomic step
                return result
        return GUARD_FAILED

    def _run_spec_path(self, key, arg_values, args, kwargs, tried: list):
        """Run a trace made from TensorSpecs (get_concrete_function) that accepts this call:
        same structure, static values, ranks and dtypes, sizes equal where the specs fix
        them. TF calls such a concrete function instead of tracing again. The path joins the
        call's signature, so later calls find it without this search."""
        for spec_key, concretes in self._spec_paths.items():
            if specs.relax_key(spec_key) != specs.relax_key(key) or not specs.fits_shapes(
                    key, [leaf[1] if leaf[0] == "tensor" else None for leaf in spec_key[1]]):
                continue
            for concrete in concretes:
                if any(c is concrete for c in self._paths.get(key, ())):
                    continue  # already among the call's paths (and run by _run_traced)
                self._add_path(key, concrete, args, kwargs)
            result = self._run_traced(key, arg_values, args, kwargs, tried)
            if result is not GUARD_FAILED:
                return result
        return GUARD_FAILED

    def _trace_and_add(self, arguments, paths, key, arg_values, args, kwargs, spec_shapes):
        outer_tapes = list(tape_module._recording)
        concrete, result = self._trace(arguments, paths, key, commit=not outer_tapes,
                                       spec_shapes=spec_shapes)
        self._add_path(key, concrete, args, kwargs)
        if outer_tapes:
            # The trace ran on fresh graph inputs with the outer tapes paused and its variable
            # writes undone; replay it through `bind` on the caller's tensors so the outer
            # tapes record the call and can differentiate it (as they do on later calls).
            replayed = concrete.run(arg_values)
            if replayed is not GUARD_FAILED:
                return replayed
        return result

    def _add_path(self, key, concrete: ConcreteFunction, args, kwargs) -> None:
        """Make `concrete` one of the paths calls with signature `key` run (and the lean
        path's, for positional calls without an input_signature)."""
        self._paths.setdefault(key, []).append(concrete)
        self._drop_old_signatures(keep=key)
        fast = fast_key(args) if not kwargs and self.input_signature is None else None
        if fast is not None:
            # The same list as in _paths: paths traced later are seen by the lean path too.
            self._fast_paths[fast] = self._paths[key]

    def _relaxed(self, key):
        """reduce_retracing: (the key to look up, per-leaf shapes with None sizes or None).
        A call whose sizes differ from the first call of its kind (same structure, static
        values, ranks and dtypes) is keyed, and traced, for any size along the differing
        axes, as TF generalises shapes to None."""
        kind = specs.relax_key(key)
        shapes = self._relaxed_shapes.get(kind)
        if shapes is not None:
            if not specs.fits_shapes(key, shapes):  # yet another axis changed: widen
                shapes = specs.relaxed_shapes(specs.key_for_shapes(key, shapes), key)
                self._relaxed_shapes[kind] = shapes
            return specs.key_for_shapes(key, shapes), shapes
        first = self._first_of_kind.setdefault(kind, key)
        if first == key:
            return key, None
        shapes = specs.relaxed_shapes(first, key)
        if shapes is None:
            return key, None
        self._relaxed_shapes[kind] = shapes
        return specs.key_for_shapes(key, shapes), shapes

    def _keyed(self, args, kwargs):
        """(arguments, signature key, leaf paths) for a call. Under `input_signature` every
        argument is a tensor input (Python numbers are converted, as TF does), so a new
        value never retraces."""
        arguments = self._bind(args, kwargs)
        variadic = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        specs = self.aligned_signature()
        if (specs is not None and len(arguments) == len(specs)
                and all(self._signature.parameters[name].kind not in variadic
                        for name in arguments)):
            # Each argument is one tensor of the signature: a Python list or tuple is
            # converted to it (as tf.function does), not flattened into many arguments.
            arguments = {
                name: convert_to_tensor(value, dtype=spec.dtype)
                if spec is not None and isinstance(value, list | tuple) else value
                for (name, value), spec in zip(arguments.items(), specs)
            }
        key, paths = sig.signature_key(arguments)
        if specs is not None:
            signed = paths[1:] if self._method_signature else paths
            sig.check_input_signature(self.input_signature, signed)
            if not all(sig.is_input(leaf) for _, leaf in signed):
                leaves = [
                    leaf if spec is None or sig.is_input(leaf)
                    else np.asarray(leaf, dtype=spec.dtype)
                    for (_, leaf), spec in zip(paths, specs)
                ]
                arguments = sig.rebuild(arguments, leaves)
                key, paths = sig.signature_key(arguments)
            # A None size is part of the signature, not of the key: one trace for all sizes
            # (for a spec of unknown rank, one per rank).
            key = (key[0], tuple(
                leaf if spec is None or leaf[0] != "tensor" else
                ("tensor", (None,) * len(leaf[1]), spec.dtype) if spec.shape is None else
                ("tensor", spec.shape, spec.dtype) if None in spec.shape else leaf
                for leaf, spec in zip(key[1], specs)
            ))
        return arguments, key, paths

    def aligned_signature(self) -> list | None:
        """input_signature per argument leaf. A method's `self` is bound by its instance,
        not part of the signature (as in TF): its entry is None."""
        if self.input_signature is None:
            return None
        return ([None] if self._method_signature else []) + list(self.input_signature)

    def _bind(self, args, kwargs) -> dict[str, Any]:
        try:
            bound = self._signature.bind(*args, **kwargs)
        except TypeError as e:
            expected = f"{self.__name__}{self._signature}"
            if self.input_signature is not None:
                signature = ', '.join(spec.short() for spec in self.input_signature)
                expected += f" with input_signature ({signature})"
            given = f"{len(args)} positional argument(s)"
            if kwargs:
                given += f" and keyword argument(s) {', '.join(map(repr, kwargs))}"
            raise TypeError(f"{self.__name__}(): {e}; expected {expected}, given {given}") \
                from None
        bound.apply_defaults()
        return dict(bound.arguments)

    def _drop_old_signatures(self, keep) -> None:
        """Past `max_signatures`, forget the least recently used signatures (not `keep`,
        nor the one the hot path runs): their traces, graphs and compiled code are freed,
        and a later call with one of them traces it again."""
        hot = getattr(self._hot, "path", None)
        for key in list(self._paths):
            if len(self._paths) <= self.max_signatures:
                break
            dropped = self._paths[key]
            if key == keep or any(c is hot for c in dropped):
                continue
            del self._paths[key]
            for fast in [k for k, v in self._fast_paths.items() if v is dropped]:
                del self._fast_paths[fast]
            self._concretes = [c for c in self._concretes if not any(c is d for d in dropped)]
        while len(self._eager_keys) > self.max_signatures:
            oldest = next(iter(self._eager_keys))
            del self._eager_keys[oldest]
            self._dataset_keys.discard(oldest)

    _trace = trace_path
    _run_trace = run_trace

    @property
    def backend(self) -> str:
        """The backend new traces compile for: the one named, else the default (Numba,
        see tapeflow.runtime.backends.set_default_backend)."""
        return self._backend or default_backend()

    def _give_up(self, key, specializations, args, kwargs):
        self._hot = None
        lines = sorted({line for c in specializations for line in c.conditions()})
        self._eager_keys[key] = "; ".join(lines)
        warn(
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
        """Traces of this function; of a method, those not made for an instance (each
        instance's bound method counts its own, as TF's per-instance Functions do)."""
        return self._trace_count - self._per_instance.attributed

    # ---- compiled code ----------------------------------------------------------------------

    def wait_compiled(self, timeout: float | None = None) -> bool:
        """Wait until every path traced so far is compiled (at most `timeout` seconds in
        all; None: as long as it takes), compiling now what has not started; whether they
        all run native code now. False when nothing was traced (or called, for a trace with
        symbolic sizes) yet, on the interpreter
        backend, or where a graph could not be compiled. With the default
        compile="background" the first calls run on the interpreter while Numba compiles:
        call this before timing native code. `f.get_concrete_function(x).wait_compiled()`
        traces and compiles for `x` ahead of the first call."""
        deadline = None if timeout is None else time.monotonic() + timeout
        # (A path traced with symbolic sizes has a graph to compile per set of sizes it is
        # called with: none before its first call.)
        concretes = [c for c in self._concretes if c._specializations()]
        for concrete in concretes:
            concrete.wait_compiled(None if deadline is None
                                   else max(0.0, deadline - time.monotonic()))
        return bool(concretes) and all(c.runs_native for c in concretes)

    def explain_retraces(self) -> str:
        """Each trace so far and what caused it: the argument that changed (old -> new), or
        the guard whose value changed, with its user line."""
        return retraces.report(self.__name__, self._trace_log)

    def get_concrete_function(self, *args, **kwargs) -> ConcreteFunction:
        """The traced path for these arguments (see _get_concrete_function)."""
        try:
            return self._get_concrete_function(*args, **kwargs)
        except RunsEagerly as e:
            raise ValueError(
                f"{self.__name__}.get_concrete_function: {e.reason}, so this function runs "
                "its Python eagerly and has no graph of its own (only the bodies of its "
                "loops over the dataset are compiled, where TF compiles the whole loop); "
                "pass the elements as tensor arguments to trace it") from None

    def _get_concrete_function(self, *args, **kwargs) -> ConcreteFunction:
        """The traced path for these arguments (tracing them if needed). Arguments may be
        tf.TensorSpecs (no values): the function is then traced from the specs, and a
        Python read of a value raises, as in TF. With an input_signature and no arguments,
        the signature's trace."""
        if (self.input_signature is not None and not kwargs
                and len(args) == (1 if self._method_signature else 0)):
            args = args + tuple(self.input_signature)  # (after a method's instance)
        bound = self._bind(args, kwargs)
        if unknown_rank.has_unknown_rank(bound):  # a concrete function per rank, on call
            return unknown_rank.UnknownRankConcreteFunction(self, bound)
        if specs.has_specs(bound):
            return self._concrete_from_specs(args, kwargs)
        arguments, key, paths = self._keyed(args, kwargs)
        if not self._paths.get(key):
            # Tracing for the graph alone: variables keep their values (TF runs nothing).
            with self._lock:
                if not self._paths.get(key):
                    concrete, _ = self._trace(arguments, paths, key, commit=False)
                    self._paths.setdefault(key, []).append(concrete)
        return self._paths[key][-1]

    def _concrete_from_specs(self, args, kwargs) -> ConcreteFunction:
        stand_in_args, spec_shapes = specs.stand_ins(self._bind(args, kwargs))
        key, paths = sig.signature_key(stand_in_args)
        key = specs.key_for_shapes(key, spec_shapes)
        # A trace made from values of these exact shapes and dtypes is TF's concrete function
        # for these specs too (TF traces nothing new), unless it read a value (a guard).
        for concrete in self._paths.get(key, ()):
            if not concrete.traced.guards:
                return concrete
        if key not in self._spec_paths:
            self._spec_paths[key] = self._trace_from_specs(stand_in_args, paths, key,
                                                           spec_shapes)
        return self._spec_paths[key][0]

    def _trace_from_specs(self, stand_in_args, paths, key, spec_shapes) -> list:
        """The paths of a trace from specs. TF converts an `if` or `while` on a tensor into
        graph control flow that holds both branches; here each outcome is a guarded path
        (as for calls with values), so the Python function runs once per combination of
        outcomes, the first path taking every branch (specs.branch_outcome). They count as
        one trace, and must return the same structure and dtypes, as TF's branches must."""
        scripts: list[list[bool]] = [[]]
        found: list[ConcreteFunction] = []
        before = (self._trace_count, self._last_key, list(self._concretes),
                  list(self._trace_log))
        instances_before = self._per_instance.snapshot()
        try:
            while scripts:
                if len(found) == self.max_specializations:
                    raise specs.OperatorNotAllowedInGraphError(
                        f"{self.__name__}: traced from TensorSpecs, its Python `if`/`while` "
                        f"on tensors take more than max_specializations="
                        f"{self.max_specializations} paths; call it with values, or use "
                        "tf.cond / tf.where")
                script = scripts.pop(0)
                concrete, _ = self._trace(stand_in_args, paths, key, commit=False,
                                          spec_shapes=spec_shapes, from_specs=True,
                                          branches=script)
                taken = concrete._branches
                # Each outcome taken by default (True, past the script) has its False side.
                scripts += [taken[:k] + [False] for k in range(len(script), len(taken))]
                found.append(concrete)
            specs.check_branch_results(found)
        except BaseException:
            # Nothing of the paths explored is kept.
            (self._trace_count, self._last_key, self._concretes,
             self._trace_log) = before
            self._per_instance.restore(instances_before)
            raise
        self._trace_count = before[0] + 1
        self._per_instance.restore(instances_before)  # the paths explored: one trace
        self._per_instance.note(self._per_instance.instance_of(stand_in_args), key)
        return found

    def pretty_printed_concrete_signatures(self, verbose: bool = True) -> str:
        """Every traced signature (inputs, output type, captures), as TF prints them."""
        return "\n\n".join(specs.pretty_signature(c) for c in self._concretes)

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        return self._per_instance.bound(self, instance, BoundFunction)

    def __repr__(self) -> str:
        return f"<tapeflow.function {self.__name__} ({self._trace_count} traces)>"


def function(fn=None, *, input_signature=None, max_specializations: int = 8,
             backend: str | None = None, max_signatures: int = 64,
             compile: str | None = None, **unused):
    """`@tapeflow.function`, bare or with arguments, on functions and methods.

    `compile`: "background" (the default: while Numba compiles a traced graph, calls run on
    the reference interpreter, and switch to native code when it is ready) or "sync" (the
    first call of a graph waits for its compile; benchmarks and tests)."""
    for option in unused:
        # TF's other options, accepted: jit_compile / experimental_compile (tapeflow always
        # compiles), metadata for TF's graph tooling (implements, attributes,
        # autograph_options), and experimental_follow_type_hints, which TF 2.21 itself no
        # longer acts on (a float argument annotated tf.Tensor still traces per value).
        if option not in ("jit_compile", "reduce_retracing", "autograph",
                          "experimental_relax_shapes", "name", "experimental_compile",
                          "experimental_implements", "experimental_attributes",
                          "experimental_autograph_options", "experimental_follow_type_hints"):
            raise TypeError(f"tapeflow.function() got an unexpected argument {option!r}")

    def wrap(f):
        return Function(f, input_signature=input_signature,
                        max_specializations=max_specializations, max_signatures=max_signatures,
                        name=unused.get("name"), backend=backend,
                        reduce_retracing=bool(unused.get("reduce_retracing")
                                              or unused.get("experimental_relax_shapes")),
                        compile=compile, autograph=unused.get("autograph", True))

    return wrap if fn is None else wrap(fn)


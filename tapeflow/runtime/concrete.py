"""One traced path of a `@tapeflow.function` (ConcreteFunction) and the compiled graphs it runs.

A ConcreteFunction holds the graph one trace recorded, with its guards, variable updates and
result layout; it runs that graph (compiled per set of sizes when the trace has symbolic
ones) and commits the variable updates only once every guard holds.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from tapeflow import nest
from tapeflow.graph.interp import run_checked
from tapeflow.graph.ir import Var, source_text
from tapeflow.graph.passes import optimize
from tapeflow.graph.specialize import specialize, symbols_of
from tapeflow.ops.core import ShapedArray, bind
from tapeflow.runtime import loop_effects
from tapeflow.runtime.backends import make_executor
from tapeflow.runtime.dispatch import make_dispatcher
from tapeflow.runtime.trace import TracedGraph
from tapeflow.tracer import tape as tape_module
from tapeflow.tracer.tensor import Tensor, make_constant
from tapeflow.tracer.variable import assign_all

# What `ConcreteFunction.run` returns when a guard does not hold (None is a valid result).
GUARD_FAILED = object()


class _Compiled:
    """An optimised static graph, the executor that runs it, and how its outputs are
    handed out (worked out once here, so a call only indexes)."""

    def __init__(self, graph, backend: str, compile: str = "sync"):
        self.graph = optimize(graph)
        self.execute = make_executor(backend, self.graph, compile)
        self.out_avals = [v.aval for v in self.graph.outputs]
        # Outputs never alias memory the caller can change: an output that is an input (or
        # a view of one) is copied; everything else is fresh from this call. The
        # interpreter's numpy kernels return views freely, so there every output is copied;
        # compiled code copies an input it returns into a fresh buffer itself when its
        # calling convention says so (codegen/abi.py: written outputs).
        if backend == "interpreter":
            self.copied = frozenset(range(len(self.graph.outputs)))
        else:
            self.copied = frozenset(_views_of_inputs(self.graph)) - set(self.execute.abi.written)
        # The straight-line call path, written once the Numba entry exists (dispatch.py),
        # and its variants that take a call's positional arguments, by call signature.
        self.dispatch: Callable | None = None
        self.dispatch_by_key: dict[tuple, Callable] = {}

    def make_dispatch(self, traced, pack: str, on_error) -> None:
        if getattr(self.execute, "entry", None) is not None:
            self.dispatch = make_dispatcher(self.execute, self.graph, traced, self.copied,
                                            pack, GUARD_FAILED, on_error=on_error)


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

    def __init__(self, traced: TracedGraph, backend: str = "interpreter", max_sizes: int = 64,
                 compile: str = "sync"):
        self.traced = traced
        self.backend = backend
        self.compile = compile
        self.raw_graph = traced.graph
        self._symbols = symbols_of(traced.graph)
        # Specialisations by sizes, least recently added first; at most `max_sizes` are kept
        # (an old one is dropped, and freed, for a new one).
        self._by_sizes: dict[tuple, _Compiled | None] = {}
        self._max_sizes = max_sizes
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
        # Captured variables whose shape may change (declared with None sizes): the shapes
        # the path was traced with, checked on every call (another shape: GUARD_FAILED, and
        # the function traces again for it), so no generated call path skips the check.
        first = len(traced.graph.inputs) - len(traced.captured)
        self._flexible = [(v, traced.graph.inputs[first + k].aval.shape)
                          for k, v in enumerate(traced.captured)
                          if getattr(v, "_shape_spec", None) is not None]
        if self._symbols:
            self.graph = traced.graph  # printed with its symbolic sizes
            self._static = None
        else:
            self._static = _Compiled(traced.graph, backend, compile)
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

    def _specializations(self) -> list[_Compiled]:
        """The compiled graphs of this path: its one static graph, or one per set of sizes
        it was called with so far."""
        if self._static is not None:
            return [self._static]
        return [c for c in self._by_sizes.values() if c is not None]

    @property
    def runs_native(self) -> bool:
        """Whether calls of this path run compiled (Numba) code now. False on the
        interpreter backend, while a background compile is under way (calls then run on
        the reference interpreter), and where the graph could not be compiled (a
        CompileFallbackWarning said why). A path traced with symbolic sizes compiles per
        set of sizes: True once every set it was called with runs compiled code."""
        compiled = self._specializations()
        for c in compiled:
            poll = getattr(c.execute, "poll", None)
            if poll is not None:
                poll()  # (picks up a background compile that has finished)
        return bool(compiled) and all(getattr(c.execute, "entry", None) is not None
                                      for c in compiled)

    def wait_compiled(self, timeout: float | None = None) -> bool:
        """Compile this path now, or wait for its background compile, for at most `timeout`
        seconds (None: as long as it takes); returns `runs_native`. Nothing runs and no
        variable changes: `f.get_concrete_function(x).wait_compiled()` is what
        `jax.jit(f).lower(x).compile()` is to JAX, a compile ahead of the first call. A
        path traced with symbolic sizes has nothing to compile before its first call."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for c in self._specializations():
            wait = getattr(c.execute, "wait_compiled", None)
            if wait is not None:
                wait(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return self.runs_native

    def conditions(self) -> list[str]:
        """Where the path depends on the call: each guard's user line, for messages."""
        lines = [g.where() for g, _ in self.traced.guards]
        lines += [f"the sizes ({g})" + (f" at {source_text(g.source)}" if g.source else "")
                  for g in self.traced.shape_guards]
        lines += [f"the shape of variable {v.name!r} (traced as {tuple(shape)})"
                  for v, shape in self._flexible]
        return lines

    def _variable_shapes_hold(self) -> bool:
        return all(v._value.aval.shape == shape for v, shape in self._flexible)

    def __str__(self) -> str:
        """As TensorFlow prints a ConcreteFunction: its signature (the traced graph's text is
        `str(concrete.graph)`)."""
        return "ConcreteFunction " + self.pretty_printed_signature()

    def __call__(self, *args, **kwargs):
        """Run this trace on arguments of its signature (TF's ConcreteFunction call)."""
        from tapeflow.runtime.specs import call_concrete

        return call_concrete(self, args, kwargs)

    @property
    def structured_input_signature(self) -> tuple:
        from tapeflow.runtime.specs import structured_input_signature

        return structured_input_signature(self)

    @property
    def structured_outputs(self):
        """What a call returns, with each tensor (and each Python number, which a call
        returns as a tensor) as the graph value it comes from, named as TF names a
        function's outputs: Identity:0, Identity_1:0, ..."""
        leaves = nest.flatten(self.traced.result_structure)
        outputs, count = [], 0
        for leaf in leaves:
            if isinstance(leaf, Tensor | bool | int | float) and not isinstance(leaf, np.generic):
                aval = leaf.aval if isinstance(leaf, Tensor) else \
                    ShapedArray((), np.asarray(make_constant(leaf)._value).dtype)
                leaf = GraphOutput("Identity" + (f"_{count}" if count else "") + ":0", aval)
                count += 1
            outputs.append(leaf)
        return nest.pack_sequence_as(self.traced.result_structure, outputs)

    def pretty_printed_signature(self, verbose: bool = True) -> str:
        from tapeflow.runtime.specs import pretty_signature

        return pretty_signature(self)

    def _for_sizes(self, arg_values: list) -> _Compiled | None:
        """The static graph for these arguments' sizes; None when the trace's shape guards
        do not hold for them (the path does not apply)."""
        key = tuple(_shape(arg_values[i])[axis] for i, axis, _ in self._symbols)
        if key not in self._by_sizes:
            sizes = self._sizes(arg_values)
            valid = all(g.holds(sizes) for g in self.traced.shape_guards)
            compiled = (
                _Compiled(specialize(self.traced.graph, sizes), self.backend, self.compile)
                if valid else None
            )
            while len(self._by_sizes) >= self._max_sizes:
                del self._by_sizes[next(iter(self._by_sizes))]
            self._by_sizes[key] = compiled
        return self._by_sizes[key]

    def _sizes(self, arg_values: list) -> dict:
        """{Symbol: size} of a call's arguments (a path traced with symbolic sizes)."""
        return {symbol: _shape(arg_values[i])[axis] for i, axis, symbol in self._symbols}

    def _error_or_guard_failed(self, arg_values: list, error: Exception):
        """The graph raised `error` on this call before its guards could be checked. Eager
        raises it only if it takes this path up to the equation that failed: it may decide
        otherwise earlier and never run that equation (a gather behind an `if`). So the
        trace's equations run again here in the order Python ran them, with the eager
        kernels, each guard checked where Python read its value: GUARD_FAILED when one
        fails first (nothing is committed; the call takes or traces another path), else
        the error eager raises. Only calls that fail pay for this."""
        if not self.traced.guards:
            raise error
        graph = self.raw_graph
        if self._symbols:
            graph = specialize(graph, self._sizes(arg_values))
        # In the order Python read them, each with the Var holding its value in `graph`.
        guards = sorted(((g.position, g, graph.outputs[index]) for g, index in
                         self.traced.guards), key=lambda entry: entry[0])
        checked = 0

        def guards_hold(position: int, env: dict) -> bool:
            """Check the guards Python read before equation `position` ran."""
            nonlocal checked
            while checked < len(guards) and guards[checked][0] <= position:
                _, guard, var = guards[checked]
                if not guard.holds(env[var]):
                    return False
                checked += 1
            return True

        inputs = [a._value if isinstance(a, Tensor) else np.asarray(a) for a in arg_values]
        inputs += [v._value._value for v in self.traced.captured]
        try:
            with np.errstate(all="ignore"):
                if not run_checked(graph, inputs, guards_hold):
                    return GUARD_FAILED
        except Exception as eager_error:
            # Eager's own error, at its equation and the user's line (the compiled one
            # may have failed at another equation of the same path).
            eager_error.__suppress_context__ = True
            raise
        raise error  # every guard holds and the eager kernels did not fail: the path's error

    def dispatcher_for(self, call_key: tuple) -> Callable | None:
        """The generated call path that takes a flat positional call of signature
        `call_key` (`call_keys.fast_key`) itself: `call(args)` -> the result, GUARD_FAILED,
        or dispatch.OTHER_SIGNATURE for a call of another signature; `call.path` is this
        ConcreteFunction. A path with symbolic sizes gets the one of its specialisation for
        the key's sizes (exact shapes are part of the key). None where there is none: a
        path not running compiled Numba code (yet), or a key that is not this path's."""
        shapes = [k.shape if isinstance(k, ShapedArray) else k[0] for k in call_key
                  if isinstance(k, ShapedArray) or type(k[0]) is tuple]
        if len(shapes) != self.traced.n_args:
            return None
        compiled = self._static
        if compiled is None:
            compiled = self._by_sizes.get(tuple(shapes[i][axis] for i, axis, _ in self._symbols))
        if compiled is None or compiled.dispatch is None or self.traced.effects \
                or self._flexible:
            return None
        found = compiled.dispatch_by_key.get(call_key)
        if found is None:
            found = make_dispatcher(compiled.execute, compiled.graph, self.traced,
                                    compiled.copied, self._pack, GUARD_FAILED, call_key,
                                    on_error=self._error_or_guard_failed)
            found.path = self
            compiled.dispatch_by_key[call_key] = found
        return found

    def run(self, arg_values: list):
        """Run the graph on the argument arrays (a list); GUARD_FAILED when a guard does
        not hold, and then nothing is committed."""
        if self._flexible and not self._variable_shapes_hold():
            return GUARD_FAILED
        compiled = self._static
        if compiled is None:
            compiled = self._for_sizes(arg_values)
            if compiled is None:
                return GUARD_FAILED
        if tape_module._recording_here.items:
            return self._run_recorded(compiled.graph, arg_values)
        if compiled.dispatch is not None:
            return compiled.dispatch(arg_values)
        try:
            if self.traced.effects:  # prints inside graph loops wait for the commit
                with loop_effects.collecting():
                    outs = compiled.execute(
                        arg_values + [v._value._value for v in self.traced.captured])
            else:
                outs = compiled.execute(
                    arg_values + [v._value._value for v in self.traced.captured])
        except Exception as e:  # noqa: BLE001 - any error: the guards decide what it means
            return self._error_or_guard_failed(arg_values, e)
        if self.backend == "numba" and not self.traced.effects and not self._flexible:
            # Compiled: later calls go straight.
            compiled.make_dispatch(self.traced, self._pack, self._error_or_guard_failed)
        for guard, index in self.traced.guards:
            if not guard.holds(outs[index]):
                return GUARD_FAILED
        copied, avals = compiled.copied, compiled.out_avals
        # Everything is computed before anything is committed, and the commit is one step:
        # an interrupt leaves every variable as it was or every variable updated.
        updates = self.traced.updates
        new_values = [Tensor(outs[i].copy() if i in copied else outs[i], Var(avals[i]))
                      for _, i in updates]
        leaves = [
            slot[1] if type(slot) is tuple else
            Tensor(outs[slot].copy() if slot in copied else outs[slot], Var(avals[slot]))
            for slot in self._slots
        ]
        result = self._packed(leaves)
        assign_all([variable for variable, _ in updates], new_values)
        for effect, indices in self.traced.effects:  # tf.print: after the call took effect
            effect.run([outs[i] for i in indices])
        return result

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
        try:
            with loop_effects.collecting():
                for eqn in graph.eqns:
                    out = bind(eqn.prim, *[env[v] for v in eqn.inputs], **eqn.params_dict)
                    outs = out if eqn.prim.multiple_results else (out,)
                    env.update(zip(eqn.outputs, outs))
        except Exception as e:  # noqa: BLE001 - any error: the guards decide what it means
            return self._error_or_guard_failed(arg_values, e)
        outs = [env[v] for v in graph.outputs]
        for guard, index in self.traced.guards:
            if not guard.holds(outs[index]._value):
                return GUARD_FAILED
        updates = self.traced.updates
        new_values = [make_constant(outs[index]._value) for _, index in updates]
        result = self._packed([slot[1] if type(slot) is tuple else outs[slot]
                               for slot in self._slots])
        assign_all([variable for variable, _ in updates], new_values)
        for effect, indices in self.traced.effects:
            effect.run([outs[i]._value for i in indices])
        return result


def _shape(value) -> tuple:
    return value._value.shape if isinstance(value, Tensor) else np.shape(value)


class GraphOutput:
    """An output of a traced graph, as `structured_outputs` shows it (a value of the graph,
    not of a call): its name, shape and dtype, printed as TensorFlow prints a graph tensor."""

    def __init__(self, name: str, aval: ShapedArray):
        from tapeflow.tracer import dtypes
        from tapeflow.tracer.tensor_shape import TensorShape

        self.name = name
        self.shape = TensorShape(tuple(aval.shape))
        self.dtype = dtypes.from_numpy(aval.dtype)

    def __repr__(self) -> str:
        return f"<tf.Tensor '{self.name}' shape={self.shape} dtype={self.dtype.name}>"

    def __str__(self) -> str:
        return f'Tensor("{self.name}", shape={self.shape}, dtype={self.dtype.name})'

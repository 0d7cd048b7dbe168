"""`get_concrete_function` with a `tf.TensorSpec` of unknown rank (`shape=None`).

TensorFlow traces one graph in which that argument's rank is unknown. tapeflow's graphs have
a known rank (each size may be a symbol), so the concrete function returned here stands for
the family of traces, one per rank: a call traces (once) the function from specs of the
call's rank with every size None, checks the Python arguments against the ones given here
(TypeError if they differ, as TF's concrete function), and runs that trace. It prints as
TensorFlow prints the unknown-rank signature (`TensorSpec(shape=<unknown>, ...)`); its
output type is found from traces at two ranks: an output whose rank follows the input's is
`<unknown>` (so describing it traces the function at ranks 0 and 1, or the next two that
trace).
"""

from __future__ import annotations

import warnings

import numpy as np

from tapeflow import nest
from tapeflow.runtime import signature as sig
from tapeflow.runtime import specs
from tapeflow.runtime._tracing import RetraceWarning
from tapeflow.tracer.tensor import Tensor

_DESCRIBE_RANKS = (0, 1, 2, 3)


def has_unknown_rank(arguments: dict) -> bool:
    return any(isinstance(leaf, sig.TensorSpec) and leaf.shape is None
               for _, leaf in sig.leaves_with_paths(arguments))


class UnknownRankConcreteFunction:
    """The concrete function of `function` for specs with an unknown rank (module docstring)."""

    def __init__(self, function, arguments: dict):
        self._function = function
        self._arguments = arguments
        self._paths = sig.leaves_with_paths(arguments)
        self._outputs_text: str | None = None
        self._captured: list = []

    # ---- calling ------------------------------------------------------------------------------

    def _bind(self, args, kwargs) -> dict:
        """The call's arguments; like TF's, the tensor arguments alone may be given (in
        order), the Python ones then taking the values given to get_concrete_function."""
        try:
            return self._function._bind(args, kwargs)
        except TypeError:
            spec_names = [name for name, value in self._arguments.items()
                          if any(isinstance(leaf, sig.TensorSpec)
                                 for _, leaf in sig.leaves_with_paths({name: value}))
                          and name not in kwargs]
            if len(args) != len(spec_names):
                raise
            arguments = dict(self._arguments)
            arguments.update(zip(spec_names, args))
            arguments.update(kwargs)
            return arguments

    def _specs_for(self, call_paths: list) -> dict:
        """The traced arguments with each unknown-rank spec given the call's rank."""
        name = self._function.__name__
        if len(call_paths) != len(self._paths):
            raise TypeError(
                f"ConcreteFunction {name}: called with {len(call_paths)} argument leaves "
                f"({', '.join(p for p, _ in call_paths)}), it was made for "
                f"{len(self._paths)} ({', '.join(p for p, _ in self._paths)})")
        leaves = []
        for (path, value), (_, want) in zip(call_paths, self._paths):
            if isinstance(want, sig.TensorSpec):
                if isinstance(value, Tensor):
                    dtype, rank = value.aval.dtype, len(value.aval.shape)
                elif isinstance(value, np.ndarray | np.generic | bool | int | float | list):
                    array = np.asarray(value, dtype=None if isinstance(
                        value, np.ndarray | np.generic) else want.dtype)
                    dtype, rank = array.dtype, array.ndim
                else:
                    raise TypeError(f"ConcreteFunction {name}: argument {path}: expected a "
                                    f"tensor {want!r}, got {type(value).__name__}")
                if dtype != want.dtype:
                    raise TypeError(f"ConcreteFunction {name}: argument {path}: expected "
                                    f"{want!r}, got a tensor of dtype {np.dtype(dtype).name}")
                leaves.append(want if want.shape is not None else
                              sig.TensorSpec([None] * rank, want.dtype, name=want.name))
            else:
                if sig.leaf_spec(value) != sig.leaf_spec(want):
                    raise TypeError(
                        f"ConcreteFunction {name}: argument {path} is "
                        f"{sig.describe_spec(sig.leaf_spec(value))}, it was made with "
                        f"{sig.describe_spec(sig.leaf_spec(want))}")
                leaves.append(want)
        return sig.rebuild(self._arguments, leaves)

    def _concrete_for(self, arguments: dict):
        # One trace per rank is this function's design, not a retrace to warn about.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RetraceWarning)
            return self._function._concrete_from_specs((), arguments)

    def __call__(self, *args, **kwargs):
        arguments = self._bind(args, kwargs)
        for name, want in self._arguments.items():  # a list for a tensor: converted, as TF
            if isinstance(want, sig.TensorSpec) and isinstance(arguments.get(name), list | tuple):
                try:
                    arguments[name] = np.asarray(arguments[name], dtype=want.dtype)
                except (TypeError, ValueError):
                    pass  # left as it is: said not to fit below
        concrete = self._concrete_for(self._specs_for(sig.leaves_with_paths(arguments)))
        return concrete(**arguments)

    # ---- describing ---------------------------------------------------------------------------

    def _ranked(self, rank: int) -> dict:
        return sig.rebuild(self._arguments, [
            sig.TensorSpec([None] * rank, leaf.dtype, name=leaf.name)
            if isinstance(leaf, sig.TensorSpec) and leaf.shape is None else leaf
            for _, leaf in self._paths])

    def _traced_pair(self) -> list:
        traced = []
        for rank in _DESCRIBE_RANKS:
            try:
                traced.append(self._concrete_for(self._ranked(rank)))
            except Exception:  # noqa: BLE001, S112 - a rank the function does not take
                continue
            if len(traced) == 2:
                return traced
        if not traced:
            raise TypeError(f"ConcreteFunction {self._function.__name__}: the function "
                            f"traces at none of the ranks {list(_DESCRIBE_RANKS)}")
        return traced * 2

    def _output_type(self) -> str:
        if self._outputs_text is None:
            first, second = self._traced_pair()
            self._captured = second.traced.captured
            a = nest.flatten(first.traced.result_structure)
            b = nest.flatten(second.traced.result_structure)

            def spec(x, y):
                if not isinstance(y, Tensor):
                    return y
                shape = None if len(x.aval.shape) != len(y.aval.shape) else tuple(
                    d if type(d) is int and d == e else None
                    for d, e in zip(y.aval.shape, x.aval.shape))
                return sig.TensorSpec(shape, y.aval.dtype)

            structure = nest.pack_sequence_as(second.traced.result_structure,
                                              [spec(x, y) for x, y in zip(a, b)])
            self._outputs_text = specs._describe_output(structure)
        return self._outputs_text

    def pretty_printed_signature(self, verbose: bool = True) -> str:
        lines = ["Input Parameters:"]
        parameters = self._function._signature.parameters
        for i, (name, value) in enumerate(self._arguments.items()):
            if i == 0 and name == "self" and not isinstance(value, sig.TensorSpec):
                continue
            lines.append(f"  {name} ({parameters[name].kind.name}): {specs._describe(value)}")
        lines += ["Output Type:", f"  {self._output_type()}", "Captures:"]
        lines += [f"  {v._uid}: TensorSpec(shape=(), dtype=tf.resource, name=None)"
                  for v in self._captured] or ["  None"]
        return "\n".join(lines)

    def __str__(self) -> str:
        return "ConcreteFunction " + self.pretty_printed_signature()

    def __repr__(self) -> str:
        return f"<ConcreteFunction {self._function.__name__} (unknown rank)>"

    @property
    def graph(self):
        raise AttributeError(
            f"ConcreteFunction {self._function.__name__} of a TensorSpec of unknown rank has "
            "one graph per rank (tapeflow's graphs have a known rank): take the graph of "
            "get_concrete_function with a spec of the rank you want (None sizes)")

    @property
    def structured_input_signature(self) -> tuple:
        parameters = self._function._signature.parameters
        args, kwargs = [], {}
        for name, value in self._arguments.items():
            if parameters[name].kind == parameters[name].KEYWORD_ONLY:
                kwargs[name] = value
            else:
                args.append(value)
        return tuple(args), kwargs

"""tf.function's rules about what goes in and what comes out of a traced function.

- Results: Python numbers returned from a traced function come back as tensors (TF converts
  every returned leaf except None), so a call's result does not depend on whether it traced.
- `get_concrete_function(tf.TensorSpec(...))`: a trace from specs alone. tapeflow traces on
  values, so each spec gets a stand-in value (ones, or zeros for integers; a None size gets a
  symbolic size), and the trace refuses any Python read of a value (`bool(t)`, `t.numpy()`),
  as TF's graph tensors do, instead of deciding a path on made-up values.
- `reduce_retracing=True`: a call whose tensor sizes differ from an earlier trace's is traced
  once for any size along the axes that differ (as TF generalises to None).
- `pretty_printed_concrete_signatures()` and calling a ConcreteFunction directly.
"""

from __future__ import annotations

import dis
import sys
from typing import Any

import numpy as np

from tapeflow import nest
from tapeflow.ops import dims
from tapeflow.ops.core import InvalidArgumentError, OpTypeError, default_dtype, to_array
from tapeflow.runtime import signature as sig
from tapeflow.tracer.tape import PACKAGE_DIR
from tapeflow.tracer.tensor import Tensor, make_constant
from tapeflow.tracer.variable import Variable

# The size a None axis of a spec has while tracing from specs: not 1, so broadcasting
# decisions are recorded as shape guards instead of being taken for size 1.
SPEC_HINT = 2
# A trace from specs explores both outcomes of each `if`/`while` on a tensor; a path that
# tests values more often than this is a loop that cannot end without values.
MAX_BRANCH_READS = 16


class OperatorNotAllowedInGraphError(TypeError):
    """Python read a value that the trace does not have (TF's error of the same name)."""


# ---- results -------------------------------------------------------------------------------


def numbers_as_tensors(result):
    """`result` with every Python number (bool, int, float) and text (str, bytes) made a
    constant tensor, as TF returns them; None, tensors and other objects are left as they
    are."""
    leaves = nest.flatten(result)
    if not any(isinstance(leaf, _CONVERTED) for leaf in leaves):
        return result
    converted = [
        make_constant(to_array(leaf, default_dtype(leaf), op="return"))
        if isinstance(leaf, _CONVERTED) else leaf
        for leaf in leaves
    ]
    return nest.pack_sequence_as(result, converted)


_CONVERTED = (bool, int, float, str, bytes)


# ---- tracing from specs --------------------------------------------------------------------


def has_specs(arguments: dict) -> bool:
    return any(isinstance(leaf, sig.TensorSpec) for _, leaf in sig.leaves_with_paths(arguments))


def stand_ins(arguments: dict):
    """(arguments with each TensorSpec replaced by a stand-in array, one spec shape or None
    per leaf): the stand-in has the spec's dtype and shape with SPEC_HINT for None sizes."""
    paths = sig.leaves_with_paths(arguments)
    leaves, shapes = [], []
    for path, leaf in paths:
        if isinstance(leaf, sig.TensorSpec):
            if leaf.shape is None:
                raise ValueError(
                    f"get_concrete_function: argument {path}: a TensorSpec of unknown rank "
                    "(shape=None) cannot be traced here; give its rank, with None sizes")
            shape = tuple(SPEC_HINT if d is None else d for d in leaf.shape)
            fill = np.zeros if leaf.dtype.kind in "iub" else np.ones
            leaves.append(fill(shape, dtype=leaf.dtype))
            shapes.append(leaf.shape)
        else:
            leaves.append(leaf)
            shapes.append(None)
    return sig.rebuild(arguments, leaves), shapes


# The instructions that test a value's truth for a statement AutoGraph converts (`if`,
# `while`, a conditional expression, `and`/`or`/`not` in a condition), as opposed to a call
# of bool() (which TF refuses in a graph too).
_BRANCH_OPS = frozenset(
    name for name in dis.opname
    if ("JUMP" in name and "_IF_" in name and "NONE" not in name)
    or name in ("UNARY_NOT", "TO_BOOL"))


def _read_by_a_branch() -> bool:
    """Whether the innermost user frame is testing a value's truth for a branch or loop."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(PACKAGE_DIR):
        frame = frame.f_back
    if frame is None or frame.f_lasti < 0:
        return False
    return dis.opname[frame.f_code.co_code[frame.f_lasti]] in _BRANCH_OPS


def branch_outcome(trace, tensor) -> np.ndarray | None:
    """In a trace from specs that explores branches: the outcome this trace takes at an
    `if` or `while` on `tensor` (the next of its script, else True), recorded as the
    path's guard; None where the read is not a branch's (the caller refuses it)."""
    if trace.branch_script is None or not _read_by_a_branch():
        return None
    for guard in trace.guards:  # the same value read again: the same outcome
        if guard.var is tensor._var and guard.kind == "bool":
            return guard.expected
    k = len(trace.branch_taken)
    if k >= MAX_BRANCH_READS:
        raise OperatorNotAllowedInGraphError(
            f"this function is traced from TensorSpecs (get_concrete_function), which fix "
            f"only shapes and dtypes, and it tests a tensor's value more than "
            f"{MAX_BRANCH_READS} times on one path (a Python loop on a tensor value has no "
            "end without values). Call the function with values, or use tf.while_loop")
    outcome = trace.branch_script[k] if k < len(trace.branch_script) else True
    trace.branch_taken.append(outcome)
    return np.array(outcome)


def check_branch_results(paths: list) -> None:
    """The paths explored from specs return the same structure and dtypes (TF's rule for
    the two branches of a converted `if`); a TypeError naming both otherwise."""
    first = paths[0]
    for other in paths[1:]:
        a = nest.flatten(first.traced.result_structure)
        b = nest.flatten(other.traced.result_structure)
        described = [[_describe_result(x) for x in leaves] for leaves in (a, b)]
        if described[0] != described[1]:
            lines = sorted({line for c in (first, other) for line in c.conditions()})
            raise TypeError(
                f"the branches of a Python `if`/`while` on a tensor traced from TensorSpecs "
                f"return different structures or dtypes: {described[0]} on one path, "
                f"{described[1]} on another ({'; '.join(lines)}); TF requires the same in "
                "both branches")


def _describe_result(leaf) -> str:
    if isinstance(leaf, Tensor):
        return leaf.dtype.name
    return type(leaf).__name__


def refuse_value_read(tensor, kind: str):
    """A Python read of a value in a trace from specs: TF's error, naming the read."""
    what = {"bool": "a Python `bool`", "float": "a Python `float`", "int": "a Python `int`",
            "numpy": "a NumPy array (`.numpy()`, `np.array(t)`)"}.get(kind, kind)
    raise OperatorNotAllowedInGraphError(
        f"Using a symbolic tf.Tensor as {what} is not allowed: this function is traced from "
        f"TensorSpecs (get_concrete_function), which fix only shapes and dtypes, so the "
        f"tensor of shape {tensor.shape} and dtype {tensor.dtype.name} has no value while "
        "tracing. Call the function with values, or compute with tensor ops (tf.where, "
        "tf.cond) instead of Python control flow")


# ---- reduce_retracing ----------------------------------------------------------------------


def relax_key(key) -> tuple:
    """The part of a signature key that must agree for a trace to be generalised: the
    structure, static values, and each tensor's rank and dtype (its sizes may differ)."""
    structure, leaves = key
    return structure, tuple(
        ("tensor", len(leaf[1]), leaf[2]) if leaf[0] == "tensor" else leaf for leaf in leaves
    )


def relaxed_shapes(old_key, new_key) -> list | None:
    """Per leaf, the shape with None where the two keys' sizes differ (None for a leaf
    that is not a tensor); None when no size differs."""
    shapes, changed = [], False
    for old, new in zip(old_key[1], new_key[1]):
        if new[0] != "tensor":
            shapes.append(None)
            continue
        old_shape, new_shape = old[1], new[1]
        relaxed = tuple(a if a == b and not isinstance(a, dims.Dim) else None
                        for a, b in zip(old_shape, new_shape))
        changed = changed or None in relaxed
        shapes.append(relaxed)
    return shapes if changed else None


def key_for_shapes(key, shapes: list) -> tuple:
    """The signature key of a trace for the relaxed `shapes` (None sizes are part of it)."""
    return key[0], tuple(
        ("tensor", shape, leaf[2]) if shape is not None and None in shape else leaf
        for leaf, shape in zip(key[1], shapes)
    )


def fits_shapes(key, shapes: list) -> bool:
    """Whether a call's key fits a relaxed trace: same ranks, sizes equal where known."""
    for leaf, shape in zip(key[1], shapes):
        if shape is None:
            continue
        if leaf[0] != "tensor" or len(leaf[1]) != len(shape):
            return False
        if any(s is not None and s != d for s, d in zip(shape, leaf[1])):
            return False
    return True


# ---- describing signatures as TF does ------------------------------------------------------


def _spec_text(shape, dtype) -> str:
    from tapeflow.tracer.tensor_shape import TensorShape

    if shape is None:  # an unknown rank
        return f"TensorSpec(shape=<unknown>, dtype={sig.tf_dtype_repr(dtype)}, name=None)"
    return (f"TensorSpec(shape={TensorShape(dims.public_shape(shape))}, "
            f"dtype={sig.tf_dtype_repr(dtype)}, name=None)")


def _describe(node) -> str:
    if isinstance(node, dict):
        items = ", ".join(f"[{k!r}, {_describe(node[k])}]" for k in sorted(node, key=repr))
        return f"Dict[{items}]"
    if isinstance(node, tuple):
        return f"Tuple[{', '.join(_describe(v) for v in node)}]"
    if isinstance(node, list):
        return f"List[{', '.join(_describe(v) for v in node)}]"
    if isinstance(node, Tensor):
        return _spec_text(node.aval.shape, node.aval.dtype)
    if isinstance(node, sig.TensorSpec):
        return _spec_text(None if node.shape is None else tuple(node.shape), node.dtype)
    if isinstance(node, np.ndarray):
        return _spec_text(node.shape, node.dtype)
    if isinstance(node, Variable):
        return _spec_text(node.aval.shape, node.aval.dtype).replace("TensorSpec", "VariableSpec")
    if node is None:
        return "None"
    if isinstance(node, bool | int | float | str | bytes):
        return f"Literal[{node!r}]"
    return f"{type(node).__name__}"


def _describe_output(node) -> str:
    if isinstance(node, dict):
        items = ", ".join(f"[{k!r}, {_describe_output(node[k])}]"
                          for k in sorted(node, key=repr))
        return f"Dict[{items}]"
    if isinstance(node, tuple):
        return f"Tuple[{', '.join(_describe_output(v) for v in node)}]"
    if isinstance(node, list):
        return f"List[{', '.join(_describe_output(v) for v in node)}]"
    if node is None:
        return "NoneTensorSpec()"
    if isinstance(node, Tensor | Variable):
        return _spec_text(node.aval.shape, node.aval.dtype)
    return _describe(node)


def pretty_signature(concrete) -> str:
    """One concrete function's signature as TF's pretty_printed_signature writes it."""
    info = getattr(concrete, "_call_info", None)
    lines = ["Input Parameters:"]
    if info is not None:
        parameters, arguments = info
        # As TF: *args are listed one by one (args_0, args_1, ...), and with them the
        # parameters before them as positional-only; **kwargs as keyword-only, by name.
        varargs = any(p.kind.name == "VAR_POSITIONAL" for p in parameters.values())
        for i, (name, value) in enumerate(arguments.items()):
            if i == 0 and name == "self" and not isinstance(value, Tensor):
                continue  # a method's instance is bound, not a parameter (as TF shows it)
            kind = parameters[name].kind.name
            if kind == "VAR_POSITIONAL":
                lines += [f"  {name}_{j} (POSITIONAL_ONLY): {_describe(v)}"
                          for j, v in enumerate(value)]
            elif kind == "VAR_KEYWORD":
                lines += [f"  {key} (KEYWORD_ONLY): {_describe(v)}" for key, v in value.items()]
            else:
                if varargs and kind == "POSITIONAL_OR_KEYWORD":
                    kind = "POSITIONAL_ONLY"
                lines.append(f"  {name} ({kind}): {_describe(value)}")
    lines.append("Output Type:")
    lines.append(f"  {_describe_output(concrete.traced.result_structure)}")
    lines.append("Captures:")
    captured = concrete.traced.captured
    if not captured:
        lines.append("  None")
    for variable in captured:
        lines.append(f"  {variable._uid}: TensorSpec(shape=(), dtype=tf.resource, name=None)")
    return "\n".join(lines)


def structured_input_signature(concrete) -> tuple:
    """TF's `(args, kwargs)` of a concrete function: a TensorSpec named after its argument
    for each tensor, the value itself for each static argument."""
    parameters, arguments = concrete._call_info
    args, kwargs = [], {}

    def spec_of(name, node):
        if isinstance(node, dict):
            return {k: spec_of(name, v) for k, v in node.items()}
        if isinstance(node, list | tuple):
            return type(node)(spec_of(name, v) for v in node)
        if isinstance(node, Tensor):
            shape = dims.public_shape(node.aval.shape)
            return sig.TensorSpec(shape, node.aval.dtype, name=name)
        return node

    for name, value in arguments.items():
        spec = spec_of(name, value)
        if parameters[name].kind == parameters[name].KEYWORD_ONLY:
            kwargs[name] = spec
        else:
            args.append(spec)
    return tuple(args), kwargs


# ---- calling a ConcreteFunction ------------------------------------------------------------


def expected_leaves(arguments: dict, spec_shapes: list | None) -> list[tuple[str, Any]]:
    """What a ConcreteFunction's arguments must be, per leaf: ("tensor", shape with None
    for any size, dtype) or the leaf's signature spec (static values, variables)."""
    out = []
    paths = sig.leaves_with_paths(arguments)
    for i, (path, leaf) in enumerate(paths):
        spec = sig.leaf_spec(leaf)
        if spec[0] == "tensor":
            shape = spec_shapes[i] if spec_shapes and spec_shapes[i] is not None else spec[1]
            spec = ("tensor", tuple(None if isinstance(d, dims.Dim) else d for d in shape),
                    spec[2])
        out.append((path, spec))
    return out


def check_call(name: str, expected: list, paths: list) -> list:
    """The argument arrays of a ConcreteFunction call, or a TypeError naming the argument
    that does not fit (a concrete function has one signature, as in TF)."""
    if len(paths) != len(expected):
        raise TypeError(
            f"ConcreteFunction {name}: called with {len(paths)} argument leaves "
            f"({', '.join(p for p, _ in paths)}), it was traced for {len(expected)} "
            f"({', '.join(p for p, _ in expected)})")
    values = []
    for (path, leaf), (_, want) in zip(paths, expected):
        if want[0] != "tensor":
            if sig.leaf_spec(leaf) != want:
                got = sig.describe_spec(sig.leaf_spec(leaf))
                raise TypeError(f"ConcreteFunction {name}: argument {path} is {got}, it was "
                                f"traced with {sig.describe_spec(want)}")
            continue
        _, shape, dtype = want
        if isinstance(leaf, Tensor):
            value = leaf._value
        elif isinstance(leaf, bool | int | float | np.ndarray | np.generic | list):
            value = np.asarray(leaf, dtype=dtype if not isinstance(leaf, np.ndarray) else None)
        else:
            raise TypeError(f"ConcreteFunction {name}: argument {path}: expected a tensor "
                            f"{_spec_text(shape, dtype)}, got {type(leaf).__name__}")
        fits = len(value.shape) == len(shape) and all(
            s is None or s == d for s, d in zip(shape, value.shape))
        if value.dtype != dtype or not fits:
            # Another dtype: TF's InvalidArgumentError. Another shape: TF runs the graph on it
            # regardless; refused here (a TypeError and an InvalidArgumentError both).
            error = InvalidArgumentError if value.dtype != dtype else OpTypeError
            raise error(
                f"ConcreteFunction {name}: argument {path}: expected "
                f"{_spec_text(shape, dtype)}, got a tensor of shape {tuple(value.shape)} and "
                f"dtype {value.dtype.name}")
        values.append(leaf if isinstance(leaf, Tensor) else value)
    return values


def _bind_call(function, concrete, args, kwargs) -> dict:
    """The arguments of a call to a concrete function. As TensorFlow's, it can be called with
    its tensor arguments alone, positionally in order: each other (Python) argument then takes
    the value it was traced with (and one given must equal it, which check_call enforces)."""
    try:
        return function._bind(args, kwargs)
    except TypeError:
        info = getattr(concrete, "_call_info", None)
        if info is None:
            raise
        parameters, traced = info
        tensor_names = [name for name, value in traced.items()
                        if any(sig.is_input(leaf) or isinstance(leaf, Variable)
                               for _, leaf in sig.leaves_with_paths({name: value}))
                        and name not in kwargs]
        if len(args) != len(tensor_names):  # every tensor argument must be given
            raise
        arguments = dict(traced)
        arguments.update(zip(tensor_names, args))
        unknown = [k for k in kwargs if k not in parameters]
        if unknown:
            raise
        arguments.update(kwargs)
        return arguments


def call_concrete(concrete, args, kwargs):
    """`concrete(*args, **kwargs)`: the arguments must fit the one signature it was traced
    for (TypeError naming the argument otherwise). A call whose values take another path
    than the traced one (a guard fails) is answered by the function it came from."""
    from tapeflow.runtime.concrete import GUARD_FAILED
    from tapeflow.tracer import tape as tape_module

    function = getattr(concrete, "_function", None)
    if function is None:
        raise TypeError("this ConcreteFunction was not made by a tapeflow.function")
    paths = sig.leaves_with_paths(_bind_call(function, concrete, args, kwargs))
    values = check_call(function.__name__, concrete._expected, paths)
    if not tape_module._recording:
        values = [v._value if isinstance(v, Tensor) else v for v in values]
    result = concrete.run(values)
    if result is GUARD_FAILED:
        return function(*args, **kwargs)
    return result

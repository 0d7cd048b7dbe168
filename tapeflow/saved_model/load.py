"""`tf.saved_model.load(export_dir)`: the object save.py wrote, rebuilt without its Python
class: a tree of `tf.Module`s with the saved attributes (variables, sub-objects) and, as
methods, the saved tf.functions. Calling one runs the first saved trace whose signature the
arguments fit (tensors of the traced dtype and sizes, the same Python values), compiled as
any traced path is; a call that fits none raises a ValueError listing the saved signatures.
Variables are restored with their values, names and trainable flags, and assignments the
functions make update them.
"""

from __future__ import annotations

import inspect
import json
import os

import numpy as np

from tapeflow.checkpoint.checkpoint import CheckpointError, read_file
from tapeflow.graph.printer import ParseError
from tapeflow.ops.core import canonical_dtype
from tapeflow.runtime import signature as sig
from tapeflow.runtime.backends import default_backend, default_compile
from tapeflow.runtime.concrete import GUARD_FAILED, ConcreteFunction
from tapeflow.runtime.specs import _spec_text
from tapeflow.runtime.trace import Guard, TracedGraph
from tapeflow.saved_model.format import (
    FORMAT,
    MANIFEST,
    READABLE_VERSIONS,
    VARIABLES_DIR,
    VARIABLES_PREFIX,
    SavedModelError,
    decode_structure,
    to_json_value,
)
from tapeflow.saved_model.prints import decode_print
from tapeflow.saved_model.symbolic import SymbolTable, shape_guards_from_json
from tapeflow.tracer import tape as tape_module
from tapeflow.tracer.module import Module
from tapeflow.tracer.tensor import Tensor
from tapeflow.tracer.variable import Variable
from tapeflow.viz import jsonio


class LoadedObject(Module):
    """An object restored by tf.saved_model.load: its attributes are the saved variables,
    sub-objects and tf.functions. Callable when the saved object's `__call__` was a traced
    tf.function."""

    def __init__(self, name: str | None = None):
        super().__init__(name=name or "loaded")

    def __call__(self, *args, **kwargs):
        function = self.__dict__.get("__call__")
        if function is None:
            raise TypeError("this loaded object is not callable: the saved object had no "
                            "traced tf.function __call__")
        return function(*args, **kwargs)


class LoadedFunction:
    """A saved tf.function: its traced paths, called by signature."""

    def __init__(self, name: str, parameters: list, traces: list):
        self.__name__ = name
        self._signature = inspect.Signature(
            [inspect.Parameter(n, getattr(inspect.Parameter, kind)) for n, kind in parameters])
        self._traces = traces  # [(structure, leaves, ConcreteFunction)]

    def __call__(self, *args, **kwargs):
        try:
            bound = self._signature.bind(*args, **kwargs)
        except TypeError as e:
            raise TypeError(f"{self.__name__}{self._signature}: {e}") from None
        arguments = dict(bound.arguments)
        paths = sig.leaves_with_paths(arguments)
        excluded = []  # options whose signature fits but whose shape guards do not hold
        for option, (saved_structure, leaves, concrete) in enumerate(self._traces):
            call = _as_tensors(arguments, leaves)
            structure = to_json_value(tuple((n, sig._structure(v)) for n, v in call.items()))
            if saved_structure != structure:
                continue
            paths = sig.leaves_with_paths(call)
            values = _fit(paths, leaves)
            if values is None:
                continue
            if not tape_module._recording:
                values = [v._value if isinstance(v, Tensor) else v for v in values]
            result = concrete.run(values)
            if result is not GUARD_FAILED:
                return result
            excluded.append(f"option {option + 1} holds only where "
                            f"{'; '.join(concrete.conditions())} as when it was traced")
        given = ", ".join(f"{p}={_describe_value(v)}" for p, v in paths) or "no arguments"
        options = "\n".join(
            f"  Option {i + 1}: " + (", ".join(f"{p}={_describe_leaf(spec)}" for p, spec in
                                               leaves) or "no arguments")
            for i, (_, leaves, _) in enumerate(self._traces))
        if excluded:  # (paths that depend on values, or on sizes traced as None)
            options += f"\n({'; '.join(excluded)})"
        raise ValueError(
            f"Could not find matching concrete function to call loaded from the SavedModel: "
            f"{self.__name__} got {given}; it was saved with {len(self._traces)} traced "
            f"signature(s):\n{options}")

    def __repr__(self) -> str:
        return f"<saved tf.function {self.__name__} ({len(self._traces)} traces)>"


def _as_tensors(arguments: dict, leaves: list) -> dict:
    """The arguments with a Python list or tuple converted to an array where the trace took
    a tensor for that whole argument (as TF converts such arguments)."""
    tensor_args = {path: spec for path, spec in leaves if spec[0] == "tensor"}
    out = dict(arguments)
    for name, value in arguments.items():
        if name in tensor_args and isinstance(value, list | tuple):
            try:
                out[name] = np.asarray(value, dtype=tensor_args[name][2])
            except (TypeError, ValueError):
                pass  # not convertible: the trace does not fit, said below
    return out


def _fit(paths: list, leaves: list) -> list | None:
    """The argument values for a trace's graph inputs, or None when the call does not fit."""
    if len(paths) != len(leaves):
        return None
    values = []
    for (path, leaf), (saved_path, spec) in zip(paths, leaves):
        if path != saved_path:
            return None
        if spec[0] == "static":
            if sig.is_input(leaf) or sig.leaf_spec(leaf) != spec:
                return None
            continue
        _, shape, dtype = spec
        if isinstance(leaf, Tensor):
            value = leaf._value
        elif isinstance(leaf, np.ndarray | np.generic):
            value = np.asarray(leaf)
        elif isinstance(leaf, bool | int | float | list):
            try:
                value = np.asarray(leaf, dtype=dtype)
            except (TypeError, ValueError):
                return None
            leaf = value
        else:
            return None
        if canonical_dtype(value.dtype) != dtype or len(value.shape) != len(shape) or any(
                s is not None and s != d for s, d in zip(shape, value.shape)):
            return None
        values.append(leaf)
    return values


def _describe_leaf(spec) -> str:
    if spec[0] == "static":
        return repr(spec[2])
    return _spec_text(spec[1], spec[2])


def _describe_value(value) -> str:
    if isinstance(value, Tensor):
        return _spec_text(value.aval.shape, value.aval.dtype)
    if isinstance(value, np.ndarray):
        return _spec_text(value.shape, value.dtype)
    return repr(value)


def load(export_dir, tags=None, options=None) -> LoadedObject:
    """The object saved to `export_dir` by tf.saved_model.save (see the module docstring)."""
    path = os.fspath(export_dir)
    if not os.path.isdir(path):
        raise FileNotFoundError(f"saved_model.load: export_dir {path!r} is not a directory "
                                "(a SavedModel is the directory tf.saved_model.save wrote)")
    manifest_path = os.path.join(path, MANIFEST)
    if not os.path.isfile(manifest_path):
        foreign = " (it holds a TensorFlow saved_model.pb, which tapeflow cannot read)" \
            if os.path.exists(os.path.join(path, "saved_model.pb")) else ""
        raise FileNotFoundError(f"saved_model.load: {path!r} has no {MANIFEST}: not a "
                                f"SavedModel written by tapeflow{foreign}")
    try:
        with open(manifest_path, encoding="utf-8") as f:
            manifest = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise SavedModelError(f"saved_model.load: {manifest_path!r} is corrupt: {e}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise SavedModelError(f"saved_model.load: {manifest_path!r} is not a tapeflow "
                              "SavedModel manifest")
    if manifest.get("version") not in READABLE_VERSIONS:
        raise SavedModelError(f"saved_model.load: {manifest_path!r} has version "
                              f"{manifest.get('version')!r}; this tapeflow reads "
                              f"{' and '.join(map(str, READABLE_VERSIONS))}")
    try:
        return _rebuild(path, manifest)
    except CheckpointError as e:
        raise SavedModelError(f"saved_model.load: {path!r}: its variables cannot be read: "
                              f"{e}") from None
    except FileNotFoundError as e:
        raise SavedModelError(f"saved_model.load: {path!r} is incomplete: {e}") from None
    except (KeyError, TypeError, ValueError, ParseError) as e:
        if isinstance(e, SavedModelError) and str(e).startswith("saved_model.load"):
            raise
        raise SavedModelError(f"saved_model.load: {manifest_path!r} is corrupt: "
                              f"{type(e).__name__}: {e}") from None


def _rebuild(path: str, manifest: dict) -> LoadedObject:
    values = read_file(os.path.join(path, VARIABLES_DIR, VARIABLES_PREFIX))
    names = manifest.get("names", {})
    objects = {"": LoadedObject(names.get(""))}
    for object_path in manifest["objects"]:
        if object_path:
            _attach(objects, object_path, LoadedObject(names.get(object_path)))
    variables = {}
    for entry in manifest["variables"]:
        var_path = entry["path"]
        if var_path not in values:
            raise SavedModelError(f"saved_model.load: {path!r}: the variable {var_path!r} "
                                  "is missing from its variables file")
        name = entry["name"]
        variable = Variable(values[var_path], trainable=bool(entry["trainable"]),
                            name=name.removesuffix(":0"))
        variables[var_path] = variable
        _attach(objects, var_path, variable)
    for entry in manifest["functions"]:
        holder = objects[entry["object"]]
        traces = [_trace(t, variables) for t in entry["traces"]]
        function = LoadedFunction(entry["attribute"], entry["parameters"], traces)
        holder.__dict__[entry["attribute"]] = function
    return objects[""]


def _attach(objects: dict, path: str, value) -> None:
    parent, _, attribute = path.rpartition("/")
    if parent not in objects:
        raise SavedModelError(f"the object path {path!r} has no parent object {parent!r}")
    objects[parent].__dict__[attribute] = value
    if isinstance(value, LoadedObject):
        objects[path] = value


def _decode_leaf(path: str, spec: dict):
    (kind, value), = spec.items()
    if kind == "tensor":
        shape, dtype = value
        return path, ("tensor", tuple(None if d is None else int(d) for d in shape),
                      np.dtype(dtype))
    if kind == "static":
        type_name, literal = value
        if type_name == "float":
            return path, ("static", "float", sig.float_token(float(literal)))
        return path, ("static", type_name, literal)
    raise SavedModelError(f"bad argument entry {spec!r}")


def _decode_guard(entry: dict, graph) -> tuple[Guard, int]:
    index = int(entry["output"])
    if not 0 <= index < len(graph.outputs) or entry["kind"] not in ("bool", "int", "float",
                                                                     "numpy"):
        raise SavedModelError(f"bad guard {entry!r}")
    expected = np.array(entry["expected"], dtype=np.dtype(entry["dtype"]))
    source = entry["source"]
    guard = Guard(graph.outputs[index], entry["kind"], expected,
                  None if source is None else (str(source["file"]), int(source["line"])),
                  int(entry["position"]))
    return guard, index


def _trace(entry: dict, variables: dict):
    shape_guards = []
    if "symbols" in entry:  # traced with symbolic sizes (symbolic.py)
        table = SymbolTable(entry["symbols"])
        graph = jsonio.loads(json.dumps(entry["graph"]), read_type=table.type,
                             read_value=table.value)
        shape_guards = shape_guards_from_json(entry["shape_guards"], table)
    else:
        graph = jsonio.loads(json.dumps(entry["graph"]))
    leaves = [_decode_leaf(path, spec) for path, spec in entry["leaves"]]
    n_args = sum(1 for _, spec in leaves if spec[0] == "tensor")
    captured = [variables[p] for p in entry["captured"]]
    if n_args + len(captured) != len(graph.inputs):
        raise SavedModelError(f"a trace's graph has {len(graph.inputs)} inputs, its entry "
                              f"names {n_args} arguments and {len(captured)} variables")
    slots = [("static", s["static"]) if isinstance(s, dict) else int(s) for s in entry["slots"]]
    guards = [_decode_guard(g, graph) for g in entry.get("guards", [])]
    traced = TracedGraph(
        graph=graph, n_args=n_args, captured=captured, output_slots=slots,
        result_structure=decode_structure(entry["result"]),
        updates=[(variables[p], int(i)) for p, i in entry["updates"]], guards=guards,
        shape_guards=shape_guards,
        effects=[decode_print(p, len(graph.outputs)) for p in entry.get("prints", [])])
    concrete = ConcreteFunction(traced, default_backend(), compile=default_compile())
    return entry["structure"], leaves, concrete

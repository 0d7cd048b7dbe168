"""`tf.saved_model.save(obj, export_dir)`: the variables reachable from `obj` and every traced
path of the `tf.function`s it holds, written to `export_dir` (format.py has the layout).

What is saved:
- the variables, found as tf.train.Checkpoint finds them (tapeflow/checkpoint), by path;
- the objects on the way to them (tf.Modules, Keras layers, plain objects), by path, so the
  loaded object has the same attributes (`loaded.dense_1.w`);
- per object, each `tf.function` it holds, as a decorated method of its class or as an
  attribute, with every path it was traced for with this object (TF saves the traced
  concrete functions; a function never called has none, and is not saved). A path that
  read tensor values in Python keeps its guards: the loaded function runs the first saved
  path whose guards hold (a trace from TensorSpecs has a path per outcome of its `if`s).

What cannot be saved raises SavedModelError naming the function and argument, before
anything is written: a trace whose arguments are objects other than tensors and Python
literals, one that reads a variable not reachable from `obj`, one that prints (tf.print) to a
Python stream other than sys.stdout and sys.stderr. Its other prints are saved (prints.py)
and print on every call of the loaded function.
The directory is written into a temporary sibling and renamed into place, so a failed save
leaves nothing half written.
"""

from __future__ import annotations

import collections
import json
import os
import shutil
import tempfile

from tapeflow.checkpoint.checkpoint import _NOT_STATE, _children, named_variables, write_file
from tapeflow.graph.ir import source_text
from tapeflow.graph.printer import ParseError
from tapeflow.runtime import signature as sig
from tapeflow.runtime.function import Function
from tapeflow.saved_model.format import (
    FORMAT,
    MANIFEST,
    VARIABLES_DIR,
    VARIABLES_PREFIX,
    VERSION,
    SavedModelError,
    encode_structure,
    to_json_value,
)
from tapeflow.saved_model.prints import encode_print
from tapeflow.saved_model.symbolic import (
    SymbolTable,
    shape_guards_from_json,
    shape_guards_to_json,
)
from tapeflow.tracer.module import Module
from tapeflow.tracer.variable import Variable
from tapeflow.viz import jsonio


def save(obj, export_dir, signatures=None, options=None) -> None:
    """Write `obj`'s variables and traced tf.functions to the directory `export_dir`."""
    if signatures is not None:
        raise SavedModelError(
            "saved_model.save: signatures= (serving signatures) are not supported; every "
            "traced path of the object's tf.functions is saved, and load() gives them back "
            "as the object's methods")
    if isinstance(obj, (Variable, _NOT_STATE, list | tuple | dict)):
        raise SavedModelError(
            f"saved_model.save: obj is a {type(obj).__name__}; save a tf.Module, a Keras "
            "layer or model, or another object holding variables and tf.functions")
    export_dir = os.fspath(export_dir)
    variables = named_variables({"": obj})
    paths_of = {id(v): path for path, v in variables.items()}
    objects = _objects(obj)
    functions = []
    for path, holder in objects:
        for attribute, (function, method) in _functions_of(holder).items():
            traces = [_trace_entry(c, function, method, attribute, path, paths_of)
                      for c in _traces_for(function, holder, method)]
            if traces:
                functions.append({"object": path, "attribute": attribute,
                                  "parameters": _parameters(function, method),
                                  "traces": traces})
    manifest = {
        "format": FORMAT, "version": VERSION,
        "objects": [path for path, _ in objects],
        "names": {path: o.__dict__["_name"] for path, o in objects
                  if isinstance(o, Module) and isinstance(o.__dict__.get("_name"), str)},
        "variables": [{"path": path, "name": v.name, "trainable": bool(v.trainable)}
                      for path, v in variables.items()],
        "functions": functions,
    }
    text = json.dumps(manifest, indent=1)
    _write_directory(export_dir, text, variables)


def _objects(root) -> list[tuple[str, object]]:
    """(path, object) of the objects reachable from `root` (itself first, as ""), in the
    checkpoint walk's order (breadth first, so that an object reached twice has the path
    its variables are saved under); containers and variables are not objects here."""
    found, seen = [], set()
    queue = collections.deque([("", root)])
    while queue:
        path, obj = queue.popleft()
        if isinstance(obj, (Variable, _NOT_STATE)) or id(obj) in seen:
            continue
        seen.add(id(obj))
        if not isinstance(obj, list | tuple | dict):
            found.append((path, obj))
        queue.extend((f"{path}/{name}" if path else name, child)
                     for name, child in _children(obj))
    return found


def _functions_of(obj) -> dict[str, tuple[Function, bool]]:
    """attribute -> (tf.function, is a method of the class) for the functions `obj` holds."""
    found: dict[str, tuple[Function, bool]] = {}
    for klass in reversed(type(obj).__mro__):
        for name, value in vars(klass).items():
            if isinstance(value, Function):
                found[name] = (value, True)
    for name, value in getattr(obj, "__dict__", {}).items():
        if isinstance(value, Function):
            found[name] = (value, False)
    return found


def _self_name(function: Function) -> str:
    return next(iter(function._signature.parameters))


def _traces_for(function: Function, holder, method: bool) -> list:
    """The function's traced paths for this object (a method's: those traced with `holder`
    as its first argument), traces from specs included, in trace order."""
    concretes = list(function._concretes)
    concretes += [c for paths in function._spec_paths.values() for c in paths
                  if c not in concretes]
    if not method:
        return concretes
    name = _self_name(function)
    return [c for c in concretes if c._call_info[1].get(name) is holder]


def _parameters(function: Function, method: bool) -> list[list[str]]:
    parameters = list(function._signature.parameters.values())
    if method:
        parameters = parameters[1:]
    return [[p.name, p.kind.name] for p in parameters]


def _trace_entry(concrete, function: Function, method: bool, attribute: str,
                 object_path: str, paths_of: dict) -> dict:
    where = f"saved_model.save: {object_path + '.' if object_path else ''}{attribute}"
    traced = concrete.traced
    graph = traced.graph
    _refuse_graph_loops(graph, where)
    symbolic = _symbolic_entry(concrete, where)
    arguments = dict(concrete._call_info[1])
    self_name = _self_name(function)
    if method:  # the object is bound on load, not an argument
        arguments.pop(self_name)
    expected = [e for e in concrete._expected if not (method and e[0] == self_name)]
    leaves = [[path, _encode_leaf(spec, f"{where}: argument {path}")] for path, spec in expected]
    structure = tuple((name, sig._structure(v)) for name, v in arguments.items())

    def path_of(variable, what: str) -> str:
        path = paths_of.get(id(variable))
        if path is None:
            raise SavedModelError(
                f"{where}: a traced path {what} the Variable {variable.name!r}, which is "
                "not reachable from the saved object (make it an attribute of the object)")
        return path

    slots = []
    for slot in traced.output_slots:
        if type(slot) is tuple:
            value = slot[1]
            if value is not None and not isinstance(value, bool | int | float | str):
                raise SavedModelError(
                    f"{where}: a traced path returns a {type(value).__name__}; only tensors "
                    "and Python literals can be saved")
            slots.append({"static": value})
        else:
            slots.append(slot)
    return {
        **symbolic,
        "guards": [_encode_guard(guard, index, where) for guard, index in traced.guards],
        "structure": to_json_value(structure),
        "leaves": leaves,
        "graph": jsonio.to_data(graph),
        "captured": [path_of(v, "reads") for v in traced.captured],
        "updates": [[path_of(v, "assigns"), index] for v, index in traced.updates],
        "slots": slots,
        "result": encode_structure(traced.result_structure),
        "prints": [encode_print(effect, outputs, where) for effect, outputs in traced.effects],
    }


def _refuse_graph_loops(graph, where: str) -> None:
    """A graph loop (a traced tf.while_loop or AutoGraph loop) holds sub-graphs the saved
    format does not write: refused by name, before anything is written."""
    from tapeflow.runtime.control_exec import has_structured

    if has_structured(graph):
        eqn = next(e for e in graph.eqns if e.prim.name in ("while_loop", "cond", "print"))
        line = f" (at {source_text(eqn.source)})" if eqn.source is not None else ""
        raise SavedModelError(
            f"{where}: a traced path holds a graph loop ({eqn.prim.name}{line}), which "
            "tapeflow's SavedModel format cannot hold (a loop over a Python range unrolls "
            "and saves)")


def _symbolic_entry(concrete, where: str) -> dict:
    """For a path traced with symbolic sizes (an input_signature with None): its symbols'
    names and its shape guards (symbolic.py), checked to read back as the same graph;
    {} for a path of static sizes."""
    graph = concrete.traced.graph
    symbols = [symbol.name for _, _, symbol in concrete._symbols]
    if not symbols:
        return {}
    entry = {"symbols": symbols,
             "shape_guards": shape_guards_to_json(concrete.traced.shape_guards)}
    try:
        table = SymbolTable(symbols)
        again = jsonio.loads(jsonio.dumps(graph), read_type=table.type,
                             read_value=table.value)
        shape_guards_from_json(entry["shape_guards"], table)
        same = str(again) == str(graph)
    except ParseError:
        same = False
    if not same:
        raise SavedModelError(
            f"{where}: a path traced with unknown sizes ({', '.join(symbols)}) has a size "
            "expression that would not read back as written; it cannot be saved")
    return entry


def _encode_guard(guard, index: int, where: str) -> dict:
    """A Python read of a traced value the path depends on: the graph output holding the
    value, how Python read it and what it saw (load.py checks it on every call)."""
    expected = guard.expected
    if expected.dtype.kind not in "biuf":
        raise SavedModelError(f"{where}: a traced path depends on a {expected.dtype} value "
                              f"read in Python ({guard.where()}); it cannot be saved")
    return {"output": index, "kind": guard.kind, "dtype": expected.dtype.name,
            "expected": expected.tolist(), "source": None if guard.source is None else
            {"file": guard.source[0], "line": guard.source[1]},
            "position": guard.position}


def _encode_leaf(spec, where: str) -> dict:
    kind = spec[0]
    if kind == "tensor":
        _, shape, dtype = spec
        return {"tensor": [list(shape), dtype.name]}
    if kind == "static":
        _, type_name, value = spec
        if type_name == "float":
            return {"static": ["float", repr(value)]}
        if type_name in ("NoneType", "bool", "int", "str"):
            return {"static": [type_name, value]}
    what = sig.describe_spec(spec)
    raise SavedModelError(f"{where} is {what}; only tensors and Python literals (numbers, "
                          "strings, bools, None) can be saved as arguments")


def _write_directory(export_dir: str, manifest: str, variables: dict) -> None:
    parent = os.path.dirname(os.path.abspath(export_dir))
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(dir=parent, prefix=".tmp-saved-model-")
    try:
        os.makedirs(os.path.join(staging, VARIABLES_DIR))
        write_file(os.path.join(staging, VARIABLES_DIR, VARIABLES_PREFIX), variables)
        with open(os.path.join(staging, MANIFEST), "w", encoding="utf-8") as f:
            f.write(manifest)
        if os.path.isdir(export_dir):
            # Replace what a previous save wrote; anything else in the directory stays.
            for name in (MANIFEST, VARIABLES_DIR):
                old = os.path.join(export_dir, name)
                if os.path.isdir(old):
                    shutil.rmtree(old)
                elif os.path.exists(old):
                    os.unlink(old)
            for name in (VARIABLES_DIR, MANIFEST):
                os.replace(os.path.join(staging, name), os.path.join(export_dir, name))
        elif os.path.exists(export_dir):
            raise SavedModelError(f"saved_model.save: export_dir {export_dir!r} is a file, "
                                  "not a directory")
        else:
            os.replace(staging, export_dir)
            staging = None
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)

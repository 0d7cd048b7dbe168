"""The SavedModel directory, version 2 (what save.py writes and load.py reads):

    <export_dir>/saved_model.json        the manifest (UTF-8 JSON, below)
    <export_dir>/variables/variables.npz the variables: a tapeflow checkpoint file
                                         (tapeflow/checkpoint/checkpoint.py), keyed by path

The manifest:

    {"format": "tapeflow-saved-model", "version": 2,
     "objects": ["", "dense_1", ...],          object paths ("" is the saved object), parents
                                               before children
     "names": {"": "my_module", ...},          tf.Module names, where the object had one
     "variables": [{"path": "dense_1/w", "name": "w:0", "trainable": true}, ...],
     "functions": [{"object": "", "attribute": "__call__",
                    "parameters": [["x", "POSITIONAL_OR_KEYWORD"], ...],
                    "traces": [TRACE, ...]}, ...]}

and each TRACE, one traced path of the function:

    {"structure": the arguments' container skeleton (signature.py's _structure, as JSON),
     "leaves": [["x", {"tensor": [[2, 3], "float32"]}], ["training", {"static": ["bool", false]}]],
     "graph": the traced graph in tapeflow's graph JSON (tapeflow/viz/jsonio.py),
     "captured": ["dense_1/w", ...],           variables read: the graph's last inputs
     "updates": [["dense_1/w", 4], ...],       variables assigned: (path, graph output)
     "slots": [0, {"static": 1.5}, ...],        per returned leaf: a graph output or a value
     "result": the result's container skeleton ({"tuple": [...]}, {"leaf": null}, ...),
     "prints": [PRINT, ...],                   the path's tf.prints, in trace order, run
                                               after each call's commit (prints.py has PRINT)
     "guards": [{"output": 3, "kind": "bool", "dtype": "bool", "expected": true,
                 "source": {"file": ..., "line": ...}, "position": 2}, ...]
                                               Python's reads of traced values on this path:
                                               the graph output holding the value and what
                                               Python saw (a call runs the path they allow),
     and, for a path traced with symbolic sizes (an input_signature with None), where the
     graph's types and shape params hold size expressions such as `f32[x.0,3]`:
     "symbols": ["x.0", ...],                  the names of its sizes (symbolic.py)
     "shape_guards": [["x.0 - 1", "<", false], ...]}  the decisions its trace took on them:
                                               (expression compared with 0, outcome)

Nothing in the directory is executed: graphs are read by the graph JSON reader (a literal
reader for params and constants, primitives looked up by name), arrays by numpy without
pickle. A tensor size of None in "leaves" matches any size (a trace from an input_signature).
"""

from __future__ import annotations

FORMAT = "tapeflow-saved-model"
VERSION = 2  # 2: traces keep their tf.prints ("prints")
READABLE_VERSIONS = (1, 2)  # a version-1 trace has no prints
MANIFEST = "saved_model.json"
VARIABLES_DIR = "variables"
VARIABLES_PREFIX = "variables"  # the checkpoint file is variables/variables.npz


class SavedModelError(ValueError):
    """A SavedModel that cannot be written (an object or a trace that cannot be saved) or
    read (a missing, corrupt or foreign directory); the message names the path or object."""


def encode_structure(node):
    """A container skeleton (lists, tuples, dicts of leaves) as JSON; leaves become
    {"leaf": null}. Dict keys must be strings or ints."""
    if isinstance(node, dict):
        return {"dict": [[key, encode_structure(value)] for key, value in node.items()]}
    if isinstance(node, tuple):
        return {"tuple": [encode_structure(v) for v in node]}
    if isinstance(node, list):
        return {"list": [encode_structure(v) for v in node]}
    return {"leaf": None}


def decode_structure(data):
    """The skeleton back, with 0 for each leaf (what nest.pack_sequence_as needs)."""
    if not isinstance(data, dict) or len(data) != 1:
        raise SavedModelError(f"bad result structure {data!r}")
    (kind, value), = data.items()
    if kind == "dict":
        return {key: decode_structure(v) for key, v in value}
    if kind == "tuple":
        return tuple(decode_structure(v) for v in value)
    if kind == "list":
        return [decode_structure(v) for v in value]
    if kind == "leaf":
        return 0
    raise SavedModelError(f"bad result structure {data!r}")


def to_json_value(node):
    """Nested tuples as lists (JSON has no tuples): the form a manifest compares in."""
    if isinstance(node, tuple | list):
        return [to_json_value(v) for v in node]
    return node

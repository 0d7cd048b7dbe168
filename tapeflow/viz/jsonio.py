"""A graph as JSON and back (`tapeflow graph --format json`, `Graph.to_json()`).

The JSON names values as the printer does and keeps everything the text form keeps (types,
params, constants, user lines, adjoint provenance, input and output labels) and each
equation's module scope, so `loads(dumps(g))` prints exactly as `g` does. Params and
constant values are stored as the printer's literal text, which `loads` reads with the
printer's own literal reader (a param may be a tuple or a dtype, which JSON has no type
for).
"""

from __future__ import annotations

import ast
import json

import numpy as np

from tapeflow.graph.ir import Eqn, Graph, Origin, make_params, new_var
from tapeflow.graph.printer import ParseError, _aval, _literal, _type, format_value, var_names
from tapeflow.ops.core import PRIMITIVES

FORMAT = "tapeflow-graph/1"


def to_data(graph: Graph) -> dict:
    names = var_names(graph)
    labels = graph.input_names or (None,) * len(graph.inputs)
    out_labels = graph.output_names or (None,) * len(graph.outputs)

    def var(v):
        return {"name": names[v], "type": _type(v.aval)}

    def source(src):
        return None if src is None else {"file": src[0], "line": src[1]}

    return {
        "format": FORMAT,
        "inputs": [dict(var(v), label=label) for v, label in zip(graph.inputs, labels)],
        "consts": [dict(var(v), value=format_value(np.asarray(value)))
                   for v, value in graph.consts],
        "eqns": [
            {
                "prim": e.prim.name,
                "inputs": [names[v] for v in e.inputs],
                "outputs": [var(v) for v in e.outputs],
                "params": {k: format_value(val) for k, val in e.params},
                "source": source(e.source),
                "adjoint_of": None if e.adjoint_of is None else {
                    "prim": e.adjoint_of.prim, "source": source(e.adjoint_of.source),
                    "scope": e.adjoint_of.scope},
                "scope": e.scope,
            }
            for e in graph.eqns
        ],
        "outputs": [{"name": names[v], "label": label}
                    for v, label in zip(graph.outputs, out_labels)],
    }


def dumps(graph: Graph) -> str:
    return json.dumps(to_data(graph), indent=1)


def _parse_type(text: str):
    dt, _, rest = text.partition("[")
    return _aval(dt, rest.rstrip("]"), 0)


def _value(text: str):
    try:
        return _literal(ast.parse(text, mode="eval").body, 0)
    except SyntaxError as e:
        raise ParseError(f"cannot read the value {text!r}: {e.msg}") from None


def loads(text: str, read_type=None, read_value=None) -> Graph:
    """The graph `dumps` wrote. `read_type` and `read_value` replace the readers of a
    value's type ("f32[2,3]") and of a param's or constant's text (saved_model reads
    symbolic sizes with them)."""
    read_type = read_type or _parse_type
    read_value = read_value or _value
    data = json.loads(text)
    if data.get("format") != FORMAT:
        raise ParseError(f"not a tapeflow graph in JSON (format {data.get('format')!r}, "
                         f"expected {FORMAT!r})")
    env = {}

    def define(entry):
        v = new_var(read_type(entry["type"]))
        env[entry["name"]] = v
        return v

    def source(entry):
        return None if entry is None else (entry["file"], entry["line"])

    inputs = [define(e) for e in data["inputs"]]
    consts = []
    for entry in data["consts"]:
        v = define(entry)
        consts.append((v, np.asarray(read_value(entry["value"]), dtype=v.aval.dtype)))
    eqns = []
    for entry in data["eqns"]:
        ins = tuple(env[n] for n in entry["inputs"])
        params = {k: read_value(t) for k, t in entry["params"].items()}
        outs = tuple(define(o) for o in entry["outputs"])
        origin = entry.get("adjoint_of")
        eqns.append(Eqn(PRIMITIVES[entry["prim"]], ins, outs, make_params(params),
                        source(entry["source"]),
                        None if origin is None else Origin(origin["prim"],
                                                           source(origin["source"]),
                                                           origin.get("scope", "")),
                        entry.get("scope", "")))
    outputs = tuple(env[o["name"]] for o in data["outputs"])
    in_labels = tuple(e["label"] for e in data["inputs"])
    out_labels = tuple(o["label"] for o in data["outputs"])
    return Graph(tuple(inputs), tuple(eqns), outputs, tuple(consts),
                 in_labels if any(in_labels) else (), out_labels if any(out_labels) else ())

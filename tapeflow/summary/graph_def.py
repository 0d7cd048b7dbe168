"""A tapeflow graph as TensorFlow's `GraphDef` (`concrete.graph.as_graph_def()`, and the
graphs `tf.summary.trace_export` writes): one `NodeDef` per input (op `Placeholder`, named
after the argument), per constant (`Const`), per equation (named and typed after its
primitive: `add`, `add_1`, ...; its inputs name the nodes that produce them, `name:1` for a
second output) and per output (`Identity`). Ops keep tapeflow's primitive names, not
TensorFlow's op types (`add`, not `AddV2`), and nodes carry no attributes.
`SerializeToString()` gives the protobuf bytes (records.py writes them by hand).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tapeflow.summary import records as rec


@dataclass
class NodeDef:
    name: str
    op: str
    input: list[str] = field(default_factory=list)
    device: str = ""
    attr: dict = field(default_factory=dict)

    def __str__(self) -> str:
        lines = [f'name: "{self.name}"', f'op: "{self.op}"']
        lines += [f'input: "{i}"' for i in self.input]
        return "\n".join(lines) + "\n"


@dataclass
class GraphDef:
    node: list[NodeDef] = field(default_factory=list)

    def SerializeToString(self) -> bytes:  # protobuf's name
        return rec.graph_def([(n.name, n.op, n.input) for n in self.node])

    def __str__(self) -> str:
        return "".join("node {\n" + "".join(f"  {line}\n" for line in str(n).splitlines())
                       + "}\n" for n in self.node)


def graph_def(graph) -> GraphDef:
    counts: dict[str, int] = {}
    ref: dict = {}
    nodes: list[NodeDef] = []

    def fresh(base: str) -> str:
        n = counts.get(base, 0)
        counts[base] = n + 1
        return base if n == 0 else f"{base}_{n}"

    labels = graph.input_names or (None,) * len(graph.inputs)
    for v, label in zip(graph.inputs, labels):
        name = fresh(_node_name(label) or "input")
        nodes.append(NodeDef(name, "Placeholder"))
        ref[v] = name
    for v, _ in graph.consts:
        name = fresh("Const")
        nodes.append(NodeDef(name, "Const"))
        ref[v] = name
    for eqn in graph.eqns:
        name = fresh(eqn.prim.name)
        nodes.append(NodeDef(name, eqn.prim.name, [ref[v] for v in eqn.inputs]))
        for i, v in enumerate(eqn.outputs):
            ref[v] = name if i == 0 else f"{name}:{i}"
    for v in graph.outputs:
        nodes.append(NodeDef(fresh("Identity"), "Identity", [ref[v]]))
    return GraphDef(nodes)


def _node_name(label) -> str | None:
    if not label:
        return None
    cleaned = "".join(c if c.isalnum() or c in "_./-" else "_" for c in label.split(":")[0])
    return cleaned.strip("/") or None

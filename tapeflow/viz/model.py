"""What a picture of a graph shows, as plain data: nodes, edges and nested groups.

Every drawing (SVG, PNG, DOT, the HTML viewer) starts from `build(graph)`, so they agree on
what a node is and how it is told apart:

- kinds: `input` (an argument), `variable` (a captured Variable, labelled like `w:0`),
  `eqn` (one equation), `output`, `update` (a Variable's new value) and `guard` (a value a
  Python `if` read, checked on every call);
- sides, for colour: `forward`, `adjoint` (made by differentiation: the equation has
  `adjoint_of`), `update` (after the gradient: reads adjoint values without being one, such
  as an optimizer step);
- groups, nested: the tf.Module / Keras layer an equation was traced in (adjoint equations
  in their forward equation's), a fused kernel (the unit codegen compiles; in the innermost
  scope that holds all of it), and inside a kernel the equations of one user line (forward
  and adjoint apart).

Constants are not nodes: they are listed in the reading equation's details.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from tapeflow.graph.ir import Graph, source_text
from tapeflow.graph.printer import format_eqn, format_value, var_names
from tapeflow.ops.core import short_dtype

CONST_SHOWN = 8  # elements of a constant shown in a node's details


@dataclass
class Node:
    id: str
    kind: str  # input | variable | eqn | output | update | guard
    side: str  # forward | adjoint | update | io
    op: str  # the primitive, or the input/output label
    type: str  # f32[4,3]
    shape: tuple
    dtype: str
    source: str | None = None  # "step.py:12"
    path: str | None = None  # the source file's full path
    line: int | None = None
    adjoint_of: str | None = None  # "adjoint of matmul at step.py:12"
    params: dict[str, str] = field(default_factory=dict)
    text: str = ""  # the printed equation
    name: str = ""  # the printer's name of the (first) value it defines
    group: str | None = None  # innermost group id
    index: int | None = None  # equation index in the graph
    scope: str = ""  # tf.Module / Keras layer path (`sequential/dense_1`)

    def to_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


@dataclass
class Group:
    id: str
    kind: str  # scope | kernel | line
    label: str
    parent: str | None
    members: list[str] = field(default_factory=list)  # node ids directly in it
    children: list[str] = field(default_factory=list)  # group ids directly in it

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Model:
    title: str
    nodes: list[Node]
    edges: list[tuple[str, str]]
    groups: list[Group]

    def node(self, node_id: str) -> Node:
        return self._by_id()[node_id]

    def _by_id(self) -> dict[str, Node]:
        if not hasattr(self, "_index"):
            self._index = {n.id: n for n in self.nodes}
        return self._index

    def to_dict(self) -> dict:
        return {
            "title": self.title,
            "nodes": [n.to_dict() for n in self.nodes],
            "edges": [list(e) for e in self.edges],
            "groups": [g.to_dict() for g in self.groups],
        }


def _type(aval) -> str:
    return f"{short_dtype(aval.dtype)}[{','.join(map(str, aval.shape))}]"


def build(graph: Graph, groups=None, title: str = "graph", sides: str = "both") -> Model:
    """The picture's model of `graph`. `groups` are a fusion plan's groups (tuples of
    equation indices); `sides` keeps `forward`, `adjoint` or `both` (input and output nodes
    of the kept equations stay)."""
    names = var_names(graph)
    nodes: list[Node] = []
    edges: list[tuple[str, str]] = []
    made_by: dict = {}

    labels = graph.input_names or (None,) * len(graph.inputs)
    for k, (v, label) in enumerate(zip(graph.inputs, labels)):
        kind = "variable" if label and ":" in label else "input"
        node = Node(f"i{k}", kind, "io", label or names[v], _type(v.aval), tuple(v.aval.shape),
                    v.aval.dtype.name, name=names[v])
        nodes.append(node)
        made_by[v] = node.id
    consts = {v: value for v, value in graph.consts}

    eqn_side: dict[int, str] = {}
    adjoint_values = set()
    for i, eqn in enumerate(graph.eqns):
        if eqn.adjoint_of is not None:
            side = "adjoint"
        elif any(v in adjoint_values for v in eqn.inputs):
            side = "update"
        else:
            side = "forward"
        eqn_side[i] = side
        if side != "forward":
            adjoint_values.update(eqn.outputs)

    kept = [i for i in range(len(graph.eqns))
            if sides == "both" or eqn_side[i] == sides
            or (sides == "adjoint" and eqn_side[i] == "update")]
    kept_set = set(kept)
    for i in kept:
        eqn = graph.eqns[i]
        out = eqn.outputs[0]
        params = {k: format_value(val) for k, val in eqn.params}
        for j, v in enumerate(eqn.inputs):
            if v in consts:
                value = consts[v]
                shown = (format_value(value) if value.size <= CONST_SHOWN
                         else f"const {_type(v.aval)}")
                params[f"operand {j}"] = shown
        source = source_text(eqn.source) if eqn.source else None
        node = Node(
            f"e{i}", "eqn", eqn_side[i], eqn.prim.name,
            ", ".join(_type(v.aval) for v in eqn.outputs), tuple(out.aval.shape),
            out.aval.dtype.name, source=source,
            path=os.path.abspath(eqn.source[0]) if eqn.source else None,
            line=eqn.source[1] if eqn.source else None,
            adjoint_of=eqn.adjoint_of.text() if eqn.adjoint_of else None,
            params=params, text=format_eqn(eqn, names), name=names.get(out, ""), index=i,
            scope=eqn.scope,
        )
        nodes.append(node)
        for v in eqn.outputs:
            made_by[v] = node.id
    for i in kept:
        seen = set()
        for v in graph.eqns[i].inputs:
            src = made_by.get(v)
            if src is not None and src not in seen:
                seen.add(src)
                edges.append((src, f"e{i}"))

    out_labels = graph.output_names or (None,) * len(graph.outputs)
    for k, (v, label) in enumerate(zip(graph.outputs, out_labels)):
        src = made_by.get(v)
        if src is None:
            continue  # a constant returned, or its equation is not drawn
        if label and label.startswith("new "):
            kind = "update"
        elif label and label.startswith("guard"):
            kind = "guard"
        else:
            kind = "output"
        node = Node(f"o{k}", kind, "io", label or f"output {k}", _type(v.aval),
                    tuple(v.aval.shape), v.aval.dtype.name, name=names.get(v, ""))
        nodes.append(node)
        edges.append((src, node.id))

    # Inputs no kept equation reads are left out of a one-sided picture.
    if sides != "both":
        used = {s for s, _ in edges}
        nodes = [n for n in nodes if n.kind not in ("input", "variable") or n.id in used]
    model = Model(title, nodes, edges, _groups(graph, groups, kept_set, nodes))
    return model


def _groups(graph: Graph, plan_groups, kept: set[int], nodes: list[Node]) -> list[Group]:
    """Scopes (one group per module path prefix), kernels (fusion groups of more than one
    equation, a BLAS call with its epilogue included) in their scopes, and inside each kernel
    one group per user line of two or more of its equations."""
    node_by_id = {n.id: n for n in nodes}
    eqn_nodes = {n.index: n for n in nodes if n.kind == "eqn"}
    groups: list[Group] = []
    scope_ids: dict[str, str] = {}

    def scope_group(scope: str) -> str | None:
        if not scope:
            return None
        if scope not in scope_ids:
            parent, _, last = scope.rpartition("/")
            gid = f"s{len(scope_ids)}"
            scope_ids[scope] = gid
            groups.append(Group(gid, "scope", last, scope_group(parent)))
        return scope_ids[scope]

    kernel_of: dict[int, str] = {}
    for k, members in enumerate(plan_groups or ()):
        members = [i for i in members if i in kept]
        if len(members) < 2:
            continue
        head = graph.eqns[members[0]].prim.name
        label = f"kernel {k}" + (" (BLAS)" if head == "matmul" else "")
        scope = _common_scope([eqn_nodes[i].scope for i in members])
        groups.append(Group(f"k{k}", "kernel", label, scope_group(scope)))
        for i in members:
            kernel_of[i] = f"k{k}"
    lines: dict[tuple, Group] = {}
    for node in nodes:
        if node.kind != "eqn":
            continue
        parent = kernel_of.get(node.index)
        if parent is None:
            # Outside kernels a line is no box: the equations of one line are often far
            # apart in the drawing (its search finds them instead).
            node.group = scope_group(node.scope)
            continue
        node.group = parent
        if node.line is None:
            continue
        key = (parent, node.path, node.line, node.side == "adjoint")
        if key not in lines:
            where = node.source + (" (adjoint)" if node.side == "adjoint" else "")
            lines[key] = Group(f"l{len(lines)}", "line", where, parent)
        lines[key].members.append(node.id)
    for group in lines.values():
        if len(group.members) < 2:  # a line of one equation is no group
            continue
        groups.append(group)
        for nid in group.members:
            node_by_id[nid].group = group.id
    by_id = {g.id: g for g in groups}
    for g in groups:
        g.members = []
    for node in nodes:
        if node.group is not None:
            by_id[node.group].members.append(node.id)
    for g in groups:
        if g.parent is not None:
            by_id[g.parent].children.append(g.id)
    return groups


def _common_scope(scopes: list[str]) -> str:
    """The longest module path every one of `scopes` lies in."""
    parts = [s.split("/") if s else [] for s in scopes]
    common = []
    for level in zip(*parts):
        if any(p != level[0] for p in level):
            break
        common.append(level[0])
    return "/".join(common)

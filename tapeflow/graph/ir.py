"""The IR: flat SSA equations over typed variables, in a deterministic order.

A `Graph` is a list of `Eqn`s, each applying one primitive to input `Var`s and defining output
`Var`s; params are static and stored as sorted (name, value) pairs. Nothing nests: passes walk
one list. The dataclasses are frozen, so a pass builds a new graph instead of editing one.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from tapeflow.ops.core import Primitive, ShapedArray

_var_ids = itertools.count()


class Var:
    """A value in the graph. Identity is the object; `id` orders and names it.

    Immutable by convention, like the rest of the IR. A plain slotted class: every tensor
    gets a Var, eagerly and on each compiled call's outputs, and a frozen dataclass's
    __init__ costs about twice as much."""

    __slots__ = ("aval", "id")

    def __init__(self, aval: ShapedArray, id: int | None = None):  # noqa: A002
        self.aval = aval
        self.id = next(_var_ids) if id is None else id

    @property
    def shape(self) -> tuple[int, ...]:
        return self.aval.shape

    @property
    def dtype(self) -> np.dtype:
        return self.aval.dtype

    def __repr__(self) -> str:
        return f"Var({self.id}:{self.aval})"


def new_var(aval: ShapedArray) -> Var:
    return Var(aval)


@dataclass(frozen=True, slots=True)
class Origin:
    """The forward equation an adjoint equation differentiates: its primitive and user line.

    Kept as values, not a reference to the Eqn: passes replace equations, and the forward
    equation may not be in the same graph at all (an eager tape's gradient)."""

    prim: str
    source: tuple[str, int] | None
    scope: str = ""  # its module scope (see Eqn.scope)

    def text(self) -> str:
        where = f" at {source_text(self.source)}" if self.source is not None else ""
        return f"adjoint of {self.prim}{where}"


@dataclass(frozen=True, slots=True, eq=False)
class Eqn:
    """``outputs = prim(*inputs, **params)``, recorded at `source` = (file, line) of user code.

    An equation built by differentiation also has `adjoint_of`, the forward equation whose
    VJP made it (`source` is then the line that asked for the gradient). `scope` is the path
    of the tf.Module / Keras layer calls it was traced in (`sequential/dense_1`; an adjoint
    equation has its forward equation's), "" outside any: pictures group by it."""

    prim: Primitive
    inputs: tuple[Var, ...]
    outputs: tuple[Var, ...]
    params: tuple[tuple[str, Any], ...] = ()
    source: tuple[str, int] | None = None
    adjoint_of: Origin | None = None
    scope: str = ""

    def with_inputs(self, inputs: tuple[Var, ...]) -> "Eqn":
        """The same equation reading other Vars (provenance kept)."""
        return Eqn(self.prim, inputs, self.outputs, self.params, self.source, self.adjoint_of,
                   self.scope)

    @property
    def params_dict(self) -> dict[str, Any]:
        return dict(self.params)


def source_text(source: tuple[str, int]) -> str:
    """A recorded source location as people read it: `train.py:12`."""
    return f"{os.path.basename(source[0])}:{source[1]}"


def make_params(params: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    """Params as sorted pairs, the form every Eqn stores (so printing and hashing are stable)."""
    return tuple(sorted(params.items())) if params else ()


@dataclass(frozen=True, eq=False)
class Graph:
    """A whole program: inputs, constants, equations in execution order, and outputs.

    `input_names` labels each input for people (a Variable's name, an argument's path) and
    `output_names` each output (`loss`, `new w:0`, `guard at step.py:12`); neither has any
    meaning for execution.
    """

    inputs: tuple[Var, ...]
    eqns: tuple[Eqn, ...]
    outputs: tuple[Var, ...]
    consts: tuple[tuple[Var, np.ndarray], ...] = ()
    input_names: tuple[str | None, ...] = ()
    output_names: tuple[str | None, ...] = ()

    def __post_init__(self):
        if self.input_names and len(self.input_names) != len(self.inputs):
            raise ValueError("input_names must label every input")
        if self.output_names and len(self.output_names) != len(self.outputs):
            raise ValueError("output_names must label every output")

    def __str__(self) -> str:
        from tapeflow.graph.printer import print_graph

        return print_graph(self)

    def replace(self, **changes) -> "Graph":
        fields = dict(
            inputs=self.inputs,
            eqns=self.eqns,
            outputs=self.outputs,
            consts=self.consts,
            input_names=self.input_names,
            output_names=self.output_names,
        )
        fields.update(changes)
        if len(fields["outputs"]) != len(self.outputs) and "output_names" not in changes:
            fields["output_names"] = ()  # other outputs: the old labels name nothing

        return Graph(**fields)

    # Pictures and interchange (tapeflow/viz, imported on use): forward and adjoint in one
    # drawing, fused kernels as groups; `fused=False` draws the equations alone.

    def to_svg(self, title: str = "graph", sides: str = "both", fused: bool = True) -> str:
        from tapeflow import viz

        return viz.to_svg(self, title, sides, fused)

    def to_png(self, title: str = "graph", sides: str = "both", fused: bool = True) -> bytes:
        from tapeflow import viz

        return viz.to_png(self, title, sides, fused)

    def to_dot(self, title: str = "graph", sides: str = "both", fused: bool = True) -> str:
        from tapeflow import viz

        return viz.to_dot(self, title, sides, fused)

    def to_html(self, title: str = "graph", sides: str = "both", fused: bool = True) -> str:
        from tapeflow import viz

        return viz.to_html(self, title, sides, fused)

    def to_json(self) -> str:
        from tapeflow import viz

        return viz.to_json(self)

    def as_graph_def(self):
        """TensorFlow's GraphDef of this graph (nodes named after primitives; see
        tapeflow/summary/graph_def.py)."""
        from tapeflow.summary.graph_def import graph_def

        return graph_def(self)

    @staticmethod
    def from_json(text: str) -> "Graph":
        from tapeflow import viz

        return viz.from_json(text)

    def producers(self) -> dict[Var, Eqn]:
        return {v: e for e in self.eqns for v in e.outputs}

    def to_networkx(self):
        """A networkx DiGraph of equations (nodes are eqn indices; edges follow data)."""
        import networkx as nx

        g = nx.DiGraph()
        made_by = {}
        for i, e in enumerate(self.eqns):
            g.add_node(i, prim=e.prim.name)
            for v in e.inputs:
                if v in made_by:
                    g.add_edge(made_by[v], i)
            for v in e.outputs:
                made_by[v] = i
        return g

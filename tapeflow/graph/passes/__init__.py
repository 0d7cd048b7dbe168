"""Graph passes, each a pure function `graph -> (graph, changed)`.

`PIPELINE` is the visible list `optimize` runs, repeated until nothing changes; pass
`on_pass` to see (or print) the graph after each pass.
"""

from __future__ import annotations

from typing import Callable

from tapeflow.graph.ir import Graph
from tapeflow.graph.passes.cse import cse
from tapeflow.graph.passes.dce import dce
from tapeflow.graph.passes.fold import fold_constants
from tapeflow.graph.passes.simplify import simplify
from tapeflow.graph.verify import verify


def verify_pass(graph: Graph) -> tuple[Graph, bool]:
    """The verifier as a pass: raises on a malformed graph, never changes one."""
    return verify(graph), False


PIPELINE: list[tuple[str, Callable[[Graph], tuple[Graph, bool]]]] = [
    ("verify", verify_pass),
    ("simplify", simplify),
    ("fold_constants", fold_constants),
    ("cse", cse),
    ("dce", dce),
]

MAX_ROUNDS = 10


def optimize(
    graph: Graph,
    pipeline=None,
    on_pass: Callable[[str, Graph, bool], None] | None = None,
) -> Graph:
    """Run the pipeline until a whole round changes nothing; verify the result."""
    pipeline = PIPELINE if pipeline is None else pipeline
    for _ in range(MAX_ROUNDS):
        any_change = False
        for name, pass_fn in pipeline:
            graph, changed = pass_fn(graph)
            any_change |= changed
            if on_pass is not None:
                on_pass(name, graph, changed)
        if not any_change:
            break
    return verify(graph)

"""When the `tf.print`s inside a graph loop (or a traced branch) reach their stream.

A print at the top level of a traced function is an output of the graph, printed by the host
once the call's guards hold and its variables are committed (effects.py). A print inside a
loop body runs once per iteration, so its values are no output of the graph: the `print`
equation renders its text when it runs (ops/structured.py), and the text waits here under
the key of the outermost loop (or branch) equation running it. The function's effects hold
a `LoopPrints` for each such equation, in trace order, which writes the texts waiting for
its key after the call took effect: the same moment, and the same order among the other
prints, as a top-level print. Outside a function call (a graph run directly) a print
writes at once.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field

_state = threading.local()


def _collector() -> dict | None:
    return getattr(_state, "collector", None)


@contextlib.contextmanager
def collecting():
    """Collect the texts of loop prints run in this block (keyed by loop); yields the dict
    (key -> [(text, stream)]), which `LoopPrints.run` reads after the block."""
    previous = _collector()
    collector: dict = {}
    _state.collector = collector
    try:
        yield collector
    finally:
        _state.collector = previous
        _state.last = collector


@contextlib.contextmanager
def running(key: int):
    """A loop or branch equation with print effects runs: the outermost one names where its
    (and its nested equations') texts wait."""
    outer = getattr(_state, "key", None)
    if outer is None:
        _state.key = key
        collector = _collector()
        if collector is not None:
            collector[key] = []
    try:
        yield
    finally:
        if outer is None:
            _state.key = None


@contextlib.contextmanager
def silenced():
    """Loop prints in this block write nothing (a gradient reruns a loop that printed)."""
    previous = getattr(_state, "silent", False)
    _state.silent = True
    try:
        yield
    finally:
        _state.silent = previous


def emit(text: str, stream) -> None:
    from tapeflow.api.printing import write

    if getattr(_state, "silent", False):
        return
    key = getattr(_state, "key", None)
    collector = _collector()
    if key is None or collector is None:
        write(text, stream)
        return
    collector.setdefault(key, []).append((text, stream))


@dataclass
class LoopPrints:
    """A function effect: the prints of one loop (or branch) equation, keyed by its
    `effects_key`. It prints no tensor of the graph (`leaves` is empty)."""

    key: int
    traced: list = field(default_factory=list)  # the tracing call's texts
    leaves: list = field(default_factory=list)

    def run(self, values: list) -> None:
        from tapeflow.api.printing import write

        collected = getattr(_state, "last", None) or {}
        for text, stream in collected.pop(self.key, ()):
            write(text, stream)

    def run_traced(self) -> None:
        from tapeflow.api.printing import write

        for text, stream in self.traced:
            write(text, stream)

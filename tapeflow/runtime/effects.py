"""Effects of a traced function that must happen on every call, not only while tracing.

`tf.print` inside a `tapeflow.function` is the one such effect: the trace records which
values it prints (they become outputs of the graph) and how; each later call, once its guards
hold and its variable updates are committed, hands the printed values back to the host,
which formats and writes them, in the order the trace met them. The tracing call prints
once its trace has finished (with the values the trace computed); a trace made only to
obtain the graph (`get_concrete_function`), or discarded, prints nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tapeflow import nest
from tapeflow.ops.core import is_tracer


class _PrintedTensor:
    """The place of a printed tensor among a loaded tf.print's arguments (a SavedModel's
    print has no tracer to stand there: each call's value comes from the graph)."""

    def __repr__(self) -> str:
        return "<printed tensor>"


PRINTED_TENSOR = _PrintedTensor()


def is_printed_tensor(leaf) -> bool:
    """Whether a print's leaf takes a value from the graph on each call."""
    return leaf is PRINTED_TENSOR or is_tracer(leaf)


@dataclass
class PrintEffect:
    """One tf.print: its arguments' structure with tensors as leaves (tracers, or
    PRINTED_TENSOR once loaded from a SavedModel), and its options."""

    structure: Any
    leaves: list
    sep: str
    end: str
    summarize: int
    stream: Any

    def text(self, values: list) -> str:
        """The printed text, with `values` (arrays) in place of the recorded tensors."""
        from tapeflow.api.printing import render
        from tapeflow.tracer.tensor import make_constant

        it = iter(values)
        leaves = [make_constant(next(it)) if is_printed_tensor(leaf) else leaf
                  for leaf in self.leaves]
        inputs = nest.pack_sequence_as(self.structure, leaves)
        return render(inputs, self.sep, self.end, self.summarize)

    def run(self, values: list) -> None:
        from tapeflow.api.printing import write

        write(self.text(values), self.stream)


def record_print(inputs, sep, end, summarize, stream) -> bool:
    """Under a trace: record the print (Function runs it once the trace is the call's
    result, and every later call runs it again); True when handled. Outside a trace: False,
    the caller prints."""
    from tapeflow.runtime.trace import active_trace

    trace = active_trace()
    if trace is None:
        return False
    # A Variable prints the value it holds at this point of the trace.
    leaves = [leaf._read() if hasattr(leaf, "_read") and is_tracer(leaf) else leaf
              for leaf in nest.flatten(list(inputs))]
    effect = PrintEffect(list(inputs), leaves, sep, end, summarize, stream)
    trace.effects.append(effect)
    return True


def run_traced(effects: list) -> None:
    """Perform a finished trace's effects with the values the trace computed (the tracing
    call's prints, written once the trace has finished and is the call's result)."""
    for effect in effects:
        if hasattr(effect, "run_traced"):  # a graph loop's prints (loop_effects.py)
            effect.run_traced()
            continue
        effect.run([leaf._concrete() for leaf in effect.leaves if is_tracer(leaf)])

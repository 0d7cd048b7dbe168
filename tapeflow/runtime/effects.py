"""Effects of a traced function that must happen on every call, not only while tracing.

`tf.print` inside a `tapeflow.function` is the one such effect: the trace records which
values it prints (they become outputs of the graph) and how; each later call, once its guards
hold and its variable updates are committed, hands the printed values back to the host,
which formats and writes them, in the order the trace met them. The tracing call itself
prints as it runs (it computes real values); a trace made only to obtain the graph
(`get_concrete_function`) prints nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tapeflow import nest
from tapeflow.ops.core import is_tracer


@dataclass
class PrintEffect:
    """One tf.print: its arguments' structure with tensors as leaves, and its options."""

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
        leaves = [make_constant(next(it)) if is_tracer(leaf) else leaf for leaf in self.leaves]
        inputs = nest.pack_sequence_as(self.structure, leaves)
        return render(inputs, self.sep, self.end, self.summarize)

    def run(self, values: list) -> None:
        from tapeflow.api.printing import write

        write(self.text(values), self.stream)


def record_print(inputs, sep, end, summarize, stream) -> bool:
    """Under a trace: record the print (and print now if the trace's result is the call's);
    True when handled. Outside a trace: False, the caller prints."""
    from tapeflow.runtime.trace import active_trace

    trace = active_trace()
    if trace is None:
        return False
    # A Variable prints the value it holds at this point of the trace.
    leaves = [leaf._read() if hasattr(leaf, "assign") and is_tracer(leaf) else leaf
              for leaf in nest.flatten(list(inputs))]
    effect = PrintEffect(list(inputs), leaves, sep, end, summarize, stream)
    trace.effects.append(effect)
    if trace.run_effects:
        effect.run([leaf._concrete() for leaf in leaves if is_tracer(leaf)])
    return True

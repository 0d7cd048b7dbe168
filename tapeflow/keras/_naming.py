"""Looking up Keras objects by name, as `losses.get`, `metrics.get` and `initializers.get` do."""

from __future__ import annotations

from tapeflow.tracer.module import snake_case


def lookup(table: dict, identifier: str, kind: str):
    """`table[identifier]`, or the entry of its snake_case name ('MeanSquaredError' ->
    'mean_squared_error'); an unknown name is a ValueError that lists the choices."""
    key = identifier if identifier in table else snake_case(identifier)
    if key not in table:
        raise ValueError(f"unknown {kind} {identifier!r}; known: {', '.join(sorted(table))}")
    return table[key]

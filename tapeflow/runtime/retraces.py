"""`Function.explain_retraces()`: each trace of a function and what caused it, old -> new.

A trace happens for a call whose signature no trace has (an argument's shape, dtype or
Python value changed), or whose guards no traced path satisfies (a Python `if` on a tensor
came out the other way). For the first kind the record names the arguments that changed; for
the second the guards whose observed value changed, found by comparing the new trace's guards
with those of the paths before it at the same user line.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tapeflow.runtime import signature as sig


@dataclass(frozen=True)
class TraceRecord:
    number: int
    signature: str  # "x: f32[4,3]; lr: 0.1"
    reason: str  # "first call", "x: f32[4,3] -> f32[8,3]", "a guard changed: ..."

    def __str__(self) -> str:
        return f"{self.number}. {self.reason}  [{self.signature}]"


def describe_signature(key, paths) -> str:
    return "; ".join(f"{path}: {sig.describe_spec(spec)}" for (path, _), spec
                     in zip(paths, key[1])) or "no arguments"


def _shown(value: np.ndarray) -> str:
    value = np.asarray(value)
    if value.size == 1:
        item = value.reshape(()).item()
        return repr(item)
    return f"array{list(value.shape)}"


def _by_line(path) -> dict:
    """A path's guards grouped by (line, kind), in the order the trace read them."""
    groups: dict = {}
    for guard, _ in path.traced.guards:
        groups.setdefault((guard.source, guard.kind), []).append(guard)
    return groups


def guard_changes(previous_paths, new) -> list[str]:
    """For each user line whose guards differ between the new trace and the path before it:
    `bool() of a traced value at step.py:12: True -> False` (the first read that differs), or,
    for a loop that ran another number of times, how many reads there were."""
    if not previous_paths:
        return []
    old_lines, new_lines = _by_line(previous_paths[-1]), _by_line(new)
    changes = []
    for key, guards in new_lines.items():
        olds = old_lines.get(key, [])
        where = guards[0].where()
        for k, (old, guard) in enumerate(zip(olds, guards)):
            if not old.holds(guard.expected):
                nth = f" (read {k + 1})" if len(guards) > 1 else ""
                changes.append(f"{where}{nth}: {_shown(old.expected)} -> "
                               f"{_shown(guard.expected)}")
                break
        else:
            if len(olds) != len(guards):
                changes.append(f"{where}: read {len(olds)} -> {len(guards)} times (a loop ran "
                               "another number of times)")
    return changes


def record(number: int, previous_key, key, paths, previous_paths, new) -> TraceRecord:
    signature = describe_signature(key, paths)
    if previous_key is None:
        return TraceRecord(number, signature, "first call")
    if previous_paths:
        changes = guard_changes(previous_paths, new) or sorted(
            {line for p in previous_paths for line in p.conditions()})
        return TraceRecord(number, signature, "a guard failed: " + "; ".join(changes))
    return TraceRecord(number, signature, sig.describe_change(previous_key, key, paths))


def report(name: str, records: list[TraceRecord]) -> str:
    if not records:
        return f"tapeflow.function {name!r} has not been traced yet"
    lines = [f"tapeflow.function {name!r}: {len(records)} trace(s)"]
    lines += [f"  {r}" for r in records]
    return "\n".join(lines)

"""Flatten and rebuild nested lists, tuples and dicts, as `tf.nest` does.

Dicts flatten in sorted key order (TF's rule), so the order never depends on insertion.
"""

from __future__ import annotations

from typing import Any, Callable


def flatten(structure) -> list:
    """The leaves of `structure`, depth first; lists, tuples and dicts are containers."""
    leaves: list = []
    stack = [structure]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node[k] for k in reversed(_sorted_keys(node)))
        elif isinstance(node, list | tuple):
            stack.extend(reversed(node))
        else:
            leaves.append(node)
    return leaves


def pack_sequence_as(structure, leaves) -> Any:
    """Rebuild `structure`'s shape around `leaves` (the inverse of `flatten`)."""
    it = iter(leaves)
    result = _pack(structure, it)
    if next(it, _END) is not _END:
        raise ValueError("more leaves than the structure has places")
    return result


_END = object()


def _pack(node, it):
    if isinstance(node, dict):
        packed = {k: _pack(node[k], it) for k in _sorted_keys(node)}
        return type(node)((k, packed[k]) for k in node)  # the user's key order, kept
    if isinstance(node, list | tuple):
        items = [_pack(x, it) for x in node]
        if isinstance(node, tuple) and hasattr(node, "_fields"):  # namedtuple
            return type(node)(*items)
        return type(node)(items)
    leaf = next(it, _END)
    if leaf is _END:
        raise ValueError("fewer leaves than the structure has places")
    return leaf


def map_structure(fn: Callable, structure) -> Any:
    return pack_sequence_as(structure, [fn(x) for x in flatten(structure)])


def _sorted_keys(d: dict) -> list:
    try:
        return sorted(d)
    except TypeError:  # keys of mixed types: fall back to their text
        return sorted(d, key=repr)

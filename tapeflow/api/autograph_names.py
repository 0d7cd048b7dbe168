"""Which names Python statements read and assign, for AutoGraph's rewrites
(autograph_convert.py: a loop's variables; autograph_code.py: the names tf.autograph.to_code
lists). Nested functions, lambdas and classes are not looked into: their names are theirs."""

from __future__ import annotations

import ast


def walk(nodes):
    """Every node under `nodes`, in evaluation order where it matters (an assignment's value
    before its targets), skipping the bodies of nested functions, lambdas and classes."""
    stack = list(reversed(nodes))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        if isinstance(node, ast.Assign):
            children = [node.value, *node.targets]
        elif isinstance(node, ast.AugAssign):
            children = [_as_load(node.target), node.value, node.target]
        elif isinstance(node, ast.AnnAssign):
            children = [c for c in (node.value, node.target) if c is not None]
        elif isinstance(node, ast.For):
            children = [node.iter, node.target, *node.body, *node.orelse]
        else:
            children = list(ast.iter_child_nodes(node))
        stack.extend(reversed(children))


def _as_load(target):
    if isinstance(target, ast.Name):
        return ast.Name(target.id, ast.Load())
    return ast.Pass()


def reads(nodes) -> set[str]:
    return {n.id for n in walk(nodes) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def assigned(nodes) -> list[str]:
    """Names bound (in order of first binding), including by nested def/class statements."""
    names: list[str] = []
    for n in walk(nodes):
        name = None
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store | ast.Del):
            name = n.id
        elif isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            name = n.name
        if name is not None and name not in names:
            names.append(name)
    return names


def live_in(nodes) -> set[str]:
    """Names read before any assignment to them, in evaluation order (a read in a later
    iteration of the enclosing loop sees the previous iteration's value)."""
    stored, live = set(), set()
    for n in walk(nodes):
        if isinstance(n, ast.Name):
            if isinstance(n.ctx, ast.Load) and n.id not in stored:
                live.add(n.id)
            elif isinstance(n.ctx, ast.Store):
                stored.add(n.id)
    return live

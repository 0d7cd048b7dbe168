"""Names for a traced graph's outputs, for people: `loss`, `new w:0`, `guard at step.py:12`.

A returned value is named after the expression in the function's `return` statement
(`return loss, acc` names two outputs `loss` and `acc`), found by reading the function's source.
When the source cannot be read, or the function's return statements name different things
(only one of them ran, and nothing records which), the label is the value's place in the result:
`result`, `result[1]`, `result['logits']`.
"""

from __future__ import annotations

import ast
import functools
import inspect
import textwrap

from tapeflow import nest

LABEL_LIMIT = 40  # longer return expressions are cut, with an ellipsis


def result_labels(fn, result) -> list[str]:
    """One label per leaf of `result` (as nest.flatten orders them)."""
    leaves = nest.flatten(result)
    named = _return_names(fn, result)
    if named is not None and len(named) == len(leaves):
        return named
    return _paths(result, len(leaves))


def _paths(result, n: int, prefix: str = "result") -> list[str]:
    """`result`, `result[1]`, `result['logits'][0]`: each leaf's place, in flatten's order."""
    out: list[str] = []
    stack = [(result, prefix)]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            stack.extend((node[k], f"{path}[{k!r}]") for k in reversed(nest._sorted_keys(node)))
        elif isinstance(node, list | tuple):
            stack.extend((x, f"{path}[{i}]") for i, x in reversed(list(enumerate(node))))
        else:
            out.append(path)
    return out if len(out) == n else [f"result leaf {i}" for i in range(n)]


def _return_names(fn, result) -> list[str] | None:
    """The labels the function's `return` statements give, when they all agree."""
    fn = inspect.unwrap(getattr(fn, "python_function", fn))
    try:
        returns = _return_expressions(getattr(fn, "__code__", None) or fn)
    except SystemError:
        # CPython's ast.parse turns an exception raised inside it by a signal handler (a
        # Ctrl-C arriving mid-parse) into "AST constructor recursion depth mismatch"; the
        # labels are a nicety, so the trace goes on with positional ones (not cached).
        return None
    if returns is None:
        return None
    found = {tuple(_names_of(expr, result, "result")) for expr in returns}
    if len(found) != 1:
        return None
    (names,) = found
    return list(names)


@functools.lru_cache(maxsize=256)
def _return_expressions(code) -> tuple[ast.expr, ...] | None:
    """The expressions of a function's own `return` statements, from its source; None when
    the source cannot be read. Keyed by the code object: each function's source is parsed
    once, not on every trace (a retrace per new size would parse it again)."""
    try:
        source = textwrap.dedent(inspect.getsource(code))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError, IndentationError):
        return None
    defs = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    if len(defs) != 1:
        return None
    return tuple(node.value for node in _own_nodes(defs[0])
                 if isinstance(node, ast.Return) and node.value is not None)


def _own_nodes(fn_def):
    """The nodes of a function's body, not descending into nested functions or lambdas."""
    stack = list(reversed(fn_def.body))
    while stack:
        node = stack.pop()
        yield node
        children = [c for c in ast.iter_child_nodes(node)
                    if not isinstance(c, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
                                      | ast.ClassDef)]
        stack.extend(reversed(children))


def _names_of(expr, result, path: str) -> list[str]:
    """Labels for the leaves of `result`, which `expr` (a return statement's value) made:
    a tuple written out names each element by its text; a dict by its keys."""
    leaves = nest.flatten(result)
    if isinstance(expr, ast.Tuple | ast.List) and isinstance(result, list | tuple) \
            and len(expr.elts) == len(result):
        names = []
        for i, (e, r) in enumerate(zip(expr.elts, result)):
            names += _names_of(e, r, f"{path}[{i}]")
        return names
    if isinstance(expr, ast.Dict) or isinstance(result, dict):
        return _paths(result, len(leaves), path)
    text = _short(ast.unparse(expr))
    if len(leaves) == 1 and not isinstance(result, list | tuple):
        return [text]
    return _paths(result, len(leaves), text)


def _short(text: str) -> str:
    return text if len(text) <= LABEL_LIMIT else text[:LABEL_LIMIT - 3] + "..."

"""`break` and `continue` in a converted loop, as TensorFlow's AutoGraph lowers them: a flag.

A graph loop's body is a function traced once; it cannot jump. So, before the body is made a
function (autograph_convert.py), each `break` of the loop becomes `ag__break_K = True` and
each `continue` becomes `ag__continue_K = True`, and the statements after one that may have
set the flag run under `if ag__.not_(flag):` (the rest of the block only, at each level up to
the loop's body):

    while i < n:                        ag__break_1 = False
        if i > limit:                   while ag__.not_(ag__break_1) and i < n:  (the test)
            break              ->           if i > limit:
        i += 1                                  ag__break_1 = True
                                            if ag__.not_(ag__break_1):
                                                i += 1

The break flag is a loop variable read by the loop's test (a `for` gets it as an extra
test: ag__.for_range / for_stmt stop when it is set); the continue flag is set to False at the
start of every iteration. Inside a graph loop the flag is a bool tensor and the `if`s on it
are graph branches (ops/structured.py `cond`); where the loop is not a graph loop the original
statement, with its own `break`/`continue`, runs instead, so nothing here changes Python's
behaviour. The exits of loops nested in the body are theirs, and are left alone.
"""

from __future__ import annotations

import ast


def break_flag(k: int) -> str:
    return f"ag__break_{k}"


def continue_flag(k: int) -> str:
    return f"ag__continue_{k}"


def exits_of(body: list[ast.stmt]) -> tuple[bool, bool]:
    """Whether the loop body `body` breaks, and whether it continues (its own exits, not
    those of loops nested in it)."""
    breaks = continues = False
    for stmt in body:
        for node in _own_statements(stmt):
            breaks |= isinstance(node, ast.Break)
            continues |= isinstance(node, ast.Continue)
    return breaks, continues


def lower_exits(body: list[ast.stmt], k: int) -> tuple[list[ast.stmt], bool]:
    """The loop body with its `break`s and `continue`s made flag assignments, and whether it
    breaks (then the caller sets `break_flag(k)` to False before the loop and stops the
    loop when it is set)."""
    breaks, continues = exits_of(body)
    if breaks:
        body, _ = _lower(body, ast.Break, break_flag(k))
    if continues:
        body, _ = _lower(body, ast.Continue, continue_flag(k))
        body = [_assign(continue_flag(k), False, body[0] if body else None), *body]
    return body, breaks


def _lower(block: list[ast.stmt], kind, flag: str) -> tuple[list[ast.stmt], bool]:
    """`block` with each exit of `kind` replaced by `flag = True`, the statements after it
    dropped (unreachable) and those after a statement that may set the flag guarded by
    `if ag__.not_(flag):`. Also returns whether the block may set the flag."""
    out: list[ast.stmt] = []
    for index, stmt in enumerate(block):
        if isinstance(stmt, kind):
            out.append(_assign(flag, True, stmt))
            return out, True
        stmt, sets = _lower_statement(stmt, kind, flag)
        out.append(stmt)
        if sets:
            rest, _ = _lower(block[index + 1:], kind, flag)
            if rest:
                guard = ast.If(test=_not(flag), body=rest, orelse=[])
                out.append(ast.copy_location(guard, rest[0]))
            return out, True
    return out, False


def _lower_statement(stmt: ast.stmt, kind, flag: str) -> tuple[ast.stmt, bool]:
    """The statement with the exits in its blocks lowered. Nested loops, functions and
    classes keep theirs (a `break` there leaves that loop, not this one)."""
    if isinstance(stmt, ast.For | ast.While | ast.AsyncFor | ast.FunctionDef
                  | ast.AsyncFunctionDef | ast.ClassDef):
        return stmt, False
    sets = False
    for field in ("body", "orelse"):
        block = getattr(stmt, field, None)
        if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
            lowered, block_sets = _lower(block, kind, flag)
            setattr(stmt, field, lowered)
            sets |= block_sets
    return stmt, sets


def _own_statements(stmt: ast.stmt):
    """The statement and those nested in its blocks, not entering nested loops, functions
    or classes."""
    yield stmt
    if isinstance(stmt, ast.For | ast.While | ast.AsyncFor | ast.FunctionDef
                  | ast.AsyncFunctionDef | ast.ClassDef):
        return
    for field in ("body", "orelse", "finalbody"):
        for child in getattr(stmt, field, []) or []:
            if isinstance(child, ast.stmt):
                yield from _own_statements(child)
    for handler in getattr(stmt, "handlers", []) or []:
        for child in handler.body:
            yield from _own_statements(child)


def _assign(name: str, value: bool, at: ast.stmt | None) -> ast.stmt:
    node = ast.Assign(targets=[ast.Name(name, ast.Store())], value=ast.Constant(value))
    return ast.copy_location(node, at) if at is not None else node


def _not(flag: str) -> ast.expr:
    """`ag__.not_(flag)`: Python's `not` on a bool, a graph `logical_not` on a tensor."""
    return ast.Call(func=ast.Attribute(ast.Name("ag__", ast.Load()), "not_", ast.Load()),
                    args=[ast.Name(flag, ast.Load())], keywords=[])

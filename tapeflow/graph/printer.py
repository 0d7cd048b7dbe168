"""Text form of a Graph: a printer and a parser that reads the printer's output back.

    graph(a:f32[3,2] "w:0", b:f32[2] "b:0")
      c:f32[1,3] = const([[1.0, 2.0, 3.0]])
      d:f32[1,2] = matmul(c, a)                         # train.py:12
      e:f32[] = reduce_sum(d, axes=(0, 1), keepdims=False)  # train.py:13
      f:f32[1,2] = broadcast_in_dim(...)  # train.py:15 (adjoint of reduce_sum at train.py:13)
      return (e 'loss', f)

One equation per line, typed binders, params as keywords, the user's line as a comment; an
adjoint equation's comment adds the forward equation it differentiates; outputs with a label
(`'loss'`, `'new w:0'`, `'guard at train.py:14'`) carry it as inputs do.
Variables are named a, b, ..., z, ba, bb, ... in order of definition, so the text of a graph
depends only on its structure. Constants of more than `CONST_LIMIT` elements print as
`const(...)` and must be handed to `parse_graph(text, consts={name: array})`.
"""

from __future__ import annotations

import ast
import keyword
import re

import numpy as np

from tapeflow.graph.ir import Eqn, Graph, Origin, Var, make_params, new_var, source_text
from tapeflow.ops.core import (
    PRIMITIVES,
    SHORT_TO_DTYPE,
    ShapedArray,
    dtype_from_short,
    short_dtype,
)
from tapeflow.ops.structured import STRUCTURED

CONST_LIMIT = 64
_COMMENT_COLUMN = 56


# --------------------------------------------------------------------------------------------
# Printing
# --------------------------------------------------------------------------------------------


def _names():
    """a..z, ba..bz, ca.., skipping Python keywords (the parser reads calls with `ast`)."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    n = 0
    while True:
        s, k = "", n
        while True:
            s = letters[k % 26] + s
            k //= 26
            if k == 0:
                break
        n += 1
        if not keyword.iskeyword(s):
            yield s


def format_value(value) -> str:
    """A param or constant as text the parser's literal reader accepts."""
    if isinstance(value, np.dtype):
        return value.name
    if isinstance(value, np.ndarray):
        return _format_array(value)
    if isinstance(value, tuple):
        inner = ", ".join(format_value(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Graph):
        return f"<graph of {len(value.eqns)} eqns>"
    if callable(value):
        return f"<{getattr(value, '__qualname__', type(value).__name__)}>"
    return repr(value)


def _format_array(arr: np.ndarray) -> str:
    if arr.ndim == 0:
        return _format_scalar(arr[()])
    return "[" + ", ".join(_format_array(sub) for sub in arr) + "]"


def _format_scalar(x) -> str:
    # str() of a numpy float is the shortest text that reads back to the same value in its dtype.
    if isinstance(x, np.floating):
        text = str(x)
        return text if any(c in text for c in ".einf") else text + ".0"
    return str(x.item() if hasattr(x, "item") else x)


def var_names(graph: Graph) -> dict[Var, str]:
    """The printer's name for every Var the graph defines, in order of definition."""
    fresh = _names()
    names: dict[Var, str] = {}
    defined = list(graph.inputs) + [v for v, _ in graph.consts]
    defined += [v for eqn in graph.eqns for v in eqn.outputs]
    for v in defined:
        if v not in names:
            names[v] = next(fresh)
    return names


def format_eqn(eqn: Eqn, names: dict[Var, str], nested: bool = False) -> str:
    """One equation as the printer writes it, with its source comment. With `nested`, the
    sub-graphs of a loop or branch are left out of the call (the printer writes them as
    an indented block after it, opened by `{`)."""
    def use(v: Var) -> str:
        # A malformed graph still prints; the verifier says what is wrong with it.
        return names.get(v, f"?{v.id}")

    args = [use(v) for v in eqn.inputs]
    args += [f"{k}={format_value(val)}" for k, val in eqn.params
             if not (nested and isinstance(val, Graph))]
    binders = ", ".join(f"{use(v)}:{_type(v.aval)}" for v in eqn.outputs)
    call = f"{eqn.prim.name}({', '.join(args)})"
    line = f"{binders} = {call}" if eqn.outputs else call  # an effect (print) binds nothing
    if nested and any(isinstance(val, Graph) for _, val in eqn.params):
        line += " {"
    comment = source_comment(eqn)
    if comment:
        line = f"{line.ljust(_COMMENT_COLUMN - 2)}  # {comment}"
    return line


def source_comment(eqn: Eqn) -> str:
    """Where an equation came from, as its comment: `train.py:15`, and for an adjoint
    equation `train.py:15 (adjoint of matmul at train.py:12)`."""
    parts = [source_text(eqn.source)] if eqn.source is not None else []
    if eqn.adjoint_of is not None:
        parts.append(f"({eqn.adjoint_of.text()})")
    return " ".join(parts)


def print_graph(graph: Graph) -> str:
    """The text of `graph`; a loop's or branch's sub-graphs print nested, indented, after
    the equation that holds them, their variables named on from the enclosing graph's."""
    fresh = _names()
    return "\n".join(_graph_lines(graph, fresh, "graph", ""))


def _graph_lines(graph: Graph, fresh, title: str, indent: str) -> list[str]:
    names: dict[Var, str] = {}
    for v in list(graph.inputs) + [v for v, _ in graph.consts]:
        if v not in names:
            names[v] = next(fresh)

    def use(v: Var) -> str:
        return names.get(v, f"?{v.id}")

    header = []
    labels = graph.input_names or (None,) * len(graph.inputs)
    for v, label in zip(graph.inputs, labels):
        header.append(f"{use(v)}:{_type(v.aval)}" + (f" {label!r}" if label else ""))
    lines = [f"{indent}{title}({', '.join(header)})" + (":" if indent else "")]
    for v, value in graph.consts:
        shown = _format_array(value) if value.size <= CONST_LIMIT else "..."
        lines.append(f"{indent}  {use(v)}:{_type(v.aval)} = const({shown})")
    for eqn in graph.eqns:
        for v in eqn.outputs:
            if v not in names:
                names[v] = next(fresh)
        lines.append(f"{indent}  " + format_eqn(eqn, names, nested=True))
        subs = [(k, val) for k, val in eqn.params if isinstance(val, Graph)]
        if subs:
            for k, sub in subs:
                lines += _graph_lines(sub, fresh, k, indent + "    ")
            lines.append(f"{indent}  }}")
    out_labels = graph.output_names or (None,) * len(graph.outputs)
    outs = ", ".join(use(v) + (f" {label!r}" if label else "")
                     for v, label in zip(graph.outputs, out_labels))
    lines.append(f"{indent}  return ({outs},)" if len(graph.outputs) == 1
                 else f"{indent}  return ({outs})")
    return lines


def _type(aval: ShapedArray) -> str:
    return f"{short_dtype(aval.dtype)}[{','.join(map(str, aval.shape))}]"


# --------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------


class ParseError(ValueError):
    """The text is not a graph as `print_graph` writes it; says which line and why."""


_BINDER = re.compile(r"^\s*([A-Za-z_?][\w?]*):(\w+)\[([\d,\s]*)\]\s*$")
_HEADER = re.compile(r"^graph\((.*)\)\s*$")
_INPUT = re.compile(r"^\s*([A-Za-z_]\w*):(\w+)\[([\d,\s]*)\](?:\s+(['\"].*['\"]))?\s*$")
_SOURCE = re.compile(r"^(.*\S)\s*:(\d+)$")


def parse_graph(text: str, consts: dict[str, np.ndarray] | None = None) -> Graph:
    """Read a graph printed by `print_graph`. Elided constants come from `consts` by name."""
    lines = [(n, ln) for n, ln in enumerate(text.splitlines(), start=1) if ln.strip()]
    if not lines:
        raise ParseError("empty text: expected a line 'graph(...)'")
    m = _HEADER.match(lines[0][1].strip())
    if not m:
        raise ParseError(f"line 1: expected 'graph(...)', got {lines[0][1]!r}")
    graph, pos = _parse_graph_body(m.group(1), lines, 1, consts, lines[0][0])
    if pos != len(lines):
        raise ParseError(f"line {lines[pos][0]}: text after the graph's 'return'")
    return graph


_SUB_HEADER = re.compile(r"^(\w+)\((.*)\):\s*$")


def _parse_graph_body(header: str, lines, pos: int, consts, header_line: int):
    """A graph whose input list is `header`, its equations from lines[pos] up to and with its
    `return` line: (Graph, the index of the line after it)."""
    env: dict[str, Var] = {}
    inputs, labels = [], []
    for part in _split_top(header):
        mi = _INPUT.match(part)
        if not mi:
            raise ParseError(f"line {header_line}: cannot read input {part!r}")
        name, dt, dims, label = mi.groups()
        v = new_var(_aval(dt, dims, header_line))
        env[name] = v
        inputs.append(v)
        labels.append(ast.literal_eval(label) if label else None)

    eqns, const_list, outputs, out_labels = [], [], None, ()
    while pos < len(lines):
        lineno, raw = lines[pos]
        pos += 1
        body, _, comment = raw.partition("  # ")
        body = body.strip()
        if body.startswith("return"):
            outputs, out_labels = _parse_return(body, env, lineno)
            break
        opens = body.endswith("{")
        if opens:
            body = body[:-1].rstrip()
        lhs, eq, rhs = body.partition(" = ")
        if not eq and re.match(r"^\w+\(.*\)$", body):  # an equation that binds nothing
            lhs, eq, rhs = "", " = ", body
        if not eq:
            raise ParseError(f"line {lineno}: expected 'binders = prim(...)', got {raw.strip()!r}")
        binders = []
        for b in _split_top(lhs):
            mb = _BINDER.match(b)
            if not mb:
                raise ParseError(f"line {lineno}: cannot read binder {b!r}")
            binders.append((mb.group(1), _aval(mb.group(2), mb.group(3), lineno)))
        try:
            call = ast.parse(rhs.strip(), mode="eval").body
        except SyntaxError as e:
            raise ParseError(f"line {lineno}: cannot read {rhs.strip()!r}: {e.msg}") from None
        if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name):
            raise ParseError(f"line {lineno}: expected prim(args...), got {rhs.strip()!r}")
        prim_name = call.func.id
        if prim_name == "const":
            (name, aval), = binders
            v = new_var(aval)
            const_list.append((v, _parse_const(call, name, aval, consts, lineno)))
            env[name] = v
            continue
        prim = PRIMITIVES.get(prim_name) or STRUCTURED.get(prim_name)
        if prim is None:
            raise ParseError(f"line {lineno}: unknown primitive {prim_name!r}")
        args = []
        for a in call.args:
            if not isinstance(a, ast.Name) or a.id not in env:
                raise ParseError(f"line {lineno}: {ast.unparse(a)!r} is not a defined variable")
            args.append(env[a.id])
        params = {kw.arg: _literal(kw.value, lineno) for kw in call.keywords}
        if opens:
            pos = _parse_sub_graphs(lines, pos, consts, params, lineno)
        outs = []
        for name, aval in binders:
            v = new_var(aval)
            env[name] = v
            outs.append(v)
        source, adjoint_of = _parse_source(comment)
        eqns.append(
            Eqn(prim, tuple(args), tuple(outs), make_params(params), source, adjoint_of)
        )
    if outputs is None:
        raise ParseError("missing 'return (...)' line")
    graph = Graph(
        tuple(inputs), tuple(eqns), outputs, tuple(const_list),
        tuple(labels) if any(labels) else (), out_labels,
    )
    return graph, pos


def _parse_sub_graphs(lines, pos: int, consts, params: dict, opened_at: int) -> int:
    """The `name(inputs):` blocks after an equation that opened `{`, up to its `}`; each
    becomes params[name]. Returns the index of the line after the `}`."""
    while pos < len(lines):
        lineno, raw = lines[pos]
        text = raw.strip()
        if text == "}":
            return pos + 1
        m = _SUB_HEADER.match(text)
        if not m:
            raise ParseError(f"line {lineno}: expected a sub-graph 'name(inputs):' or '}}', "
                             f"got {text!r}")
        params[m.group(1)], pos = _parse_graph_body(m.group(2), lines, pos + 1, consts, lineno)
    raise ParseError(f"line {opened_at}: the block opened by '{{' is never closed")


def _split_top(text: str) -> list[str]:
    """Split on commas that are not inside brackets or quotes."""
    parts, depth, quote, cur = [], 0, None, []
    for ch in text:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    if "".join(cur).strip():
        parts.append("".join(cur))
    return [p for p in parts if p.strip()]


def _aval(dt: str, dims: str, lineno: int) -> ShapedArray:
    dtype = dtype_from_short(dt)
    if dtype is None:
        raise ParseError(f"line {lineno}: unknown dtype {dt!r} (one of {list(SHORT_TO_DTYPE)})")
    shape = tuple(int(d) for d in dims.split(",") if d.strip())
    return ShapedArray(shape, dtype)


_OUTPUT = re.compile(r"^\s*([A-Za-z_]\w*)(?:\s+(['\"].*['\"]))?\s*$")


def _parse_return(body: str, env, lineno) -> tuple[tuple[Var, ...], tuple[str | None, ...]]:
    """(outputs, their labels, or () when none has one) of `return (a 'loss', b)`."""
    inner = body[len("return"):].strip()
    if not (inner.startswith("(") and inner.endswith(")")):
        raise ParseError(f"line {lineno}: expected 'return (a, b)', got {body!r}")
    outs, labels = [], []
    for part in _split_top(inner[1:-1]):
        m = _OUTPUT.match(part)
        if not m:
            raise ParseError(f"line {lineno}: cannot read output {part.strip()!r}")
        name, label = m.groups()
        if name not in env:
            raise ParseError(f"line {lineno}: returns undefined variable {name!r}")
        outs.append(env[name])
        labels.append(ast.literal_eval(label) if label else None)
    return tuple(outs), (tuple(labels) if any(labels) else ())


def _parse_const(call, name, aval, consts, lineno) -> np.ndarray:
    (node,) = call.args
    if isinstance(node, ast.Constant) and node.value is Ellipsis:
        if not consts or name not in consts:
            raise ParseError(
                f"line {lineno}: constant {name} is elided in the text; "
                f"pass its value as parse_graph(text, consts={{{name!r}: array}})"
            )
        value = np.asarray(consts[name])
    else:
        value = np.asarray(_literal(node, lineno))
    value = value.astype(aval.dtype)
    if value.shape != aval.shape:
        raise ParseError(f"line {lineno}: constant {name} has shape {value.shape}, "
                         f"its binder says {aval.shape}")
    return value


def _literal(node, lineno):
    """Evaluate a param/constant: literals, tuples, lists, -x, inf, nan and dtype names."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Tuple):
        return tuple(_literal(e, lineno) for e in node.elts)
    if isinstance(node, ast.List):
        return [_literal(e, lineno) for e in node.elts]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_literal(node.operand, lineno)
    if isinstance(node, ast.Name):
        if node.id in ("inf", "nan"):
            return float(node.id)
        try:
            return np.dtype(node.id)
        except TypeError:
            pass
    raise ParseError(f"line {lineno}: cannot read the value {ast.unparse(node)!r}")


_ADJOINT = re.compile(r"^(.*?)\s*\(adjoint of (\w+)(?: at (.*\S)\s*:(\d+))?\)$")


def _parse_source(comment: str):
    """(source, adjoint_of) from an equation's comment (see `source_comment`)."""
    comment = comment.strip() if comment else ""
    adjoint_of = None
    m = _ADJOINT.match(comment)
    if m:
        where, prim, file, line = m.groups()
        adjoint_of = Origin(prim, (file, int(line)) if file else None)
        comment = where
    m = _SOURCE.match(comment) if comment else None
    return ((m.group(1), int(m.group(2))) if m else None), adjoint_of

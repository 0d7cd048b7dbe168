"""`tf.autograph.to_code`: the code TensorFlow's AutoGraph would generate for a function.

tapeflow runs Python control flow on traced values (guards), so it converts nothing; but a
user comparing with TF's output expects TF's text. This module writes that text for the
functions whose conversion follows AutoGraph's documented converters directly: straight-line
code, calls (`ag__.converted_call`, `print` left as it is), reads of names (`ag__.ld`), `if`
with `else`, `while`, `for`, and one `return` at the end. Each `if`, `while` and `for` becomes
AutoGraph's functional form: `get_state`/`set_state` over the variables the statement
modifies and the code after it reads, the body (and test) as nested functions with those
variables `nonlocal`, `ag__.Undefined` for those not defined before, and one
`ag__.if_stmt`/`while_stmt`/`for_stmt` call. With several such variables TF's own order
varies from run to run; here they are sorted.

A function using anything else (an early `return`, `break`, nested functions, `try`,
comprehensions, `and`/`or`/`not`, ...) gets None: `to_code` then describes it otherwise.
"""

from __future__ import annotations

import ast
import inspect
import textwrap

from tapeflow.api.autograph_names import assigned, reads

_OPTIONS = ("ag__.ConversionOptions(recursive=True, user_requested=True, "
            "optional_features=(), internal_convert_user_code=True)")


class _Unsupported(Exception):
    pass


def autograph_code(fn) -> str | None:
    """AutoGraph's generated code for `fn`, or None where it is not written here."""
    try:
        source = textwrap.dedent(inspect.getsource(fn))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError):
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.FunctionDef):
        return None
    try:
        converted = _Converter(tree.body[0]).function()
    except _Unsupported:
        return None
    return ast.unparse(ast.fix_missing_locations(converted)) + "\n"


def _expr(text: str) -> ast.expr:
    return ast.parse(text, mode="eval").body


def _stmts(text: str) -> list[ast.stmt]:
    return ast.parse(textwrap.dedent(text)).body


_ALLOWED = (ast.Assign, ast.AugAssign, ast.Expr, ast.If, ast.While, ast.For, ast.Pass)
_FORBIDDEN_EXPR = (ast.Lambda, ast.BoolOp, ast.IfExp, ast.ListComp, ast.SetComp,
                   ast.DictComp, ast.GeneratorExp, ast.Await, ast.Yield, ast.YieldFrom,
                   ast.NamedExpr, ast.Starred)


class _Converter:
    def __init__(self, node: ast.FunctionDef):
        self.node = node
        self.used: dict[str, int] = {}  # helper names given so far, per base name

    def name(self, base: str) -> str:
        """AutoGraph's helper names: the first `get_state`, then `get_state_1`, ... in the
        order statements are converted (inner ones first)."""
        count = self.used.get(base, 0)
        self.used[base] = count + 1
        return f"{base}_{count}" if count else base

    # ---- the function ------------------------------------------------------------------

    def function(self) -> ast.FunctionDef:
        node = self.node
        args = node.args
        if args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs:
            raise _Unsupported
        body = list(node.body)
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                and isinstance(body[0].value.value, str):
            body = body[1:]  # the docstring
        returns = body and isinstance(body[-1], ast.Return)
        if returns:
            *body, last = body
            if last.value is None:
                raise _Unsupported
        self._check(body)
        if returns:
            self._check_expressions(last.value)
        defined = [a.arg for a in args.args]
        rest_reads = reads([last]) if returns else set()
        inner = self.block(body, defined, rest_reads)
        if returns:
            inner = _stmts("do_return = False\nretval_ = ag__.UndefinedReturnValue()") + inner
            inner += self.return_(last.value)
            inner += _stmts("return fscope.ret(retval_, do_return)")
        if not inner:
            inner = [ast.Pass()]
        scope = _stmts(f"with ag__.FunctionScope({node.name!r}, 'fscope', {_OPTIONS}) "
                       "as fscope:\n    pass")[0]
        scope.body = inner
        new_args = ast.arguments(
            posonlyargs=[], args=[ast.arg(a.arg) for a in args.args], vararg=None,
            kwonlyargs=[], kw_defaults=[], kwarg=None,
            defaults=[ast.Constant(None) for _ in args.defaults])  # (AutoGraph's form)
        return ast.FunctionDef(name=f"tf__{node.name}", args=new_args, body=[scope],
                               decorator_list=[], returns=None, type_params=[])

    def _check(self, body) -> None:
        for stmt in body:
            if not isinstance(stmt, _ALLOWED):
                raise _Unsupported
            if isinstance(stmt, ast.If | ast.While | ast.For):
                if isinstance(stmt, ast.While | ast.For) and stmt.orelse:
                    raise _Unsupported
                if isinstance(stmt, ast.If) and not stmt.orelse:
                    raise _Unsupported
                if isinstance(stmt, ast.For) and not isinstance(stmt.target, ast.Name):
                    raise _Unsupported
                self._check(stmt.body)
                self._check(stmt.orelse)
            self._check_expressions(stmt)

    def _check_expressions(self, stmt) -> None:
        for sub in ast.walk(stmt):
            if isinstance(sub, _FORBIDDEN_EXPR) or (
                    isinstance(sub, ast.UnaryOp) and isinstance(sub.op, ast.Not)):
                raise _Unsupported
            if isinstance(sub, ast.Call) and any(k.arg is None for k in sub.keywords):
                raise _Unsupported  # (**kwargs)
            if isinstance(sub, ast.Return | ast.Break | ast.Continue | ast.FunctionDef):
                raise _Unsupported

    # ---- statements --------------------------------------------------------------------

    def block(self, body, defined: list[str], after_reads: set[str]) -> list[ast.stmt]:
        """`body` converted; `defined`: names bound before it (extended in place);
        `after_reads`: names the code after the block reads."""
        out: list[ast.stmt] = []
        for i, stmt in enumerate(body):
            later = reads(body[i + 1:]) | after_reads
            if isinstance(stmt, ast.If):
                out += self.if_(stmt, defined, later)
            elif isinstance(stmt, ast.While):
                out += self.while_(stmt, defined, later)
            elif isinstance(stmt, ast.For):
                out += self.for_(stmt, defined, later)
            elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
                # AutoGraph loads the target first and leaves the value's names alone.
                name = stmt.target.id
                out += _stmts(f"{name} = ag__.ld({name})")
                out.append(ast.AugAssign(target=stmt.target, op=stmt.op,
                                         value=self.calls(stmt.value)))
            else:
                out.append(self.expression_statement(stmt))
            for name in assigned([stmt]):
                if name not in defined:
                    defined.append(name)
        return out

    def expression_statement(self, stmt):
        if isinstance(stmt, ast.Assign):
            return ast.Assign(targets=[self.expr(t) for t in stmt.targets],
                              value=self.expr(stmt.value))
        if isinstance(stmt, ast.AugAssign):
            return ast.AugAssign(target=self.expr(stmt.target), op=stmt.op,
                                 value=self.expr(stmt.value))
        if isinstance(stmt, ast.Expr):
            return ast.Expr(self.expr(stmt.value))
        return stmt

    def return_(self, value) -> list[ast.stmt]:
        body = _stmts("try:\n    do_return = True\n    retval_ = None\nexcept:\n"
                      "    do_return = False\n    raise")
        body[0].body[1].value = self.expr(value)
        return body

    def _state(self, names: list[str]) -> tuple[list[ast.stmt], str, str]:
        """(the get_state and set_state functions, their names)."""
        get, set_ = self.name("get_state"), self.name("set_state")
        tuple_text = f"({', '.join(names)},)" if len(names) == 1 else f"({', '.join(names)})"
        targets = ", ".join(names) + ("," if len(names) == 1 else "")
        return _stmts(f"def {get}():\n    return {tuple_text}\n"
                      f"def {set_}(vars_):\n    nonlocal {', '.join(names)}\n"
                      f"    {targets} = vars_"), get, set_

    def _nested(self, name: str, args: list[str], names: list[str], body) -> ast.FunctionDef:
        header = f"def {name}({', '.join(args)}):\n    nonlocal {', '.join(names)}\n    pass"
        node = _stmts(header)[0]
        node.body = node.body[:1] + body
        return node

    def _undefined(self, names: list[str], defined: list[str]) -> list[ast.stmt]:
        return [s for n in names if n not in defined
                for s in _stmts(f"{n} = ag__.Undefined({n!r})")]

    def _outputs(self, modified: list[str], reads: set[str]) -> list[str]:
        names = sorted(n for n in modified if n in reads)
        if not names:
            raise _Unsupported  # (AutoGraph's form without state is not written here)
        return names

    def if_(self, stmt: ast.If, defined, later) -> list[ast.stmt]:
        modified = assigned(stmt.body + stmt.orelse)
        names = self._outputs(modified, later)
        inner_defined = list(defined)
        body = self.block(stmt.body, list(inner_defined), later)
        orelse = self.block(stmt.orelse, list(inner_defined), later)
        out, get, set_ = self._state(names)
        if_body, else_body = self.name("if_body"), self.name("else_body")
        out.append(self._nested(if_body, [], names, body))
        out.append(self._nested(else_body, [], names, orelse))
        out += self._undefined(modified, defined)
        call = _expr(f"ag__.if_stmt(None, {if_body}, {else_body}, {get}, {set_}, "
                     f"{tuple(names)!r}, {len(names)})")
        call.args[0] = self.expr(stmt.test)
        return out + [ast.Expr(call)]

    def while_(self, stmt: ast.While, defined, later) -> list[ast.stmt]:
        modified = assigned(stmt.body)
        names = self._outputs(modified, later | reads(stmt.body) | reads([stmt.test]))
        body = self.block(stmt.body, list(defined), later | reads([stmt]))
        out, get, set_ = self._state(names)
        loop_body, loop_test = self.name("loop_body"), self.name("loop_test")
        out.append(self._nested(loop_body, [], names, body))
        test = _stmts(f"def {loop_test}():\n    return None")[0]
        test.body[0].value = self.expr(stmt.test)
        out.append(test)
        out += self._undefined(modified, defined)
        out += _stmts(f"ag__.while_stmt({loop_test}, {loop_body}, {get}, {set_}, "
                      f"{tuple(names)!r}, {{}})")
        return out

    def for_(self, stmt: ast.For, defined, later) -> list[ast.stmt]:
        target = stmt.target.id
        modified = [n for n in assigned(stmt.body) if n != target]
        names = self._outputs(modified, later | reads(stmt.body))
        body = self.block(stmt.body, list(defined) + [target], later | reads([stmt]))
        out, get, set_ = self._state(names)
        loop_body = self.name("loop_body")
        out.append(self._nested(loop_body, ["itr"], names,
                                _stmts(f"{target} = itr") + body))
        out += self._undefined([target] + modified, defined)
        call = _expr(f"ag__.for_stmt(None, None, {loop_body}, {get}, {set_}, "
                     f"{tuple(names)!r}, {{'iterate_names': {target!r}}})")
        call.args[0] = self.expr(stmt.iter)
        return out + [ast.Expr(call)]

    # ---- expressions -------------------------------------------------------------------

    def calls(self, node):
        """Calls converted (converted_call), names left as they are."""
        return _Calls(load_names=False).visit(node)

    def expr(self, node):
        """Calls converted and every name read through ag__.ld."""
        return _Calls(load_names=True).visit(node)


class _Calls(ast.NodeTransformer):
    def __init__(self, load_names: bool):
        self.load_names = load_names

    def visit_Name(self, node):
        if self.load_names and isinstance(node.ctx, ast.Load) and node.id != "ag__":
            return ast.Call(func=_expr("ag__.ld"), args=[node], keywords=[])
        return node

    def visit_Call(self, node):
        is_print = isinstance(node.func, ast.Name) and node.func.id == "print"
        node = self.generic_visit(node)
        if is_print:
            return node
        args = ast.Tuple(elts=node.args, ctx=ast.Load())
        kwargs = (ast.Call(func=ast.Name("dict", ast.Load()), args=[],
                           keywords=node.keywords) if node.keywords else ast.Constant(None))
        return ast.Call(func=_expr("ag__.converted_call"),
                        args=[node.func, args, kwargs, ast.Name("fscope", ast.Load())],
                        keywords=[])

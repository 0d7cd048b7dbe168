"""AutoGraph's loop conversion: `for i in tf.range(n)`, `for x in <tensor>` and
`while <tensor>:` in a traced function become one graph loop, traced once, as TensorFlow's
AutoGraph makes them; the user functions it calls are converted too (autograph_calls.py).

tapeflow otherwise runs Python control flow on traced values with guards (a guarded path per
outcome): correct, but a loop over a tensor count unrolls, its body's Python runs on every
iteration of the trace, and a new count traces again. TensorFlow rewrites the function's
source so that such a loop calls a function with the body as an argument. This module does
the same for loops (and for the `if`s inside a converted loop's body), and nothing else:

    for i in tf.range(n):               def ag__body_1(ag__it, total):
        total += i                          i = ag__it
                              ->            total += i
                                            return (total,)
                                        ag__res_1 = ag__.for_range(tf.range, (n,), {},
                                                                   ag__body_1, ..., ('total',))
                                        if ag__res_1 is a fallback:
                                            for i in ag__res_1.iterable:  # the original loop
                                                total += i
                                        else:
                                            (total,) = ag__res_1

Any other `for <names> in xs` is rewritten the same way around `ag__.for_stmt(xs, ...)`: xs
is evaluated once, and only a traced tensor of rank >= 1 makes a graph loop (over its leading
axis); a list, a range, an array or a dataset gets the original loop over the same object.
Each call `f(...)` becomes `ag__.callee(f)(...)` (a user function's converted version).

At run time (autograph_ops.py) the loop becomes a graph loop when it can (inside a trace, on
a traced count, test or iterable); otherwise the original statement runs as written, so a
function the converter changes behaves exactly as before wherever no graph loop is made. The loop
variables are, as TensorFlow's, the names the body assigns that the code after the loop reads
or that the body (or the `while` test) reads before assigning. A loop's own `break` and
`continue` become flags (autograph_exits.py); loops using `return`, `yield`, `global` or
`nonlocal` are left as they are; a function whose source is not
available is not converted. The converted code is compiled once per code object, with the
user's file name and line numbers, so tracebacks and recorded sources name the user's lines.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import re
import textwrap
import types
import weakref

from tapeflow.api.autograph_calls import CallRewriter, calls_anything, marked_do_not_convert
from tapeflow.api.autograph_exits import break_flag, lower_exits
from tapeflow.api.autograph_names import assigned, live_in, reads, walk

_cache: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # code -> code or None
_made: "weakref.WeakSet" = weakref.WeakSet()  # the converted code objects
_NOT_CONVERTED = object()
_LOOP_WORD = re.compile(r"\b(for|while)\b")
_ag_cell = None  # the cell holding autograph_ops, which converted code reads as `ag__`


def converted(fn):
    """`fn` with its tensor loops converted and its calls of user functions going through
    `ag__.callee` (recursive conversion: autograph_calls.py), or `fn` itself where nothing
    is converted. The rewritten code is made once per code object; each call here makes a
    function object over it sharing `fn`'s globals, defaults and closure cells (so a
    closure variable rebound later is seen, as by `fn`)."""
    code = getattr(fn, "__code__", None)
    if code is None or not inspect.isfunction(fn) or marked_do_not_convert(fn):
        return fn
    if code in _made:
        return fn  # fn is itself a converted function: nothing to do again
    try:
        new_code = _cache.get(code)
    except TypeError:
        return fn
    if new_code is None:
        try:
            new_code = _convert_code(fn) or _NOT_CONVERTED
        except Exception:  # noqa: BLE001 - whatever the converter cannot do: unconverted
            new_code = _NOT_CONVERTED
        _cache[code] = new_code
        if isinstance(new_code, types.CodeType):
            _made.add(new_code)
    if new_code is _NOT_CONVERTED:
        return fn
    cells = dict(zip(code.co_freevars, fn.__closure__ or ()))
    cells["ag__"] = _autograph_cell()
    if any(name not in cells for name in new_code.co_freevars):
        return fn
    new = types.FunctionType(new_code, fn.__globals__, fn.__name__, fn.__defaults__,
                             tuple(cells[name] for name in new_code.co_freevars))
    new.__kwdefaults__ = fn.__kwdefaults__
    new.__annotations__ = dict(fn.__annotations__)
    new.__dict__.update(fn.__dict__)
    new.__qualname__ = fn.__qualname__
    new.__module__ = fn.__module__
    new.__doc__ = fn.__doc__
    new.__wrapped_by_autograph__ = fn
    return new


def _autograph_cell():
    global _ag_cell
    if _ag_cell is None:
        from tapeflow.api import autograph_ops

        _ag_cell = types.CellType(autograph_ops)
    return _ag_cell


def _convert_code(fn):
    """The code object of `fn` rewritten, or None where nothing is converted."""
    try:
        # The code's own source: `inspect.getsource(fn)` would follow `__wrapped__` to the
        # function a decorator wrapped, and convert that in the wrapper's place.
        source = textwrap.dedent(inspect.getsource(fn.__code__))
    except (OSError, TypeError):
        return None
    if not _LOOP_WORD.search(source) and not calls_anything(fn.__code__):
        return None  # nothing to convert: not even parsed
    try:
        tree = ast.parse(source)
    except (SyntaxError, IndentationError):
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.FunctionDef):
        return None  # (a lambda, or a def among other statements on its lines)
    node = tree.body[0]
    if node.name != fn.__code__.co_name or _has(node, (ast.Global, ast.Nonlocal, ast.Yield,
                                                       ast.YieldFrom, ast.Await)):
        return None
    if _needs_its_class(node):
        return None
    # The definition runs again inside a factory, only to compile it: decorators,
    # annotations and defaults (evaluated where the original was defined, perhaps on names
    # the factory cannot see) are dropped; converted() gives the function fn's defaults.
    node.decorator_list = []
    node.returns = None
    node.args.defaults = []
    node.args.kw_defaults = [None] * len(node.args.kwonlyargs)
    for arg in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs,
                node.args.vararg, node.args.kwarg]:
        if arg is not None:
            arg.annotation = None
    calls = CallRewriter(fn, node)
    node.body = [calls.visit(stmt) for stmt in node.body]
    converter = _Converter()
    node.body = converter.block(node.body, set())
    if not converter.converted and not calls.rewritten:
        return None
    # The factory's parameters make fn's free variables (and `ag__`) free variables of the
    # compiled function, not globals; the factory itself never runs.
    freevars = [v for v in fn.__code__.co_freevars if v != "ag__"]
    factory = ast.FunctionDef(
        name="ag__factory",
        args=ast.arguments(posonlyargs=[], args=[ast.arg(v) for v in ["ag__", *freevars]],
                           kwonlyargs=[], kw_defaults=[], defaults=[]),
        body=[node, ast.Return(ast.Name(node.name, ast.Load()))],
        decorator_list=[], returns=None, type_params=[])
    module = ast.Module([factory], type_ignores=[])
    ast.copy_location(factory, node)
    ast.fix_missing_locations(module)
    # The user's file and lines: tracebacks and recorded sources name them.
    ast.increment_lineno(module, fn.__code__.co_firstlineno - 1)
    try:
        compiled = compile(module, fn.__code__.co_filename, "exec")
    except SyntaxError:
        return None
    factory_code = next(c for c in compiled.co_consts if isinstance(c, types.CodeType))
    return next(c for c in factory_code.co_consts
                if isinstance(c, types.CodeType) and c.co_name == node.name)


def _needs_its_class(node) -> bool:
    """Whether the code compiles differently outside its class body: a private name
    (`self.__x` is mangled to `self._Cls__x` there) or `super()` without arguments (it needs
    the class's `__class__` cell). Such a function is not converted."""
    for sub in ast.walk(node):
        name = sub.attr if isinstance(sub, ast.Attribute) else \
            sub.id if isinstance(sub, ast.Name) else None
        if name is None:
            continue
        if name == "super" or (name.startswith("__") and not name.endswith("__")):
            return True
    return False


def _has(node, kinds) -> bool:
    return any(isinstance(sub, kinds) for sub in ast.walk(node))


def _escapes(body) -> bool:
    """Whether a loop body leaves the loop other than by finishing an iteration or by its
    own `break`/`continue` (autograph_exits.py lowers those), or is something a body
    function cannot hold."""
    for n in walk(body):
        if isinstance(n, ast.Return | ast.Yield | ast.YieldFrom | ast.Await | ast.Global
                      | ast.Nonlocal | ast.Try | ast.AsyncWith | ast.AsyncFor):
            return True
    return False


# --------------------------------------------------------------------------------------------
# The rewrite
# --------------------------------------------------------------------------------------------


def _parse(text: str, at: ast.stmt | None = None) -> list[ast.stmt]:
    """Generated statements, placed at the line of `at` (the statement they replace), so
    that what they record and raise names the user's line."""
    body = ast.parse(textwrap.dedent(text)).body
    if at is not None:
        for stmt in body:
            for node in ast.walk(stmt):
                if "lineno" in node._attributes:
                    node.lineno = node.end_lineno = at.lineno
                    node.col_offset, node.end_col_offset = at.col_offset, at.col_offset
    return body


def _tuple_text(names) -> str:
    return "(" + "".join(f"{n}, " for n in names) + ")"


def _state_text(names) -> str:
    return "(" + "".join(f"ag__.ld(locals(), {n!r}), " for n in names) + ")"


class _Converter:
    def __init__(self):
        self.converted = 0
        self._ids = itertools.count(1)

    def block(self, body: list[ast.stmt], live_after: set[str], in_loop: bool = False):
        """`body` with its tensor loops (and, inside a converted loop's body, its ifs)
        converted; `live_after`: the names read after the block."""
        out: list[ast.stmt] = []
        for k, stmt in enumerate(body):
            later = reads(body[k + 1:]) | live_after
            out += self.statement(stmt, later, in_loop)
        return out

    def statement(self, stmt, later: set[str], in_loop: bool) -> list[ast.stmt]:
        if isinstance(stmt, ast.For) and self._range_loop(stmt):
            return self.for_(stmt, later)
        if isinstance(stmt, ast.For) and self._plain_loop(stmt):
            return self.for_iterable(stmt, later)
        if isinstance(stmt, ast.While) and not stmt.orelse and not _escapes(stmt.body):
            return self.while_(stmt, later)
        if in_loop and isinstance(stmt, ast.If):
            return self.if_(stmt, later)
        if isinstance(stmt, ast.If | ast.For | ast.While | ast.With):
            # Convert the loops nested in the statement's blocks, keeping the statement.
            for field in ("body", "orelse"):
                block = getattr(stmt, field, None)
                if block:
                    setattr(stmt, field, self.block(block, later | reads([stmt]), in_loop))
        return [stmt]

    @staticmethod
    def _range_loop(stmt: ast.For) -> bool:
        it = stmt.iter
        func = _uncalled(it.func) if isinstance(it, ast.Call) else None
        is_range = isinstance(it, ast.Call) and (
            (isinstance(func, ast.Attribute) and func.attr == "range")
            or (isinstance(func, ast.Name) and func.id == "range"))
        return (is_range and isinstance(stmt.target, ast.Name) and not stmt.orelse
                and not any(isinstance(a, ast.Starred) for a in it.args)
                and not any(k.arg is None for k in it.keywords) and not _escapes(stmt.body))

    @staticmethod
    def _plain_loop(stmt: ast.For) -> bool:
        """`for <names> in <anything>`: whether the iterable is a tensor is known only at
        run time (autograph_ops.for_stmt), so every such loop is converted."""
        return (_target_names(stmt.target) is not None and not stmt.orelse
                and not _escapes(stmt.body))

    def _carried(self, body, later: set[str], also_read=()) -> list[str]:
        live = live_in(body) | set(also_read)
        return [n for n in assigned(body) if n in later or n in live]

    def for_(self, stmt: ast.For, later: set[str]) -> list[ast.stmt]:
        k = next(self._ids)
        self.converted += 1
        target = stmt.target.id
        body, breaks = lower_exits(_copy(stmt.body), k)
        # The iterate is a loop variable only where the code after the loop reads it (its
        # last value, as Python's).
        carried = [n for n in self._carried(body, later, self._flag(k, breaks)) if n != target]
        if target in later:
            carried.append(target)
        # The original loop, over the iterable for_range made (its arguments run once).
        original = ast.copy_location(ast.For(
            target=stmt.target, iter=_parse(f"ag__res_{k}.iterable", stmt)[0].value,
            body=stmt.body, orelse=[], type_comment=None), stmt)
        body_fn = _parse(f"def ag__body_{k}(ag__it, {', '.join(carried)}):\n"
                         f"    {target} = ag__it\n    return {_tuple_text(carried)}", stmt)[0]
        body_fn.body[1:1] = self.block(body, set(carried), in_loop=True)
        call = _parse(
            f"ag__res_{k} = ag__.for_range(ag__range, ag__args, ag__kwargs, ag__body_{k}, "
            f"{_state_text(carried)}, {tuple(carried)!r}, {target!r}, "
            f"{self._extra_test(k, breaks)}, {_branches(stmt.body)})", stmt)[0]
        it = stmt.iter
        call.value.args[0] = it.func
        call.value.args[1] = ast.Tuple(list(it.args), ast.Load())
        call.value.args[2] = ast.Dict([ast.Constant(kw.arg) for kw in it.keywords],
                                      [kw.value for kw in it.keywords])
        return [*self._exit_setup(k, breaks, carried, stmt), body_fn, call,
                self._choose(k, original, carried)]

    def for_iterable(self, stmt: ast.For, later: set[str]) -> list[ast.stmt]:
        """`for target in xs`: a graph loop over xs's leading axis where xs is a traced
        tensor, else the original loop over the same object (xs is evaluated once)."""
        k = next(self._ids)
        self.converted += 1
        targets = _target_names(stmt.target)
        body, breaks = lower_exits(_copy(stmt.body), k)
        carried = [n for n in self._carried(body, later, self._flag(k, breaks))
                   if n not in targets]
        carried += [n for n in targets if n in later]  # their last values, as Python's
        original = ast.copy_location(ast.For(
            target=stmt.target, iter=_parse(f"ag__res_{k}.iterable", stmt)[0].value,
            body=stmt.body, orelse=[], type_comment=None), stmt)
        body_fn = _parse(f"def ag__body_{k}(ag__it, {', '.join(carried)}):\n"
                         f"    pass\n    return {_tuple_text(carried)}", stmt)[0]
        unpack = _parse("ag__target = ag__it", stmt)[0]
        unpack.targets = [_copy(stmt.target)]
        body_fn.body[0] = unpack
        body_fn.body[1:1] = self.block(body, set(carried), in_loop=True)
        text = ast.unparse(stmt.target)
        call = _parse(
            f"ag__res_{k} = ag__.for_stmt(ag__iterable, ag__body_{k}, {_state_text(carried)}, "
            f"{tuple(carried)!r}, {text!r}, {ast.unparse(stmt.iter)!r}, "
            f"{self._extra_test(k, breaks)})", stmt)[0]
        call.value.args[0] = stmt.iter
        return [*self._exit_setup(k, breaks, carried, stmt), body_fn, call,
                self._choose(k, original, carried)]

    def while_(self, stmt: ast.While, later: set[str]) -> list[ast.stmt]:
        k = next(self._ids)
        self.converted += 1
        body, breaks = lower_exits(_copy(stmt.body), k)
        test_reads = reads([stmt.test]) | set(self._flag(k, breaks))
        carried = self._carried(body, later | test_reads, test_reads)
        args = ", ".join(carried)
        test_fn = _parse(f"def ag__test_{k}({args}):\n    return None", stmt)[0]
        test_fn.body[0].value = _copy(stmt.test)
        if breaks:  # `not flag and test`, the test not evaluated once the loop broke
            unbroken = _parse(f"ag__.unbroken_and({break_flag(k)}, lambda: None)", stmt)[0]
            unbroken.value.args[1].body = test_fn.body[0].value
            test_fn.body[0].value = unbroken.value
        body_fn = _parse(f"def ag__body_{k}({args}):\n    return {_tuple_text(carried)}",
                         stmt)[0]
        body_fn.body[0:0] = self.block(body, set(carried) | test_reads, in_loop=True)
        call = _parse(f"ag__res_{k} = ag__.while_stmt(ag__test_{k}, ag__body_{k}, "
                      f"{_state_text(carried)}, {tuple(carried)!r})", stmt)[0]
        setup = _parse(f"{break_flag(k)} = False", stmt) if breaks else []
        return [*setup, test_fn, body_fn, call, self._choose(k, stmt, carried)]

    @staticmethod
    def _flag(k: int, breaks: bool) -> tuple[str, ...]:
        """The break flag, a loop variable (the loop's test reads it), where there is one."""
        return (break_flag(k),) if breaks else ()

    @staticmethod
    def _extra_test(k: int, breaks: bool) -> str:
        return f"ag__extra_test_{k}" if breaks else "None"

    @staticmethod
    def _exit_setup(k: int, breaks: bool, carried: list[str], at: ast.stmt) -> list[ast.stmt]:
        """Before a `for` that breaks: its flag, False, and the extra test that stops the
        graph loop once the flag is set (TensorFlow's `extra_test`)."""
        if not breaks:
            return []
        flag = break_flag(k)
        return _parse(f"{flag} = False\n"
                      f"def ag__extra_test_{k}({', '.join(carried)}):\n"
                      f"    return ag__.not_({flag})", at)

    def if_(self, stmt: ast.If, later: set[str]) -> list[ast.stmt]:
        k = next(self._ids)
        outputs = [n for n in assigned(stmt.body + stmt.orelse) if n in later]
        args = ", ".join(outputs)
        pred = _parse(f"ag__pred_{k} = None", stmt)[0]
        pred.value = stmt.test
        branches = []
        for name, block in ((f"ag__true_{k}", stmt.body), (f"ag__false_{k}", stmt.orelse)):
            fn = _parse(f"def {name}({args}):\n    return {_tuple_text(outputs)}", stmt)[0]
            fn.body[0:0] = self.block(_copy(block), set(outputs), in_loop=True)
            branches.append(fn)
        call = _parse(f"{_tuple_text(outputs)} = ag__.if_stmt(ag__pred_{k}, ag__true_{k}, "
                      f"ag__false_{k}, {_state_text(outputs)}, {tuple(outputs)!r})", stmt)[0]
        python_if = ast.copy_location(ast.If(
            test=ast.Name(f"ag__pred_{k}", ast.Load()), body=stmt.body, orelse=stmt.orelse), stmt)
        choose = _parse(f"if ag__.is_graph_pred(ag__pred_{k}):\n    pass\nelse:\n    pass",
                        stmt)[0]
        choose.body = branches + [call]
        choose.orelse = [python_if]
        return [pred, choose]

    @staticmethod
    def _choose(k: int, original: ast.stmt, carried: list[str]) -> ast.If:
        choose = _parse(f"if ag__.is_fallback(ag__res_{k}):\n    pass\nelse:\n"
                        f"    {_tuple_text(carried)} = ag__res_{k}", original)[0]
        choose.body = [original]
        return choose


def _branches(body) -> bool:
    """Whether a loop body may branch on a value: an `if`, a `while`, a conditional
    expression or `and`/`or` (ag__.for_range makes such a loop a graph loop even when
    its count is known when tracing)."""
    return any(isinstance(n, ast.If | ast.While | ast.IfExp | ast.BoolOp) for n in walk(body))


def _uncalled(func):
    """The callee expression of a call CallRewriter rewrote (`ag__.callee(F)` -> F)."""
    if (isinstance(func, ast.Call) and isinstance(func.func, ast.Attribute)
            and func.func.attr == "callee" and isinstance(func.func.value, ast.Name)
            and func.func.value.id == "ag__"):
        return func.args[0]
    return func


def _target_names(target) -> list[str] | None:
    """The names a `for` target binds (`x`, `a, b`, `(a, (b, c))`), or None for a target
    that is not only names (`self.x`, `xs[0]`, `*rest`): such a loop is left as it is."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Tuple | ast.List):
        names = []
        for element in target.elts:
            inner = _target_names(element)
            if inner is None:
                return None
            names += [n for n in inner if n not in names]
        return names
    return None


def _copy(nodes):
    import copy

    return copy.deepcopy(nodes)

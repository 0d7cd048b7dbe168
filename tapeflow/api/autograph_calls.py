"""Recursive conversion: which functions a call in converted code reaches converted.

TensorFlow's AutoGraph converts the functions that converted code calls, recursively, except
those of modules it must not touch (its `CONVERSION_RULES`: tensorflow, numpy, the standard
library modules it names, ...) and those marked with `tf.autograph.experimental.
do_not_convert`. tapeflow does the same, deciding by where a function is defined:

- user code (a script, a test, a notebook, a package that is not installed) is converted;
- tapeflow, numpy and the other known libraries (by module name), and anything whose file is
  in the standard library or in an installed package's directory (site-packages), is not;
- a function marked do_not_convert, a builtin, a class, a callable object, a
  `tapeflow.function` (its own call converts its Python function, once: see
  runtime/function.py) and a lambda (no statement source) are called as they are.

A function whose source is unavailable (defined by exec, in a REPL) or that the converter
cannot rewrite runs unconverted, silently, as TF's does with a warning. The decision and the
rewritten code are cached per code object (autograph_convert.py), so each function is
converted once however often it is called.
"""

from __future__ import annotations

import ast
import builtins
import functools
import os
import sys
import types
import weakref

# Module name prefixes never converted: TF's CONVERSION_RULES, with tapeflow in
# TensorFlow's place and the libraries tapeflow itself runs on.
_DO_NOT_CONVERT = (
    "tapeflow", "tensorflow", "keras", "numpy", "scipy", "numba", "llvmlite", "pandas",
    "matplotlib", "PIL", "absl", "collections", "copy", "cProfile", "inspect", "ipdb",
    "linecache", "mock", "pathlib", "pdb", "posixpath", "pstats", "re", "threading",
    "urllib", "functools", "itertools", "operator", "typing", "weakref", "abc", "enum",
    "dataclasses", "contextlib", "builtins", "unittest", "pytest", "_pytest", "hypothesis",
)

_MARK = "_tapeflow_do_not_convert"


@functools.cache
def _library_dirs() -> tuple[str, ...]:
    """The standard library's and the installed packages' directories (asked on first use:
    importing sysconfig is not free, and most imports of tapeflow never convert a call)."""
    import sysconfig

    paths = sysconfig.get_paths()
    dirs = {os.path.realpath(paths[k]) for k in ("stdlib", "platstdlib", "purelib", "platlib")
            if paths.get(k)}
    dirs |= {os.path.realpath(p) for p in sys.path if p.endswith(("site-packages",
                                                                  "dist-packages"))}
    return tuple(sorted(d + os.sep for d in dirs))


_user_code: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # code -> bool


def do_not_convert(func=None):
    """`tf.autograph.experimental.do_not_convert`: `func`, never converted (nor, therefore,
    the functions it calls); a decorator when `func` is None."""
    if func is None:
        return do_not_convert
    if not callable(func):
        raise TypeError(f"do_not_convert: expected a function, got {type(func).__name__}")
    if isinstance(func, types.FunctionType):
        # A copy of the function (its own object, the same code and cells), marked: the
        # caller's object is not changed, and the copy is still a plain function.
        copy = types.FunctionType(func.__code__, func.__globals__, func.__name__,
                                  func.__defaults__, func.__closure__)
        copy.__kwdefaults__ = func.__kwdefaults__
        copy.__dict__.update(func.__dict__)
        copy.__qualname__ = func.__qualname__
        copy.__doc__ = func.__doc__
        copy.__module__ = func.__module__
        copy.__annotations__ = dict(func.__annotations__)
        setattr(copy, _MARK, True)
        return copy
    try:
        setattr(func, _MARK, True)
    except (AttributeError, TypeError):
        pass
    return func


def marked_do_not_convert(fn) -> bool:
    return getattr(fn, _MARK, False) is True


def is_user_function(fn) -> bool:
    """Whether `fn` is a plain Python function of user code (AutoGraph converts it)."""
    if type(fn) is not types.FunctionType:
        return False
    code = fn.__code__
    known = _user_code.get(code)
    if known is None:
        known = _user_code[code] = _decide(fn)
    return known


def _decide(fn) -> bool:
    module = getattr(fn, "__module__", None) or ""
    if module.split(".")[0] in _DO_NOT_CONVERT:
        return False
    if fn.__code__.co_name == "<lambda>":
        return False
    filename = fn.__code__.co_filename
    if filename.startswith("<"):
        return True  # a notebook cell, exec'd code: converted where its source is known
    return not os.path.realpath(filename).startswith(_library_dirs())


def is_user_module(module) -> bool:
    """Whether a module is user code (`tf`, `np`, `math` are not): its functions would be
    converted."""
    if (module.__name__ or "").split(".")[0] in _DO_NOT_CONVERT:
        return False
    filename = getattr(module, "__file__", None)
    if filename is None:
        return False  # a builtin module
    return not os.path.realpath(filename).startswith(_library_dirs())


def converting() -> bool:
    """Whether a trace with AutoGraph on is running (library code that calls user code, as
    a Keras layer calls its `call`, converts it then, as TF's Keras does)."""
    from tapeflow.runtime.trace import active_trace

    trace = active_trace()
    return trace is not None and trace.autograph


def callee(f):
    """What a call in converted code calls instead of `f`: the converted version of a user
    function (or of a bound method's function, or of a user object's `__call__`), else `f`
    itself."""
    from tapeflow.api import autograph_convert

    # (converted() leaves a function marked do_not_convert as it is.)
    if type(f) is types.FunctionType:
        return autograph_convert.converted(f) if is_user_function(f) else f
    if type(f) is types.MethodType and type(f.__func__) is types.FunctionType:
        func = f.__func__
        if not is_user_function(func):
            return f
        new = autograph_convert.converted(func)
        return f if new is func else types.MethodType(new, f.__self__)
    call = getattr(type(f), "__call__", None)
    if (type(call) is types.FunctionType and not isinstance(f, type)
            and is_user_function(call)):
        new = autograph_convert.converted(call)  # a user object: its `__call__`, converted
        return f if new is call else types.MethodType(new, f)
    return f


# --------------------------------------------------------------------------------------------
# The rewrite of calls (autograph_convert.py applies it before converting loops)
# --------------------------------------------------------------------------------------------


def calls_anything(code) -> bool:
    """Whether the code (or a function nested in it) calls anything."""
    import dis

    if any(i.opname.startswith("CALL") for i in dis.get_instructions(code)):
        return True
    return any(calls_anything(c) for c in code.co_consts if isinstance(c, types.CodeType))


class CallRewriter(ast.NodeTransformer):
    """`f(args)` -> `ag__.callee(f)(args)`: the callee is decided when the call runs (a user
    function becomes its converted version; anything else is called as it is), and the
    call itself still happens in the caller's frame (so `locals()`, `vars()` keep their
    meaning). Calls that cannot reach user code are left as written: a builtin's name that
    the function does not rebind, and an attribute of a library module (`tf.reduce_sum`,
    `np.zeros`)."""

    def __init__(self, fn, node: ast.FunctionDef):
        self.fn = fn
        self.rewritten = 0
        args = node.args
        self.local = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs,
                                      args.vararg, args.kwarg] if a is not None}
        self.local |= {n.id for n in ast.walk(node)
                       if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
        self.local |= set(fn.__code__.co_freevars)

    def visit_Call(self, call: ast.Call):
        self.generic_visit(call)
        if self._library_call(call.func):
            return call
        self.rewritten += 1
        wrapped = ast.Call(ast.Attribute(ast.Name("ag__", ast.Load()), "callee", ast.Load()),
                           [call.func], [])
        call.func = ast.copy_location(wrapped, call.func)
        return call

    def _library_call(self, func) -> bool:
        root = func
        while isinstance(root, ast.Attribute):
            root = root.value
        if not isinstance(root, ast.Name) or root.id in self.local:
            return False
        if root is func:
            return root.id not in self.fn.__globals__ and hasattr(builtins, root.id)
        value = self.fn.__globals__.get(root.id)
        return isinstance(value, types.ModuleType) and not is_user_module(value)

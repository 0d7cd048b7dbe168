"""Finding the function a `tapeflow` command is about, and the arguments to trace it with.

A target is `path/file.py:function`, `path/file.py::function` or `package.module:function`
(the name may be dotted: `Model.step`). The file runs as a script would (its top level
creates the Variables the function uses). The arguments' types come from the function's
`input_signature`, from `--input NAME=float32[128,784]` (short `f32[?,3]`, `?` a size left
unknown), or from an example call `--example module:make_args` whose result is the
arguments (a tuple, or a dict of keyword arguments).
"""

from __future__ import annotations

import importlib
import inspect
import os
import re
import runpy
import sys
from dataclasses import dataclass

import numpy as np


class TargetError(Exception):
    """A target or an input that cannot be used; the message is one line for the user."""


class UserCodeError(Exception):
    """The user's code raised (loading the file, making the example, tracing); carries the
    original exception, whose traceback the command shows without tapeflow's frames."""

    def __init__(self, what: str, error: BaseException):
        super().__init__(f"{what}: {type(error).__name__}: {error}")
        self.error = error


UNKNOWN_SIZE_SAMPLE = 3  # the size a `?` has in the sample input (not 0 or 1: see dims.py)
_TYPE = re.compile(r"^([A-Za-z]\w*)\[([\d,?\s]*)\]$")
_LONG_DTYPES = ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
                "bool")
_loaded_files: dict[str, dict] = {}


def forget_loaded_files() -> None:
    """Load scripts afresh from now on (a file named by both the target and --example still
    runs once per command)."""
    _loaded_files.clear()


def _dtype(name: str) -> np.dtype:
    from tapeflow.ops.core import SHORT_TO_DTYPE

    if name in SHORT_TO_DTYPE:
        return SHORT_TO_DTYPE[name]
    if name in _LONG_DTYPES:
        return np.dtype(name)
    raise TargetError(f"unknown dtype {name!r} (use one of {', '.join(SHORT_TO_DTYPE)} or "
                      f"{', '.join(_LONG_DTYPES)})")


@dataclass
class InputType:
    name: str | None  # the parameter it is for; None: the next one in order
    dtype: np.dtype
    shape: tuple  # None for an unknown size

    def sample(self) -> np.ndarray:
        """A value of this type: uniform in [-1, 1] for floats, 0..9 for integers."""
        shape = tuple(UNKNOWN_SIZE_SAMPLE if d is None else d for d in self.shape)
        rng = np.random.default_rng(0)
        if self.dtype.kind == "f":
            return rng.uniform(-1, 1, size=shape).astype(self.dtype)
        if self.dtype.kind == "b":
            return rng.integers(0, 2, size=shape).astype(self.dtype)
        return rng.integers(0, 10, size=shape).astype(self.dtype)


def parse_input(text: str) -> InputType:
    """`x=float32[128,784]`, `f32[?,3]` or `labels=i32[128]`."""
    name, sep, type_text = text.partition("=")
    if not sep:
        name, type_text = None, text
    elif not name.strip().isidentifier():
        raise TargetError(f"--input {text!r}: {name.strip()!r} is not a parameter name")
    m = _TYPE.match(type_text.strip())
    if not m:
        raise TargetError(f"--input {text!r}: expected NAME=TYPE with TYPE like float32[128,784],"
                          " f32[?,3] or f64[] (? is a size left unknown)")
    dtype = _dtype(m.group(1))
    shape = tuple(None if d.strip() == "?" else int(d)
                  for d in m.group(2).split(",") if d.strip())
    return InputType(name.strip() if name else None, dtype, shape)


def split_target(target: str) -> tuple[str, str]:
    """(where, name): where is a .py path or a dotted module name."""
    if "::" in target:
        where, _, name = target.rpartition("::")
    elif ":" in target:
        where, _, name = target.rpartition(":")
    else:
        raise TargetError(f"target {target!r}: expected path/file.py:function, "
                          "path/file.py::function or package.module:function")
    if not where or not name:
        raise TargetError(f"target {target!r}: expected path/file.py:function, "
                          "path/file.py::function or package.module:function")
    return where, name


def _namespace(where: str) -> dict:
    if where.endswith(".py") or os.sep in where or "/" in where:
        path = os.path.abspath(where)
        if not os.path.isfile(path):
            raise TargetError(f"no such file: {where}")
        if path not in _loaded_files:
            directory = os.path.dirname(path)
            added = directory not in sys.path
            if added:  # the script's own imports of its neighbours work, as `python file.py`
                sys.path.insert(0, directory)
            try:
                _loaded_files[path] = runpy.run_path(path, run_name="__tapeflow_cli__")
            except SystemExit as e:
                raise TargetError(f"{where} called sys.exit({e.code}) while loading") from None
            except BaseException as e:  # the user's module failed: show its traceback
                if isinstance(e, KeyboardInterrupt):
                    raise
                raise UserCodeError(f"loading {where} failed", e) from e
            finally:
                if added and directory in sys.path:
                    sys.path.remove(directory)
        return _loaded_files[path]
    try:
        module = importlib.import_module(where)
    except ModuleNotFoundError as e:
        if e.name and where.startswith(e.name):
            raise TargetError(f"no module named {where!r}") from None
        raise UserCodeError(f"importing {where} failed", e) from e
    except Exception as e:
        raise UserCodeError(f"importing {where} failed", e) from e
    return vars(module)


def resolve(target: str):
    """The object `target` names."""
    where, name = split_target(target)
    namespace = _namespace(where)
    first, *rest = name.split(".")
    if first not in namespace:
        found = sorted(k for k, v in namespace.items()
                       if callable(v) and not k.startswith("_") and not inspect.ismodule(v)
                       and getattr(v, "__module__", None) in (None, "__tapeflow_cli__",
                                                              namespace.get("__name__")))
        raise TargetError(f"{where} defines no {first!r} (functions there: "
                          f"{', '.join(found) or 'none'})")
    obj = namespace[first]
    for part in rest:
        if not hasattr(obj, part):
            raise TargetError(f"{where}: {first} has no attribute {part!r}")
        obj = getattr(obj, part)
    return obj


def load_function(target: str):
    """The target as a tapeflow Function (a plain function is wrapped)."""
    import tapeflow as tf

    obj = resolve(target)
    if isinstance(obj, tf.Function):
        return obj
    if inspect.isclass(obj) or not callable(obj):
        raise TargetError(f"{target} is a {type(obj).__name__}, not a function")
    if not (inspect.isfunction(obj) or inspect.ismethod(obj)):
        raise TargetError(f"{target} is a {type(obj).__name__}, not a function")
    return tf.function(obj)


@dataclass
class Call:
    """The function to trace (possibly re-wrapped for unknown sizes) and its arguments."""

    function: object
    args: tuple
    kwargs: dict


def make_call(fn, inputs: list[InputType], example: str | None) -> Call:
    """What to call `fn` with: from --example, from --input, or from its input_signature."""

    if example and inputs:
        raise TargetError("give either --input or --example, not both")
    if example:
        make = resolve(example)
        if not callable(make):
            raise TargetError(f"--example {example}: a {type(make).__name__}, not a function")
        try:
            made = make()
        except Exception as e:
            raise UserCodeError(f"--example {example} raised", e) from e
        if isinstance(made, dict):
            return Call(fn, (), made)
        return Call(fn, tuple(made) if isinstance(made, list | tuple) else (made,), {})
    params = [p for p in inspect.signature(fn.python_function).parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if not inputs:
        signature = fn.input_signature
        if signature is None:
            names = ", ".join(p.name for p in params) or "none"
            raise TargetError(f"{fn.__name__} has no input_signature: give each argument's type "
                              f"with --input NAME=TYPE (parameters: {names}) or "
                              "--example module:make_args")
        inputs = [InputType(None, spec.dtype, spec.shape) for spec in signature]
        if any(spec.shape is None for spec in signature):
            raise TargetError(f"{fn.__name__}'s input_signature has an argument of unknown rank; "
                              "give its type with --input")
        return _with_types(fn, params, inputs, keep_signature=True)
    return _with_types(fn, params, inputs, keep_signature=False)


def _with_types(fn, params, inputs: list[InputType], keep_signature: bool) -> Call:
    import tapeflow as tf

    by_name: dict[str, InputType] = {}
    positional = iter(params)
    for item in inputs:
        if item.name is None:
            param = next(positional, None)
            while param is not None and param.name in by_name:
                param = next(positional, None)
            if param is None:
                raise TargetError(f"{fn.__name__} takes {len(params)} argument(s); "
                                  f"{len(inputs)} --input given")
            by_name[param.name] = item
        else:
            if item.name not in {p.name for p in params}:
                raise TargetError(f"--input {item.name}=...: {fn.__name__} has no parameter "
                                  f"{item.name!r} (parameters: "
                                  f"{', '.join(p.name for p in params) or 'none'})")
            if item.name in by_name:
                raise TargetError(f"--input {item.name} given twice")
            by_name[item.name] = item
    missing = [p.name for p in params if p.name not in by_name and p.default is p.empty]
    if missing:
        raise TargetError(f"{fn.__name__} needs a type for {', '.join(missing)}: "
                          f"add --input {missing[0]}=TYPE")
    ordered = [(p.name, by_name[p.name]) for p in params if p.name in by_name]
    # Positional while the parameters come in order, by keyword after a skipped default.
    args, kwargs = [], {}
    for p in params:
        if p.name not in by_name:
            break
        args.append(tf.constant(by_name[p.name].sample()))
    for name, t in ordered[len(args):]:
        kwargs[name] = tf.constant(t.sample())
    symbolic = any(None in t.shape for _, t in ordered)
    if symbolic and not keep_signature:
        if kwargs:
            raise TargetError("unknown sizes (?) need the arguments given in order")
        # Trace for any size: the function again, with an input_signature.
        signature = [tf.TensorSpec(t.shape, t.dtype) for _, t in ordered]
        fn = tf.function(fn.python_function, input_signature=signature)
    return Call(fn, tuple(args), kwargs)

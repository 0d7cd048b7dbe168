"""`tf.train.Checkpoint` and `tf.train.CheckpointManager`: the Variables of an object graph,
saved to one file and restored by name.

What is saved: the Variables reachable from the objects given to `Checkpoint(**children)`,
each under the path of attribute names that leads to it (`model/dense/kernel`,
`optimizer/iterations`). How objects are walked (the checkpoint protocol):

- a `Variable` is a leaf;
- an object with a `_checkpoint_children()` method is asked for its children: a dict from
  name to child (a Variable, another object, a list or a dict), which replaces the walk of
  its attributes (Keras layers, models and optimizers use it to give stable names);
- lists and tuples are walked by index, dicts by key (as text);
- any other object (a `tf.Module`, a user class) by its attributes (`vars(obj)`): public
  names first, then private ones, each sorted; functions, modules, classes, tensors, arrays
  and other plain values are not state and are skipped;
- an object reached twice (a variable shared by two layers, the model's variables held by an
  optimizer) is saved once, under the first path in that order.

The objects must have created their variables before `restore` (build the model, call
`optimizer.build(var_list)`): restoring assigns existing variables and creates none.

The file format (version 1): one numpy `.npz` archive (a zip of `.npy` arrays, each with its
CRC) holding the arrays `v0`, `v1`, ... and `index`, a uint8 array of UTF-8 JSON:
`{"format": "tapeflow-checkpoint", "version": 1, "variables": [{"name": "model/dense/kernel",
"array": "v0", "shape": [3, 2], "dtype": "float32"}, ...]}`. It is written to a temporary
file in the target directory, flushed and fsynced, then renamed over the target, so a reader
sees the old file or the new one, never half of one. `save` also keeps a small JSON file
`checkpoint` in the directory naming the checkpoints it made (for `latest_checkpoint`).

`restore` reads and checks the whole file first (every variable of the objects present, with
its shape and dtype; the archive intact) and only then assigns, so a failed restore changes
nothing. Assigning a restored value is an ordinary `Variable.assign` of the same shape and
dtype: a compiled step that reads those variables is not traced again.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import types
import warnings
import zipfile

import numpy as np

from tapeflow.ops.core import InvalidArgumentError
from tapeflow.tracer.tensor import Tensor
from tapeflow.tracer.variable import Variable

FORMAT = "tapeflow-checkpoint"
VERSION = 1
SUFFIX = ".npz"
STATE_FILE = "checkpoint"


class CheckpointError(InvalidArgumentError):
    """A checkpoint that cannot be restored: unreadable, or not matching the objects."""


class CheckpointWarning(UserWarning):
    """A restore left saved values unused (their variables do not exist yet)."""


# --------------------------------------------------------------------------------------------
# Walking the object graph
# --------------------------------------------------------------------------------------------

def _not_state_types() -> tuple:
    # Compiled functions hold the variables they captured; they are code, not state.
    from tapeflow.runtime.concrete import ConcreteFunction
    from tapeflow.runtime.function import Function

    return (Function, ConcreteFunction)


_NOT_STATE = _not_state_types() + (types.FunctionType, types.BuiltinFunctionType,
                                   types.MethodType, types.ModuleType, type, Tensor,
                                   np.ndarray, np.generic, str, bytes, int, float, complex,
                                   bool, type(None))


def named_variables(root: dict) -> dict[str, Variable]:
    """Path -> Variable for everything reachable from `root` (name -> object), in the walk
    order the module docstring describes; each variable once, under its first path."""
    found: dict[str, Variable] = {}
    seen: set[int] = set()

    def visit(obj, path: str) -> None:
        if isinstance(obj, Variable):
            if id(obj) not in seen:
                seen.add(id(obj))
                found[path] = obj
            return
        if isinstance(obj, _NOT_STATE) or id(obj) in seen:
            return
        seen.add(id(obj))
        for name, child in _children(obj):
            visit(child, f"{path}/{name}" if path else name)

    for name, obj in root.items():
        visit(obj, name)
    return found


def _children(obj) -> list[tuple[str, object]]:
    hook = getattr(type(obj), "_checkpoint_children", None)
    if hook is not None:
        children = obj._checkpoint_children()
        return [(str(k), v) for k, v in children.items()]
    if isinstance(obj, list | tuple):
        return [(str(i), v) for i, v in enumerate(obj)]
    if isinstance(obj, dict):
        return [(str(k), obj[k]) for k in sorted(obj, key=str)]
    try:
        attributes = vars(obj)
    except TypeError:  # no __dict__ (slots, builtins): nothing to walk
        return []
    public = sorted(k for k in attributes if not k.startswith("_"))
    private = sorted(k for k in attributes if k.startswith("_"))
    return [(k.lstrip("_") if k.lstrip("_") not in attributes else k, attributes[k])
            for k in public + private]


# --------------------------------------------------------------------------------------------
# The file
# --------------------------------------------------------------------------------------------


def file_of(path: str) -> str:
    """The file a checkpoint path names (`ckpt-3` -> `ckpt-3.npz`)."""
    path = os.fspath(path)
    return path if path.endswith(SUFFIX) else path + SUFFIX


def write_file(path: str, variables: dict[str, Variable]) -> str:
    """Write the variables' values to `path`'s file atomically; returns the path given."""
    entries, arrays = [], {}
    for k, (name, variable) in enumerate(variables.items()):
        value = np.array(variable.numpy(), order="C")  # (ascontiguousarray makes 0-d 1-d)
        entries.append({"name": name, "array": f"v{k}", "shape": list(value.shape),
                        "dtype": value.dtype.name})
        arrays[f"v{k}"] = value
    index = json.dumps({"format": FORMAT, "version": VERSION, "variables": entries})
    arrays["index"] = np.frombuffer(index.encode("utf-8"), dtype=np.uint8)
    target = file_of(path)
    _atomic_write(target, lambda f: np.savez(f, **arrays))
    return os.fspath(path)


def _atomic_write(target: str, write) -> None:
    """write(file) into a temporary file beside `target`, fsync it, rename it over
    `target`, and fsync the directory (so the rename itself survives a crash)."""
    directory = os.path.dirname(os.path.abspath(target))
    os.makedirs(directory, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=".tmp-",
                                     suffix="-" + os.path.basename(target))
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:  # a platform without directory handles: the rename is done anyway
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def read_file(path: str) -> dict[str, np.ndarray]:
    """Name -> saved array of a checkpoint file, every array read and checked (CRC, shape
    and dtype against the index); a clear CheckpointError otherwise."""
    target = file_of(path)
    if not os.path.exists(target):
        raise FileNotFoundError(f"checkpoint {os.fspath(path)!r}: no file {target!r}")
    with open(target, "rb") as f:
        data = f.read()
    if not data.startswith(b"PK\x03\x04"):  # numpy would try to unpickle anything else
        raise CheckpointError(f"checkpoint {target!r} is not a tapeflow checkpoint (not a "
                              f"zip archive: it starts with {data[:8]!r})")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            bad = zf.testzip()  # every member's CRC-32 (numpy's reads may stop short)
        if bad is not None:
            raise ValueError(f"the stored CRC of {bad!r} does not match its bytes")
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            index = json.loads(bytes(archive["index"]).decode("utf-8"))
            if index.get("format") != FORMAT:
                raise ValueError(f"its index says format {index.get('format')!r}")
            if index.get("version") != VERSION:
                raise ValueError(f"version {index.get('version')!r}; this tapeflow reads "
                                 f"version {VERSION}")
            values = {}
            for entry in index["variables"]:
                value = archive[entry["array"]]
                if list(value.shape) != entry["shape"] or value.dtype.name != entry["dtype"]:
                    raise ValueError(f"{entry['name']} is stored as {value.dtype.name}"
                                     f"{list(value.shape)}, its index says {entry['dtype']}"
                                     f"{entry['shape']}")
                values[entry["name"]] = value
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, KeyError, TypeError,
            OSError, EOFError, UnicodeDecodeError) as e:
        raise CheckpointError(
            f"checkpoint {target!r} is truncated, corrupt or not a tapeflow checkpoint: "
            f"{type(e).__name__}: {e}") from None
    return values


def restore_values(path: str, variables: dict[str, Variable]) -> list[str]:
    """Assign each variable its saved value, after checking all of them; returns the saved
    names no variable took (for `assert_consumed`)."""
    saved = read_file(path)
    problems = []
    for name, variable in variables.items():
        if name not in saved:
            problems.append(f"{name} ({variable.aval}) is not in the checkpoint")
            continue
        value = saved[name]
        aval = variable.aval
        if value.shape != tuple(aval.shape) or value.dtype != aval.dtype:
            problems.append(f"{name}: the checkpoint has {value.dtype.name}{list(value.shape)}, "
                            f"the variable is {aval.dtype.name}{list(aval.shape)}")
    if problems:
        raise CheckpointError(
            f"cannot restore {os.fspath(path)!r} (nothing was assigned): "
            + "; ".join(problems))
    for name, variable in variables.items():
        variable.assign(saved[name])
    return [name for name in saved if name not in variables]


# --------------------------------------------------------------------------------------------
# tf.train.Checkpoint
# --------------------------------------------------------------------------------------------


class LoadStatus:
    """What `restore` returns: every variable of the objects was restored (or restore
    raised); names in the file that no object took are listed by `assert_consumed`."""

    def __init__(self, path: str | None, unused: list[str]):
        self.path = path
        self.unused = unused

    def assert_consumed(self) -> "LoadStatus":
        if self.unused:
            raise AssertionError(
                f"checkpoint {self.path!r} has values no object took: {', '.join(self.unused)} "
                "(create those variables before restoring, e.g. build the optimizer)")
        return self

    def assert_existing_objects_matched(self) -> "LoadStatus":
        return self  # restore raises when an existing variable has no value

    def assert_nontrivial_match(self) -> "LoadStatus":
        return self

    def expect_partial(self) -> "LoadStatus":
        return self

    def run_restore_ops(self, session=None) -> None:
        return None


class Checkpoint:
    """`tf.train.Checkpoint(model=..., optimizer=..., ...)`: saves and restores the
    variables reachable from its keyword arguments (the module docstring has the walk and
    the file format). `save_counter` counts `save` calls and is saved with them."""

    def __init__(self, root=None, **kwargs):
        children = dict(kwargs)
        if root is not None:
            children["root"] = root
        for name, child in children.items():
            if isinstance(child, _NOT_STATE) and not isinstance(child, Variable):
                raise InvalidArgumentError(
                    f"Checkpoint: {name}= is a {type(child).__name__}, which holds no "
                    "variables; pass Variables, tf.Modules, Keras models or optimizers, or "
                    "objects with variables as attributes")
        self._children = children
        # Made on first use (a `save`, a read of the attribute, or restoring a file that has
        # one), as TF does: a checkpoint only ever `write`n holds the objects' variables alone.
        self._save_counter: Variable | None = None

    @property
    def save_counter(self) -> Variable:
        """How many times `save` ran (a Variable, saved with the checkpoint once made)."""
        if self._save_counter is None:
            self._save_counter = Variable(np.int64(0), trainable=False, name="save_counter")
        return self._save_counter

    def __getattr__(self, name):
        children = self.__dict__.get("_children", {})
        if name in children:
            return children[name]
        raise AttributeError(f"'Checkpoint' object has no attribute {name!r}")

    def _variables(self) -> dict[str, Variable]:
        counter = {} if self._save_counter is None else {"save_counter": self._save_counter}
        return named_variables({**self._children, **counter})

    def write(self, file_prefix, options=None) -> str:
        """Save to exactly `file_prefix` (its `.npz` file); returns the path to restore."""
        return write_file(os.fspath(file_prefix), self._variables())

    def save(self, file_prefix, options=None) -> str:
        """Save to `{file_prefix}-{n}` for the n-th save, and record it as the latest
        checkpoint of its directory; returns that path."""
        self.save_counter.assign_add(np.int64(1))
        path = f"{os.fspath(file_prefix)}-{int(self.save_counter.numpy())}"
        try:
            self.write(path)
        except BaseException:
            self.save_counter.assign_sub(np.int64(1))
            raise
        _record_checkpoint(path)
        return path

    def read(self, save_path, options=None) -> LoadStatus:
        """Restore a checkpoint that `write` made."""
        return self.restore(save_path)

    def restore(self, save_path, options=None) -> LoadStatus:
        """Assign every variable of the objects its saved value, after checking them all
        (names, shapes, dtypes, the file): on any error nothing is assigned. `None`
        restores nothing (as TF does for a directory without checkpoints)."""
        if save_path is None:
            return LoadStatus(None, [])
        if "save_counter" in read_file(os.fspath(save_path)):
            self.save_counter  # noqa: B018 - made, so that the saved count is restored
        unused = restore_values(os.fspath(save_path), self._variables())
        if unused:
            # TF defers such values until the variables exist; here they would be lost
            # silently (an unbuilt model restores nothing), so say so.
            warnings.warn(
                f"checkpoint {os.fspath(save_path)!r} has values no variable took: "
                f"{', '.join(unused[:8])}{' ...' if len(unused) > 8 else ''}. Create the "
                "variables before restoring (call the model once, optimizer.build(var_list))",
                CheckpointWarning, stacklevel=2)
        return LoadStatus(os.fspath(save_path), unused)


# --------------------------------------------------------------------------------------------
# The directory's record of checkpoints (tf.train.latest_checkpoint)
# --------------------------------------------------------------------------------------------


def read_state(directory: str) -> dict:
    """The directory's record: {"latest": path or None, "all": [paths, oldest first]}."""
    try:
        with open(os.path.join(directory, STATE_FILE), encoding="utf-8") as f:
            state = json.load(f)
    except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
        return {"latest": None, "all": []}
    names = [n for n in state.get("all", []) if isinstance(n, str)]
    latest = state.get("latest") if isinstance(state.get("latest"), str) else None
    return {"latest": _in(directory, latest) if latest else None,
            "all": [_in(directory, n) for n in names]}


def _in(directory: str, name: str) -> str:
    return name if os.path.isabs(name) else os.path.join(directory, name)


def write_state(directory: str, latest: str | None, paths: list[str]) -> None:
    rel = [os.path.relpath(p, directory) for p in paths]
    state = {"latest": os.path.relpath(latest, directory) if latest else None, "all": rel}
    text = json.dumps(state, indent=1).encode("utf-8")
    _atomic_write(os.path.join(directory, STATE_FILE), lambda f: f.write(text))


def _record_checkpoint(path: str) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    state = read_state(directory)
    paths = [p for p in state["all"] if os.path.abspath(p) != os.path.abspath(path)]
    write_state(directory, os.path.abspath(path), paths + [os.path.abspath(path)])


def latest_checkpoint(checkpoint_dir, latest_filename=None) -> str | None:
    """The path of the newest checkpoint `save` recorded in `checkpoint_dir`, or None."""
    latest = read_state(os.fspath(checkpoint_dir))["latest"]
    return latest if latest is not None and os.path.exists(file_of(latest)) else None


# --------------------------------------------------------------------------------------------
# Reading a checkpoint without objects (tf.train.list_variables, load_variable)
# --------------------------------------------------------------------------------------------

# TensorFlow's key for a variable's value under an object path, and the entry that holds its
# object graph: what tf.train.list_variables shows of a TensorFlow checkpoint.
VALUE_SUFFIX = "/.ATTRIBUTES/VARIABLE_VALUE"
OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"


def _checkpoint_file(ckpt_dir_or_file, op: str) -> str:
    path = os.fspath(ckpt_dir_or_file)
    if os.path.isdir(path):
        latest = latest_checkpoint(path)
        if latest is None:
            raise FileNotFoundError(f"{op}: the directory {path!r} holds no checkpoint that "
                                    "tf.train.Checkpoint.save recorded")
        return latest
    return path


def list_variables(ckpt_dir_or_file) -> list[tuple[str, list[int]]]:
    """`[(key, shape)]` of a checkpoint (a file prefix, or a directory: its latest), sorted,
    with TensorFlow's keys: `model/dense/w/.ATTRIBUTES/VARIABLE_VALUE` for the variable at
    `model/dense/w`, and the `_CHECKPOINTABLE_OBJECT_GRAPH` entry (shape [])."""
    saved = read_file(_checkpoint_file(ckpt_dir_or_file, "list_variables"))
    entries = [(name + VALUE_SUFFIX, list(value.shape)) for name, value in saved.items()]
    return sorted(entries + [(OBJECT_GRAPH_KEY, [])])


def load_variable(ckpt_dir_or_file, name: str) -> np.ndarray:
    """The saved value of one variable, by its path (`model/dense/w`) or TensorFlow's key."""
    path = _checkpoint_file(ckpt_dir_or_file, "load_variable")
    saved = read_file(path)
    key = name[:-len(VALUE_SUFFIX)] if name.endswith(VALUE_SUFFIX) else name
    if key not in saved:
        raise KeyError(f"load_variable: {name!r} is not in checkpoint {path!r}; it holds "
                       f"{', '.join(sorted(saved)) or 'nothing'}")
    return saved[key]

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
- any other object (a `tf.Module`, a user class) by its attributes (`vars(obj)`), under
  their own names (`_b` stays `_b`, as in TensorFlow's keys), in assignment order;
  functions, modules, classes, tensors, arrays and other plain values are not state and
  are skipped;
- an object reached twice (a variable shared by two layers, the model's variables held by an
  optimizer) is saved once, under its shortest path (the walk is breadth first, as
  TensorFlow's), the first in that order among equally short ones.

Restoring assigns the variables that exist; a value whose variable is not made yet (a model
not built, an optimizer before its first step) waits and is assigned when the variable is
created (deferred.py), as in TensorFlow. Variables the checkpoint has no value for keep
theirs (`assert_existing_objects_matched` reports them).

The file format (version 2; version 1 named private attributes without their leading `_`
and is still read): one numpy `.npz` archive (a zip of `.npy` arrays, each with its
CRC) holding the arrays `v0`, `v1`, ... and `index`, a uint8 array of UTF-8 JSON:
`{"format": "tapeflow-checkpoint", "version": 1, "variables": [{"name": "model/dense/kernel",
"array": "v0", "shape": [3, 2], "dtype": "float32"}, ...]}`. It is written to a temporary
file in the target directory, flushed and fsynced, then renamed over the target, so a reader
sees the old file or the new one, never half of one. `save` also keeps a small JSON file
`checkpoint` in the directory naming the checkpoints it made (for `latest_checkpoint`).

`restore` reads and checks the whole file first (every variable present in both, with its
shape and dtype; the archive intact) and only then assigns, so a failed restore changes
nothing. Assigning a restored value is an ordinary `Variable.assign` of the same shape and
dtype: a compiled step that reads those variables is not traced again.
"""

from __future__ import annotations

import collections
import io
import json
import os
import tempfile
import types
import zipfile

import numpy as np

from tapeflow.checkpoint import deferred
from tapeflow.ops import errors
from tapeflow.ops.core import InvalidArgumentError
from tapeflow.tracer import variable as variable_module
from tapeflow.tracer.tensor import Tensor
from tapeflow.tracer.variable import Variable

FORMAT = "tapeflow-checkpoint"
VERSION = 2
READABLE_VERSIONS = (1, 2)
SUFFIX = ".npz"
STATE_FILE = "checkpoint"


class CheckpointError(InvalidArgumentError):
    """A checkpoint that cannot be restored: unreadable, or not matching the objects."""


class CheckpointWarning(UserWarning):
    """Kept for code that filters it; restores no longer warn (values wait, as in TF)."""


class NotFoundError(errors.NotFoundError, FileNotFoundError):
    """No checkpoint file at the path: TensorFlow's NotFoundError, and a FileNotFoundError
    for code that catches that."""

    def __init__(self, message: str):
        super().__init__(None, None, message)


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
    # Breadth first, as TensorFlow's object graph: a shared object is named by its
    # shortest path (`h/z`, not `h/a/kernel`, when h.z and h.a.kernel are one variable).
    queue = collections.deque(root.items())
    while queue:
        path, obj = queue.popleft()
        if id(obj) in seen:
            continue
        if isinstance(obj, Variable):
            seen.add(id(obj))
            found[path] = obj
            continue
        if isinstance(obj, _NOT_STATE):
            continue
        seen.add(id(obj))
        queue.extend((f"{path}/{name}" if path else name, child)
                     for name, child in _children(obj))
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
    # Under their own names: stripping the leading "_" (as version 1 did) differs from
    # TF's keys and made `_b` and `__b` collide.
    return list(attributes.items())


def _legacy_name(path: str) -> str:
    """A path as version 1 files named it (private attributes without their "_")."""
    return "/".join(part.lstrip("_") or part for part in path.split("/"))


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


def read_file(path: str, with_version: bool = False):
    """Name -> saved array of a checkpoint file, every array read and checked (CRC, shape
    and dtype against the index); a clear CheckpointError otherwise. `with_version`:
    (values, the file's format version)."""
    target = file_of(path)
    if not os.path.exists(target):
        raise NotFoundError(f"checkpoint {os.fspath(path)!r}: no file {target!r}")
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
            if index.get("version") not in READABLE_VERSIONS:
                raise ValueError(f"version {index.get('version')!r}; this tapeflow reads "
                                 f"versions {READABLE_VERSIONS}")
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
    return (values, index["version"]) if with_version else values


def restore_values(saved: dict[str, np.ndarray], variables: dict[str, Variable]) -> list[str]:
    """Assign each variable its saved value, after checking that every one present in both
    fits (TF's ValueError for a shape, InvalidArgumentError for a dtype: then nothing is
    assigned); returns the names of the variables the checkpoint has no value for."""
    for name, variable in variables.items():
        if name in saved:
            deferred.check_fits(name, saved[name], variable)
    for name, variable in variables.items():
        if name in saved:
            variable.assign(saved[name])
    return [name for name in variables if name not in saved]


# --------------------------------------------------------------------------------------------
# tf.train.Checkpoint
# --------------------------------------------------------------------------------------------


class CheckpointLoadStatus:
    """What `restore` returns (TensorFlow's class name). The variables that existed were
    assigned; values whose variables did not exist yet wait for them (`unused` lists those
    still waiting); `missing` names existing variables the checkpoint had no value for."""

    def __init__(self, path: str | None, pending: deferred.Pending | None = None,
                 missing: list[str] | None = None):
        self.path = path
        self._pending = pending
        self.missing = list(missing or [])

    @property
    def unused(self) -> list[str]:
        if variable_module.deferred.dirty:  # variables made since: let them take theirs
            deferred.apply_waiting()
        return sorted(self._pending.values) if self._pending is not None else []

    def assert_consumed(self) -> "CheckpointLoadStatus":
        """Every saved value was assigned, and every variable got one."""
        if self.unused:
            raise AssertionError(
                f"checkpoint {self.path!r} has values no variable took yet: "
                f"{', '.join(self.unused)} (they are assigned when their variables are "
                "created: build the model, take an optimizer step)")
        return self.assert_existing_objects_matched()

    def assert_existing_objects_matched(self) -> "CheckpointLoadStatus":
        """Every variable that existed at restore time got a value."""
        if self.missing:
            raise AssertionError(f"checkpoint {self.path!r} has no value for "
                                 f"{', '.join(self.missing)}")
        return self

    def assert_nontrivial_match(self) -> "CheckpointLoadStatus":
        return self

    def expect_partial(self) -> "CheckpointLoadStatus":
        return self

    def run_restore_ops(self, session=None) -> None:
        return None


LoadStatus = CheckpointLoadStatus  # the name earlier tapeflow versions exported


class InitializationOnlyStatus(CheckpointLoadStatus):
    """What `restore(None)` returns, as TensorFlow's: nothing was restored."""

    def __init__(self):
        super().__init__(None)


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
        return named_variables(self._roots())

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

    def restore(self, save_path, options=None) -> CheckpointLoadStatus:
        """Assign every existing variable of the objects its saved value, after checking
        them all (shapes, dtypes, the file): on any error nothing is assigned. Values
        whose variables do not exist yet are assigned when they are created (a model built
        later, an optimizer's slots at its first step), as TensorFlow's deferred
        restoration. `None` restores nothing (as TF does for a directory without
        checkpoints)."""
        if save_path is None:
            return InitializationOnlyStatus()
        path = os.fspath(save_path)
        saved, version = read_file(path, with_version=True)
        if "save_counter" in saved:
            self.save_counter  # noqa: B018 - made, so that the saved count is restored
        variables = self._variables()
        if version == 1:
            saved = _renamed_legacy(saved, variables)
        missing = restore_values(saved, variables)
        pending = deferred.Pending(self, self._roots(),
                                   {n: v for n, v in saved.items() if n not in variables},
                                   path)
        deferred.wait(pending)
        return CheckpointLoadStatus(path, pending, missing)

    def _roots(self) -> dict:
        counter = {} if self._save_counter is None else {"save_counter": self._save_counter}
        return {**self._children, **counter}


def _renamed_legacy(saved: dict, variables: dict) -> dict:
    """A version 1 file's values under today's names, where only the old naming (private
    attributes without their "_") finds them."""
    renamed = dict(saved)
    for name in variables:
        old = _legacy_name(name)
        if name not in saved and old in saved:
            renamed[name] = renamed.pop(old)
    return renamed


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
            raise NotFoundError(f"{op}: the directory {path!r} holds no checkpoint that "
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

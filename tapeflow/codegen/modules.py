"""Generated modules in this process: executing them, sharing them by name, freeing them.

    module = execute(name, source, filename)   # runs `source` as module `name`
    live.get(name)                             # the module, while it lives

A module lives while anything holds it; when it dies, its namespace is cleared as soon as no
function defined in it is referenced from outside it (checked then, at each later load and
after each garbage collection). That step is needed: a Numba dispatcher and its module's
namespace form a reference cycle through Numba's C code that the garbage collector cannot
see, so every compiled kernel would otherwise stay in memory for good (about 2 MB a
specialisation, measured here). Holding the module is the simple way to keep its functions
usable.

`sys.modules` holds a stand-in while the namespace lives: Numba imports a module by name to
rebuild a cached function's globals, and the stand-in gives it the namespace without keeping
the module object alive (a weak proxy there broke tools that hash `sys.modules`' values).
"""

from __future__ import annotations

import gc
import os
import sys
import threading
import types
import weakref

# Modules loaded in this process, by name, while something holds them.
live: weakref.WeakValueDictionary[str, types.ModuleType] = weakref.WeakValueDictionary()
# Namespaces of modules that died while a function of theirs was still in use.
_dying: list[tuple[str, dict, types.ModuleType]] = []
_lock = threading.RLock()  # around _dying, which a garbage collection may visit


def execute(name: str, source: str, filename: str) -> types.ModuleType:
    """Run `source` as module `name`; leaves no trace when it raises or is interrupted.
    Registered in sys.modules as itself while it runs, then through a stand-in."""
    code = compile(source, filename, "exec", dont_inherit=True)
    module = types.ModuleType(name)
    if not filename.startswith("<"):
        module.__file__ = filename
    try:
        live[name] = module
        sys.modules[name] = module
        exec(code, module.__dict__)  # noqa: S102 - the source was rendered or verified above
        stand_in = _StandIn(module.__dict__)
        weakref.finalize(module, _release, name, module.__dict__, stand_in).atexit = False
        sys.modules[name] = stand_in
    except BaseException:
        if live.get(name) is module:
            del live[name]
        if sys.modules.get(name) is module:
            del sys.modules[name]
        raise
    return module


class _StandIn(types.ModuleType):
    """What sys.modules holds for a generated module: the module's namespace (what Numba
    reads), without the module object (whose death starts the release)."""

    def __init__(self, namespace: dict):
        super().__init__(namespace["__name__"], namespace.get("__doc__"))
        self.__tapeflow_namespace__ = namespace

    @property
    def __dict__(self):
        return self.__tapeflow_namespace__

    def __getattr__(self, attribute: str):
        try:
            return self.__tapeflow_namespace__[attribute]
        except KeyError:
            raise AttributeError(attribute) from None


def _release(name: str, namespace: dict, stand_in: _StandIn) -> None:
    """The module `name` died: free its namespace once its functions are unused."""
    with _lock:
        _dying.append((name, namespace, stand_in))
    free_unused()


def free_unused() -> None:
    """Clear the namespaces of dead modules whose functions nobody uses any more."""
    with _lock:
        pending = _dying[:]
        del _dying[:]
        kept = []
        for name, namespace, stand_in in pending:
            if _in_use(namespace):
                kept.append((name, namespace, stand_in))
                continue
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]
            namespace.clear()  # (may end other modules: they join _dying meanwhile)
        _dying[:0] = kept


def _in_use(namespace: dict) -> bool:
    """Whether a function (or Numba dispatcher) defined in `namespace` is referenced from
    anywhere but the namespace."""
    for key in [k for k, v in namespace.items() if _defined_in(v, namespace)]:
        # References when unused: the namespace's, and getrefcount's argument.
        if sys.getrefcount(namespace[key]) > 2:
            return True
    return False


def _defined_in(value, namespace: dict) -> bool:
    function = getattr(value, "py_func", value)  # a Numba dispatcher's Python function
    return isinstance(function, types.FunctionType) and function.__globals__ is namespace


def _after_collection(phase: str, info: dict) -> None:
    if phase == "stop" and _dying and _lock.acquire(blocking=False):
        try:
            free_unused()
        finally:
            _lock.release()


gc.callbacks.append(_after_collection)


def _reset_lock_in_child() -> None:
    global _lock
    _lock = threading.RLock()  # a fork while another thread held it must not deadlock


os.register_at_fork(after_in_child=_reset_lock_in_child)

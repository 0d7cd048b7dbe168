"""`tf.Module`: variables found recursively in attributes (Keras layers build on it)."""

from __future__ import annotations

import functools
import itertools
import re
import sys

from tapeflow.tracer.name_scope import name_scope as _name_scope
from tapeflow.tracer.variable import Variable


_IDENTIFIER = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


class Module:
    """A container of variables: `variables` and `trainable_variables` are found recursively
    in attributes, lists, tuples and dicts (in TensorFlow's order, without duplicates)."""

    # tf.Module's rule for names; Keras layers (which allow more) turn it off.
    _names_are_identifiers = True

    def __init__(self, name=None):
        if (name is not None and self._names_are_identifiers
                and not _IDENTIFIER.match(str(name))):
            raise ValueError(f"{name!r} is not a valid module name. Module names must be "
                             "valid Python identifiers (e.g. a valid class name).")
        self._name = name or snake_case(type(self).__name__)
        # The scope the module was built in, kept absolute ("outer/name/"), as TensorFlow's.
        with _name_scope(self._name) as scope:
            self._scope_name = scope

    @property
    def name(self) -> str:
        return self._name

    @property
    def name_scope(self) -> _name_scope:
        """`with module.name_scope:` prefixes variables made inside with the module's name."""
        scope = getattr(self, "_scope_name", None) or f"{self.name}/"
        return _name_scope(scope)

    @classmethod
    def with_name_scope(cls, method):
        """A decorator: the method runs inside its module's name scope."""
        @functools.wraps(method)
        def in_scope(self, *args, **kwargs):
            with self.name_scope:
                return method(self, *args, **kwargs)
        return in_scope

    @property
    def variables(self) -> tuple[Variable, ...]:
        return tuple(self._flatten(predicate=lambda x: isinstance(x, Variable)))

    @property
    def trainable_variables(self) -> tuple[Variable, ...]:
        return tuple(self._flatten(predicate=lambda x: isinstance(x, Variable) and x.trainable))

    @property
    def non_trainable_variables(self) -> tuple[Variable, ...]:
        return tuple(self._flatten(
            predicate=lambda x: isinstance(x, Variable) and not x.trainable))

    @property
    def submodules(self) -> tuple[Module, ...]:
        return tuple(self._flatten(predicate=lambda x: isinstance(x, Module)))

    def _flatten(self, recursive=True, predicate=None, attribute_traversal_key=None,
                 with_path=False, expand_composites=False):
        """TF's `tf.Module._flatten`: a generator of the leaves of the module's attributes
        that `predicate` keeps (all, without one), in TensorFlow's order: a module's own
        attributes first (by name, or by `attribute_traversal_key` of the name; lists in
        order, dicts by key), then, with `recursive`, each submodule the same way, depth
        first. Every object appears once. `with_path`: (path, leaf) pairs, the path the
        attribute names and list indices / dict keys leading to the leaf.
        (`expand_composites` is accepted: tapeflow has no composite tensors to expand.)"""
        keep = predicate if predicate is not None else (lambda _: True)
        return _flatten_module(self, (), recursive, keep, attribute_traversal_key,
                               with_path, {id(self)})

    def _attributes(self):
        return [value for _, value in self._named_attributes()]

    def _named_attributes(self, key=None):
        """(name, value) of the attributes searched for variables and submodules.
        tf.Module lists them by attribute name, so the order never depends on the order
        of assignments in __init__."""
        items = [(k, v) for k, v in vars(self).items() if k not in ("_name", "_scope_name")]
        return sorted(items, key=(lambda kv: key(kv[0])) if key is not None
                      else (lambda kv: kv[0]))


def _flatten_module(module, path, recursive, keep, key, with_path, seen):
    if type(module)._attributes is not Module._attributes:
        # (Keras layers order their attributes themselves: named by position.)
        named = [(str(i), v) for i, v in enumerate(module._attributes())]
    else:
        named = module._named_attributes(key)
    submodules = []
    for name, value in named:
        for leaf_path, leaf in _leaves_with_paths(value):
            if id(leaf) in seen:
                continue
            seen.add(id(leaf))
            full = path + (name, *leaf_path)
            if keep(leaf):
                yield (full, leaf) if with_path else leaf
            if recursive and isinstance(leaf, Module):
                submodules.append((full, leaf))
    # Depth first over submodules, as TF recurses into each before the next.
    for sub_path, sub in submodules:
        yield from _flatten_module(sub, sub_path, recursive, keep, key, with_path, seen)


def _leaves_with_paths(value, path=()):
    """`value` flattened as tf.nest does (lists and tuples in order, dicts by sorted key),
    each leaf with the indices and keys leading to it."""
    if isinstance(value, dict):
        for k in sorted(value, key=str):
            yield from _leaves_with_paths(value[k], path + (k,))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from _leaves_with_paths(item, path + (i,))
    else:
        yield path, value


def snake_case(name: str) -> str:
    """Default names from class names, as TensorFlow and Keras make them: Dense -> dense,
    MyModule -> my_module, MLP -> mlp, BatchNormalization -> batch_normalization."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


# Keras names layers dense, dense_1, dense_2, ... per process.
_layer_counts: dict[str, itertools.count] = {}


def _unique_layer_name(base: str) -> str:
    n = next(_layer_counts.setdefault(base, itertools.count()))
    return base if n == 0 else f"{base}_{n}"


def module_scope() -> str:
    """The tf.Module / Keras layer calls on the stack, outermost first: `sequential/dense_1`
    ("" when there are none). A frame counts when it runs a module's `__call__` or `call`
    (its `self` is a Module); a layer's `__call__` calling its own `call` counts once."""
    names, last = [], None
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name in ("__call__", "call"):
            owner = frame.f_locals.get("self")
            if isinstance(owner, Module) and owner is not last:
                # A subclass that never called Module.__init__ has no name of its own.
                names.append(getattr(owner, "_name", None) or snake_case(type(owner).__name__))
                last = owner
        frame = frame.f_back
    return "/".join(reversed(names))

"""A `@tapeflow.function` method, seen per instance as TensorFlow shows it.

TF's tf.function is a descriptor that makes one Function per instance: `a.f is a.f`, and
`a.f` and `b.f` count their traces apart (`a.f.experimental_get_tracing_count()` is 1 after
a's first call, whatever b did), a's first trace is no "retrace" of b's, and the class's own
Function (`M.f`) has traced nothing. tapeflow keeps one Function per method (its paths are
keyed by the instance anyway, so nothing is traced twice or shared wrongly) and keeps here
what TF keeps per instance: the bound object, the trace count and the last signature, which
the retrace warning compares the new one with.

A method here is a function whose first parameter is named `self` (TF's rule for an
input_signature's alignment, signature.py); instances that cannot be weakly referenced get
a bound object per attribute access and are counted with the class's Function.
"""

from __future__ import annotations

import weakref


class _State:
    __slots__ = ("count", "last_key", "bound")

    def __init__(self):
        self.count = 0
        self.last_key = None
        self.bound = None  # a weak reference to the bound object handed out


class InstanceTraces:
    def __init__(self, parameters):
        names = list(parameters)
        self._self_name = names[0] if names and names[0] == "self" else None
        self._states: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self.attributed = 0  # traces counted for an instance (also of instances now gone)

    def _state(self, instance, create: bool) -> _State | None:
        try:
            state = self._states.get(instance)
            if state is None and create:
                state = self._states[instance] = _State()
        except TypeError:  # not weakly referenceable (or not hashable)
            return None
        return state

    def instance_of(self, arguments: dict):
        """The instance a trace with these bound arguments runs for, or None."""
        if self._self_name is None:
            return None
        return arguments.get(self._self_name)

    def bound(self, function, instance, make):
        """The object `instance.f` gives: made once per instance (`a.f is a.f`)."""
        state = self._state(instance, create=True)
        if state is None:
            return make(function, instance)
        bound = state.bound() if state.bound is not None else None
        if bound is None:
            bound = make(function, instance)
            state.bound = weakref.ref(bound)
        return bound

    def tracks(self, instance) -> bool:
        """Whether `instance`'s traces are kept apart (a method call on an instance that can
        be weakly referenced); other calls count with the Function."""
        if instance is None or self._self_name is None:
            return False
        try:
            weakref.ref(instance)
            hash(instance)
        except TypeError:
            return False
        return True

    def count(self, instance) -> int:
        """The traces made for a tracked instance."""
        state = self._state(instance, create=False)
        return state.count if state is not None else 0

    def last_key(self, instance, default):
        """The signature of a tracked instance's last trace (None before its first);
        `default` (the Function's last) for any other call."""
        if not self.tracks(instance):
            return default
        state = self._state(instance, create=False)
        return state.last_key if state is not None else None

    def traces_before(self, instance, default: int) -> int:
        """How many traces a tracked instance had; `default` (the Function's) otherwise."""
        return self.count(instance) if self.tracks(instance) else default

    def note(self, instance, key) -> None:
        """One more trace, for `instance` (None: not a method call)."""
        state = self._state(instance, create=True) if instance is not None else None
        if state is None:
            return
        state.count += 1
        state.last_key = key
        self.attributed += 1

    def snapshot(self):
        return self.attributed, {k: (s.count, s.last_key) for k, s in self._states.items()}

    def restore(self, snapshot) -> None:
        self.attributed, saved = snapshot
        for instance, state in list(self._states.items()):
            state.count, state.last_key = saved.get(instance, (0, None))


class BoundFunction:
    """What `instance.f` is for a decorated method `f` (one per instance, InstanceTraces.bound):
    calls pass the instance as `self`, which is part of the signature; the tracing count is
    this instance's."""

    def __init__(self, function, instance):
        self._function = function
        self._instance = instance

    def __call__(self, *args, **kwargs):
        return self._function(self._instance, *args, **kwargs)

    def get_concrete_function(self, *args, **kwargs):
        return self._function.get_concrete_function(self._instance, *args, **kwargs)

    def pretty_printed_concrete_signatures(self, verbose: bool = True) -> str:
        return self._function.pretty_printed_concrete_signatures(verbose)

    def experimental_get_tracing_count(self) -> int:
        """This instance's traces (TF's per-instance Function counts its own); an instance
        that takes no weak reference is counted with the Function."""
        per_instance = self._function._per_instance
        if per_instance.tracks(self._instance):
            return per_instance.count(self._instance)
        return self._function.experimental_get_tracing_count()

    def wait_compiled(self, timeout: float | None = None) -> bool:
        return self._function.wait_compiled(timeout)

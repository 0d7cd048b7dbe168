"""`tf.name_scope`: a prefix for the names of the Variables created inside it.

TensorFlow 2 prefixes a Variable's name with the enclosing scopes, eagerly too:
`with tf.name_scope("a"): tf.Variable(1., name="v")` is named `a/v:0`. Scopes nest
(`a/b/`); a name ending in "/" is an absolute scope, entered as is (tf.Module keeps the scope
it was built in that way). Entering returns the full scope, "a/b/". Each thread has its own
stack of scopes.
"""

from __future__ import annotations

from tapeflow.perthread import PerThreadValue

# This thread's current scope: "" at top level, else "a/b/" (always ending in "/").
_current = PerThreadValue("")


def current_scope() -> str:
    """The prefix for a name created now: "" or "a/b/"."""
    return _current.value


class name_scope:  # TensorFlow's name (lower case)
    """A context manager that prefixes the names of Variables created inside it."""

    def __init__(self, name: str):
        if not isinstance(name, str):
            # TF's ValueError and text (None too: TF 2 has no "reset to the root" scope).
            raise ValueError("name for name_scope must be a string.")
        self._name = name
        self._saved: list[str] = []

    @property
    def name(self) -> str:
        return self._name

    def __enter__(self) -> str:
        outer = _current.value
        if not self._name:
            scope = ""
        elif self._name.endswith("/"):
            scope = self._name  # absolute
        else:
            scope = f"{outer}{self._name}/"
        self._saved.append(outer)
        _current.value = scope
        return scope

    def __exit__(self, *exc) -> None:
        _current.value = self._saved.pop()

    def __repr__(self) -> str:
        return f"<tf.name_scope {self._name!r}>"

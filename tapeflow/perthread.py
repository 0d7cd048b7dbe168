"""State with one value per thread: what is recording, tracing or deciding shapes on a thread
is never seen by another thread (as TF keeps its tapes and graph contexts per thread).

`PerThreadList` behaves as a list whose contents belong to the calling thread. Code on a hot
path reads `.local.items` (one thread-local lookup) instead of going through the methods.
"""

from __future__ import annotations

import threading
from collections.abc import MutableSequence


class _Items(threading.local):
    def __init__(self):
        self.items: list = []  # run once per thread, on its first access


class PerThreadList(MutableSequence):
    """A list whose contents are the calling thread's own."""

    __slots__ = ("local",)

    def __init__(self):
        self.local = _Items()

    def __len__(self) -> int:
        return len(self.local.items)

    def __bool__(self) -> bool:
        return bool(self.local.items)

    def __getitem__(self, index):
        return self.local.items[index]

    def __setitem__(self, index, value) -> None:
        self.local.items[index] = value

    def __delitem__(self, index) -> None:
        del self.local.items[index]

    def __iter__(self):
        return iter(self.local.items)

    def __contains__(self, value) -> bool:
        return value in self.local.items

    def insert(self, index, value) -> None:
        self.local.items.insert(index, value)

    def append(self, value) -> None:
        self.local.items.append(value)

    def remove(self, value) -> None:
        self.local.items.remove(value)

    def index(self, value, *args) -> int:
        return self.local.items.index(value, *args)

    def __repr__(self) -> str:
        return f"PerThreadList({self.local.items!r})"


class PerThreadValue(threading.local):
    """One value per thread, `default` until the thread sets its own."""

    def __init__(self, default):
        self.value = default

"""Fixtures shared by the runtime tests."""

import threading

import pytest

from tapeflow.codegen import compile as cc


@pytest.fixture
def gate(monkeypatch):
    """Holds every compile on the caller's side until `gate.set()`: calls meanwhile run on
    the interpreter (background compilation's first tier)."""
    event = threading.Event()
    original = cc.compile_graph

    def held(*args, **kwargs):
        assert event.wait(60), "the test never opened the gate"
        return original(*args, **kwargs)

    monkeypatch.setattr(cc, "compile_graph", held)
    yield event
    event.set()

"""The output labels read a function's source once, and an interrupted parse costs only the
labels (CPython turns an exception raised inside ast.parse by a signal handler into a
SystemError)."""

import ast
import warnings

import tapeflow as tf
from tapeflow.runtime import labels


def test_the_source_is_parsed_once_per_function(monkeypatch):
    calls = []
    real = ast.parse
    monkeypatch.setattr(labels.ast, "parse", lambda src, *a, **k: calls.append(1) or real(src))
    labels._return_expressions.cache_clear()

    @tf.function
    def f(x):
        loss = x * 2.0
        return loss

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for n in (1, 2, 3):  # three sizes: three traces
            f(tf.ones(n))
    assert len(calls) == 1
    assert labels.result_labels(f, tf.ones(1)) == ["loss"]


def test_a_systemerror_from_an_interrupted_parse_gives_positional_labels(monkeypatch):
    def interrupted(src, *a, **k):
        raise SystemError("AST constructor recursion depth mismatch (before=1, after=3)")

    monkeypatch.setattr(labels.ast, "parse", interrupted)
    labels._return_expressions.cache_clear()

    def g(x):
        total = x + 1.0
        return total

    assert labels.result_labels(g, 1.0) == ["result"]
    monkeypatch.undo()
    assert labels.result_labels(g, 1.0) == ["total"]  # the failure was not cached

"""A `@tapeflow.function` method seen per instance, as TF's Function-per-instance shows it
(tapeflow/runtime/instances.py): `a.f is a.f`, trace counts per instance, no retrace warning
for another instance's first trace, and the class's Function counts no instance's traces."""

from __future__ import annotations

import gc
import warnings

import pytest

import tapeflow as tf
from tapeflow.runtime.function import RetraceWarning


class Scale(tf.Module):
    def __init__(self, k):
        super().__init__()
        self.k = tf.Variable(k)

    @tf.function
    def apply(self, x):
        return x * self.k


def test_counts_are_per_instance_and_the_class_counts_none(quiet_retraces):
    a, b = Scale(2.0), Scale(3.0)
    assert a.apply(tf.constant(1.0)).numpy() == 2.0
    assert b.apply(tf.constant(1.0)).numpy() == 3.0
    assert a.apply(tf.constant(5.0)).numpy() == 10.0
    assert (a.apply.experimental_get_tracing_count(),
            b.apply.experimental_get_tracing_count()) == (1, 1)
    a.apply(tf.constant([1.0, 2.0]))  # a new shape: a's second trace
    assert (a.apply.experimental_get_tracing_count(),
            b.apply.experimental_get_tracing_count()) == (2, 1)
    assert Scale.apply.experimental_get_tracing_count() == 0


def test_the_bound_method_is_one_object_per_instance():
    a, b = Scale(1.0), Scale(1.0)
    assert a.apply is a.apply
    assert a.apply is not b.apply


def test_another_instance_is_not_a_retrace_but_a_new_shape_is():
    a, b = Scale(2.0), Scale(3.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RetraceWarning)
        a.apply(tf.constant(1.0))
        b.apply(tf.constant(1.0))
    with pytest.warns(RetraceWarning, match=r"x: f32\[\] -> f32\[2\]"):
        b.apply(tf.constant([1.0, 2.0]))


def test_a_collected_instance_leaves_the_others_counts_alone():
    a = Scale(2.0)
    a.apply(tf.constant(1.0))
    del a
    gc.collect()
    c = Scale(4.0)
    assert c.apply.experimental_get_tracing_count() == 0
    assert c.apply(tf.constant(1.0)).numpy() == 4.0
    assert c.apply.experimental_get_tracing_count() == 1
    assert Scale.apply.experimental_get_tracing_count() == 0


def test_a_plain_function_still_counts_every_trace(quiet_retraces):
    @tf.function
    def f(x):
        return x + 1.0

    f(tf.constant(1.0))
    f(tf.constant([1.0]))
    assert f.experimental_get_tracing_count() == 2


def test_an_instance_without_weak_references_counts_with_the_class(quiet_retraces):
    class Slotted:
        __slots__ = ("k",)

        def __init__(self, k):
            self.k = k

        @tf.function
        def apply(self, x):
            return x * self.k

    a = Slotted(2.0)
    a.apply(tf.constant(1.0))
    a.apply(tf.constant([1.0, 2.0]))
    # Its traces cannot be kept apart: the bound method reports the class Function's.
    assert a.apply.experimental_get_tracing_count() == 2
    assert Slotted.apply.experimental_get_tracing_count() == 2

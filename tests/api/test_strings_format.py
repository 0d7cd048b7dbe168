"""tf.strings.format: the text TensorFlow 2.21's StringFormat kernel writes (each expected
value below was printed by TF for the same call)."""

import numpy as np
import pytest

import tapeflow as tf

F = tf.strings.format


@pytest.mark.parametrize("call, want", [
    (lambda: F("x={}", [3]), b"x=3"),
    (lambda: F("x={} y={}", (tf.constant(1.5), tf.constant([1, 2, 3]))), b"x=1.5 y=[1 2 3]"),
    (lambda: F("v: {}", tf.range(10)), b"v: [0 1 2 ... 7 8 9]"),
    (lambda: F("v: {}", [tf.range(10)], summarize=2), b"v: [0 1 ... 8 9]"),
    (lambda: F("v: {}", tf.range(10), summarize=-1), b"v: [0 1 2 3 4 5 6 7 8 9]"),
    (lambda: F("{}", tf.constant([1, 2, 3, 4, 5, 6])), b"[1 2 3 4 5 6]"),
    (lambda: F("{}", tf.constant([1, 2, 3, 4, 5, 6, 7]), summarize=0), b"[ ...]"),
    (lambda: F("{}", tf.constant(3.0), summarize=0), b"..."),
    (lambda: F("m: {}", tf.reshape(tf.range(12), [3, 4])),
     b"m: [[0 1 2 3]\n [4 5 6 7]\n [8 9 10 11]]"),
    (lambda: F("m: {}", tf.reshape(tf.range(24.0), [4, 6]), summarize=2),
     b"m: [[0 1 ... 4 5]\n [6 7 ... 10 11]\n [12 13 ... 16 17]\n [18 19 ... 22 23]]"),
    (lambda: F("{}", tf.reshape(tf.range(100), [10, 10]), summarize=1),
     b"[[0 ... 9]\n ...\n [90 ... 99]]"),
    (lambda: F("{}", tf.reshape(tf.range(8), [2, 2, 2]), summarize=1),
     b"[[[0 1]\n  [2 3]]\n\n [[4 5]\n  [6 7]]]"),
    (lambda: F("{}", tf.reshape(tf.range(27), [3, 3, 3]), summarize=1),
     b"[[[0 ... 2]\n  ...\n  [6 ... 8]]\n\n ...\n\n [[18 ... 20]\n  ...\n  [24 ... 26]]]"),
    (lambda: F("e {}", tf.zeros([0])), b"e []"),
    (lambda: F("e {}", tf.zeros([2, 0])), b"e [\n ...]"),
    (lambda: F("s: {}", tf.constant(["ab", "c"])), b's: ["ab" "c"]'),
    (lambda: F("s: {}", tf.constant("hi")), b's: "hi"'),
    (lambda: F("{}", tf.constant(["a\"b", "c\nd"])), b'["a\\"b" "c\\nd"]'),
    (lambda: F("{}", tf.constant(["é\t'x\x01"])), b'["\xc3\xa9\\t\\\'x\\001"]'),
    (lambda: F("b: {}", tf.constant([True, False])), b"b: [1 0]"),
    (lambda: F("f: {}", tf.constant([1.5, 2.25, 1e-8, 1e10])), b"f: [1.5 2.25 1e-08 1e+10]"),
    (lambda: F("f: {}", tf.constant(0.1, tf.float64)), b"f: 0.1"),
    (lambda: F("f: {}", tf.constant(1 / 3)), b"f: 0.333333343"),
    (lambda: F("f: {}", tf.constant([1 / 3, 2 / 3], tf.float64)),
     b"f: [0.33333333333333331 0.66666666666666663]"),
    (lambda: F("{}", tf.constant([1e-5, 123456789.0])), b"[1e-05 123456792]"),
    (lambda: F("{}", tf.constant([100000.0, 1000000.0, 3.0])), b"[100000 1e+06 3]"),
    (lambda: F("{}", tf.constant(-0.0)), b"-0"),
    (lambda: F("{} {}", [tf.constant(np.nan), tf.constant(-np.inf)]), b"nan -inf"),
    (lambda: F("{}", tf.constant(np.array([1.5, 2], np.float16))), b"[1.5 2]"),
    (lambda: F("{}", tf.constant(2**40, tf.int64)), b"1099511627776"),
    (lambda: F("{}", tf.constant([1 + 2j, 0.5 - 1j])), b"[? ?]"),
    (lambda: F("{}", tf.Variable([1.0, 2.0])), b"[1 2]"),
    (lambda: F("a <> b <>", [1, 2], placeholder="<>"), b"a 1 b 2"),
    (lambda: F("{{}}", [1]), b"{1}"),
    (lambda: F("no placeholder", []), b"no placeholder"),
    (lambda: F("{} {}", [[1, 2], 3]), b"[1 2] 3"),
])
def test_format_text_is_tensorflows(call, want):
    out = call()
    assert out.dtype == tf.string and out.shape == ()
    assert out.numpy() == want


@pytest.mark.parametrize("args, error, match", [
    (("{} {}", [1]), ValueError, "The template expects 2 tensors, but the inputs only has 1"),
    (("{}", [1, 2]), ValueError, "The template expects 1 tensors, but the inputs only has 2"),
    (("{}", 3), TypeError, "has no len"),
])
def test_format_placeholder_count_errors(args, error, match):
    with pytest.raises(error, match=match):
        F(*args)


def test_format_is_eager_only_for_traced_values():
    @tf.function
    def f(x):
        return F("{}", x)

    with pytest.raises(TypeError, match=r"strings.format: .* inputs\[0\] depends on the "
                                        "arguments"):
        f(tf.constant([1, 2]))

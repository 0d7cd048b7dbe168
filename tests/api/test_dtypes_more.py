"""TensorFlow's other dtypes: float16, bfloat16, 8/16-bit and unsigned integers, complex,
string. Eager everywhere; compiled code runs them on the interpreter and says why."""

import warnings

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.runtime.backends import CompileFallbackWarning

NUMERIC = ["float16", "int8", "int16", "uint8", "uint16", "uint32", "uint64", "complex64",
           "complex128"]


@pytest.mark.parametrize("name", NUMERIC)
def test_each_dtype_makes_tensors_and_prints_its_name(name):
    dt = getattr(tf, name)
    t = tf.constant([1, 2], dtype=dt)
    assert t.dtype == dt and t.dtype.name == name
    assert t.numpy().dtype == np.dtype(name)
    assert f"dtype={name}" in str(t)
    assert tf.dtypes.as_dtype(name) is dt


def test_arithmetic_keeps_the_dtype():
    x = tf.constant([1, 250], dtype=tf.uint8)
    assert (x + 3).dtype == tf.uint8
    h = tf.constant([0.5, 1.5], dtype=tf.float16)
    np.testing.assert_array_equal((h * 2).numpy(), np.array([1.0, 3.0], np.float16))
    c = tf.constant([1 + 2j])
    assert c.dtype == tf.complex128 and (c * c).numpy()[0] == -3 + 4j


def test_casts_between_new_and_old_dtypes():
    x = tf.cast(tf.constant([1.7, -2.2]), tf.int8)
    np.testing.assert_array_equal(x.numpy(), np.array([1, -2], np.int8))
    assert tf.cast(x, tf.float32).dtype == tf.float32


def test_dtype_properties():
    assert tf.uint8.is_integer and tf.uint8.is_unsigned and tf.uint8.max == 255
    assert not tf.bool.is_unsigned and not tf.int8.is_unsigned  # as TF: bool is not unsigned
    assert tf.int8.min == -128 and tf.int16.max == 32767
    assert tf.float16.is_floating and tf.float16.max == np.finfo(np.float16).max
    assert tf.complex64.is_complex and not tf.complex64.is_floating
    assert tf.complex64.real_dtype == tf.float32 and tf.complex128.real_dtype == tf.float64
    assert tf.half is tf.float16 and tf.double is tf.float64
    with pytest.raises(TypeError):
        tf.string.max


def test_float16_is_differentiable():
    x = tf.Variable(tf.constant([1.0, 2.0], dtype=tf.float16))
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(x * x)
    g = tape.gradient(y, x)
    assert g.dtype == tf.float16
    np.testing.assert_array_equal(g.numpy(), np.array([2.0, 4.0], np.float16))


def test_mixing_new_dtypes_is_a_clear_error():
    with pytest.raises(TypeError, match="uint8.*int32|int32.*uint8"):
        tf.constant([1], dtype=tf.uint8) + tf.constant([1])
    with pytest.raises(TypeError, match="imaginary"):
        tf.constant(1 + 1j, dtype=tf.float32)


def test_bfloat16_with_ml_dtypes():
    pytest.importorskip("ml_dtypes")
    b = tf.constant([1.5, 2.7], dtype=tf.bfloat16)
    assert b.dtype.name == "bfloat16" and b.dtype.is_floating
    assert repr(b).endswith("dtype=bfloat16)>")
    assert float((b * 2).numpy()[0]) == 3.0
    assert tf.bfloat16.max > 3e38


def test_a_compiled_function_on_an_uncompiled_dtype_runs_on_the_interpreter_and_says_why():
    f = tf.function(lambda a: a * 2, backend="numba")
    f(tf.constant([1, 2], dtype=tf.uint8))  # the trace
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        out = f(tf.constant([3, 4], dtype=tf.uint8))
    np.testing.assert_array_equal(out.numpy(), [6, 8])
    (warning,) = [w for w in record if issubclass(w.category, CompileFallbackWarning)]
    assert "uint8" in str(warning.message) and "argument a" in str(warning.message)


# ---- strings -------------------------------------------------------------------------------


def test_string_tensors_print_as_tensorflows():
    t = tf.constant("wolf")
    assert t.dtype == tf.string and t.shape == ()
    assert repr(t) == "<tf.Tensor: shape=(), dtype=string, numpy=b'wolf'>"
    assert str(tf.constant(["a", "bc"])) == "tf.Tensor([b'a' b'bc'], shape=(2,), dtype=string)"
    assert t.numpy() == b"wolf"
    assert tf.constant(b"\xf0\x9f\xa5\xb3").numpy() == "🥳".encode()


def test_string_ops():
    s = tf.constant(["Gray wolf", "Quick brown fox"])
    assert tf.strings.length(s).numpy().tolist() == [9, 15]
    assert tf.strings.length(tf.constant("🥳👍"), unit="UTF8_CHAR").numpy() == 2
    assert tf.strings.upper(s).numpy().tolist() == [b"GRAY WOLF", b"QUICK BROWN FOX"]
    assert tf.strings.lower(tf.constant("AbC")).numpy() == b"abc"
    assert tf.strings.split(tf.constant("a b  c")).numpy().tolist() == [b"a", b"b", b"c"]
    assert tf.strings.split(s).to_list() == [[b"Gray", b"wolf"], [b"Quick", b"brown", b"fox"]]
    assert tf.strings.reduce_join(s, separator="|").numpy() == b"Gray wolf|Quick brown fox"
    assert tf.strings.join([s, "!"]).numpy().tolist() == [b"Gray wolf!", b"Quick brown fox!"]
    np.testing.assert_array_equal(tf.strings.to_number(tf.constant(["1", "2.5"])).numpy(),
                                  np.array([1.0, 2.5], np.float32))
    assert tf.strings.as_string(tf.constant(2.5)).numpy() == b"2.500000"
    assert tf.strings.substr(tf.constant("hello"), 1, 3).numpy() == b"ell"
    assert tf.strings.regex_replace(tf.constant("a1b22"), r"\d+", "#").numpy() == b"a#b#"
    np.testing.assert_array_equal(tf.io.decode_raw(tf.constant("Duck"), tf.uint8).numpy(),
                                  [68, 117, 99, 107])


def test_string_ops_refuse_bad_input_clearly():
    with pytest.raises(TypeError, match="strings.upper.*string tensor.*float32"):
        tf.strings.upper(tf.constant(1.0))
    with pytest.raises(tf.errors.InvalidArgumentError, match="convert string: abc"):
        tf.strings.to_number(tf.constant("abc"))
    with pytest.raises(ValueError, match="unit"):
        tf.strings.length(tf.constant("a"), unit="WORD")


def test_string_ops_on_traced_values_raise_naming_the_op():
    @tf.function(backend="interpreter")
    def f(x):
        return tf.strings.length(x)

    with pytest.raises(TypeError, match="strings.length.*eager only"):
        f(tf.constant("abc"))

    @tf.function(backend="interpreter")
    def g(x):  # strings that are constants of the trace are fine
        return x + tf.cast(tf.strings.length(tf.constant("abcd")), tf.float32)

    assert g(tf.constant(1.0)).numpy() == 5.0


# ---- ragged and sparse ---------------------------------------------------------------------


def test_ragged_constant():
    r = tf.ragged.constant([[0, 1, 2, 3], [4, 5], [6, 7, 8], [9]])
    assert str(r) == "<tf.RaggedTensor [[0, 1, 2, 3], [4, 5], [6, 7, 8], [9]]>"
    assert r.shape == [4, None] and str(r.shape) == "(4, None)"
    assert r.row_lengths().numpy().tolist() == [4, 2, 3, 1]
    assert r[1].numpy().tolist() == [4, 5]
    assert r.to_tensor().numpy().tolist()[3] == [9, 0, 0, 0]
    assert r.flat_values.numpy().tolist() == list(range(10))
    assert isinstance(r, tf.RaggedTensor)


def test_ragged_from_row_lengths_and_bad_input():
    r = tf.RaggedTensor.from_row_lengths([1.0, 2.0, 3.0], [2, 0, 1])
    assert r.to_list() == [[1.0, 2.0], [], [3.0]]
    with pytest.raises(ValueError, match="row_splits"):
        tf.RaggedTensor.from_row_splits([1, 2], [0, 3])
    with pytest.raises(ValueError, match="depth"):
        tf.ragged.constant([[1, [2]]])


def test_a_ragged_list_is_not_a_tensor():
    with pytest.raises(ValueError, match="non-rectangular"):
        tf.constant([[1, 2], [3]])


def test_sparse_tensor():
    st = tf.SparseTensor(indices=[[0, 0], [1, 2]], values=[1, 2], dense_shape=[3, 4])
    assert str(st) == (
        "SparseTensor(indices=tf.Tensor(\n[[0 0]\n [1 2]], shape=(2, 2), dtype=int64), "
        "values=tf.Tensor([1 2], shape=(2,), dtype=int32), "
        "dense_shape=tf.Tensor([3 4], shape=(2,), dtype=int64))"
    )
    dense = tf.sparse.to_dense(st)
    assert dense.numpy().tolist() == [[1, 0, 0, 0], [0, 0, 2, 0], [0, 0, 0, 0]]
    back = tf.sparse.from_dense(dense)
    assert back.indices.numpy().tolist() == [[0, 0], [1, 2]]
    with pytest.raises(ValueError, match="out of bounds"):
        tf.SparseTensor(indices=[[5, 0]], values=[1], dense_shape=[3, 4])


def test_a_python_int_too_big_for_int32_is_int64_and_never_wraps():
    big = tf.constant(2**40)
    assert big.dtype == tf.int64 and big.numpy() == 2**40  # was 0 (wrapped to int32)
    assert tf.constant([1, 2**33]).dtype == tf.int64
    with pytest.raises(ValueError, match="out of range"):
        tf.constant(2**40, dtype=tf.int32)
    with pytest.raises(ValueError, match="300 to uint8"):
        tf.constant(300, dtype=tf.uint8)
    with pytest.raises(ValueError, match="out of range"):
        tf.constant([1, 2]) + 2**40


def test_casts_between_text_and_numbers_are_refused_and_complex_keeps_the_real_part():
    with pytest.raises(TypeError, match="cast: casting float32 to string"):
        tf.cast(tf.constant(1.0), tf.string)  # was a string tensor holding the float 1.0
    with pytest.raises(TypeError, match="to_number"):
        tf.cast(tf.constant("1"), tf.float32)
    np.testing.assert_array_equal(tf.cast(tf.constant([1 + 2j]), tf.float32).numpy(), [1.0])


def test_string_tensors_work_with_tfs_string_ops_and_are_refused_by_the_rest():
    s = tf.constant(["a", "b"])
    assert (s + s).numpy().tolist() == [b"aa", b"bb"]
    assert (s == tf.constant(["a", "c"])).numpy().tolist() == [True, False]
    assert tf.concat([s, s], 0).shape == (4,) and tf.gather(s, [1]).numpy()[0] == b"b"
    assert tf.where([True, False], s, s[::-1]).numpy().tolist() == [b"a", b"a"]
    with pytest.raises(TypeError, match="reduce_sum: string tensors"):
        tf.reduce_sum(s)  # numpy would have concatenated them
    with pytest.raises(TypeError, match="lt: string tensors"):
        s < s

"""tf.autograph.to_code writes AutoGraph's generated code (tapeflow/api/autograph_code.py).
Fragments below were confirmed against TensorFlow 2.21's to_code for the same functions; the
full texts are in tests/conformance/guides/cells.py ("tf.autograph.to_code ...")."""

import tapeflow as tf
from tapeflow.api.autograph_code import autograph_code


def with_default(x, y=2):
    z = tf.reduce_sum(x, axis=0) * y
    print("hi", z)
    return z


def accumulate(n):
    s = 0
    for i in tf.range(n):
        s += i
    return s


def no_return(x):
    tf.print(x)


def early_return(x):
    if x > 0:
        return x
    return -x


def with_break(x):
    while x > 0:
        x = x - 1
        break
    return x


def with_comprehension(xs):
    return [x * 2 for x in xs]


def with_logic(x, y):
    return x > 0 and y > 0


def if_without_else(x):
    if x > 0:
        x = x * 2
    return x


def test_defaults_calls_keywords_and_print_as_autograph_writes_them():
    text = autograph_code(with_default)
    assert text.startswith("def tf__with_default(x, y=None):\n")
    assert ("z = ag__.converted_call(ag__.ld(tf).reduce_sum, (ag__.ld(x),), dict(axis=0), "
            "fscope) * ag__.ld(y)") in text
    assert "        ag__.ld(print)('hi', ag__.ld(z))\n" in text


def test_an_augmented_assignment_in_a_for_loop():
    text = autograph_code(accumulate)
    assert ("        def loop_body(itr):\n            nonlocal s\n            i = itr\n"
            "            s = ag__.ld(s)\n            s += i\n        i = ag__.Undefined('i')\n"
            ) in text
    assert ("ag__.for_stmt(ag__.converted_call(ag__.ld(tf).range, (ag__.ld(n),), None, "
            "fscope), None, loop_body, get_state, set_state, ('s',), "
            "{'iterate_names': 'i'})") in text


def test_a_function_without_return_has_no_return_state():
    assert autograph_code(no_return) == (
        "def tf__no_return(x):\n    with ag__.FunctionScope('no_return', 'fscope', "
        "ag__.ConversionOptions(recursive=True, user_requested=True, optional_features=(), "
        "internal_convert_user_code=True)) as fscope:\n"
        "        ag__.converted_call(ag__.ld(tf).print, (ag__.ld(x),), None, fscope)\n")


def test_what_is_not_written_here_is_none_and_to_code_falls_back():
    for fn in (early_return, with_break, with_comprehension, with_logic, if_without_else,
               len, lambda x: x):
        assert autograph_code(fn) is None, fn
    assert "def early_return" in tf.autograph.to_code(early_return)

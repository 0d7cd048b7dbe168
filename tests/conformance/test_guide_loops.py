"""The printed text of TensorFlow's AutoGraph loops, as the function guide relies on it: a
Python `print` in a loop over `tf.range` of a tensor prints once (when the loop is traced),
`tf.print` once per iteration and per call, a new count does not trace again, and the
branches of a tensor `if` inside the loop are all traced once, in source order. (Each text
was confirmed under TensorFlow 2.21.)"""

from __future__ import annotations

import tapeflow as tf


def test_a_tensor_count_traces_once_and_prints_per_call(capfd, quiet_retraces):
    def nothing():
        return None

    @tf.function
    def repeat(times):
        print("tracing repeat with", times)
        tf.print("running repeat with", times)
        for _ in tf.range(times):
            nothing()

    repeat(times=3)
    repeat(times=4)
    repeat(times=tf.constant(3))
    repeat(times=tf.constant(4))
    out, err = capfd.readouterr()
    assert out == ("tracing repeat with 3\n"
                   "tracing repeat with 4\n"
                   'tracing repeat with Tensor("times:0", shape=(), dtype=int32)\n')
    assert err == ("running repeat with 3\nrunning repeat with 4\n"
                   "running repeat with 3\nrunning repeat with 4\n")


def test_branches_in_a_tensor_loop_are_traced_once_each_in_order(capfd):
    @tf.function
    def label(limit):
        for k in tf.range(2, limit):
            print("tracing the body")
            if k % 6 == 0:
                print("tracing six")
                tf.print("six")
            elif k % 2 == 0:
                print("tracing even")
                tf.print("even")
            else:
                print("tracing other")
                tf.print(k)

    label(tf.constant(5))
    label(tf.constant(8))
    out, err = capfd.readouterr()
    assert out == ("tracing the body\ntracing six\ntracing even\ntracing other\n")
    assert err == "even\n3\neven\neven\n3\neven\n5\nsix\n7\n"

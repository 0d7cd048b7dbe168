"""Restore-on-create: values restored before their variables exist are assigned when the
variables are made (an unbuilt model, an optimizer before its first step), as TensorFlow's
deferred restoration. Before, they were dropped with a warning and training went on from
fresh weights or Adam moments: silently other values than TensorFlow's."""

from __future__ import annotations

import json

import numpy as np
import pytest

import tapeflow as tf


class Lazy(tf.Module):
    def __call__(self, x):
        if not hasattr(self, "w"):
            self.w = tf.Variable(tf.zeros([2]), name="w")
        return x * self.w


def test_a_module_building_its_variables_later_gets_the_saved_values(tmp_path):
    m = Lazy()
    m(1.0)
    m.w.assign([3.0, 4.0])
    path = tf.train.Checkpoint(model=m).save(str(tmp_path / "c"))
    fresh = Lazy()
    status = tf.train.Checkpoint(model=fresh).restore(path)  # the Checkpoint is dropped
    status.assert_existing_objects_matched()
    with pytest.raises(AssertionError, match="model/w"):
        status.assert_consumed()
    np.testing.assert_array_equal(fresh(1.0).numpy(), [3.0, 4.0])
    status.assert_consumed()


def _adam_step(v, opt):
    with tf.GradientTape() as t:
        loss = tf.reduce_sum(v ** 2)
    opt.apply_gradients([(t.gradient(loss, v), v)])


@pytest.mark.parametrize("compiled", [False, True])
def test_adam_slots_restored_before_the_first_step_continue_the_run(tmp_path, compiled):
    v, opt = tf.Variable([1.0, -2.0, 3.0]), tf.keras.optimizers.Adam(0.1)
    for _ in range(3):
        _adam_step(v, opt)
    path = tf.train.Checkpoint(v=v, opt=opt).save(str(tmp_path / "c"))
    _adam_step(v, opt)
    _adam_step(v, opt)

    v2, opt2 = tf.Variable([0.0, 0.0, 0.0]), tf.keras.optimizers.Adam(0.1)
    status = tf.train.Checkpoint(v=v2, opt=opt2).restore(path)
    step = tf.function(lambda: _adam_step(v2, opt2)) if compiled else (
        lambda: _adam_step(v2, opt2))
    step()
    step()
    np.testing.assert_array_equal(v2.numpy(), v.numpy())
    assert int(opt2.iterations.numpy()) == 5
    status.assert_consumed()


def test_an_unbuilt_dense_layer_takes_its_saved_kernel(tmp_path):
    layer = tf.keras.layers.Dense(2, kernel_initializer="ones")
    layer(tf.ones([1, 3]))
    path = tf.train.Checkpoint(layer=layer).save(str(tmp_path / "c"))
    fresh = tf.keras.layers.Dense(2)
    tf.train.Checkpoint(layer=fresh).restore(path)
    np.testing.assert_array_equal(fresh(tf.ones([1, 3])).numpy(), [[3.0, 3.0]])


def test_a_later_restore_replaces_what_an_earlier_one_left_waiting(tmp_path):
    m = Lazy()
    m(1.0)
    ckpt = tf.train.Checkpoint(model=m)
    m.w.assign([1.0, 1.0])
    first = ckpt.write(str(tmp_path / "a"))
    m.w.assign([2.0, 2.0])
    second = ckpt.write(str(tmp_path / "b"))
    fresh = Lazy()
    again = tf.train.Checkpoint(model=fresh)
    again.restore(first)
    again.restore(second)
    np.testing.assert_array_equal(fresh(1.0).numpy(), [2.0, 2.0])


def test_a_waiting_value_of_another_shape_is_tfs_value_error(tmp_path):
    m = Lazy()
    m(1.0)
    path = tf.train.Checkpoint(model=m).write(str(tmp_path / "a"))

    class Wider(tf.Module):
        def __call__(self):
            if not hasattr(self, "w"):
                self.w = tf.Variable(tf.zeros([3]))
            return self.w + 0.0

    fresh = Wider()
    tf.train.Checkpoint(model=fresh).restore(path)
    with pytest.raises(ValueError, match=r"'model/w' has shape \[2\]"):
        fresh()


def test_version_1_files_with_private_attributes_still_restore(tmp_path):
    # Version 1 named `_steps` "steps"; version 2 keeps TF's "_steps".
    index = {"format": "tapeflow-checkpoint", "version": 1, "variables": [
        {"name": "model/steps", "array": "v0", "shape": [], "dtype": "int64"}]}
    np.savez(tmp_path / "old.npz", v0=np.int64(7),
             index=np.frombuffer(json.dumps(index).encode(), dtype=np.uint8))
    m = tf.Module()
    m._steps = tf.Variable(np.int64(0))
    tf.train.Checkpoint(model=m).restore(str(tmp_path / "old")).assert_consumed()
    assert int(m._steps.numpy()) == 7

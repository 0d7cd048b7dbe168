"""tf.train.list_variables / load_variable read a checkpoint without objects, with
TensorFlow's keys; a checkpoint only `write`n holds the objects' variables alone."""

import numpy as np
import pytest

import tapeflow as tf


class Dense(tf.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.w = tf.Variable(tf.ones([n_in, n_out]), name="w")
        self.b = tf.Variable(tf.zeros([n_out]), name="b")


class Net(tf.Module):
    def __init__(self):
        super().__init__()
        self.first = Dense(3, 4)
        self.second = Dense(4, 2)


def test_list_variables_names_each_value_as_tensorflow_does(tmp_path):
    path = tf.train.Checkpoint(model=Net()).write(str(tmp_path / "ckpt"))
    assert tf.train.list_variables(path) == [
        ("_CHECKPOINTABLE_OBJECT_GRAPH", []),
        ("model/first/b/.ATTRIBUTES/VARIABLE_VALUE", [4]),
        ("model/first/w/.ATTRIBUTES/VARIABLE_VALUE", [3, 4]),
        ("model/second/b/.ATTRIBUTES/VARIABLE_VALUE", [2]),
        ("model/second/w/.ATTRIBUTES/VARIABLE_VALUE", [4, 2]),
    ]


def test_save_adds_the_counter_and_a_directory_lists_its_latest(tmp_path):
    ckpt = tf.train.Checkpoint(model=Net())
    ckpt.save(str(tmp_path / "ckpt"))
    names = [name for name, _ in tf.train.list_variables(str(tmp_path))]
    assert "save_counter/.ATTRIBUTES/VARIABLE_VALUE" in names
    assert int(tf.train.load_variable(str(tmp_path), "save_counter")) == 1


def test_load_variable_takes_a_path_or_tensorflows_key(tmp_path):
    net = Net()
    net.first.b.assign([1.0, 2.0, 3.0, 4.0])
    path = tf.train.Checkpoint(model=net).write(str(tmp_path / "c"))
    for key in ("model/first/b", "model/first/b/.ATTRIBUTES/VARIABLE_VALUE"):
        np.testing.assert_array_equal(tf.train.load_variable(path, key), [1, 2, 3, 4])
    with pytest.raises(KeyError, match="model/nope"):
        tf.train.load_variable(path, "model/nope")


def test_a_written_checkpoint_restores_into_a_checkpoint_that_saved_before(tmp_path):
    source = Net()
    source.second.w.assign(tf.fill([4, 2], 7.0))
    path = tf.train.Checkpoint(model=source).write(str(tmp_path / "w"))
    target = Net()
    tf.train.Checkpoint(model=target).restore(path)
    np.testing.assert_array_equal(target.second.w.numpy(), np.full((4, 2), 7.0))
    saved = tf.train.Checkpoint(model=Net())
    saved.save(str(tmp_path / "s"))
    restored = tf.train.Checkpoint(model=Net())
    restored.restore(str(tmp_path / "s-1"))
    assert int(restored.save_counter.numpy()) == 1


def test_missing_or_bad_paths_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing_here"):
        tf.train.list_variables(str(tmp_path / "nothing_here"))
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        tf.train.list_variables(str(tmp_path))
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(tf.errors.InvalidArgumentError, match="bad.npz"):
        tf.train.list_variables(str(tmp_path / "bad"))

"""tf.train.Checkpoint and CheckpointManager: round trips, the walk of objects, errors that
assign nothing, atomic files, and restores that do not retrace a compiled step."""

from __future__ import annotations

import os

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.checkpoint import CheckpointError, named_variables
from tapeflow.runtime.backends import set_default_backend


class Net(tf.Module):
    def __init__(self):
        super().__init__()
        self.w = tf.Variable(np.arange(6, dtype=np.float32).reshape(2, 3), name="w")
        self.blocks = [{"b": tf.Variable(np.float32(1.5))}, tf.Variable([1, 2], name="c")]
        self._steps = tf.Variable(np.int64(7), trainable=False)
        self.label = "not state"


def _scramble(net):
    net.w.assign(np.zeros((2, 3), np.float32))
    net.blocks[0]["b"].assign(0.0)
    net.blocks[1].assign([0, 0])
    net._steps.assign(np.int64(0))


def _values(net):
    return [v.numpy().copy() for v in (net.w, net.blocks[0]["b"], net.blocks[1], net._steps)]


def test_save_and_restore_round_trip(tmp_path):
    net = Net()
    ckpt = tf.train.Checkpoint(model=net)
    saved = _values(net)
    path = ckpt.save(tmp_path / "ckpt")
    assert path == str(tmp_path / "ckpt-1") and os.path.exists(path + ".npz")
    assert tf.train.latest_checkpoint(tmp_path) == path
    _scramble(net)
    status = ckpt.restore(path)
    for got, want in zip(_values(net), saved):
        np.testing.assert_array_equal(got, want)
    status.assert_consumed()
    assert int(ckpt.save_counter.numpy()) == 1
    assert ckpt.save(tmp_path / "ckpt").endswith("ckpt-2")


def test_names_are_tensorflows_keys_breadth_first():
    # TF keeps private attributes' "_" and walks breadth first (shortest paths first).
    names = list(named_variables({"model": Net()}))
    assert names == ["model/w", "model/_steps", "model/blocks/1", "model/blocks/0/b"]


def test_a_shared_variable_is_named_by_its_shortest_path(tmp_path):
    shared = tf.Variable(1.0)
    inner = tf.Module()
    inner.kernel = shared
    outer = tf.Module()
    outer.a = inner
    outer.z = shared
    path = tf.train.Checkpoint(h=outer).write(str(tmp_path / "c"))
    assert [k for k, _ in tf.train.list_variables(path)] == [
        "_CHECKPOINTABLE_OBJECT_GRAPH", "h/z/.ATTRIBUTES/VARIABLE_VALUE"]


def test_objects_choose_their_children_and_shared_variables_are_saved_once():
    shared = tf.Variable(1.0)

    class Layer:
        def __init__(self):
            self.kernel = shared
            self.cache = tf.Variable(0.0)

        def _checkpoint_children(self):
            return {"kernel": self.kernel}

    class Holder:
        def __init__(self):
            self.layer = Layer()
            self.again = shared
            self.step = tf.function(lambda: shared * 2)  # code, not state

    names = named_variables({"h": Holder()})
    assert list(names) == ["h/again"] and names["h/again"] is shared
    assert list(named_variables({"layer": Layer()})) == ["layer/kernel"]


def test_write_read_and_generators(tmp_path):
    g = tf.random.Generator.from_seed(3)
    ckpt = tf.train.Checkpoint(rng=g)
    path = ckpt.write(str(tmp_path / "weights"))
    want = g.normal((4,)).numpy()
    ckpt.read(path)
    np.testing.assert_array_equal(g.normal((4,)).numpy(), want)
    assert tf.train.latest_checkpoint(tmp_path) is None  # write does not record
    assert ckpt.restore(None).unused == []


def test_a_missing_value_leaves_its_variable_and_misshaped_ones_assign_nothing(tmp_path):
    net = Net()
    want = _values(net)
    path = tf.train.Checkpoint(model=net).write(str(tmp_path / "a"))

    class Bigger(Net):
        def __init__(self):
            super().__init__()
            self.extra = tf.Variable(5.0)

    # As TF: the variables the file has are restored, the others keep their values, and
    # the status says which had none.
    bigger = Bigger()
    _scramble(bigger)
    status = tf.train.Checkpoint(model=bigger).restore(path)
    for got, w in zip(_values(bigger), want):
        np.testing.assert_array_equal(got, w)
    assert bigger.extra.numpy() == 5.0
    with pytest.raises(AssertionError, match="no value for model/extra"):
        status.assert_existing_objects_matched()
    with pytest.raises(AssertionError, match="model/extra"):
        status.assert_consumed()
    status.expect_partial()

    other = Net()
    other.w = tf.Variable(np.zeros((3, 2), np.float32))
    other.blocks[0]["b"].assign(9.0)
    # TF's ValueError for another shape, InvalidArgumentError for another dtype.
    with pytest.raises(ValueError, match=r"'model/w' has shape \[2, 3\], the variable "
                                         r"'Variable:0' has shape \[3, 2\]") as e:
        tf.train.Checkpoint(model=other).restore(path)
    assert type(e.value) is ValueError
    assert other.blocks[0]["b"].numpy() == 9.0

    other.w = tf.Variable(np.zeros((2, 3), np.float64))
    with pytest.raises(tf.errors.InvalidArgumentError, match="float64"):
        tf.train.Checkpoint(model=other).restore(path)
    assert other.blocks[0]["b"].numpy() == 9.0


def test_unused_values_wait_and_are_listed_by_assert_consumed(tmp_path):
    path = tf.train.Checkpoint(model=Net()).write(str(tmp_path / "a"))
    small = tf.Module()
    small.w = tf.Variable(np.zeros((2, 3), np.float32))
    status = tf.train.Checkpoint(model=small).restore(path)
    np.testing.assert_array_equal(small.w.numpy()[1], [3, 4, 5])
    status.assert_existing_objects_matched()
    with pytest.raises(AssertionError, match="model/blocks/0/b"):
        status.assert_consumed()


def test_truncated_garbage_and_corrupt_files_are_clear_errors(tmp_path):
    net = Net()
    ckpt = tf.train.Checkpoint(model=net)
    path = ckpt.write(str(tmp_path / "good"))
    data = open(path + ".npz", "rb").read()
    _scramble(net)
    before = _values(net)
    (tmp_path / "cut.npz").write_bytes(data[: len(data) // 2])
    (tmp_path / "junk.npz").write_bytes(b"\x00garbage" * 64)
    flipped = bytearray(data)
    at = data.index(np.arange(6, dtype=np.float32).tobytes()) + 5  # inside w's values
    flipped[at] ^= 0xFF
    (tmp_path / "flip.npz").write_bytes(bytes(flipped))
    for name in ("cut", "junk", "flip"):
        with pytest.raises(CheckpointError, match="not a tapeflow checkpoint|truncated"):
            ckpt.restore(str(tmp_path / name))
        for got, want in zip(_values(net), before):
            np.testing.assert_array_equal(got, want)
    with pytest.raises(FileNotFoundError, match="nowhere"):
        ckpt.restore(str(tmp_path / "nowhere"))
    with pytest.raises(tf.errors.NotFoundError, match="nowhere"):  # TF's class
        ckpt.restore(str(tmp_path / "nowhere"))


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    net = Net()
    ckpt = tf.train.Checkpoint(model=net)
    path = ckpt.write(str(tmp_path / "w"))
    old = open(path + ".npz", "rb").read()

    def failing_savez(f, **arrays):
        f.write(b"PK\x03\x04 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", failing_savez)
    net.w.assign(np.ones((2, 3), np.float32))
    with pytest.raises(OSError, match="disk full"):
        ckpt.write(path)
    assert open(path + ".npz", "rb").read() == old
    assert sorted(os.listdir(tmp_path)) == ["w.npz"]


def test_checkpoint_refuses_children_without_state():
    with pytest.raises(ValueError, match="holds no variables"):
        tf.train.Checkpoint(step=3)


def test_manager_keeps_the_newest_and_a_new_manager_resumes(tmp_path):
    net = Net()
    ckpt = tf.train.Checkpoint(model=net)
    manager = tf.train.CheckpointManager(ckpt, tmp_path, max_to_keep=2)
    assert manager.latest_checkpoint is None and manager.restore_or_initialize() is None
    paths = []
    for k in range(4):
        net.w.assign(np.full((2, 3), k, np.float32))
        paths.append(manager.save())
    assert [os.path.basename(p) for p in paths] == ["ckpt-1", "ckpt-2", "ckpt-3", "ckpt-4"]
    assert manager.checkpoints == paths[2:]
    assert sorted(os.listdir(tmp_path)) == ["checkpoint", "ckpt-3.npz", "ckpt-4.npz"]
    assert tf.train.latest_checkpoint(tmp_path) == os.path.abspath(paths[3])

    fresh = Net()
    fresh_ckpt = tf.train.Checkpoint(model=fresh)
    resumed = tf.train.CheckpointManager(fresh_ckpt, tmp_path, max_to_keep=2)
    assert resumed.checkpoints == [os.path.abspath(p) for p in paths[2:]]
    assert resumed.restore_or_initialize() == os.path.abspath(paths[3])
    np.testing.assert_array_equal(fresh.w.numpy(), np.full((2, 3), 3, np.float32))
    assert os.path.basename(resumed.save()) == "ckpt-5"  # the counter was restored too


def test_restoring_a_compiled_step_does_not_retrace_and_resumes_exactly(backend, tmp_path):
    previous = set_default_backend(backend)
    try:
        tf.random.set_seed(0)
        w = tf.Variable(np.ones(4, np.float32))
        rng = tf.random.Generator.from_seed(5)

        @tf.function
        def step(x):
            with tf.GradientTape() as tape:
                keep = tf.cast(rng.uniform((4,)) > 0.3, tf.float32)
                loss = tf.reduce_sum(tf.square(w * keep * x - 1.0))
            w.assign_sub(0.1 * tape.gradient(loss, w))
            return loss

        x = tf.constant([1.0, 2.0, 3.0, 4.0])
        for _ in range(3):
            step(x)
        ckpt = tf.train.Checkpoint(w=w, rng=rng)
        path = ckpt.write(str(tmp_path / "mid"))
        uninterrupted = [float(step(x)) for _ in range(4)]
        final = w.numpy().copy()
        ckpt.read(path)
        resumed = [float(step(x)) for _ in range(4)]
        assert resumed == uninterrupted
        np.testing.assert_array_equal(w.numpy(), final)
        assert step.experimental_get_tracing_count() == 1
    finally:
        set_default_backend(previous)

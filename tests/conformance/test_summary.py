"""tf.summary writes TensorBoard event files (TFRecord framing, masked CRC-32C, the Event and
Summary messages as TensorFlow 2 writes them); tf.profiler.experimental profiles the host."""

import os
import pstats
import re
import struct

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.summary import records as rec


def _events(logdir):
    (name,) = [f for f in os.listdir(logdir) if f.startswith("events.out.tfevents.")]
    assert re.fullmatch(r"events\.out\.tfevents\.\d+\..+\.\d+\.\d+\.v2", name)
    return rec.read_events(os.path.join(logdir, name))


def _value(fields):
    """(tag, plugin name, tensor fields) of an event's single summary value."""
    (summary,) = fields[5]
    ((_, _, value),) = rec.parse(summary)
    parts = {f: v for f, _, v in rec.parse(value)}
    metadata = {f: v for f, _, v in rec.parse(parts[9])}
    plugin = {f: v for f, _, v in rec.parse(metadata[1])}
    tensor = {}
    for f, _, v in rec.parse(parts[8]):
        tensor.setdefault(f, []).append(v)
    return parts[1].decode(), plugin[1].decode(), tensor


def test_crc32c_and_framing():
    assert rec.crc32c(b"123456789") == 0xE3069283  # the standard check value
    record = rec.frame(b"abc")
    assert struct.unpack("<Q", record[:8]) == (3,) and record[12:15] == b"abc"


def test_scalar_histogram_and_text_events(tmp_path):
    writer = tf.summary.create_file_writer(str(tmp_path))
    with writer.as_default():
        assert bool(tf.summary.scalar("loss", tf.constant(0.25), step=3).numpy())
        tf.summary.histogram("w", np.array([1.0, 2.0, 2.0, 4.0]), step=3, buckets=3)
        tf.summary.text("note", "hello", step=4)
    first, *events = _events(str(tmp_path))
    assert first[2] == {3: [b"brain.Event:2"]}
    assert [step for _, step, _ in events] == [3, 3, 4]
    tag, plugin, tensor = _value(events[0][2])
    assert (tag, plugin) == ("loss", "scalars")
    assert tensor[1] == [rec.DT_FLOAT] and struct.unpack("<f", tensor[5][0]) == (0.25,)
    tag, plugin, tensor = _value(events[1][2])
    assert (tag, plugin) == ("w", "histograms")
    rows = np.array(struct.unpack("<9d", tensor[6][0])).reshape(3, 3)
    np.testing.assert_allclose(rows, [[1, 2, 1], [2, 3, 2], [3, 4, 1]])
    tag, plugin, tensor = _value(events[2][2])
    assert (tag, plugin, tensor[8]) == ("note", "text", [b"hello"])


def test_steps_come_from_the_argument_the_context_or_set_step(tmp_path):
    writer = tf.summary.create_file_writer(str(tmp_path))
    with writer.as_default(step=7):
        tf.summary.scalar("a", 1.0)
    with writer.as_default():
        with pytest.raises(ValueError, match="scalar: no step set"):
            tf.summary.scalar("a", 1.0)
        tf.summary.experimental.set_step(9)
        try:
            tf.summary.scalar("a", 2.0)
            assert tf.summary.experimental.get_step() == 9
        finally:
            tf.summary.experimental.set_step(None)
    assert [step for _, step, _ in _events(str(tmp_path))[1:]] == [7, 9]


def test_without_a_default_writer_nothing_is_written():
    assert not bool(tf.summary.scalar("loss", 1.0, step=0).numpy())


def test_bad_data_and_tracing_are_refused(tmp_path):
    writer = tf.summary.create_file_writer(str(tmp_path))
    with writer.as_default(step=0):
        with pytest.raises(ValueError, match=r"scalar\('v'\): data must be a real scalar"):
            tf.summary.scalar("v", [1.0, 2.0])
        with pytest.raises(ValueError, match="step must be an integer"):
            tf.summary.scalar("v", 1.0, step=1.5)

        @tf.function
        def vector(x):
            tf.summary.scalar("x", x)  # checked while tracing: x is not a scalar
            return x

        with pytest.raises(ValueError, match=r"scalar\('x'\): data must be a real scalar"):
            vector(tf.constant([1.0, 2.0]))
    with pytest.raises(ValueError, match="logdir"):
        tf.summary.create_file_writer("")


def test_inside_a_function_each_call_writes_its_values_at_its_step(tmp_path):
    v = tf.Variable(1.0)
    calls = tf.Variable(0, dtype=tf.int64)

    @tf.function
    def step(x):
        calls.assign_add(1)
        loss = (v * x - 3.0) ** 2
        v.assign_sub(0.1)
        tf.summary.scalar("loss", loss, step=calls)
        return loss

    writer = tf.summary.create_file_writer(str(tmp_path))
    with writer.as_default():
        losses = [float(step(tf.constant(2.0)).numpy()) for _ in range(3)]
    events = _events(str(tmp_path))[1:]
    assert [s for _, s, _ in events] == [1, 2, 3]
    written = [struct.unpack("<f", _value(f)[2][5][0])[0] for _, _, f in events]
    np.testing.assert_allclose(written, losses, rtol=1e-6)


def test_trace_export_writes_the_graphs_traced_since_trace_on(tmp_path):
    @tf.function
    def affine(x):
        return x * 2.0 + 1.0

    writer = tf.summary.create_file_writer(str(tmp_path))
    with pytest.raises(ValueError, match="Must enable trace before export"):
        tf.summary.trace_export("nothing", step=0)
    tf.summary.trace_on(graph=True)
    affine(tf.constant([1.0, 2.0]))
    with writer.as_default():
        assert tf.summary.trace_export(name="affine_trace", step=0) is None
    tag, plugin, tensor = _value(_events(str(tmp_path))[1][2])
    assert (tag, plugin) == ("affine_trace", "graph_run_metadata_graph")
    (metadata,) = tensor[8]
    ((field, _, graphs),) = rec.parse(metadata)
    ((inner, _, graph),) = rec.parse(graphs)
    assert (field, inner) == (4, 2)  # RunMetadata.function_graphs.pre_optimization_graph
    nodes = [{f: v for f, _, v in rec.parse(node)} for _, _, node in rec.parse(graph)]
    assert [n[2].decode() for n in nodes] == ["Placeholder", "Const", "Const", "mul", "add",
                                              "Identity"]
    with pytest.raises(ValueError, match="Must enable trace"):  # export stopped the trace
        tf.summary.trace_export("again", step=1)


def test_a_corrupt_event_file_is_named(tmp_path):
    writer = tf.summary.create_file_writer(str(tmp_path))
    writer.close()
    (name,) = os.listdir(tmp_path)
    data = bytearray((tmp_path / name).read_bytes())
    data[-1] ^= 0xFF
    (tmp_path / name).write_bytes(bytes(data))
    with pytest.raises(ValueError, match=re.escape(name) + ".*CRC"):
        rec.read_records(str(tmp_path / name))


def test_profiler_writes_host_statistics(tmp_path):
    with pytest.raises(tf.errors.UnavailableError, match="No profiler is running"):
        tf.profiler.experimental.stop()
    tf.profiler.experimental.start(str(tmp_path))
    try:
        with pytest.raises(tf.errors.AlreadyExistsError, match="Another profiler"):
            tf.profiler.experimental.start(str(tmp_path))
        tf.reduce_sum(tf.ones((3, 3)))
    finally:
        path = tf.profiler.experimental.stop()
    assert path.startswith(str(tmp_path / "plugins" / "profile"))
    assert pstats.Stats(path).total_calls > 0

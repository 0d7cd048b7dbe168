"""`tf.summary`: TensorBoard event files written by eager code.

`create_file_writer(logdir)` opens `logdir/events.out.tfevents.<time>.<host>.<pid>.<n>.v2`
and writes its first event (file_version "brain.Event:2"). Inside `with writer.as_default():`
(or after `writer.set_as_default()`), `scalar`, `histogram` and `text` append one event each,
in the form TensorFlow 2 writes them (a tensor with its plugin's metadata: "scalars",
"histograms", "text"), at `step` (the argument, else the step given to as_default or
`tf.summary.experimental.set_step`; ValueError without one). With no default writer they
write nothing and return False, as TensorFlow's.

`trace_on(graph=True)` records the graph of every tapeflow.function traced until
`trace_export(name, step)`, which writes them as TensorFlow does (a "graph_run_metadata_graph"
summary holding a RunMetadata whose function graphs are GraphDefs: one node per input,
constant and equation, named by its primitive) and stops recording. TensorFlow records the
functions *executed* meanwhile; tapeflow records those *traced* (a function already traced
before trace_on is not recorded again). `trace_on(profiler=True)` also starts
`tf.profiler.experimental` (tapeflow/summary/profiler.py).

Inside a tapeflow.function a summary is written on every call (after the call has taken
effect, with its values, like tf.print): the writer is the default one when the function is
traced, and a step that is a tensor or a Variable (`optimizer.iterations`) is read where the
summary op is.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tapeflow.ops.core import is_tracer
from tapeflow.runtime import _tracing
from tapeflow.summary import profiler as _profiler
from tapeflow.summary import records as rec
from tapeflow.summary.graph_def import graph_def
from tapeflow.tracer import name_scope
from tapeflow.tracer.tensor import constant
from tapeflow.tracer.variable import Variable

_file_numbers = itertools.count()
_state = threading.local()


def _stack() -> list:
    if not hasattr(_state, "writers"):
        _state.writers = []  # (writer, step or None), innermost last
        _state.step = None
    return _state.writers


class SummaryWriter:
    """What create_file_writer returns: an open event file."""

    def __init__(self, logdir: str, filename_suffix: str | None = None):
        self.logdir = logdir
        os.makedirs(logdir, exist_ok=True)
        name = (f"events.out.tfevents.{int(time.time())}.{socket.gethostname()}."
                f"{os.getpid()}.{next(_file_numbers)}.v2{filename_suffix or ''}")
        self.path = os.path.join(logdir, name)
        self._lock = threading.Lock()
        self._file = open(self.path, "ab")  # noqa: SIM115 - kept open until close()
        self._write(rec.event(time.time(), file_version="brain.Event:2"))
        self.flush()

    def _write(self, event: bytes) -> None:
        with self._lock:
            if self._file is None:
                raise ValueError(f"summary writer for {self.logdir!r} is closed")
            self._file.write(rec.frame(event))

    def write_summary(self, value: bytes, step: int) -> None:
        self._write(rec.event(time.time(), step, summary=value))

    @contextlib.contextmanager
    def as_default(self, step=None):
        """Make this the default writer (and `step` the default step) inside the block."""
        _stack().append((self, None if step is None else _step_value(step)))
        try:
            yield self
        finally:
            _stack().pop()
            self.flush()

    def set_as_default(self, step=None) -> None:
        """Make this the default writer from now on (not undone)."""
        _stack().insert(0, (self, None if step is None else _step_value(step)))

    def init(self) -> None:
        """TensorFlow initialises its writer resource here; this one is open already."""

    def flush(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.flush()

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    def __repr__(self) -> str:
        return f"<SummaryWriter {self.logdir!r}>"


def create_file_writer(logdir, max_queue=None, flush_millis=None, filename_suffix=None,
                       name=None, experimental_trackable=False) -> SummaryWriter:
    if not isinstance(logdir, str | os.PathLike) or not os.fspath(logdir):
        raise ValueError(f"create_file_writer: logdir must be a directory path, got {logdir!r}")
    return SummaryWriter(os.fspath(logdir), filename_suffix)


def _step_value(step) -> int:
    if hasattr(step, "numpy"):  # a tensor or a Variable
        step = step.numpy()
    try:
        value = np.asarray(step)
        if value.shape != () or value.dtype.kind not in "iu":
            raise TypeError
    except TypeError:
        raise ValueError(f"summary step must be an integer scalar, got {step!r}") from None
    return int(value)


def _writer_and_step(step, op: str):
    """(writer, step) for a summary op; (None, None) without a default writer. The step is
    an int, or under a trace a tensor (a Variable's value where it is read, as
    `optimizer.iterations`)."""
    writers = _stack()
    if not writers:
        return None, None
    writer, context_step = writers[-1]
    if step is None:
        step = context_step if context_step is not None else _state.step
    if step is None:
        raise ValueError(
            f"{op}: no step set. Please specify one either through the `step` argument or "
            "through tf.summary.experimental.set_step()")
    if _tracing_now() and is_tracer(step):
        if np.dtype(step.dtype.as_numpy_dtype).kind not in "iu" or tuple(step.shape) != ():
            raise ValueError(f"{op}: summary step must be an integer scalar, got {step!r}")
        return writer, step._read() if isinstance(step, Variable) else step
    return writer, _step_value(step)


def _tracing_now() -> bool:
    from tapeflow.runtime.trace import active_trace

    return active_trace() is not None


@dataclass
class SummaryEffect:
    """A summary written inside a tapeflow.function: on every call, once the call has taken
    effect, with that call's values (runtime/effects.py's protocol: the tensors among
    `leaves` become outputs of the graph and `run` gets their values, in order)."""

    leaves: list  # [data, step]: tensors of the trace, or constants
    write: Callable[[np.ndarray, int], None]

    def run(self, values: list) -> None:
        it = iter(values)
        data, step = (np.asarray(next(it)) if is_tracer(leaf) else leaf
                      for leaf in self.leaves)
        self.write(np.asarray(data), int(step))


def _emit(name: str, data, step, op: str, summary: Callable[[np.ndarray], bytes]):
    """Write `summary(value)` now, or, inside a trace, on every call of the function."""
    writer, step = _writer_and_step(step, op)
    if writer is None:
        return _written(False)
    tag = _tag(name)

    def write(value: np.ndarray, at: int) -> None:
        writer.write_summary(rec.summary_value(tag, *summary(value)), at)

    if _tracing_now():
        from tapeflow.runtime.trace import active_trace

        if isinstance(data, Variable):
            data = data._read()
        elif not is_tracer(data):
            data = np.asarray(data)
        if is_tracer(data):
            summary(np.zeros(tuple(data.shape), data.dtype.as_numpy_dtype))  # checks now
        else:
            summary(data)
        active_trace().effects.append(SummaryEffect([data, step], write))
        return _written(True)
    write(np.asarray(data.numpy() if hasattr(data, "numpy") else data), step)
    return _written(True)


def _tag(name: str) -> str:
    return name_scope.current_scope() + name


def _written(done: bool):
    return constant(done)


def scalar(name, data, step=None, description=None):
    def summary(value: np.ndarray):
        if value.shape != () or value.dtype.kind not in "biuf":
            raise ValueError(f"tf.summary.scalar({name!r}): data must be a real scalar, got "
                             f"{value.dtype.name}{list(value.shape)}")
        return rec.tensor_proto(rec.DT_FLOAT, (), floats=[float(value)]), "scalars"

    return _emit(name, data, step, "scalar", summary)


def histogram(name, data, step=None, buckets=None, description=None):
    """The values' histogram: `buckets` (30) equal-width buckets from their min to their max
    (one bucket of width 1 around a single value), as (left, right, count) rows."""
    k = 30 if buckets is None else int(buckets)
    if k <= 0:
        raise ValueError(f"tf.summary.histogram({name!r}): buckets must be positive, got {k}")

    def summary(value: np.ndarray):
        if value.dtype.kind not in "biuf":
            raise ValueError(f"tf.summary.histogram({name!r}): data must be real numbers, "
                             f"got {value.dtype.name}")
        values = value.astype(np.float64).ravel()
        n_buckets = k
        if values.size == 0:
            rows = np.zeros((0, 3))
        else:
            lo, hi = float(values.min()), float(values.max())
            if lo == hi:
                lo, hi, n_buckets = lo - 0.5, hi + 0.5, 1
            counts, edges = np.histogram(values, bins=n_buckets, range=(lo, hi))
            rows = np.stack([edges[:-1], edges[1:], counts.astype(np.float64)], axis=1)
        tensor = rec.tensor_proto(rec.DT_DOUBLE, rows.shape, doubles=rows.ravel().tolist())
        return tensor, "histograms"

    return _emit(name, data, step, "histogram", summary)


def text(name, data, step=None, description=None):
    def summary(value: np.ndarray):
        if value.dtype.kind not in "USO":
            raise ValueError(f"tf.summary.text({name!r}): data must be strings, got "
                             f"{value.dtype.name}")
        strings = [s.encode("utf-8") if isinstance(s, str) else bytes(s)
                   for s in value.ravel()]
        return rec.tensor_proto(rec.DT_STRING, value.shape, strings=strings), "text"

    return _emit(name, data, step, "text", summary)


# ---- tf.summary.experimental -----------------------------------------------------------


def get_step():
    _stack()
    return _state.step


def set_step(step) -> None:
    _stack()
    _state.step = None if step is None else _step_value(step)


# ---- graph traces --------------------------------------------------------------------------

_trace: dict = {}


def trace_on(graph=True, profiler=False, profiler_outdir=None) -> None:
    """Record the graphs of the tapeflow.functions traced from now until trace_export."""
    trace_off()
    _trace["graphs"] = [] if graph else None
    _trace["hook"] = _trace["graphs"].append if graph else None
    if graph:
        _tracing.trace_hooks.append(_trace["hook"])
    if profiler:
        if profiler_outdir is None:
            raise ValueError("tf.summary.trace_on(profiler=True) needs profiler_outdir")
        _profiler.start(profiler_outdir)
        _trace["profiler"] = True


def trace_off() -> None:
    """Stop recording graphs (and the profiler trace_on started) without writing them."""
    hook = _trace.pop("hook", None)
    if hook is not None and hook in _tracing.trace_hooks:
        _tracing.trace_hooks.remove(hook)
    _trace.pop("graphs", None)
    if _trace.pop("profiler", False) and _profiler.running():
        _profiler.stop()


def trace_export(name, step=None, profiler_outdir=None) -> None:
    """Write the recorded graphs to the default writer, then stop recording."""
    if "graphs" not in _trace:
        raise ValueError("Must enable trace before export through tf.summary.trace_on.")
    graphs = _trace["graphs"] or []
    try:
        writer, step = _writer_and_step(step, "trace_export")
        if writer is not None:
            metadata = rec.run_metadata([graph_def(c.graph).SerializeToString()
                                         for c in graphs])
            tensor = rec.tensor_proto(rec.DT_STRING, (), strings=[metadata])
            writer.write_summary(
                rec.summary_value(_tag(name), tensor, "graph_run_metadata_graph", b"1"), step)
    finally:
        trace_off()

"""`tf.profiler.experimental.start(logdir)` / `stop()`: a profile of the Python host code
between them, written at stop to `logdir/plugins/profile/<YYYY_MM_DD_HH_MM_SS>/<host>.pstats`
(Python's cProfile statistics: read them with `pstats.Stats(path)`; TensorBoard's profile
plugin reads only TensorFlow's own XPlane format). tapeflow's compiled kernels show there as
the calls that run them. One profiler runs at a time, on the thread that started it.
"""

from __future__ import annotations

import contextlib
import cProfile
import os
import socket
import time

from tapeflow.ops.errors import AlreadyExistsError, UnavailableError

_running: dict = {}


def running() -> bool:
    return "profile" in _running


def start(logdir, options=None) -> None:
    if running():
        raise AlreadyExistsError(None, None, "Another profiler is running.")
    if not isinstance(logdir, str | os.PathLike) or not os.fspath(logdir):
        raise ValueError(f"profiler.experimental.start: logdir must be a directory path, got "
                         f"{logdir!r}")
    profile = cProfile.Profile()
    _running.update(profile=profile, logdir=os.fspath(logdir))
    profile.enable()


def stop(save=True) -> str | None:
    """Stop profiling; with `save`, write the statistics and return the file's path."""
    if not running():
        raise UnavailableError(None, None, "Cannot export profiling results. No profiler is "
                                           "running.")
    profile, logdir = _running.pop("profile"), _running.pop("logdir")
    profile.disable()
    if not save:
        return None
    run = time.strftime("%Y_%m_%d_%H_%M_%S")
    directory = os.path.join(logdir, "plugins", "profile", run)
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, f"{socket.gethostname()}.pstats")
    profile.dump_stats(path)
    return path


@contextlib.contextmanager
def Profile(logdir, options=None):
    """`with tf.profiler.experimental.Profile(logdir):` profiles the block."""
    start(logdir, options)
    try:
        yield
    finally:
        stop()

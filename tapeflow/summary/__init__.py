"""`tf.summary`: TensorBoard event files written by eager code (writer.py, records.py), and
the host profile behind `tf.profiler.experimental` (profiler.py).

This package is the public namespace itself (`tapeflow.summary is tf.summary`): `import
tapeflow` loads it on first use, and whichever of its modules is imported first, the
attribute is the same.
"""

import types as _types

from tapeflow.summary.writer import (  # noqa: F401
    SummaryWriter,
    create_file_writer,
    histogram,
    scalar,
    text,
    trace_export,
    trace_off,
    trace_on,
)
from tapeflow.summary.writer import get_step as _get_step
from tapeflow.summary.writer import set_step as _set_step

experimental = _types.SimpleNamespace(get_step=_get_step, set_step=_set_step)

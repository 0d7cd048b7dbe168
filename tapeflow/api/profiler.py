"""`tf.profiler.experimental`: a profile of the host code (tapeflow/summary/profiler.py)."""

import types as _types

from tapeflow.summary import profiler as _profiler

experimental = _types.SimpleNamespace(start=_profiler.start, stop=_profiler.stop,
                                      Profile=_profiler.Profile)

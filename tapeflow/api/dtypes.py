"""`tf.dtypes`: the DType class, `as_dtype` and every dtype name."""

from tapeflow.tracer.dtypes import *  # noqa: F401,F403
from tapeflow.tracer.dtypes import DType, as_dtype  # noqa: F401

"""`tf.errors`: InvalidArgumentError is a ValueError, so `except ValueError` also works."""

from tapeflow.ops.core import InvalidArgumentError  # noqa: F401

"""`tf.train`: checkpoints."""

from tapeflow.checkpoint import (  # noqa: F401
    Checkpoint,
    CheckpointManager,
    latest_checkpoint,
)

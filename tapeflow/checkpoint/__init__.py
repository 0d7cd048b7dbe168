"""Checkpoints (`tf.train.Checkpoint`, `CheckpointManager`): the protocol by which objects
expose their variables and the file format are described in checkpoint.py."""

from tapeflow.checkpoint.checkpoint import (
    Checkpoint,
    CheckpointError,
    CheckpointLoadStatus,
    CheckpointWarning,
    InitializationOnlyStatus,
    LoadStatus,
    latest_checkpoint,
    list_variables,
    load_variable,
    named_variables,
)
from tapeflow.checkpoint.manager import CheckpointManager

__all__ = ["Checkpoint", "CheckpointError", "CheckpointLoadStatus", "CheckpointManager",
           "CheckpointWarning", "InitializationOnlyStatus", "LoadStatus", "latest_checkpoint", "list_variables", "load_variable", "named_variables"]

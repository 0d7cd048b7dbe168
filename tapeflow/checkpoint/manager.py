"""`tf.train.CheckpointManager`: numbered checkpoints in one directory, the oldest deleted
beyond `max_to_keep`."""

from __future__ import annotations

import os

from tapeflow.checkpoint.checkpoint import (
    Checkpoint,
    file_of,
    read_state,
    write_state,
)
from tapeflow.ops.core import InvalidArgumentError


class CheckpointManager:
    """Saves `checkpoint` as `{directory}/{checkpoint_name}-{n}` and keeps the newest
    `max_to_keep` (None keeps all). The directory's `checkpoint` file lists them, so a new
    manager over the same directory (a resumed run) knows them and goes on numbering."""

    def __init__(self, checkpoint: Checkpoint, directory, max_to_keep,
                 keep_checkpoint_every_n_hours=None,
                 checkpoint_name="ckpt", step_counter=None, checkpoint_interval=None,
                 init_fn=None):
        if not isinstance(checkpoint, Checkpoint):
            raise InvalidArgumentError(f"CheckpointManager: expected a tf.train.Checkpoint, got "
                                       f"{type(checkpoint).__name__}")
        if max_to_keep is not None and max_to_keep < 1:
            raise InvalidArgumentError(f"CheckpointManager: max_to_keep must be None or "
                                       f"positive, got {max_to_keep}")
        self._checkpoint = checkpoint
        self.directory = os.fspath(directory)
        self._max_to_keep = max_to_keep
        self._prefix = os.path.join(self.directory, checkpoint_name)
        self._init_fn = init_fn
        state = read_state(self.directory)
        self._paths = [p for p in state["all"] if os.path.exists(file_of(p))]

    @property
    def checkpoints(self) -> list[str]:
        """The checkpoints kept, oldest first."""
        return list(self._paths)

    @property
    def latest_checkpoint(self) -> str | None:
        return self._paths[-1] if self._paths else None

    def save(self, checkpoint_number=None, check_interval=True, options=None) -> str:
        """Save the next checkpoint (numbered by the checkpoint's save counter, or
        `checkpoint_number`), then delete the oldest beyond max_to_keep; returns its path."""
        os.makedirs(self.directory, exist_ok=True)
        counter = self._checkpoint.save_counter
        counter.assign_add(1)
        number = int(counter.numpy()) if checkpoint_number is None else int(checkpoint_number)
        path = f"{self._prefix}-{number}"
        try:
            self._checkpoint.write(path)
        except BaseException:
            counter.assign_sub(1)
            raise
        self._paths = [p for p in self._paths if os.path.abspath(p) != os.path.abspath(path)]
        self._paths.append(path)
        removed = []
        if self._max_to_keep is not None:
            while len(self._paths) > self._max_to_keep:
                removed.append(self._paths.pop(0))
        # Record first, then delete: a crash in between leaves files nobody lists, never a
        # list naming files that are gone.
        write_state(self.directory, os.path.abspath(path),
                    [os.path.abspath(p) for p in self._paths])
        for old in removed:
            try:
                os.remove(file_of(old))
            except FileNotFoundError:
                pass
        return path

    def restore_or_initialize(self):
        """Restore the latest checkpoint and return its path; without one, call `init_fn`
        (if given) and return None."""
        if self.latest_checkpoint is not None:
            self._checkpoint.restore(self.latest_checkpoint)
            return self.latest_checkpoint
        if self._init_fn is not None:
            self._init_fn()
        return None

"""What the `tapeflow` command does, as functions: load a target, trace it, profile it."""

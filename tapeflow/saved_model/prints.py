"""A saved trace's `tf.print`s (runtime/effects.py), written to and read from the manifest.

Each print of a traced path is saved as

    {"arguments": the skeleton of its arguments (format.encode_structure),
     "leaves": [{"output": 5}, {"str": "loss:"}, {"float": "0.5"}, ...],
                                   per leaf, in nest order: the graph output holding a printed
                                   tensor, or a Python literal (floats by repr, so nan and inf
                                   survive JSON)
     "sep": " ", "end": "\\n", "summarize": 3,
     "stream": "stderr" | "stdout" | "file:///tmp/log.txt"}

as TensorFlow's PrintV2 op keeps its output stream by name: a print to another Python stream
object (an io.StringIO) has no name that a later process could open, and is refused.
"""

from __future__ import annotations

import sys

from tapeflow import nest
from tapeflow.api.printing import CURRENT_STDOUT
from tapeflow.runtime.effects import PRINTED_TENSOR, PrintEffect, is_printed_tensor
from tapeflow.saved_model.format import SavedModelError, decode_structure, encode_structure

_LITERALS = {"str": str, "int": int, "bool": bool}


def encode_print(effect: PrintEffect, outputs: list[int], where: str) -> dict:
    """The JSON entry of one traced tf.print whose tensors are the graph `outputs`."""
    indices = iter(outputs)
    leaves = []
    for leaf in effect.leaves:
        if is_printed_tensor(leaf):
            leaves.append({"output": next(indices)})
        elif leaf is None:
            leaves.append({"none": None})
        elif type(leaf) in (str, int, bool):
            leaves.append({type(leaf).__name__: leaf})
        elif type(leaf) is float:
            leaves.append({"float": repr(leaf)})
        else:
            raise SavedModelError(
                f"{where}: a traced path prints a {type(leaf).__name__} (tf.print); only "
                "tensors and Python literals (numbers, strings, bools, None) can be saved")
    return {"arguments": encode_structure(effect.structure), "leaves": leaves,
            "sep": effect.sep, "end": effect.end, "summarize": effect.summarize,
            "stream": _stream_name(effect.stream, where)}


def decode_print(entry: dict, n_outputs: int) -> tuple[PrintEffect, list[int]]:
    """The print of a saved entry, and the graph outputs its tensors are read from."""
    outputs, leaves = [], []
    for leaf in entry["leaves"]:
        (kind, value), = leaf.items()
        if kind == "output":
            index = int(value)
            if not 0 <= index < n_outputs:
                raise SavedModelError(f"a print reads graph output {index} of {n_outputs}")
            outputs.append(index)
            leaves.append(PRINTED_TENSOR)
        elif kind == "none":
            leaves.append(None)
        elif kind == "float":
            leaves.append(float(value))
        elif kind in _LITERALS and type(value) is _LITERALS[kind]:
            leaves.append(value)
        else:
            raise SavedModelError(f"bad print argument {leaf!r}")
    structure = decode_structure(entry["arguments"])
    if len(nest.flatten(structure)) != len(leaves):
        raise SavedModelError(f"a print has {len(leaves)} arguments for a structure of "
                              f"{len(nest.flatten(structure))}")
    sep, end, summarize = entry["sep"], entry["end"], entry["summarize"]
    if not (isinstance(sep, str) and isinstance(end, str) and type(summarize) is int):
        raise SavedModelError(f"bad print options {sep!r}, {end!r}, {summarize!r}")
    effect = PrintEffect(structure, leaves, sep, end, summarize, _stream(entry["stream"]))
    return effect, outputs


def _stream_name(stream, where: str) -> str:
    if stream is None:  # tf.print's default, sys.stderr looked up on each write
        return "stderr"
    if isinstance(stream, str):
        return "file://" + stream
    if stream is sys.stdout or stream is sys.__stdout__ or stream is CURRENT_STDOUT:
        return "stdout"
    raise SavedModelError(
        f"{where}: a traced path prints to {stream!r} (tf.print's output_stream); only "
        "sys.stdout, sys.stderr and 'file://PATH' can be saved")


def _stream(name):
    if name == "stderr":
        return None
    if name == "stdout":
        return CURRENT_STDOUT
    if isinstance(name, str) and name.startswith("file://") and len(name) > len("file://"):
        return name[len("file://"):]
    raise SavedModelError(f"bad print stream {name!r}")


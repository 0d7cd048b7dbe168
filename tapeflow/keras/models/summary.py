"""`model.summary()`: one row per layer (name, type, output shape, parameter count) and the
totals, laid out as Keras does."""

from __future__ import annotations

import math


def _shape_text(shape) -> str:
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return ", ".join(_shape_text(s) for s in shape)
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + \
        ("," if len(shape) == 1 else "") + ")"


def _count(variables) -> int:
    return sum(math.prod(v.shape) for v in variables)


def print_summary(model, print_fn, line_length: int) -> None:
    if not model.built:
        raise ValueError(
            f"model {model.name!r} is not built yet, so its layers have no shapes: call it on a "
            "batch first, give it a tf.keras.Input, or call model.build(input_shape)"
        )
    columns = (int(line_length * 0.45), int(line_length * 0.85), line_length)
    print_fn(f'Model: "{model.name}"')
    print_fn("_" * line_length)
    print_fn(_row(["Layer (type)", "Output Shape", "Param #"], columns))
    print_fn("=" * line_length)
    layers = model.layers
    for i, layer in enumerate(layers):
        try:
            shape = layer.output_shape
        except AttributeError:
            shape = None
        print_fn(_row([f"{layer.name} ({type(layer).__name__})", _shape_text(shape),
                       f"{layer.count_params()}"], columns))
        if i < len(layers) - 1:
            print_fn("")
    print_fn("=" * line_length)
    trainable = _count(model.trainable_weights)
    frozen = _count(model.non_trainable_weights)
    print_fn(f"Total params: {trainable + frozen:,}")
    print_fn(f"Trainable params: {trainable:,}")
    print_fn(f"Non-trainable params: {frozen:,}")
    print_fn("_" * line_length)


def _row(fields, positions) -> str:
    line = ""
    for field, end in zip(fields, positions):
        line += " " + str(field)
        line = line[: end - 1].ljust(end)
    return line.rstrip()

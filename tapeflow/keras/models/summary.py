"""`model.summary()`: one row per layer (name and type, output shape, parameter count) and
the totals, in Keras 3's box table (what TensorFlow 2.16+'s tf.keras prints):

    Model: "sequential"
    ┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
    ┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
    ┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
    │ dense (Dense)                   │ (None, 128)            │       100,480 │
    ├─────────────────────────────────┼────────────────────────┼───────────────┤
    │ batch_normalization             │ (None, 10)             │            40 │
    │ (BatchNormalization)            │                        │               │
    └─────────────────────────────────┴────────────────────────┴───────────────┘
     Total params: 100,520 (392.66 KB)
     Trainable params: 100,500 (392.58 KB)
     Non-trainable params: 20 (80.00 B)

A cell's text is wrapped at spaces to its column's width; a word longer than the width is cut
with "…". Parameter counts have thousands separators; sizes are the weights' bytes in units
of 1024.
"""

from __future__ import annotations

import math

# The columns' inner widths (text between "│ " and " │") of Keras 3's default table.
WIDTHS = (31, 22, 13)


def _shape_text(shape) -> str:
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return ", ".join(_shape_text(s) for s in shape)
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + \
        ("," if len(shape) == 1 else "") + ")"


def _count(variables) -> int:
    return sum(math.prod(v.shape) for v in variables)


def _bytes(variables) -> int:
    return sum(math.prod(v.shape) * v.aval.dtype.itemsize for v in variables)


def _memory_text(n_bytes: float) -> str:
    """`397.70 KB`: two decimals in the largest unit (of 1024) that keeps the number >= 1."""
    for unit in ("B", "KB", "MB", "GB"):
        if n_bytes < 1024 or unit == "GB":
            return f"{n_bytes:.2f} {unit}"
        n_bytes /= 1024
    raise AssertionError("unreachable")


def _wrap(text: str, width: int) -> list[str]:
    """Words greedily filled into lines of `width`; a word too long for one is cut with …."""
    lines: list[str] = []
    for word in text.split(" "):
        if len(word) > width:
            word = word[:width - 1] + "…"
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def _widths(line_length: int | None) -> tuple[int, ...]:
    if line_length is None:
        return WIDTHS
    # The default table is 76 characters wide; others scale its columns.
    inner = max(line_length - 10, 12)
    first = max(int(inner * WIDTHS[0] / sum(WIDTHS)), 4)
    second = max(int(inner * WIDTHS[1] / sum(WIDTHS)), 4)
    return first, second, max(inner - first - second, 4)


def _rule(left: str, fill: str, middle: str, right: str, widths) -> str:
    return left + middle.join(fill * (w + 2) for w in widths) + right


def _row(cells, widths, edge: str = "│") -> list[str]:
    wrapped = [_wrap(cells[0], widths[0]), _wrap(cells[1], widths[1]), [cells[2]]]
    height = max(len(w) for w in wrapped)
    lines = []
    for i in range(height):
        parts = [w[i] if i < len(w) else "" for w in wrapped]
        lines.append(f"{edge} {parts[0].ljust(widths[0])} {edge} {parts[1].ljust(widths[1])} "
                     f"{edge} {parts[2].rjust(widths[2])} {edge}")
    return lines


def print_summary(model, print_fn, line_length: int | None) -> None:
    if not model.built:
        raise ValueError(
            f"model {model.name!r} is not built yet, so its layers have no shapes: call it on a "
            "batch first, give it a tf.keras.Input, or call model.build(input_shape)"
        )
    widths = _widths(line_length)
    lines = [f'Model: "{model.name}"', _rule("┏", "━", "┳", "┓", widths)]
    lines += _row(["Layer (type)", "Output Shape", "Param #"], widths, edge="┃")
    lines.append(_rule("┡", "━", "╇", "┩", widths))
    layers = model.layers
    for i, layer in enumerate(layers):
        try:
            shape = layer.output_shape
        except AttributeError:
            shape = None
        lines += _row([f"{layer.name} ({type(layer).__name__})", _shape_text(shape),
                       f"{layer.count_params():,}"], widths)
        if i < len(layers) - 1:
            lines.append(_rule("├", "─", "┼", "┤", widths))
    lines.append(_rule("└", "─", "┴", "┘", widths))
    trainable, frozen = model.trainable_weights, model.non_trainable_weights
    for label, variables in (("Total", trainable + frozen), ("Trainable", trainable),
                             ("Non-trainable", frozen)):
        lines.append(f" {label} params: {_count(variables):,} ({_memory_text(_bytes(variables))})")
    for line in lines:
        print_fn(line)

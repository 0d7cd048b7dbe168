"""`tf.image`: the image ops TensorFlow's guides use (tapeflow/ops/image.py)."""

from tapeflow.ops.image import adjust_contrast  # noqa: F401

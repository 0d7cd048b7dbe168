"""`tf.image`: geometry, resizing, dtype and colour conversions, colour adjustments,
measures and filters, and the random augmentations (tapeflow/ops/image*.py,
tapeflow/tracer/image_random.py)."""

from tapeflow.ops.image_color import (  # noqa: F401
    adjust_brightness,
    adjust_contrast,
    adjust_gamma,
    adjust_hue,
    adjust_saturation,
    convert_image_dtype,
    grayscale_to_rgb,
    hsv_to_rgb,
    per_image_standardization,
    rgb_to_grayscale,
    rgb_to_hsv,
)
from tapeflow.ops.image_geometry import (  # noqa: F401
    central_crop,
    crop_to_bounding_box,
    flip_left_right,
    flip_up_down,
    pad_to_bounding_box,
    resize_with_crop_or_pad,
    rot90,
)
from tapeflow.ops.image_geometry import transpose_image as transpose  # noqa: F401
from tapeflow.ops.image_metrics import (  # noqa: F401
    extract_patches,
    image_gradients,
    psnr,
    sobel_edges,
    ssim,
    total_variation,
)
from tapeflow.ops.image_resize import ResizeMethod, resize, resize_with_pad  # noqa: F401
from tapeflow.tracer.image_random import (  # noqa: F401
    random_brightness,
    random_contrast,
    random_crop,
    random_flip_left_right,
    random_flip_up_down,
    random_hue,
    random_saturation,
    stateless_random_brightness,
    stateless_random_flip_left_right,
    stateless_random_flip_up_down,
)

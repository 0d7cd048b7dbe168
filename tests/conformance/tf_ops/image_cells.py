"""Op cells: image (see cells.py for what a cell is and how its text was confirmed).

tf.image's geometry (flips, rot90, crops and pads and their errors), resize's half-pixel
bilinear and nearest sampling and dtypes, convert_image_dtype's scaling, the colour ops,
the measures, and the random augmentations printed as shapes and facts that hold for every
draw. Float values are printed rounded where float32's last digits could differ; an error
is printed by its class only.
"""

from __future__ import annotations

from tests.conformance.guides.cells import Cell, _cells

_ERRORS = """
except tf.errors.InvalidArgumentError:
    print("InvalidArgumentError")
except ValueError:
    print("ValueError")
except TypeError:
    print("TypeError")
"""

_IMAGE = """
x = tf.reshape(tf.range(2 * 3 * 4, dtype=tf.float32), [2, 3, 4, 1])
"""

CELLS: list[Cell] = _cells(
    "image",
    ('flips, rot90 and transpose move pixels', _IMAGE + """
print(tf.squeeze(tf.image.flip_left_right(x)[0]))
print(tf.squeeze(tf.image.flip_up_down(x[0])))
print(tf.squeeze(tf.image.rot90(x[0])))
print(tf.squeeze(tf.image.rot90(x, k=3)[1]))
print(tf.image.transpose(x).shape)
""", """tf.Tensor(
[[ 3.  2.  1.  0.]
 [ 7.  6.  5.  4.]
 [11. 10.  9.  8.]], shape=(3, 4), dtype=float32)
tf.Tensor(
[[ 8.  9. 10. 11.]
 [ 4.  5.  6.  7.]
 [ 0.  1.  2.  3.]], shape=(3, 4), dtype=float32)
tf.Tensor(
[[ 3.  7. 11.]
 [ 2.  6. 10.]
 [ 1.  5.  9.]
 [ 0.  4.  8.]], shape=(4, 3), dtype=float32)
tf.Tensor(
[[20. 16. 12.]
 [21. 17. 13.]
 [22. 18. 14.]
 [23. 19. 15.]], shape=(4, 3), dtype=float32)
(2, 4, 3, 1)
"""),
    ('crops and pads', _IMAGE + """
print(tf.squeeze(tf.image.central_crop(x[0], 0.5)))
print(tf.squeeze(tf.image.crop_to_bounding_box(x, 1, 1, 2, 2)[1]))
print(tf.squeeze(tf.image.pad_to_bounding_box(x[0], 1, 0, 4, 5)))
print(tf.image.resize_with_crop_or_pad(x, 5, 2).shape)
print(tf.squeeze(tf.image.resize_with_crop_or_pad(x[0], 5, 2)))
""", """tf.Tensor(
[[ 1.  2.]
 [ 5.  6.]
 [ 9. 10.]], shape=(3, 2), dtype=float32)
tf.Tensor(
[[17. 18.]
 [21. 22.]], shape=(2, 2), dtype=float32)
tf.Tensor(
[[ 0.  0.  0.  0.  0.]
 [ 0.  1.  2.  3.  0.]
 [ 4.  5.  6.  7.  0.]
 [ 8.  9. 10. 11.  0.]], shape=(4, 5), dtype=float32)
(2, 5, 2, 1)
tf.Tensor(
[[ 0.  0.]
 [ 1.  2.]
 [ 5.  6.]
 [ 9. 10.]
 [ 0.  0.]], shape=(5, 2), dtype=float32)
"""),
    ('a crop box outside the image and a 2-D image are ValueErrors', _IMAGE + """
for call in (lambda: tf.image.crop_to_bounding_box(x, 2, 0, 2, 4),
             lambda: tf.image.crop_to_bounding_box(x, -1, 0, 2, 4),
             lambda: tf.image.pad_to_bounding_box(x, 0, 1, 3, 4),
             lambda: tf.image.flip_left_right(tf.zeros([3, 4])),
             lambda: tf.image.central_crop(x, 0.0)):
    try:
        call()
        print("no error")""" + _ERRORS.replace("\n", "\n    ") + """
""", """ValueError
ValueError
ValueError
ValueError
ValueError
"""),
    ('bilinear resize uses half-pixel centres and returns float32', """
x = tf.constant([[0., 1., 2.], [3., 4., 5.]])[:, :, None]
print(tf.squeeze(tf.image.resize(x, [4, 6])))
print(tf.squeeze(tf.image.resize(x, [1, 2])))
u = tf.constant([[[0], [255]]], tf.uint8)
print(tf.image.resize(u, [1, 4]).dtype, tf.squeeze(tf.image.resize(u, [1, 4])))
""", """tf.Tensor(
[[0.   0.25 0.75 1.25 1.75 2.  ]
 [0.75 1.   1.5  2.   2.5  2.75]
 [2.25 2.5  3.   3.5  4.   4.25]
 [3.   3.25 3.75 4.25 4.75 5.  ]], shape=(4, 6), dtype=float32)
tf.Tensor([1.75 3.25], shape=(2,), dtype=float32)
<dtype: 'float32'> tf.Tensor([  0.    63.75 191.25 255.  ], shape=(4,), dtype=float32)
"""),
    ('nearest resize keeps the dtype; resize_with_pad keeps the aspect ratio', """
u = tf.cast(tf.reshape(tf.range(6), [2, 3, 1]), tf.uint8)
print(tf.squeeze(tf.image.resize(u, [3, 5], method="nearest")))
print(tf.squeeze(tf.image.resize(u, [1, 2], tf.image.ResizeMethod.NEAREST_NEIGHBOR)))
print(tf.image.resize(tf.zeros([1, 4, 8, 3]), [6, 6], preserve_aspect_ratio=True).shape)
print(tf.squeeze(tf.image.resize_with_pad(tf.ones([2, 4, 1]), 4, 4)))
print(tf.image.ResizeMethod.BILINEAR, tf.image.ResizeMethod.AREA)
""", """tf.Tensor(
[[0 0 1 2 2]
 [3 3 4 5 5]
 [3 3 4 5 5]], shape=(3, 5), dtype=uint8)
tf.Tensor([3 5], shape=(2,), dtype=uint8)
(1, 3, 6, 3)
tf.Tensor(
[[0. 0. 0. 0.]
 [1. 1. 1. 1.]
 [1. 1. 1. 1.]
 [0. 0. 0. 0.]], shape=(4, 4), dtype=float32)
bilinear area
"""),
    ('resize errors', """
x = tf.zeros([4, 4, 3])
for call in (lambda: tf.image.resize(x, [2, 2, 2]),
             lambda: tf.image.resize(x, [3, 3], "foo"),
             lambda: tf.image.resize(tf.zeros([4, 4]), [2, 2]),
             lambda: tf.image.resize(x, [0, 2])):
    try:
        call()
        print("no error")""" + _ERRORS.replace("\n", "\n    ") + """
""", """ValueError
ValueError
ValueError
InvalidArgumentError
"""),
    ('bilinear resize gradient', """
v = tf.Variable(tf.constant([[1., 2.], [3., 4.]])[:, :, None])
with tf.GradientTape() as tape:
    y = tf.reduce_sum(tf.image.resize(v, [3, 5]) * tf.reshape(tf.range(15.), [3, 5, 1]) / 15.)
print(tf.round(tf.squeeze(tape.gradient(y, v)) * 1e4) / 1e4)
""", """tf.Tensor(
[[0.6367 1.1967]
 [2.3033 2.8633]], shape=(2, 2), dtype=float32)
"""),
    ('convert_image_dtype scales between uint8 and float', """
print(tf.image.convert_image_dtype(tf.constant([0, 1, 128, 255], tf.uint8), tf.float32))
print(tf.image.convert_image_dtype(tf.constant([0., 0.25, 0.5, 0.999, 1.0]), tf.uint8))
print(tf.image.convert_image_dtype(tf.constant([-0.5, 0.5, 1.5]), tf.uint8, saturate=True))
print(tf.image.convert_image_dtype(tf.constant([0, 1, 255], tf.uint8), tf.int32))
print(tf.image.convert_image_dtype(tf.constant([0, 2 ** 24, 2 ** 31 - 1]), tf.uint8))
""", """tf.Tensor([0.         0.00392157 0.5019608  1.        ], shape=(4,), dtype=float32)
tf.Tensor([  0  63 127 255 255], shape=(5,), dtype=uint8)
tf.Tensor([  0 127 255], shape=(3,), dtype=uint8)
tf.Tensor([         0    8388608 2139095040], shape=(3,), dtype=int32)
tf.Tensor([  0   2 255], shape=(3,), dtype=uint8)
"""),
    ('grayscale and HSV', """
rgb = tf.constant([[[1., 0., 0.], [0., 1., 0.], [0.2, 0.4, 0.6], [0.5, 0.5, 0.5]]])
print(tf.round(tf.image.rgb_to_grayscale(rgb) * 1e4) / 1e4)
print(tf.image.rgb_to_grayscale(tf.constant([[[255, 128, 0]]], tf.uint8)))
hsv = tf.image.rgb_to_hsv(rgb)
print(tf.round(hsv * 1e4) / 1e4)
print(tf.round(tf.image.hsv_to_rgb(hsv) * 1e4) / 1e4)
print(tf.image.grayscale_to_rgb(tf.constant([[[0.25]]])))
try:
    tf.image.grayscale_to_rgb(rgb)
except ValueError:
    print("ValueError")
""", """tf.Tensor(
[[[0.2989]
  [0.587 ]
  [0.363 ]
  [0.5   ]]], shape=(1, 4, 1), dtype=float32)
tf.Tensor([[[151]]], shape=(1, 1, 1), dtype=uint8)
tf.Tensor(
[[[0.     1.     1.    ]
  [0.3333 1.     1.    ]
  [0.5833 0.6667 0.6   ]
  [0.     0.     0.5   ]]], shape=(1, 4, 3), dtype=float32)
tf.Tensor(
[[[1.  0.  0. ]
  [0.  1.  0. ]
  [0.2 0.4 0.6]
  [0.5 0.5 0.5]]], shape=(1, 4, 3), dtype=float32)
tf.Tensor([[[0.25 0.25 0.25]]], shape=(1, 1, 3), dtype=float32)
ValueError
"""),
    ('colour adjustments', """
rgb = tf.constant([[[0.2, 0.4, 0.6], [0.9, 0.1, 0.3]]])
print(tf.round(tf.image.adjust_brightness(rgb, 0.5) * 1e4) / 1e4)
print(tf.image.adjust_brightness(tf.constant([[[10, 200, 250]]], tf.uint8), 0.1))
print(tf.round(tf.image.adjust_saturation(rgb, 0.5) * 1e4) / 1e4)
print(tf.round(tf.image.adjust_hue(rgb, 0.25) * 1e4) / 1e4)
print(tf.round(tf.image.adjust_gamma(rgb, 2.0, 0.5) * 1e4) / 1e4)
print(tf.image.adjust_gamma(tf.constant([[[16, 64, 255]]], tf.uint8), 0.5))
for call in (lambda: tf.image.adjust_hue(rgb, 1.5), lambda: tf.image.adjust_gamma(rgb, -1.)):
    try:
        call()
    except ValueError:
        print("ValueError")
""", """tf.Tensor(
[[[0.7 0.9 1.1]
  [1.4 0.6 0.8]]], shape=(1, 2, 3), dtype=float32)
tf.Tensor([[[ 35 225 255]]], shape=(1, 1, 3), dtype=uint8)
tf.Tensor(
[[[0.4 0.5 0.6]
  [0.9 0.5 0.6]]], shape=(1, 2, 3), dtype=float32)
tf.Tensor(
[[[0.6 0.2 0.6]
  [0.7 0.9 0.1]]], shape=(1, 2, 3), dtype=float32)
tf.Tensor(
[[[0.02  0.08  0.18 ]
  [0.405 0.005 0.045]]], shape=(1, 2, 3), dtype=float32)
tf.Tensor([[[ 64 128 255]]], shape=(1, 1, 3), dtype=uint8)
ValueError
ValueError
"""),
    ('standardization, total variation, gradients, sobel', _IMAGE + """
print(tf.round(tf.image.per_image_standardization(x[0])[:, :, 0] * 1e4) / 1e4)
print(tf.image.per_image_standardization(tf.ones([2, 2, 1])))
print(tf.image.total_variation(x), tf.image.total_variation(x[0]))
dy, dx = tf.image.image_gradients(x)
print(tf.squeeze(dy[0]), tf.squeeze(dx[0]))
print(tf.image.sobel_edges(x).shape, tf.squeeze(tf.image.sobel_edges(x)[0, 1]))
""", """tf.Tensor(
[[-1.5933 -1.3036 -1.0139 -0.7242]
 [-0.4345 -0.1448  0.1448  0.4345]
 [ 0.7242  1.0139  1.3036  1.5933]], shape=(3, 4), dtype=float32)
tf.Tensor(
[[[0.]
  [0.]]

 [[0.]
  [0.]]], shape=(2, 2, 1), dtype=float32)
tf.Tensor([41. 41.], shape=(2,), dtype=float32) tf.Tensor(41.0, shape=(), dtype=float32)
tf.Tensor(
[[4. 4. 4. 4.]
 [4. 4. 4. 4.]
 [0. 0. 0. 0.]], shape=(3, 4), dtype=float32) tf.Tensor(
[[1. 1. 1. 0.]
 [1. 1. 1. 0.]
 [1. 1. 1. 0.]], shape=(3, 4), dtype=float32)
(2, 3, 4, 1, 2) tf.Tensor(
[[32.  0.]
 [32.  8.]
 [32.  8.]
 [32.  0.]], shape=(4, 2), dtype=float32)
"""),
    ('psnr and ssim', """
a = tf.reshape(tf.range(2 * 12 * 12 * 3, dtype=tf.float32) % 7 / 7., [2, 12, 12, 3])
b = a * 0.9
print(tf.round(tf.image.psnr(a, b, 1.0) * 1e3) / 1e3)
print(tf.image.psnr(a, a, 1.0))
print(tf.round(tf.image.ssim(a, b, 1.0) * 1e4) / 1e4)
print(tf.image.ssim(a, a, 1.0))
print(tf.round(tf.image.ssim(a, b, 1.0, filter_size=3) * 1e4) / 1e4)
""", """tf.Tensor([25.79  25.762], shape=(2,), dtype=float32)
tf.Tensor([inf inf], shape=(2,), dtype=float32)
tf.Tensor([0.989 0.989], shape=(2,), dtype=float32)
tf.Tensor([1. 1.], shape=(2,), dtype=float32)
tf.Tensor([0.989 0.989], shape=(2,), dtype=float32)
"""),
    ('extract_patches', _IMAGE + """
print(tf.image.extract_patches(x, [1, 2, 2, 1], [1, 1, 1, 1], [1, 1, 1, 1], "VALID")[0])
print(tf.image.extract_patches(x, [1, 2, 2, 1], [1, 2, 2, 1], [1, 1, 1, 1], "SAME").shape)
""", """tf.Tensor(
[[[ 0.  1.  4.  5.]
  [ 1.  2.  5.  6.]
  [ 2.  3.  6.  7.]]

 [[ 4.  5.  8.  9.]
  [ 5.  6.  9. 10.]
  [ 6.  7. 10. 11.]]], shape=(2, 3, 4), dtype=float32)
(2, 2, 2, 4)
"""),
    ('random augmentations keep shapes and ranges', """
tf.random.set_seed(3)
x = tf.reshape(tf.range(2 * 4 * 5 * 3, dtype=tf.float32) / 120., [2, 4, 5, 3])
f = tf.image.random_flip_left_right(x)
print(f.shape, bool(tf.reduce_all(tf.logical_or(
    tf.reduce_all(f == x, [1, 2, 3]), tf.reduce_all(f == tf.image.flip_left_right(x), [1, 2, 3])))))
d = tf.image.random_brightness(x, 0.2) - x
print(bool(tf.reduce_all(tf.abs(d) <= 0.2)), bool(tf.reduce_max(d) - tf.reduce_min(d) < 1e-5))
print(tf.image.random_crop(x, [2, 3, 3, 3]).shape)
print(tf.image.random_contrast(x, 0.5, 1.5).shape, tf.image.random_saturation(x, 0.5, 1.5).shape)
print(tf.image.random_hue(x, 0.1).dtype)
s = tf.image.stateless_random_brightness(x, 0.2, seed=(1, 2))
print(bool(tf.reduce_all(s == tf.image.stateless_random_brightness(x, 0.2, seed=(1, 2)))))
for call in (lambda: tf.image.random_brightness(x, -1.), lambda: tf.image.random_contrast(x, 0.5, 0.2),
             lambda: tf.image.random_hue(x, 0.6), lambda: tf.image.random_crop(x, [3, 3, 3, 3])):
    try:
        call()
        print("no error")""" + _ERRORS.replace("\n", "\n    ") + """
""", """(2, 4, 5, 3) True
True True
(2, 3, 3, 3)
(2, 4, 5, 3) (2, 4, 5, 3)
<dtype: 'float32'>
True
ValueError
ValueError
ValueError
InvalidArgumentError
"""),
)

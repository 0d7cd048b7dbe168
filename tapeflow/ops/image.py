"""Image ops (`tf.image`), eager and compiled, as TensorFlow computes them; and
`no_gradient`, the marker for an op TensorFlow registers no gradient for.

`adjust_contrast(images, contrast_factor)` works on images of shape [..., height, width,
channels]: per image and channel, (x - mean) * contrast_factor + mean, the mean taken over
height and width. TensorFlow's kernel for it (AdjustContrastv2) has no gradient: a tape asked
to differentiate through it raises LookupError("gradient registry has no entry for:
AdjustContrastv2"), and so does tapeflow's, through `no_gradient`.
"""

from __future__ import annotations

from tapeflow.ops.core import (
    LoopKernel,
    OpTypeError,
    Primitive,
    ShapedArray,
    bind,
    dtype_of,
    promote,
    shape_of,
)
from tapeflow.ops.elementwise import add, cast, multiply, subtract
from tapeflow.ops.reductions import reduce_mean


def _same(x: ShapedArray, *, op_name: str) -> ShapedArray:
    return x


def _no_gradient_vjp(cts, out, inputs, wanted, *, op_name):
    raise LookupError(f"gradient registry has no entry for: {op_name}")


no_gradient_p = Primitive("no_gradient", doc="x itself; differentiating through it raises "
                                             "LookupError naming TensorFlow's op `op_name`")
no_gradient_p.def_abstract_eval(_same)
no_gradient_p.def_impl(lambda x, *, op_name: x)
no_gradient_p.def_vjp(_no_gradient_vjp)
# A copy (not a Scalar lowering: it is a marker, not an elementwise function to fuse).
no_gradient_p.def_lowering(LoopKernel(lambda out, ins, avals, *, op_name: [
    f"{out} = {ins[0]}.copy()"]))


def no_gradient(x, op_name: str):
    """`x`, marked as the output of TensorFlow op `op_name`, which has no gradient."""
    return bind(no_gradient_p, x, op_name=op_name)


def adjust_contrast(images, contrast_factor, name=None):
    """(images - mean) * contrast_factor + mean per image and channel (see the module
    docstring); float images, a scalar factor."""
    (x,) = promote("adjust_contrast", images)
    if dtype_of(x).kind != "f":
        raise OpTypeError(
            f"adjust_contrast: images must be float (float16, float32, float64), got "
            f"{dtype_of(x).name}{list(shape_of(x))}")
    if len(shape_of(x)) < 3:
        raise OpTypeError(
            f"adjust_contrast: images must have at least 3 axes [height, width, channels], "
            f"got shape {list(shape_of(x))}")
    (factor,) = promote("adjust_contrast", contrast_factor)
    if shape_of(factor) != ():
        raise OpTypeError(f"adjust_contrast: contrast_factor must be a scalar, got shape "
                          f"{list(shape_of(factor))}")
    if dtype_of(factor) != dtype_of(x):
        factor = cast(factor, dtype_of(x))
    mean = reduce_mean(x, axis=(-3, -2), keepdims=True)
    return no_gradient(add(multiply(subtract(x, mean), factor), mean), "AdjustContrastv2")


__all__ = ["adjust_contrast", "no_gradient"]

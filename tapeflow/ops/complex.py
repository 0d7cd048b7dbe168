"""Complex numbers: `complex` (real and imaginary parts -> a complex tensor), `real`,
`imag` and `angle` (a complex tensor -> its parts). The conjugate is `conj` in ops/linalg.py
and the magnitude is `abs` in ops/elementwise.py (its shape rule gives complex a real
result).

Complex tensors run eagerly and on the interpreter; compiled code handles float32/64,
int32/64 and bool only, so a traced graph holding a complex value runs on the interpreter
with a warning that names the op (runtime/backends.py: uncompiled_dtype). The lowerings
below are what Numba would compile if complex were admitted there.

Gradients follow TensorFlow's convention for a complex cotangent (d/dRe + i d/dIm of a real
loss): complex's is (real(g), imag(g)), real's complex(g, 0), imag's complex(0, g). The tape
differentiates real float values only: a gradient that passes through a complex tensor is
not taken (graph/autodiff.py: active_eqns), so these rules serve the day it is.
"""

from __future__ import annotations

import numpy as np

from tapeflow.ops.core import (
    OpTypeError,
    Primitive,
    Scalar,
    ShapedArray,
    bind,
    dtype_of,
    is_float,
    per_input,
    promote,
)
from tapeflow.ops.elementwise import broadcast_shapes, cast, less, where
from tapeflow.ops.shape import zeros_like

_COMPLEX_OF = {np.dtype(np.float32): np.dtype(np.complex64),
               np.dtype(np.float64): np.dtype(np.complex128)}
_REAL_OF = {c: f for f, c in _COMPLEX_OF.items()}

# --------------------------------------------------------------------------------------------
# complex(real, imag)
# --------------------------------------------------------------------------------------------

complex_p = Primitive("complex", doc="real + imag * 1j: float32 parts give complex64, float64 "
                                     "complex128 (broadcasting)")


@complex_p.def_abstract_eval
def _complex_rule(re: ShapedArray, im: ShapedArray) -> ShapedArray:
    if re.dtype != im.dtype or re.dtype not in _COMPLEX_OF:
        raise OpTypeError(
            f"complex: the real and imag parts must both be float32 or both float64, got "
            f"real {re} and imag {im}")
    return ShapedArray(broadcast_shapes("complex", re, im), _COMPLEX_OF[re.dtype])


def _complex_kernel(re, im):
    out = np.empty(np.broadcast_shapes(re.shape, im.shape), dtype=_COMPLEX_OF[re.dtype])
    out.real, out.imag = re, im
    return out


complex_p.def_impl(_complex_kernel)
complex_p.def_vjp(per_input(lambda g, out, re, im: real(g), lambda g, out, re, im: imag(g)))
complex_p.def_lowering(Scalar(lambda re, im: f"complex({re}, {im})"))

# --------------------------------------------------------------------------------------------
# real, imag, angle: a complex tensor -> float
# --------------------------------------------------------------------------------------------


def _part_rule(name: str):
    def rule(z: ShapedArray) -> ShapedArray:
        if z.dtype.kind != "c":
            raise OpTypeError(f"{name}: expects a complex tensor, got {z}")
        return ShapedArray(z.shape, _REAL_OF[z.dtype])

    return rule


real_p = Primitive("real", doc="the real part of each element of a complex tensor")
real_p.def_abstract_eval(_part_rule("real"))
real_p.def_impl(lambda z: np.ascontiguousarray(z.real))
real_p.def_vjp(per_input(lambda g, out, z: complex(g, zeros_like(g))))
real_p.def_lowering(Scalar(lambda z: f"({z}).real"))

imag_p = Primitive("imag", doc="the imaginary part of each element of a complex tensor")
imag_p.def_abstract_eval(_part_rule("imag"))
imag_p.def_impl(lambda z: np.ascontiguousarray(z.imag))
imag_p.def_vjp(per_input(lambda g, out, z: complex(zeros_like(g), g)))
imag_p.def_lowering(Scalar(lambda z: f"({z}).imag"))

angle_p = Primitive("angle", doc="the argument atan2(imag, real) of each element of a complex "
                                 "tensor, in [-pi, pi]")
angle_p.def_abstract_eval(_part_rule("angle"))
angle_p.def_impl(lambda z: np.angle(z).astype(_REAL_OF[z.dtype]))


def _angle_grad(g, out, z):
    # TensorFlow's: -complex(g, 0) / complex(imag(z), real(z)); for a real loss this is the
    # gradient of atan2(y, x) in both parts, (-y + i x) g / |z|^2.
    swapped = complex(imag(z), real(z))
    return -complex(g, zeros_like(g)) / swapped


angle_p.def_vjp(per_input(_angle_grad))
angle_p.def_lowering(Scalar(lambda z: f"math.atan2(({z}).imag, ({z}).real)"))

# --------------------------------------------------------------------------------------------
# The TensorFlow ops
# --------------------------------------------------------------------------------------------


def complex(real, imag, name=None):  # noqa: A001 - TensorFlow's name
    """`tf.complex`: real + imag * 1j. The parts must share a float dtype (float32 gives
    complex64, float64 complex128); Python numbers are float32 parts, as TF."""
    # A plain TypeError, as TF's (a Python-level check there, not an op error).
    try:
        re, im = promote("complex", real, imag)
    except OpTypeError as e:
        raise TypeError(str(e)) from None
    if dtype_of(re) not in _COMPLEX_OF:
        raise TypeError(f"complex: the real and imag parts must both be float32 or both "
                        f"float64, got {dtype_of(re).name} and {dtype_of(im).name}")
    return bind(complex_p, re, im)


def real(input, name=None):  # noqa: A002 - TensorFlow's argument name
    """`tf.math.real`: the real part of a complex tensor; a real tensor is returned as it
    is (any dtype), as TF."""
    (z,) = promote("real", input)
    if dtype_of(z).kind != "c":
        return z
    return bind(real_p, z)


def imag(input, name=None):  # noqa: A002
    """`tf.math.imag`: the imaginary part of a complex tensor; zeros for a real one."""
    (z,) = promote("imag", input)
    if dtype_of(z).kind != "c":
        return zeros_like(z)
    return bind(imag_p, z)


def angle(input, name=None):  # noqa: A002
    """`tf.math.angle`: the argument of a complex tensor, in [-pi, pi]; of a real float
    tensor, pi where it is negative and 0 elsewhere (also at -0.0), as TF."""
    (z,) = promote("angle", input)
    dt = dtype_of(z)
    if dt.kind == "c":
        return bind(angle_p, z)
    if not is_float(dt):
        raise OpTypeError(f"angle: expects a float or complex tensor, got {dt.name}")
    # pi where x < 0, else 0; stop no gradient here: TF's Angle of a real tensor has none
    # either (its value is piecewise constant).
    pi = cast(np.pi, dt)
    return where(less(z, 0), pi + zeros_like(z), zeros_like(z))

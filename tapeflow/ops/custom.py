"""The `custom_gradient` primitive: a user-written VJP for a Python function.

The forward computation is recorded as usual (a traced function needs it), but its result is
cut off from differentiation with `stop_gradient` and passed through one `custom_gradient`
equation whose VJP calls the user's `grad` function. Gradients therefore flow to the inputs
only through the user's rule. The decorator, `tf.custom_gradient`, is
tapeflow/tracer/custom_gradient.py (it watches variable reads, which ops know nothing of).
"""

from __future__ import annotations

from tapeflow.ops.core import (
    InvalidArgumentError,
    Primitive,
    Scalar,
    ShapedArray,
    shape_of,
)

custom_gradient_p = Primitive(
    "custom_gradient", doc="y unchanged; its VJP is the user's grad_fn(dy) -> d inputs",
    memo=False,
)


@custom_gradient_p.def_abstract_eval
def _custom_gradient_rule(y: ShapedArray, *xs: ShapedArray, grad_fn) -> ShapedArray:
    return y


custom_gradient_p.def_impl(lambda y, *xs, grad_fn: y)
custom_gradient_p.def_lowering(Scalar(lambda y, *xs, grad_fn: y))  # forward: y itself


@custom_gradient_p.def_vjp
def _custom_gradient_vjp(cts, out, inputs, wanted, *, grad_fn):
    (g,) = cts
    grads = grad_fn(g)
    grads = tuple(grads) if isinstance(grads, list | tuple) else (grads,)
    xs = inputs[1:]
    if len(grads) != len(xs):
        raise InvalidArgumentError(
            f"custom_gradient: {getattr(grad_fn, '__qualname__', 'grad')} returned "
            f"{len(grads)} gradients for {len(xs)} tensor inputs"
        )
    for x, gx in zip(xs, grads):
        if gx is not None and tuple(shape_of(gx)) != x.aval.shape:
            raise InvalidArgumentError(
                f"custom_gradient: the gradient for an input of shape {x.aval.shape} has "
                f"shape {tuple(shape_of(gx))}"
            )
    return (None,) + tuple(g if w else None for g, w in zip(grads, wanted[1:]))

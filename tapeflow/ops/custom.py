"""`custom_gradient`: a user-written VJP for a Python function.

The forward computation is recorded as usual (a traced function needs it), but its result is
cut off from differentiation with `stop_gradient` and passed through one `custom_gradient`
equation whose VJP calls the user's `grad` function. Gradients therefore flow to the inputs
only through the user's rule.
"""

from __future__ import annotations

import functools

from tapeflow.ops.core import (
    InvalidArgumentError,
    Primitive,
    Scalar,
    ShapedArray,
    bind,
    is_tracer,
    shape_of,
)
from tapeflow.ops.elementwise import stop_gradient

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


def custom_gradient(f):
    """`@tf.custom_gradient`: `f(*x)` returns `(y, grad)` with `grad(dy) -> dx` per input."""

    @functools.wraps(f)
    def wrapped(*args, **kwargs):
        result = f(*args, **kwargs)
        if not (isinstance(result, tuple) and len(result) == 2 and callable(result[1])):
            raise InvalidArgumentError(
                f"custom_gradient: {f.__qualname__} must return (output, grad_fn)"
            )
        y, grad_fn = result
        if not is_tracer(y):
            raise InvalidArgumentError(
                f"custom_gradient: {f.__qualname__} must return one tensor as its output"
            )
        xs = [a for a in args if is_tracer(a)]
        return bind(custom_gradient_p, stop_gradient(y), *xs, grad_fn=grad_fn)

    return wrapped

"""Reverse-mode differentiation over recorded equations: the one place adjoints are built.

`backward_pass` walks equations in reverse, calls each primitive's VJP rule and accumulates
cotangents. VJP rules build their results with tapeflow ops, so the adjoint is itself recorded
wherever ops are recorded: eagerly under an outer tape (higher-order derivatives), and into the
traced graph under `@function` (the adjoint Eqns are appended to the forward ones).

Broadcasting is undone here and only here: rules return cotangents at the broadcast shape and
`unbroadcast` sums them down to each input's shape.

The untaken branch of `where` (select) never leaks a nan into a gradient. `where(x > 0,
sqrt(x), 0)` at x = 0 sends the cotangent 0 to sqrt, whose VJP computes 0 / (2 sqrt(0)) =
nan, and a plain chain rule would pass it on (TF does). The VJP of select zeroes the
untaken branch's cotangent, so that cotangent is known to be zero wherever the condition
does not pick it; `backward_pass` remembers that as a mask (the condition Var and which
side) and carries it back through elementwise equations of the same shape, selecting
zeros by the mask in each input cotangent they produce: the "double where" written by hand
in JAX and TF code, applied by the pass. A mask is dropped where a Var's cotangent gets an
unmasked (or differently masked) contribution, and at any non-elementwise or broadcasting
equation, so it only ever replaces values that are zero in exact arithmetic.

Provenance: while the VJP of a forward equation runs (and its cotangents are unbroadcast and
accumulated), `differentiating()` names that equation, so a tracer that records the new
equations stores it as their `adjoint_of`: a printed adjoint line then says which user line
it is the derivative of, not only where `tape.gradient` was called.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any, Callable, Iterable, Sequence

from tapeflow.graph.ir import Eqn, Origin, Var
from tapeflow.ops import add, reduce_sum, reshape, zeros_like
from tapeflow.ops.core import Scalar, is_float
from tapeflow.ops.dims import same_shape
from tapeflow.ops.elementwise import select_p, where


class _Differentiating(threading.local):
    """The forward equations whose VJPs are running on this thread, innermost last."""

    def __init__(self):
        self.stack: list[Origin] = []


_differentiating = _Differentiating()


def differentiating() -> Origin | None:
    """The forward equation whose adjoint is being built on this thread, if any."""
    stack = _differentiating.stack
    return stack[-1] if stack else None


@contextlib.contextmanager
def _adjoint_of(eqn: Eqn):
    # Differentiating an adjoint equation (a second derivative) points at the user line of
    # the forward equation behind it: that is the line the user wrote.
    source = eqn.adjoint_of.source if eqn.adjoint_of is not None else eqn.source
    stack = _differentiating.stack
    stack.append(Origin(eqn.prim.name, source, eqn.scope))
    try:
        yield
    finally:
        stack.pop()


def unbroadcast(ct, shape: tuple[int, ...]):
    """Sum a cotangent of a broadcast result down to an operand's `shape`."""
    ct_shape = tuple(ct.aval.shape)
    if same_shape(ct_shape, shape):
        return ct
    lead = len(ct_shape) - len(shape)
    # An axis was broadcast where the operand's size differs from the result's (then it is
    # 1). Asking "differs" first keeps equal symbolic sizes free of an `n == 1` question.
    axes = tuple(range(lead)) + tuple(
        lead + i for i, d in enumerate(shape) if ct_shape[lead + i] != d and d == 1
    )
    if axes:
        ct = reduce_sum(ct, axes, keepdims=False)
    return reshape(ct, shape)


def active_eqns(eqns: Iterable[Eqn], sources: Iterable[Var]) -> tuple[list[Eqn], set[Var]]:
    """The equations that depend on a float source, and every float Var that does."""
    active = {v for v in sources if is_float(v.aval.dtype)}
    relevant = []
    for eqn in eqns:
        if any(v in active for v in eqn.inputs):
            relevant.append(eqn)
            active.update(v for v in eqn.outputs if is_float(v.aval.dtype))
    return relevant, active


def backward_pass(
    eqns: Sequence[Eqn],
    value_of: Callable[[Var], Any],
    seeds: dict[Var, Any],
    sources: Sequence[Var],
) -> dict[Var, Any]:
    """Cotangents of `sources` given cotangent `seeds` on some Vars.

    `value_of(var)` gives the tensor recorded for a Var (VJP rules need inputs and outputs).
    Returns {source: cotangent} for each source that the seeds reach.
    """
    relevant, active = active_eqns(eqns, sources)
    wanted_sources = set(sources)
    cts: dict[Var, Any] = {}
    # {var: (condition Var, side)}: var's cotangent is zero where the condition is not side.
    masks: dict[Var, tuple[Var, bool] | None] = {}
    for v, seed in seeds.items():
        if v in active:
            _accumulate(cts, v, seed)
            masks[v] = None
    results: dict[Var, Any] = {}

    for eqn in reversed(relevant):
        out_cts = []
        for v in eqn.outputs:
            ct = cts.pop(v, None)
            if ct is not None and v in wanted_sources:
                results[v] = ct
            out_cts.append(ct)
        if all(ct is None for ct in out_cts):
            continue
        prim = eqn.prim
        outs = [value_of(v) for v in eqn.outputs]
        if prim.multiple_results:
            out_cts = [zeros_like(o) if ct is None else ct for ct, o in zip(out_cts, outs)]
            out_value = tuple(outs)
        else:
            out_value = outs[0]
        inputs = tuple(value_of(v) for v in eqn.inputs)
        wanted = tuple(v in active for v in eqn.inputs)
        out_masks = [masks.pop(v, None) for v in eqn.outputs]
        with _adjoint_of(eqn):
            in_cts = prim.vjp(tuple(out_cts), out_value, inputs, wanted, **eqn.params_dict)
            in_masks = _input_masks(eqn, out_masks)
            for v, ct, mask in zip(eqn.inputs, in_cts, in_masks):
                if ct is not None and v in active:
                    # A cotangent passed through unchanged (add's, identity's) is masked
                    # already; select's own are where(c, g, 0) by its rule.
                    passed = any(ct is g for g in out_cts)
                    if mask is not None and prim is not select_p and not passed:
                        ct = _masked(ct, value_of(mask[0]), mask[1])
                    if v in cts and masks.get(v) != mask:
                        mask = None  # another contribution, not zero where this one is
                    masks[v] = mask
                    _accumulate(cts, v, unbroadcast(ct, v.aval.shape))

    for v in sources:
        if v in cts:
            results[v] = cts[v]
    return results


def _input_masks(eqn: Eqn, out_masks: list) -> list:
    """The mask each input's cotangent from `eqn` carries (see the module's docstring)."""
    none = [None] * len(eqn.inputs)
    if len(eqn.outputs) != 1:
        return none
    shape = eqn.outputs[0].aval.shape
    if eqn.prim is select_p:
        # where(c, x, y): x's cotangent is where(c, g, 0), y's where(c, 0, g).
        c = eqn.inputs[0]
        return [None] + [(c, side) if v.aval.shape == shape else None
                         for v, side in zip(eqn.inputs[1:], (True, False))]
    mask = out_masks[0]
    if mask is None or not isinstance(eqn.prim.lowering, Scalar):
        return none
    return [mask if v.aval.shape == shape else None for v in eqn.inputs]


def _masked(ct, condition, side: bool):
    """`ct` where the condition is `side`, exact zeros elsewhere."""
    zeros = zeros_like(ct)
    return where(condition, ct, zeros) if side else where(condition, zeros, ct)


def _accumulate(cts: dict, v: Var, ct) -> None:
    cts[v] = add(cts[v], ct) if v in cts else ct

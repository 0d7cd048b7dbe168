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
does not pick it; `backward_pass` remembers that as a `Mask` (the condition, which side, and
how its elements map onto the Var's) and carries it back through the equations below,
selecting zeros by the mask in each input cotangent that a VJP might turn from 0 into nan
(0 * inf, 0 / 0): the "double where" written by hand in JAX and TF code, applied by the
pass. An input element's cotangent is zero wherever every output element it reaches has a
zero cotangent, so the mask goes back through (see `_input_masks`):
  - elementwise equations, element for element, and over a broadcast operand's copies (the
    input element is taken where any of its copies is);
  - reshape and transpose (permutations of the elements) and broadcast_to;
  - reductions (sum, max, min, prod): each input element is taken where its result is;
  - slices (not taken outside the slice), concatenation (each input's part), gathers (an
    element is taken where any of its gathered copies is) and the scatter_add and padding
    that are their adjoints (second derivatives);
  - matmul: a row of A is taken where any element of its row of the product is, a column
    of B where any element of its column is.
It stops at every other equation: a scan (cumsum) reaches a suffix of elements and a sort
a data-dependent permutation (each would need its own map, not written); linear algebra
(solve, inverse, cholesky, det, svd) mixes every element with every other, so a mask would
survive only where nothing is taken; scatter_set overwrites; and a custom gradient's VJP is
the user's code, which need not keep zeros. A mask is also
dropped where a Var's cotangent gets an unmasked (or differently masked) contribution, so
it only ever replaces values that are zero in exact arithmetic. A matmul's own VJP gets no
select (`_NO_SELECT`): a gradient taken straight from a matmul operand keeps 0 * inf = nan
where the other operand is infinite, as in TF, and so does a row of the product that is
partly taken (its untaken terms still enter the sum).

Provenance: while the VJP of a forward equation runs (and its cotangents are unbroadcast and
accumulated), `differentiating()` names that equation, so a tracer that records the new
equations stores it as their `adjoint_of`: a printed adjoint line then says which user line
it is the derivative of, not only where `tape.gradient` was called.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from tapeflow.graph.ir import Eqn, Origin, Var
from tapeflow.ops import (
    add,
    broadcast_to,
    logical_not,
    reduce_any,
    reduce_sum,
    reshape,
    transpose,
    zeros_like,
)
from tapeflow.ops.core import Scalar, bind, is_float
from tapeflow.ops.dims import same_shape
from tapeflow.ops.elementwise import cast, greater, select_p, where
from tapeflow.ops.linalg import matmul_p
from tapeflow.ops.reductions import reduce_max_p, reduce_min_p, reduce_prod_p, reduce_sum_p
from tapeflow.ops.shape import (
    broadcast_to_p,
    concatenate_p,
    gather_p,
    pad_strided_p,
    reshape_p,
    scatter_add_p,
    strided_slice_p,
    transpose_p,
)


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


def _broadcast_axes(ct_shape: tuple, shape: tuple) -> tuple[int, ...]:
    """The axes of a broadcast result (`ct_shape`) that an operand of `shape` was repeated
    along: its missing leading axes, and where its size differs from the result's (then it
    is 1). Asking "differs" first keeps equal symbolic sizes free of an `n == 1` question."""
    lead = len(ct_shape) - len(shape)
    return tuple(range(lead)) + tuple(
        lead + i for i, d in enumerate(shape) if ct_shape[lead + i] != d and d == 1
    )


def unbroadcast(ct, shape: tuple[int, ...]):
    """Sum a cotangent of a broadcast result down to an operand's `shape`."""
    ct_shape = tuple(ct.aval.shape)
    if same_shape(ct_shape, shape):
        return ct
    axes = _broadcast_axes(ct_shape, tuple(shape))
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
    # {var: Mask}: var's cotangent is zero wherever the mask says "not taken".
    masks: dict[Var, Mask | None] = {}
    taken_cache: dict[Mask, Any] = {}  # each mask's bool tensor, built once

    def taken(mask: Mask):
        if mask not in taken_cache:
            taken_cache[mask] = mask.taken(value_of)
        return taken_cache[mask]

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
                    # already, select's own are where(c, g, 0) by its rule, and one that a
                    # VJP only moves or sums keeps its zeros (_NO_SELECT).
                    passed = any(ct is g for g in out_cts)
                    ct_shape = tuple(ct.aval.shape)
                    if mask is not None and not same_shape(mask.result_shape, ct_shape):
                        mask = None  # a VJP that returned another shape: nothing is known
                    if mask is not None and prim not in _NO_SELECT and not passed:
                        ct = where(taken(mask), ct, zeros_like(ct))
                    if mask is not None and not same_shape(ct_shape, v.aval.shape):
                        mask = mask.then(_any_copy(ct_shape, tuple(v.aval.shape)))
                    if v in cts and masks.get(v) != mask:
                        mask = None  # another contribution, not zero where this one is
                    masks[v] = mask
                    _accumulate(cts, v, unbroadcast(ct, v.aval.shape))

    for v in sources:
        if v in cts:
            results[v] = cts[v]
    return results


@dataclass(frozen=True)
class Mask:
    """Where a cotangent may be non-zero: `condition` (a select's bool Var) equal to `side`,
    broadcast to the select's output shape `shape`, then carried through `steps` (each a
    tuple naming a transformation of the bool array and its result's shape)."""

    condition: Var
    side: bool
    shape: tuple
    steps: tuple = ()

    @property
    def result_shape(self) -> tuple:
        return self.steps[-1][2] if self.steps else self.shape

    def then(self, step: tuple) -> Mask:
        return Mask(self.condition, self.side, self.shape, self.steps + (step,))

    def taken(self, value_of: Callable[[Var], Any]):
        """The bool tensor: True where the cotangent may be non-zero."""
        t = value_of(self.condition)
        if not self.side:
            t = logical_not(t)
        if not same_shape(tuple(self.condition.aval.shape), self.shape):
            t = broadcast_to(t, self.shape)
        for kind, arg, shape in self.steps:
            if kind == "reshape":
                t = reshape(t, shape)
            elif kind == "transpose":
                t = transpose(t, arg)
            elif kind == "any":  # arg: the axes reduced (kept as size 1)
                t = reshape(reduce_any(t, list(arg), keepdims=True), shape)
            elif kind == "broadcast":  # arg: the keepdims shape to reshape to first
                t = broadcast_to(reshape(t, arg), shape)
            elif kind == "pad":  # a slice's input: not taken outside the slice
                t = bind(pad_strided_p, t, slices=arg, shape=shape)
            elif kind == "slice":
                t = bind(strided_slice_p, t, slices=arg)
            elif kind == "scatter":  # a gather's input: taken where any gathered copy is
                indices, axis, size = arg
                hits = bind(scatter_add_p, cast(t, np.int32), value_of(indices), axis=axis,
                            size=size)
                t = greater(hits, np.array(0, np.int32))
            else:  # "gather": a scatter_add's input, arg = (indices, axis)
                t = bind(gather_p, t, value_of(arg[0]), axis=arg[1])
        return t


def _any_copy(ct_shape: tuple, shape: tuple) -> tuple:
    # An operand broadcast to ct_shape: an element is taken where any of its copies is.
    return ("any", _broadcast_axes(ct_shape, shape), shape)


# VJPs that only move or sum their cotangent (exact zeros stay zeros, no select needed),
# and matmul: its VJP sums products with the other operand, nan only where that holds an
# inf or a nan; a select there would put a reduction and a select on every dense layer's
# weight gradient, so it carries the mask on to the equations before it without one.
_NO_SELECT = (select_p, reshape_p, transpose_p, broadcast_to_p, reduce_sum_p, strided_slice_p,
              pad_strided_p, gather_p, scatter_add_p, concatenate_p, matmul_p)
_REDUCTIONS = (reduce_sum_p, reduce_max_p, reduce_min_p, reduce_prod_p)


def _input_masks(eqn: Eqn, out_masks: list) -> list:
    """The mask of each input's cotangent from `eqn`, at the shape the VJP returns it
    (before `unbroadcast`); see the module's docstring for where masks go."""
    none = [None] * len(eqn.inputs)
    if len(eqn.outputs) != 1:
        return none
    shape = tuple(eqn.outputs[0].aval.shape)
    prim = eqn.prim
    if prim is select_p:
        # where(c, x, y): x's cotangent is where(c, g, 0), y's where(c, 0, g).
        c = eqn.inputs[0]
        return [None, Mask(c, True, shape), Mask(c, False, shape)]
    mask = out_masks[0]
    if mask is None:
        return none
    if isinstance(prim.lowering, Scalar) or prim is broadcast_to_p:
        return [mask] * len(eqn.inputs)  # at the output's shape: unbroadcast goes on
    (x_shape, *_), params = [tuple(v.aval.shape) for v in eqn.inputs], eqn.params_dict
    if prim is reshape_p:
        return [mask.then(("reshape", None, x_shape))]
    if prim is transpose_p:
        inverse = tuple(int(i) for i in np.argsort(params["perm"]))
        return [mask.then(("transpose", inverse, x_shape))]
    if prim in _REDUCTIONS:
        axes = params["axes"]
        keep = tuple(1 if i in axes else d for i, d in enumerate(x_shape))
        return [mask.then(("broadcast", keep, x_shape))]
    if prim is strided_slice_p:
        return [mask.then(("pad", params["slices"], x_shape))]
    if prim is pad_strided_p:
        return [mask.then(("slice", params["slices"], x_shape))]
    if prim is gather_p:  # inputs (x, indices)
        axis = params["axis"]
        return [mask.then(("scatter", (eqn.inputs[1], axis, x_shape[axis]), x_shape)), None]
    if prim is scatter_add_p:  # inputs (g, indices): its VJP gathers
        return [mask.then(("gather", (eqn.inputs[1], params["axis"]), x_shape)), None]
    if prim is concatenate_p:  # each input is a slice of the result along the axis
        axis, start, masks = params["axis"], 0, []
        for v in eqn.inputs:
            n = v.aval.shape[axis]
            slices = tuple((start, start + n, 1) if i == axis else (0, d, 1)
                           for i, d in enumerate(shape))
            masks.append(mask.then(("slice", slices, tuple(v.aval.shape))))
            start += n
        return masks
    if prim is matmul_p:
        # dA = G B^T, dB = A^T G, at the product's batch shape.
        a, b = (tuple(v.aval.shape) for v in eqn.inputs)
        batch, nd = shape[:-2], len(shape)
        rows = shape[:-1] + (1,)  # any over the product's columns
        cols = shape[:-2] + (1, shape[-1])  # any over its rows
        return [mask.then(("any", (nd - 1,), rows)).then(("broadcast", rows, batch + a[-2:])),
                mask.then(("any", (nd - 2,), cols)).then(("broadcast", cols, batch + b[-2:]))]
    return none


def _accumulate(cts: dict, v: Var, ct) -> None:
    cts[v] = add(cts[v], ct) if v in cts else ct

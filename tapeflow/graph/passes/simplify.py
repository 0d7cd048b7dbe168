"""Algebraic simplification as a table of rules (in the manner of tinygrad's symbolic.py).

Each rule is `(primitive name, function)`; the function gets the equation and a `Context`
and returns None when it does not apply (it never raises on a non-match), a Var of the same
type to use instead of the output, or a list of new equations whose last output replaces it.
The algebra each rule performs is its trailing comment.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from tapeflow.graph.ir import Eqn, Graph, Var, make_params, new_var
from tapeflow.ops import PRIMITIVES
from tapeflow.ops.core import Scalar, ShapedArray


class Context:
    """What rules may ask: a Var's producer and constant value; new constants."""

    def __init__(self, graph: Graph):
        self.values: dict[Var, np.ndarray] = dict(graph.consts)
        self.producer: dict[Var, Eqn] = {}
        self.new_consts: list[tuple[Var, np.ndarray]] = []
        self._uniform: dict[Var, Var | None] = {}  # constant -> its 0-d form, or None
        self._scalars: dict[tuple, Var] = {}  # (dtype, bytes) -> a 0-d constant made here

    def const_value(self, v: Var):
        return self.values.get(v)

    def is_const(self, v: Var, scalar: float) -> bool:
        """True when `v` is a constant whose every element equals `scalar`, a float zero
        with `scalar`'s sign (x + 0.0 is not x at x = -0.0; x + -0.0 is)."""
        value = self.values.get(v)
        if value is None or value.size == 0 or not np.all(value == scalar):
            return False
        return value.dtype.kind != "f" or bool(np.all(np.signbit(value) == np.signbit(scalar)))

    def made_by(self, v: Var, prim: str) -> Eqn | None:
        eqn = self.producer.get(v)
        return eqn if eqn is not None and eqn.prim.name == prim else None

    def const(self, value, dtype) -> Var:
        value = np.asarray(value, dtype=dtype)
        v = new_var(ShapedArray(value.shape, value.dtype))
        self.values[v] = value
        self.new_consts.append((v, value))
        return v

    def uniform_scalar(self, v: Var) -> Var | None:
        """For a constant of more than one element, all equal (not nan), a 0-d constant of
        that element (one per distinct value); else None."""
        if v not in self._uniform:
            value = self.values.get(v)
            scalar = None
            if value is not None and value.size > 1:
                first = value.reshape(-1)[0]
                # nan != nan: never uniform; 0.0 and -0.0 are equal but not the same value.
                if np.all(value == first) and (value.dtype.kind != "f" or np.all(
                        np.signbit(value) == np.signbit(first))):
                    key = (value.dtype.str, first.tobytes())
                    if key not in self._scalars:
                        self._scalars[key] = self.const(first, value.dtype)
                    scalar = self._scalars[key]
            self._uniform[v] = scalar
        return self._uniform[v]


def _eqn(prim: str, inputs, out_aval: ShapedArray, source, **params) -> Eqn:
    return Eqn(PRIMITIVES[prim], tuple(inputs), (new_var(out_aval),), make_params(params), source)


def _same_type(a: Var, b: Var) -> bool:
    return a.aval == b.aval


# ---- rules ----------------------------------------------------------------------------------


def _identity_operand(neutral: float, commutative: bool):
    def rule(eqn: Eqn, ctx: Context):
        x, y = eqn.inputs
        out = eqn.outputs[0]
        if ctx.is_const(y, neutral) and _same_type(x, out):
            return x
        if commutative and ctx.is_const(x, neutral) and _same_type(y, out):
            return y
        return None

    return rule


def _pow_small(eqn: Eqn, ctx: Context):
    x, y = eqn.inputs
    out = eqn.outputs[0]
    if not _same_type(x, out):
        return None
    if ctx.is_const(y, 1):
        return x  # x**1 -> x
    if ctx.is_const(y, 2):
        return [_eqn("mul", (x, x), out.aval, eqn.source)]  # x**2 -> x*x
    return None


def _double_negation(eqn: Eqn, ctx: Context):
    inner = ctx.made_by(eqn.inputs[0], "neg")
    return inner.inputs[0] if inner else None  # -(-x) -> x


def _pass_through(eqn: Eqn, ctx: Context):
    # identity(x) -> x; stop_gradient(x) -> x once differentiation is done (it only blocks
    # gradients, and the graph already holds its adjoint).
    return eqn.inputs[0]


def _same_type_noop(eqn: Eqn, ctx: Context):
    x = eqn.inputs[0]
    return x if _same_type(x, eqn.outputs[0]) else None  # cast/reshape/broadcast to itself -> x


def _transpose_of_transpose(eqn: Eqn, ctx: Context):
    inner = ctx.made_by(eqn.inputs[0], "transpose")
    if inner is None:
        return None
    p_outer, p_inner = eqn.params_dict["perm"], inner.params_dict["perm"]
    perm = tuple(p_inner[p] for p in p_outer)
    x = inner.inputs[0]
    if perm == tuple(range(len(perm))):
        return x  # transpose(transpose(x, p), q) -> x when q undoes p
    return [_eqn("transpose", (x,), eqn.outputs[0].aval, eqn.source, perm=perm)]


def _reshape_of_reshape(eqn: Eqn, ctx: Context):
    inner = ctx.made_by(eqn.inputs[0], "reshape")
    if inner is None:
        return _same_type_noop(eqn, ctx)
    x = inner.inputs[0]
    out = eqn.outputs[0]
    if _same_type(x, out):
        return x  # reshape(reshape(x)) back to x's shape -> x
    return [_eqn("reshape", (x,), out.aval, eqn.source, **eqn.params_dict)]


def _sum_of_broadcast(eqn: Eqn, ctx: Context):
    # reduce_sum(broadcast_to(s, shape)) over every axis, s a scalar -> s * size
    inner = ctx.made_by(eqn.inputs[0], "broadcast_to")
    if inner is None:
        return None
    s = inner.inputs[0]
    shape = inner.params_dict["shape"]
    out = eqn.outputs[0]
    if s.aval.shape != () or out.aval.size != 1 or len(eqn.params_dict["axes"]) != len(shape):
        return None
    size = int(np.prod(shape, dtype=np.int64))
    if size == 0:
        return None  # the sum of nothing is 0, s * 0 is nan for s = inf
    dtype = s.aval.dtype
    eqns = [_eqn("mul", (s, ctx.const(size, dtype)), s.aval, eqn.source)]
    if dtype.kind == "f":
        # + 0.0: a sum starts from +0.0, so copies of -0.0 sum to +0.0 (s * n is -0.0).
        eqns.append(_eqn("add", (eqns[-1].outputs[0], ctx.const(0.0, dtype)), s.aval,
                         eqn.source))
    if out.aval.shape != ():
        eqns.append(_eqn("reshape", (eqns[-1].outputs[0],), out.aval, eqn.source,
                         new_sizes=out.aval.shape))
    return eqns


def _sum_of_one_term(eqn: Eqn, ctx: Context):
    # reduce_sum over no axes (or over axes of size 1, keepdims) -> x + 0.0 for floats, x
    # for integers: every element is a sum of one term, but a sum starts from +0.0, so a
    # -0.0 comes out +0.0 (as numpy's, the eager kernel's); x itself would keep -0.0.
    x = eqn.inputs[0]
    if not _same_type(x, eqn.outputs[0]):
        return None
    if x.aval.dtype.kind != "f":
        return x
    return [_eqn("add", (x, ctx.const(0.0, x.aval.dtype)), x.aval, eqn.source)]


def _uniform_operands(eqn: Eqn, ctx: Context):
    # An elementwise op reading a constant whose elements are all equal (relu's zeros, a
    # mean's 1/n seed broadcast to the logits) reads it as a 0-d constant, broadcast by the
    # loop: one scalar load instead of a pass over the array. Only where the other operands
    # still give the output its shape.
    if not isinstance(eqn.prim.lowering, Scalar) or len(eqn.outputs) != 1:
        return None
    inputs = tuple(ctx.uniform_scalar(v) or v for v in eqn.inputs)
    if inputs == eqn.inputs:
        return None
    (out,) = eqn.outputs
    if eqn.prim.out_avals(tuple(v.aval for v in inputs), eqn.params_dict) != (out.aval,):
        return None
    return [_eqn(eqn.prim.name, inputs, out.aval, eqn.source, **eqn.params_dict)]


RULES: list[tuple[str, object]] = [
    ("mul", _identity_operand(1, commutative=True)),  # x*1 -> x, 1*x -> x
    # x + -0.0 -> x, -0.0 + x -> x (not x + 0.0: -0.0 + 0.0 is 0.0); integers: x + 0 -> x
    ("add", _identity_operand(-0.0, commutative=True)),
    ("sub", _identity_operand(0.0, commutative=False)),  # x - 0.0 -> x (-0.0 - 0.0 is -0.0)
    ("div", _identity_operand(1, commutative=False)),  # x/1 -> x
    ("pow", _pow_small),  # x**1 -> x, x**2 -> x*x
    ("neg", _double_negation),  # -(-x) -> x
    ("identity", _pass_through),  # identity(x) -> x
    ("stop_gradient", _pass_through),  # stop_gradient(x) -> x after autodiff
    ("cast", _same_type_noop),  # cast(x, x.dtype) -> x
    ("broadcast_to", _same_type_noop),  # broadcast_to(x, x.shape) -> x
    ("reshape", _reshape_of_reshape),  # reshape(reshape(x, a), b) -> reshape(x, b)
    ("transpose", _transpose_of_transpose),  # transpose(transpose(x, p), q) -> transpose(x, p∘q)
    ("reduce_sum", _sum_of_broadcast),  # sum(broadcast(s)) -> s * n
    ("reduce_sum", _sum_of_one_term),  # a sum over no axes -> x + 0.0 (floats)
    # max, min and prod over no axes -> x: they start from the first element, so a -0.0
    # and a nan stay as they are (numpy: max(-0.0) and prod(-0.0) are -0.0).
    ("reduce_max", _same_type_noop),
    ("reduce_min", _same_type_noop),
    ("reduce_prod", _same_type_noop),
]

_BY_PRIM: dict[str, list] = {}
for _name, _rule in RULES:
    _BY_PRIM.setdefault(_name, []).append(_rule)


def simplify(graph: Graph) -> tuple[Graph, bool]:
    ctx = Context(graph)
    rename: dict[Var, Var] = {}
    eqns: list[Eqn] = []
    changed = False
    for eqn in graph.eqns:
        inputs = tuple(rename.get(v, v) for v in eqn.inputs)
        if inputs != eqn.inputs:
            eqn = eqn.with_inputs(inputs)
        result = None
        for rule in (*_BY_PRIM.get(eqn.prim.name, ()), _uniform_operands):
            result = rule(eqn, ctx)
            if result is not None:
                break
        if result is None:
            eqns.append(eqn)
            for v in eqn.outputs:
                ctx.producer[v] = eqn
            continue
        changed = True
        if isinstance(result, Var):
            rename[eqn.outputs[0]] = result
        else:
            for new in result:
                if new.adjoint_of is None and new.scope == "":
                    # What a rule makes comes from the equation it replaces.
                    new = dataclasses.replace(new, adjoint_of=eqn.adjoint_of, scope=eqn.scope)
                eqns.append(new)
                for v in new.outputs:
                    ctx.producer[v] = new
            rename[eqn.outputs[0]] = result[-1].outputs[0]
    if not changed:
        return graph, False
    outputs = tuple(rename.get(v, v) for v in graph.outputs)
    return graph.replace(
        eqns=tuple(eqns), outputs=outputs, consts=graph.consts + tuple(ctx.new_consts)
    ), True

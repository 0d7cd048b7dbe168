"""Graph -> Python source of one Numba entry function.

The module is meant to be read: each IR line appears as a comment above the statements it
became, arrays keep the printer's names, and every shape is a constant (shapes are static per
specialisation). An elementwise equation (a `Scalar` lowering) becomes a loop nest whose
indexing does the broadcasting; a structured one (`LoopKernel`) writes its own statements.
Array constants arrive as arguments after the inputs, so the module holds no data and
Numba's on-disk cache can reuse it; a 0-d constant is a literal in the code. Outputs that the
loops compute are written into buffers the caller passes (the calling convention is
codegen/abi.py's).
"""

from __future__ import annotations

import numpy as np

from tapeflow.codegen.abi import literal, loop_made, written_outputs
from tapeflow.graph.ir import Graph
from tapeflow.graph.passes.fuse import (
    fuse,
    gemm_update,
    is_loop,
    is_reduction,
    iteration_shape,
)
from tapeflow.graph.printer import format_eqn, var_names
from tapeflow.ops import lowering as lw
from tapeflow.ops.core import LoopKernel

# No fastmath flags: compiled code computes what eager numpy does, and each flag lets LLVM
# change an IEEE result on some input: reassoc folds (x + M) - M to x and x - (x + y) to -y
# (nan for x = inf); arcp turns x / 10 into x * 0.1; afn makes 1 / sqrt(0) nan; nsz turns
# -0.0 + 0.0 into -0.0; contract fuses x*y - x*y into an fma (not 0; -inf, not nan, where
# x*y overflows). Sums still vectorise: their accumulator alone may reassociate
# (accumulate.py), and vecmath's kernels set their own flags.
FASTMATH: tuple[str, ...] = ()


class LoweringError(NotImplementedError):
    """A primitive has no Numba lowering; names it."""


# Module-level names of the generated code that an array must not shadow.
_RESERVED = {"np", "math", "numba", "entry"}


def array_names(graph: Graph) -> dict:
    """The printer's names (so comments and code agree), clear of the module's globals.
    Loop variables (i0, n0) and temporaries (_j, _acc) never collide with them."""
    return {v: f"{n}_" if n in _RESERVED else n for v, n in var_names(graph).items()}


def generate_source(graph: Graph, *, cache: bool = True, title: str = "") -> str:
    """The module source for `graph`: its `entry` takes and returns what `abi.EntryABI`
    says (inputs, array constants, then a buffer per output it writes; it returns the other
    outputs)."""
    names = array_names(graph)
    literals = {v: text for v, value in graph.consts
                if (text := literal(np.asarray(value))) is not None}
    written = written_outputs(graph)
    args = [names[v] for v in graph.inputs]
    args += [names[v] for v, _ in graph.consts if v not in literals]
    args += [f"out_{k}" for k in written]
    plan = fuse(graph)
    needed_later = _values_needed_outside(graph, plan)
    views = _transposes_as_views(graph)
    body: list[str] = []
    # A 0-d constant that a structured lowering reads as an array is made here.
    for v in _arrays_of_literals(graph, plan, literals):
        dtype = lw.dtype_expr(v.aval.dtype)
        body.append(f"{names[v]} = np.full((), {literals[v]}, dtype={dtype})")
    # An output that a fused loop (or a BLAS update) computes is stored straight into its
    # buffer: the array's name is bound to the buffer and never allocated.
    in_place = {}
    made = loop_made(graph)
    for k in written:
        v = graph.outputs[k]
        if v in made and v not in in_place:
            in_place[v] = k
            body.append(f"{names[v]} = out_{k}  # an output, written in place")
    for group in plan.groups:
        eqns = [graph.eqns[i] for i in group]
        if is_loop(eqns[0]):
            body.extend(_lower_fused(eqns, names, needed_later, literals, set(in_place)))
        elif len(eqns) > 1:
            body.extend(_lower_gemm_update(eqns, names, literals, set(in_place)))
        else:
            (eqn,) = eqns
            body.append(f"# {format_eqn(eqn, names)}")
            if eqn in views:
                body.append(f"{names[eqn.outputs[0]]} = {names[eqn.inputs[0]]}.T  # a view")
            else:
                body.extend(_lower_eqn(eqn, names))
    parallel = any("numba.prange(" in line for line in body)
    returned = []
    for k, v in enumerate(graph.outputs):
        if k not in written:
            returned.append(names[v])
        elif v in literals:
            body.append(f"out_{k}[()] = {literals[v]}")
        elif in_place.get(v) != k:  # an input, a constant, a repeated output: copied
            body.extend(_copy(f"out_{k}", names[v], v.aval.shape))
    body.append(f"return ({', '.join(returned)}{',' if len(returned) == 1 else ''})")
    header = [
        f'"""tapeflow kernel{": " + title if title else ""} (generated; do not edit)."""',
        "",
        "import math",
        "",
        "import numba",
        "import numpy as np",
        "",
        "from tapeflow.codegen import vecmath as vm",
        "from tapeflow.codegen.accumulate import add_to_row, multiply_to_row",
        "from tapeflow.codegen.blas import gemm_into",
        "from tapeflow.codegen.prelude import (_add, _floordiv, _maximum, _minimum, _mod, _mul,"
        " _neg, _power, _sub)",
        "",
        "",
        f"@numba.njit(cache={cache}, fastmath={_fastmath_text()}, "
        f"error_model='numpy', nogil=True{', parallel=True' if parallel else ''})",
        f"def entry({', '.join(args)}):",
    ]
    return "\n".join(header + ["    " + line for line in body]) + "\n"


def _fastmath_text() -> str:
    """FASTMATH as Numba's argument: False, or a set literal in a fixed order (the module's
    text must not depend on string hashing, or every process would rewrite it and
    invalidate Numba's cache)."""
    return f"{{{', '.join(map(repr, FASTMATH))}}}" if FASTMATH else "False"


def _copy(dst: str, src: str, shape) -> list[str]:
    """`dst[...] = src` for arrays of one shape, as loops: Numba's array assignment carries
    a shape-mismatch error path whose message formatting took ~2.5 s to compile."""
    if not shape:
        return [f"{dst}[()] = {src}[()]"]
    here = lw.index(lw.loop_vars(len(shape)))
    return lw.loop_nest(shape, [f"{dst}[{here}] = {src}[{here}]"])


def _arrays_of_literals(graph: Graph, plan, literals: dict) -> list:
    """The 0-d constants written as literals that an equation outside the fused loops
    reads as an array (fused loops and BLAS updates use the literal itself)."""
    read = []
    for group in plan.groups:
        eqns = [graph.eqns[i] for i in group]
        if is_loop(eqns[0]) or len(eqns) > 1:
            continue
        read += [v for v in eqns[0].inputs if v in literals and v not in read]
    return [v for v, _ in graph.consts if v in read]


def _values_needed_outside(graph: Graph, plan) -> set:
    """Vars that must be stored to an array: read by another group, or returned."""
    group_of = {}
    for n, group in enumerate(plan.groups):
        for i in group:
            for v in graph.eqns[i].outputs:
                group_of[v] = n
    needed = set(graph.outputs)
    for n, group in enumerate(plan.groups):
        for i in group:
            needed.update(v for v in graph.eqns[i].inputs if group_of.get(v, n) != n)
    return needed


def _lower_gemm_update(eqns, names, literals: dict, in_place: set) -> list[str]:
    """`out = c + sign * s * (a @ b)` as one BLAS call on a copy of `c` (fuse.GemmUpdate)."""
    update = gemm_update(eqns)
    a, b = (names[v] for v in eqns[0].inputs)
    out = names[eqns[-1].outputs[0]]
    if update.scale is None:
        alpha = "1.0"
    else:
        alpha = literals.get(update.scale, f"{names[update.scale]}[()]")
    if update.sign < 0:
        alpha = f"-{alpha}"
    lines = [f"# {format_eqn(eqn, names)}" for eqn in eqns]
    if eqns[-1].outputs[0] in in_place:
        copy = _copy(out, names[update.c], update.c.aval.shape)
    else:
        copy = [f"{out} = {names[update.c]}.copy()"]
    return lines + copy + [
        f"gemm_into({a}, {b}, {out}, {alpha}, 1.0)  # {out} += {alpha} * {a} @ {b}, by BLAS",
    ]


def _transposes_as_views(graph: Graph) -> set:
    """2-D transposes that only matmuls read: they become `x.T` views rather than copies.

    The adjoint of a matmul multiplies by transposed operands (dA = G B^T, dB = A^T G). A
    view of a C-contiguous array is F-contiguous, and Numba's np.dot passes BLAS a transpose
    flag for it, so the copy (and a strided pass over the operand) is saved. A transpose that
    is returned or read by anything else stays a C-contiguous copy, which every other
    lowering may assume.
    """
    readers: dict = {}
    for eqn in graph.eqns:
        for v in eqn.inputs:
            readers.setdefault(v, []).append(eqn)
    outputs = set(graph.outputs)
    return {
        eqn for eqn in graph.eqns
        if eqn.prim.name == "transpose" and eqn.params_dict["perm"] == (1, 0)
        and eqn.outputs[0] not in outputs
        and all(r.prim.name == "matmul" for r in readers.get(eqn.outputs[0], []))
    }


def _lower_fused(eqns, names, needed_later: set, literals: dict,
                 in_place: set) -> list[str]:
    """One loop nest computing a run of elementwise equations over one iteration space,
    with the reductions of its values accumulated in the same loop.

    Values stay in scalar temporaries (`_e` for array `e`, also for an element read from
    an array made before the loop) inside the loop; those needed
    after the group are also stored to their arrays. A reduction to one element keeps its
    running value in a scalar (`_acc_i`), which LLVM can vectorise, and so does a reduction
    of each row (over the innermost axes); others accumulate into their output array.
    """
    shape = iteration_shape(eqns[0])
    ivars = lw.loop_vars(len(shape))
    here = lw.index(ivars)
    local = {eqn.outputs[0] for eqn in eqns if not is_reduction(eqn)}
    loaded: set = set()  # arrays whose element at this iteration is in `_name` already
    before, body, after = [], [], []
    enter: dict = {}  # loop depth -> statements before / after the loop at that depth
    leave: dict = {}
    blocked = _blocked_sums(eqns)
    block_start: list[str] = []  # statements before / after each block of the innermost axis
    block_end: list[str] = []
    pairs = _sincos_pairs(eqns)
    for eqn in eqns:
        (out,) = eqn.outputs
        name = names[out]
        dtype = lw.dtype_expr(out.aval.dtype)
        operands, loads = [], []
        for v in eqn.inputs:
            if v in local or v in loaded:
                operands.append(f"_{names[v]}")
            elif not v.aval.shape:
                # A 0-d operand is read once, before the loop (Numba's prange lowering
                # passes 0-d arrays into the loop body as scalars, where `k[()]` fails).
                scalar = f"_{names[v]}0"
                load = f"{scalar} = {literals.get(v, f'{names[v]}[()]')}"
                if load not in before:
                    before.append(load)
                operands.append(scalar)
            else:
                # Array elements are loaded into temporaries, never inside an expression:
                # a load under `x if c else y` is conditional, LLVM cannot speculate it, and
                # the loop stays scalar (a select over [128,256] took 35 us instead of 9).
                loaded.add(v)
                index = lw.broadcast_index(v.aval.shape, shape, ivars)
                loads.append(f"_{names[v]} = {names[v]}[{index}]")
                operands.append(f"_{names[v]}")
        body.append(f"# {format_eqn(eqn, names)}")
        body.extend(loads)
        if is_reduction(eqn):
            combine = eqn.prim.lowering.combine
            init = lw.identity_value(combine, out.aval.dtype)
            if out.aval.size == 1:
                acc = f"_acc_{name}"
                if out in in_place:  # its array exists: an output buffer
                    after.append(f"{name}[...] = {acc}")
                else:
                    after.append(f"{name} = np.full({out.aval.shape}, {acc}, dtype={dtype})")
                if blocked and combine in ("sum", "prod"):
                    # A float32 partial per block (or row), folded into a float64 total.
                    partial = f"_part_{name}"
                    before.append(f"{acc} = np.float64({init})")
                    block_start.append(f"{partial} = {dtype}({init})")
                    block_end.append(f"{acc} = {_COMBINE[combine].format(acc=acc, x=partial)}")
                    acc = partial
                else:
                    # Beside a row or column reduction: a float sum or product runs in
                    # float64 (a float32 running value drifts: 1e7 terms ~3e-4 relative).
                    widen = out.aval.dtype.kind == "f" and combine in ("sum", "prod")
                    before.append(f"{acc} = {'np.float64' if widen else dtype}({init})")
            else:
                axes, keep = eqn.params_dict["axes"], eqn.params_dict["keepdims"]
                dst = [("0" if keep else None) if k in axes else iv
                       for k, iv in enumerate(ivars)]
                dst = f"{name}[{lw.index(d for d in dst if d is not None)}]"
                depth = _row_depth(eqn)
                if depth is not None:
                    # Reducing the innermost axes: the running value of a row lives in a
                    # scalar, started before the inner loops and stored after them, so the
                    # inner loop carries no dependency through memory and vectorises.
                    acc = f"_acc_{name}"
                    if out not in in_place:
                        before.append(f"{name} = np.empty({out.aval.shape}, dtype={dtype})")
                    enter.setdefault(depth, []).append(f"{acc} = {dtype}({init})")
                    leave.setdefault(depth, []).append(f"{dst} = {acc}")
                else:
                    # Other axes: each element of the result accumulates in place (a bias
                    # gradient's column sums: the inner loop runs along the result).
                    before.append(
                        f"{name}[...] = {init}" if out in in_place else
                        f"{name} = np.full({out.aval.shape}, {init}, dtype={dtype})")
                    acc = dst
            if out.aval.dtype.kind == "f" and combine in _IN_ANY_ORDER:
                # The one operation allowed to reassociate, so the loop vectorises.
                body.append(f"{acc} = {_IN_ANY_ORDER[combine]}({acc}, {operands[0]})")
            else:
                body.append(f"{acc} = {_COMBINE[combine].format(acc=acc, x=operands[0])}")
            continue
        if eqn in pairs:  # sin and cos of one value: one range reduction for both
            sin, cos = pairs[eqn]
            if eqn is (sin if eqns.index(sin) < eqns.index(cos) else cos):
                body.append(f"_{names[sin.outputs[0]]}, _{names[cos.outputs[0]]} = "
                            f"vm.sincos({operands[0]})")
            else:
                body.append(f"# (_{name} came from vm.sincos above)")
        else:
            body.append(f"_{name} = {eqn.prim.lowering.expr(*operands, **eqn.params_dict)}")
        if out in needed_later:
            if out not in in_place:
                before.append(f"{name} = np.empty({shape}, dtype={dtype})")
            body.append(f"{name}[{here}] = _{name}")
    parallel = _worth_parallel(eqns, shape)
    block = None
    if block_start and shape[-1] > SUM_BLOCK:
        block = (SUM_BLOCK, block_start, block_end)
    elif block_start:  # each innermost row is one block
        enter.setdefault(len(shape) - 1, []).extend(block_start)
        leave.setdefault(len(shape) - 1, [])[:0] = block_end
    return before + lw.loop_nest(shape, body, parallel=parallel, enter=enter,
                                 leave=leave, block=block) + after


# Full float32 sums and products accumulate in float32 over blocks of this many elements
# (or over each innermost row when shorter), and the block results in float64.
#
# Why: accumulated in float32 all the way, a sum of 1e7 terms drifts (~3e-4 relative, worse
# than numpy's pairwise sum); accumulated in float64 per element, LLVM vectorises the whole
# loop at float64 width, which halves the throughput of the float32 math around it (W3 at
# 1e7: 71 ms instead of 37 ms on one core). Blocks keep the loop at float32 width and the
# error near numpy's (each vector lane sums ~32 terms per block). An overflow inside a block
# gives inf as numpy's float32 accumulator would; across blocks the float64 total may still
# be finite where numpy's is not.
SUM_BLOCK = 1024


def _blocked_sums(eqns) -> bool:
    """Whether the group's full float32 sums/products take float32 block partials: when
    every reduction in it is a full one (a row or column reduction already has its own
    accumulator layout)."""
    reductions = [eqn for eqn in eqns if is_reduction(eqn)]
    return bool(reductions) and bool(iteration_shape(eqns[0])) and all(
        eqn.outputs[0].aval.size == 1 for eqn in reductions
    ) and any(
        eqn.outputs[0].aval.dtype == np.float32
        and eqn.prim.lowering.combine in ("sum", "prod") for eqn in reductions
    )


def _sincos_pairs(eqns) -> dict:
    """sin and cos of the same value in one loop, each mapped to the pair (sin eqn, cos
    eqn): `vm.sincos` computes both from one range reduction (W3's gradient needs cos(x)
    beside its sin(x); one sincos ran 5.8 ms per 1e7 float32, sin and cos 6.5)."""
    def is_(eqn, name):
        return eqn.prim.name == name and eqn.prim.lowering.expr("x") == f"vm.{name}(x)"

    pairs = {}
    for sin in eqns:
        if not is_(sin, "sin"):
            continue
        cos = next((e for e in eqns if is_(e, "cos") and e.inputs == sin.inputs
                    and e not in pairs), None)
        if cos is not None:
            pairs[sin] = pairs[cos] = (sin, cos)
    return pairs


def _row_depth(eqn) -> int | None:
    """For a reduction over the innermost axes k.. of its loop (and not all of them), k;
    else None."""
    ndim = eqn.inputs[0].aval.ndim
    axes = sorted(eqn.params_dict["axes"])
    if not axes or axes[0] == 0 or axes != list(range(axes[0], ndim)):
        return None
    return axes[0]


# A parallel region costs ~70-80 us here when the workers sleep between regions (they must,
# or they starve BLAS's threads: NUMBA-NOTES.md), so a loop is split only when its serial
# time is well above that. Work is counted in element-operations, a vecmath call (exp, sin,
# softplus: a range reduction and a polynomial) as `TRANSCENDENTAL_COST` plain ones.
# Measured here: W3 (~5 vecmath calls and ~15 arithmetic operations per element) ran 0.44 ms
# serially and 0.23 ms with prange on 2 cores at 1e5 elements; an MLP step's bias+relu loop
# over [128,256] took 18 us serially and 36 us with prange next to BLAS calls, its SGD
# update over [784,256] 73 us and 95 us.
PARALLEL_MIN_ELEMENTS = 1 << 14
PARALLEL_MIN_WORK = 1 << 21
TRANSCENDENTAL_COST = 16


def _work_per_element(eqns) -> int:
    work = 0
    for eqn in eqns:
        if is_reduction(eqn):
            work += 1
            continue
        expr = eqn.prim.lowering.expr(*[f"x{k}" for k in range(len(eqn.inputs))],
                                      **eqn.params_dict)
        work += TRANSCENDENTAL_COST if ("vm." in expr or "math." in expr) else 1
    return work


def _worth_parallel(eqns, shape) -> bool:
    """prange the outer loop when it is large, has enough work per element to pay for
    waking the threads, splits evenly, and every reduction in it reduces rows (each outer
    iteration owns its accumulators) or is a scalar sum or product (which Numba's prange
    reduces safely; accumulating across outer iterations into an array or through our
    NaN-propagating max/min would race or not be recognised)."""
    size = 1
    for d in shape:
        size *= d
    if not shape or shape[0] < 2 or size < PARALLEL_MIN_ELEMENTS:
        return False
    if size * _work_per_element(eqns) < PARALLEL_MIN_WORK:
        return False
    return all(
        _row_depth(eqn) is not None  # a row's accumulator is private to its iteration
        or (eqn.prim.lowering.combine in ("sum", "prod") and eqn.outputs[0].aval.size == 1)
        for eqn in eqns if is_reduction(eqn)
    )


# Float sums and products accumulate through helpers that may add (multiply) their terms
# in any order, and nothing else may (accumulate.py says why that is no IEEE change).
_IN_ANY_ORDER = {"sum": "add_to_row", "prod": "multiply_to_row"}
_COMBINE = {
    "sum": "{acc} + {x}",
    "prod": "{acc} * {x}",
    "max": "_maximum({acc}, {x})",
    "min": "_minimum({acc}, {x})",
}


def _lower_eqn(eqn, names) -> list[str]:
    """A structured equation (elementwise ones and reductions are lowered in fused loops)."""
    low = eqn.prim.lowering
    if not isinstance(low, LoopKernel):
        raise LoweringError(f"primitive {eqn.prim.name!r} has no Numba lowering")
    (out,) = eqn.outputs
    avals = [out.aval] + [v.aval for v in eqn.inputs]
    return low.emit(names[out], [names[v] for v in eqn.inputs], avals, **eqn.params_dict)

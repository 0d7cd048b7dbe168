"""A fused group of elementwise equations and reductions -> the body of one loop-nest kernel.

The kernel takes its operands, its output buffers and the sizes of its iteration space as
arguments (`FusedLoop.params`), so one compiled kernel serves every graph with the same
structure, whatever the sizes. Values stay in scalar temporaries (`_e` for array `e`, also
for an element read from an operand) inside the loop; those needed after the group are also
stored to their buffers. A reduction to one element keeps its running value in a scalar
(`_acc_r`), which LLVM can vectorise, and so does a reduction of each row (over the innermost
axes); others accumulate into their output array.

The decisions that depend on sizes (prange or not, float32 blocks for a full sum) are taken
from the sizes the graph was specialised for; they show in the kernel's text, so a size that
changes one of them names another kernel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tapeflow.graph.passes.fuse import is_reduction, iteration_shape
from tapeflow.ops import lowering as lw

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

# sin and cos of a |x| beyond vecmath.TRIG_EXACT_MAX (1.6e6) may be inexact or nan from the
# vectorised kernels, where numpy's libm reduces exactly. A loop with sin/cos counts such
# arguments (`_trig_far`, a reduction LLVM vectorises, one compare per element) and then
# raises FloatingPointError(TRIG_BEYOND_EXACT); the runtime reruns that call on the reference
# interpreter (numpy). Why not a libm call inside the kernel for those lanes: a call in the
# loop, even one made once per vector to a variant that returns at once, made 1e7 float32
# sines 1.5x slower (6.5 -> 9.9 ms: the vector registers are saved around it), and
# calls per lane or predicated 3x; without vectorisation a libm loop is ~10x slower.
TRIG_BEYOND_EXACT = "tapeflow.trig_beyond_exact"
_TRIG = ("sin", "cos")

# Float sums and products accumulate through helpers that may add (multiply) their terms
# in any order, and nothing else may (accumulate.py says why that is no IEEE change).
_IN_ANY_ORDER = {"sum": "add_to_row", "prod": "multiply_to_row"}
_COMBINE = {
    "sum": "{acc} + {x}",
    "prod": "{acc} * {x}",
    "max": "_maximum({acc}, {x})",
    "min": "_minimum({acc}, {x})",
}


@dataclass(frozen=True)
class Accumulator:
    """Where a reduction's running value lives, decided before any text is written:

    - "scalar": a full reduction in a scalar of the output's dtype (`wide`: in float64,
      for a float sum or product beside a row or column reduction: a float32 running value
      drifts, 1e7 terms ~3e-4 relative);
    - "blocked": a full float32 sum or product in a float32 partial per block of the
      innermost axis (or per row when shorter), folded into a float64 total;
    - "row": a reduction over the innermost axes from `depth` on, in a scalar started
      before those loops and stored after them (the inner loop then carries no dependency
      through memory and vectorises);
    - "in_place": any other axes, each result element accumulated in the output array (a
      bias gradient's column sums: the inner loop runs along the result)."""

    kind: str
    combine: str  # "sum", "prod", "max", "min"
    wide: bool = False
    depth: int | None = None


@dataclass(frozen=True)
class FusedLoop:
    """What a fused group reads and writes, in parameter order: `arrays` (operands of rank
    >= 1 made outside the group), `scalars` (0-d operands: literals, passed as numbers, and
    0-d arrays, read once before the loop), `outputs` (the values the group stores: read
    after it, returned, or reduced), then one size per axis of the iteration space."""

    eqns: tuple
    shape: tuple
    arrays: tuple
    scalars: tuple
    outputs: tuple
    parallel: bool
    blocked: bool  # the innermost axis is split into blocks (a "blocked" accumulator's)
    accumulators: tuple  # (reduction eqn, Accumulator) per reduction, in order
    sincos: tuple  # (sin eqn, cos eqn) pairs computed by one vm.sincos call

    @classmethod
    def of(cls, eqns, needed_later) -> FusedLoop:
        shape = iteration_shape(eqns[0])
        made = {eqn.outputs[0] for eqn in eqns}
        arrays, scalars = [], []
        for eqn in eqns:
            for v in eqn.inputs:
                if v in made or v in arrays or v in scalars:
                    continue
                (scalars if v.aval.shape == () else arrays).append(v)
        outputs = [eqn.outputs[0] for eqn in eqns
                   if is_reduction(eqn) or eqn.outputs[0] in needed_later]
        parallel = _worth_parallel(eqns, shape)
        full_sums_blocked = _blocked_sums(eqns, parallel)
        accumulators = []
        for eqn in eqns:
            if not is_reduction(eqn):
                continue
            out, combine = eqn.outputs[0], eqn.prim.lowering.combine
            if out.aval.size == 1 and full_sums_blocked and combine in ("sum", "prod"):
                acc = Accumulator("blocked", combine)
            elif out.aval.size == 1:
                wide = out.aval.dtype.kind == "f" and combine in ("sum", "prod")
                acc = Accumulator("scalar", combine, wide=wide)
            elif _row_depth(eqn) is not None:
                acc = Accumulator("row", combine, depth=_row_depth(eqn))
            else:
                acc = Accumulator("in_place", combine)
            accumulators.append((eqn, acc))
        blocked = any(a.kind == "blocked" for _, a in accumulators) and shape[-1] > SUM_BLOCK
        pairs = _sincos_pairs(eqns)
        sincos = tuple(dict.fromkeys(pairs.values()))
        return cls(tuple(eqns), shape, tuple(arrays), tuple(scalars), tuple(outputs),
                   parallel, blocked, tuple(accumulators), sincos)

    def sizes(self) -> list[str]:
        return lw.loop_vars(len(self.shape), "n")

    def body(self, names: dict, literal: dict, comment, sizes=None) -> list[str]:
        """The kernel's statements, with `names[v]` for each parameter and local value;
        `literal` maps the scalars passed as numbers to how the code reads them (other 0-d
        operands are arrays); `sizes` are the expressions of the iteration space's extents
        (the size parameters n0.. by default); `comment(eqn)` is the IR line written above
        each equation's code."""
        eqns, shape = self.eqns, self.shape
        sizes = sizes or self.sizes()
        ivars = lw.loop_vars(len(shape))
        local = {eqn.outputs[0] for eqn in eqns if not is_reduction(eqn)}
        stored = set(self.outputs)
        loaded: set = set()  # arrays whose element at this iteration is in `_name` already
        before, body, after = [], [], []
        enter: dict = {}  # loop depth -> statements before / after the loop at that depth
        leave: dict = {}
        block_start: list[str] = []  # around each block of the innermost axis
        block_end: list[str] = []
        accumulators = dict(self.accumulators)
        pairs = {eqn: pair for pair in self.sincos for eqn in pair}
        here = lw.index(ivars)
        count_far = None  # the statement counting sin/cos arguments beyond the exact range
        if any(eqn.prim.name in _TRIG for eqn in eqns):
            before.append("_trig_far = 0.0" if shape else "_trig_far = 0")
            after.append(f"if _trig_far: raise FloatingPointError({TRIG_BEYOND_EXACT!r})")
            count_far = "_trig_far += vm.beyond_exact_reduction({x})"
            if shape:
                # Counted per block (or innermost row) in a local, added to the total after
                # it: the total updated in the inner loop of a blocked float32 sum under
                # prange made sum(sin(x)*cos(x)) 2.7x slower at 1e7 elements. The count is
                # kept in the argument's float dtype through add_to_row (only its being > 0
                # matters): an int64 count beside float32 lanes made W3 1.2-1.6x slower.
                trig_dtype = lw.dtype_expr(next(e.inputs[0].aval.dtype for e in eqns
                                                if e.prim.name in _TRIG))
                block_start.append(f"_trig_part = {trig_dtype}(0)")
                block_end.append("_trig_far += _trig_part")
                count_far = ("_trig_part = add_to_row("
                             f"_trig_part, {trig_dtype}(vm.beyond_exact_reduction({{x}})))")
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
                    # Its name cannot be another value's `_name` (`_o10`, o1's 0-d load, was
                    # also output o10's: a kernel that read o1 after computing o10 used o10;
                    # fuzz seeds 20765, 20940): a name starts with a letter.
                    scalar = f"_0d_{names[v]}"
                    load = f"{scalar} = {literal.get(v, names[v] + '[()]')}"
                    if load not in before:
                        before.append(load)
                    operands.append(scalar)
                else:
                    # Array elements are loaded into temporaries, never inside an expression:
                    # a load under `x if c else y` is conditional, LLVM cannot speculate it,
                    # and the loop stays scalar (a select over [128,256] took 35 us, not 9).
                    loaded.add(v)
                    index = lw.broadcast_index(v.aval.shape, shape, ivars)
                    loads.append(f"_{names[v]} = {names[v]}[{index}]")
                    operands.append(f"_{names[v]}")
            body.append(f"# {comment(eqn)}")
            body.extend(loads)
            if is_reduction(eqn):
                plan = accumulators[eqn]
                combine = plan.combine
                init = lw.identity_value(combine, out.aval.dtype)
                acc = f"_acc_{name}"
                if plan.kind in ("scalar", "blocked"):
                    after.append(f"{name}[...] = {acc}")
                if plan.kind == "blocked":
                    # A float32 partial per block (or row), folded into a float64 total.
                    partial = f"_part_{name}"
                    before.append(f"{acc} = np.float64({init})")
                    block_start.append(f"{partial} = {dtype}({init})")
                    block_end.append(f"{acc} = {_COMBINE[combine].format(acc=acc, x=partial)}")
                    acc = partial
                elif plan.kind == "scalar":
                    before.append(f"{acc} = {'np.float64' if plan.wide else dtype}({init})")
                else:
                    axes, keep = eqn.params_dict["axes"], eqn.params_dict["keepdims"]
                    dst = [("0" if keep else None) if k in axes else iv
                           for k, iv in enumerate(ivars)]
                    dst = f"{name}[{lw.index(d for d in dst if d is not None)}]"
                    if plan.kind == "row":
                        enter.setdefault(plan.depth, []).append(f"{acc} = {dtype}({init})")
                        leave.setdefault(plan.depth, []).append(f"{dst} = {acc}")
                    else:
                        before.append(f"{name}[...] = {init}")
                        acc = dst
                if self.parallel and plan.kind == "scalar":
                    # prange's own reduction: Numba recognises it by a plain `+` or `*` on
                    # the accumulator (and refuses add_to_row: "unsupported reduction
                    # function"), and splits it into per-thread partials itself.
                    body.append(f"{acc} = {_COMBINE[combine].format(acc=acc, x=operands[0])}")
                elif out.aval.dtype.kind == "f" and combine in _IN_ANY_ORDER:
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
                    body.append(count_far.format(x=operands[0]))
                else:
                    body.append(f"# (_{name} came from vm.sincos above)")
            else:
                body.append(f"_{name} = {eqn.prim.lowering.expr(*operands, **eqn.params_dict)}")
                if eqn.prim.name in _TRIG:
                    body.append(count_far.format(x=operands[0]))
            if out in stored:
                body.append(f"{name}[{here}] = _{name}")
        block = None
        if block_start and self.blocked:
            block = (SUM_BLOCK, block_start, block_end)
        elif block_start:  # each innermost row is one block
            enter.setdefault(len(shape) - 1, []).extend(block_start)
            leave.setdefault(len(shape) - 1, [])[:0] = block_end
        return before + loop_nest(sizes, body, parallel=self.parallel, enter=enter,
                                  leave=leave, block=block) + after


def loop_nest(sizes, body: list[str], parallel: bool = False, enter: dict | None = None,
              leave: dict | None = None, block: tuple | None = None) -> list[str]:
    """ops.lowering.loop_nest over size expressions (a kernel's size arguments or
    constants), with the loop variables i0, i1, ... the lowerings index with."""
    return lw.loop_nest(sizes, body, parallel=parallel, enter=enter, leave=leave, block=block)


def copy_body(sizes, src: str, dst: str) -> list[str]:
    """`dst[...] = src` for arrays of one shape (extents `sizes`), as loops: Numba's array
    assignment carries a shape-mismatch error path whose message formatting took ~2.5 s to
    compile."""
    if not sizes:
        return [f"{dst}[()] = {src}[()]"]
    here = lw.index(lw.loop_vars(len(sizes)))
    return loop_nest(sizes, [f"{dst}[{here}] = {src}[{here}]"])


def _blocked_sums(eqns, parallel: bool) -> bool:
    """Whether the group's full float32 sums/products take float32 block partials: when
    every reduction in it is a full one (a row or column reduction already has its own
    accumulator layout). Under prange float64 ones do too: the block partial is private to
    its iteration and vectorises (add_to_row), and the total is prange's own `+` reduction
    (a running add_to_row on the total is refused by Numba's prange, and a plain `+` on it
    does not vectorise: a float64 sum of exp over 2**20 took 2.8 ms against numpy's 1.4)."""
    reductions = [eqn for eqn in eqns if is_reduction(eqn)]
    return bool(reductions) and bool(iteration_shape(eqns[0])) and all(
        eqn.outputs[0].aval.size == 1 for eqn in reductions
    ) and any(
        (eqn.outputs[0].aval.dtype == np.float32
         or (parallel and eqn.outputs[0].aval.dtype.kind == "f"))
        and eqn.prim.lowering.combine in ("sum", "prod") for eqn in reductions
    )


def _sincos_pairs(eqns) -> dict:
    """sin and cos of the same value in one loop, each mapped to the pair (sin eqn, cos
    eqn): `vm.sincos` computes both from one range reduction (W3's gradient needs cos(x)
    beside its sin(x); one sincos ran 5.8 ms per 1e7 float32, sin and cos 6.5)."""
    def is_(eqn, name):
        return eqn.prim.name == name and eqn.inputs[0].aval.dtype.kind == "f"

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


def _work_per_element(eqns) -> int:
    work = 0
    for eqn in eqns:
        if is_reduction(eqn):
            work += 1
            continue
        work += TRANSCENDENTAL_COST if eqn.prim.lowering.transcendental else 1
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

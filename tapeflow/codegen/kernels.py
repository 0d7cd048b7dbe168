"""Kernels: the unit of compilation. Each fused group of a graph (a loop nest, a BLAS update
with its epilogue, one structured equation, a copy into an output buffer) becomes one small
`@njit` function, planned here as a `KernelPlan` and rendered as text by `render_kernel`.

A kernel is named by a hash of its canonical text: the same function written with canonical
names (`a0` for operands, `s0` for scalars, `o0` for outputs, `n0` for sizes, `t0` for values
that live inside the loop) and its IR lines without sizes or value names. Value names and
constants are therefore not part of the name: the 32 identical layers of a deep MLP, or two
functions that build the same layer, share one compiled kernel. Sizes are arguments of loop
kernels, so a new batch size reuses them too; a structured equation's lowering (ops/*) may
write its sizes into the code, and then a new size names a new kernel.

The same plan rendered with the graph's own names (and its IR lines in full, with the user's
lines) is what `emit.generate_source` shows.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field

import numpy as np

from tapeflow.codegen.loops import FusedLoop, copy_body
from tapeflow.graph.ir import source_text
from tapeflow.graph.passes.fuse import gemm_update
from tapeflow.graph.printer import format_value, short_dtype
from tapeflow.ops import linalg
from tapeflow.ops.core import LoopKernel

# No fastmath flags: compiled code computes what eager numpy does, and each flag lets LLVM
# change an IEEE result on some input: reassoc folds (x + M) - M to x and x - (x + y) to -y
# (nan for x = inf); arcp turns x / 10 into x * 0.1; afn makes 1 / sqrt(0) nan; nsz turns
# -0.0 + 0.0 into -0.0; contract fuses x*y - x*y into an fma (not 0; -inf, not nan, where
# x*y overflows). Sums still vectorise: their accumulator alone may reassociate
# (accumulate.py), and vecmath's kernels set their own flags.
FASTMATH: tuple[str, ...] = ()

HEADER = [
    "import math",
    "",
    "import numba",
    "import numpy as np",
    "",
    "from tapeflow.codegen import vecmath as vm",
    "from tapeflow.codegen.accumulate import add_to_row, multiply_to_row",
    "from tapeflow.codegen.blas import blas_matmul, gemm_into",
    "from tapeflow.codegen.pipeline import KernelCompiler",
    ("from tapeflow.codegen.prelude import (_add, _empty, _floordiv, _maximum, _minimum, _mod,"
     " _mul, _neg, _power, _sub)"),
]


def fastmath_text() -> str:
    """FASTMATH as Numba's argument: False, or a set literal in a fixed order (the module's
    text must not depend on string hashing, or every process would rewrite it and
    invalidate Numba's cache)."""
    return f"{{{', '.join(map(repr, FASTMATH))}}}" if FASTMATH else "False"


class LoweringError(NotImplementedError):
    """A primitive has no Numba lowering; names it."""


@dataclass
class KernelPlan:
    """One kernel call of a graph, planned: what it computes and with which values.

    `params` are the kernel's parameters, each a (kind, value) pair: kind "array" (a value
    read as an array), "scalar" (a 0-d literal passed as a number), "out" (a buffer the
    caller allocates and the kernel writes), "size" (an int: the extent of an axis);
    `value` is the graph's Var (for "size", the axis number). `returns` are the Vars it
    returns (a structured equation makes its own result)."""

    kind: str  # "loop", "gemm", "op", "copy"
    eqns: tuple
    params: list = field(default_factory=list)
    returns: list = field(default_factory=list)
    parallel: bool = False
    loop: FusedLoop | None = None
    # Loop groups a loop kernel runs after its own loops (`with_epilogue`), each over its
    # own iteration space: arithmetic on what the loops reduced (a mean's division, a bias's
    # SGD update from its gradient's column sums), which would cost a kernel of its own.
    epilogues: tuple = ()
    sizes: tuple = ()  # the values of the "size" parameters
    literals: dict = field(default_factory=dict)  # scalar parameter -> its literal's text

    def canonical_names(self) -> dict:
        """Parameter and local names that do not depend on the graph: a0.., s0.., o0.."""
        names, counts = {}, {}
        prefix = {"array": "a", "scalar": "s", "out": "o"}
        for kind, v in self.params:
            if kind in prefix and v not in names:
                p = prefix[kind]
                names[v] = f"{p}{counts.get(p, 0)}"
                counts[p] = counts.get(p, 0) + 1
        for eqn in self.eqns:
            for v in eqn.outputs:
                if v not in names:
                    names[v] = f"t{counts.get('t', 0)}"
                    counts["t"] = counts.get("t", 0) + 1
        return names

    def param_names(self, names: dict) -> list[str]:
        return [f"n{v}" if kind == "size" else names[v] for kind, v in self.params]

    def body(self, names: dict, comment, inline: bool = False) -> list[str]:
        """Statements computing the kernel (no `def`, no return), with `names`. `inline`:
        written into the entry itself, with the call's sizes and literals in place of the
        size and scalar parameters."""
        scalars = {v: names[v] for kind, v in self.params if kind == "scalar"}
        sizes = [f"n{k}" for k in range(len(self.sizes))]
        if inline:
            scalars = {v: self.literals[v] for v in scalars}
            sizes = [str(d) for d in self.sizes]
        if self.kind == "loop":
            rank = len(self.loop.shape)
            lines = self.loop.body(names, scalars, comment, sizes[:rank])
            for epilogue in self.epilogues:  # their sizes follow the loops' own
                end = rank + len(epilogue.shape)
                lines += epilogue.body(names, scalars, comment, sizes[rank:end])
                rank = end
            return lines
        if self.kind == "copy":
            src, dst = (v for _, v in self.params[:2])
            return copy_body(sizes, names[src], names[dst])
        if self.kind == "gemm":
            return _gemm_body(self, names, comment, scalars, sizes)
        (eqn,) = self.eqns
        low = eqn.prim.lowering
        if not isinstance(low, LoopKernel):
            raise LoweringError(f"primitive {eqn.prim.name!r} has no Numba lowering")
        (out,) = eqn.outputs
        avals = [out.aval] + [v.aval for v in eqn.inputs]
        return [f"# {comment(eqn)}"] + low.emit(names[out], [names[v] for v in eqn.inputs],
                                                  avals, **eqn.params_dict)

    def source(self, name: str, names: dict, comment, cache: bool) -> list[str]:
        """The decorated function `name`, as lines."""
        # Kernels made only of code written here compile with a leaner pipeline, and
        # without Numba's reference counting (NRT): they allocate nothing and return
        # nothing, only read and write the arrays their caller holds. So no incref/decref
        # is written into them, and their Python wrapper borrows each array instead of
        # wrapping it in a new MemInfo per call: ~10% less compile per kernel and ~0.7 us
        # less per call of a kernel with three arrays (measured here).
        lean = self.kind in ("loop", "gemm", "copy") and not self.parallel
        options = ", pipeline_class=KernelCompiler" if lean else ""
        if lean and not self.returns:
            options += ", _nrt=False"
        lines = [
            (f"@numba.njit(cache={cache}, fastmath={fastmath_text()}, error_model='numpy', "
             f"nogil=True, no_cfunc_wrapper=True{', parallel=True' if self.parallel else ''}"
             f"{options})"),
            f"def {name}({', '.join(self.param_names(names))}):",
        ]
        body = self.body(names, comment)
        if self.returns:
            returned = ", ".join(names[v] for v in self.returns)
            body.append(f"return {returned}")
        return lines + ["    " + line for line in body or ["pass"]]

    def canonical_source(self, cache: bool = True, signature: str = "") -> str:
        """The text that names the kernel: its module as the cache stores it (`cache`:
        with Numba's on-disk cache on; off for a module compiled in memory). `signature`,
        the argument types it is compiled for, is written in: one module per signature,
        so the cache records each module's Numba files once, complete."""
        names = self.canonical_names()
        lines = [f'"""tapeflow kernel: {self.kind} (generated; do not edit)."""', ""]
        if signature:
            lines += [f"# compiled for ({signature})", ""]
        lines += HEADER + ["", ""]
        lines += self.source("kernel", names, lambda eqn: canonical_eqn(eqn, names), cache)
        return "\n".join(lines) + "\n"

    def key(self, fingerprint: str, signature: str = "") -> str:
        text = self.canonical_source(True, signature) + fingerprint
        return hashlib.sha256(text.encode()).hexdigest()[:20]

    def heading(self, names: dict) -> list[str]:
        """Comment lines naming the group the kernel came from and the user's lines in it."""
        if self.kind == "copy":
            src, dst = (names.get(v, "?") for _, v in self.params[:2])
            return [f"# copy kernel: {src} into {dst}"]
        ops = ", ".join(eqn.prim.name for eqn in self.eqns)
        lines = sorted({source_text(e.source) for e in self.eqns if e.source is not None},
                       key=_line_order)
        where = f"; from {', '.join(lines)}" if lines else ""
        space = f" over [{','.join(map(str, self.loop.shape))}]" if self.loop else ""
        if self.epilogues:
            ops = ", ".join(eqn.prim.name for eqn in self.loop.eqns)
            for epilogue in self.epilogues:
                ops += (f"; then over [{','.join(map(str, epilogue.shape))}]: "
                        + ", ".join(eqn.prim.name for eqn in epilogue.eqns))
        return [f"# {self.kind} kernel{space}: {ops}{where}"]

    def describe(self) -> str:
        """The kernel's ops and user lines, for messages."""
        return self.heading({})[0][2:]


def _line_order(text: str):
    file, _, line = text.rpartition(":")
    return (file, int(line) if line.isdigit() else 0)


def canonical_eqn(eqn, names: dict) -> str:
    """An equation as a kernel's canonical text writes it: names from `names`, dtypes and
    ranks but no sizes, no user line."""
    def typed(v):
        return f"{names[v]}:{short_dtype(v.aval.dtype)}{v.aval.ndim}d"

    args = [names.get(v, "?") for v in eqn.inputs]
    args += [f"{k}={format_value(val)}" for k, val in eqn.params]
    return f"{', '.join(typed(v) for v in eqn.outputs)} = {eqn.prim.name}({', '.join(args)})"


def _gemm_body(kernel: KernelPlan, names: dict, comment, scalars: dict, sizes) -> list[str]:
    """`out = c + sign * s * (a @ b)`: `c` copied into the output buffer, then one BLAS
    call updating it in place (fuse.GemmUpdate)."""
    eqns = kernel.eqns
    update = gemm_update(eqns)
    a, b = (names[v] for v in eqns[0].inputs)
    out = names[eqns[-1].outputs[0]]
    if update.scale is None:
        alpha = "1.0"
    elif update.scale in scalars:
        alpha = scalars[update.scale]
    else:
        alpha = f"{names[update.scale]}[()]"
    if update.sign < 0:
        alpha = f"-{alpha}"
    lines = [f"# {comment(eqn)}" for eqn in eqns]
    c = names[update.c]
    lines += copy_body(sizes, c, out)
    return lines + [f"gemm_into({a}, {b}, {out}, {alpha}, 1.0)  # {out} += {alpha} * {a} @ {b}"]


def plan_gemm(eqns, literals: dict) -> KernelPlan:
    update = gemm_update(eqns)
    a, b = eqns[0].inputs
    params = []
    for v in (a, b, update.c):  # one parameter per value (`w - lr * (w @ w)` reads w twice)
        if ("array", v) not in params:
            params.append(("array", v))
    params.append(("out", eqns[-1].outputs[0]))
    if update.scale is not None and ("array", update.scale) not in params:
        params.append(("scalar" if update.scale in literals else "array", update.scale))
    shape = update.c.aval.shape
    params += [("size", 0), ("size", 1)]
    return KernelPlan("gemm", tuple(eqns), params, sizes=tuple(shape),
                      literals={v: literals[v] for k, v in params if k == "scalar"})


def plan_loop(eqns, needed_later: set, literals: dict) -> KernelPlan:
    loop = FusedLoop.of(eqns, needed_later)
    params = [("array", v) for v in loop.arrays]
    params += [("scalar" if v in literals else "array", v) for v in loop.scalars]
    params += [("out", v) for v in loop.outputs]
    params += [("size", k) for k in range(len(loop.shape))]
    return KernelPlan("loop", tuple(eqns), params, parallel=loop.parallel, loop=loop,
                      sizes=tuple(loop.shape),
                      literals={v: literals[v] for k, v in params if k == "scalar"})


def with_epilogue(kernel: KernelPlan, eqns, needed_later: set, literals: dict) -> KernelPlan:
    """`kernel` (a loop kernel) followed by the loop group `eqns`, as one kernel.

    Why: Numba's fixed cost per compiled function (~30-50 ms, NUMBA-NOTES.md) is paid even
    for one scalar division, and in a deep MLP the loss's division and each bias's SGD
    update (over [64], from its gradient's column sums) made kernels of their own. The
    caller (emit.plan_program) checks that everything the group reads is made by `kernel`
    or before it; it runs after the loops, so it may read what they stored (reductions
    included). Its operands and outputs become further parameters, and its extents further
    sizes after the kernel's own."""
    epilogue = FusedLoop.of(eqns, needed_later)
    head = [p for p in kernel.params if p[0] != "size"]
    have = [v for _, v in head]
    extra = [("array", v) for v in epilogue.arrays]
    extra += [("scalar" if v in literals else "array", v) for v in epilogue.scalars]
    extra += [("out", v) for v in epilogue.outputs]
    params = head + [(k, v) for k, v in extra if v not in have]
    sizes = kernel.sizes + tuple(epilogue.shape)
    params += [("size", k) for k in range(len(sizes))]
    return KernelPlan("loop", kernel.eqns + tuple(eqns), params, parallel=kernel.parallel,
                      loop=kernel.loop, epilogues=kernel.epilogues + (epilogue,), sizes=sizes,
                      literals={v: literals[v] for k, v in params if k == "scalar"})


def plan_op(eqn) -> KernelPlan:
    params = []
    for v in eqn.inputs:
        if ("array", v) not in params:
            params.append(("array", v))
    return KernelPlan("op", (eqn,), params, returns=list(eqn.outputs))


def plan_copy(src, dst) -> KernelPlan:
    """A copy of `src` into the buffer `dst` (a Var or an output position's stand-in)."""
    params = [("array", src), ("out", dst)] + [("size", k) for k in range(src.aval.ndim)]
    return KernelPlan("copy", (), params, sizes=tuple(src.aval.shape))


def is_blas_product(eqn) -> bool:
    """A 2-D float matrix product that BLAS computes (matmul's lowering calls BLAS):
    a Python entry calls numpy's np.dot for it, with nothing to compile."""
    if eqn.prim.name != "matmul" or any(v.aval.ndim != 2 for v in eqn.inputs):
        return False
    (m, k), n = eqn.inputs[0].aval.shape, eqn.inputs[1].aval.shape[1]
    return eqn.outputs[0].aval.dtype.kind == "f" and m * k * n > linalg.TINY_MATMUL


def numba_type(kind: str, aval, layout: str = "C"):
    """The Numba type of a parameter, for compiling a kernel ahead of its first call."""
    if kind == "size":
        return _numba_type(kind, None, 0, "C")
    return _numba_type(kind, np.dtype(aval.dtype), aval.ndim, layout)


@functools.cache
def _numba_type(kind: str, dtype, ndim: int, layout: str):
    # (Cached: a deep network's program asks for the same few types thousands of times.)
    from numba.core import types
    from numba.np.numpy_support import from_dtype

    if kind == "size":
        return types.intp
    if kind == "scalar":
        return from_dtype(dtype)
    return types.Array(from_dtype(dtype), ndim, layout)

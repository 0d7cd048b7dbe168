"""Graph -> Python source of one Numba entry function.

The module is meant to be read: each IR line appears as a comment above the statements it
became, arrays keep the printer's names, and every shape is a constant (shapes are static per
specialisation). An elementwise equation (a `Scalar` lowering) becomes a loop nest whose
indexing does the broadcasting; a structured one (`LoopKernel`) writes its own statements.
Constants arrive as arguments after the inputs, so the module holds no data and Numba's
on-disk cache can reuse it.
"""

from __future__ import annotations

from tapeflow.graph.ir import Graph
from tapeflow.graph.printer import format_eqn, var_names
from tapeflow.ops import lowering as lw
from tapeflow.ops.core import LoopKernel, Scalar

# fastmath without nnan/ninf: NaN and inf checks must survive (NUMBA-NOTES.md).
FASTMATH = ("afn", "arcp", "contract", "nsz", "reassoc")


class LoweringError(NotImplementedError):
    """A primitive has no Numba lowering; names it."""


# Module-level names of the generated code that an array must not shadow.
_RESERVED = {"np", "math", "numba", "entry"}


def array_names(graph: Graph) -> dict:
    """The printer's names (so comments and code agree), clear of the module's globals.
    Loop variables (i0, n0) and temporaries (_j, _acc) never collide with them."""
    return {v: f"{n}_" if n in _RESERVED else n for v, n in var_names(graph).items()}


def generate_source(graph: Graph, *, cache: bool = True, title: str = "") -> str:
    """The module source for `graph`, whose `entry(*inputs, *consts)` returns the outputs."""
    names = array_names(graph)
    args = [names[v] for v in graph.inputs] + [names[v] for v, _ in graph.consts]
    body: list[str] = []
    for eqn in graph.eqns:
        body.append(f"# {format_eqn(eqn, names)}")
        body.extend(_lower_eqn(eqn, names))
    outs = ", ".join(names[v] for v in graph.outputs)
    body.append(f"return ({outs},)" if len(graph.outputs) == 1 else f"return ({outs})")
    header = [
        f'"""tapeflow kernel{": " + title if title else ""} (generated; do not edit)."""',
        "",
        "import math",
        "",
        "import numba",
        "import numpy as np",
        "",
        "from tapeflow.codegen.prelude import _maximum, _minimum, _power, _sigmoid, _softplus",
        "",
        "",
        # A set literal written in a fixed order: the module's text must not depend on string
        # hashing, or every process would rewrite it and invalidate Numba's cache.
        f"@numba.njit(cache={cache}, fastmath={{{', '.join(map(repr, FASTMATH))}}}, "
        "error_model='numpy', nogil=True)",
        f"def entry({', '.join(args)}):",
    ]
    return "\n".join(header + ["    " + line for line in body]) + "\n"


def _lower_eqn(eqn, names) -> list[str]:
    low = eqn.prim.lowering
    params = eqn.params_dict
    (out,) = eqn.outputs
    out_name = names[out]
    if isinstance(low, Scalar):
        shape = out.aval.shape
        ivars = lw.loop_vars(len(shape))
        operands = [
            f"{names[v]}[{lw.broadcast_index(v.aval.shape, shape, ivars)}]" for v in eqn.inputs
        ]
        expr = low.expr(*operands, **params)
        alloc = f"{out_name} = np.empty({shape}, dtype={lw.dtype_expr(out.aval.dtype)})"
        return [alloc] + lw.loop_nest(shape, [f"{out_name}[{lw.index(ivars)}] = {expr}"])
    if isinstance(low, LoopKernel):
        avals = [out.aval] + [v.aval for v in eqn.inputs]
        return low.emit(out_name, [names[v] for v in eqn.inputs], avals, **params)
    raise LoweringError(f"primitive {eqn.prim.name!r} has no Numba lowering")

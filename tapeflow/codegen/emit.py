"""Graph -> a program: kernels (codegen/kernels.py) and the entry that calls them.

`plan_program` decides, as data, what the entry does: the kernel each fused group becomes,
the buffers it allocates, the arguments of each call, the views, the copies into output
buffers. `entry_source` renders the entry's statements; `generate_source` renders the whole
program as one readable module, each kernel headed by the fused group it came from and each
IR line a comment above its code.

The entry's calling convention is codegen/abi.py's: `entry(*inputs, *consts,
*output_buffers)` returns the outputs it does not write into buffers. A 0-d constant is a
literal in the entry and reaches a kernel as a number; array constants are arguments.
Outputs that a kernel computes are written straight into the caller's buffers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tapeflow.codegen.abi import literal, loop_made, written_outputs
from tapeflow.codegen.kernels import (
    FASTMATH,
    HEADER,
    KernelPlan,
    LoweringError,
    fastmath_text,
    plan_copy,
    plan_gemm,
    plan_loop,
    plan_op,
    with_epilogue,
)
from tapeflow.codegen.loops import (  # noqa: F401  (the code generator's tunables, in one place)
    PARALLEL_MIN_ELEMENTS,
    PARALLEL_MIN_WORK,
    SUM_BLOCK,
    TRANSCENDENTAL_COST,
    FusedLoop,
)
from tapeflow.graph.ir import Graph
from tapeflow.graph.passes.fuse import fuse, is_loop
from tapeflow.graph.printer import format_eqn, var_names
from tapeflow.ops import lowering as lw

__all__ = ["FASTMATH", "LoweringError", "Program", "generate_source", "plan_program"]

# Module-level names of the generated code that an array must not shadow.
_RESERVED = {"np", "math", "numba", "entry", "vm", "add_to_row", "multiply_to_row",
             "gemm_into"}


def array_names(graph: Graph) -> dict:
    """The printer's names (so comments and code agree), clear of the module's globals.
    Loop variables (i0, n0) and temporaries (_j, _acc) never collide with them."""
    return {v: f"{n}_" if n in _RESERVED or n.startswith("k_") else n
            for v, n in var_names(graph).items()}


class Buffer:
    """An output buffer the caller passes (`out_k`), as a kernel parameter's value."""

    def __init__(self, position: int, aval):
        self.position = position
        self.aval = aval


@dataclass
class Call:
    """One kernel call of the entry: `args` are the entry's expressions for the kernel's
    parameters, in order; `results` the names bound to what it returns."""

    kernel: KernelPlan
    args: list
    results: list
    allocations: list = field(default_factory=list)  # statements making its output buffers


@dataclass
class Program:
    """A graph's entry as data. `steps` are, in order, `Call`s and entry statements (str);
    `layouts` maps a value the entry reads as an F-contiguous view to "F"."""

    graph: Graph
    names: dict
    params: list
    steps: list = field(default_factory=list)
    returned: list = field(default_factory=list)
    layouts: dict = field(default_factory=dict)

    def calls(self) -> list[Call]:
        return [s for s in self.steps if isinstance(s, Call)]


def plan_program(graph: Graph, split: bool = False) -> Program:
    """The program of `graph`. `split`: a fused group becomes one kernel per independent
    chain in it (for compiling kernel by kernel: see `_independent_parts`)."""
    names = array_names(graph)
    literals = {v: text for v, value in graph.consts
                if (text := literal(np.asarray(value))) is not None}
    written = written_outputs(graph)
    params = [names[v] for v in graph.inputs]
    params += [names[v] for v, _ in graph.consts if v not in literals]
    params += [f"out_{k}" for k in written]
    program = Program(graph, names, params)
    steps = program.steps
    plan = fuse(graph)
    needed_later = _values_needed_outside(graph, plan)
    views = _transposes_as_views(graph)

    # A 0-d constant that a structured lowering reads as an array is made here.
    for v in _arrays_of_literals(graph, plan, literals):
        dtype = lw.dtype_expr(v.aval.dtype)
        steps.append(f"{names[v]} = np.full((), {literals[v]}, dtype={dtype})")
    # An output that a kernel computes is stored straight into its buffer: the array's name
    # is bound to the buffer and never allocated.
    in_place = {}
    made = loop_made(graph)
    for k in written:
        v = graph.outputs[k]
        if v in made and v not in in_place:
            in_place[v] = k
            steps.append(f"{names[v]} = out_{k}  # an output, written in place")

    def arg(kind, v, kernel):
        if kind == "size":
            return str(kernel.sizes[v])
        if kind == "scalar":
            return literals[v]
        return names[v]

    made_at: dict = {}  # value -> the index of the step that makes it

    def call(kernel: KernelPlan, at: int | None = None):
        """Append the call of `kernel` (or, `at` an index, replace that step's call)."""
        allocations = []
        for kind, v in kernel.params:
            if kind == "out" and v not in in_place and not isinstance(v, Buffer):
                dtype = lw.dtype_expr(v.aval.dtype)
                allocations.append(f"{names[v]} = {lw.empty(v.aval.shape, dtype)}")
        step = Call(kernel, [arg(kind, v, kernel) for kind, v in kernel.params],
                    [names[v] for v in kernel.returns], allocations)
        at = len(steps) if at is None else at
        steps[at:at + 1] = [step]
        for v in [v for kind, v in kernel.params if kind == "out"] + list(kernel.returns):
            made_at[v] = at

    for group in plan.groups:
        eqns = [graph.eqns[i] for i in group]
        if is_loop(eqns[0]):
            for part in _independent_parts(eqns) if split else [eqns]:
                host = _epilogue_host(steps, made_at, part, needed_later)
                if host is None:
                    call(plan_loop(part, needed_later, literals))
                else:  # run at the end of the loop kernel making the last of its operands
                    call(with_epilogue(steps[host].kernel, part, needed_later, literals), host)
        elif len(eqns) > 1:
            call(plan_gemm(eqns, literals))
        elif eqns[0] in views:
            (eqn,) = eqns
            program.layouts[eqn.outputs[0]] = "F"
            steps.append(f"# {format_eqn(eqn, names)}")
            made_at[eqn.outputs[0]] = len(steps)
            steps.append(f"{names[eqn.outputs[0]]} = {names[eqn.inputs[0]]}.T  # a view")
        else:
            call(plan_op(eqns[0]))
    for k, v in enumerate(graph.outputs):
        if k not in written:
            program.returned.append(names[v])
        elif v in literals:
            steps.append(f"out_{k}[()] = {literals[v]}")
        elif in_place.get(v) != k:  # an input, a constant, a repeated output: copied
            buffer = Buffer(k, v.aval)
            names[buffer] = f"out_{k}"
            call(plan_copy(v, buffer))
    return program


def entry_lines(program: Program, kernel_name, arg=lambda text: text) -> list[str]:
    """The entry's body (unindented); `kernel_name(call)` is how it names a call's kernel,
    `arg(text)` how it writes an argument."""
    lines = []
    for step in program.steps:
        if isinstance(step, str):
            lines.append(step)
            continue
        lines.append("# " + step.kernel.heading(program.names)[0][2:])
        lines += step.allocations
        text = f"{kernel_name(step)}({', '.join(map(arg, step.args))})"
        if step.results:
            text = f"{', '.join(step.results)} = {text}"
        lines.append(text)
    returned = program.returned
    lines.append(f"return ({', '.join(returned)}{',' if len(returned) == 1 else ''})")
    return lines


# A graph of at most this many kernel calls, or one whose kernels repeat little, is compiled
# as one @njit function with every kernel's loops written inline (as if each call were
# inlined): Numba pays its fixed cost per compiled function (~0.15 s for a tiny kernel here)
# once, and LLVM sees the sizes. A larger graph, or one made of repeated kernels (the layers
# of a deep network), compiles each distinct kernel once, as its own cached function, and
# calls them from a generated Python entry.
INLINE_MAX_CALLS = 24


def compiles_inline(program: Program) -> bool:
    """Whether `program` compiles as one function (see INLINE_MAX_CALLS)."""
    calls = program.calls()
    if len(calls) > INLINE_MAX_CALLS:
        return False
    distinct = {call.kernel.canonical_source() for call in calls}
    return len(calls) < 2 * len(distinct) or len(calls) <= 4


def inline_lines(program: Program) -> list[str]:
    """The entry's body with each kernel written in place of its call (unindented)."""
    names = program.names
    lines = []
    for step in program.steps:
        if isinstance(step, str):
            lines.append(step)
            continue
        kernel = step.kernel
        lines += kernel.heading(names)
        lines += step.allocations
        lines += kernel.body(names, lambda eqn: format_eqn(eqn, names), inline=True)
        returned = [names[v] for v in kernel.returns]
        if returned != step.results:
            lines.append(f"{', '.join(step.results)} = {', '.join(returned)}")
    returned = program.returned
    lines.append(f"return ({', '.join(returned)}{',' if len(returned) == 1 else ''})")
    return lines


def inline_source(program: Program, *, cache: bool = True, title: str = "") -> str:
    """The module of a program compiled as one function (`compiles_inline`)."""
    parallel = any(call.kernel.parallel for call in program.calls())
    lines = [f'"""tapeflow program{": " + title if title else ""} (generated; do not edit)."""',
             ""] + HEADER + ["", "",
             (f"@numba.njit(cache={cache}, fastmath={fastmath_text()}, error_model='numpy', "
              f"nogil=True, no_cfunc_wrapper=True{', parallel=True' if parallel else ''})"),
             f"def entry({', '.join(program.params)}):"]
    lines += ["    " + line for line in inline_lines(program)]
    return "\n".join(lines) + "\n"


def generate_source(graph: Graph, *, cache: bool = True, title: str = "") -> str:
    """The program for `graph` as one readable module, as it is compiled: the kernels
    written inline into `entry` (a small graph), or each distinct kernel once (with the
    names of its first use, each IR line above its code, headed by its group) and an
    `entry` that calls them. `entry` takes and returns what `abi.EntryABI` says."""
    from tapeflow.codegen.compile import fingerprint

    program = plan_program(graph)
    if compiles_inline(program):
        return inline_source(program, cache=cache, title=title)
    program = plan_program(graph, split=True)
    names = program.names
    lines = [f'"""tapeflow program{": " + title if title else ""} (generated; do not edit)."""',
             ""] + HEADER + ["", ""]
    seen: dict = {}
    fp = fingerprint()
    for step in program.calls():
        key = step.kernel.key(fp)
        if key in seen:
            continue
        seen[key] = f"k_{key[:12]}"
        lines += step.kernel.heading(names)
        lines += step.kernel.source(seen[key], names, lambda eqn: format_eqn(eqn, names),
                                    cache)
        lines += ["", ""]
    lines += [f"@numba.njit(cache={cache}, error_model='numpy', nogil=True)",
              f"def entry({', '.join(program.params)}):"]
    lines += ["    " + line for line in entry_lines(program,
                                                    lambda c: seen[c.kernel.key(fp)])]
    return "\n".join(lines) + "\n"


def kernel_sources(graph: Graph) -> list[tuple[str, str]]:
    """(heading, source) of each kernel call of `graph`'s program, in call order, written
    with the graph's names: what a viewer shows per fused group."""
    program = plan_program(graph)
    if not compiles_inline(program):
        program = plan_program(graph, split=True)
    names = program.names
    out = []
    for n, step in enumerate(program.calls()):
        heading = step.kernel.heading(names)[0][2:]
        source = step.kernel.source(f"kernel_{n}", names, lambda eqn: format_eqn(eqn, names),
                                    True)
        out.append((heading, "\n".join(source) + "\n"))
    return out


def _epilogue_host(steps: list, made_at: dict, eqns, needed_later: set) -> int | None:
    """The index of the step whose loop kernel can run the loop group `eqns` after its own
    loops (KernelPlan.epilogues) instead of a kernel of its own, or None.

    That is the step making the last of the group's operands, when it is a loop kernel's
    call: running the group there, earlier than its turn, reads only values already made
    (the graph is in SSA form, and Variables change only after the call). Left alone: a
    group whose operands are all the entry's (nothing to run it after), a parallel loop on
    either side (its prange lowering), a group with sin or cos (its out-of-range count's
    temporaries would meet the kernel's own)."""
    made = {eqn.outputs[0] for eqn in eqns}
    reads = [v for eqn in eqns for v in eqn.inputs if v not in made]
    at = max((made_at.get(v, -1) for v in reads), default=-1)
    if at < 0 or not isinstance(steps[at], Call):
        return None
    kernel = steps[at].kernel
    if kernel.kind != "loop" or kernel.returns or kernel.parallel:
        return None
    if any(eqn.prim.name in ("sin", "cos") for eqn in eqns):
        return None
    if FusedLoop.of(eqns, needed_later).parallel:
        return None
    return at


def _independent_parts(eqns) -> list[list]:
    """A fused group split into its independent chains (no value of one is read by
    another), each in the group's order. Fusion joins every loop of one shape: the bias
    updates of all layers of a deep network land in one group, whose kernel would then
    grow with the depth and be shared with no other graph; one kernel per chain is the
    same for every layer (and costs one loop's overhead per chain)."""
    part_of: dict = {}  # eqn position -> its part's representative
    made: dict = {}  # value -> position of the eqn making it

    def find(i):
        while part_of[i] != i:
            part_of[i] = part_of[part_of[i]]
            i = part_of[i]
        return i

    for i, eqn in enumerate(eqns):
        part_of[i] = i
        for v in eqn.inputs:
            if v in made:
                part_of[find(made[v])] = find(i)
        for v in eqn.outputs:
            made[v] = i
    parts: dict = {}  # in order of each part's first equation
    for i, eqn in enumerate(eqns):
        parts.setdefault(find(i), []).append(eqn)
    return list(parts.values())


def _arrays_of_literals(graph: Graph, plan, literals: dict) -> list:
    """The 0-d constants written as literals that an equation outside the fused loops
    reads as an array (fused loops and BLAS updates take the literal as a number)."""
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

"""`tapeflow precompile` and `tapeflow profile`.

Profile: the step runs compiled `steps` times (its median is the step time); then each kernel
of its fused plan (a fused loop nest, a BLAS call with its epilogue, a lone equation) is
compiled as a graph of its own (`tools/kernels.py`) and timed alone, `steps` times, on the
values it reads in a real step (from one run of the reference interpreter). The generated
entry calls the same kernels in the same order, so the kernels' medians add up to about the
step's; the report prints both and their ratio, so a gap is seen rather than hidden (it is
the cost of calling the step: argument checks, guards and commits, and each kernel's own
call, which the entry does not pay).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from tapeflow.graph.interp import Interpreter


class _Recording(Interpreter):
    """The reference interpreter, keeping every value (the profiler feeds kernels with them)."""

    def __init__(self, graph):
        super().__init__(graph)
        self._free_after = [[] for _ in graph.eqns]
        self.values = {}

    def run_eqn(self, eqn, inputs):
        outs = super().run_eqn(eqn, inputs)
        self.values.update(zip(eqn.outputs, outs))
        return outs


def graph_inputs(concrete, call) -> list[np.ndarray]:
    """The values the graph takes: the arguments' tensors, then the captured variables."""
    from tapeflow import nest
    from tapeflow.tracer.tensor import Tensor

    leaves = [x for x in nest.flatten([list(call.args), call.kwargs])
              if isinstance(x, Tensor | np.ndarray)]
    values = [np.asarray(x._value if isinstance(x, Tensor) else x) for x in leaves]
    values += [np.asarray(v._value._value) for v in concrete.traced.captured]
    return values


class Progress:
    """A one-line progress bar on a terminal (plain lines elsewhere)."""

    def __init__(self, total: int, stream=None, width: int = 30):
        self.total, self.done, self.stream, self.width = total, 0, stream, width

    def step(self, what: str) -> None:
        self.done += 1
        if self.stream is None:
            return
        filled = int(self.width * self.done / self.total)
        bar = "#" * filled + "-" * (self.width - filled)
        end = "\n" if self.done == self.total or not self.stream.isatty() else "\r"
        self.stream.write(f"[{bar}] {self.done}/{self.total} {what}".ljust(72) + end)
        self.stream.flush()


def precompile(fn, call, concrete_of, stream=sys.stderr, quiet: bool = False) -> None:
    """Trace, optimise, generate and compile the target's step into the on-disk cache (by
    running the compiled entry once on sample values; no variable changes)."""
    from tapeflow.codegen.emit import generate_source
    from tapeflow.runtime.backends import NumbaExecutor

    progress = Progress(3, None if quiet else stream)
    concrete = concrete_of()
    if getattr(concrete, "_symbols", None):
        from tapeflow.tools.target import TargetError

        raise TargetError("the function was traced with unknown sizes (?): code is compiled "
                          "per size; give every size")
    graph = concrete.graph
    progress.step(f"traced and optimised {fn.__name__} ({len(graph.eqns)} equations)")
    generate_source(graph)  # a LoweringError here says which op has no Numba code
    progress.step("generated its code")
    executor = NumbaExecutor(graph)
    executor(graph_inputs(concrete, call))  # compiles (or loads) the step's entry
    where = "compiled into the cache" if executor.entry is not None else \
        "could not be compiled (see the warning): it runs on the interpreter"
    progress.step(f"{fn.__name__}: {where}")


@dataclass
class KernelTime:
    id: str
    label: str
    lines: list[str]
    seconds: float  # median per call
    blas: bool


@dataclass
class Report:
    name: str
    step_seconds: float
    kernels: list[KernelTime]
    graph: object = None
    plan: object = None  # the FusionPlan the kernels come from
    sources: dict = field(default_factory=dict)

    @property
    def kernel_seconds(self) -> float:
        return sum(k.seconds for k in self.kernels)

    def seconds_by_part(self) -> dict[str, float]:
        out = {k.id: k.seconds for k in self.kernels}
        out["step"] = self.step_seconds
        return out

    def text(self) -> str:
        total = self.step_seconds
        lines = [f"profile of {self.name}: {total * 1e6:.1f} us per step (median)", "",
                 f"{'us':>9} {'share':>6}  kernel                                    user lines"]
        for k in sorted(self.kernels, key=lambda k: -k.seconds):
            share = k.seconds / total if total else 0.0
            lines.append(f"{k.seconds * 1e6:9.1f} {share:6.1%}  {k.label[:40]:<40}  "
                         f"{', '.join(k.lines)}")
        ratio = self.kernel_seconds / total if total else float("nan")
        lines += ["", f"kernels add up to {self.kernel_seconds * 1e6:.1f} us, "
                  f"{ratio:.1%} of the step"]
        return "\n".join(lines)

    def json(self) -> str:
        return json.dumps({
            "name": self.name, "step_seconds": self.step_seconds,
            "kernel_seconds": self.kernel_seconds,
            "kernels": [k.__dict__ for k in self.kernels],
        }, indent=1)


def _median_time(fn, steps: int) -> float:
    fn()  # warm
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def profile_step(fn, call, concrete_of, steps: int = 20, progress=None) -> Report:
    from tapeflow.codegen.abi import EntryABI
    from tapeflow.graph.passes.fuse import fuse
    from tapeflow.runtime.backends import NumbaExecutor
    from tapeflow.tools.kernels import parts, sources

    concrete = concrete_of()
    if getattr(concrete, "_symbols", None):
        from tapeflow.tools.target import TargetError

        raise TargetError("the function was traced with unknown sizes (?): profile a size")
    graph = concrete.graph
    inputs = graph_inputs(concrete, call)
    plan = fuse(graph)
    kernel_parts = parts(graph, plan)
    bar = Progress(len(kernel_parts) + 2, progress)

    # The step itself, compiled (the first calls trace and compile).
    def step():
        return call.function(*call.args, **call.kwargs)

    step()
    step()
    bar.step("compiled the step")
    # Variables change from step to step: time on a copy of their values restored each time
    # would add copies to the step, so the step runs on as it would in training.
    step_seconds = _median_time(step, steps)
    bar.step(f"timed {steps} steps")

    recorder = _Recording(graph)
    recorder.run(*inputs)
    values = dict(zip(graph.inputs, inputs))
    values.update({v: np.asarray(x) for v, x in graph.consts})
    values.update(recorder.values)

    kernels = []
    for part in kernel_parts:
        executor = NumbaExecutor(part.graph)
        args = [np.array(values[v], order="C") for v in part.graph.inputs]
        executor(args)  # compile
        native = executor.entry
        if native is None:  # fell back to the interpreter: time that
            seconds = _median_time(lambda: executor(args), steps)
        else:
            abi: EntryABI = executor.abi
            seconds = _median_time(lambda: abi.call(native, args), steps)
        kernels.append(KernelTime(part.id, part.label, part.lines, seconds, part.is_blas))
        bar.step(part.label[:48])
    return Report(fn.__name__, step_seconds, kernels, graph, plan, sources(graph, plan))

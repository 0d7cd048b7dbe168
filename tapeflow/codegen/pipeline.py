"""A leaner Numba pipeline for the loop, BLAS-update and copy kernels tapeflow writes.

Numba's nopython pipeline has passes for Python that these kernels never contain: closures
and comprehensions to inline (InlineClosureLikes), branches on constants to prune
(RewriteSemanticConstants, DeadBranchPrune: `if x is None`, `len()` of a tuple), and whole-
array numpy expressions to turn into loops (NopythonRewrites: the kernels are scalar loops
already). On the deep MLP step (L = 32, three of its four kernels) they took ~32 ms of the
~760 ms of CPU its first compiled call took, walking every statement. `KernelCompiler` is
Numba's own pipeline without them: everything else (bytecode, SSA, typing, the remaining
rewrites, lowering) is unchanged, and so is the LLVM code of the kernels (tested). Kernels
that carry other code keep Numba's default pipeline: a structured equation's lowering
(ops/*.py, any numpy), prange loops (their parfor passes), the one-function entry.
"""

from __future__ import annotations

from numba.core import typed_passes, untyped_passes
from numba.core.compiler import CompilerBase, DefaultPassBuilder
from numba.core.compiler_machinery import PassManager

# (By name: a Numba without one of them leaves nothing out for it.)
LEFT_OUT = tuple(
    getattr(module, name)
    for module, name in [
        (untyped_passes, "InlineClosureLikes"),
        (untyped_passes, "RewriteSemanticConstants"),
        (untyped_passes, "DeadBranchPrune"),
        (typed_passes, "NopythonRewrites"),
    ]
    if hasattr(module, name)
)


class KernelCompiler(CompilerBase):
    """Numba's nopython pipeline less LEFT_OUT (see the top)."""

    def define_pipelines(self):
        default = DefaultPassBuilder.define_nopython_pipeline(self.state)
        pm = PassManager("tapeflow kernel")
        for pass_class, description in default.passes:
            if pass_class not in LEFT_OUT:
                pm.add_pass(pass_class, description)
        pm.finalize()
        return [pm]

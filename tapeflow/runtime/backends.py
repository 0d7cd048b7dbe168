"""Executors of an optimised graph: the reference interpreter, and Numba-compiled code.

An executor is called with the graph's input arrays (arguments, then captured variables)
and returns its output arrays. The Numba one checks what it hands to native code (dtype,
C-contiguity) and falls back to the interpreter, with a warning naming the cause, when the
graph cannot be compiled.
"""

from __future__ import annotations

import contextlib
import os
import threading
import warnings

import numpy as np

from tapeflow.codegen.loops import TRIG_BEYOND_EXACT
from tapeflow.graph.interp import Interpreter
from tapeflow.graph.ir import source_text
from tapeflow.ops.checks import (
    failed_assertion,
    is_failed_assertion,
    native_error_message,
    native_numerics_error,
    raised_by,
)
from tapeflow.ops.core import InvalidArgumentError
from tapeflow.ops.matrix import LAPACK_FAILURES
from tapeflow.ops.shape import IndexOutOfRangeError
from tapeflow.runtime import blas_threads

BACKENDS = ("numba", "interpreter")

# What `@tapeflow.function` uses when no backend is named: Numba, or the TAPEFLOW_BACKEND
# environment variable's choice (the reference interpreter helps when debugging a graph).
_default_backend = os.environ.get("TAPEFLOW_BACKEND", "numba")


def default_backend() -> str:
    if _default_backend not in BACKENDS:
        raise ValueError(f"TAPEFLOW_BACKEND={_default_backend!r} is not a backend; choose one "
                         f"of {', '.join(BACKENDS)}")
    return _default_backend


def set_default_backend(name: str) -> str:
    """Make `name` the backend of functions that do not name one (from their next trace
    on); returns the previous default."""
    global _default_backend
    check_backend(name)
    previous, _default_backend = _default_backend, name
    return previous


def check_backend(name: str) -> None:
    if name not in BACKENDS:
        raise ValueError(f"tapeflow.function: unknown backend {name!r}; choose one of "
                         f"{', '.join(BACKENDS)}")


# When Numba compiles a graph: "background" (calls run on the interpreter until native
# code is ready: a training loop never waits for the compiler) or "sync" (the first call
# waits). `tapeflow.function(..., compile=...)` chooses per function.
COMPILE_MODES = ("background", "sync")
_default_compile = "background"


def check_compile(mode: str) -> None:
    if mode not in COMPILE_MODES:
        raise ValueError(f"tapeflow.function: unknown compile mode {mode!r}; choose one of "
                         f"{', '.join(COMPILE_MODES)}")


def default_compile() -> str:
    return _default_compile


def set_default_compile(mode: str) -> str:
    """Make `mode` the compile mode of functions that do not name one (from their next
    trace on); returns the previous default."""
    global _default_compile
    check_compile(mode)
    previous, _default_compile = _default_compile, mode
    return previous


class CompileFallbackWarning(RuntimeWarning):
    """A graph could not be compiled with Numba; it runs on the interpreter instead."""


class InterpreterExecutor:
    def __init__(self, graph):
        self._interpreter = Interpreter(graph)

    def __call__(self, inputs: list) -> list:
        return self._interpreter.run(*inputs)


def conform(value, dtype) -> np.ndarray:
    """`value` as a plain ndarray of `dtype` in the one layout compiled code is typed for:
    C-contiguous, writeable and aligned (`flags.carray`); 0-d arrays stay 0-d.

    Writeable matters beyond taste: Numba types a read-only array as another type, so one
    read-only input would compile a second entry (seconds), and the native entry point is
    called without Numba's type dispatch (see NumbaExecutor). A read-only or misaligned
    input is therefore copied."""
    array = np.asarray(value, dtype=dtype, order="C")  # never a subclass
    if not array.flags.carray:
        array = array.copy(order="C")
    return array


def fits(value, dtype) -> bool:
    """Whether `value` reaches native code as it is: exactly an ndarray of `dtype`,
    C-contiguous, writeable and aligned. (The shape is checked apart, for its message.)"""
    # `is` first: numpy's builtin dtypes are singletons, but arrays Numba returns carry
    # equal dtype objects that are not.
    return (type(value) is np.ndarray and (value.dtype is dtype or value.dtype == dtype)
            and value.flags.carray)


def refuse_shape(value, shape) -> None:
    raise ValueError(f"compiled graph: input of shape {value.shape}, expected {shape}")


class NumbaExecutor:
    """Compiles on first use (so tracing alone never pays for Numba).

    Calls go to the compiled overload's native entry point (`Dispatcher.compile(types)`
    returns it), not through the Numba dispatcher: that one types every argument again on
    each call (`typeof`: 0.19 us of a 0.28 us call with two 0-d arrays, 0.22 of 0.42 us
    with six arrays). Skipping it is safe only because the entry point then sees exactly
    the types it was compiled for: Numba's unboxing reads an array's data pointer, shape
    and strides without checking its dtype or rank (numba/core/boxing.py: unbox_array), so
    every input is checked first for what its Numba type encodes: exact ndarray, dtype,
    rank (the whole shape is checked), layout C, writeable (`fits`, `refuse_shape`). The
    constants are the same arrays on every call."""

    def __init__(self, graph, compile: str = "sync"):
        from tapeflow.codegen.abi import EntryABI

        check_compile(compile)
        self.graph = graph
        self.compile = compile
        self._entry = None  # the Numba dispatcher (its cache statistics, its overloads)
        self._kernel = None  # codegen's Kernel, which keeps the generated module alive
        self._native = None  # the compiled overload's entry point
        self._fallback: InterpreterExecutor | None = None
        self._interpreter: InterpreterExecutor | None = None  # the tier below native code
        self._exact: InterpreterExecutor | None = None  # for calls native code hands back
        self._thread: threading.Thread | None = None
        self._lent = False  # numpy's BLAS lent a core to this graph's worker (blas_threads.py)
        self._result = None  # what the compiling thread made: see _attempt
        # How the entry is called (codegen/abi.py): its constant arguments (C-contiguous;
        # the generated call path passes these too) and the output buffers it writes.
        self.abi = EntryABI.of(graph)
        self.consts = list(self.abi.consts)
        self._layout = [(v.aval.shape, v.aval.dtype) for v in graph.inputs]

    @property
    def entry(self):
        """The compiled entry's native entry point, once it compiled (None before, or on
        fallback). Call it only with arrays that `fits` and of the graph's input shapes,
        then the constants, then fresh output buffers (`abi.buffers()`)."""
        return self._native if self._fallback is None else None

    def _checked(self, inputs: list) -> list:
        """Validate before entering native code: exact dtype and shape, C-contiguous,
        writeable, aligned memory. Arrays that already fit (the usual case) pass through
        untouched."""
        args = []
        for value, (shape, dtype) in zip(inputs, self._layout):
            if not fits(value, dtype):
                value = conform(value, dtype)
            if value.shape != shape:
                refuse_shape(value, shape)
            args.append(value)
        return args

    def __call__(self, inputs: list) -> list:
        """The graph's outputs for `inputs`: from native code once it is compiled, until
        then (compile="background") or when it cannot be (a warning said why) from the
        reference interpreter. Both tiers validate the inputs alike, and the interpreter's
        outputs are copies, as compiled code returns fresh arrays."""
        if self._native is None and self._fallback is None:
            self._advance()
        if self._native is None:
            interpreter = self._fallback or self._interpreter
            # numpy kernels return views (of the caller's arrays too): copies.
            return [np.array(o) for o in interpreter(self._checked(inputs))]
        args = self._checked(inputs)
        try:
            return self.abi.call(self._native, args)
        except IndexError as e:
            raise native_index_error(e, self.graph) from None
        except FloatingPointError as e:  # a failed check_numerics (tapeflow/ops/checks.py)
            if e.args[:1] == (TRIG_BEYOND_EXACT,):
                # sin/cos of an argument the vectorised kernels do not reduce exactly: numpy's
                # libm does (codegen/loops.py); such calls run on the interpreter.
                return self.exact_outputs(args)
            if is_failed_assertion(e):  # tf.debugging's assertions: the error shows the data
                raise failed_assertion(self.exact_outputs, args) from None
            raise native_numerics_error(e) from None
        except np.linalg.LinAlgError as e:  # a singular or not positive definite matrix
            raise native_linalg_error(e, self.graph) from None

    def exact_outputs(self, inputs: list) -> list:
        """The outputs for `inputs` (checked) from the reference interpreter, for a call that
        native code hands back (codegen/loops.py, TRIG_BEYOND_EXACT)."""
        if self._exact is None:
            self._exact = InterpreterExecutor(self.graph)
        return [np.array(o) for o in self._exact(inputs)]

    def _advance(self) -> None:
        """Move towards native code: compile now (sync), or start compiling in the
        background and pick up its result once it is done. In the background a worker
        process compiles into the on-disk cache, and a thread here then loads from it
        (codegen/worker.py); without a worker, the thread compiles."""
        if self.compile == "sync":
            self._finish(self._attempt())
        elif self._thread is None:
            from tapeflow.codegen import worker  # (Numba is imported by the child, not here)

            self._interpreter = InterpreterExecutor(self.graph)
            child = None
            if uncompiled_dtype(self.graph) is None:
                child = worker.start(self._attempt_in_child)
            if child is not None:
                blas_threads.lend(self)  # (the worker takes a core: numpy's BLAS one less)
                self._lent = True
            self._thread = threading.Thread(target=self._compile_in_background, args=(child,),
                                            daemon=True, name=worker.THREAD_NAME)
            self._thread.start()
        else:
            self.poll()

    def _attempt_in_child(self) -> None:
        """What a worker process runs: the same attempt, unlocked (it is alone in its
        process) and past any wrapper of compile_graph: what it compiles lands in the
        cache."""
        from tapeflow.codegen import compile as compile_module

        self._attempt(compile_module._compile_graph)

    def _compile_in_background(self, child: int | None) -> None:
        """Wait for the worker process (if one started), then load what it put in the
        cache; without one, or if it failed, this compiles. While the worker compiles,
        this thread starts Numba here (see start_numba)."""
        from tapeflow.codegen import worker

        if child is not None:
            with contextlib.suppress(Exception):  # (_attempt meets and reports any failure)
                start_numba()
        worker.wait(child)
        self._result = self._attempt()

    def wait_compiled(self, timeout: float | None = None) -> bool:
        """Wait for a background compile to finish (at most `timeout` seconds); whether
        calls now run native code. Starts compiling if nothing has yet (and compiles
        right here when compile="sync")."""
        if self._native is None and self._fallback is None:
            if self._thread is None:
                self._advance()
            if self._thread is not None:
                self._thread.join(timeout)
                if self._thread.is_alive():
                    return False
                self.poll()
        return self._native is not None

    def poll(self) -> None:
        """Switch to native code if a background compile has finished (never waits)."""
        thread = self._thread
        if (self._native is None and self._fallback is None and thread is not None
                and not thread.is_alive()):
            self._finish(self._result)
        elif self._lent and (self._native is not None or self._fallback is not None):
            self._repay()  # (put off when another thread lived)

    def _repay(self) -> None:
        from tapeflow.codegen import worker

        self._lent = not blas_threads.repay(self, worker.other_threads_alive)

    def _attempt(self, compile_graph=None) -> tuple:
        """Compile the graph for the types its calls have: ("native", dispatcher, entry
        point), or ("fallback", why). Runs on the caller's thread or the compiling one, so
        it only returns what happened: _finish acts on it (and warns) on the caller's.
        `compile_graph(graph, mode=...)`: codegen.compile's unless given."""
        from tapeflow.codegen.compile import KernelCompileError
        from tapeflow.codegen.emit import LoweringError

        if compile_graph is None:
            from tapeflow.codegen.compile import compile_graph

        why = uncompiled_dtype(self.graph)
        if why is not None:
            return ("fallback", why)
        try:
            kernel = compile_graph(self.graph)
            types = self._types()
            try:
                return ("native", kernel, kernel.native(types))
            except Exception as e:  # a Numba typing/lowering error in the one-function form
                if kernel.mode != "inline":
                    raise
                first = e
            # Compiled kernel by kernel instead, a failure names its kernel; and a graph
            # too large for one function (Numba gives up on its bytecode) may compile so.
            try:
                kernel = compile_graph(self.graph, mode="kernels")
                return ("native", kernel, kernel.native(types))
            except KernelCompileError:
                raise
            except Exception:
                raise first from None
        except (LoweringError, KernelCompileError) as e:
            return ("fallback", str(e))
        except Exception as e:  # a Numba typing/lowering error: keep the program running
            why = str(e).splitlines()[0] if str(e) else ""
            return ("fallback", f"Numba could not compile it ({type(e).__name__}: {why})")

    def _types(self) -> tuple:
        """The Numba types of the entry's arguments: what `_checked` lets through (exact
        dtype, C-contiguous, the graph's shapes), the constants, the output buffers."""
        import numba

        inputs = [np.empty(shape, dtype) for shape, dtype in self._layout]
        return tuple(numba.typeof(a) for a in (*inputs, *self.consts, *self.abi.buffers()))

    def _finish(self, result: tuple) -> None:
        if result[0] == "native":
            # The Kernel holds the generated modules, which live as long as it does.
            _, self._kernel, self._native = result
            self._entry = self._kernel.dispatcher
        else:
            warnings.warn(f"tapeflow: running a graph on the interpreter instead of Numba: "
                          f"{result[1]}", CompileFallbackWarning, stacklevel=5)
            self._fallback = InterpreterExecutor(self.graph)
        self._interpreter = None
        if self._lent:
            self._repay()


def start_numba() -> None:
    """Numba's own start in this process: its import, then its typing and target contexts'
    registries (~0.4 s here), which loading the worker's compiled code from the cache needs
    first. Run on the compiling thread as soon as the worker is forked, it overlaps the
    worker's compile (on another core) instead of following it: native code arrives that
    much sooner. (Until the thread parks in worker.wait, another function's first compile
    forks no worker of its own and compiles on its thread: worker.start refuses to fork
    beside a busy thread.) That function then compiles on its own thread meanwhile: the
    registries are filled under the locks a compile holds (tapeflow's, then Numba's), as a
    refresh beside a compile in progress left Numba's typing of np.empty half-registered
    ("Unknown attribute '_allocate'", the graph fell back to the interpreter)."""
    from numba.core.compiler_lock import global_compiler_lock
    from numba.core.registry import cpu_target

    from tapeflow.codegen import compile as compile_module  # (Numba, vecmath, BLAS entries)

    with compile_module._lock, global_compiler_lock:
        cpu_target.typing_context.refresh()
        cpu_target.target_context.refresh()


def uncompiled_dtype(graph) -> str | None:
    """Why a graph cannot be compiled for its dtypes (the first op or argument whose dtype
    the Numba lowerings do not handle: float16, bfloat16, 8/16-bit and unsigned integers,
    complex, string), or None."""
    from tapeflow.ops.core import COMPILED_DTYPES, dtype_name

    for v, name in zip(graph.inputs, graph.input_names or [None] * len(graph.inputs)):
        if v.aval.dtype not in COMPILED_DTYPES:
            return (f"argument {name or v} has dtype {dtype_name(v.aval.dtype)}, which "
                    "compiled code does not handle (only float32/64, int32/64 and bool)")
    for eqn in graph.eqns:
        for v in eqn.outputs + eqn.inputs:
            if v.aval.dtype not in COMPILED_DTYPES:
                return (f"op {eqn.prim.name!r} works on dtype {dtype_name(v.aval.dtype)}, "
                        "which compiled code does not handle (only float32/64, int32/64 "
                        "and bool)")
    for v in graph.outputs:
        if v.aval.dtype not in COMPILED_DTYPES:
            return (f"a result has dtype {dtype_name(v.aval.dtype)}, which compiled code "
                    "does not handle (only float32/64, int32/64 and bool)")
    return None


def native_index_error(error: IndexError, graph) -> IndexOutOfRangeError:
    """What an IndexError from compiled code becomes: the eager kernel's message (op, name,
    position, value, range) and the user lines of the equations that can raise it."""
    sources = []
    for eqn in graph.eqns:
        if eqn.source is not None and raised_by(eqn, error):
            text = source_text(eqn.source)
            if text not in sources:
                sources.append(text)
    return IndexOutOfRangeError(native_error_message(error, sources))


def native_linalg_error(error: Exception, graph) -> InvalidArgumentError:
    """What numpy's LinAlgError from compiled code becomes: an InvalidArgumentError naming
    the matrix ops of the graph that can raise it, what their failure means, and the user
    lines that recorded them."""
    culprits, meanings = [], []
    for eqn in graph.eqns:
        meaning = LAPACK_FAILURES.get(eqn.prim.name)
        if meaning is None:
            continue
        where = f" at {source_text(eqn.source)}" if eqn.source is not None else ""
        if eqn.prim.name + where not in culprits:
            culprits.append(eqn.prim.name + where)
        if meaning not in meanings:
            meanings.append(meaning)
    return InvalidArgumentError(f"{', '.join(culprits) or 'a matrix op'}: "
                                f"{' or '.join(meanings) or 'LAPACK failed'} ({error})")


def make_executor(backend: str, graph, compile: str = "sync"):
    if backend == "numba":
        from tapeflow.runtime.control_exec import graph_executor

        return graph_executor(graph, compile)  # in segments around graph loops
    if backend == "interpreter":
        return InterpreterExecutor(graph)
    raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")

"""`for x in dataset:` in a tf.function: the loop's body compiled once, run per element.

A tf.function that reads a tf.data dataset runs its Python eagerly (data/dataset.py: a trace
would bake one pass's elements into the graph). TensorFlow instead compiles the loop: the
body is traced once, as a graph the dataset's elements flow through, so its Python (a
`print`) runs once and its ops run compiled. Here, while such a function runs eagerly, its
AutoGraph-converted `for` over a dataset or iterator (autograph_ops.for_stmt) comes to `run`:
the body function AutoGraph made (`state = body(element, *state)`) becomes a
tapeflow.function of its own, traced on the first element and called for every element, with
the loop variables as its arguments and results. So the body runs as native code and its
Python once per trace, as in TF, and the code around the loop stays eager.

As in TF, loop variables that are Python numbers become tensors (a loop variable is a
tensor). A loop whose variables are anything else (a list, an object) runs as the Python
loop it is: each iteration would otherwise be a new signature.

The body function is made anew by each call of the enclosing function (a closure over its
locals). The compiled body is kept per code object, with the values the body reads from the
enclosing function (its free variables) passed as arguments: tensors are inputs, Python
numbers static values, objects keyed by identity, as for any tf.function argument; so a later
call traces again only where those differ. A list, tuple or dict among them is passed whole
(keyed by identity, not walked into its items), so that the body sees the enclosing
function's own object: what it appends while tracing stays appended. A last, smaller batch is one more trace,
generalised to any size (reduce_retracing); these traces do not warn: they are this
module's, not the user's.
"""

from __future__ import annotations

import types
import warnings

from tapeflow.perthread import PerThreadValue

# The enclosing tf.function's options while it runs eagerly over a dataset (function.py):
# (backend, compile, its compiled bodies by code object); None where dataset loops run as
# Python (plain eager code, tf.config.run_functions_eagerly).
compiling_options = PerThreadValue(None)
_EMPTY = object()  # an enclosing local with no value yet
_HELD = 32  # containers kept per compiled body (their identity keys its traces)


class _Whole:
    """A container the body reads, passed as one object keyed by identity."""

    __slots__ = ("value", "__weakref__")

    def __init__(self, value):
        self.value = value


class NotCompiled(Exception):
    """The loop runs as Python (the caller's Fallback)."""


def reads_dataset(iterable) -> bool:
    return isinstance(getattr(iterable, "_runs_functions_eagerly", None), str)


def run(iterable, body, init, names, extra_test, where: str):
    """The loop's final state (a tuple, in `names`' order); NotCompiled where it stays a
    Python loop."""
    from tapeflow.runtime.function import Function, RetraceWarning
    from tapeflow.runtime.sub_trace import as_loop_tensor, is_undefined
    from tapeflow.tracer.tensor import Tensor
    from tapeflow.tracer.variable import Variable

    options = compiling_options.value
    if options is None:
        raise NotCompiled
    state = []
    for value, name in zip(init, names):
        if isinstance(value, bool | int | float):
            value = as_loop_tensor(value, name)
        elif not (is_undefined(value) or isinstance(value, Tensor | Variable)):
            raise NotCompiled  # (a list, an object: a new signature every iteration)
        state.append(value)
    backend, compile_mode, bodies = options
    code = body.__code__
    if code not in bodies:
        bodies[code] = (Function(_step(code, body.__globals__),
                                 name=f"the loop body at {where}", backend=backend,
                                 compile=compile_mode, reduce_retracing=True, autograph=False),
                        {})
    compiled, held = bodies[code]
    free = tuple(_passed(_contents(cell), held) for cell in body.__closure__ or ())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RetraceWarning)
        for element in iterable:
            state = list(compiled(element, free, *state))
            if extra_test is not None and not bool(extra_test(*state)):
                break  # the body's `break` (autograph_exits.py)
    return tuple(state)


def _step(code, namespace):
    """The body as a function of (element, its free variables' values, *state)."""
    def step(element, free, *state):
        cells = tuple(types.CellType() if v is _EMPTY else
                      types.CellType(v.value if isinstance(v, _Whole) else v) for v in free)
        body = types.FunctionType(code, namespace, code.co_name, None, cells)
        return tuple(body(element, *state))

    return step


def _passed(value, held: dict):
    """`value` as the step takes it: a container wrapped whole, one wrapper per container
    (the most recent _HELD kept, so a container read on every call keeps its trace)."""
    if not isinstance(value, list | tuple | dict):
        return value
    entry = held.pop(id(value), None)
    if entry is None or entry.value is not value:
        entry = _Whole(value)
    held[id(value)] = entry  # (most recent last)
    while len(held) > _HELD:
        del held[next(iter(held))]
    return entry


def _contents(cell):
    try:
        return cell.cell_contents
    except ValueError:
        return _EMPTY

"""What AutoGraph-converted code calls (autograph_convert.py writes the calls): a loop over
`tf.range` of a traced count, a `for` over a traced tensor, a `while` on a traced test, and
an `if` on a traced value inside such a loop's body each become one graph loop or branch
(runtime/graph_loops.py), traced once. Anything else answers "not converted" (a `Fallback`),
and the converted code then runs the original statement as Python, exactly as an unconverted
function would. `callee` (autograph_calls.py) is what each converted call goes through.
"""

from __future__ import annotations

from tapeflow.api.autograph_calls import callee  # noqa: F401 - `ag__.callee`
from tapeflow.ops.core import is_tracer


class _Undefined:
    """A loop or branch variable with no value yet (TensorFlow's ag__.Undefined)."""

    def __repr__(self) -> str:
        return "Undefined"


UNDEFINED = _Undefined()


class Fallback:
    """Not converted: run the original statement (over `iterable`, for a `for`)."""

    def __init__(self, iterable=None):
        self.iterable = iterable


def is_fallback(result) -> bool:
    return isinstance(result, Fallback)


def ld(namespace: dict, name: str):
    """A variable's value where the converted statement starts, or UNDEFINED."""
    return namespace.get(name, UNDEFINED)


def _traced(x) -> bool:
    from tapeflow.runtime import graph_loops

    return graph_loops.is_traced(x)


def for_range(range_fn, args, kwargs, body, init, names, target, extra_test=None,
              branches=False):
    """`for target in range_fn(*args, **kwargs)`: a graph loop where `range_fn` is
    tf.range, a function is being traced, and a bound is a traced tensor or the body
    `branches` (holds an if, a while, a conditional expression or and/or); else Fallback
    (the Python loop). `extra_test` (a loop that breaks: autograph_exits.py) takes the state
    and says whether to go on.

    TensorFlow makes every tf.range loop one While op. tapeflow unrolls a loop whose count
    is known when tracing and whose body cannot branch: straight-line code, fused into the
    step's kernels, where a compiled graph loop costs a call per iteration. A body that
    branches on tensors would instead take one guarded path per outcome of every iteration
    (a new trace for each pattern, eager after 8): there the graph loop traces once, as
    TensorFlow's."""
    from tapeflow.runtime import graph_loops
    from tapeflow.tracer.creation import range as tf_range

    counted = any(_traced(a) for a in (*args, *kwargs.values()))
    if (range_fn is not tf_range or graph_loops.active_trace() is None
            or not (counted or branches)):
        return Fallback(range_fn(*args, **kwargs))
    try:
        return graph_loops.trace_for_range(args, kwargs, body, list(init), list(names), target,
                                           extra_test)
    except graph_loops.CannotConvert:
        return Fallback(range_fn(*args, **kwargs))
    except (TypeError, ValueError):
        # A loop variable that changes dtype or shape, a branch that leaves one undefined:
        # TF's errors on a traced count. On a count known when tracing, the Python loop
        # (unrolled) has always run such a body, and still does.
        if counted:
            raise
        return Fallback(range_fn(*args, **kwargs))


class ScalarIterationError(TypeError, ValueError):
    """`for x in t` over a 0-d tensor. TensorFlow's AutoGraph raises ValueError ("len
    requires a non-scalar tensor") where eager TensorFlow and Python raise TypeError
    ("cannot iterate"): this error is both, so either `except` catches it."""


def for_stmt(iterable, body, init, names, target, iterable_text, extra_test=None):
    """`for target in iterable`: a graph loop over the leading axis where `iterable` is a
    traced tensor of rank >= 1 (TensorFlow's AutoGraph: a while over tf.shape(x)[0]); a
    dataset read by a tf.function running eagerly, the body compiled once and run per
    element (runtime/dataset_loops.py); anything else (a list, a range, a numpy array, a
    Variable, an eager constant) is Fallback (the Python loop over the same object)."""
    from tapeflow.runtime import dataset_loops, graph_loops
    from tapeflow.runtime.sub_trace import where_in_user_code
    from tapeflow.tracer.tensor import Tensor

    if graph_loops.active_trace() is None and dataset_loops.reads_dataset(iterable):
        # A tf.function running eagerly because it reads a dataset: the body compiled once.
        try:
            return dataset_loops.run(iterable, body, init, names, extra_test,
                                     where_in_user_code())
        except dataset_loops.NotCompiled:
            return Fallback(iterable)
    if graph_loops.active_trace() is None or not isinstance(iterable, Tensor):
        return Fallback(iterable)
    if not iterable.aval.shape:
        raise ScalarIterationError(
            f"len requires a non-scalar tensor, got one of shape (): `for {target} in "
            f"{iterable_text}` at {where_in_user_code()} iterates over a 0-d tensor "
            "(TensorFlow's error: a tensor loop runs over the leading axis)")
    if not _traced(iterable):
        return Fallback(iterable)
    try:
        return graph_loops.trace_for_tensor(iterable, body, list(init), list(names), target,
                                              extra_test)
    except graph_loops.CannotConvert:
        return Fallback(iterable)


def while_stmt(test, body, init, names):
    """`while test(): state = body(state)`: a graph loop where the test, on the values the
    loop starts from, is a traced tensor; else Fallback (the Python loop)."""
    from tapeflow.runtime import graph_loops

    if graph_loops.active_trace() is None:
        return Fallback()
    try:
        pred = test(*init)
    except Exception:
        if any(value is UNDEFINED for value in init):
            return Fallback()  # the test reads a name with no value: Python's error
        raise
    if not (is_tracer(pred) and _traced(pred)):
        return Fallback()
    try:
        return tuple(graph_loops.trace_while(test, body, list(init), None, single=False,
                                             names=list(names)))
    except graph_loops.CannotConvert:
        return Fallback()


def not_(x):
    """`not x` in lowered code (a loop's break/continue flag, autograph_exits.py): a
    graph `logical_not` on a tensor, Python's `not` on anything else."""
    if is_tracer(x):
        from tapeflow.ops.elementwise import logical_not

        return logical_not(x)
    return not x


def unbroken_and(broke, test):
    """A `while` test in a loop that breaks: `not broke and test()`, where `test()` is
    not evaluated once a Python flag is set (as Python's loop would not)."""
    if not is_tracer(broke):
        return False if broke else test()
    from tapeflow.ops.elementwise import logical_and, logical_not

    return logical_and(logical_not(broke), test())


def is_graph_pred(pred) -> bool:
    """Whether an `if` on `pred` inside a converted loop's body becomes a graph branch."""
    from tapeflow.runtime import graph_loops

    return graph_loops.in_graph_loop() and is_tracer(pred) and _traced(pred)


def if_stmt(pred, true_fn, false_fn, init, names):
    """Both branches traced once into a `cond` equation; returns the values of `names`."""
    from tapeflow.runtime import graph_loops

    return graph_loops.trace_cond(pred, lambda: true_fn(*init), lambda: false_fn(*init),
                                  list(names))

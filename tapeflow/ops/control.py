"""Control flow with TensorFlow's signatures: cond, case, switch_case, while_loop, scan,
foldl, foldr, map_fn, vectorized_map.

They run as Python, eagerly and under `@tapeflow.function` alike, with one exception: a
`while_loop` whose condition depends on traced tensors is traced once into one graph loop
(runtime/graph_loops.py), as TensorFlow does, where it can be. Elsewhere, where a branch or a
loop test reads a tensor's value (`bool(pred)`), a traced function records a guard, exactly
as a Python `if` or `while` on that tensor would (the compiled path is valid while the guard
holds, and a call that takes another path traces it). Loops over
the elements of a tensor (scan, map_fn) unroll over its first axis, whose size is static.
TensorFlow's tuning arguments (parallel_iterations, back_prop, swap_memory, shape_invariants,
infer_shape) are accepted and have nothing to tune here.
"""

from __future__ import annotations

import operator

import numpy as np

from tapeflow import nest
from tapeflow.ops.array import getitem, stack
from tapeflow.ops.core import InvalidArgumentError, is_tracer, promote, shape_of
from tapeflow.ops.elementwise import identity


def _check_callable(fn, op: str, what: str):
    if not callable(fn):
        raise TypeError(f"{op}: {what} must be callable, got {type(fn).__name__}")


def _truth(pred, op: str) -> bool:
    """The Python truth of a predicate: a bool, or a scalar tensor (read, so a guard when
    traced)."""
    if is_tracer(pred) or isinstance(pred, np.ndarray | np.generic):
        if tuple(shape_of(pred)) not in ((), (1,)):
            raise InvalidArgumentError(
                f"{op}: the predicate must be a scalar, got shape {list(shape_of(pred))}")
        kind = pred.aval.dtype.kind if is_tracer(pred) else np.asarray(pred).dtype.kind
        if kind != "b":
            raise TypeError(f"{op}: the predicate must be a bool tensor, got "
                            f"{pred.aval if is_tracer(pred) else np.asarray(pred).dtype}")
    return bool(pred)


# --------------------------------------------------------------------------------------------
# Branches
# --------------------------------------------------------------------------------------------


def cond(pred, true_fn=None, false_fn=None, name=None):
    """`tf.cond`: true_fn() if pred else false_fn()."""
    _check_callable(true_fn, "cond", "true_fn")
    _check_callable(false_fn, "cond", "false_fn")
    return true_fn() if _truth(pred, "cond") else false_fn()


def case(pred_fn_pairs, default=None, exclusive=False, strict=False, name="case"):
    """`tf.case`: the fn of the first pair whose predicate holds, else default() (without a
    default, the last pair's fn). With `exclusive`, more than one true predicate is an
    error."""
    pairs = list(pred_fn_pairs.items() if isinstance(pred_fn_pairs, dict) else pred_fn_pairs)
    for pair in pairs:
        if not (isinstance(pair, tuple | list) and len(pair) == 2):
            raise TypeError(f"case: pred_fn_pairs must hold (predicate, callable) pairs, got "
                            f"{pair!r:.60}")
        _check_callable(pair[1], "case", "each fn")
    if default is None:
        if not pairs:
            raise InvalidArgumentError("case: needs at least one pair or a default")
        *pairs, (_, default) = pairs
    _check_callable(default, "case", "default")
    chosen = None
    for k, (pred, fn) in enumerate(pairs):
        if _truth(pred, "case"):
            if chosen is None:
                chosen = fn
                if not exclusive:
                    break
            else:
                raise InvalidArgumentError(
                    f"case: more than one predicate is true with exclusive=True (pair {k})")
    return (chosen or default)()


def switch_case(branch_index, branch_fns, default=None, name="switch_case"):
    """`tf.switch_case`: branch_fns[branch_index]() (a list, or a dict of int keys); an index
    without a branch runs default() (without a default, the last branch)."""
    if isinstance(branch_fns, dict):
        branches = dict(branch_fns)
    else:
        branches = {}
        for k, item in enumerate(branch_fns):
            key, fn = item if isinstance(item, tuple | list) else (k, item)
            branches[key] = fn
    if not branches:
        raise InvalidArgumentError("switch_case: needs at least one branch")
    for fn in branches.values():
        _check_callable(fn, "switch_case", "each branch")
    if default is None:
        default = branches[max(branches)]
    _check_callable(default, "switch_case", "default")
    if is_tracer(branch_index):
        if branch_index.aval.ndim or branch_index.aval.dtype.kind not in "iu":
            raise TypeError(f"switch_case: branch_index must be a scalar integer, got "
                            f"{branch_index.aval}")
        index = int(branch_index)  # a guard when traced, as a Python branch on it
    else:
        index = operator.index(branch_index)
    return branches.get(index, default)()


# --------------------------------------------------------------------------------------------
# Loops
# --------------------------------------------------------------------------------------------

# Installed by the runtime (runtime/graph_loops.py): hook(cond, body, loop_vars,
# maximum_iterations, single) -> the loop's result as ONE graph loop of the function being
# traced, or NotImplemented where there is none (eagerly) or it cannot be one (a Python read
# of a loop value, an assignment in the body, a gradient through the loop, ...): the loop
# then runs as Python, each read of a traced value a guard.
graph_loop_hooks: list = []


def while_loop(cond, body, loop_vars, shape_invariants=None, parallel_iterations=10,
               back_prop=True, swap_memory=False, maximum_iterations=None, name=None):
    """`tf.while_loop`: loop_vars = body(*loop_vars) while cond(*loop_vars), at most
    `maximum_iterations` times; returns the final loop_vars in their structure."""
    _check_callable(cond, "while_loop", "cond")
    _check_callable(body, "while_loop", "body")
    single = not isinstance(loop_vars, list | tuple)
    for hook in graph_loop_hooks:  # under tracing: one graph loop, traced once
        result = hook(cond, body, loop_vars, maximum_iterations, single)
        if result is not NotImplemented:
            return result
    state = [loop_vars] if single else loop_vars
    limit = None if maximum_iterations is None else int(maximum_iterations)
    steps = 0
    while (limit is None or steps < limit) and _truth(cond(*state), "while_loop"):
        state = nest.pack_sequence_as(state, body_result(body(*state), state, single))
        steps += 1
    # As TF's eager loop: the results are tensors, also where a loop variable stayed a
    # Python number (never converted by the body, or the loop never ran).
    state = nest.pack_sequence_as(state, [_as_tensor(x) for x in nest.flatten(state)])
    return state[0] if single else state


def _as_tensor(x):
    """A Python or numpy number (or array) as a tensor; tensors and other objects (a
    TensorArray) as they are."""
    if is_tracer(x) or not isinstance(x, bool | int | float | complex | np.generic
                                      | np.ndarray):
        return x
    return identity(promote("while_loop", x)[0])


def body_result(result, state, single: bool) -> list:
    """The leaves of what a while_loop body returned, checked against the loop variables'
    structure (`state`; `single`: the loop was given one variable, not a list)."""
    if single and isinstance(result, list | tuple) and len(result) == 1:
        result = result[0]
    new_state = [result] if single else result
    if not single and not isinstance(new_state, list | tuple):
        new_state = [new_state]
    try:
        return nest.flatten(nest.pack_sequence_as(state, nest.flatten(new_state)))
    except ValueError:
        raise InvalidArgumentError(
            f"while_loop: body returned {len(nest.flatten(new_state))} values for "
            f"{len(nest.flatten(state))} loop variables") from None


def _elements(elems, op: str) -> tuple[list, int]:
    """The leaves of `elems` as tensors and their common first-axis size."""
    leaves = [x if is_tracer(x) else promote(op, x)[0] for x in nest.flatten(elems)]
    if not leaves:
        raise InvalidArgumentError(f"{op}: elems is empty")
    sizes = []
    for x in leaves:
        shape = tuple(shape_of(x))
        if not shape:
            raise InvalidArgumentError(f"{op}: elems must have a first axis to iterate over, "
                                       "got a scalar")
        sizes.append(shape[0])
    if len(set(sizes)) != 1:
        raise InvalidArgumentError(f"{op}: elems have different first-axis sizes {sizes}")
    return leaves, sizes[0]


def _element(elems, leaves, i):
    return nest.pack_sequence_as(elems, [getitem(x, i) for x in leaves])


def _stacked(outputs: list, op: str):
    """A list of equally structured results -> one structure of stacked tensors."""
    first = outputs[0]
    columns = list(zip(*[nest.flatten(o) for o in outputs]))
    if any(len(nest.flatten(o)) != len(nest.flatten(first)) for o in outputs):
        raise InvalidArgumentError(f"{op}: fn returned differently structured results")
    return nest.pack_sequence_as(first, [stack(list(c)) for c in columns])


def map_fn(fn, elems, dtype=None, parallel_iterations=None, back_prop=True,
           swap_memory=False, infer_shape=True, name=None, fn_output_signature=None):
    """`tf.map_fn`: fn applied to each slice of `elems` along its first axis (a nested
    structure of tensors is sliced together), the results stacked."""
    _check_callable(fn, "map_fn", "fn")
    leaves, n = _elements(elems, "map_fn")
    if n == 0:
        raise InvalidArgumentError("map_fn: elems have no elements (tapeflow cannot infer "
                                   "the result's shape from none)")
    return _stacked([fn(_element(elems, leaves, i)) for i in range(n)], "map_fn")


def vectorized_map(fn, elems, fallback_to_while_loop=True, warn=True):
    """`tf.vectorized_map`: as map_fn (each slice's ops are fused and compiled anyway)."""
    return map_fn(fn, elems)


def scan(fn, elems, initializer=None, parallel_iterations=10, back_prop=True,
         swap_memory=False, infer_shape=True, reverse=False, name=None):
    """`tf.scan`: acc = fn(acc, x) over the slices x of `elems` (first axis; from the end
    with `reverse`), starting at `initializer` (or the first slice); returns every acc,
    stacked."""
    _check_callable(fn, "scan", "fn")
    leaves, n = _elements(elems, "scan")
    order = list(range(n - 1, -1, -1)) if reverse else list(range(n))
    if initializer is None:
        if n == 0:
            raise InvalidArgumentError("scan: elems have no elements and there is no "
                                       "initializer")
        acc = _element(elems, leaves, order[0])
        outputs = [acc]
        order = order[1:]
    else:
        acc, outputs = initializer, []
    for i in order:
        acc = fn(acc, _element(elems, leaves, i))
        outputs.append(acc)
    if not outputs:
        raise InvalidArgumentError("scan: elems have no elements (nothing to stack)")
    if reverse:
        outputs.reverse()
    return _stacked(outputs, "scan")


def foldl(fn, elems, initializer=None, parallel_iterations=10, back_prop=True,
          swap_memory=False, name=None):
    """`tf.foldl`: acc = fn(acc, x) over the slices of `elems` from the first; returns acc."""
    _check_callable(fn, "foldl", "fn")
    leaves, n = _elements(elems, "foldl")
    return _fold(fn, elems, leaves, list(range(n)), initializer, "foldl")


def foldr(fn, elems, initializer=None, parallel_iterations=10, back_prop=True,
          swap_memory=False, name=None):
    """`tf.foldr`: acc = fn(acc, x) over the slices of `elems` from the last; returns acc."""
    _check_callable(fn, "foldr", "fn")
    leaves, n = _elements(elems, "foldr")
    return _fold(fn, elems, leaves, list(range(n - 1, -1, -1)), initializer, "foldr")


def _fold(fn, elems, leaves, order, initializer, op):
    if initializer is None:
        if not order:
            raise InvalidArgumentError(f"{op}: elems have no elements and there is no "
                                       "initializer")
        acc, order = _element(elems, leaves, order[0]), order[1:]
    else:
        acc = initializer
    for i in order:
        acc = fn(acc, _element(elems, leaves, i))
    return acc

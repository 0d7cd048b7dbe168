"""A per-graph Python function for the compiled call path, written out straight-line.

Once a graph's Numba entry exists, each call only has to check its input arrays, call the
entry, check the guards, commit variable updates and wrap the outputs. Written as loops over
layout lists that is ~2 us of interpreter overhead per call; unrolled into one small
generated function (names bound as defaults, so every lookup is a local) it is about half.
`entry` is the compiled overload's native entry point, which trusts its arguments' types
(see backends.NumbaExecutor), so each input is checked for exactly what the compiled type
encodes before the call: an ndarray of the dtype, C-contiguous, writeable and aligned
(`flags.carray`), of the shape (and so the rank). The generated text is kept on the function
(`__tapeflow_source__`) for reading:

    def call(args, entry=entry, ...):
        x0 = args[0]
        if type(x0) is not ndarray or x0.dtype is not dtype0 or not x0.flags.carray:
            x0 = conform(x0, dtype0)
        if x0.shape != shape0:
            refuse_shape(x0, shape0)
        x1 = captured1._value._value
        ...
        out0 = empty(oshape0, odtype0)  # an output's buffer (codegen/abi.py)
        out2 = empty(oshape2, odtype2)
        outs = entry(x0, x1, const0, out0, out2)  # returns the other outputs
        if not guard0.holds(out2):
            return GUARD_FAILED
        new1 = wrap(outs[0], aval1)  # Tensor(outs[0], Var(aval1)), faster
        result = wrap(out0, aval0)
        captured1._value = new1  # commits last, all in straight-line stores
        return result

Function's hot path uses a variant made for one call signature (`call_key`): it takes the
call's positional arguments, unwraps tensors, and checks the signature on the way (a
different shape, dtype or static value returns OTHER_SIGNATURE, and nothing has run).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from tapeflow import nest
from tapeflow.codegen.loops import TRIG_BEYOND_EXACT
from tapeflow.ops.checks import failed_assertion, is_failed_assertion, native_numerics_error
from tapeflow.ops.core import ShapedArray
from tapeflow.runtime import signature as sig
from tapeflow.runtime.backends import (
    conform,
    native_index_error,
    native_linalg_error,
    refuse_shape,
)
from tapeflow.tracer.tensor import Tensor, wrap_output

# What a dispatcher made for a call key returns when the call does not have that signature.
OTHER_SIGNATURE = object()


def make_dispatcher(executor, graph, traced, copied, pack: str, guard_failed,
                    call_key: tuple | None = None, on_error=None) -> Callable[[Any], Any]:
    """The call path of one static graph run by a compiled NumbaExecutor: `call(arg_arrays)`
    -> the function's result, or `guard_failed` when a guard does not hold (nothing
    committed then). The result is packed as `pack` says (ConcreteFunction's kinds: "leaf",
    "tuple" or "nested"). The input checks are the executor's own, unrolled.

    With `call_key` (the signature of a flat positional call, `call_keys.fast_key`), the
    dispatcher takes the call's positional arguments themselves, checks that they have
    that signature (else returns OTHER_SIGNATURE, before running anything) and unwraps the
    tensors, so a call that hits it needs nothing else from Function.

    `on_error(arg_arrays, error)` decides what an error the entry raises means (the
    ConcreteFunction's: GUARD_FAILED when a guard would have sent the call elsewhere
    first, else it raises); without it the error is raised."""
    env: dict[str, Any] = {
        "entry": executor.entry, "ndarray": np.ndarray, "conform": conform,
        "refuse_shape": refuse_shape, "Tensor": Tensor, "wrap": wrap_output,
        "GUARD_FAILED": guard_failed, "native_index_error": native_index_error, "graph": graph,
        "OTHER_SIGNATURE": OTHER_SIGNATURE, "native_linalg_error": native_linalg_error,
        "LinAlgError": np.linalg.LinAlgError,
        "native_numerics_error": native_numerics_error,
        "is_failed_assertion": is_failed_assertion, "failed_assertion": failed_assertion,
    }
    lines = [] if call_key is None else _signature_checks(call_key, graph, env)
    names = []
    for i, v in enumerate(graph.inputs):
        name = f"x{i}"
        names.append(name)
        env[f"dtype{i}"], env[f"shape{i}"] = v.aval.dtype, v.aval.shape
        if i < traced.n_args and call_key is not None:
            # Unwrapped, and dtype and shape checked, by _signature_checks. (A tensor's value
            # is an ndarray, but a numpy scalar would pass those checks: make sure.)
            lines += [f"if type({name}) is not ndarray or not {name}.flags.carray:",
                      f"    {name} = conform({name}, dtype{i})"]
            continue
        if i < traced.n_args:
            lines.append(f"{name} = args[{i}]")
        else:
            env[f"captured{i}"] = traced.captured[i - traced.n_args]
            lines.append(f"{name} = captured{i}._value._value")
        # backends.fits, inlined (a call costs more than the check): `entry` is the native
        # entry point, which trusts its arguments' dtype, rank and layout.
        misfit = (f"type({name}) is not ndarray or ({name}.dtype is not dtype{i} and "
                  f"{name}.dtype != dtype{i}) or not {name}.flags.carray")
        lines += [
            f"if {misfit}:",
            f"    {name} = conform({name}, dtype{i})",
            f"if {name}.shape != shape{i}:",
            f"    refuse_shape({name}, shape{i})",
        ]
    for k, value in enumerate(executor.consts):
        env[f"const{k}"] = value
        names.append(f"const{k}")
    # Outputs the entry writes go into fresh arrays made here (codegen/abi.py); the others
    # are returned, in order.
    abi = executor.abi
    output = {index: f"outs[{j}]" for j, index in enumerate(abi.returned)}
    env["empty"] = np.empty
    for index, (shape, dtype) in zip(abi.written, abi.buffer_specs):
        env[f"oshape{index}"], env[f"odtype{index}"] = shape, dtype
        lines.append(f"out{index} = empty(oshape{index}, odtype{index})")
        names.append(f"out{index}")
        output[index] = f"out{index}"
    env["exact_outputs"], env["TRIG_BEYOND_EXACT"] = executor.exact_outputs, TRIG_BEYOND_EXACT
    env["on_error"] = on_error if on_error is not None else _raise
    env["replacing"] = _replacing
    arg_names = ", ".join(names[:traced.n_args])
    lines += [
        "try:",
        f"    outs = entry({', '.join(names)})",
        "except IndexError as e:",
        f"    return on_error([{arg_names}], replacing(native_index_error(e, graph)))",
        "except FloatingPointError as e:",
        # A failed tf.debugging assertion: its error, with the data, from the interpreter.
        "    if is_failed_assertion(e):",
        f"        return on_error([{arg_names}], replacing(failed_assertion(exact_outputs, "
        f"[{', '.join(names[:len(graph.inputs)])}])))",
        "    if e.args[:1] != (TRIG_BEYOND_EXACT,):",
        f"        return on_error([{arg_names}], replacing(native_numerics_error(e)))",
        # sin/cos beyond the vectorised kernels' exact range: this call's outputs from numpy
        # (backends.NumbaExecutor.exact_outputs), into the names the lines below read.
        f"    exact = exact_outputs([{', '.join(names[:len(graph.inputs)])}])",
        f"    outs = ({''.join(f'exact[{i}], ' for i in abi.returned)})",
        *[f"    out{index} = exact[{index}]" for index in abi.written],
        "except LinAlgError as e:",
        f"    return on_error([{arg_names}], replacing(native_linalg_error(e, graph)))",
        "except Exception as e:",
        f"    return on_error([{arg_names}], e)",
    ]
    for k, (guard, index) in enumerate(traced.guards):
        env[f"guard{k}"] = guard
        lines += [f"if not guard{k}.holds({output[index]}):", "    return GUARD_FAILED"]

    def wrapped(index: int) -> str:
        env[f"aval{index}"] = graph.outputs[index].aval
        copy = ".copy()" if index in copied else ""
        return f"wrap({output[index]}{copy}, aval{index})"

    # Every new value and the result are made first; the commit is then straight-line
    # attribute stores, with no call or backward jump between them: CPython runs signal
    # handlers (a KeyboardInterrupt) and switches threads only at those, so a call commits
    # every update or none, and no other thread sees half of it.
    commits = []
    for variable, index in traced.updates:
        env[f"variable{index}"] = variable
        lines.append(f"new{index} = {wrapped(index)}")
        commits.append(f"variable{index}._value = new{index}")
    leaves = []
    for k, slot in enumerate(traced.output_slots):
        if type(slot) is tuple:
            env[f"static{k}"] = slot[1]
            leaves.append(f"static{k}")
        else:
            leaves.append(wrapped(slot))
    if pack == "leaf":
        lines.append(f"result = {leaves[0]}")
    elif pack == "tuple":
        lines.append(f"result = ({', '.join(leaves)}{',' if len(leaves) == 1 else ''})")
    else:
        env["pack"], env["structure"] = nest.pack_sequence_as, traced.result_structure
        lines.append(f"result = pack(structure, [{', '.join(leaves)}])")
    lines += commits
    lines.append("return result")

    bound = ", ".join(f"{k}={k}" for k in env)
    source = f"def call(args, {bound}):\n" + "".join(f"    {line}\n" for line in lines)
    namespace: dict[str, Any] = {}
    exec(compile(source, "<tapeflow dispatch>", "exec"), dict(env), namespace)  # noqa: S102
    call = namespace["call"]
    call.__tapeflow_source__ = source
    return call


def _raise(arg_arrays, error):
    raise error


def _replacing(error: Exception) -> Exception:
    """A native error converted to the eager kernel's (backends.native_index_error, ...):
    shown without the Numba error it replaces."""
    error.__suppress_context__ = True
    return error


def _signature_checks(call_key: tuple, graph, env: dict) -> list[str]:
    """Lines that bind the positional arguments and return OTHER_SIGNATURE unless they have
    the signature `call_key` (as call_keys.fast_key reads it): a Tensor or ndarray where
    the key has one, of the graph input's shape and dtype (a Tensor's value has its aval's
    shape and dtype), and Python scalars of the type and value the trace saw. Tensors and
    arrays are accepted for each other: both key a call the same way in `_keyed`."""
    lines = [f"if len(args) != {len(call_key)}:", "    return OTHER_SIGNATURE"]
    if call_key:
        lines.append(f"{', '.join(f'a{p}' for p in range(len(call_key)))}, = args")
    inputs = iter(range(len(graph.inputs)))
    for p, entry in enumerate(call_key):
        arg = f"a{p}"
        if isinstance(entry, ShapedArray) or type(entry[0]) is tuple:  # a tensor, an array
            i = next(inputs)
            name = f"x{i}"
            misfit = f"{name}.dtype is not dtype{i} and {name}.dtype != dtype{i}"
            lines += [
                f"if type({arg}) is Tensor:",
                f"    {name} = {arg}._value",
                f"elif type({arg}) is ndarray:",
                f"    {name} = {arg}",
                "else:",
                "    return OTHER_SIGNATURE",
                f"if {name}.shape != shape{i} or ({misfit}):",
                "    return OTHER_SIGNATURE",
            ]
        elif entry[1] is None:
            lines += [f"if {arg} is not None:", "    return OTHER_SIGNATURE"]
        elif entry[0] is float and not isinstance(entry[1], float):
            # 0.0, -0.0 or nan, which `!=` cannot tell (signature.float_token)
            if entry[1] is sig.NAN:
                differs = f"{arg} == {arg}"
            else:
                env["copysign"] = math.copysign
                sign = "<" if entry[1] is sig.ZERO else ">"
                differs = f"{arg} != 0.0 or copysign(1.0, {arg}) {sign} 0"
            lines += [f"if type({arg}) is not float or {differs}:",
                      "    return OTHER_SIGNATURE"]
        else:
            env[f"kind{p}"], env[f"value{p}"] = entry
            lines += [f"if type({arg}) is not kind{p} or {arg} != value{p}:",
                      "    return OTHER_SIGNATURE"]
    return lines

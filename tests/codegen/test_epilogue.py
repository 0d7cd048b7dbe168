"""0-d arithmetic after a loop kernel (a mean's division) runs at the end of that kernel
instead of compiling a kernel of its own (KernelPlan.epilogue)."""

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.codegen.compile import compile_graph
from tapeflow.codegen.emit import generate_source, plan_program
from tapeflow.graph.interp import evaluate

from ._helpers import assert_close, deep_mlp_step


def _graph(fn, *arrays):
    return tf.function(fn).get_concrete_function(*[tf.constant(a) for a in arrays]).graph


def _mse(x, y):
    return tf.reduce_mean((tf.tanh(x) - y) ** 2)


def _arrays(*shapes):
    rng = np.random.default_rng(0)
    return [rng.normal(size=s).astype(np.float32) for s in shapes]


def _zero_d_kernels(program):
    return [c.kernel for c in program.calls()
            if c.kernel.kind == "loop" and c.kernel.loop.shape == ()]


def test_a_means_division_runs_after_the_reduction_kernel():
    graph = _graph(_mse, *_arrays((8, 16), (8, 16)))
    program = plan_program(graph)
    assert not _zero_d_kernels(program)  # before: a kernel of its own for `div`
    (kernel,) = [c.kernel for c in program.calls() if c.kernel.epilogues]
    assert [e.prim.name for e in kernel.epilogues[0].eqns] == ["div"]
    assert kernel.heading(program.names)[0].startswith(
        "# loop kernel over [8,16]: tanh, sub, mul, reduce_sum; then over []: div;")
    # The module still reads: the kernel's heading names the epilogue, and the division's
    # IR line is a comment above its code, after the loops.
    source = generate_source(graph)
    assert "then over []: div;" in source
    lines = source.splitlines()
    div = next(k for k, line in enumerate(lines) if "= div(" in line and line.strip()[0] == "#")
    reduce = next(k for k, line in enumerate(lines) if "reduce_sum(" in line)
    assert reduce < div and not lines[div].startswith("#")  # indented: inside the kernel


def test_a_zero_d_group_with_no_loop_kernel_before_it_keeps_its_own_kernel():
    a, b = np.float32(2.0), np.float32(5.0)
    program = plan_program(_graph(lambda a, b: a * b + 1.0, a, b))
    assert len(_zero_d_kernels(program)) == 1
    assert all(not c.kernel.epilogues for c in program.calls())


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["inline", "kernels"])
def test_an_epilogue_computes_what_its_own_kernel_did(tmp_path, mode):
    def fn(x, y, s):
        loss = tf.reduce_mean((tf.tanh(x) - y) ** 2)
        scaled = loss * s + 1.0  # reads the reduction and an input: 0-d, in the epilogue
        return loss, scaled, x * scaled  # the epilogue's output read by a later kernel

    arrays = _arrays((8, 16), (8, 16)) + [np.array(0.5, np.float32)]
    graph = _graph(fn, *arrays)
    program = plan_program(graph)
    assert not _zero_d_kernels(program)
    got = compile_graph(graph, cache_dir=tmp_path, mode=mode)(*arrays)
    want = evaluate(graph, arrays)
    assert_close(got, want, np.float32)
    # The epilogue's arithmetic is exactly the 0-d kernel's: float32 division and products.
    loss = np.asarray(got[0])
    assert np.asarray(got[1]) == np.float32(loss * np.float32(0.5)) + np.float32(1.0)


@pytest.mark.slow
def test_a_deep_mlp_steps_loss_and_bias_updates_compile_no_kernels_of_their_own(tmp_path):
    step, _ = deep_mlp_step(30, width=16)
    x, y = _arrays((8, 16), (8, 16))
    concrete = step.get_concrete_function(x, y)
    graph = concrete.graph
    program = plan_program(graph, split=True)  # as compiled kernel by kernel
    loops = [c.kernel for c in program.calls() if c.kernel.kind == "loop"]
    # The loss's division and every bias's update (over [16], from its gradient's column
    # sums) run after the kernel making their operands: no kernel over [] or [16] is left.
    assert all(len(k.loop.shape) == 2 for k in loops)
    assert sum(len(k.epilogues) for k in loops) == 1 + 30
    # The layers still share their kernels: the bias update is in every layer's kernel.
    assert len({k.canonical_source() for k in loops}) == 3
    inputs = [x, y] + [v.numpy() for v in concrete.traced.captured]
    got = compile_graph(graph, cache_dir=tmp_path, mode="kernels")(*inputs)
    assert_close(got, evaluate(graph, inputs), np.float32)


def _ten_outputs_after_a_mean(a, c):
    # The kernel: a's sum, then over []: the mean's division and product (stored as o1, in
    # the kernel's canonical names), then over c's shape: twelve stored values o2..o13,
    # each reading o1.
    m = tf.reduce_mean(a) * 2.0
    return tuple(c * m + float(k) for k in range(12))


def _assignments(lines):
    """{target: [right-hand sides]} of the simple assignments in kernel lines."""
    out: dict = {}
    for line in lines:
        target, eq, value = line.strip().partition(" = ")
        if eq and target.isidentifier():
            out.setdefault(target, []).append(value)
    return out


def test_a_zero_d_operands_read_never_shares_a_temporary_with_another_value():
    # Fuzz seed 20940: the read of the 0-d output o1 before the epilogue's loop was named
    # `_o10`, which is also the temporary of o10 inside that loop: from the second
    # iteration on every value reading the mean read o10's element instead.
    a, c = np.arange(4.0).reshape(2, 2), np.array([1.0, 2.0, 3.0])
    program = plan_program(_graph(_ten_outputs_after_a_mean, a, c), split=True)
    (kernel,) = [call.kernel for call in program.calls() if call.kernel.epilogues]
    lines = kernel.canonical_source().splitlines()
    reads = {t: v for t, vs in _assignments(lines).items() for v in vs if v.endswith("[()]")}
    assert reads  # (the mean is read as a 0-d array before the loop)
    for target, values in _assignments(lines).items():
        if target in reads:  # the read is the temporary's only meaning
            assert set(values) == {reads[target]}, (target, values)


@pytest.mark.slow
def test_an_epilogue_with_many_outputs_reads_its_zero_d_operand_in_every_iteration(tmp_path):
    a, c = np.arange(4.0).reshape(2, 2), np.array([1.0, 2.0, 3.0])
    graph = _graph(_ten_outputs_after_a_mean, a, c)
    got = compile_graph(graph, cache_dir=tmp_path, mode="kernels")(a, c)
    want = evaluate(graph, [a, c])
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)

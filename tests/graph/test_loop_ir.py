"""Structured control flow in the IR: a `while_loop` equation holding its condition and body
as closed sub-graphs, a `cond` holding two branches, and `print` effects inside them.
Printed and parsed back, verified, kept by the passes, run by the interpreter."""

from __future__ import annotations

import numpy as np
import pytest

import tapeflow  # noqa: F401 - installs the tracer behind `bind`
from tapeflow.graph.interp import evaluate
from tapeflow.graph.ir import Eqn, Graph, Var, make_params
from tapeflow.graph.passes import optimize
from tapeflow.graph.passes.cse import cse
from tapeflow.graph.passes.dce import dce
from tapeflow.graph.passes.fold import fold_constants
from tapeflow.graph.printer import parse_graph, print_graph
from tapeflow.graph.verify import GraphError, verify
from tapeflow.ops.core import PRIMITIVES, ShapedArray
from tapeflow.ops.structured import STRUCTURED, cond_p, print_p, while_p

I32 = ShapedArray((), np.dtype(np.int32))
F32 = ShapedArray((), np.dtype(np.float32))
F64 = ShapedArray((), np.dtype(np.float64))
BOOL = ShapedArray((), np.dtype(np.bool_))


def _eqn(name, ins, outs, **params):
    return Eqn(PRIMITIVES[name], tuple(ins), tuple(outs), make_params(params))


def _print(ins, *parts):
    return Eqn(print_p, tuple(ins), (), make_params(dict(
        format=tuple(parts), sep=" ", end="\n", summarize=3, stream=None)))


def power_loop(value=F32, with_print=False, body_out=None):
    """(count, x, n) -> while count < n: count += 1; x *= 2 (optionally printing count)."""
    ci, cx, cn, p = Var(I32), Var(value), Var(I32), Var(BOOL)
    cond = Graph((ci, cx, cn), (_eqn("lt", (ci, cn), (p,)),), (p,))
    bi, bx, bn, one, two, ni = Var(I32), Var(value), Var(I32), Var(I32), Var(value), Var(I32)
    nx = Var(body_out or value)
    eqns = [_print((bi,), "step", None)] if with_print else []
    eqns += [_eqn("add", (bi, one), (ni,)), _eqn("mul", (bx, two), (nx,))]
    body = Graph((bi, bx, bn), tuple(eqns), (ni, nx), (
        (one, np.array(1, np.int32)), (two, np.array(2, value.dtype))))
    i0, x0, n, fi, fx = Var(I32), Var(value), Var(I32), Var(I32), Var(value)
    loop = Eqn(while_p, (i0, x0, n), (fi, fx), make_params(dict(
        cond_graph=cond, body_graph=body, names=("count", "x"), max_iterations=None,
        effects_key=7 if with_print else 0)))
    return Graph((i0, x0, n), (loop,), (fi, fx))


def run(graph, count, x, n, dtype=np.float32):
    return evaluate(graph, [np.array(count, np.int32), np.array(x, dtype), np.array(n, np.int32)])


@pytest.mark.parametrize("n, expected", [(0, 1.5), (1, 3.0), (6, 96.0)])
def test_the_interpreter_runs_a_loop_zero_one_and_many_times(n, expected):
    count, x = run(verify(power_loop()), 0, 1.5, n)
    assert count == n and count.dtype == np.int32
    assert x == np.float32(expected) and x.dtype == np.float32


def test_a_float64_loop_keeps_its_dtype():
    _, x = run(verify(power_loop(F64)), 0, 0.1, 3, np.float64)
    assert x.dtype == np.float64 and x == 0.1 * 8


def test_printer_writes_the_sub_graphs_nested_and_the_parser_reads_them_back():
    graph = power_loop(with_print=True)
    text = print_graph(graph)
    assert "while_loop(a, b, c," in text
    assert "\n    body_graph(" in text and "\n    cond_graph(" in text
    assert "\n      print(" in text and text.rstrip().endswith("return (d, e)")
    again = parse_graph(text)
    assert print_graph(again) == text
    verify(again)
    assert [int(v) for v in run(again, 0, 1.0, 4)] == [4, 16]


def test_a_loop_nested_in_a_loop_round_trips():
    inner = power_loop()
    # outer body: (k, x, n) -> (k + 1, inner(0, x, n)[1], n); outer cond: k < 2
    ok, ox, on, p = Var(I32), Var(F32), Var(I32), Var(BOOL)
    two_i = Var(I32)
    cond = Graph((ok, ox, on), (_eqn("lt", (ok, two_i), (p,)),), (p,),
                 ((two_i, np.array(2, np.int32)),))
    bk, bx, bn, zero, one, nk, ic, ix = (Var(I32), Var(F32), Var(I32), Var(I32), Var(I32),
                                         Var(I32), Var(I32), Var(F32))
    inner_eqn = Eqn(while_p, (zero, bx, bn), (ic, ix), inner.eqns[0].params)
    body = Graph((bk, bx, bn), (_eqn("add", (bk, one), (nk,)), inner_eqn), (nk, ix),
                 ((zero, np.array(0, np.int32)), (one, np.array(1, np.int32))))
    k0, x0, n, fk, fx = Var(I32), Var(F32), Var(I32), Var(I32), Var(F32)
    outer = Graph((k0, x0, n), (Eqn(while_p, (k0, x0, n), (fk, fx), make_params(dict(
        cond_graph=cond, body_graph=body, names=("k", "x"), max_iterations=None,
        effects_key=0))),), (fx,))
    text = print_graph(verify(outer))
    assert "\n        body_graph(" in text  # the inner loop's blocks, one level deeper
    assert print_graph(parse_graph(text)) == text
    (x,) = evaluate(parse_graph(text), [np.array(0, np.int32), np.array(1.0, np.float32),
                                        np.array(3, np.int32)])
    assert x == 64.0  # two outer iterations of three doublings


def test_verifier_names_the_loop_variable_whose_dtype_changes():
    with pytest.raises(GraphError, match="'x' has dtype float32 before the loop, but dtype "
                                         "float64 after one iteration"):
        verify(power_loop(body_out=F64))


def test_verifier_checks_inside_the_sub_graphs():
    graph = power_loop()
    body = graph.eqns[0].params_dict["body_graph"]
    stray = Var(I32)  # used, never defined
    broken = body.replace(eqns=(_eqn("add", (body.inputs[0], stray), (body.outputs[0],)),)
                          + body.eqns[1:])
    params = dict(graph.eqns[0].params_dict, body_graph=broken)
    bad = graph.replace(eqns=(Eqn(while_p, graph.eqns[0].inputs, graph.eqns[0].outputs,
                                  make_params(params)),))
    with pytest.raises(GraphError, match="in its body_graph: eqn 0 \\(add\\): input .* is "
                                         "used before it is defined"):
        verify(bad)


def test_verifier_refuses_a_condition_that_is_not_a_bool_scalar():
    graph = power_loop()
    eqn = graph.eqns[0]
    cond = eqn.params_dict["cond_graph"]
    not_bool = cond.replace(outputs=(cond.inputs[0],))
    bad = graph.replace(eqns=(Eqn(while_p, eqn.inputs, eqn.outputs, make_params(
        dict(eqn.params_dict, cond_graph=not_bool))),))
    with pytest.raises(GraphError, match="the condition must give one bool scalar"):
        verify(bad)


def test_dce_keeps_a_loop_that_prints_even_when_its_results_are_unused():
    graph = power_loop(with_print=True).replace(outputs=())
    kept, changed = dce(graph)
    assert not changed and len(kept.eqns) == 1
    silent, changed = dce(power_loop().replace(outputs=()))
    assert changed and silent.eqns == ()


def test_cse_and_folding_leave_prints_alone():
    a = Var(F32)
    twice = Graph((a,), (_print((), "hello"), _print((), "hello"), _print((a,), None)), ())
    assert cse(twice) == (twice, False)
    folded, changed = fold_constants(twice)
    assert not changed and len(folded.eqns) == 3


def test_optimize_keeps_the_loop_and_its_values(capsys):
    graph = power_loop(with_print=True)
    optimized = optimize(graph)
    assert [e.prim.name for e in optimized.eqns] == ["while_loop"]
    assert [int(v) for v in run(optimized, 1, 1.0, 3)] == [3, 4]
    assert capsys.readouterr().err == "step 1\nstep 2\n"  # outside a function: at once


def test_a_sub_graph_taking_other_values_than_its_equation_passes_is_named():
    graph = power_loop()
    eqn = graph.eqns[0]
    body = eqn.params_dict["body_graph"]
    f64_body = body.replace(inputs=(body.inputs[0], Var(F64), body.inputs[2]))
    bad = graph.replace(eqns=(Eqn(while_p, eqn.inputs, eqn.outputs, make_params(
        dict(eqn.params_dict, body_graph=f64_body))),))
    with pytest.raises(GraphError, match=r"while: the body graph takes \(i32\[\], f64\[\], "
                                         r"i32\[\]\), the loop passes \(i32\[\], f32"):
        verify(bad)
    p, x, tx, fx = Var(BOOL), Var(F32), Var(F64), Var(F32)
    branch = Eqn(cond_p, (p, x), (Var(F32),), make_params(dict(
        true_graph=Graph((tx,), (), (fx,)), false_graph=Graph((fx,), (), (fx,)),
        effects_key=0)))
    with pytest.raises(GraphError, match=r"cond: the true branch takes \(f64\[\]\), the cond "
                                         r"passes \(f32\[\]\)"):
        verify(Graph((p, x), (branch,), branch.outputs))


def test_a_cond_runs_the_branch_its_predicate_picks():
    p, x = Var(BOOL), Var(F32)
    tx, ty, two = Var(F32), Var(F32), Var(F32)
    true_graph = Graph((tx,), (_eqn("mul", (tx, two), (ty,)),), (ty,),
                       ((two, np.array(2, np.float32)),))
    fx, fy = Var(F32), Var(F32)
    false_graph = Graph((fx,), (_eqn("neg", (fx,), (fy,)),), (fy,))
    out = Var(F32)
    graph = verify(Graph((p, x), (Eqn(cond_p, (p, x), (out,), make_params(dict(
        true_graph=true_graph, false_graph=false_graph, effects_key=0))),), (out,)))
    assert evaluate(graph, [np.array(True), np.array(3.0, np.float32)]) == [6.0]
    assert evaluate(graph, [np.array(False), np.array(3.0, np.float32)]) == [-3.0]
    text = print_graph(graph)
    assert "false_graph(" in text and print_graph(parse_graph(text)) == text


def test_structured_primitives_stay_out_of_the_array_registry():
    for name in ("while_loop", "cond", "print"):
        assert STRUCTURED[name].name == name
        assert PRIMITIVES.get(name) is not STRUCTURED[name]

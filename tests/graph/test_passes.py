"""Each pass: one structural assertion, and the outputs are the same before and after."""

import numpy as np
import pytest

from tapeflow.graph.interp import evaluate
from tapeflow.graph.passes import PIPELINE, cse, dce, fold_constants, optimize, simplify
from tapeflow.graph.printer import parse_graph, print_graph
from tapeflow.graph.verify import verify

RNG = np.random.default_rng(0)


def _check(text, pass_fn, consts=None):
    """Run `pass_fn` on the parsed graph; assert it changed and preserved the outputs."""
    graph = verify(parse_graph(text, consts))
    args = [RNG.uniform(0.5, 2.0, size=v.aval.shape).astype(v.aval.dtype) for v in graph.inputs]
    out, changed = pass_fn(graph)
    verify(out)
    assert changed
    for before, after in zip(evaluate(graph, args), evaluate(out, args)):
        np.testing.assert_allclose(after, before, rtol=1e-6)
    again, changed_again = pass_fn(out)
    assert not changed_again and again is out  # a second run finds nothing to do
    return out


def _prims(graph):
    return [e.prim.name for e in graph.eqns]


def test_dce_removes_dead_equations_and_keeps_inputs():
    out = _check("""graph(a:f32[3])
  b:f32[3] = exp(a)
  c:f32[3] = sin(a)
  return (c,)""", dce)
    assert _prims(out) == ["sin"] and len(out.inputs) == 1


def test_cse_merges_repeated_equations_and_equal_constants():
    out = _check("""graph(a:f32[3])
  b:f32[] = const(2.0)
  c:f32[] = const(2.0)
  d:f32[3] = mul(a, b)
  e:f32[3] = mul(a, c)
  f:f32[3] = add(d, e)
  return (f,)""", cse)
    assert _prims(out) == ["mul", "add"] and len(out.consts) == 1


def test_cse_keeps_equations_that_differ_only_in_params():
    graph = parse_graph("""graph(a:f32[2,3])
  b:f32[3] = reduce_sum(a, axes=(0,), keepdims=False)
  c:f32[2] = reduce_sum(a, axes=(1,), keepdims=False)
  return (b, c)""")
    out, changed = cse(graph)
    assert not changed and len(out.eqns) == 2


def test_fold_constants_evaluates_constant_subgraphs():
    out = _check("""graph(a:f32[3])
  b:f32[] = const(2.0)
  c:f32[] = exp(b)
  d:f32[3] = mul(a, c)
  return (d,)""", fold_constants)
    assert _prims(out) == ["mul"]


def test_fold_constants_does_not_blow_up_broadcasts():
    graph = parse_graph("""graph(a:f32[100,100])
  b:f32[] = const(1.0)
  c:f32[100,100] = broadcast_to(b, shape=(100, 100))
  d:f32[100,100] = add(a, c)
  return (d,)""")
    out, changed = fold_constants(graph)
    assert not changed


@pytest.mark.parametrize(
    "body, remaining",
    [
        ("  c:f32[3] = const([1.0, 1.0, 1.0])\n  d:f32[3] = mul(a, c)", []),  # x*1 -> x
        ("  c:f32[] = const(-0.0)\n  d:f32[3] = add(c, a)", []),  # -0.0 + x -> x
        ("  c:f32[] = const(0.0)\n  d:f32[3] = sub(a, c)", []),  # x - 0.0 -> x
        ("  c:f32[] = const(1.0)\n  d:f32[3] = div(a, c)", []),  # x/1 -> x
        ("  c:f32[] = const(2.0)\n  d:f32[3] = pow(a, c)", ["mul"]),  # x**2 -> x*x
        ("  c:f32[3] = neg(a)\n  d:f32[3] = neg(c)", []),  # -(-x) -> x
        ("  d:f32[3] = stop_gradient(a)", []),
        ("  d:f32[3] = cast(a, dtype=float32)", []),
        ("  c:f32[3,1] = reshape(a, new_sizes=(3, 1))\n  d:f32[3] = reshape(c, new_sizes=(3,))",
         []),  # reshape back to x's own shape -> x
        ("  c:f32[1,3] = reshape(a, new_sizes=(1, 3))\n  g:f32[3,1] = reshape(c, new_sizes=(3, 1))"
         "\n  d:f32[3] = reshape(g, new_sizes=(3,))", []),
        # a sum over no axes is x + 0.0: a sum starts from +0.0, so -0.0 gives +0.0
        ("  d:f32[3] = reduce_sum(a, axes=(), keepdims=False)", ["add"]),
        ("  d:f32[3] = reduce_max(a, axes=(), keepdims=False)", []),
    ],
)
def test_simplify_rules(body, remaining):
    text = f"graph(a:f32[3])\n{body}\n  e:f32[3] = exp(d)\n  return (e,)"
    out = _check(text, simplify)
    assert [p for p in _prims(dce(out)[0]) if p != "exp"] == remaining


def test_simplify_transpose_of_transpose():
    out = _check("""graph(a:f32[2,3,4])
  b:f32[4,3,2] = transpose(a, perm=(2, 1, 0))
  c:f32[2,3,4] = transpose(b, perm=(2, 1, 0))
  d:f32[2,3,4] = exp(c)
  return (d,)""", simplify)
    assert _prims(dce(out)[0]) == ["exp"]


def test_simplify_sum_of_broadcast_scalar():
    out = _check("""graph(a:f32[])
  b:f32[4,5] = broadcast_to(a, shape=(4, 5))
  c:f32[] = reduce_sum(b, axes=(0, 1), keepdims=False)
  return (c,)""", simplify)
    assert _prims(dce(out)[0]) == ["mul", "add"]  # s * 20 + 0.0


def test_simplify_keeps_what_changes_the_sign_of_zero_or_nan():
    # x + 0.0 is not x (-0.0 + 0.0 = 0.0), nor x - -0.0; a constant [0.0, -0.0] is not
    # uniform; sum(broadcast(s)) of -0.0 is +0.0, and of inf over no elements 0, not nan.
    graph = parse_graph("""graph(a:f32[2], s:f32[])
  b:f32[] = const(0.0)
  c:f32[2] = add(a, b)
  d:f32[] = const(-0.0)
  e:f32[2] = sub(c, d)
  f:f32[2] = const([0.0, -0.0])
  g:f32[2] = mul(e, f)
  h:f32[0] = broadcast_to(s, shape=(0,))
  i:f32[] = reduce_sum(h, axes=(0,), keepdims=False)
  j:f32[3] = broadcast_to(s, shape=(3,))
  k:f32[] = reduce_sum(j, axes=(0,), keepdims=False)
  return (c, e, g, i, k)""")
    for args in ([np.array([-0.0, 1.0], np.float32), np.float32(-0.0)],
                 [np.array([-0.0, -2.0], np.float32), np.float32(np.inf)]):
        out, _ = simplify(graph)
        for before, after in zip(evaluate(graph, args), evaluate(out, args)):
            np.testing.assert_array_equal(after, before)
            np.testing.assert_array_equal(np.signbit(after), np.signbit(before))


def test_simplify_leaves_broadcasting_identity_alone():
    # x * ones(3) with x of shape () is a broadcast, not a no-op.
    graph = parse_graph("""graph(a:f32[])
  b:f32[3] = const([1.0, 1.0, 1.0])
  c:f32[3] = mul(a, b)
  return (c,)""")
    out, changed = simplify(graph)
    assert not changed


def test_simplify_reads_a_uniform_constant_as_a_scalar():
    # relu's zeros and a mean's 1/n seed arrive as full-size constants; the loops read one
    # 0-d constant instead (dce then drops the arrays).
    out = _check("""graph(a:f32[2,3])
  b:f32[2,3] = const([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
  c:bool[2,3] = gt(a, b)
  d:f32[2,3] = select(c, a, b)
  e:f32[2,3] = const([[0.25, 0.25, 0.25], [0.25, 0.25, 0.25]])
  f:f32[2,3] = mul(d, e)
  return (f,)""", simplify)
    out = dce(out)[0]
    assert _prims(out) == ["gt", "select", "mul"]
    assert sorted(float(value) for _, value in out.consts) == [0.0, 0.25]
    assert all(value.shape == () for _, value in out.consts)


@pytest.mark.parametrize("value", ["[1.0, nan, 1.0]", "[1.0, 2.0, 1.0]"])
def test_simplify_keeps_constants_that_are_not_uniform(value):
    graph = parse_graph(f"""graph(a:f32[3])
  b:f32[3] = const({value})
  c:f32[3] = add(a, b)
  return (c,)""")
    out, changed = simplify(graph)
    assert not changed


def test_pipeline_is_a_visible_list_and_reports_each_pass():
    assert [name for name, _ in PIPELINE] == ["verify", "simplify", "fold_constants", "cse",
                                              "dce"]
    graph = parse_graph("""graph(a:f32[3])
  b:f32[] = const(2.0)
  c:f32[3] = pow(a, b)
  d:f32[3] = pow(a, b)
  e:f32[3] = add(c, d)
  return (e,)""")
    seen = []
    out = optimize(graph, on_pass=lambda name, g, changed: seen.append((name, print_graph(g))))
    assert [name for name, _ in seen[:5]] == [name for name, _ in PIPELINE]
    assert _prims(out) == ["mul", "add"]


# Every simplifier rule on every special value: the rewritten graph gives the same bits (nan
# for nan, the sign of every zero and infinity), float32 and float64. Each line exercises one
# rule; `changed` is asserted so a rule that stops firing does not pass unseen.
SPECIAL_RULES = [
    "c:T[] = const(1.0)\n  d:T[8] = mul(a, c)\n  e:T[8] = mul(c, d)",
    "c:T[] = const(-0.0)\n  d:T[8] = add(a, c)\n  e:T[8] = add(c, d)",
    "c:T[] = const(0.0)\n  e:T[8] = sub(a, c)",
    "c:T[] = const(1.0)\n  e:T[8] = div(a, c)",
    "c:T[] = const(1.0)\n  e:T[8] = pow(a, c)",
    "c:T[] = const(2.0)\n  e:T[8] = pow(a, c)",
    "c:T[8] = neg(a)\n  e:T[8] = neg(c)",
    "e:T[8] = stop_gradient(a)",
    "e:T[8] = cast(a, dtype=DT)",
    "e:T[8] = broadcast_to(a, shape=(8,))",
    "c:T[2,4] = reshape(a, new_sizes=(2, 4))\n  d:T[4,2] = reshape(c, new_sizes=(4, 2))\n"
    "  e:T[8] = reshape(d, new_sizes=(8,))",
    "c:T[2,4] = reshape(a, new_sizes=(2, 4))\n  d:T[4,2] = transpose(c, perm=(1, 0))\n"
    "  f:T[2,4] = transpose(d, perm=(1, 0))\n  e:T[8] = reshape(f, new_sizes=(8,))",
    "e:T[8] = reduce_sum(a, axes=(), keepdims=False)",
    "c:T[8,1] = reshape(a, new_sizes=(8, 1))\n  d:T[8,1] = reduce_sum(c, axes=(1,), keepdims=True)"
    "\n  e:T[8] = reshape(d, new_sizes=(8,))",
    "e:T[8] = reduce_max(a, axes=(), keepdims=False)",
    "e:T[8] = reduce_min(a, axes=(), keepdims=False)",
    "e:T[8] = reduce_prod(a, axes=(), keepdims=False)",
    "c:T[8] = const([0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])\n  e:T[8] = max(a, c)",
    "c:T[8] = const([-0.0, -0.0, -0.0, -0.0, -0.0, -0.0, -0.0, -0.0])\n  e:T[8] = add(a, c)",
    "c:T[8] = const([2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0])\n  e:T[8] = div(a, c)",
]

SPECIAL_VALUES = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -3e38, 0.75]


def _same_bits(after, before):
    after, before = np.asarray(after), np.asarray(before)
    assert after.dtype == before.dtype and after.shape == before.shape
    nan = np.isnan(before)
    np.testing.assert_array_equal(np.isnan(after), nan)
    np.testing.assert_array_equal(after[~nan].view(np.uint8), before[~nan].view(np.uint8))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("body", SPECIAL_RULES)
def test_simplify_is_ieee_exact_on_special_values(body, dtype):
    t = "f32" if dtype == np.float32 else "f64"
    body = body.replace("T[", f"{t}[").replace("DT", np.dtype(dtype).name)
    graph = parse_graph(f"graph(a:{t}[8])\n  {body}\n  return (e,)")
    out, changed = simplify(graph)
    assert changed
    args = [np.array(SPECIAL_VALUES, dtype)]
    with np.errstate(all="ignore"):
        for before, after in zip(evaluate(graph, args), evaluate(out, args)):
            _same_bits(after, before)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("s", SPECIAL_VALUES)
def test_sum_of_broadcast_keeps_special_values(s, dtype):
    # s * n + 0.0 for a sum of n copies of s: nan, infinities and zeros (a sum starts from
    # +0.0) exactly; finite values may differ by the sum's rounding, a few ulps.
    t = "f32" if dtype == np.float32 else "f64"
    graph = parse_graph(f"""graph(s:{t}[])
  b:{t}[2,3] = broadcast_to(s, shape=(2, 3))
  c:{t}[] = reduce_sum(b, axes=(0, 1), keepdims=False)
  return (c,)""")
    out, changed = simplify(graph)
    assert changed
    with np.errstate(all="ignore"):
        (before,), (after,) = evaluate(graph, [dtype(s)]), evaluate(out, [dtype(s)])
    assert np.isnan(after) == np.isnan(before)
    if not np.isnan(before):
        assert np.signbit(after) == np.signbit(before) and np.isinf(after) == np.isinf(before)
        np.testing.assert_allclose(after, before, rtol=4 * np.finfo(dtype).eps)

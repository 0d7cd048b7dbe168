"""Random tapeflow programs for differential fuzzing, and the runner that compares backends.

A program is a recipe (`recipes`: steps over a growing pool of tensors, each naming its
operands by index; tests/graph/test_random_programs.py draws its recipes here too, over
fewer kinds of step) over the public API: elementwise math, broadcasting binary ops,
reductions with axes, matmul chains, reshapes and slices, gathers, softmax and
cross-entropy, `tf.where`, data-dependent Python `if`/`while` on reduced values, a
Variable update, and optionally a nested tape (a gradient of a gradient). Its
inputs are float32 or float64, with sizes 0 and 1 among the dimensions, and either smooth
values or a mix of special ones (0, -0, inf, -inf, nan, denormals, huge).

`run_program` runs one program eagerly, on the interpreter backend and compiled with Numba
(native code: a fallback to the interpreter is a failure), and returns a list of `Finding`s:
values that disagree beyond the dtype's tolerance, nan/inf/signed-zero patterns that differ,
an error raised by one runner and not another, and (float64, smooth inputs) gradients that
disagree with central finite differences. The same function serves the pytest tests (which
fail on the first finding) and benchmarks/fuzz.py (which counts them).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

import tapeflow as tf
from tapeflow.runtime.backends import CompileFallbackWarning

# The version of what this module draws (the programs a hypothesis seed gives):
# benchmarks/fuzz.py keeps the counts of each version apart and skips the seeds a version has
# already run. Bump it when the distribution changes. (What run_program checks is told by
# the commit each count records.)
GENERATOR_VERSION = 1

UNARY = ["tanh", "sin", "exp", "log", "sqrt", "abs", "neg", "square", "sigmoid", "softplus",
         "relu"]
BINARY = ["add", "sub", "mul", "div", "maximum", "minimum"]
REDUCE = ["reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_logsumexp"]
SLICES = ["tail", "step2", "reverse", "last_col"]

# Inputs: a (m, n), b (n,), c (n, k); sizes 0 and 1 included.
SPECIAL = {
    np.float64: [0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, 2.2e-308, 1e300, -1e300, 1.0, -2.5],
    np.float32: [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, 1.2e-38, 3e38, -3e38, 1.0, -2.5],
}


@dataclass(frozen=True)
class Program:
    dtype: str  # "float32" | "float64"
    m: int
    n: int
    k: int
    steps: tuple  # each a tuple (kind, ...operands/params)
    second_order: bool  # wrap the loss in a nested tape: also return d/da |dloss/da|^2

    @property
    def shapes(self):
        return [(self.m, self.n), (self.n,), (self.n, self.k)]


def _reduce_shape(shape, axis, keep):
    if axis is None:
        return (1,) * len(shape) if keep else ()
    ax = axis % len(shape)
    if keep:
        return tuple(1 if i == ax else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i != ax)


def _slice_shape(shape, how):
    d = shape[0]
    if how == "tail":
        return (max(d - 1, 0),) + shape[1:]
    if how == "step2":
        return ((d + 1) // 2,) + shape[1:]
    if how == "reverse":
        return shape
    return shape[:-1] + (min(shape[-1], 1),)  # last_col: x[..., :1]


# Kinds of step; CONTROL_FLOW ones need a Variable and make guards (a retrace when they flip).
KINDS = ["unary", "binary", "reduce", "matmul", "reshape", "transpose", "slice", "gather",
         "softmax", "xent", "sparse_xent", "where"]
CONTROL_FLOW = ["if", "while", "assign"]


@st.composite
def programs(draw, max_steps: int = 6, control_flow: bool = True):
    """A `Program`; every step is valid for the shapes it meets, so eager never refuses one
    for its shapes (values may still make it raise, as they may for users)."""
    dtype = draw(st.sampled_from(["float32", "float64"]))
    m, n, k = draw(st.integers(0, 3)), draw(st.integers(0, 3)), draw(st.integers(1, 2))
    kinds = KINDS + CONTROL_FLOW if control_flow else KINDS
    drawn = draw(recipes([(m, n), (n,), (n, k)], kinds, max_steps=max_steps))
    second_order = draw(st.booleans()) if control_flow else False
    return Program(dtype, m, n, k, drawn, second_order)


@st.composite
def recipes(draw, shapes, kinds=tuple(KINDS), min_steps: int = 1, max_steps: int = 6,
          unary=tuple(UNARY), binary=tuple(BINARY), reduce=tuple(REDUCE)) -> tuple:
    """A recipe: steps over a pool of tensors that starts with inputs of `shapes`, each step
    naming its operands by index into the pool and appending its result; every step is
    valid for the shapes it meets. `kinds` and the op lists are the ones drawn from (a kind
    that fits no operand is skipped: a recipe may have fewer than `min_steps` steps)."""
    shapes = list(shapes)
    drawn = []
    for _ in range(draw(st.integers(min_steps, max_steps))):
        kind = draw(st.sampled_from(kinds))
        i = draw(st.integers(0, len(shapes) - 1))
        shape = shapes[i]
        nd = len(shape)
        if kind == "unary":
            drawn.append(("unary", draw(st.sampled_from(unary)), i))
        elif kind in ("binary", "where"):
            partners = [j for j, s in enumerate(shapes)
                        if s == shape or s == shape[-1:] or s == () or
                        (nd and s == (1,) + shape[1:])]
            j = draw(st.sampled_from(partners))
            if kind == "binary":
                drawn.append(("binary", draw(st.sampled_from(binary)), i, j))
            else:
                drawn.append(("where", i, j))
            shape = tuple(np.broadcast_shapes(shape, shapes[j]))
        elif kind == "reduce":
            op = draw(st.sampled_from(reduce))
            axis = draw(st.none() | st.integers(-nd, nd - 1)) if nd else None
            keep = draw(st.booleans())
            drawn.append(("reduce", op, i, axis, keep))
            shape = _reduce_shape(shape, axis, keep)
        elif kind == "matmul":
            partners = [j for j, s in enumerate(shapes)
                        if nd == 2 and len(s) == 2 and s[0] == shape[1]]
            if not partners:
                continue
            j = draw(st.sampled_from(partners))
            drawn.append(("matmul", i, j))
            shape = (shape[0], shapes[j][1])
        elif kind == "reshape":
            drawn.append(("reshape", i))
            shape = (int(np.prod(shape)),)
        elif kind == "transpose":
            if nd != 2:
                continue
            drawn.append(("transpose", i))
            shape = shape[::-1]
        elif kind == "slice":
            if nd == 0:
                continue
            how = draw(st.sampled_from(SLICES))
            drawn.append(("slice", how, i))
            shape = _slice_shape(shape, how)
        elif kind == "gather":
            if nd == 0:
                continue
            axis = draw(st.integers(0, nd - 1))
            d = shape[axis]
            idx = tuple(draw(st.lists(st.integers(0, d - 1), max_size=3))) if d else ()
            drawn.append(("gather", i, axis, idx))
            shape = shape[:axis] + (len(idx),) + shape[axis + 1:]
        elif kind == "softmax":
            if nd == 0:
                continue
            drawn.append(("softmax", draw(st.sampled_from(["softmax", "log_softmax"])), i))
        elif kind == "xent":
            partners = [j for j, s in enumerate(shapes) if s == shape]
            if nd == 0:
                continue
            j = draw(st.sampled_from(partners))
            drawn.append(("xent", i, j))
            shape = shape[:-1]
        elif kind == "sparse_xent":
            if nd != 2 or shape[1] == 0:
                continue
            labels = tuple(draw(st.integers(0, shape[1] - 1)) for _ in range(shape[0]))
            drawn.append(("sparse_xent", i, labels))
            shape = shape[:1]
        elif kind == "if":
            drawn.append(("if", i))
        elif kind == "while":
            drawn.append(("while", i))
        else:  # assign: the Variable takes a reduced value, and is read back into the pool
            drawn.append(("assign", i))
            shape = ()
        shapes.append(tuple(shape))
    return tuple(drawn)


def _unary(name, x):
    if name == "neg":
        return -x
    if name == "exp_small":
        return tf.exp(tf.tanh(x))  # bounded, so values stay finite
    if name in ("sigmoid", "relu", "softplus"):
        return getattr(tf.nn, name)(x)
    return getattr(tf.math, name)(x)


def _binary(name, x, y):
    if name == "pow2":
        return x**2 + y
    return {"add": tf.add, "sub": tf.subtract, "mul": tf.multiply, "div": tf.divide,
            "maximum": tf.maximum, "minimum": tf.minimum}[name](x, y)


def _slice(how, x):
    if how == "tail":
        return x[1:]
    if how == "step2":
        return x[::2]
    if how == "reverse":
        return x[::-1]
    return x[..., :1]


def _softmax_xent(labels, logits):
    xent = getattr(tf.nn, "softmax_cross_entropy_with_logits", None)
    if xent is not None:
        return xent(labels=labels, logits=logits)
    # Its definition, while tapeflow lacks the op.
    return -tf.reduce_sum(labels * tf.nn.log_softmax(logits, axis=-1), axis=-1)


def run_steps(steps, a, b, c, var=None):
    """The loss of a recipe `steps` (a scalar that every step reaches) and its pool's last
    value; `var` is the Variable of "assign" steps."""
    pool = [a, b, c]
    for step in steps:
        kind = step[0]
        if kind == "unary":
            out = _unary(step[1], pool[step[2]])
        elif kind == "binary":
            out = _binary(step[1], pool[step[2]], pool[step[3]])
        elif kind == "where":
            x, y = pool[step[1]], pool[step[2]]
            out = tf.where(x > 0, x, y * 2.0)
        elif kind == "reduce":
            _, op, i, axis, keep = step
            out = getattr(tf, op)(pool[i], axis=axis, keepdims=keep)
        elif kind == "matmul":
            out = tf.matmul(pool[step[1]], pool[step[2]])
        elif kind == "reshape":
            out = tf.reshape(pool[step[1]], [-1])
        elif kind == "transpose":
            out = tf.transpose(pool[step[1]])
        elif kind == "slice":
            out = _slice(step[1], pool[step[2]])
        elif kind == "gather":
            _, i, axis, idx = step
            out = tf.gather(pool[i], tf.constant(list(idx), dtype=tf.int32), axis=axis)
        elif kind == "softmax":
            out = getattr(tf.nn, step[1])(pool[step[2]], axis=-1)
        elif kind == "xent":
            labels = tf.nn.softmax(pool[step[2]], axis=-1)
            out = _softmax_xent(labels, pool[step[1]])
        elif kind == "sparse_xent":
            labels = tf.constant(list(step[2]), dtype=tf.int32)
            out = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels,
                                                                 logits=pool[step[1]])
        elif kind == "if":
            x = pool[step[1]]
            if tf.reduce_sum(x) > 0:  # a guard under @function
                out = x * 2.0
            else:
                out = -x
        elif kind == "while":
            out = pool[step[1]]
            count = 0
            while count < 3 and tf.reduce_sum(tf.abs(out)) > 1.0:
                out = out * 0.5
                count += 1
        else:  # assign
            var.assign(var * 0.5 + tf.reduce_mean(pool[step[1]]))
            out = tf.identity(var) * 1.0
        pool.append(out)
    # Every value the program made reaches the loss, so no step is dead code.
    loss = tf.reduce_sum(pool[-1])
    for t in pool[3:]:
        loss = loss + tf.reduce_mean(t * t)
    return loss, pool[-1]


def make_step(program: Program, var):
    """The function under test: loss, last value and gradients w.r.t. every input."""

    def step(a, b, c):
        if program.second_order:
            with tf.GradientTape() as outer:
                outer.watch(a)
                with tf.GradientTape() as inner:
                    inner.watch([a, b, c])
                    loss, last = run_steps(program.steps, a, b, c, var)
                grads = inner.gradient(loss, [a, b, c], unconnected_gradients="zero")
                norm = tf.reduce_sum(grads[0] * grads[0])
            second = outer.gradient(norm, a, unconnected_gradients="zero")
            return [loss, last, *grads, second]
        with tf.GradientTape() as tape:
            tape.watch([a, b, c])
            loss, last = run_steps(program.steps, a, b, c, var)
        grads = tape.gradient(loss, [a, b, c], unconnected_gradients="zero")
        return [loss, last, *grads]

    return step


def make_inputs(program: Program, seed: int, special: bool) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    dtype = np.dtype(program.dtype).type
    arrays = []
    for shape in program.shapes:
        x = rng.uniform(-1.5, 1.5, size=shape)
        if special:
            pool = np.array(SPECIAL[dtype], dtype=np.float64)
            mask = rng.random(size=shape) < 0.5
            x = np.where(mask, pool[rng.integers(0, len(pool), size=shape)], x)
        with np.errstate(over="ignore"):
            arrays.append(np.asarray(x, dtype=dtype))
    return arrays


# --------------------------------------------------------------------------------------------
# Comparing
# --------------------------------------------------------------------------------------------


@dataclass
class Finding:
    kind: str  # "value" | "pattern" | "error" | "crash" | "fallback" | "gradient" |
    #            "nonfinite gradient" (nan/inf where finite differences are finite) |
    #            "ill-conditioned value" (see _ill_conditioned)
    runner: str  # "interpreter" | "numba" | "fd"
    detail: str
    output: int = -1  # the output a value or pattern finding is about


# Findings that are not defects (see check_finite_differences, _ill_conditioned): counted,
# never a failure.
NOT_DEFECTS = ("nonfinite gradient", "ill-conditioned value")

TOLERANCE = {"float32": (2e-5, 1e-6), "float64": (1e-10, 1e-12)}


def compare(name: str, want: list, got: list, dtype: str) -> list[Finding]:
    rtol, atol = TOLERANCE[dtype]
    findings = []
    for n, (w, g) in enumerate(zip(want, got)):
        w, g = np.asarray(w), np.asarray(g)
        if w.shape != g.shape or w.dtype != g.dtype:
            findings.append(Finding("value", name, f"output {n}: {g.dtype}{g.shape} where "
                                                  f"eager gives {w.dtype}{w.shape}", n))
            continue
        if w.dtype.kind != "f":
            if not np.array_equal(w, g):
                findings.append(Finding("value", name, f"output {n}: {g} != {w}", n))
            continue
        # nan, +-inf and the sign of zero agree exactly; finite values to tolerance, scaled
        # by the output's magnitude (sums of larger terms carry larger rounding).
        pattern = [np.isnan, np.isposinf, np.isneginf]
        bad = np.zeros(w.shape, bool)
        for p in pattern:
            bad |= p(w) != p(g)
        zeros = (w == 0) & (g == 0)
        bad |= zeros & (np.signbit(w) != np.signbit(g))
        if bad.any():
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            findings.append(Finding("pattern", name, f"output {n}{list(where)}: {g[where]!r} "
                                                    f"where eager gives {w[where]!r}", n))
            continue
        finite = np.isfinite(w)
        if finite.any():
            scale = float(np.max(np.abs(w[finite]), initial=1.0))
            close = np.isclose(g[finite], w[finite], rtol=rtol, atol=atol * scale)
            if not close.all():
                k = int(np.argmin(close))
                findings.append(Finding("value", name, f"output {n}: {g[finite][k]!r} where "
                                                      f"eager gives {w[finite][k]!r}", n))
    return findings


def _call(fn, arrays):
    out = fn(*[tf.constant(x) for x in arrays])
    return [np.asarray(o) for o in out]


def _run_all(program: Program, arrays, native_calls: int, backends):
    """{runner: outputs + [variable]} or {runner: exception}."""
    results = {}
    for name in ("eager",) + tuple(backends):
        var = tf.Variable(np.asarray(0.25, dtype=program.dtype))
        step = make_step(program, var)
        # compile="sync": the second call runs native code (a background compile would
        # leave calls on the interpreter until it is done).
        fn = step if name == "eager" else tf.function(step, backend=name, compile="sync")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", CompileFallbackWarning)
                warnings.simplefilter("ignore", RuntimeWarning)  # numpy's nan/inf warnings
                calls = 1 if name == "eager" else native_calls
                for _ in range(calls):
                    # Each call starts from the same Variable value, so calls agree.
                    var.assign(np.asarray(0.25, dtype=program.dtype))
                    out = _call(fn, arrays)
            results[name] = out + [var.numpy()]
        except Exception as e:  # compared below: a runner must fail as eager does
            results[name] = e
    return results


def run_program(program: Program, seed: int, special: bool, *, backends=("interpreter",),
                native_calls: int = 2, check_gradients: bool = True,
                stats=None) -> list[Finding]:
    """Everything that disagrees between eager, the named backends and finite differences.
    `stats` (a Counter) counts programs that eager refused, by error type, and the programs
    whose gradients were checked against finite differences."""
    arrays = make_inputs(program, seed, special)
    results = _run_all(program, arrays, native_calls, backends)
    eager = results["eager"]
    if stats is not None and isinstance(eager, Exception):
        stats[f"eager raised {type(eager).__name__}"] += 1
    findings = []
    for name in backends:
        got = results[name]
        if isinstance(got, CompileFallbackWarning):
            findings.append(Finding("fallback", name, str(got)))
        elif isinstance(eager, Exception) or isinstance(got, Exception):
            if not (isinstance(eager, Exception) and isinstance(got, Exception)):
                what = got if isinstance(got, Exception) else eager
                kind = "crash" if isinstance(got, Exception) else "error"
                findings.append(Finding(kind, name, f"{type(what).__name__}: {what}"
                                        + ("" if kind == "crash" else " (eager only)")))
            elif not isinstance(got, type(eager)) and not isinstance(eager, type(got)):
                findings.append(Finding("error", name, f"{type(got).__name__}: {got}; eager "
                                        f"raises {type(eager).__name__}: {eager}"))
        else:
            findings += compare(name, eager, got, program.dtype)
    if any(f.kind == "value" for f in findings):
        unstable = _ill_conditioned(program, arrays, eager)
        for f in findings:
            if f.kind == "value" and f.output in unstable:
                f.kind = "ill-conditioned value"
    # An assignment has no gradient (as in TF) though the loss depends on it: finite
    # differences see a dependence the gradient rightly does not.
    assigns = any(step[0] == "assign" for step in program.steps)
    if (check_gradients and not special and program.dtype == "float64" and not assigns
            and not isinstance(eager, Exception)):
        if stats is not None:
            stats["finite-difference checks"] += 1
        findings += check_finite_differences(program, arrays, eager)
    return findings


def _ill_conditioned(program, arrays, eager, ulps: int = 8) -> set[int]:
    """The outputs whose eager value moves beyond the tolerance when every input moves by a
    few ulps: there the result depends on rounding, so another order of the same operations
    may give another value, as a sum over huge terms that cancel does (3e38 - 3e38 + 0.86
    is 0.86 or 0, whichever term the sum meets first; compiled sums reassociate their
    accumulator, codegen/accumulate.py). A value finding on such an output is counted
    apart, not as a defect; its pattern of nan/inf/signed zero is still exact."""
    dtype = np.dtype(program.dtype)
    rng = np.random.default_rng(0)
    step = ulps * np.finfo(dtype).eps
    with np.errstate(over="ignore", invalid="ignore"):
        moved = [np.asarray(x * (1 + step * rng.uniform(-1, 1, x.shape)), dtype=dtype)
                 for x in arrays]
    again = _run_all(program, moved, 1, ())["eager"]
    if isinstance(again, Exception):
        return set(range(len(eager)))  # the inputs' rounding decides whether it raises
    return {f.output for f in compare("eager", eager, again, program.dtype)}


def _loss(program, arrays):
    var = tf.Variable(np.asarray(0.25, dtype=program.dtype))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        loss, _ = run_steps(program.steps, *[tf.constant(x) for x in arrays], var)
    return float(np.asarray(loss))


def check_finite_differences(program, arrays, eager, eps=1e-6) -> list[Finding]:
    """float64 gradients (eager's, which the backends were compared with) against central
    differences of the loss. Inputs where the loss is not smooth (a kink of abs/relu/max
    within eps, or a Python branch that flips) are rare with uniform inputs; a point whose
    two one-sided differences disagree is skipped as a kink."""
    grads = eager[2:5]
    if not np.isfinite(eager[0]):
        return []
    centre = _loss(program, arrays)  # the loss without a tape, as the shifted ones
    for n, x in enumerate(arrays):
        for idx in np.ndindex(x.shape):
            values = []
            for h in (eps, -eps):
                shifted = [a.copy() for a in arrays]
                shifted[n][idx] += h
                values.append(_loss(program, shifted))
            plus, minus = values
            right, left = (plus - centre) / eps, (centre - minus) / eps
            if not np.isclose(right, left, rtol=1e-3, atol=1e-4):
                continue  # a kink (or a branch) between the two sides
            fd = (plus - minus) / (2 * eps)
            if not np.isfinite(grads[n][idx]) and np.isfinite(fd):
                # The chain rule's inf * 0: sqrt of a value that is identically zero (x - x,
                # a cross-entropy over one class) has an infinite derivative times a zero
                # one. TF and JAX give nan too; counted apart from wrong gradients.
                return [Finding("nonfinite gradient", "fd", f"d loss / d input{n}"
                                f"{list(idx)}: {grads[n][idx]!r}, finite differences {fd!r}")]
            if not np.isclose(grads[n][idx], fd, rtol=1e-4, atol=1e-5):
                return [Finding("gradient", "fd", f"d loss / d input{n}{list(idx)}: "
                                f"{grads[n][idx]!r}, finite differences {fd!r}")]
    return []

"""`tf.random`: generators whose Philox state is a Variable, and the ops that draw from them.

A `Generator` holds its state in a non-trainable `Variable` of int64[2] = [key, counter].
Each draw reads the state, binds the `random` primitive (tapeflow/ops/random.py) and adds 1
to the counter. Under `@tapeflow.function` the state is therefore an input of the traced
step and its advanced value an output, committed with the call like any variable update: a
compiled step draws new numbers on every call, and a call that fails (or whose guards fail)
leaves the state as it was.

`tf.random.normal`/`uniform`/`truncated_normal` draw from the global generator;
`tf.random.set_seed(s)` resets it to key splitmix64(s), counter 0, so the sequence of draws
that follows is the same on every run, eagerly and compiled. An op-level `seed=` is mixed
into the key (the counter still advances, so two calls give different numbers, as TF's do).
The `stateless_*` ops take the state itself as their `seed` argument and change nothing.
"""

from __future__ import annotations

import numbers
import os

import numpy as np

from tapeflow import ops
from tapeflow.ops.core import (
    InvalidArgumentError,
    OpTypeError,
    bind,
    canonical_dtype,
    is_tracer,
)
from tapeflow.ops.random import STATE_DTYPE, as_int64, random_p, splitmix64
from tapeflow.ops.shape import known_sizes
from tapeflow.tracer import creation
from tapeflow.tracer.tensor import constant
from tapeflow.tracer.variable import Variable

_ADVANCE = np.array([0, 1], dtype=STATE_DTYPE)
_MASK63 = (1 << 63) - 1
_MASK64 = (1 << 64) - 1


def _sizes(shape, op: str) -> tuple:
    """A shape argument as a tuple of sizes: ints, a list or tuple (whose entries may be
    symbolic sizes of an input_signature with None), or a 1-D integer tensor."""
    if isinstance(shape, numbers.Integral):
        shape = (shape,)
    elif is_tracer(shape):
        # tf.shape(x) of a symbolic size keeps its sizes; another tensor's values are read.
        shape = known_sizes(shape) or np.ravel(shape.numpy()).tolist()
    elif isinstance(shape, np.ndarray):
        shape = shape.ravel().tolist()
    sizes = []
    for d in shape:
        if is_tracer(d):
            d = d.numpy()
        if not isinstance(d, numbers.Integral) and not hasattr(d, "hint"):  # a Dim has a hint
            raise InvalidArgumentError(f"{op}: shape {shape!r} has a non-integer size {d!r}")
        if isinstance(d, numbers.Integral):
            d = int(d)
            if d < 0:
                raise InvalidArgumentError(f"{op}: shape {list(shape)} has a negative size")
        sizes.append(d)
    return tuple(sizes)


def _float_dtype(dtype, op: str) -> np.dtype:
    dt = canonical_dtype(dtype)
    if dt.kind != "f":
        raise OpTypeError(f"{op}: dtype must be a float type, got {dt.name}")
    return dt


def _is_number(x) -> bool:
    return isinstance(x, numbers.Real) and not is_tracer(x)


def _salt(seed) -> int:
    """An op-level seed as the value xored into the key (0 without one)."""
    if seed is None:
        return 0
    return splitmix64(int(seed)) & _MASK63


class Generator:
    """`tf.random.Generator`: a Philox generator whose state is a Variable."""

    def __init__(self, copy_from=None, state=None, alg=None, name="random_generator"):
        if copy_from is not None:
            value = copy_from.state.numpy()
        elif state is not None:
            value = np.asarray(state.numpy() if hasattr(state, "numpy") else state)
            value = np.asarray(value, dtype=STATE_DTYPE).ravel()
            if value.shape != (2,):
                raise InvalidArgumentError(
                    f"Generator: state must hold 2 integers [key, counter], got shape "
                    f"{list(np.shape(state))}")
        else:
            raise InvalidArgumentError("Generator: pass copy_from= or state=, or use "
                                       "Generator.from_seed / from_non_deterministic_state")
        _check_alg(alg)
        self._state = Variable(value.copy(), trainable=False, name=name, dtype=np.int64)

    @classmethod
    def from_seed(cls, seed, alg=None) -> "Generator":
        return cls(state=_seed_state(seed), alg=alg)

    @classmethod
    def from_non_deterministic_state(cls, alg=None) -> "Generator":
        return cls(state=_nondeterministic_state(), alg=alg)

    @classmethod
    def from_state(cls, state, alg=None) -> "Generator":
        return cls(state=state, alg=alg)

    @property
    def state(self) -> Variable:
        """The Variable holding [key, counter] (int64)."""
        return self._state

    @property
    def algorithm(self) -> str:
        return "philox"

    @property
    def key(self):
        return self._state.numpy()[0]

    def reset(self, state) -> None:
        self._state.assign(np.asarray(state, dtype=STATE_DTYPE))

    def reset_from_seed(self, seed) -> None:
        self._state.assign(_seed_state(seed))

    # ---- draws -------------------------------------------------------------------------------

    def _draw(self, dist, shape, dtype, a, b, salt=0, op="random"):
        values = bind(random_p, self._state, dist=dist, shape=_sizes(shape, op), dtype=dtype,
                      a=a, b=b, salt=salt)
        self._state.assign_add(_ADVANCE)
        return values

    def normal(self, shape, mean=0.0, stddev=1.0, dtype=np.float32, name=None):
        return _normal(self, "normal", shape, mean, stddev, dtype, 0, "random.normal")

    def truncated_normal(self, shape, mean=0.0, stddev=1.0, dtype=np.float32, name=None):
        return _normal(self, "truncated_normal", shape, mean, stddev, dtype, 0,
                       "random.truncated_normal")

    def uniform(self, shape, minval=0, maxval=None, dtype=np.float32, name=None):
        return _uniform(self, shape, minval, maxval, dtype, 0, "random.uniform")

    def uniform_full_int(self, shape, dtype=np.int64, name=None):
        """Integers over the whole range of `dtype` (int64, or int32: the low 32 bits)."""
        dt = canonical_dtype(dtype)
        if dt.kind not in "iu":
            raise OpTypeError(f"uniform_full_int: dtype must be an integer type, got {dt.name}")
        bits = self._draw("bits", shape, np.dtype(np.int64), 0, 0, op="uniform_full_int")
        return bits if dt == np.int64 else ops.cast(ops.mod(bits, 1 << 32) - (1 << 31), dt)

    def make_seeds(self, count=1):
        """int64[2, count]: seeds for the stateless ops (each column one seed)."""
        return self._draw("bits", (2, int(count)), np.dtype(np.int64), 0, 0, op="make_seeds")

    def split(self, count=1) -> list["Generator"]:
        """`count` new generators, each seeded from this one's draws (this one advances)."""
        seeds = np.asarray(self.make_seeds(count))
        return [Generator(state=[as_int64(splitmix64(int(key) & _MASK64)), int(counter)])
                for key, counter in zip(seeds[0], seeds[1])]


def _check_alg(alg) -> None:
    if alg not in (None, "philox", 1, "auto_select", 3):
        raise InvalidArgumentError(f"Generator: unknown algorithm {alg!r}; tapeflow's "
                                   "generator is philox")


def _seed_state(seed) -> np.ndarray:
    seed = int(np.asarray(seed.numpy() if hasattr(seed, "numpy") else seed).ravel()[0])
    return np.array([as_int64(splitmix64(seed)), 0], dtype=STATE_DTYPE)


def _nondeterministic_state() -> np.ndarray:
    key = int.from_bytes(os.urandom(8), "little")
    return np.array([as_int64(key), 0], dtype=STATE_DTYPE)


def _normal(gen, dist, shape, mean, stddev, dtype, salt, op):
    dt = _float_dtype(dtype, op)
    if _is_number(mean) and _is_number(stddev):
        return gen._draw(dist, shape, dt, float(mean), float(stddev), salt, op)
    z = gen._draw(dist, shape, dt, 0.0, 1.0, salt, op)  # tensors: scaled by ops, no reads
    return ops.add(ops.multiply(z, stddev), mean)


def _uniform(gen, shape, minval, maxval, dtype, salt, op):
    dt = canonical_dtype(dtype)
    if dt.kind in "iu":
        if maxval is None:
            raise InvalidArgumentError(f"{op}: integer dtypes need maxval")
        lo, hi = (int(v.numpy()) if is_tracer(v) else int(v) for v in (minval, maxval))
        if not lo < hi:
            raise InvalidArgumentError(f"{op}: need minval < maxval, got [{lo}, {hi})")
        return gen._draw("uniform_int", shape, dt, lo, hi, salt, op)
    if dt.kind != "f":
        raise OpTypeError(f"{op}: dtype must be a float or integer type, got {dt.name}")
    maxval = 1.0 if maxval is None else maxval
    if _is_number(minval) and _is_number(maxval):
        return gen._draw("uniform", shape, dt, float(minval), float(maxval), salt, op)
    u = gen._draw("uniform", shape, dt, 0.0, 1.0, salt, op)
    return ops.add(ops.multiply(u, ops.subtract(maxval, minval)), minval)


# --------------------------------------------------------------------------------------------
# The global generator and tf.random's functions
# --------------------------------------------------------------------------------------------

_global = Generator(state=_nondeterministic_state(), name="global_random_generator")


def get_global_generator() -> Generator:
    return _global


def set_global_generator(generator: Generator) -> None:
    """Replace the global generator. Functions traced before keep the one they read."""
    global _global
    if not isinstance(generator, Generator):
        raise TypeError(f"set_global_generator: expected a Generator, got "
                        f"{type(generator).__name__}")
    _global = generator


def set_seed(seed) -> None:
    """Make the draws that follow reproducible: the global generator restarts from `seed`
    (and so does the numpy generator layers initialise their weights with)."""
    _global.reset_from_seed(seed)
    creation._state.set_seed(seed)


def normal(shape, mean=0.0, stddev=1.0, dtype=np.float32, seed=None, name=None):
    return _normal(_global, "normal", shape, mean, stddev, dtype, _salt(seed), "random.normal")


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=np.float32, seed=None, name=None):
    return _normal(_global, "truncated_normal", shape, mean, stddev, dtype, _salt(seed),
                   "random.truncated_normal")


def uniform(shape, minval=0, maxval=None, dtype=np.float32, seed=None, name=None):
    return _uniform(_global, shape, minval, maxval, dtype, _salt(seed), "random.uniform")


def categorical(logits, num_samples, dtype=None, seed=None, name=None):
    """`tf.random.categorical`: `num_samples` class indices per row of `logits` [batch,
    classes], class j drawn with probability softmax(logits)[j]."""
    return _categorical(_global, logits, num_samples, dtype, _salt(seed),
                        "random.categorical")


def _categorical(gen, logits, num_samples, dtype, salt, op):
    """Inverse-CDF sampling with tensor ops: u ~ U[0, 1) per sample; the index is the
    number of classes whose cumulative probability is <= u (the first class whose CDF
    exceeds u), clamped to the last class where rounding leaves the CDF's end below u."""
    logits = logits if is_tracer(logits) else constant(logits)
    shape = tuple(logits.aval.shape)
    if len(shape) != 2 or logits.aval.dtype.kind != "f":
        raise InvalidArgumentError(f"{op}: logits must be a float matrix [batch, classes], "
                                   f"got {logits.aval}")
    out_dtype = canonical_dtype(dtype) if dtype is not None else np.dtype(np.int64)
    if out_dtype.kind not in "iu":
        raise OpTypeError(f"{op}: dtype must be an integer type, got {out_dtype.name}")
    n = int(num_samples)
    batch, classes = shape
    # The CDF as a product with an upper-triangular matrix of ones: cdf[b, j] = sum_{i<=j} p.
    probs = ops.softmax(logits, axis=-1)
    upper = np.triu(np.ones((classes, classes), dtype=logits.aval.dtype))
    cdf = ops.matmul(probs, upper)
    u = gen._draw("uniform", (batch, n, 1), logits.aval.dtype, 0.0, 1.0, salt, op)
    below = ops.cast(ops.less_equal(ops.expand_dims(cdf, 1), u), np.int32)
    index = ops.minimum(ops.reduce_sum(below, axis=-1), classes - 1)
    return ops.cast(index, out_dtype)


# ---- stateless ops: the seed is the state ------------------------------------------------------


class _Stateless:
    """A generator-like view of a `seed` tensor: draws from it and advances nothing."""

    def __init__(self, seed, op: str):
        if is_tracer(seed):
            if tuple(seed.aval.shape) != (2,) or seed.aval.dtype.kind not in "iu":
                raise InvalidArgumentError(f"{op}: seed must be 2 integers, got {seed.aval}")
            self.state = ops.cast(seed, np.int64)
        else:
            value = np.asarray(seed)
            if value.shape != (2,) or value.dtype.kind not in "iu":
                raise InvalidArgumentError(f"{op}: seed must be 2 integers, got {seed!r}")
            self.state = value.astype(STATE_DTYPE)

    def _draw(self, dist, shape, dtype, a, b, salt=0, op="random"):
        return bind(random_p, self.state, dist=dist, shape=_sizes(shape, op), dtype=dtype,
                    a=a, b=b, salt=salt)


def stateless_normal(shape, seed, mean=0.0, stddev=1.0, dtype=np.float32, name=None, alg=None):
    op = "random.stateless_normal"
    return _normal(_Stateless(seed, op), "normal", shape, mean, stddev, dtype, 0, op)


def stateless_truncated_normal(shape, seed, mean=0.0, stddev=1.0, dtype=np.float32, name=None,
                               alg=None):
    op = "random.stateless_truncated_normal"
    return _normal(_Stateless(seed, op), "truncated_normal", shape, mean, stddev, dtype, 0, op)


def stateless_uniform(shape, seed, minval=0, maxval=None, dtype=np.float32, name=None,
                      alg=None):
    op = "random.stateless_uniform"
    return _uniform(_Stateless(seed, op), shape, minval, maxval, dtype, 0, op)


def stateless_categorical(logits, num_samples, seed, dtype=None, name=None):
    op = "random.stateless_categorical"
    return _categorical(_Stateless(seed, op), logits, num_samples, dtype, 0, op)

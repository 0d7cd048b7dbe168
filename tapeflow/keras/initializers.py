"""`tf.keras.initializers`: initial values for weights, by class or by name.

Called, an initializer returns a tensor, as Keras's do (`GlorotUniform()((3, 2))`). Layers take
its value as an array (`_array_of`), so a layer built during a trace gets plain initial values,
never a traced expression. Random initializers draw through `tf.random` (so
`tf.random.set_seed` makes them reproducible)."""

from __future__ import annotations

import math

import numpy as np

from tapeflow.keras._naming import lookup
from tapeflow.ops.core import canonical_dtype as _canonical_dtype


def _random():
    import tapeflow

    return tapeflow.random


def _normal(shape, mean=0.0, stddev=1.0, dtype=np.float32, seed=None):
    """A normal draw: from the seed alone when one is given (Keras 3: a seeded initializer
    gives the same values every call, whatever was drawn before), else from tf.random's
    stream (reproducible under tf.random.set_seed)."""
    if seed is not None:
        return _random().stateless_normal(shape, [int(seed), 0], mean, stddev, dtype=dtype)
    return _random().normal(shape, mean, stddev, dtype=dtype)


def _uniform(shape, minval, maxval, dtype=np.float32, seed=None):
    """A uniform draw in [minval, maxval), seeded as `_normal`."""
    if seed is not None:
        return _random().stateless_uniform(shape, [int(seed), 0], minval, maxval, dtype=dtype)
    return _random().uniform(shape, minval, maxval, dtype=dtype)


def _array(t) -> np.ndarray:
    return np.asarray(t._concrete() if hasattr(t, "_concrete") else t)


class Initializer:
    """`initializer(shape, dtype)` returns a tensor of that shape and dtype; `array` is the
    same as a numpy array (what each initializer defines). A user's subclass overrides
    `__call__`, as in Keras."""

    def __call__(self, shape, dtype=None):
        from tapeflow.tracer.tensor import make_constant

        return make_constant(self.array(shape, dtype))

    def array(self, shape, dtype=None) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} defines neither __call__ nor array")

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)


class Zeros(Initializer):
    def array(self, shape, dtype=None) -> np.ndarray:
        return np.zeros(tuple(shape), _canonical_dtype(dtype or np.float32))


class Ones(Initializer):
    def array(self, shape, dtype=None) -> np.ndarray:
        return np.ones(tuple(shape), _canonical_dtype(dtype or np.float32))


class Constant(Initializer):
    def __init__(self, value=0.0):
        self.value = value

    def array(self, shape, dtype=None) -> np.ndarray:
        return np.broadcast_to(np.asarray(self.value, _canonical_dtype(dtype or np.float32)),
                               tuple(shape)).copy()

    def get_config(self) -> dict:
        return {"value": self.value}


class RandomNormal(Initializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def array(self, shape, dtype=None) -> np.ndarray:
        dt = _canonical_dtype(dtype or np.float32)
        return _array(_normal(tuple(shape), self.mean, self.stddev, dt, self.seed))

    def get_config(self) -> dict:
        return {"seed": self.seed, "mean": self.mean, "stddev": self.stddev}


class RandomUniform(Initializer):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def array(self, shape, dtype=None) -> np.ndarray:
        dt = _canonical_dtype(dtype or np.float32)
        return _array(_uniform(tuple(shape), self.minval, self.maxval, dt, self.seed))

    def get_config(self) -> dict:
        return {"seed": self.seed, "minval": self.minval, "maxval": self.maxval}


class TruncatedNormal(Initializer):
    """Normal values, those beyond two standard deviations drawn again."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def array(self, shape, dtype=None) -> np.ndarray:
        dt = _canonical_dtype(dtype or np.float32)
        return (self.mean + self.stddev * _truncated_standard(tuple(shape), self.seed)).astype(dt)

    def get_config(self) -> dict:
        return {"seed": self.seed, "mean": self.mean, "stddev": self.stddev}


def _truncated_standard(shape, seed) -> np.ndarray:
    values = _array(_normal(shape, dtype=np.float64, seed=seed))
    rounds = 0
    while True:
        bad = np.abs(values) > 2.0
        if not bad.any():
            return values
        rounds += 1
        # A fixed seed would redraw the same numbers: vary it per round.
        redraw_seed = None if seed is None else seed + rounds
        values[bad] = _array(_normal((int(bad.sum()),), dtype=np.float64, seed=redraw_seed))


def _fans(shape) -> tuple[float, float]:
    shape = tuple(shape)
    if len(shape) == 0:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    receptive = math.prod(shape[:-2]) if len(shape) > 2 else 1
    return float(shape[-2] * receptive), float(shape[-1] * receptive)


class VarianceScaling(Initializer):
    """Variance `scale / n`, n the fan in, the fan out or their mean (`mode`), from a
    truncated normal, an untruncated normal or a uniform distribution."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"VarianceScaling: mode must be fan_in, fan_out or fan_avg, got "
                             f"{mode!r}")
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform", "normal"):
            raise ValueError(f"VarianceScaling: unknown distribution {distribution!r}")
        self.scale, self.mode, self.distribution, self.seed = scale, mode, distribution, seed

    def array(self, shape, dtype=None) -> np.ndarray:
        dt = _canonical_dtype(dtype or np.float32)
        fan_in, fan_out = _fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, n)
        if self.distribution in ("truncated_normal", "normal"):
            # The standard deviation of a standard normal truncated to [-2, 2].
            stddev = math.sqrt(variance) / 0.87962566103423978
            return (stddev * _truncated_standard(tuple(shape), self.seed)).astype(dt)
        if self.distribution == "untruncated_normal":
            return _array(_normal(tuple(shape), 0.0, math.sqrt(variance), dt, self.seed))
        limit = math.sqrt(3.0 * variance)
        return _array(_uniform(tuple(shape), -limit, limit, dt, self.seed))

    def get_config(self) -> dict:
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed}


class _Preset(VarianceScaling):
    """A VarianceScaling with fixed scale, mode and distribution: its config is the seed
    alone (as Keras 3), so `from_config` rebuilds it."""

    def get_config(self) -> dict:
        return {"seed": self.seed}


class GlorotUniform(_Preset):
    def __init__(self, seed=None):
        super().__init__(1.0, "fan_avg", "uniform", seed)


class GlorotNormal(_Preset):
    def __init__(self, seed=None):
        super().__init__(1.0, "fan_avg", "truncated_normal", seed)


class HeNormal(_Preset):
    def __init__(self, seed=None):
        super().__init__(2.0, "fan_in", "truncated_normal", seed)


class HeUniform(_Preset):
    def __init__(self, seed=None):
        super().__init__(2.0, "fan_in", "uniform", seed)


class LecunNormal(_Preset):
    def __init__(self, seed=None):
        super().__init__(1.0, "fan_in", "truncated_normal", seed)


class LecunUniform(_Preset):
    def __init__(self, seed=None):
        super().__init__(1.0, "fan_in", "uniform", seed)


class Identity(Initializer):
    """gain times the identity matrix (ones on the main diagonal) of a 2D shape."""

    def __init__(self, gain=1.0):
        self.gain = gain

    def array(self, shape, dtype=None) -> np.ndarray:
        shape = tuple(shape)
        if len(shape) != 2:
            raise ValueError(f"Identity initializer: only 2D shapes; got shape={shape} of rank "
                             f"{len(shape)}")
        return (self.gain * np.eye(*shape)).astype(_canonical_dtype(dtype or np.float32))

    def get_config(self) -> dict:
        return {"gain": self.gain}


class Orthogonal(Initializer):
    """A random orthogonal matrix times `gain` (Saxe et al., 2014): the Q of the QR
    decomposition of a normal draw of shape (max(rows, cols), min(rows, cols)), its columns'
    signs fixed by diag(R) so Q is uniformly distributed, transposed when rows < cols. Rows are
    every axis but the last flattened, so a kernel of any rank >= 2 is orthogonal as a
    (rows, cols) matrix: rows orthonormal if rows <= cols, columns otherwise."""

    def __init__(self, gain=1.0, seed=None):
        self.gain, self.seed = gain, seed

    def array(self, shape, dtype=None) -> np.ndarray:
        shape = tuple(shape)
        if len(shape) < 2:
            raise ValueError(f"Orthogonal initializer: the shape must be at least 2D; got "
                             f"shape={shape} of rank {len(shape)}")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        draw = _array(_normal((max(rows, cols), min(rows, cols)), dtype=np.float64,
                              seed=self.seed))
        q, r = np.linalg.qr(draw)
        q = q * np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(shape)).astype(_canonical_dtype(dtype or np.float32))

    def get_config(self) -> dict:
        return {"seed": self.seed, "gain": self.gain}


_BY_NAME = {
    "zeros": Zeros, "ones": Ones, "constant": Constant, "identity": Identity,
    "orthogonal": Orthogonal,
    "random_normal": RandomNormal, "random_uniform": RandomUniform,
    "truncated_normal": TruncatedNormal, "variance_scaling": VarianceScaling,
    "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal,
    "he_normal": HeNormal, "he_uniform": HeUniform,
    "lecun_normal": LecunNormal, "lecun_uniform": LecunUniform,
}
# Keras 3's longer class names.
IdentityInitializer, OrthogonalInitializer = Identity, Orthogonal


def get(identifier):
    """An initializer from a name ('glorot_uniform', 'GlorotUniform', 'zeros', ...), a class,
    an instance, or a callable(shape, dtype)."""
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"cannot interpret {identifier!r} as an initializer")


def _array_of(init, shape: tuple, dtype) -> np.ndarray:
    """The initial value `init` (from `get`) gives for `shape` and `dtype`, as an array: a
    built-in initializer's own value, or what a callable (a user's Initializer subclass, a
    function) returns, a tensor's concrete value included."""
    if isinstance(init, Initializer) and type(init).__call__ is Initializer.__call__:
        return init.array(shape, dtype)
    return _array(init(shape, dtype=dtype))



zeros, ones = Zeros, Ones
glorot_uniform, glorot_normal = GlorotUniform, GlorotNormal
he_normal, he_uniform = HeNormal, HeUniform
# Keras 3's lowercase names are the classes themselves (tf.keras.initializers.constant is
# Constant).
constant, identity, orthogonal = Constant, Identity, Orthogonal
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
variance_scaling, lecun_normal, lecun_uniform = VarianceScaling, LecunNormal, LecunUniform


def serialize(initializer) -> dict:
    """Keras 3's config dict: {'module', 'class_name', 'config', 'registered_name'}."""
    if not isinstance(initializer, Initializer):
        raise ValueError(f"initializers.serialize: expected an Initializer, got {initializer!r}")
    return {"module": "keras.initializers", "class_name": type(initializer).__name__,
            "config": initializer.get_config(), "registered_name": None}


def deserialize(config, custom_objects=None):
    """An initializer from a name ('orthogonal', 'Orthogonal') or a config dict (what
    `serialize` gives; {'class_name': ..., 'config': {...}})."""
    if isinstance(config, str):
        if custom_objects and config in custom_objects:
            return custom_objects[config]()
        return lookup(_BY_NAME, config, "initializer")()
    if isinstance(config, dict) and "class_name" in config:
        name = config["class_name"]
        cls = (custom_objects or {}).get(name) or lookup(_BY_NAME, name, "initializer")
        return cls.from_config(dict(config.get("config") or {}))
    raise ValueError(f"initializers.deserialize: cannot interpret {config!r}")

"""Library code never records a value guard: every public function of the API, traced.

Each public function (found by walking the `tapeflow` namespace and its API submodules, so
new functions are found without anyone listing them) is called inside a
`@tapeflow.function` twice, with inputs of the same shapes and different random values.
It must trace once and record no guard: a check that needs values runs inside the kernel
(tapeflow/ops/checks.py), never as a Python read, which would retrace a training step on
every batch.

A function without a row in `ROWS` (or a reason in `NOT_TENSOR_FUNCTIONS`) fails
`test_every_public_function_has_a_row`, which lists the missing ones: whoever adds a
function adds its row here.
"""

from __future__ import annotations

import inspect
import io
import types
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest

import tapeflow as tf

# Packages reachable as attributes of `tapeflow` that are the implementation, not the API.
INTERNAL = ("tapeflow.ops", "tapeflow.tracer", "tapeflow.graph", "tapeflow.codegen",
            "tapeflow.runtime", "tapeflow.cli", "tapeflow.viz", "tapeflow.nest",
            "tapeflow.__main__", "tapeflow.api", "tapeflow.checkpoint", "tapeflow.tools",
            "tapeflow.saved_model.", "tapeflow.summary.")
# Packages that are public namespaces themselves (tf.saved_model, tf.summary): walked as the
# tapeflow.api modules are; their submodules are internal.
NAMESPACE_PACKAGES = ("tapeflow.saved_model", "tapeflow.summary")


def public_functions() -> dict[int, list[str]]:
    """id(function) -> the paths it is reachable by (`add`, `math.add`), for every public
    function of the API. Classes are not functions (their methods are tested with them).

    `tapeflow` itself, the `tapeflow.api` modules (tf.math, tf.nn, ...) and namespaces
    (tf.keras.layers) re-export: every public function in them counts. Any other module
    reachable from them (tf.data, its submodules) counts the functions it defines or lists
    in `__all__`, not the helpers it imports."""
    found: dict[int, list[str]] = {}
    seen_namespaces: set[int] = set()

    def walk(namespace, prefix: str, reexports: bool) -> None:
        if id(namespace) in seen_namespaces:
            return
        seen_namespaces.add(id(namespace))
        exported = set(getattr(namespace, "__all__", ()))
        for name in sorted(dir(namespace)):
            if name.startswith("_"):
                continue
            obj = getattr(namespace, name)
            path = prefix + name
            if isinstance(obj, types.ModuleType):
                if obj.__name__.startswith("tapeflow.") and not obj.__name__.startswith(
                        INTERNAL):
                    walk(obj, path + ".", reexports=obj.__name__ in NAMESPACE_PACKAGES)
            elif isinstance(obj, types.SimpleNamespace):
                walk(obj, path + ".", reexports=True)
            elif inspect.isclass(obj):
                continue
            elif callable(obj) and (getattr(obj, "__module__", None) or "").startswith(
                    "tapeflow") and (reexports or name in exported
                                     or obj.__module__ == namespace.__name__):
                found.setdefault(id(obj), []).append(path)

    walk(tf, "", reexports=True)
    # tf.math, tf.nn, ... are modules of tapeflow.api (tf.saved_model and tf.summary packages
    # of their own): walk them under their public names.
    for name in sorted(dir(tf)):
        obj = getattr(tf, name)
        if isinstance(obj, types.ModuleType) and (obj.__name__.startswith("tapeflow.api.")
                                                  or obj.__name__ in NAMESPACE_PACKAGES):
            walk(obj, name + ".", reexports=True)
    return found


def resolve(path: str):
    obj = tf
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


# --------------------------------------------------------------------------------------------
# Argument makers: rng -> a numpy input of the call
# --------------------------------------------------------------------------------------------


def floats(shape, lo=0.5, hi=2.0, dtype=np.float32):
    return lambda rng: rng.uniform(lo, hi, shape).astype(dtype)


def ints(shape, lo, hi, dtype=np.int32):
    return lambda rng: rng.integers(lo, hi, shape).astype(dtype)


def bools(shape):
    return lambda rng: rng.random(shape) < 0.5


@dataclass(frozen=True)
class Row:
    inputs: list  # makers of the traced tensor arguments
    call: Callable  # call(*tensors) -> what the step returns


X = floats((3, 4))


def unary(path, **kw):
    return Row([X], lambda x: resolve(path)(x, **kw))


def binary(path):
    return Row([X, floats((3, 4))], lambda x, y: resolve(path)(x, y))


ROWS: dict[str, Row] = {
    **{p: unary(p) for p in [
        "abs", "cos", "exp", "log", "math.log1p", "negative", "sigmoid", "sign", "sin",
        "math.softplus", "sqrt", "square", "tan", "tanh", "nn.relu", "nn.softmax",
        "nn.log_softmax", "identity", "stop_gradient", "ones_like", "zeros_like",
        "reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod",
        "reduce_logsumexp", "norm", "transpose", "shape", "unstack", "convert_to_tensor",
        "constant", "acosh", "asinh", "atan", "ceil", "cosh", "floor", "round", "sinh",
        "math.erf", "math.expm1", "nn.elu", "nn.gelu", "nn.leaky_relu", "nn.log_sigmoid",
        "nn.relu6", "nn.selu", "nn.silu", "nn.softsign",
    ]},
    **{p: Row([floats((3, 4), -0.9, 0.9)], lambda x, p=p: resolve(p)(x))
       for p in ["acos", "asin", "atanh"]},
    **{p: binary(p) for p in [
        "add", "subtract", "multiply", "divide", "maximum", "minimum", "pow", "math.floordiv",
        "math.mod", "atan2", "equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
    ]},
    "logical_and": Row([bools((3, 4)), bools((3, 4))], tf.logical_and),
    "nn.conv2d": Row([floats((1, 5, 5, 2)), floats((3, 3, 2, 4))],
                     lambda x, w: tf.nn.conv2d(x, w, 1, "SAME")),
    "image.adjust_contrast": Row([floats((2, 3, 4, 3))],
                                 lambda x: tf.image.adjust_contrast(x, 0.5)),
    "logical_or": Row([bools((3, 4)), bools((3, 4))], tf.logical_or),
    "logical_not": Row([bools((3, 4))], tf.logical_not),
    "reduce_all": Row([bools((3, 4))], lambda b: tf.reduce_all(b, axis=1)),
    "reduce_any": Row([bools((3, 4))], lambda b: tf.reduce_any(b, axis=0)),
    "matmul": Row([X, floats((4, 2))], tf.matmul),
    "tensordot": Row([X, floats((4, 2))], lambda a, b: tf.tensordot(a, b, 1)),
    "broadcast_to": Row([floats((1, 4))], lambda x: tf.broadcast_to(x, (3, 4))),
    "cast": Row([X], lambda x: tf.cast(x, tf.float64)),
    "clip_by_value": Row([X, floats(()), floats((), 2.0, 3.0)], tf.clip_by_value),
    "concat": Row([X, floats((2, 4))], lambda x, y: tf.concat([x, y], 0)),
    "expand_dims": Row([X], lambda x: tf.expand_dims(x, 1)),
    "squeeze": Row([floats((3, 1, 4))], lambda x: tf.squeeze(x, 1)),
    "stack": Row([X, floats((3, 4))], lambda x, y: tf.stack([x, y], 1)),
    "tile": Row([X], lambda x: tf.tile(x, [2, 1])),
    "reshape": Row([X], lambda x: tf.reshape(x, [4, 3])),
    "fill": Row([floats(())], lambda v: tf.fill([2, 3], v)),
    "gather": Row([X, ints((5,), 0, 3)], tf.gather),
    "where": Row([bools((3, 4)), X, floats((3, 4))], tf.where),
    "ones": Row([X], lambda x: x + tf.ones((3, 4))),
    "zeros": Row([X], lambda x: x + tf.zeros((3, 4))),
    "range": Row([X], lambda x: x + tf.cast(tf.range(4), tf.float32)),
    "eye": Row([X], lambda x: x[:, :3] + tf.eye(3)),
    "linspace": Row([floats(()), floats((), 3.0, 4.0)], lambda a, b: tf.linspace(a, b, 5)),
    "meshgrid": Row([floats((3,)), floats((2,))], lambda a, b: tf.meshgrid(a, b)),
    "one_hot": Row([ints((5,), 0, 4)], lambda i: tf.one_hot(i, 4)),
    # ops/sorting.py, scans.py, layout.py, scatter.py: indices are checked in the kernel.
    **{p: unary(p) for p in [
        "argmax", "argmin", "argsort", "sort", "cumsum", "math.cumprod",
        "math.reduce_std", "math.reduce_variance",
    ]},
    "nn.top_k": Row([X], lambda x: tf.math.top_k(x, 2)),
    "math.logical_xor": Row([bools((3, 4)), bools((3, 4))], tf.math.logical_xor),
    "pad": Row([X], lambda x: tf.pad(x, [[1, 0], [2, 1]], "REFLECT")),
    "reverse": Row([X], lambda x: tf.reverse(x, [1])),
    "roll": Row([X], lambda x: tf.roll(x, 1, 0)),
    "slice": Row([X], lambda x: tf.slice(x, [1, 0], [2, -1])),
    "split": Row([X], lambda x: tf.split(x, [1, 3], 1)),
    "gather_nd": Row([X, ints((5, 2), 0, 3)], tf.gather_nd),
    "scatter_nd": Row([ints((5, 1), 0, 3), floats((5, 4))],
                      lambda i, u: tf.scatter_nd(i, u, [3, 4])),
    "tensor_scatter_nd_update": Row([X, ints((2, 2), 0, 3), floats((2,))],
                                    tf.tensor_scatter_nd_update),
    "tensor_scatter_nd_add": Row([X, ints((2, 1), 0, 3), floats((2, 4))],
                                 tf.tensor_scatter_nd_add),
    "tensor_scatter_nd_sub": Row([X, ints((2, 1), 0, 3), floats((2, 4))],
                                 tf.tensor_scatter_nd_sub),
    "einsum": Row([X, floats((4, 2))], lambda a, b: tf.einsum("ij,jk->ik", a, b)),
    "linalg.inv": Row([floats((3, 3))], lambda x: tf.linalg.inv(x + 3.0 * tf.eye(3))),
    "linalg.det": Row([floats((3, 3))], tf.linalg.det),
    "linalg.solve": Row([floats((3, 3)), floats((3, 2))],
                        lambda a, b: tf.linalg.solve(a + 3.0 * tf.eye(3), b)),
    "linalg.cholesky": Row([floats((3, 3))], lambda x: tf.linalg.cholesky(
        tf.matmul(x, x, transpose_b=True) + 3.0 * tf.eye(3))),
    "linalg.svd": Row([X], tf.linalg.svd),
    "linalg.qr": Row([X], lambda x: tf.linalg.qr(x, full_matrices=True)),
    "linalg.eigh": Row([floats((3, 3))], tf.linalg.eigh),
    "linalg.eigvalsh": Row([floats((3, 3))], tf.linalg.eigvalsh),
    "linalg.matrix_transpose": unary("linalg.matrix_transpose"),
    # The TF op sweep's additions (tests/conformance/tf_ops).
    "add_n": Row([X, floats((3, 4))], lambda x, y: tf.add_n([x, y, x])),
    "truncatediv": Row([ints((3, 4), -9, 9), ints((3, 4), 1, 4)], tf.truncatediv),
    "truncatemod": Row([ints((3, 4), -9, 9), ints((3, 4), 1, 4)], tf.truncatemod),
    "math.erfc": unary("math.erfc"),
    "math.conj": unary("math.conj"),
    "strided_slice": Row([X], lambda x: tf.strided_slice(x, [0, 1], [3, 4], [2, 1])),
    "broadcast_dynamic_shape": Row([X], lambda x: x + tf.cast(tf.reduce_sum(
        tf.broadcast_dynamic_shape(tf.shape(x), [1, 4])), tf.float32)),
    "broadcast_static_shape": Row([X], lambda x: tf.reshape(
        x, tf.broadcast_static_shape(x.shape, tf.TensorShape([1, 4])).as_list())),
    "tensor_scatter_nd_max": Row([X, ints((2, 1), 0, 3), floats((2, 4))],
                                 tf.tensor_scatter_nd_max),
    "tensor_scatter_nd_min": Row([X, ints((2, 1), 0, 3), floats((2, 4))],
                                 tf.tensor_scatter_nd_min),
    "linalg.adjoint": unary("linalg.adjoint"),
    "linalg.band_part": Row([floats((4, 4))], lambda x: tf.linalg.band_part(x, 1, 0)),
    "linalg.cross": Row([floats((2, 3)), floats((2, 3))], tf.linalg.cross),
    "linalg.diag": Row([floats((2, 3))], tf.linalg.diag),
    "linalg.diag_part": Row([floats((2, 3, 3))], tf.linalg.diag_part),
    "linalg.set_diag": Row([floats((2, 3, 3)), floats((2, 3))], tf.linalg.set_diag),
    "linalg.tensor_diag": Row([floats((3,))], tf.linalg.tensor_diag),
    "linalg.tensor_diag_part": Row([floats((3, 3))], tf.linalg.tensor_diag_part),
    "linalg.trace": Row([floats((2, 3, 3))], tf.linalg.trace),
    "linalg.matvec": Row([floats((3, 4)), floats((4,))], tf.linalg.matvec),
    "linalg.normalize": Row([X], lambda x: tf.linalg.normalize(x, axis=1)[0]),
    "linalg.slogdet": Row([floats((3, 3))], lambda x: tf.linalg.slogdet(x + 3.0 * tf.eye(3))),
    "linalg.logdet": Row([floats((3, 3))], lambda x: tf.linalg.logdet(
        tf.matmul(x, x, transpose_b=True) + 3.0 * tf.eye(3))),
    "linalg.triangular_solve": Row([floats((3, 3)), floats((3, 2))], lambda a, b:
                                   tf.linalg.triangular_solve(a + 3.0 * tf.eye(3), b)),
    "linalg.lstsq": Row([floats((4, 3)), floats((4, 2))], tf.linalg.lstsq),
    # sweep-linalg3: LU and expm primitives, composites of the SVD and triangular solves.
    "linalg.lu": Row([floats((3, 3))], lambda x: tf.linalg.lu(x + 3.0 * tf.eye(3))),
    "linalg.lu_solve": Row([floats((3, 3)), floats((3, 2))], lambda a, b: tf.linalg.lu_solve(
        *tf.linalg.lu(a + 3.0 * tf.eye(3)), b)),
    "linalg.lu_reconstruct": Row([floats((2, 3, 3))], lambda x: tf.linalg.lu_reconstruct(
        *tf.linalg.lu(x + 3.0 * tf.eye(3)))),
    "linalg.lu_matrix_inverse": Row([floats((3, 3))], lambda x: tf.linalg.lu_matrix_inverse(
        *tf.linalg.lu(x + 3.0 * tf.eye(3)))),
    "linalg.expm": Row([floats((2, 3, 3))], tf.linalg.expm),
    "linalg.pinv": Row([X], tf.linalg.pinv),
    "linalg.matrix_rank": Row([X], tf.linalg.matrix_rank),
    "linalg.cholesky_solve": Row([floats((3, 3)), floats((3, 2))], lambda a, b:
                                 tf.linalg.cholesky_solve(tf.linalg.cholesky(
                                     tf.matmul(a, a, transpose_b=True) + tf.eye(3)), b)),
    "linalg.tridiagonal_solve": Row([floats((3, 4), 2.0, 3.0), floats((4,))], lambda d, b:
                                    tf.linalg.tridiagonal_solve(d * [[0.1], [1.0], [0.1]], b)),
    "linalg.banded_triangular_solve": Row([floats((2, 3)), floats((3, 2))],
                                          tf.linalg.banded_triangular_solve),
    "linalg.global_norm": Row([X, floats((2,))], lambda a, b: tf.linalg.global_norm(
        [a, None, b])),
    **{p: Row([floats((1, 6, 6, 2))], lambda x, p=p: resolve(p)(x, 2, 2, "SAME"))
       for p in ["nn.avg_pool", "nn.avg_pool2d", "nn.max_pool", "nn.max_pool2d"]},
    **{p: Row([floats((1, 6, 2))], lambda x, p=p: resolve(p)(x, 2, 2, "VALID"))
       for p in ["nn.avg_pool1d", "nn.max_pool1d"]},
    "nn.conv1d": Row([floats((1, 6, 2)), floats((3, 2, 4))],
                     lambda x, w: tf.nn.conv1d(x, w, 1, "SAME")),
    "nn.conv2d_transpose": Row([floats((1, 3, 3, 2)), floats((3, 3, 4, 2))],
                               lambda x, w: tf.nn.conv2d_transpose(x, w, [1, 6, 6, 4], 2)),
    "nn.depthwise_conv2d": Row([floats((1, 6, 6, 2)), floats((3, 3, 2, 2))], lambda x, w:
                               tf.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "SAME")),
    "nn.bias_add": Row([X, floats((4,))], tf.nn.bias_add),
    "nn.l2_loss": unary("nn.l2_loss"),
    "nn.crelu": unary("nn.crelu"),
    "nn.batch_normalization": Row([X, floats((4,)), floats((4,)), floats((4,)),
                                   floats((4,))],
                                  lambda x, m, v, o, s: tf.nn.batch_normalization(
                                      x, m, v, o, s, 1e-3)),
    "nn.normalize_moments": Row([floats(()), floats((4,)), floats((4,))],
                                lambda n, m, v: tf.nn.normalize_moments(n, m, v, None)),
    "nn.weighted_cross_entropy_with_logits": Row(
        [floats((3, 4), 0.0, 1.0), X], lambda y, z: tf.nn.weighted_cross_entropy_with_logits(
            y, z, 2.0)),
    "nn.log_poisson_loss": Row([X, floats((3, 4))], tf.nn.log_poisson_loss),
    "nn.compute_average_loss": Row([floats((5,))],
                                   lambda x: tf.nn.compute_average_loss(x)),
    "nn.scale_regularization_loss": Row([floats(())], tf.nn.scale_regularization_loss),
    "nn.dropout": Row([X], lambda x: tf.nn.dropout(x, 0.5)),
    "nn.embedding_lookup": Row([X, ints((5,), 0, 3)], tf.nn.embedding_lookup),
    "random.shuffle": Row([X], tf.random.shuffle),
    "random.gamma": Row([floats((3,))], lambda a: tf.random.gamma([2], a)),
    "random.poisson": Row([floats((3,))], lambda r: tf.random.poisson([2], r)),
    **{p: Row([ints((3, 4), 0, 16), ints((3, 4), 0, 16)], lambda a, b, p=p: resolve(p)(a, b))
       for p in ["bitwise.bitwise_and", "bitwise.bitwise_or", "bitwise.bitwise_xor"]},
    **{p: Row([ints((3, 4), 0, 16), ints((3, 4), 0, 4)], lambda a, b, p=p: resolve(p)(a, b))
       for p in ["bitwise.left_shift", "bitwise.right_shift"]},
    "bitwise.invert": Row([ints((3, 4), 0, 16)], tf.bitwise.invert),
    "complex": Row([X, floats((3, 4))], lambda a, b: tf.math.real(tf.complex(a, b) * 2.0)),
    **{p: Row([X, floats((3, 4))], lambda a, b, p=p: tf.math.abs(resolve(p)(
        tf.complex(a, b)))) for p in ["math.real", "math.imag", "math.angle"]},
    **{p: unary(p) for p in [
        "math.lgamma", "math.digamma", "math.reciprocal_no_nan", "math.is_non_decreasing",
        "math.is_strictly_increasing"]},
    "math.polygamma": Row([X], lambda x: tf.math.polygamma(tf.ones_like(x), x)),
    "math.erfinv": Row([floats((3, 4), -0.9, 0.9)], tf.math.erfinv),
    "math.ndtri": Row([floats((3, 4), 0.1, 0.9)], tf.math.ndtri),
    **{p: binary(p) for p in ["math.xlogy", "math.xlog1py", "math.xdivy",
                              "math.multiply_no_nan"]},
    "math.accumulate_n": Row([X, floats((3, 4))], lambda a, b: tf.math.accumulate_n([a, b])),
    "math.cumulative_logsumexp": Row([X], lambda x: tf.math.cumulative_logsumexp(x, 1)),
    "math.scalar_mul": Row([X], lambda x: tf.math.scalar_mul(2.0, x)),
    "math.polyval": Row([floats(()), floats(()), X], lambda a, b, x: tf.math.polyval([a, b], x)),
    "saturate_cast": Row([floats((3, 4), -300.0, 300.0)], lambda x: tf.saturate_cast(x, tf.uint8)),
    "math.in_top_k": Row([floats((3, 4)), ints((3,), 0, 4)],
                         lambda p, t: tf.math.in_top_k(t, p, 2)),
    **{p: Row([X, ints((3,), 0, 2)], lambda x, ids, p=p: resolve(p)(x, ids, 2))
       for p in ["math.unsorted_segment_sum", "math.unsorted_segment_mean",
                 "math.unsorted_segment_max", "math.unsorted_segment_min",
                 "math.unsorted_segment_prod", "math.unsorted_segment_sqrt_n"]},
    # Control flow on Python values (a tensor predicate is a guard by design).
    "cond": Row([X], lambda x: tf.cond(True, lambda: x * 2.0, lambda: x)),
    "case": Row([X], lambda x: tf.case([(False, lambda: x)], default=lambda: x + 1.0)),
    "switch_case": Row([X], lambda x: tf.switch_case(1, [lambda: x, lambda: x * 3.0])),
    "while_loop": Row([X], lambda x: tf.while_loop(lambda i, y: i < 3,
                                                   lambda i, y: (i + 1, y * 0.5), (0, x))[1]),
    "scan": Row([X], lambda x: tf.scan(lambda a, e: a + e, x)),
    "foldl": Row([X], lambda x: tf.foldl(lambda a, e: a * e, x)),
    "foldr": Row([X], lambda x: tf.foldr(lambda a, e: a - e, x)),
    "map_fn": Row([X], lambda x: tf.map_fn(tf.reduce_sum, x)),
    "vectorized_map": Row([X], lambda x: tf.vectorized_map(lambda r: r * r, x)),
    **{p: unary(p) for p in [
        "math.reciprocal", "math.rsqrt", "math.is_nan", "math.is_inf", "math.is_finite",
        "math.count_nonzero", "math.reduce_euclidean_norm", "nn.l2_normalize",
    ]},
    "nn.moments": Row([X], lambda x: tf.nn.moments(x, axes=[0])),
    "math.squared_difference": binary("math.squared_difference"),
    "math.divide_no_nan": binary("math.divide_no_nan"),
    "nn.softmax_cross_entropy_with_logits": Row(
        [floats((5, 4)), floats((5, 4), -3.0, 3.0)],
        lambda z, x: tf.nn.softmax_cross_entropy_with_logits(labels=z, logits=x)),
    "nn.sigmoid_cross_entropy_with_logits": Row(
        [floats((5,), 0.0, 1.0), floats((5,), -3.0, 3.0)],
        lambda z, x: tf.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x)),
    "nn.sparse_softmax_cross_entropy_with_logits": Row(
        [ints((5,), 0, 10), floats((5, 10), -3.0, 3.0)],
        lambda labels, logits: tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=labels, logits=logits)),
    "random.normal": Row([X], lambda x: x * tf.random.normal((3, 4))),
    "random.uniform": Row([X], lambda x: x * tf.random.uniform((3, 4), -1.0, 1.0)),
    "random.truncated_normal": Row([X], lambda x: x * tf.random.truncated_normal((3, 4))),
    "random.categorical": Row([floats((2, 4), -1.0, 1.0)],
                              lambda z: tf.random.categorical(z, 3)),
    "random.stateless_categorical": Row(
        [floats((2, 4), -1.0, 1.0), ints((2,), 0, 1000)],
        lambda z, s: tf.random.stateless_categorical(z, 3, seed=s)),
    "random.stateless_normal": Row([ints((2,), 0, 1000)],
                                   lambda s: tf.random.stateless_normal((3,), seed=s)),
    "random.stateless_uniform": Row([ints((2,), 0, 1000)],
                                    lambda s: tf.random.stateless_uniform((3,), seed=s)),
    "random.stateless_truncated_normal": Row(
        [ints((2,), 0, 1000)], lambda s: tf.random.stateless_truncated_normal((3,), seed=s)),
    # sweep-linalg3: stateless samplers and seeds, pure functions of the seed tensor.
    "random.stateless_gamma": Row([ints((2,), 0, 1000), floats((3,))], lambda s, a:
                                  tf.random.stateless_gamma((2, 3), seed=s, alpha=a)),
    "random.stateless_poisson": Row([ints((2,), 0, 1000), floats((3,), 1.0, 20.0)], lambda s, lam:
                                    tf.random.stateless_poisson((2, 3), seed=s, lam=lam)),
    "random.stateless_binomial": Row(
        [ints((2,), 0, 1000), floats((3,), 1.0, 50.0), floats((3,), 0.1, 0.9)],
        lambda s, n, p: tf.random.stateless_binomial((2, 3), seed=s, counts=n, probs=p)),
    "random.stateless_parameterized_truncated_normal": Row(
        [ints((2,), 0, 1000), floats((3,))],
        lambda s, m: tf.random.stateless_parameterized_truncated_normal(
            (2, 3), seed=s, means=m, minvals=m - 1.0, maxvals=m + 0.5)),
    "random.fold_in": Row([ints((2,), 0, 1000), ints((), 0, 9)], tf.random.fold_in),
    "random.split": Row([ints((2,), 0, 1000)], lambda s: tf.random.split(s, 3)),
    "size": Row([X], tf.size),
    "rank": Row([X], tf.rank),
    "print": Row([X], lambda x: tf.print("x:", x, output_stream=io.StringIO()) or x),
}

# tf.clip_by_* and tf.keras' functions (losses and metrics take targets and predictions).
PROBS = floats((3, 4), 0.05, 0.95)
ROWS.update({
    "debugging.check_numerics": Row([X], lambda x: tf.debugging.check_numerics(x, "x")),
    "clip_by_norm": Row([X], lambda x: tf.clip_by_norm(x, 1.0)),
    "clip_by_global_norm": Row([X, floats((2,))],
                               lambda a, b: tf.clip_by_global_norm([a, b], 1.0)),
    **{f"keras.activations.{n}": unary(f"keras.activations.{n}") for n in [
        "elu", "exponential", "gelu", "leaky_relu", "linear", "relu", "selu", "sigmoid",
        "silu", "softmax", "softplus", "tanh", "celu", "glu", "hard_sigmoid", "hard_silu",
        "hard_tanh", "hard_shrink", "soft_shrink", "tanh_shrink", "log_sigmoid",
        "log_softmax", "mish", "relu6", "softsign", "sparse_plus", "sparse_sigmoid",
        "squareplus"]},
    "keras.activations.threshold": Row([X], lambda x: tf.keras.activations.threshold(x, 1.0, 0.0)),
    **{f"keras.losses.{n}": Row([floats((3, 4)), floats((3, 4))],
                                lambda t, p, n=n: resolve(f"keras.losses.{n}")(t, p))
       for n in ["mean_squared_error", "mean_absolute_error", "huber", "mean_absolute_percentage_error",
                 "mean_squared_logarithmic_error", "log_cosh", "poisson", "cosine_similarity",
                 "hinge", "squared_hinge"]},
    **{f"keras.losses.{n}": Row([floats((3, 4), 0.0, 1.0), PROBS],
                                lambda t, p, n=n: resolve(f"keras.losses.{n}")(t, p))
       for n in ["binary_crossentropy", "categorical_crossentropy", "kl_divergence",
                 "categorical_hinge"]},
    "keras.losses.sparse_categorical_crossentropy": Row(
        [ints((3,), 0, 4), PROBS],
        lambda t, p: tf.keras.losses.sparse_categorical_crossentropy(t, p)),
    "keras.metrics.accuracy": Row([ints((5,), 0, 3), ints((5,), 0, 3)],
                                  tf.keras.metrics.accuracy),
    "keras.metrics.binary_accuracy": Row([floats((3, 4), 0.0, 1.0), PROBS],
                                         tf.keras.metrics.binary_accuracy),
    "keras.metrics.categorical_accuracy": Row([PROBS, PROBS],
                                              tf.keras.metrics.categorical_accuracy),
    "keras.metrics.sparse_categorical_accuracy": Row(
        [ints((3,), 0, 4), PROBS], tf.keras.metrics.sparse_categorical_accuracy),
    "keras.metrics.top_k_categorical_accuracy": Row(
        [PROBS, PROBS], lambda t, p: tf.keras.metrics.top_k_categorical_accuracy(t, p, k=2)),
    "keras.metrics.sparse_top_k_categorical_accuracy": Row(
        [ints((3,), 0, 4), PROBS],
        lambda t, p: tf.keras.metrics.sparse_top_k_categorical_accuracy(t, p, k=2)),
})

# ---- sweep-image: tf.image (tests/ops/test_image_ops.py, tests/ops/test_image_random.py) ----
IMG = floats((2, 5, 6, 3), 0.0, 1.0)
UINT8_IMG = ints((2, 5, 6, 3), 0, 256, np.uint8)
ROWS.update({
    **{f"image.{n}": Row([IMG], lambda x, n=n: resolve(f"image.{n}")(x)) for n in [
        "flip_left_right", "flip_up_down", "rot90", "transpose", "rgb_to_grayscale",
        "rgb_to_hsv", "hsv_to_rgb", "per_image_standardization", "total_variation",
        "image_gradients", "sobel_edges", "random_flip_left_right", "random_flip_up_down"]},
    "image.central_crop": Row([IMG], lambda x: tf.image.central_crop(x, 0.5)),
    "image.crop_to_bounding_box": Row([IMG],
                                      lambda x: tf.image.crop_to_bounding_box(x, 1, 2, 3, 3)),
    "image.pad_to_bounding_box": Row([IMG],
                                     lambda x: tf.image.pad_to_bounding_box(x, 1, 2, 7, 9)),
    "image.resize_with_crop_or_pad": Row([IMG],
                                         lambda x: tf.image.resize_with_crop_or_pad(x, 3, 8)),
    "image.resize": Row([IMG], lambda x: tf.image.resize(x, [7, 4])),
    "image.resize_with_pad": Row([IMG], lambda x: tf.image.resize_with_pad(x, 8, 8)),
    "image.convert_image_dtype": Row([UINT8_IMG],
                                     lambda x: tf.image.convert_image_dtype(x, tf.float32)),
    "image.grayscale_to_rgb": Row([floats((2, 5, 6, 1))], tf.image.grayscale_to_rgb),
    "image.adjust_brightness": Row([UINT8_IMG], lambda x: tf.image.adjust_brightness(x, 0.1)),
    "image.adjust_saturation": Row([IMG], lambda x: tf.image.adjust_saturation(x, 1.5)),
    "image.adjust_hue": Row([IMG], lambda x: tf.image.adjust_hue(x, 0.2)),
    "image.adjust_gamma": Row([IMG], lambda x: tf.image.adjust_gamma(x, 2.0)),
    "image.psnr": Row([IMG, IMG], lambda a, b: tf.image.psnr(a, b, 1.0)),
    "image.ssim": Row([IMG, IMG], lambda a, b: tf.image.ssim(a, b, 1.0, filter_size=3)),
    "image.extract_patches": Row([IMG], lambda x: tf.image.extract_patches(
        x, [1, 2, 2, 1], [1, 2, 2, 1], [1, 1, 1, 1], "VALID")),
    "image.random_brightness": Row([IMG], lambda x: tf.image.random_brightness(x, 0.2)),
    "image.random_contrast": Row([IMG], lambda x: tf.image.random_contrast(x, 0.5, 1.5)),
    "image.random_saturation": Row([IMG], lambda x: tf.image.random_saturation(x, 0.5, 1.5)),
    "image.random_hue": Row([IMG], lambda x: tf.image.random_hue(x, 0.2)),
    "image.random_crop": Row([IMG], lambda x: tf.image.random_crop(x, [2, 3, 3, 3])),
    **{f"image.stateless_random_{n}": Row(
        [IMG, ints((2,), 0, 1000)], lambda x, s, n=n: resolve(f"image.stateless_random_{n}")(
            x, *([0.2] if n == "brightness" else []), seed=s))
       for n in ["flip_left_right", "flip_up_down", "brightness"]},
})


# Public functions that take no tensors to trace: decorators, configuration, dtype lookup.
NOT_TENSOR_FUNCTIONS = {
    **{f"data.experimental.{n}": "tf.data pipeline functions: datasets, not tensors "
                                 "(tests/data/test_nested_and_streams.py)"
       for n in ["assert_cardinality", "cardinality", "choose_from_datasets",
                 "sample_from_datasets"]},
    **{p: "a size that depends on the segment ids' values: eager or on constants; traced "
          "values raise DataDependentShapeError (tests/ops/test_math2.py)"
       for p in ["math.segment_sum", "math.segment_mean", "math.segment_max",
                 "math.segment_min", "math.segment_prod"]},
    "math.bincount": "a size that depends on values (unless minlength >= maxlength): "
                     "tests/ops/test_math2.py",
    "math.confusion_matrix": "a size that depends on values without num_classes: "
                             "tests/ops/test_math2.py",
    "debugging.enable_check_numerics": "a switch; tests/api/test_debugging.py",
    "debugging.disable_check_numerics": "a switch; tests/api/test_debugging.py",
    "function": "the decorator itself",
    "custom_gradient": "a decorator; the op table checks the primitive it makes",
    "recompute_grad": "a decorator returning the function (tests/tracer/test_tape.py)",
    "as_dtype": "maps dtype names; takes no tensor",
    "boolean_mask": "a size that depends on values: refused under tracing by design "
                    "(tests/ops/test_dynamic.py)",
    "unique": "a size that depends on values: refused under tracing (tests/ops/test_dynamic.py)",
    "math.unique_with_counts": "a size that depends on values: refused under tracing "
                               "(tests/ops/test_dynamic.py)",
    "random.set_seed": "configuration; tests/tracer/test_random.py",
    "random.get_global_generator": "configuration; tests/tracer/test_random.py",
    "random.set_global_generator": "configuration; tests/tracer/test_random.py",
    "train.latest_checkpoint": "reads a directory; tests/checkpoint",
    "train.list_variables": "reads a checkpoint file; tests/conformance/test_checkpoint_listing.py",
    "train.load_variable": "reads a checkpoint file; tests/conformance/test_checkpoint_listing.py",
    "saved_model.save": "writes a directory; tests/conformance/test_saved_model.py",
    "saved_model.load": "reads a directory; tests/conformance/test_saved_model.py",
    **{f"summary.{name}": "writes event files (under tracing, on every call, as tf.print); "
                          "tests/conformance/test_summary.py" for name in [
        "create_file_writer", "experimental.get_step", "experimental.set_step", "histogram",
        "scalar", "text", "trace_export", "trace_off", "trace_on"]},
    **{f"profiler.experimental.{name}": "profiles the host; tests/conformance/test_summary.py"
       for name in ["Profile", "start", "stop"]},
    **{f"config.{name}": "configuration; tests/api/test_general.py" for name in [
        "functions_run_eagerly", "get_visible_devices", "list_logical_devices",
        "list_physical_devices", "run_functions_eagerly", "set_visible_devices",
        "experimental.disable_op_determinism", "experimental.enable_op_determinism",
        "experimental.is_op_determinism_enabled", "experimental.set_memory_growth"]},
    "config.experimental_run_functions_eagerly": "configuration (TF's older name of "
                                                 "run_functions_eagerly); "
                                                 "tests/api/test_tf_fidelity.py",
    "device": "a context manager for device names; tests/api/test_general.py",
    "init_scope": "a context manager; tests/api/test_general.py",
    "executing_eagerly": "reports the tracing state; tests/api/test_general.py",
    "errors.error_code_from_exception_type": "maps error classes; tests/api/test_tf_errors.py",
    "errors.exception_type_from_error_code": "maps error codes; tests/api/test_tf_errors.py",
    **{f"autograph.{name}": "source and graph text; tests/api/test_api_extras.py"
       for name in ["to_code", "to_graph", "set_verbosity", "experimental.do_not_convert"]},
    **{name: "eager only (raises under tracing by design); tests/api/test_api_extras.py"
       for name in ["py_function", "numpy_function"]},
    **{f"strings.{name}": "eager only: string tensors raise under tracing when they depend "
       "on traced values; tests/api/test_dtypes_more.py" for name in [
        "as_string", "bytes_split", "format", "join", "length", "lower", "reduce_join",
        "regex_full_match", "regex_replace", "split", "strip", "substr", "to_number",
        "unicode_decode", "unicode_split", "upper"]},
    "io.decode_raw": "eager only (strings); tests/api/test_dtypes_more.py",
    "ragged.constant": "eager ragged containers; tests/api/test_dtypes_more.py",
    **{f"sparse.{name}": "eager sparse containers; tests/api/test_dtypes_more.py"
       for name in ["to_dense", "from_dense", "reorder", "add", "concat", "expand_dims", "eye",
                    "fill_empty_rows", "map_values", "maximum", "minimum", "reduce_max",
                    "reduce_sum", "reset_shape", "reshape", "retain", "slice", "softmax",
                    "sparse_dense_matmul", "to_indicator", "transpose"]},
    "random.create_rng_state": "makes a constant state from an int seed; takes no tensor "
                               "(tests/tracer/test_random_stateless.py)",
    "keras.Input": "makes a symbolic KerasTensor for the functional API; takes no tensor",
    **{f"keras.{m}.get": "looks a name up; takes no tensor" for m in [
        "activations", "initializers", "losses", "metrics", "optimizers"]},
    "keras.activations.serialize": "names a function; takes no tensor",
    "keras.activations.deserialize": "looks a name up; takes no tensor",
    "keras.initializers.serialize": "describes an initializer; takes no tensor",
    "keras.initializers.deserialize": "looks a name or config up; takes no tensor",
    "keras.models.summary.print_summary": "prints a model's layers (model.summary())",
    "explain_gradient": "reads what a tape recorded and says why a gradient is None; computes "
                        "nothing (tests/tracer/test_explain_gradient.py)",
}


# The debugging sweep: tf.debugging's assertions (value checks run in the kernel) and the
# small top-level helpers (tapeflow/api/asserts.py, tapeflow/api/toplevel.py).
POS = floats((3, 4), 0.5, 2.0)
NEG = floats((3, 4), -2.0, -0.5)
ROWS.update({
    **{p: Row([POS, floats((3, 4), 3.0, 4.0)], lambda a, b, p=p: resolve(p)(a, b) or a)
       for p in ["debugging.assert_less", "debugging.assert_less_equal",
                 "debugging.assert_none_equal"]},
    **{p: Row([floats((3, 4), 3.0, 4.0), POS], lambda a, b, p=p: resolve(p)(a, b) or a)
       for p in ["debugging.assert_greater", "debugging.assert_greater_equal"]},
    "debugging.assert_equal": Row([POS], lambda a: tf.debugging.assert_equal(a, a + 0.0) or a),
    "debugging.assert_near": Row([POS], lambda a: tf.debugging.assert_near(a, a * 1.0) or a),
    **{p: Row([POS], lambda a, p=p: resolve(p)(a) or a)
       for p in ["debugging.assert_positive", "debugging.assert_non_negative"]},
    **{p: Row([NEG], lambda a, p=p: resolve(p)(a) or a)
       for p in ["debugging.assert_negative", "debugging.assert_non_positive"]},
    "debugging.assert_all_finite": Row([POS], lambda a: tf.debugging.assert_all_finite(a, "a")),
    "debugging.assert_integer": Row([ints((3,), 0, 5)],
                                    lambda i: tf.debugging.assert_integer(i) or i),
    "debugging.assert_type": Row([POS], lambda a: tf.debugging.assert_type(a, tf.float32) or a),
    "debugging.assert_scalar": Row([floats(())], lambda a: tf.debugging.assert_scalar(a) or a),
    "debugging.assert_rank": Row([POS], lambda a: tf.debugging.assert_rank(a, 2) or a),
    "debugging.assert_rank_at_least": Row(
        [POS], lambda a: tf.debugging.assert_rank_at_least(a, 1) or a),
    "debugging.assert_rank_in": Row([POS], lambda a: tf.debugging.assert_rank_in(a, [1, 2]) or a),
    "debugging.assert_shapes": Row([POS, floats((3,))], lambda a, b: tf.debugging.assert_shapes(
        [(a, ("N", 4)), (b, ("N",))]) or a),
    "debugging.assert_same_float_dtype": Row([POS], lambda a: a * tf.cast(
        1, tf.debugging.assert_same_float_dtype([a]))),
    "debugging.is_numeric_tensor": Row([POS], lambda a: a * float(
        tf.debugging.is_numeric_tensor(a))),
    "debugging.Assert": Row([POS], lambda a: tf.debugging.Assert(
        tf.reduce_all(a > 0.0), [a, "a"]) or a),
    "is_tensor": Row([POS], lambda a: a * float(tf.is_tensor(a))),
    "get_static_value": Row([POS], lambda a: a if tf.get_static_value(a) is None else -a),
    "ensure_shape": Row([POS], lambda a: tf.ensure_shape(a, [None, 4])),
    "identity_n": Row([POS, floats((2,))], lambda a, b: tf.identity_n([a, b])),
    "parallel_stack": Row([POS, floats((3, 4))], lambda a, b: tf.parallel_stack([a, b])),
    "histogram_fixed_width": Row([POS], lambda a: tf.histogram_fixed_width(a, [0.0, 2.5], 5)),
    "make_ndarray": Row([POS], lambda a: a + tf.make_ndarray(tf.ones((3, 4)))),
    "group": Row([POS], lambda a: tf.group(a) or a),
    "no_op": Row([POS], lambda a: tf.no_op() or a),
    "dynamic_stitch": Row([POS, floats((1, 4))], lambda a, b: tf.dynamic_stitch(
        [tf.constant([0, 2, 1]), tf.constant([3])], [a, b])),
})
NOT_TENSOR_FUNCTIONS.update({
    "dynamic_partition": "a size that depends on the partitions' values: refused under "
                         "tracing as boolean_mask (tests/api/test_asserts.py)",
    "control_dependencies": "a context manager (tests/api/test_asserts.py)",
    "inside_function": "reports the tracing state (tests/api/test_asserts.py)",
    "get_current_name_scope": "reports the name scope; takes no tensor",
    "get_logger": "returns the logging.Logger; takes no tensor",
})


def test_every_public_function_has_a_row():
    covered = {id(resolve(p)) for p in list(ROWS) + list(NOT_TENSOR_FUNCTIONS)}
    missing = sorted(min(paths, key=len) for key, paths in public_functions().items()
                     if key not in covered)
    assert not missing, (
        f"public functions without a row in tests/runtime/test_api_traces_once.py: "
        f"{', '.join(missing)}. Add a Row (inputs and a call) to ROWS, or a reason to "
        "NOT_TENSOR_FUNCTIONS for a function that takes no tensors."
    )


def test_rows_name_public_functions():
    public = {p for paths in public_functions().values() for p in paths}
    stale = sorted(p for p in list(ROWS) + list(NOT_TENSOR_FUNCTIONS) if p not in public)
    assert not stale, f"rows for names that are not public functions: {stale}"


@pytest.mark.parametrize("path", sorted(ROWS))
def test_traces_once_and_records_no_guard(path):
    row = ROWS[path]
    step = tf.function(lambda *xs: row.call(*xs))
    for seed in (1, 2):
        rng = np.random.default_rng(seed)
        step(*[tf.constant(make(rng)) for make in row.inputs])
    guards = [g.where() for paths in step._paths.values() for c in paths for g, _ in c.guards]
    assert not guards, f"{path} recorded value guards: {guards}"
    assert step.experimental_get_tracing_count() == 1, f"{path} traced again"


def test_shape_arguments_from_tf_shape_of_a_none_size_record_no_guard():
    # tf.shape(x) of a symbolic size holds the size itself, not a value to read: reshape,
    # fill, tile and random draws given it stay valid for every size.
    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
    def f(x):
        s = tf.shape(x)
        y = tf.reshape(tf.fill(s, 2.0) * tf.random.uniform(s), s) + x
        return tf.tile(y, tf.shape(tf.ones([2, 1])))

    for n in (2, 5, 9):
        assert f(tf.ones((n, 3))).shape == (2 * n, 3)
    assert f.experimental_get_tracing_count() == 1
    assert [g for cs in f._paths.values() for c in cs for g in c.guards] == []


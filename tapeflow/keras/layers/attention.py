"""Attention layers: `EinsumDense`, `MultiHeadAttention` (Keras 3's einsum projections, weight
names and shapes), and the dot-product `Attention` and `AdditiveAttention` of
[query, value(, key)] lists.

Masks here are explicit arguments (attention_mask, mask=[query_mask, value_mask],
use_causal_mask); tapeflow tensors carry no Keras mask, so an Embedding's mask_zero does not
reach these layers by itself.
"""

from __future__ import annotations

import math
import re

import numpy as np

from tapeflow.keras import activations
from tapeflow.keras.layers.base import Layer
from tapeflow.keras.layers.recurrent import _as_tensor, _initializer_config, _prefix_paths, _tf

# Keras's large negative score for a masked position (float32); softmax makes it 0.
_MASKED = -1e9


# ---- EinsumDense ------------------------------------------------------------------------------

def _einsum_shapes(equation: str, bias_axes, input_shape, output_shape):
    """Keras's reading of an EinsumDense equation: the kernel's shape (each of its letters is
    sized by the input or the output axis with that letter), the bias's (the output's axes
    from the first bias letter on, 1 where a letter is not a bias axis) and the full output
    shape. '...' may stand at the left or the right of the input and output."""
    plain = equation.replace("...", "0")
    forms = (("([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)", False),
             ("0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)", True),
             ("([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0", False))
    for pattern, left_elided in forms:
        match = re.fullmatch(pattern, plain)
        if match:
            break
    else:
        raise ValueError(f"EinsumDense: invalid equation {equation!r}; expected 'ab,bc->ac' "
                         "with '...' at most once on each side, at the left or the right")
    input_spec, weight_spec, output_spec = match.groups()
    input_shape = list(input_shape)
    elided = len(input_shape) - len(input_spec)
    full = [output_shape] if isinstance(output_shape, int) else list(output_shape)
    full.insert(0, input_shape[0])
    if elided > 0 and left_elided:
        for i in range(1, elided):
            full.insert(1, input_shape[i])
    elif elided > 0:
        full.extend(input_shape[len(input_shape) - elided:])
    if left_elided:
        in_axis = {c: i + elided - len(input_shape) for i, c in enumerate(input_spec)}
        out_axis = {c: i + elided - len(full) for i, c in enumerate(output_spec)}
    else:
        in_axis = {c: i for i, c in enumerate(input_spec)}
        out_axis = {c: i for i, c in enumerate(output_spec)}
    for c in input_spec:
        if c in out_axis and full[out_axis[c]] is not None \
                and full[out_axis[c]] != input_shape[in_axis[c]]:
            raise ValueError(f"EinsumDense: output_shape {output_shape} gives axis {c!r} size "
                             f"{full[out_axis[c]]}, the input has {input_shape[in_axis[c]]}")
    kernel_shape = []
    for c in weight_spec:
        if c in in_axis:
            kernel_shape.append(input_shape[in_axis[c]])
        elif c in out_axis:
            kernel_shape.append(full[out_axis[c]])
        else:
            raise ValueError(f"EinsumDense: the kernel's axis {c!r} in {equation!r} is in "
                             "neither the input nor the output")
    if None in kernel_shape:
        raise ValueError(f"EinsumDense: the kernel's shape {kernel_shape} for {equation!r} "
                         f"needs known sizes (input shape {tuple(input_shape)}, output_shape "
                         f"{output_shape})")
    bias_shape = None
    if bias_axes:
        for c in bias_axes:
            if c not in output_spec:
                raise ValueError(f"EinsumDense: bias axis {c!r} is not in the output "
                                 f"{output_spec!r}")
        first = min(output_spec.find(c) for c in bias_axes)
        bias_shape = [full[out_axis[c]] if c in bias_axes else 1 for c in output_spec[first:]]
        if not left_elided:
            bias_shape.extend([1] * elided)
    return kernel_shape, bias_shape, full


class EinsumDense(Layer):
    """y = activation(einsum(equation, x, kernel) + bias): a Dense layer over any axes.
    `output_shape` is the output's shape without the batch axis (None for a size the input
    gives); `bias_axes` names the output letters the bias spans."""

    def __init__(self, equation, output_shape, activation=None, bias_axes=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        self.equation = equation
        self.partial_output_shape = (output_shape if isinstance(output_shape, int)
                                     else tuple(output_shape))
        self.activation = activations.get(activation)
        self.bias_axes = bias_axes
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.kernel = self.bias = None
        self.full_output_shape = None

    def build(self, input_shape):
        kernel_shape, bias_shape, full = _einsum_shapes(
            self.equation, self.bias_axes, input_shape, self.partial_output_shape)
        self.full_output_shape = tuple(full)
        self.kernel = self.add_weight("kernel", kernel_shape,
                                      initializer=self.kernel_initializer)
        if bias_shape is not None:
            self.bias = self.add_weight("bias", bias_shape, initializer=self.bias_initializer)

    def call(self, inputs):
        tf = _tf()
        y = tf.einsum(self.equation, _as_tensor(inputs), self.kernel)
        if self.bias is not None:
            y = y + self.bias
        return self.activation(y)

    def get_config(self) -> dict:
        return {**super().get_config(), "output_shape": self.partial_output_shape,
                "equation": self.equation, "activation": activations.serialize(self.activation),
                "bias_axes": self.bias_axes,
                "kernel_initializer": _initializer_config(self.kernel_initializer),
                "bias_initializer": _initializer_config(self.bias_initializer)}


# ---- MultiHeadAttention -----------------------------------------------------------------------

def _masked_softmax(scores, mask):
    """Softmax over the last axis where `mask` is True; masked positions score -1e9 before
    and 0 after (so a row masked entirely gives zeros, as Keras 3's Softmax)."""
    tf = _tf()
    if mask is None:
        return tf.nn.softmax(scores, axis=-1)
    mask = tf.cast(mask, tf.bool)
    scores = tf.where(mask, scores, tf.constant(_MASKED, scores.dtype))
    return tf.where(mask, tf.nn.softmax(scores, axis=-1), tf.zeros_like(scores))


def _causal_mask(q_len, v_len):
    """(1, T, S): True where the query position i may see value position j <= i."""
    rows = np.arange(q_len)[:, None]
    cols = np.arange(v_len)[None, :]
    return _tf().constant((rows >= cols)[None])


class MultiHeadAttention(Layer):
    """Keras 3's multi-head attention on (batch, time, features) inputs:

        Q = einsum('abc,cde->abde', query, Wq) + bq      (batch, T, heads, key_dim)
        K, V likewise from key (default value) and value
        scores = softmax(einsum('aecd,abcd->acbe', K, Q / sqrt(key_dim)))   (batch, heads, T, S)
        out = einsum('acbe,aecd->abcd', scores, V)
        y = einsum('abcd,cde->abe', out, Wo) + bo          (batch, T, output_dim)

    attention_mask (batch, T, S) hides positions (False/0) from every head."""

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
                 output_shape=None, attention_axes=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", seed=None, **kwargs):
        if attention_axes not in (None, 1, (1,), [1]):
            raise NotImplementedError("MultiHeadAttention: only attention over the time axis "
                                      "(attention_axes=None) is supported by tapeflow")
        super().__init__(**kwargs)
        self.num_heads, self.key_dim = int(num_heads), int(key_dim)
        self.value_dim = int(value_dim) if value_dim else self.key_dim
        self.dropout, self.use_bias, self.seed = float(dropout), bool(use_bias), seed
        self._output_shape_arg = output_shape
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self._query_dense = self._key_dense = self._value_dense = self._output_dense = None
        self._dropout_layer = None

    def __call__(self, *args, **kwargs):
        if not args and "query" in kwargs:  # mha(query=..., value=...), as Keras allows
            args = (kwargs.pop("query"),)
        return super().__call__(*args, **kwargs)

    def _build_from(self, inputs):
        # The projections need the value's and key's shapes too: built in call.
        dtype = getattr(getattr(inputs, "aval", None), "dtype", None)
        if self._dtype is None and dtype is not None and dtype.kind == "f":
            self._dtype = np.dtype(dtype)

    def _dense(self, name, equation, output_shape, bias_axes, input_shape):
        layer = EinsumDense(equation, output_shape, bias_axes=bias_axes if self.use_bias
                            else None, kernel_initializer=self.kernel_initializer,
                            bias_initializer=self.bias_initializer, name=name,
                            dtype=self._dtype)
        layer.build(input_shape)
        _prefix_paths(layer, self.name)
        return layer

    def build(self, query_shape, value_shape, key_shape=None):
        key_shape = value_shape if key_shape is None else key_shape
        for role, shape in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
            if len(shape) != 3 or shape[-1] is None:
                raise ValueError(f"MultiHeadAttention {self.name!r}: the {role} must be "
                                 f"(batch, time, features) with known features, got shape "
                                 f"{tuple(shape)}")
        n = self.num_heads
        self._query_dense = self._dense("query", "abc,cde->abde", (None, n, self.key_dim),
                                        "de", query_shape)
        self._key_dense = self._dense("key", "abc,cde->abde", (None, n, self.key_dim),
                                      "de", key_shape)
        self._value_dense = self._dense("value", "abc,cde->abde", (None, n, self.value_dim),
                                        "de", value_shape)
        out = self._output_shape_arg or query_shape[-1]
        out = (out,) if isinstance(out, int) else tuple(out)
        letters = "efghij"[:len(out)]
        self._output_dense = self._dense(
            "attention_output", f"abcd,cd{letters}->ab{letters}", (None, *out), letters,
            (query_shape[0], query_shape[1], n, self.value_dim))
        if self.dropout > 0:
            from tapeflow.keras.layers.core import Dropout

            self._dropout_layer = Dropout(self.dropout, seed=self.seed)

    def call(self, query, value, key=None, attention_mask=None, return_attention_scores=False,
             training=None, use_causal_mask=False):
        tf = _tf()
        query, value = _as_tensor(query), _as_tensor(value)
        key = value if key is None else _as_tensor(key)
        if self._query_dense is None:
            self.build(tuple(query.aval.shape), tuple(value.aval.shape), tuple(key.aval.shape))
        mask = None
        if attention_mask is not None:
            mask = tf.cast(attention_mask, tf.bool)
        if use_causal_mask:
            causal = _causal_mask(query.aval.shape[1], value.aval.shape[1])
            mask = causal if mask is None else tf.logical_and(mask, causal)
        q = self._query_dense(query)  # (batch, T, heads, key_dim)
        k = self._key_dense(key)
        v = self._value_dense(value)
        q = q * (1.0 / math.sqrt(float(self.key_dim)))
        scores = tf.einsum("aecd,abcd->acbe", k, q)  # (batch, heads, T, S)
        if mask is not None:
            while len(mask.shape) < 4:  # (batch, T, S) -> (batch, 1, T, S): every head
                mask = tf.expand_dims(mask, -3)
        scores = _masked_softmax(scores, mask)
        weights = scores
        if self._dropout_layer is not None:
            weights = self._dropout_layer(scores, training=training)
        out = tf.einsum("acbe,aecd->abcd", weights, v)  # (batch, T, heads, value_dim)
        out = self._output_dense(out)
        if return_attention_scores:
            return out, scores
        return out

    def get_config(self) -> dict:
        return {**super().get_config(), "num_heads": self.num_heads, "key_dim": self.key_dim,
                "value_dim": self.value_dim, "dropout": self.dropout,
                "use_bias": self.use_bias, "output_shape": self._output_shape_arg,
                "attention_axes": None,
                "kernel_initializer": _initializer_config(self.kernel_initializer),
                "bias_initializer": _initializer_config(self.bias_initializer),
                "seed": self.seed}


# ---- Attention and AdditiveAttention ----------------------------------------------------------

class _ListAttention(Layer):
    """What Attention and AdditiveAttention share: inputs [query, value] or [query, value,
    key] of shapes (batch, Tq, dim), (batch, Tv, dim); mask [query_mask, value_mask]."""

    def __init__(self, use_scale, dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.use_scale, self.dropout, self.seed = bool(use_scale), float(dropout), seed
        self.scale = None
        self._dropout_layer = None
        if self.dropout > 0:
            from tapeflow.keras.layers.core import Dropout

            self._dropout_layer = Dropout(self.dropout, seed=seed)

    def _check(self, shapes):
        name = type(self).__name__
        if not isinstance(shapes, list | tuple) or not shapes or \
                not isinstance(shapes[0], list | tuple):
            raise ValueError(f"{name} {self.name!r}: expects a list [query, value] or [query, "
                             f"value, key], got one input of shape {tuple(shapes)}")
        if len(shapes) not in (2, 3):
            raise ValueError(f"{name} {self.name!r}: expects 2 or 3 inputs, got {len(shapes)}")
        for role, s in zip(("query", "value", "key"), shapes):
            if len(s) != 3:
                raise ValueError(f"{name} {self.name!r}: the {role} must be (batch, time, "
                                 f"dim), got shape {tuple(s)}")

    def _scores(self, q, k):
        raise NotImplementedError

    def call(self, inputs, mask=None, training=None, return_attention_scores=False,
             use_causal_mask=False):
        tf = _tf()
        inputs = [_as_tensor(t) for t in inputs]
        self._check([tuple(t.aval.shape) for t in inputs])
        q, v = inputs[0], inputs[1]
        k = inputs[2] if len(inputs) > 2 else v
        q_mask = mask[0] if mask else None
        v_mask = mask[1] if mask else None
        scores = self._scores(q, k)  # (batch, Tq, Tv)
        keep = None
        if v_mask is not None:
            keep = tf.expand_dims(tf.cast(v_mask, tf.bool), -2)  # (batch, 1, Tv)
        if use_causal_mask:
            causal = _causal_mask(q.aval.shape[1], v.aval.shape[1])
            keep = causal if keep is None else tf.logical_and(keep, causal)
        if keep is not None:
            # Keras subtracts 1e9 from a masked score (not a where to -1e9).
            scores = tf.where(keep, scores, scores - 1e9)
        weights = tf.nn.softmax(scores, axis=-1)
        applied = weights
        if self._dropout_layer is not None:
            applied = self._dropout_layer(weights, training=training)
        out = tf.matmul(applied, v)
        if q_mask is not None:
            out = tf.where(tf.expand_dims(tf.cast(q_mask, tf.bool), -1), out,
                           tf.zeros_like(out))
        if return_attention_scores:
            return out, weights
        return out

    def get_config(self) -> dict:
        return {**super().get_config(), "use_scale": self.use_scale, "dropout": self.dropout,
                "seed": self.seed}


class Attention(_ListAttention):
    """Dot-product (Luong) attention: scores = query @ key^T (times a learned scalar `scale`
    with use_scale); score_mode='concat' scores sum(tanh(query_i + key_j)) instead (times
    the scalar `concat_score_weight`). Output softmax(scores) @ value."""

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        if score_mode not in ("dot", "concat"):
            raise ValueError(f"Attention: score_mode must be 'dot' or 'concat', got "
                             f"{score_mode!r}")
        super().__init__(use_scale, dropout, seed, **kwargs)
        self.score_mode = score_mode
        self.concat_score_weight = None

    def build(self, input_shape):
        self._check(input_shape)
        if self.use_scale:
            self.scale = self.add_weight("scale", (), initializer="ones")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight("concat_score_weight", (),
                                                       initializer="ones")

    def _scores(self, q, k):
        tf = _tf()
        if self.score_mode == "dot":
            scores = tf.matmul(q, k, transpose_b=True)
            return scores * self.scale if self.scale is not None else scores
        pairs = tf.expand_dims(q, -2) + tf.expand_dims(k, -3)  # (batch, Tq, Tv, dim)
        if self.scale is not None:
            pairs = self.scale * pairs
        return self.concat_score_weight * tf.reduce_sum(tf.tanh(pairs), axis=-1)

    def get_config(self) -> dict:
        config = super().get_config()
        return {**config, "score_mode": self.score_mode}


class AdditiveAttention(_ListAttention):
    """Additive (Bahdanau) attention: scores = sum(scale * tanh(query_i + key_j)), `scale` a
    learned vector of the features (glorot_uniform) with use_scale (the default)."""

    def __init__(self, use_scale=True, dropout=0.0, seed=None, **kwargs):
        super().__init__(use_scale, dropout, seed, **kwargs)

    def build(self, input_shape):
        self._check(input_shape)
        if self.use_scale:
            self.scale = self.add_weight("scale", (input_shape[0][-1],),
                                         initializer="glorot_uniform")

    def _scores(self, q, k):
        tf = _tf()
        pairs = tf.tanh(tf.expand_dims(q, -2) + tf.expand_dims(k, -3))  # (batch, Tq, Tv, dim)
        if self.scale is not None:
            pairs = self.scale * pairs
        return tf.reduce_sum(pairs, axis=-1)

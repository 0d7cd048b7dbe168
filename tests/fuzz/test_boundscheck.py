"""Fuzzing with Numba's bounds checks: NUMBA_BOUNDSCHECK=1 (read by Numba at import) compiles
index checks into every kernel, and .ci/run runs tests/fuzz that way once. Such builds must
not share cache entries with unchecked ones, or a cached unchecked kernel would run instead."""

import numba

import tapeflow as tf
from tapeflow.codegen.compile import cache_key


def test_cache_key_separates_boundscheck_builds(monkeypatch):
    graph = tf.function(lambda x: x * 2.0).get_concrete_function(tf.constant([1.0])).graph
    keys = set()
    for flag in (None, 0, 1):
        monkeypatch.setattr(numba.config, "BOUNDSCHECK", flag)
        keys.add(cache_key(graph))
    assert len(keys) == 3  # None (per-function choice), forced off, forced on

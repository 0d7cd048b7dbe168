"""The compile cache: a new process reuses compiled code; a bad cache never fails a call."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import tapeflow as tf
from tapeflow.codegen.compile import compile_graph

pytestmark = pytest.mark.slow

SCRIPT = textwrap.dedent("""
    import numpy as np
    import tapeflow as tf

    w = tf.Variable(np.full((3, 2), 0.5, np.float32), name="w")

    @tf.function(backend="numba", compile="sync")
    def step(x):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.nn.softplus(x @ w) ** 2)
        w.assign_sub(0.1 * tape.gradient(loss, w))
        return loss

    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    step(x)  # the first call traces (and its eager run is the result)
    loss = step(x)  # the second runs compiled code
    entry = step.get_concrete_function(x).executor._entry
    stats = entry.stats
    print(float(loss), sum(stats.cache_hits.values()), sum(stats.cache_misses.values()))
""")


def _run(cache_dir: Path) -> tuple[float, int, int]:
    env = dict(os.environ, TAPEFLOW_CACHE_DIR=str(cache_dir))
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    return float(out[0]), int(out[1]), int(out[2])


def test_a_second_process_loads_compiled_code_instead_of_compiling(tmp_path):
    loss1, hits1, misses1 = _run(tmp_path)
    assert (hits1, misses1) == (0, 1)  # compiled once, and stored
    loss2, hits2, misses2 = _run(tmp_path)
    assert (hits2, misses2) == (1, 0)  # loaded: Numba did not compile
    assert loss1 == loss2
    assert list(tmp_path.glob("tapeflow_kernel_*.py"))


def _graph():
    x = tf.constant(np.linspace(-1, 1, 5, dtype=np.float32))
    return tf.function(lambda x: tf.exp(x) * 2.0).get_concrete_function(x).graph, x.numpy()


def test_an_unwritable_cache_compiles_in_memory_and_warns_once(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    graph, x = _graph()
    with pytest.warns(RuntimeWarning, match="compiling in memory"):
        kernel = compile_graph(graph, cache_dir=blocker / "cache")
    np.testing.assert_allclose(kernel(x)[0], np.exp(x) * 2,
                               rtol=1e-6)


CORRUPT_SCRIPT = textwrap.dedent("""
    import numpy as np, tapeflow as tf
    x = tf.constant(np.linspace(-1, 1, 5, dtype=np.float32))
    f = tf.function(lambda x: tf.exp(x) * 2.0, backend="numba", compile="sync")
    f(x)
    print(np.allclose(f(x).numpy(), np.exp(x.numpy()) * 2))
""")


@pytest.mark.parametrize("damage", ["truncate", "garbage"])
def test_a_corrupt_cache_entry_is_replaced(tmp_path, damage):
    env = dict(os.environ, TAPEFLOW_CACHE_DIR=str(tmp_path))

    def run():
        return subprocess.run([sys.executable, "-c", CORRUPT_SCRIPT], env=env,
                              capture_output=True, text=True)

    assert run().stdout.strip() == "True"
    (source,) = tmp_path.glob("tapeflow_kernel_*.py")
    text = source.read_text()
    source.write_text(text[: len(text) // 2] if damage == "truncate" else "\x00garbage(")
    for cached in tmp_path.rglob("*.nb*"):
        cached.write_bytes(b"\x00\x01garbage")
    result = run()  # a new process meets the damaged files
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


STATS_SCRIPT = textwrap.dedent("""
    import warnings
    import numpy as np, tapeflow as tf
    warnings.simplefilter("error")  # a fallback to the interpreter, or a cache warning, fails
    x = tf.constant(np.linspace(-1, 1, 7, dtype=np.float32))
    f = tf.function(lambda x: tf.sin(x) * 3.0, backend="numba", compile="sync")
    f(x)
    assert np.allclose(f(x).numpy(), np.sin(x.numpy()) * 3)
    stats = f.get_concrete_function(x).executor._entry.stats
    print(sum(stats.cache_hits.values()), sum(stats.cache_misses.values()))
""")


def _stats(cache_dir: Path) -> tuple[int, int]:
    env = dict(os.environ, TAPEFLOW_CACHE_DIR=str(cache_dir))
    result = subprocess.run([sys.executable, "-c", STATS_SCRIPT], env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    hits, misses = result.stdout.split()
    return int(hits), int(misses)


@pytest.mark.parametrize("damage", ["truncate", "flip", "plant"])
def test_a_damaged_numba_file_is_repaired_not_fallen_back_on(tmp_path, damage):
    assert _stats(tmp_path) == (0, 1)
    assert _stats(tmp_path) == (1, 0)  # sealed: the next process loads it
    (data,) = tmp_path.glob("__pycache__/*.nbc")
    blob = data.read_bytes()
    if damage == "truncate":
        data.write_bytes(blob[: len(blob) // 2])
    elif damage == "flip":
        data.write_bytes(blob[:-40] + bytes([blob[-40] ^ 1]) + blob[-39:])
    else:  # a pickle of someone else's: never unpickled
        import pickle

        data.write_bytes(pickle.dumps(("os.system", "echo planted")))
    # Detected and removed before Numba reads it: compiled again, natively (no warning) ...
    assert _stats(tmp_path) == (0, 1)
    assert _stats(tmp_path) == (1, 0)  # ... and cached again


def test_a_read_only_populated_cache_compiles_in_memory(tmp_path):
    _stats(tmp_path)
    script = ("from tapeflow.codegen import cache\n"
              "cache._writable = lambda path: False\n" + STATS_SCRIPT.replace(
                  'warnings.simplefilter("error")', 'warnings.simplefilter("always")'))
    env = dict(os.environ, TAPEFLOW_CACHE_DIR=str(tmp_path), HOME="/nonexistent")
    env.pop("XDG_CACHE_HOME", None)
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("compiling in memory") == 1
    assert "RuntimeError" not in result.stderr


def test_numba_finding_no_place_to_cache_compiles_in_memory(tmp_path, monkeypatch):
    """Numba raises RuntimeError ('no locator available') when it cannot write its cache;
    tapeflow's own check normally sees that first, and the error is caught if not."""
    from numba.core import caching

    from tapeflow.codegen import cache

    def no_place(self):
        raise OSError("read-only file system")

    monkeypatch.setattr(caching._CacheLocator, "ensure_cache_path", no_place)
    monkeypatch.setattr(cache, "_warned", set())
    graph, x = _graph_of(lambda x: tf.cos(x) * 5.0 + 1.0)
    with pytest.warns(RuntimeWarning, match="compiling in memory"):
        kernel = compile_graph(graph, cache_dir=tmp_path)
    np.testing.assert_allclose(kernel(x)[0], np.cos(x) * 5 + 1, rtol=1e-6)


def _graph_of(fn):
    x = tf.constant(np.linspace(-1, 1, 9, dtype=np.float32))
    return tf.function(fn).get_concrete_function(x).graph, x.numpy()

"""The compile cache: a new process reuses compiled code; a bad cache never fails a call."""

import os
import subprocess
import sys
import textwrap
import warnings
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

"""The fast tier runs `@tapeflow.function` on the reference interpreter; tests marked
`slow` get the default backend, Numba (they compile), as users do. Compiles are synchronous
(a call waits for native code), except where a test names compile="background" (tiering)."""

import warnings

import pytest

import tapeflow
from tapeflow.runtime import backends


@pytest.fixture(autouse=True)
def _backend_for_the_tier(request):
    compiles = request.node.get_closest_marker("slow") is not None
    previous = backends.set_default_backend("numba" if compiles else "interpreter")
    previous_compile = backends.set_default_compile("sync")
    yield
    backends.set_default_backend(previous)
    backends.set_default_compile(previous_compile)


@pytest.fixture(params=["interpreter", pytest.param("numba", marks=pytest.mark.slow)])
def backend(request):
    """A test that takes `backend` runs on the reference interpreter and, in the slow tier, on
    Numba: the same behaviour on both is what the test asserts."""
    return request.param


@pytest.fixture
def quiet_retraces():
    """Silence RetraceWarning for tests that retrace on purpose (new sizes, static values)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", tapeflow.RetraceWarning)
        yield

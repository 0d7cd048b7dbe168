"""The fast tier runs `@tapeflow.function` on the reference interpreter; tests marked
`slow` get the default backend, Numba (they compile), as users do. Compiles are synchronous
(a call waits for native code), except where a test names compile="background" (tiering)."""

import pytest

from tapeflow.runtime import backends


@pytest.fixture(autouse=True)
def _backend_for_the_tier(request):
    compiles = request.node.get_closest_marker("slow") is not None
    previous = backends.set_default_backend("numba" if compiles else "interpreter")
    previous_compile = backends.set_default_compile("sync")
    yield
    backends.set_default_backend(previous)
    backends.set_default_compile(previous_compile)

"""Conformance tests: notebook cells from /work/shared/seeds/*.txt re-run with `import tapeflow as tf`.

The repository root is put on sys.path so that `import tapeflow` resolves to the
working tree even when the package is not installed into the virtual environment.
"""
import os
import sys

_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir, os.pardir))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

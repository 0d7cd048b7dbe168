"""`tf.data`: Dataset pipelines (tapeflow/data/dataset.py) feeding compiled steps."""

import types

from tapeflow.data.dataset import AUTOTUNE, INFINITE, UNKNOWN, Dataset

INFINITE_CARDINALITY = INFINITE
UNKNOWN_CARDINALITY = UNKNOWN

experimental = types.SimpleNamespace(AUTOTUNE=AUTOTUNE, INFINITE_CARDINALITY=INFINITE,
                                     UNKNOWN_CARDINALITY=UNKNOWN)

__all__ = ["AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY", "Dataset",
           "experimental"]

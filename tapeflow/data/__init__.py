"""`tf.data`: Dataset pipelines (tapeflow/data/dataset.py) feeding compiled steps."""

import types

from tapeflow.data.dataset import AUTOTUNE, INFINITE, UNKNOWN, Dataset

INFINITE_CARDINALITY = INFINITE
UNKNOWN_CARDINALITY = UNKNOWN



def _assert_cardinality(expected_cardinality):
    """tf.data.experimental.assert_cardinality: for `dataset.apply`; a pass with another
    count of elements raises FailedPreconditionError."""
    from tapeflow.data.streams import _AssertCardinality

    return lambda dataset: _AssertCardinality(dataset, expected_cardinality)


experimental = types.SimpleNamespace(
    AUTOTUNE=AUTOTUNE, INFINITE_CARDINALITY=INFINITE, UNKNOWN_CARDINALITY=UNKNOWN,
    cardinality=lambda dataset: dataset.cardinality(),
    assert_cardinality=_assert_cardinality,
    choose_from_datasets=Dataset.choose_from_datasets,
    sample_from_datasets=Dataset.sample_from_datasets,
)

__all__ = ["AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY", "Dataset",
           "experimental"]

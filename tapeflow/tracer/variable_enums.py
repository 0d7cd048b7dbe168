"""`tf.VariableAggregation` and `tf.VariableSynchronization`: accepted and reported by
Variables (tapeflow has one replica, so neither changes what a variable does).

TensorFlow has two aggregation enums: `tf.VariableAggregation` is VariableAggregationV2,
while a Variable made without `aggregation=` reports the V1 enum's NONE, so
`v.aggregation` prints `VariableAggregation.NONE` but `tf.VariableAggregation.MEAN` prints
`VariableAggregationV2.MEAN`. Both are kept so printed text matches; members of the two
compare and hash equal by value, as TF's."""

from __future__ import annotations

import enum


class VariableSynchronization(enum.Enum):
    AUTO = 0
    NONE = 1
    ON_WRITE = 2
    ON_READ = 3


class _ByValue(enum.Enum):
    def __eq__(self, other):
        if isinstance(other, _ByValue):
            return self.value == other.value
        return NotImplemented

    def __hash__(self):
        return hash(self.value)


class VariableAggregationV2(_ByValue):
    NONE = 0
    SUM = 1
    MEAN = 2
    ONLY_FIRST_REPLICA = 3


class VariableAggregation(_ByValue):
    NONE = 0
    SUM = 1
    MEAN = 2
    ONLY_FIRST_REPLICA = 3

"""`tf.types.experimental`: the names type annotations use."""

from __future__ import annotations

import types as _types

import numpy as np

from tapeflow.runtime.concrete import ConcreteFunction
from tapeflow.runtime.function import Function
from tapeflow.tracer.tensor import Tensor
from tapeflow.tracer.variable import Variable

TensorLike = (Tensor | Variable | np.ndarray | np.generic | int | float | bool | str | bytes
              | complex | list | tuple)

experimental = _types.SimpleNamespace(
    TensorLike=TensorLike,
    ConcreteFunction=ConcreteFunction,
    GenericFunction=Function,
    PolymorphicFunction=Function,
    Callable=Function,
)

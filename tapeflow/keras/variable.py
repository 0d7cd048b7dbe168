"""The variables Keras layers make (`add_weight`), named and printed as Keras 3 (TensorFlow
2.16+'s tf.keras) does: `name` is the name given to add_weight (`kernel`), `path` the layer's
path and that name (`dense/kernel`), and the repr
`<Variable path=dense/kernel, shape=(3, 2), dtype=float32, value=[[...]]>`. Everything else
is a tf.Variable's."""

from __future__ import annotations

import numpy as np

from tapeflow.tracer import tensor as tensor_module
from tapeflow.tracer.variable import Variable


class KerasVariable(Variable):
    __slots__ = ("_short",)

    def __init__(self, initial_value, *, name: str, path: str, trainable: bool = True,
                 dtype=None):
        super().__init__(initial_value, trainable=trainable, name=path, dtype=dtype)
        self._short = name

    @property
    def name(self) -> str:
        return self._short

    @property
    def path(self) -> str:
        return self._name

    def __repr__(self) -> str:
        head = f"<Variable path={self.path}, shape={tuple(self.shape)}, dtype={self.dtype.name}"
        if tensor_module.graph_name_hook.value is not None:  # tracing: no value
            return head + ">"
        return f"{head}, value={np.asarray(self.numpy())}>"

    def __str__(self) -> str:
        return self.__repr__()

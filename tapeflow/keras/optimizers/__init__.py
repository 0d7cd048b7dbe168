"""`tf.keras.optimizers`: SGD, Adam, AdamW, RMSprop, Adagrad, Adamax, Nadam, Adadelta, Ftrl,
Lion and their learning-rate schedules; `get` turns a name into an optimizer."""

from tapeflow.keras.optimizers import schedules
from tapeflow.keras.optimizers.optimizer import Optimizer
from tapeflow.keras.optimizers.rules import (
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    Adamax,
    AdamW,
    Ftrl,
    Lion,
    Nadam,
    RMSprop,
)

_BY_NAME = {"sgd": SGD, "adam": Adam, "adamw": AdamW, "rmsprop": RMSprop, "adagrad": Adagrad,
            "adamax": Adamax, "nadam": Nadam, "adadelta": Adadelta, "ftrl": Ftrl, "lion": Lion}


def get(identifier):
    """An optimizer from a name ('adam', 'SGD', ...; default settings), or the optimizer
    itself."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower())
        if cls is None:
            raise ValueError(f"unknown optimizer {identifier!r}; known: "
                             f"{', '.join(sorted(_BY_NAME))}")
        return cls()
    raise ValueError(f"cannot interpret {identifier!r} as an optimizer: pass a name "
                     f"({', '.join(sorted(_BY_NAME))}) or an Optimizer")


__all__ = ["SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "Ftrl", "Lion", "Nadam",
           "Optimizer", "RMSprop", "get", "schedules"]

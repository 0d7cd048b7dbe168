"""`tf.saved_model`: save an object's variables and traced tf.functions to a directory, and
load them back without its Python code (tapeflow/saved_model)."""

from tapeflow.saved_model import SavedModelError, load, save  # noqa: F401

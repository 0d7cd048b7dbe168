"""`tf.saved_model.save` and `tf.saved_model.load`: an object's variables and its traced
`tf.function`s in a directory, loaded back without the Python code that defined them.

See save.py for what is saved and the directory's format, load.py for what `load` returns.
"""

from tapeflow.saved_model.format import SavedModelError
from tapeflow.saved_model.load import load
from tapeflow.saved_model.save import save

__all__ = ["SavedModelError", "load", "save"]

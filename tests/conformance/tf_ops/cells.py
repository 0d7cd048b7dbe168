"""Cells pinning what TensorFlow prints for the ops and semantics `import tapeflow as tf` covers.

The guide cells (tests/conformance/guides/cells.py) follow TensorFlow's guides; these follow
the op list of the fidelity issue instead: each cell exercises one op or rule (edge values,
dtypes, axes, gradients, the errors it raises) and `expected` is what TensorFlow 2.21 prints
for it, confirmed with `python benchmarks/guides_tally.py --own-cells --tensorflow-python PATH`.
One module per area keeps each list readable; the cells are written in our own words.
"""

from __future__ import annotations

from tests.conformance.guides.cells import Cell
from tests.conformance.tf_ops.data_cells import CELLS as DATA
from tests.conformance.tf_ops.debug_cells import CELLS as DEBUG
from tests.conformance.tf_ops.extra_cells import CELLS as EXTRAS
from tests.conformance.tf_ops.grad_cells import CELLS as GRADIENTS
from tests.conformance.tf_ops.image_cells import CELLS as IMAGE
from tests.conformance.tf_ops.keras_cells import CELLS as KERAS
from tests.conformance.tf_ops.math_cells import CELLS as MATH
from tests.conformance.tf_ops.nn_cells import CELLS as NN
from tests.conformance.tf_ops.shape_cells import CELLS as SHAPES
from tests.conformance.tf_ops.state_cells import CELLS as STATE

ALL: list[Cell] = (MATH + SHAPES + GRADIENTS + NN + KERAS + DEBUG + IMAGE + EXTRAS + DATA
                   + STATE)
AREAS = ("math", "shapes", "gradients", "nn", "keras", "debug", "image", "extras", "data",
         "state")

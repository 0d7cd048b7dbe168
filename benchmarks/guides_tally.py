"""The README's conformance tally: run every guide cell (tests/conformance/guides/cells.py)
on tapeflow and count those that print what TensorFlow prints.

    python benchmarks/guides_tally.py [--verbose]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.conformance.guides.run import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Where the third-party vectors and real data live, inside the repository: each folder has a SOURCE.md.

``tests/vectors/<folder>/`` holds the published test vectors, ``data/<folder>/`` (at the project root) the real data.
"""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
VECTORS = PROJECT_ROOT / "tests" / "vectors"
DATA = PROJECT_ROOT / "data"

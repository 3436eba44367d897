"""Where the third-party vectors and real data live: ../shared beside the project root, never copied in."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED = PROJECT_ROOT.parent / "shared"
VECTORS = SHARED / "vectors"
DATA = SHARED / "data"

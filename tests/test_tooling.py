"""ruff and mypy (strict on src) stay clean: run them as part of the suite so CI holds us to it."""

from __future__ import annotations

import subprocess
import sys

from tests.paths import PROJECT_ROOT


def test_ruff_is_clean() -> None:
    dirs = [d for d in ("src", "tests", "benchmarks") if (PROJECT_ROOT / d).is_dir()]
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", "check", *dirs], cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_strict_is_clean() -> None:
    proc = subprocess.run([sys.executable, "-m", "mypy"], cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr

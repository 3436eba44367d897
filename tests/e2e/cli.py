"""Running the real `habeas` command in a subprocess, and reading what it says."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

# A wide, fixed terminal so Rich tables never wrap a cell the tests read.
ENV = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}


def habeas(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "habeas", *args], cwd=cwd, capture_output=True, timeout=180, env=ENV, text=True
    )
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def log_size(cwd: Path) -> int:
    """The tree size of the latest signed checkpoint, what `habeas log checkpoint` prints on its second line.

    Read straight from the database file: a subprocess for every before-and-after would double the suite's time.
    """
    with closing(sqlite3.connect(cwd / "habeas.db")) as db:
        return int(db.execute("SELECT COALESCE(MAX(size), 0) FROM ledger_checkpoint").fetchone()[0])


def one_line_error(proc: subprocess.CompletedProcess[str], pattern: str) -> None:
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert re.search(pattern, proc.stderr), proc.stderr


def leaf(cwd: Path, seq: int) -> bytes:
    """The exact leaf bytes (read as bytes: text mode could translate line endings)."""
    proc = subprocess.run(
        [sys.executable, "-m", "habeas", "log", "leaf", str(seq)], cwd=cwd, capture_output=True, timeout=180, env=ENV
    )
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout

"""Running the `habeas` command, and reading what it says.

`habeas(...)` runs the Typer app in this process (Typer's ``CliRunner``), in the given folder and with the
environment a subprocess would get: a second of interpreter start-up and imports per call made the end-to-end
suite mostly waiting. What it returns is shaped like ``subprocess.CompletedProcess``. The app turns our refusals
into one stderr line and exit 1 itself (``_OneLineErrors``); any other exception is a bug and fails the test here
with its own traceback, as the real process would show one.

`real_habeas(...)` runs ``python -m habeas`` in a real subprocess. Only a few tests use it, each saying why:
the entry point, the process's exit status and its bytes on stdout are what they check.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Literal, overload

from typer.testing import CliRunner

from habeas.cli import main
from habeas.cli.main import app

# A wide, fixed terminal so Rich tables never wrap a cell the tests read.
TERMINAL = {"COLUMNS": "200", "NO_COLOR": "1"}
ENV = {**os.environ, **TERMINAL}  # for real subprocesses

_RUNNER = CliRunner()


@contextmanager
def _as_in_a_new_process(environ: Mapping[str, str]) -> Iterator[None]:
    """The CLI's Rich consoles, set up for the call as a new process with ``environ`` and a pipe would set them up.

    They write to whatever ``sys.stdout``/``sys.stderr`` is at the time (CliRunner's buffers here), but Rich fixes
    a console's width (from COLUMNS, when set) and its colour system when it is made, and ``habeas.cli.main``
    makes them at import: in whatever environment pytest had then (xdist workers have COLUMNS=80), and on a
    colour terminal under ``pytest -s``. A subprocess writing to a pipe gets COLUMNS from its environment and no
    colour; so do they, for the call. (Private attributes: Rich has no public way to set the colour system.)
    """
    consoles = (main.out, main.err)
    saved = [(c._width, c._color_system, c.no_color) for c in consoles]
    columns = environ.get("COLUMNS", "")
    for c in consoles:
        c._width = int(columns) if columns.isdigit() else None
        c._color_system = None
        c.no_color = environ.get("NO_COLOR", "") != ""
    try:
        yield
    finally:
        for c, (width, system, no_color) in zip(consoles, saved, strict=True):
            c._width, c._color_system, c.no_color = width, system, no_color


@overload
def invoke(
    *args: str, cwd: Path, env: Mapping[str, str] | None = ..., text: Literal[True] = ...
) -> subprocess.CompletedProcess[str]: ...
@overload
def invoke(
    *args: str, cwd: Path, env: Mapping[str, str] | None = ..., text: Literal[False]
) -> subprocess.CompletedProcess[bytes]: ...
def invoke(
    *args: str, cwd: Path, env: Mapping[str, str] | None = None, text: bool = True
) -> subprocess.CompletedProcess[str] | subprocess.CompletedProcess[bytes]:
    """`habeas ARGS` in-process, in ``cwd``, with ``TERMINAL`` and ``env`` added to the environment.

    The working directory and the whole environment are put back afterwards, whatever the command changed
    (``habeas serve`` writes its settings into ``os.environ`` for its workers). ``text=False`` gives the exact
    bytes written (``habeas log leaf``); ``text=True`` decodes them as ``text=True`` would for a subprocess.
    """
    here, saved = Path.cwd(), dict(os.environ)
    # The terminal last: an ``env`` copied from os.environ (Db.env) carries the xdist worker's COLUMNS=80.
    overrides = {**(env or {}), **TERMINAL}
    os.chdir(cwd)
    try:
        with _as_in_a_new_process({**os.environ, **overrides}):
            result = _RUNNER.invoke(app, list(args), env=overrides, prog_name="habeas")
    finally:
        os.chdir(here)
        if os.environ != saved:
            os.environ.clear()
            os.environ.update(saved)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        # A bug, not a refusal: fail the test with the command's own traceback and what it had printed.
        result.exception.add_note(
            f"habeas {' '.join(args)} (in {cwd}) raised; stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
        raise result.exception
    command = ["habeas", *args]
    if text:
        return subprocess.CompletedProcess(command, result.exit_code, result.stdout, result.stderr)
    return subprocess.CompletedProcess(command, result.exit_code, result.stdout_bytes, result.stderr_bytes)


def habeas(
    *args: str, cwd: Path, check: bool = True, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    proc = invoke(*args, cwd=cwd, env=env)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


@overload
def real_habeas(
    *args: str, cwd: Path, check: bool = ..., env: Mapping[str, str] | None = ..., text: Literal[True] = ...
) -> subprocess.CompletedProcess[str]: ...
@overload
def real_habeas(
    *args: str, cwd: Path, check: bool = ..., env: Mapping[str, str] | None = ..., text: Literal[False]
) -> subprocess.CompletedProcess[bytes]: ...
def real_habeas(
    *args: str, cwd: Path, check: bool = True, env: Mapping[str, str] | None = None, text: bool = True
) -> subprocess.CompletedProcess[str] | subprocess.CompletedProcess[bytes]:
    """`python -m habeas ARGS` in a real subprocess (about a second each: only where the process itself is tested)."""
    proc = subprocess.run(
        [sys.executable, "-m", "habeas", *args], cwd=cwd, capture_output=True, timeout=180,
        env={**ENV, **(env or {})}, text=text,
    )
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def log_size(cwd: Path) -> int:
    """The tree size of the latest signed checkpoint, what `habeas log checkpoint` prints on its second line.

    Read straight from the database file, so a before-and-after costs no command.
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
    proc = invoke("log", "leaf", str(seq), cwd=cwd, text=False)
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout

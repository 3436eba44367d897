"""Issue 10, findings 10 and 11, through the `habeas` command on SQLite and PostgreSQL: every bad input is one line
on stderr and a non-zero exit, never a traceback, never recorded.

Each test replays an attack from the issue: a birth date in 2099, names with mixed scripts or invisible
characters, `import facilities /dev/zero`, a leaf index past BIGINT, a 100 KB name echoed back, a
PartialDate(...) in a message, a floor area of 1e-30 m².
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import Db
from tests.e2e.cli import invoke, one_line_error
from tests.paths import DATA

AT = "2025-03-01T12:00:00Z"
REGISTER = DATA / "ice-facilities-2017" / "ice-facility-list-2017-11-06-main.csv"
Run = Callable[..., subprocess.CompletedProcess[str]]


def _env(db: Db) -> dict[str, str]:
    env = {"HABEAS_DATABASE_URL": db.settings.db_url, "HABEAS_SIGNING_KEY": str(db.settings.key_path)}
    if db.schema:
        env["PGOPTIONS"] = f"-csearch_path={db.schema}"
    return env


@pytest.fixture
def habeas(db: Db, tmp_path: Path) -> Run:
    """`habeas ARGS` against the test's own database (a SQLite file or a PostgreSQL schema), with one agency,
    one facility and one unit in it."""

    def run(*args: str, check: bool = True, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        proc = invoke(*args, cwd=tmp_path, env={**_env(db), **(env or {})})
        if check:
            assert proc.returncode == 0, proc.stderr
        return proc

    run("init", "--origin", "test.habeas/strict")
    run("agency", "add", "--id", "ice", "--name", "ICE", "--country", "US", "--kind", "immigration", "--at", AT)
    run("facility", "add", "--id", "f-1", "--name", "Krome", "--country", "US", "--type", "SPC", "--at", AT)
    run("facility", "unit", "add", "f-1", "--id", "b1", "--label", "B1", "--area", "120", "--beds", "40", "--at", AT)
    return run


@contextmanager
def _memory_capped(headroom: int = 2 * 1024**3) -> Iterator[None]:
    """Address space capped at what the process has now plus ``headroom``: should the import read /dev/zero
    again, the test fails with a MemoryError instead of taking the machine's memory (13.7 GB in 8 s)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/statm") as statm:
        now = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    cap = now + headroom if hard == resource.RLIM_INFINITY else min(now + headroom, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@contextmanager
def _fifo_writer(fifo: Path) -> Iterator[None]:
    """Opens ``fifo`` for writing, and closes it, as soon as anyone opens it for reading: an import that waits on
    the pipe then reads an empty file and fails its test, rather than hanging the suite."""
    stop = threading.Event()

    def write() -> None:
        while not stop.is_set():
            try:
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))  # ENXIO while no reader has it open
                return
            except OSError:
                stop.wait(0.05)

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _size(run: Run) -> int:
    return int(run("log", "checkpoint").stdout.splitlines()[1])


# -- birth dates ------------------------------------------------------------------------------------------------


def test_a_birth_date_in_the_future_is_refused(habeas: Run) -> None:
    before = _size(habeas)
    proc = habeas("person", "add", "--given", "Ana", "--dob", "2099-01-01", "--at", AT, check=False)
    one_line_error(proc, r"date_of_birth '?2099-01-01'?.*future")
    assert _size(habeas) == before
    # The record's own time is the measure: born the day after it was made is refused too.
    one_line_error(habeas("person", "add", "--given", "Ana", "--dob", "2025-03-03", "--at", AT, check=False), "future")
    habeas("person", "add", "--given", "Ana", "--dob", "2025-03-01", "--at", AT)


def test_an_impossible_date_is_shown_as_written(habeas: Run) -> None:
    proc = habeas("person", "add", "--given", "Ana", "--dob", "2023-02-30", "--at", AT, check=False)
    one_line_error(proc, r"'2023-02-30'.*not a calendar date")
    assert "PartialDate" not in proc.stderr


# -- names -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "named"),
    [
        ("Jos\u202eé", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("Jo\u200bsé", "U+200B ZERO WIDTH SPACE"),
        ("P\u0430vel", "U+0430 CYRILLIC SMALL LETTER A"),  # a Cyrillic а in a Latin word
    ],
)
def test_a_name_that_is_not_what_it_looks_like_is_refused_naming_the_character(
    habeas: Run, name: str, named: str
) -> None:
    before = _size(habeas)
    pattern = re.escape(named)
    one_line_error(habeas("person", "add", "--given", name, "--at", AT, check=False), rf"given_names.*{pattern}")
    one_line_error(habeas("person", "add", "--given", "Ana", "--alias", name, "--at", AT, check=False), pattern)
    assert _size(habeas) == before


def test_names_are_stored_in_nfc_and_found_either_way(habeas: Run) -> None:
    habeas("person", "add", "--id", "p-1", "--given", "Jose\u0301", "--surname", "Garci\u0301a", "--at", AT)
    shown = habeas("person", "show", "p-1").stdout
    assert "José García" in shown  # precomposed
    assert "p-1" in habeas("person", "find", "--name", "José García").stdout


def test_a_100_kb_name_is_not_echoed_back(habeas: Run) -> None:
    proc = habeas("person", "add", "--given", "x" * 100_000, "--at", AT, check=False)
    one_line_error(proc, r"given_names 'x+…'.*longer than 100 characters")
    assert len(proc.stderr) < 300


# -- integers and physical quantities --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("log", "leaf", "99999999999999999999999"),
        ("log", "prove", "99999999999999999999999"),
        ("log", "prove-consistency", "1", "99999999999999999999999"),
        ("log", "checkpoint", "--size", "99999999999999999999999"),
        ("facility", "list", "--limit", "99999999999999999999999"),
        ("facility", "add", "--name", "X", "--country", "US", "--type", "SPC", "--capacity", "9" * 30),
        ("facility", "unit", "add", "f-1", "--id", "b2", "--label", "B2", "--area", "120", "--beds", "9" * 30),
    ],
)
def test_an_integer_out_of_range_is_one_line(habeas: Run, args: tuple[str, ...]) -> None:
    proc = habeas(*args, check=False)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert len([line for line in proc.stderr.splitlines() if line.strip()]) == 1, proc.stderr


@pytest.mark.parametrize(("area", "why"), [("1e-30", "between 1 and"), ("0.5", "between 1 and"),
                                           ("2000000", "between 1 and"), ("12.345", "hundredth")])
def test_a_floor_area_that_is_not_physical_is_refused(habeas: Run, area: str, why: str) -> None:
    proc = habeas("facility", "unit", "add", "f-1", "--id", "b2", "--label", "B2", "--area", area, "--beds", "4",
                  "--at", AT, check=False)
    one_line_error(proc, rf"floor_area_m2.*{why}")


# -- imports ---------------------------------------------------------------------------------------------------


def test_importing_dev_zero_is_refused_at_once(habeas: Run) -> None:
    # Before the fix this grew without limit (13.7 GB in 8 s).
    with _memory_capped():
        proc = habeas("import", "facilities", "/dev/zero", check=False)
    one_line_error(proc, r"/dev/zero: not a regular file")


def test_importing_a_fifo_or_a_folder_is_refused(habeas: Run, tmp_path: Path) -> None:
    fifo = tmp_path / "register.csv"
    os.mkfifo(fifo)  # nothing writes to it: opening it to read would wait forever
    with _fifo_writer(fifo):
        proc = habeas("import", "facilities", str(fifo), check=False)
    one_line_error(proc, r"not a regular file")
    one_line_error(habeas("import", "facilities", str(tmp_path), check=False), r"a folder, not a file")


def test_an_import_over_the_size_limit_is_refused_before_reading(habeas: Run) -> None:
    size = REGISTER.stat().st_size
    proc = habeas("import", "facilities", str(REGISTER), "--max-bytes", str(size - 1), check=False)
    one_line_error(proc, rf"{size:,} bytes.*over the limit of {size - 1:,}.*--max-bytes")
    proc = habeas("import", "facilities", str(REGISTER), check=False, env={"HABEAS_IMPORT_MAX_BYTES": "1000"})
    one_line_error(proc, r"over the limit of 1,000 bytes.*HABEAS_IMPORT_MAX_BYTES")
    for bad in ("-1", "0", "9" * 30):
        assert habeas("import", "facilities", str(REGISTER), "--max-bytes", bad, check=False).returncode != 0

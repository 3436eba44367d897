"""`habeas import facilities` on the real ICE register (1,685 facilities), and on files it must refuse whole."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from habeas.importers.facilities import load_facilities
from habeas.importers.facility_register import facility_ids
from tests.e2e.cli import habeas, log_size, one_line_error
from tests.paths import DATA

REGISTER = DATA / "ice-facilities-2017" / "ice-facility-list-2017-11-06-main.csv"


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One database holding the whole register, shared by the tests below; and what the import printed."""
    cwd = tmp_path_factory.mktemp("import")
    habeas("init", cwd=cwd)
    proc = habeas("import", "facilities", str(REGISTER), "--at", "2017-11-06", cwd=cwd)
    return cwd, proc.stdout


def test_the_whole_register_is_imported_with_a_summary_that_counts_it(imported: tuple[Path, str]) -> None:
    cwd, text = imported
    assert re.search(r"facilities imported\W+1,685\b", text), text
    assert "imported 1,685 facilities" in text
    assert log_size(cwd) == 1685
    assert habeas("facility", "list", "--limit", "3", cwd=cwd).stdout.strip().endswith(
        "1,685 facilities (showing 3; --limit 0 for all)"
    )


def test_odd_values_are_accounted_for_row_by_row(imported: tuple[Path, str]) -> None:
    _, text = imported
    assert re.search(r"row \d+, Capacity 'AS NEEDED': capacity not fixed", text)
    assert re.search(r"row \d+, Per Diem Rate Detailed 'b\)\(4\)': withheld under FOIA exemption \(b\)\(4\)", text)
    assert re.search(r"capacity\.not_fixed \(1,536\)", text)
    assert "--all-notes lists every one" in text
    assert "207 rows had their DETLOC redacted" in text


def test_an_imported_facility_reads_back(imported: tuple[Path, str]) -> None:
    cwd, _ = imported
    text = habeas("facility", "show", "ice-abrdnwa", cwd=cwd).stdout
    assert "ABERDEEN CITY JAIL" in text
    assert "ABRDNWA" in text
    assert "not stated" in text  # capacity "AS NEEDED"


def test_redacted_rows_get_stable_distinct_ids() -> None:
    rows = load_facilities(REGISTER).facilities
    ids = facility_ids(rows)
    assert len(set(ids)) == 1685
    assert sum(i.startswith("ice-redacted-") for i in ids) == 207
    assert facility_ids(load_facilities(REGISTER).facilities) == ids


def test_a_second_import_is_refused_and_appends_nothing(imported: tuple[Path, str]) -> None:
    cwd, _ = imported
    before = log_size(cwd)
    one_line_error(habeas("import", "facilities", str(REGISTER), cwd=cwd, check=False),
                   r"facility 'ice-abrdnwa' already exists: .*nothing appended")
    assert log_size(cwd) == before


def _header() -> str:
    return REGISTER.read_text(encoding="utf-8").splitlines()[0]


@pytest.mark.parametrize(
    ("name", "content", "pattern"),
    [
        ("binary.csv", b"DETLOC,Name\n\x00\x01\x02\x03", r"NUL byte .* binary file, not CSV"),
        ("image.csv", b"\x89PNG\r\n\x1a\n\x00\x00", r"a PNG image, not CSV or XLSX"),
        ("columns.csv", b"id,name,beds\n1,Krome,600\n", r"missing required column\(s\) 'DETLOC'"),
        ("latin1.csv", None, r"undecodable byte 0xc9 .* not UTF-8"),
        ("rows.csv", None, r"1 row\(s\) cannot be imported, so nothing is imported; first: row 3, DETLOC"),
        ("fake.xlsx", b"DETLOC,Name\nX,Y\n", r"named like a workbook but is not an XLSX"),
    ],
)
def test_a_file_refused_whole_appends_nothing(
    imported: tuple[Path, str], tmp_path: Path, name: str, content: bytes | None, pattern: str
) -> None:
    cwd, _ = imported
    lines = REGISTER.read_text(encoding="utf-8").splitlines()
    if name == "latin1.csv":
        content = (lines[0] + "\n" + lines[1].replace("ABERDEEN CITY JAIL", "ABERDÉEN CITY JAIL") + "\n").encode(
            "latin-1"
        )
    elif name == "rows.csv":  # a good row, then one with no DETLOC: a hole would drop a place people are held
        bad = "," + lines[2].split(",", 1)[1]
        content = "\n".join([lines[0], lines[1], bad, ""]).encode()
    assert content is not None
    path = tmp_path / name
    path.write_bytes(content)
    before = log_size(cwd)
    proc = habeas("import", "facilities", str(path), cwd=cwd, check=False)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    error_lines = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1, proc.stderr
    assert re.search(pattern, error_lines[0]), proc.stderr
    if name != "rows.csv":  # a row error also lists the rows above the one-line error
        one_line_error(proc, pattern)
    assert log_size(cwd) == before


def test_the_log_verifies_and_the_projections_rebuild_after_the_import(imported: tuple[Path, str]) -> None:
    cwd, _ = imported
    assert habeas("log", "verify", cwd=cwd).stdout.startswith("OK: entries 0..1684 verified")
    assert habeas("rebuild", "--check", cwd=cwd).stdout.startswith("OK: 1685 entries rebuild the projections exactly")

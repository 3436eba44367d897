"""`habeas person import FILE` on SQLite and PostgreSQL: a file of people (CSV or XLSX) registered whole in one
transaction, or refused with every bad row and column named and nothing written. Every name here is invented
(SYNTHETIC)."""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path

from openpyxl import Workbook

from tests.conftest import Db
from tests.e2e.cli import habeas, one_line_error
from tests.paths import DATA

AT = "2025-03-10T09:00:00Z"
SAMPLE = DATA / "synthetic-people-261" / "SYNTHETIC-people-261.csv"
HEADER = ["person_id", "given_names", "surname", "second_surname", "date_of_birth", "sex", "nationalities",
          "country_of_birth", "languages", "a_number", "passport", "national_id"]
# Spreadsheet rows 2 to 9 (the header is row 1). SYNTHETIC: invented people, no real detainee.
GOOD = [
    ["p-imp-1", "Aurelio José", "Sintético", "Ejemplo", "1990-05-17", "M", "VE", "VE", "es", "A-201-000-001",
     "VE:V10000001", ""],
    ["p-imp-2", "Brígida", "Prueba", "Inventada", "1988", "female", "SV", "", "es", "", "SV:A1000002",
     "SV:0100000-2"],
    ["p-imp-3", "Ciro", "Ficticio", "", "2001-11", "male", "VE;CO", "VE", "es;en", "A201000003", "", ""],
    ["p-imp-4", "Dámaso", "Inventado", "Demo", "1979-02-28", "m", "VE", "VE", "es", "A201000004", "", ""],
    ["p-imp-5", "Eladio", "Simulado", "", "1995-07-04", "m", "VE", "VE", "es", "A201000005", "", ""],
    # the same invented man as p-imp-5, written with his surname first: a warning, never a merge
    ["p-imp-6", "Simulado", "Eladio", "", "1995-07-04", "m", "VE", "VE", "es", "", "VE:V10000006", ""],
    ["p-imp-7", "Fausto", "Irreal", "Modelo", "1983-09-09", "m", "SV", "SV", "es", "A201000007", "", ""],
    ["p-imp-8", "Gaspar", "Quimera", "", "1999-12-31", "unknown", "VE", "VE", "es", "A201000008", "", ""],
]


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def size_of(cwd: Path, env: dict[str, str]) -> int:
    return int(habeas("log", "checkpoint", cwd=cwd, env=env).stdout.splitlines()[1])


def world(db: Db, cwd: Path) -> dict[str, str]:
    """ICE, an officer of it, and one man it registered by hand before the file came (A-number A201000004)."""
    env = db.env()
    for step in (
        ("init", "--origin", "test.habeas/person-import"),
        ("agency", "add", "--id", "ice", "--name", "ICE", "--country", "US", "--kind", "immigration", "--at", AT),
        ("person", "add", "--id", "p-earlier", "--given", "Dámaso", "--surname", "Inventado", "--dob", "1979-02-28",
         "--a-number", "A201000004", "--at", AT, "--as", "o-ice@ice"),
    ):
        habeas(*step, cwd=cwd, env=env)
    return env


def test_a_file_of_people_is_registered_whole_with_identifiers_and_a_summary_of_likely_duplicates(
    db: Db, tmp_path: Path
) -> None:
    env = world(db, tmp_path)
    before = size_of(tmp_path, env)
    path = write_csv(tmp_path / "people.csv", GOOD)
    proc = habeas("person", "import", str(path), "--at", AT, "--as", "o-ice@ice", cwd=tmp_path, env=env)
    assert re.search(r"imported 8 people from .* in one transaction", proc.stdout), proc.stdout
    assert re.search(r"people registered\W+8\b", proc.stdout), proc.stdout
    assert size_of(tmp_path, env) == before + 8
    # likely duplicates are warned of, summarised, and merged by no one
    assert re.search(r"2 may already be registered", proc.stdout), proc.stdout
    assert re.search(r"row 5 \(p-imp-4\): may be the same person as p-earlier \(same identifier", proc.stdout)
    assert re.search(r"row 7 \(p-imp-6\): may be the same person as p-imp-5 \(same name and birth date", proc.stdout)

    shown = habeas("person", "show", "p-imp-2", cwd=tmp_path, env=env).stdout
    assert "Brígida Prueba Inventada" in shown
    assert "passport A1000002 (SV)" in shown
    assert "national_id 01000002 (SV)" in shown
    assert "1988" in shown
    found = habeas("person", "find", "--a-number", "A-201-000-001", cwd=tmp_path, env=env).stdout
    assert "p-imp-1" in found
    assert "1 found" in found
    assert habeas("log", "verify", cwd=tmp_path, env=env).stdout.startswith("OK")


def test_a_file_with_three_bad_rows_names_every_bad_cell_and_writes_nothing(db: Db, tmp_path: Path) -> None:
    env = world(db, tmp_path)
    before = size_of(tmp_path, env)
    rows = [list(r) for r in GOOD]
    rows[1][4] = "1990-13-40"  # row 3: no such date
    rows[3][6] = "Venezuela"  # row 5: a country name, not a code...
    rows[3][10] = "V123"  # ...and a passport without its issuing country
    rows[5][9] = "12-34"  # row 7: not an A-number
    path = write_csv(tmp_path / "bad.csv", rows)
    proc = habeas("person", "import", str(path), "--at", AT, "--as", "o-ice@ice", cwd=tmp_path, env=env, check=False)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    for where in ("row 3, date_of_birth", "row 5, nationalities", "row 5, passport", "row 7, a_number"):
        assert where in proc.stderr, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr
    assert re.search(r"4 error\(s\) in 3 row\(s\) \(rows 3, 5, 7\), so nothing is imported", errors[0]), errors
    assert size_of(tmp_path, env) == before
    assert "0 found" in habeas("person", "find", "--a-number", "A201000001", cwd=tmp_path, env=env).stdout


def test_a_workbook_with_date_cells_is_imported(db: Db, tmp_path: Path) -> None:
    env = world(db, tmp_path)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Given names", "Surname", "Date of birth", "Sex", "Nationalities", "A-Number"])  # as typed
    sheet.append(["Hilario", "Sintético", date(1991, 3, 2), "M", "VE", "A201000101"])
    sheet.append(["Inés", "Prueba", date(1986, 8, 30), "F", "SV", 201000102])  # a number cell
    path = tmp_path / "people.xlsx"
    book.save(path)
    before = size_of(tmp_path, env)
    proc = habeas("person", "import", str(path), "--at", AT, "--as", "o-ice@ice", cwd=tmp_path, env=env)
    assert "imported 2 people" in proc.stdout, proc.stdout
    assert size_of(tmp_path, env) == before + 2
    found = habeas("person", "find", "--a-number", "A201000102", cwd=tmp_path, env=env).stdout
    assert "1986-08-30" in found
    assert "Inés Prueba" in found


def test_a_refusal_in_the_door_names_the_row_and_writes_nothing(db: Db, tmp_path: Path) -> None:
    env = world(db, tmp_path)
    before = size_of(tmp_path, env)
    rows = [list(r) for r in GOOD]
    rows[2][0] = "p-earlier"  # row 4 names a person already registered
    path = write_csv(tmp_path / "again.csv", rows)
    one_line_error(
        habeas("person", "import", str(path), "--at", AT, "--as", "o-ice@ice", cwd=tmp_path, env=env, check=False),
        r"row 4: person 'p-earlier' already exists; nothing of the batch was recorded",
    )
    assert size_of(tmp_path, env) == before


def test_a_file_refused_whole_says_why_in_one_line(db: Db, tmp_path: Path) -> None:
    env = world(db, tmp_path)
    before = size_of(tmp_path, env)
    cases = {
        "unknown column": (write_csv(tmp_path / "a.csv", [["Ana", "Sintética", "X1"]],
                                     ["given_names", "surname", "pasport"]),
                           r"unknown column\(s\) 'pasport': the columns are person_id, given_names"),
        "no names": (write_csv(tmp_path / "b.csv", [["A201000001"]], ["a_number"]),
                     r"missing required column\(s\) 'given_names', 'surname'"),
        "not a file": (tmp_path, r"a folder, not a file"),
    }
    for what, (path, pattern) in cases.items():
        proc = habeas("person", "import", str(path), "--at", AT, cwd=tmp_path, env=env, check=False)
        assert proc.returncode == 1, what
        one_line_error(proc, pattern)
    assert size_of(tmp_path, env) == before


def test_the_synthetic_sample_of_261_people_is_imported_in_one_command(db: Db, tmp_path: Path) -> None:
    env = world(db, tmp_path)
    before = size_of(tmp_path, env)
    proc = habeas("person", "import", str(SAMPLE), "--at", AT, "--as", "o-ice@ice", cwd=tmp_path, env=env)
    assert re.search(r"imported 261 people from .*SYNTHETIC-people-261.csv in one transaction", proc.stdout)
    assert size_of(tmp_path, env) == before + 261
    assert "1 found" in habeas("person", "find", "--name", "Jaime Armando Acosta", cwd=tmp_path, env=env).stdout

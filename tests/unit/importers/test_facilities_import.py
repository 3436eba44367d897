"""The facility importer's pure half, on ICE's real 2017 register and on files made to be refused."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from habeas.importers.cells import NoteKind, RowNote
from habeas.importers.facilities import (
    REQUIRED_COLUMNS,
    FacilityGender,
    FacilityImport,
    FacilityRow,
    ImportRowsError,
    load_facilities,
)
from habeas.importers.tabular import ImportFileError, read_table
from tests.paths import DATA

REGISTER = DATA / "ice-facilities-2017" / "ice-facility-list-2017-11-06-main.csv"


@pytest.fixture(scope="module")
def register() -> FacilityImport:
    return load_facilities(REGISTER)


def _by_code(imported: FacilityImport, code: str) -> FacilityRow:
    (facility,) = (f for f in imported.facilities if f.code == code)
    return facility


def _notes_on(imported: FacilityImport, row_number: int) -> list[RowNote]:
    return [note for note in imported.notes if note.row_number == row_number]


def _real_rows() -> tuple[list[str], list[list[str]]]:
    with REGISTER.open(encoding="utf-8", newline="") as f:
        header, *rows = csv.reader(f)
    return header, rows


# --- the real register ---------------------------------------------------------------------------------


def test_the_real_register_imports_whole(register: FacilityImport) -> None:
    assert register.errors == ()
    assert register.rows_read == 1685
    assert len(register.require_importable()) == 1685
    assert register.format == "csv"


def test_capacity_is_a_number_for_149_facilities_and_as_needed_for_the_rest(register: FacilityImport) -> None:
    numeric = [f for f in register.facilities if f.capacity is not None]
    assert len(numeric) == 149  # the README's figure, checked: there are no blank capacities, only AS NEEDED
    as_needed = [f for f in register.facilities if f.capacity_note == "AS NEEDED"]
    assert len(as_needed) == 1685 - 149
    assert all(f.capacity is None for f in as_needed)


def test_summary_counts_every_kind_of_odd_value(register: FacilityImport) -> None:
    summary = register.summary()
    assert summary.rows_read == 1685
    assert summary.facilities_parsed == 1685
    assert summary.with_capacity == 149
    assert summary.errors == 0
    assert summary.blank_rows == 0
    assert summary.notes_by_kind == {
        NoteKind.CAPACITY_NOT_FIXED: 1536,
        NoteKind.WITHHELD_FOIA: 102,  # Per Diem Rate Detailed, written "b)(4)"
        NoteKind.REDACTED: 207 * 7,  # ORR shelters: DETLOC, Name, Address, City, County, State, Zip
        NoteKind.UNAVAILABLE: 31,  # Address "UNAVAILABLE"
        NoteKind.ZIP_ZEROS_RESTORED: 99,  # New England, New Jersey, Puerto Rico, Virgin Islands
        NoteKind.TEXT_CLEANED: 4,  # trailing commas
        NoteKind.OVER_CAPACITY: 16,
    }
    assert summary.blanks_by_column["Guaranteed Minimum"] == 1650
    assert summary.blanks_by_column["Last Inspection Date"] == 1171
    assert summary.not_applicable_by_column["Last Inspection Type"] == 1171
    assert "Capacity" not in summary.blanks_by_column


def test_as_needed_capacity_is_noted_on_its_row(register: FacilityImport) -> None:
    (note,) = [n for n in _notes_on(register, 2) if n.column == "Capacity"]  # ABERDEEN CITY JAIL
    assert note.value == "AS NEEDED"
    assert note.meaning == "capacity not fixed: 'AS NEEDED'"
    assert note.kind is NoteKind.CAPACITY_NOT_FIXED


def test_foia_exemption_b4_is_noted_on_its_row(register: FacilityImport) -> None:
    withheld = [n for n in register.notes if n.kind is NoteKind.WITHHELD_FOIA]
    assert {n.column for n in withheld} == {"Per Diem Rate Detailed"}
    first = withheld[0]
    assert first.row_number == 4  # ABRAXAS ACADEMY DETENTION CENTER
    assert first.value == "b)(4)"
    assert first.meaning.startswith("withheld under FOIA exemption (b)(4)")
    assert _by_code(register, "ABRXSPA").per_diem_rate is None


def test_adelanto(register: FacilityImport) -> None:
    adelanto = _by_code(register, "ADLNTCA")
    assert adelanto.row_number == 11
    assert (
        adelanto.name,
        adelanto.address,
        adelanto.city,
        adelanto.county,
        adelanto.state,
        adelanto.zip,
    ) == (
        "ADELANTO ICE PROCESSING CENTER",
        "10250 RANCHO ROAD",
        "ADELANTO",
        "SAN BERNARDINO",
        "CA",
        "92301",
    )
    assert (adelanto.aor, adelanto.type, adelanto.type_detailed) == ("LOS", "IGSA", "DIGSA")
    assert adelanto.gender is FacilityGender.MIXED
    assert (adelanto.capacity, adelanto.population_count, adelanto.guaranteed_minimum) == (1940, 1747, 1455)
    assert adelanto.operator == "GEO"
    assert (adelanto.contract_start, adelanto.contract_end) == (dt.date(2011, 6, 1), dt.date(2021, 5, 31))
    assert adelanto.last_inspection_date == dt.date(2017, 10, 6)
    assert adelanto.last_inspection_rating == "Meets Standard"
    assert adelanto.raw["Per Diem Rate Detailed"] == "b)(4)"  # the raw row keeps what the value replaced
    assert len(adelanto.raw) == 135


def test_cranston_zip_gets_its_leading_zero_back(register: FacilityImport) -> None:
    cranston = _by_code(register, "RICRANS")
    assert (cranston.row_number, cranston.state, cranston.zip, cranston.raw["Zip"]) == (
        5,
        "RI",
        "02920",
        "2920",
    )
    assert [n.kind for n in _notes_on(register, 5)] == [
        NoteKind.CAPACITY_NOT_FIXED,
        NoteKind.ZIP_ZEROS_RESTORED,
    ]


def test_redacted_orr_shelters_import_without_code_or_place(register: FacilityImport) -> None:
    redacted = [f for f in register.facilities if f.code is None]
    assert len(redacted) == 207
    assert {f.type_detailed for f in redacted} == {"ORR"}
    shelter = next(f for f in redacted if f.row_number == 1079)
    assert (shelter.name, shelter.state, shelter.zip, shelter.aor) == (None, None, None, "DEN")
    assert {n.column for n in _notes_on(register, 1079) if n.kind is NoteKind.REDACTED} == {
        "DETLOC", "Name", "Address", "City", "County", "State", "Zip",
    }  # fmt: skip


def test_population_over_declared_capacity_is_flagged(register: FacilityImport) -> None:
    bergen = _by_code(register, "BERGENJ")
    assert (bergen.capacity, bergen.population_count) == (128, 378)
    (note,) = [n for n in _notes_on(register, bergen.row_number) if n.kind is NoteKind.OVER_CAPACITY]
    assert note.meaning == "population 378 exceeds the declared capacity 128"


def test_progress_is_reported_after_every_row() -> None:
    seen: list[int] = []
    load_facilities(REGISTER, progress=seen.append)
    assert seen == list(range(1, 1686))


def test_an_xlsx_of_real_rows_parses_like_the_csv(tmp_path: Path) -> None:
    header, rows = _real_rows()
    chosen = rows[:12] + [r for r in rows if r[0] in {"STFRCTX", "BERGENJ"}] + rows[1077:1079]
    csv_path = tmp_path / "few.csv"
    with csv_path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([header, *chosen])
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(header)
    for row in chosen:
        sheet.append([_as_excel_would_store(cell) for cell in row])
    xlsx_path = tmp_path / "few.xlsx"
    workbook.save(xlsx_path)

    from_csv, from_xlsx = load_facilities(csv_path), load_facilities(xlsx_path)

    assert from_xlsx.format == "xlsx"
    assert len(from_xlsx.facilities) == len(chosen)
    assert [_comparable(f) for f in from_xlsx.facilities] == [_comparable(f) for f in from_csv.facilities]
    assert from_xlsx.notes == from_csv.notes
    assert from_xlsx.summary() == from_csv.summary()


def _comparable(facility: FacilityRow) -> FacilityRow:
    """Without the raw text, and with averages to 9 places: a workbook keeps 15 significant digits."""

    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 9)

    return dataclasses.replace(
        facility, raw={}, adp_fy17=rounded(facility.adp_fy17), adp_fy18=rounded(facility.adp_fy18)
    )


def _as_excel_would_store(cell: str) -> object:
    """Numbers as numbers and dates as dates, as a spreadsheet holding the register would type them."""
    if re.fullmatch(r"-?\d+", cell):
        return int(cell)
    if re.fullmatch(r"-?\d*\.\d+(E-?\d+)?|-?\d+E-?\d+", cell):
        return float(cell)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", cell):
        return dt.date.fromisoformat(cell)
    return cell


# --- odd values and row errors -----------------------------------------------------------------------


def _write_rows(tmp_path: Path, *rows: dict[str, str], name: str = "rows.csv") -> Path:
    header, real = _real_rows()
    template = dict(zip(header, real[10], strict=True))  # ADELANTO, a complete row
    path = tmp_path / name
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for number, changes in enumerate(rows):
            writer.writerow({**template, "DETLOC": f"TEST{number}", **changes}.values())
    return path


def test_odd_numbers_and_dates_become_none_with_a_note(tmp_path: Path) -> None:
    path = _write_rows(
        tmp_path,
        {"Capacity": "1,200", "Population Count": "-3", "Last Inspection Date": "10/06/2017"},
        {"Capacity": "(b)(4)", "Population Count": "9999999", "Guaranteed Minimum": "twelve"},
    )
    imported = load_facilities(path)
    first, second = imported.facilities
    assert (first.capacity, first.population_count, first.last_inspection_date) == (1200, None, None)
    assert [(n.column, n.kind) for n in _notes_on(imported, 2)] == [
        ("Population Count", NoteKind.NEGATIVE),
        ("Last Inspection Date", NoteKind.NOT_A_DATE),
    ]
    assert (second.capacity, second.population_count, second.guaranteed_minimum) == (None, None, None)
    meanings = {n.column: n.meaning for n in _notes_on(imported, 3)}
    assert meanings["Capacity"] == "withheld under FOIA exemption (b)(4)"
    assert meanings["Population Count"].startswith("implausibly large")
    assert meanings["Guaranteed Minimum"] == "not a whole number: 'twelve'; not imported"
    assert imported.ok


def test_rows_without_code_or_name_or_with_a_repeated_code_refuse_the_file(tmp_path: Path) -> None:
    path = _write_rows(
        tmp_path,
        {"DETLOC": "SAMEONE"},
        {"DETLOC": ""},
        {"Name": " "},
        {"DETLOC": "SAMEONE"},
        {"DETLOC": "A B"},
    )
    imported = load_facilities(path)
    assert [(e.row_number, e.column) for e in imported.errors] == [
        (3, "DETLOC"),
        (4, "Name"),
        (5, "DETLOC"),
        (6, "DETLOC"),
    ]
    assert "first on row 2" in imported.errors[2].reason
    assert [f.row_number for f in imported.facilities] == [2]
    with pytest.raises(ImportRowsError, match=r"4 row\(s\) cannot be imported, so nothing is imported") as e:
        imported.require_importable()
    assert e.value.errors == imported.errors


def test_a_short_row_is_a_row_error(tmp_path: Path) -> None:
    path = _write_rows(tmp_path, {})
    with path.open("a", encoding="utf-8") as f:
        f.write("ONLYFOUR,NAME,ADDRESS,CITY\r\n")
    imported = load_facilities(path)
    assert [str(e) for e in imported.errors] == ["row 3: the row has 4 cells but the header has 135 columns"]


def test_a_utf8_bom_is_accepted(tmp_path: Path) -> None:
    plain = _write_rows(tmp_path, {})
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes())
    assert read_table(bom).header == read_table(plain).header
    assert load_facilities(bom).facilities[0].code == "TEST0"


# --- files refused whole -----------------------------------------------------------------------------


def _refused(path: Path) -> str:
    with pytest.raises(ImportFileError) as e:
        load_facilities(path)
    assert e.value.path == path
    assert "\n" not in str(e.value)
    return e.value.reason


def test_a_binary_file_is_refused(tmp_path: Path) -> None:
    png = tmp_path / "register.csv"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    assert _refused(png) == "the file is a PNG image, not CSV or XLSX"
    noise = tmp_path / "noise.bin"
    noise.write_bytes(b"DETLOC,Name\n" + bytes(range(256)))
    assert "NUL byte at byte offset 12 (line 2): this is a binary file, not CSV" in _refused(noise)


def test_a_legacy_xls_or_utf16_file_is_refused_with_how_to_fix_it(tmp_path: Path) -> None:
    xls = tmp_path / "register.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64)
    assert "legacy Excel .xls" in _refused(xls)
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes(",".join(REQUIRED_COLUMNS).encode("utf-16"))
    assert "UTF-16 text; save it as 'CSV UTF-8'" in _refused(utf16)


def test_undecodable_bytes_are_refused_naming_offset_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    good = _write_rows(tmp_path, {}, {}).read_bytes()
    second_line = good.index(b"\n") + 1
    path.write_bytes(good[:second_line] + b"\xff\xfe\x00garbage" + good[second_line:])
    reason = _refused(path)
    assert reason.startswith(f"undecodable byte 0xff at byte offset {second_line} (line 2)")
    assert "re-save it as 'CSV UTF-8' or XLSX" in reason


def test_wrong_columns_are_refused_listing_the_missing_ones(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("detloc,Name,Address\nABC,Somewhere,1 Main St\n", encoding="utf-8")
    reason = _refused(path)
    assert reason.startswith("missing required column(s) 'DETLOC', 'City', 'County', 'State', 'Zip', 'AOR'")
    assert "'detloc' differs only in case" in reason
    semicolons = tmp_path / "semicolons.csv"
    semicolons.write_text(";".join(REQUIRED_COLUMNS) + "\n" + ";" * 12 + "x\n", encoding="utf-8")
    assert "delimited by ';'" in _refused(semicolons)


def test_duplicate_column_names_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text(",".join([*REQUIRED_COLUMNS, "Capacity"]) + "\n" + "x," * 13 + "x\n", encoding="utf-8")
    assert _refused(path) == "duplicate column name(s): 'Capacity'; rename them"


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\r\n\r\n  "])
def test_an_empty_file_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    assert _refused(path).startswith("the file is empty")


def test_a_header_without_rows_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text(",".join(REQUIRED_COLUMNS) + "\n,,,\n", encoding="utf-8")
    assert _refused(path) == "the file has a header but no data rows"


def test_broken_quoting_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "quotes.csv"
    path.write_text(",".join(REQUIRED_COLUMNS) + '\nABC,"unclosed"x,\n', encoding="utf-8")
    assert _refused(path).startswith("malformed CSV at line 2")


def test_a_zip_that_is_not_a_workbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "register.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    assert _refused(path).startswith("not a readable XLSX workbook")


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    assert _refused(tmp_path / "nowhere.csv").startswith("cannot read the file")

"""Parse a facility register (ICE's "Facility List Report", CSV or XLSX), explaining each odd value.

This is the pure half of `habeas import facilities FILE`: no database, no clock. The caller appends
`FacilityImport.require_importable()` in one transaction, or nothing.

How a file is judged:
- **Fatal** (`ImportFileError`, raised by `read_table` / `parse_facilities`): not CSV or XLSX, undecodable
  bytes, broken quoting, empty, no data rows, duplicate or missing required columns.
- **Row errors** (`RowError`): a row that cannot become a facility (no DETLOC or name, a malformed or
  duplicate DETLOC, a cell count that differs from the header). They are all collected, not stopped at the
  first, but any one of them refuses the whole file: `require_importable()` raises `ImportRowsError`.
  A register with a hole in it would silently drop a place where people are held.
- **Notes** (`RowNote`): an odd value in an importable row. It becomes `None` (or a repaired value, e.g. a
  ZIP code whose leading zero a spreadsheet dropped) and a note says what it meant. Notes never block.
- Blank and "N/A" cells are counted per column in the summary instead of noted one by one.
- `FacilityRow.raw` keeps every cell of the row as text, so nothing the register says is lost.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path

from habeas.importers.cells import NoteKind, RowError, RowNote, RowReader
from habeas.importers.tabular import DEFAULT_MAX_BYTES, ImportFileError, Table, read_table, require_columns

__all__ = [
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "FacilityGender",
    "FacilityImport",
    "FacilityRow",
    "ImportRowsError",
    "ImportSummary",
    "load_facilities",
    "parse_facilities",
]

REQUIRED_COLUMNS: tuple[str, ...] = (
    "DETLOC", "Name", "Address", "City", "County", "State", "Zip", "AOR",
    "Type", "Type Detailed", "Male/Female", "Capacity", "Population Count",
)  # fmt: skip
# Read when present; a register without them still imports, with these fields left empty.
OPTIONAL_COLUMNS: tuple[str, ...] = (
    "Circuit", "Docket", "ICE Funded", "Levels A,B,C,D", "FY17 ADP", "FY18 ADP", "Guaranteed Minimum",
    "Per Diem Rate Detailed", "Facility Operator", "Facility Owner", "Authorization Status",
    "Date of First Use", "Date of Last Use", "Best Known Contract Initiation Date",
    "Best Known Contract Expiration Date", "Last Inspection Type", "Last Inspection Standard",
    "Last Inspection Rating - Final", "Last Inspection Date",
)  # fmt: skip

_CODE = re.compile(r"[A-Za-z0-9]{1,16}")
_ZIP = re.compile(r"\d{5}(?:-\d{4})?")
_ZIP_ZEROS_LOST = re.compile(r"\d{3,4}")
_LEVELS = frozenset("ABCD")

class FacilityGender(StrEnum):
    MALE = "male"
    FEMALE = "female"
    MIXED = "mixed"


_GENDERS = {
    "male": FacilityGender.MALE,
    "female": FacilityGender.FEMALE,
    "female/male": FacilityGender.MIXED,
    "male/female": FacilityGender.MIXED,
}
_YES_NO = {"yes": True, "no": False}


@dataclass(frozen=True, kw_only=True, slots=True)
class FacilityRow:
    row_number: int
    code: str | None  # DETLOC; None only where the agency redacted it (ORR shelters in the 2017 register)
    name: str | None  # None only where redacted
    address: str | None
    city: str | None
    county: str | None
    state: str | None
    zip: str | None
    country: str = "US"
    circuit: str | None = None
    aor: str | None  # ICE field office ("area of responsibility")
    docket: str | None = None
    type: str | None
    type_detailed: str | None
    ice_funded: bool | None = None
    gender: FacilityGender | None
    security_levels: tuple[str, ...] = ()
    capacity: int | None
    capacity_note: str | None = None  # the register's words where it gives no number, e.g. "AS NEEDED"
    population_count: int | None
    adp_fy17: float | None = None  # average daily population
    adp_fy18: float | None = None
    guaranteed_minimum: int | None = None
    per_diem_rate: str | None = None  # free text as the register writes it
    operator: str | None = None
    owner: str | None = None
    authorization_status: str | None = None
    first_use: date | None = None
    last_use: date | None = None
    contract_start: date | None = None
    contract_end: date | None = None
    last_inspection_type: str | None = None
    last_inspection_standard: str | None = None
    last_inspection_rating: str | None = None
    last_inspection_date: date | None = None
    raw: Mapping[str, str] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, kw_only=True, slots=True)
class ImportSummary:
    rows_read: int
    blank_rows: int
    facilities_parsed: int
    with_capacity: int
    notes_by_kind: Mapping[NoteKind, int]
    blanks_by_column: Mapping[str, int]
    not_applicable_by_column: Mapping[str, int]
    errors: int


class ImportRowsError(ImportFileError):
    """Rows that cannot be imported refuse the whole file; `errors` lists every one of them."""

    def __init__(self, path: Path, errors: tuple[RowError, ...]) -> None:
        super().__init__(
            path,
            f"{len(errors)} row(s) cannot be imported, so nothing is imported; first: {errors[0]}; "
            "fix these rows and import the file again",
        )
        self.errors = errors


@dataclass(frozen=True, kw_only=True, slots=True)
class FacilityImport:
    path: Path
    format: str
    rows_read: int
    blank_rows: int
    facilities: tuple[FacilityRow, ...]
    notes: tuple[RowNote, ...]
    errors: tuple[RowError, ...]
    blanks_by_column: Mapping[str, int]
    not_applicable_by_column: Mapping[str, int]

    @property
    def ok(self) -> bool:
        return not self.errors

    def require_importable(self) -> tuple[FacilityRow, ...]:
        """The facilities to append, or `ImportRowsError` if any row cannot be imported."""
        if self.errors:
            raise ImportRowsError(self.path, self.errors)
        return self.facilities

    def summary(self) -> ImportSummary:
        kinds = Counter(note.kind for note in self.notes)
        return ImportSummary(
            rows_read=self.rows_read,
            blank_rows=self.blank_rows,
            facilities_parsed=len(self.facilities),
            with_capacity=sum(1 for f in self.facilities if f.capacity is not None),
            notes_by_kind={kind: kinds[kind] for kind in NoteKind if kinds[kind]},
            blanks_by_column=dict(self.blanks_by_column),
            not_applicable_by_column=dict(self.not_applicable_by_column),
            errors=len(self.errors),
        )


def load_facilities(
    path: Path, *, progress: Callable[[int], None] | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> FacilityImport:
    """The register at `path` (a regular file of at most `max_bytes`), parsed."""
    return parse_facilities(read_table(path, required=REQUIRED_COLUMNS, max_bytes=max_bytes), progress=progress)


def parse_facilities(table: Table, *, progress: Callable[[int], None] | None = None) -> FacilityImport:
    """Parse every row of `table`; `progress(n)` is called after each row with the number of rows done."""
    require_columns(table.path, table.header, REQUIRED_COLUMNS)
    notes: list[RowNote] = []
    blanks: Counter[str] = Counter()
    not_applicable: Counter[str] = Counter()
    facilities: list[FacilityRow] = []
    errors: list[RowError] = []
    first_row_of: dict[str, int] = {}
    width = len(table.header)
    for done, (number, cells) in enumerate(table.rows, start=1):
        if len(cells) < width or any(cell.strip() for cell in cells[width:]):
            errors.append(
                RowError(
                    row_number=number,
                    column=None,
                    value="",
                    reason=f"the row has {len(cells)} cells but the header has {width} columns",
                )
            )
        else:
            reader = RowReader(number, dict(zip(table.header, cells, strict=False)))
            facility = _facility(reader)
            if facility.code is not None:
                first = first_row_of.setdefault(facility.code, number)
                if first != number:
                    reader.error("DETLOC", facility.code, f"duplicate facility code, first on row {first}")
            if reader.errors:
                errors.extend(reader.errors)
            else:
                facilities.append(facility)
                notes.extend(reader.notes)
                blanks.update(reader.blanks)
                not_applicable.update(reader.not_applicable)
        if progress is not None:
            progress(done)
    return FacilityImport(
        path=table.path,
        format=table.format,
        rows_read=len(table.rows),
        blank_rows=table.blank_rows,
        facilities=tuple(facilities),
        notes=tuple(notes),
        errors=tuple(errors),
        blanks_by_column=dict(blanks),
        not_applicable_by_column=dict(not_applicable),
    )


def _facility(r: RowReader) -> FacilityRow:
    code = r.identity("DETLOC")
    if code is not None and not _CODE.fullmatch(code):
        r.error("DETLOC", code, "not a facility code (letters and digits only)")
    name = r.identity("Name")
    capacity, capacity_note = _capacity(r)
    population = r.count("Population Count")
    if capacity is not None and population is not None and population > capacity:
        r.note(
            "Population Count",
            str(population),
            NoteKind.OVER_CAPACITY,
            f"population {population} exceeds the declared capacity {capacity}",
        )
    return FacilityRow(
        row_number=r.number,
        code=code,
        name=name,
        address=r.text("Address"),
        city=r.text("City"),
        county=r.text("County"),
        state=r.text("State"),
        zip=_zip(r),
        circuit=r.text("Circuit"),
        aor=r.text("AOR"),
        docket=r.text("Docket"),
        type=r.text("Type"),
        type_detailed=r.text("Type Detailed"),
        ice_funded=r.choice("ICE Funded", _YES_NO),
        gender=r.choice("Male/Female", _GENDERS),
        security_levels=_levels(r),
        capacity=capacity,
        capacity_note=capacity_note,
        population_count=population,
        adp_fy17=r.decimal("FY17 ADP"),
        adp_fy18=r.decimal("FY18 ADP"),
        guaranteed_minimum=r.count("Guaranteed Minimum"),
        per_diem_rate=r.text("Per Diem Rate Detailed"),
        operator=r.text("Facility Operator"),
        owner=r.text("Facility Owner"),
        authorization_status=r.text("Authorization Status"),
        first_use=r.day("Date of First Use"),
        last_use=r.day("Date of Last Use"),
        contract_start=r.day("Best Known Contract Initiation Date"),
        contract_end=r.day("Best Known Contract Expiration Date"),
        last_inspection_type=r.text("Last Inspection Type"),
        last_inspection_standard=r.text("Last Inspection Standard"),
        last_inspection_rating=r.text("Last Inspection Rating - Final"),
        last_inspection_date=r.day("Last Inspection Date"),
        raw=r.cells,
    )


def _capacity(r: RowReader) -> tuple[int | None, str | None]:
    value = r.peek("Capacity")
    if value and not any(ch.isdigit() for ch in value) and r.plain(value):
        # "AS NEEDED": the facility takes whom it is asked to take; there is no fixed bed count.
        r.note("Capacity", value, NoteKind.CAPACITY_NOT_FIXED, f"capacity not fixed: {value!r}")
        return None, value
    return r.count("Capacity"), None


def _zip(r: RowReader) -> str | None:
    value = r.text("Zip")
    if value is None or _ZIP.fullmatch(value):
        return value
    if _ZIP_ZEROS_LOST.fullmatch(value):
        restored = value.zfill(5)
        r.note(
            "Zip",
            value,
            NoteKind.ZIP_ZEROS_RESTORED,
            f"leading zero(s) restored: {value!r} -> {restored!r} (a spreadsheet stored it as a number)",
        )
        return restored
    r.note("Zip", value, NoteKind.UNRECOGNISED, f"not a US ZIP code: {value!r}; not imported")
    return None


def _levels(r: RowReader) -> tuple[str, ...]:
    value = r.text("Levels A,B,C,D")
    if value is None:
        return ()
    levels = tuple(part.strip().upper() for part in value.split(","))
    if not set(levels) <= _LEVELS:
        r.note(
            "Levels A,B,C,D",
            value,
            NoteKind.UNRECOGNISED,
            f"not security levels A-D: {value!r}; not imported",
        )
        return ()
    return levels

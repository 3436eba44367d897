"""Parse a file of people (CSV or XLSX) into registrations, every bad cell named by row and column.

This is the pure half of `habeas person import FILE`: no database, no clock (the registration time is passed in).
The caller registers `PeopleImport.require_importable()` in one transaction, or nothing
(:func:`habeas.services.bulk.register_people`).

The file: a header row, then one person a row. Column names are matched without regard to case, spaces or
hyphens ("Given names", "A-Number"); a column this importer does not know refuses the file (a misspelt
"pasport" would otherwise drop every passport in it silently). Lists in a cell are separated by ";".

How a file is judged (as the facility register importer judges its files, :mod:`habeas.importers.facilities`):
- **Fatal** (`ImportFileError`): not CSV or XLSX, undecodable, empty, more than `MAX_ROWS` people, a duplicate,
  unknown or missing column.
- **Row errors** (`RowError`): every bad cell of every row, not only the first: a malformed date, country,
  language, A-number or passport, a name in mixed scripts, a row with neither a name nor an identifier, a
  person id given twice. Any one of them refuses the whole file (`PeopleRowsError` lists them all).
- Likely duplicates (the same A-number, or the same name and birth date, as someone registered or as an earlier
  row) are not errors: registration warns and never merges, and the import summarises the warnings.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from habeas.domain import identity, people
from habeas.domain.commands import RegisterPerson
from habeas.domain.errors import InvalidField
from habeas.domain.names import require_name
from habeas.domain.people import Identifier, IdentifierKind, PartialDate, PersonName, Sex
from habeas.domain.values import require_country, require_id, require_language
from habeas.importers.cells import RowError
from habeas.importers.tabular import DEFAULT_MAX_BYTES, ImportFileError, Table, read_table

__all__ = [
    "COLUMNS",
    "MAX_ROWS",
    "REQUIRED_COLUMNS",
    "PeopleImport",
    "PeopleRowsError",
    "PersonRow",
    "column_key",
    "load_people",
    "parse_people",
    "person_problems",
]

# What each column holds; the CLI's --help and the error for an unknown column list them.
COLUMNS: dict[str, str] = {
    "person_id": "the record's id (default: generated)",
    "given_names": "given names in order, separated by spaces",
    "surname": "the first (paternal) surname",
    "second_surname": "the second (maternal) surname, where the person has one",
    "aliases": "other names used, separated by ';'",
    "date_of_birth": "YYYY, YYYY-MM or YYYY-MM-DD (a date cell in a workbook)",
    "sex": "female, male, other or unknown (F, M)",
    "nationalities": "ISO 3166-1 codes, separated by ';'",
    "country_of_birth": "an ISO 3166-1 code",
    "languages": "ISO 639 codes, separated by ';'",
    "a_number": "the US alien registration number",
    "passport": "COUNTRY:NUMBER, separated by ';' for several",
    "national_id": "COUNTRY:NUMBER, separated by ';' for several",
}
REQUIRED_COLUMNS = ("given_names", "surname")
# One transaction holds every row: a register of a whole camp is split into files of this many people at most.
MAX_ROWS = 50_000

_SEXES = {"f": Sex.FEMALE, "female": Sex.FEMALE, "m": Sex.MALE, "male": Sex.MALE, "other": Sex.OTHER,
          "x": Sex.OTHER, "unknown": Sex.UNKNOWN, "u": Sex.UNKNOWN}
_LIST = re.compile(r"[;,\s]+")
# The domain names the field it refuses; the import answers with the column a person fills in.
_COLUMN_OF_FIELD = {
    "given_names": "given_names", "surnames": "surname", "aliases": "aliases", "date_of_birth": "date_of_birth",
    "nationalities": "nationalities", "country_of_birth": "country_of_birth", "languages": "languages",
    "person_id": "person_id", "a_number": "a_number",
}


def column_key(name: str) -> str:
    """``"Given names"``, ``"A-Number"`` -> ``given_names``, ``a_number``."""
    return re.sub(r"[\s-]+", "_", name.strip()).casefold()


@dataclass(frozen=True, kw_only=True, slots=True)
class PersonRow:
    row_number: int
    command: RegisterPerson  # person_id "" where the file gives none: the caller mints one


class PeopleRowsError(ImportFileError):
    """Rows that cannot be imported refuse the whole file; ``errors`` lists every bad cell of every row."""

    def __init__(self, path: Path, errors: Sequence[RowError]) -> None:
        rows = sorted({e.row_number for e in errors})
        listed = ", ".join(map(str, rows[:20])) + (f" and {len(rows) - 20} more" if len(rows) > 20 else "")
        super().__init__(
            path,
            f"{len(errors)} error(s) in {len(rows)} row(s) (row{'s' if len(rows) > 1 else ''} {listed}), so nothing "
            "is imported; fix them and import the file again",
        )
        self.errors = tuple(errors)


@dataclass(frozen=True, kw_only=True, slots=True)
class PeopleImport:
    path: Path
    format: str
    rows_read: int
    blank_rows: int
    people: tuple[PersonRow, ...]
    errors: tuple[RowError, ...]

    def require_importable(self) -> tuple[PersonRow, ...]:
        if self.errors:
            raise PeopleRowsError(self.path, self.errors)
        return self.people


def load_people(
    path: Path, *, at: datetime, progress: Callable[[int], None] | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> PeopleImport:
    """The file at ``path`` (a regular file of at most ``max_bytes``), parsed; ``at`` is the registration time."""
    return parse_people(read_table(path, max_bytes=max_bytes), at=at, progress=progress)


def parse_people(table: Table, *, at: datetime, progress: Callable[[int], None] | None = None) -> PeopleImport:
    columns = _columns(table)
    if len(table.rows) > MAX_ROWS:
        raise ImportFileError(
            table.path, f"{len(table.rows):,} people, over the {MAX_ROWS:,} one import takes in one transaction; "
            "split the file",
        )
    rows: list[PersonRow] = []
    errors: list[RowError] = []
    first_row_of: dict[str, int] = {}
    for done, (number, cells) in enumerate(table.rows, start=1):
        row = _Row(number, {key: cells[i] if i < len(cells) else "" for key, i in columns.items()})
        extra = [c for c in cells[len(table.header):] if c.strip()]
        if extra:
            row.error(None, f"the row has {len(table.header) + len(extra)} cells but the header names "
                      f"{len(table.header)} columns")
        cmd = row.command(at)
        if cmd is not None and cmd.person_id:
            first = first_row_of.setdefault(cmd.person_id, number)
            if first != number:
                row.error("person_id", f"the same person_id as row {first}")
        if row.errors:
            errors.extend(row.errors)
        elif cmd is not None:
            rows.append(PersonRow(row_number=number, command=cmd))
        if progress is not None:
            progress(done)
    return PeopleImport(path=table.path, format=table.format, rows_read=len(table.rows),
                        blank_rows=table.blank_rows, people=tuple(rows), errors=tuple(errors))


def person_problems(cmd: RegisterPerson) -> list[InvalidField]:
    """What the domain would refuse in ``cmd`` before any record is read (formats, scripts, dates), so a batch
    can name every bad item instead of stopping at the first. The domain still decides when it is recorded."""
    from habeas.services.scripts import script_extensions  # the script tables load only when names are checked

    problems: list[InvalidField] = []
    try:
        people.check_scripts(cmd.name, cmd.aliases, cmd.transliterations, scripts=script_extensions)
    except InvalidField as e:
        problems.append(e)
    try:
        identity.register_person(cmd if cmd.person_id else _with_id(cmd), existing=(), now=cmd.occurred_at)
    except InvalidField as e:
        problems.append(e)
    return problems


def _with_id(cmd: RegisterPerson) -> RegisterPerson:
    return replace(cmd, person_id="p-checked")  # an id is minted later; the check needs one


def _columns(table: Table) -> dict[str, int]:
    """Each known column's position; a duplicate (after folding), unknown or missing column refuses the file."""
    keys = [column_key(name) for name in table.header]
    seen: dict[str, str] = {}
    for name, key in zip(table.header, keys, strict=True):
        if key in seen:
            raise ImportFileError(table.path, f"columns {seen[key]!r} and {name!r} are the same column ({key}); "
                                  "keep one")
        seen[key] = name
    unknown = [name for name, key in zip(table.header, keys, strict=True) if key not in COLUMNS]
    if unknown:
        raise ImportFileError(
            table.path, f"unknown column(s) {', '.join(map(repr, unknown))}: the columns are "
            f"{', '.join(COLUMNS)}; rename or delete the others (nothing is dropped silently)",
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in keys]
    if missing:
        raise ImportFileError(table.path, f"missing required column(s) {', '.join(map(repr, missing))}")
    return {key: i for i, key in enumerate(keys)}


class _Row:
    """One row's cells read into a registration, an error for each bad cell."""

    def __init__(self, number: int, cells: dict[str, str]) -> None:
        self.number = number
        self.cells = cells
        self.errors: list[RowError] = []

    def error(self, column: str | None, reason: str) -> None:
        value = "" if column is None else self.cells.get(column, "")
        self.errors.append(RowError(row_number=self.number, column=column, value=value, reason=reason))

    def text(self, column: str) -> str:
        return " ".join(self.cells.get(column, "").split())

    def items(self, column: str, sep: re.Pattern[str] = _LIST) -> list[str]:
        return [part for part in sep.split(self.cells.get(column, "").strip()) if part]

    def checked(self, column: str, check: Callable[[str], object], values: list[str]) -> None:
        for value in values:
            try:
                check(value)
            except InvalidField as e:
                self.error(column, e.reason)
                return

    def command(self, at: datetime) -> RegisterPerson | None:
        before = len(self.errors)
        person_id = self.text("person_id")
        self.checked("person_id", lambda v: require_id("person_id", v), [person_id] if person_id else [])
        name = self._name()
        born = self._born(at)
        sex = _SEXES.get(self.text("sex").casefold() or "unknown")
        if sex is None:
            self.error("sex", f"not one of {', '.join(sorted(set(_SEXES)))}")
        nationalities = [n.upper() for n in self.items("nationalities")]
        self.checked("nationalities", lambda v: require_country("nationalities", v), nationalities)
        birth_country = self.text("country_of_birth").upper() or None
        self.checked("country_of_birth", lambda v: require_country("country_of_birth", v),
                     [birth_country] if birth_country else [])
        languages = [lang.lower() for lang in self.items("languages")]
        self.checked("languages", lambda v: require_language("languages", v), languages)
        aliases = self.items("aliases", re.compile(r"\s*;\s*"))
        self.checked("aliases", lambda v: require_name("aliases", v, max_len=people.MAX_ALIAS), aliases)
        identifiers = self._identifiers()
        if name is None and not identifiers and not self.errors[before:]:
            self.error("given_names", "neither a name nor an identifier: every person needs one or the other")
        if self.errors[before:]:
            return None
        cmd = RegisterPerson(
            person_id=person_id, occurred_at=at, name=name, aliases=tuple(aliases), date_of_birth=born,
            sex=sex or Sex.UNKNOWN, nationalities=tuple(nationalities), country_of_birth=birth_country,
            languages=tuple(languages), identifiers=tuple(identifiers),
        )
        for problem in person_problems(cmd):
            self.error(_COLUMN_OF_FIELD.get(problem.field), problem.reason)
        return None if self.errors[before:] else cmd

    def _name(self) -> PersonName | None:
        given = tuple(self.text("given_names").split())
        surnames = tuple(s for s in (self.text("surname"), self.text("second_surname")) if s)
        if self.text("second_surname") and not self.text("surname"):
            self.error("second_surname", "a second surname without a first: put it in surname")
            return None
        if not given and not surnames:
            return None
        try:
            return PersonName(given_names=given, surnames=surnames)
        except InvalidField as e:
            self.error(_COLUMN_OF_FIELD.get(e.field, "given_names"), e.reason)
            return None

    def _born(self, at: datetime) -> PartialDate | None:
        text = self.text("date_of_birth")
        if not text:
            return None
        try:
            born = PartialDate.parse(text, "date_of_birth")
            people.require_born_by("date_of_birth", born, at)
        except InvalidField as e:
            self.error("date_of_birth", e.reason)
            return None
        return born

    def _identifiers(self) -> list[Identifier]:
        found: list[Identifier] = []
        a_number = self.text("a_number")
        if a_number:
            try:
                found.append(Identifier(kind=IdentifierKind.A_NUMBER, value=a_number, country="US"))
            except InvalidField as e:
                self.error("a_number", e.reason)
        for column, kind in (("passport", IdentifierKind.PASSPORT), ("national_id", IdentifierKind.NATIONAL_ID)):
            for text in self.items(column, re.compile(r"\s*;\s*")):
                issuer, sep, number = text.partition(":")
                if not sep or not issuer.strip() or not number.strip():
                    self.error(column, "not COUNTRY:NUMBER, e.g. SV:A1234567")
                    continue
                try:
                    found.append(Identifier(kind=kind, value=number, country=issuer.strip().upper()))
                except InvalidField as e:
                    self.error(column, e.reason)
        if len(set(found)) != len(found):
            self.error(None, "the same identifier twice")
        return found

"""Reading one row of a register into typed values: an odd value becomes ``None`` (or a repaired value) and a
note that says what it meant; a hole where a value is required becomes a row error.

Placeholders are recognised as the agency writes them: "Redacted", a FOIA exemption such as "(b)(7)(C)",
"Unavailable", "N/A". Blank and "N/A" cells are counted per column rather than noted one by one.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TypeVar

__all__ = ["NoteKind", "RowError", "RowNote", "RowReader"]

# The largest facility in the 2017 register declares 2,400 beds; a count far above any prison is a typo.
_COUNT_LIMIT = 50_000
_FIRST_YEAR, _LAST_YEAR = 1900, 2100

_WHOLE = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.0*)?")
_DECIMAL = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d*)?(?:[eE][+-]?\d+)?")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# FOIA exemptions as the agency writes them: "(b)(4)", "(b)(7)(C)", and in this register also "b)(4)".
_FOIA = re.compile(r"\(?b\)((?:\(\d\)(?:\([A-F]\))?)+)", re.IGNORECASE)
_REDACTED = frozenset({"redacted", "withheld"})
_UNAVAILABLE = frozenset({"unavailable", "unknown"})
_NOT_APPLICABLE = frozenset({"n/a", "na"})

_T = TypeVar("_T")
_N = TypeVar("_N", int, float)


class NoteKind(StrEnum):
    CAPACITY_NOT_FIXED = "capacity.not_fixed"
    WITHHELD_FOIA = "withheld.foia_exemption"
    REDACTED = "withheld.redacted"
    UNAVAILABLE = "value.unavailable"
    UNRECOGNISED = "value.unrecognised"
    IMPLAUSIBLE = "value.implausible"
    NOT_A_NUMBER = "number.invalid"
    NEGATIVE = "number.negative"
    NOT_A_DATE = "date.invalid"
    ZIP_ZEROS_RESTORED = "zip.leading_zeros_restored"
    TEXT_CLEANED = "text.cleaned"
    OVER_CAPACITY = "population.over_capacity"


@dataclass(frozen=True, kw_only=True, slots=True)
class RowNote:
    """What an odd value in an imported row was taken to mean."""

    row_number: int
    column: str
    value: str
    meaning: str
    kind: NoteKind


@dataclass(frozen=True, kw_only=True, slots=True)
class RowError:
    """Why a row cannot become a facility (and so why the file is refused)."""

    row_number: int
    column: str | None
    value: str
    reason: str

    def __str__(self) -> str:
        where = f"row {self.row_number}" + (f", {self.column}" if self.column else "")
        return f"{where}: {self.reason}"


class RowReader:
    """Reads one row into typed values: a note for each odd value, an error for each hole."""

    def __init__(self, number: int, cells: dict[str, str]) -> None:
        self.number = number
        self.cells = cells
        self.notes: list[RowNote] = []
        self.errors: list[RowError] = []
        self.blanks: Counter[str] = Counter()  # merged into the file's account only if the row imports
        self.not_applicable: Counter[str] = Counter()

    def note(self, column: str, value: str, kind: NoteKind, meaning: str) -> None:
        self.notes.append(
            RowNote(row_number=self.number, column=column, value=value, meaning=meaning, kind=kind)
        )

    def error(self, column: str, value: str, reason: str) -> None:
        self.errors.append(RowError(row_number=self.number, column=column, value=value, reason=reason))

    def peek(self, column: str) -> str:
        return self.cells.get(column, "").strip()

    @staticmethod
    def plain(value: str) -> bool:
        """True for a value that is not one of the placeholders `_clean` explains."""
        folded = value.casefold()
        return not (
            folded in _REDACTED
            or folded in _UNAVAILABLE
            or folded in _NOT_APPLICABLE
            or _FOIA.fullmatch(value.replace(" ", ""))
        )

    def _clean(self, column: str) -> tuple[str | None, bool]:
        """The cell's text, or None for a blank or placeholder; the flag says whether it was withheld."""
        if column not in self.cells:
            return None, False
        value = self.cells[column].strip()
        folded = value.casefold()
        if not value:
            self.blanks[column] += 1
        elif folded in _NOT_APPLICABLE:
            self.not_applicable[column] += 1
        elif folded in _REDACTED:
            self.note(column, value, NoteKind.REDACTED, "redacted by the releasing agency")
            return None, True
        elif exemption := _FOIA.fullmatch(value.replace(" ", "")):
            label = f"(b){exemption.group(1)}"
            written = "" if value == label else f" (written {value!r})"
            self.note(
                column, value, NoteKind.WITHHELD_FOIA, f"withheld under FOIA exemption {label}{written}"
            )
            return None, True
        elif folded in _UNAVAILABLE:
            self.note(column, value, NoteKind.UNAVAILABLE, f"recorded as {value!r}: not known")
        else:
            return value, False
        return None, False

    def identity(self, column: str) -> str | None:
        value, withheld = self._clean(column)
        if value is None and not withheld:
            self.error(column, self.peek(column), f"no {column}: every facility needs one (or 'Redacted')")
        return value

    def text(self, column: str) -> str | None:
        value, _ = self._clean(column)
        if value is not None and value.endswith(","):
            cleaned = value.rstrip(", ")
            self.note(column, value, NoteKind.TEXT_CLEANED, f"trailing comma removed: {cleaned!r}")
            return cleaned or None
        return value

    def choice(self, column: str, choices: Mapping[str, _T]) -> _T | None:
        value, _ = self._clean(column)
        if value is None:
            return None
        if (chosen := choices.get(value.casefold())) is None:
            self.note(
                column,
                value,
                NoteKind.UNRECOGNISED,
                f"not one of {', '.join(map(repr, choices))}: {value!r}; not imported",
            )
        return chosen

    def count(self, column: str) -> int | None:
        value, _ = self._clean(column)
        if value is None:
            return None
        if not _WHOLE.fullmatch(value):
            self.note(column, value, NoteKind.NOT_A_NUMBER, f"not a whole number: {value!r}; not imported")
            return None
        number = int(value.replace(",", "").split(".")[0])
        return self._bounded(column, value, number)

    def decimal(self, column: str) -> float | None:
        value, _ = self._clean(column)
        if value is None:
            return None
        if not (_DECIMAL.fullmatch(value) and any(ch.isdigit() for ch in value)):
            self.note(column, value, NoteKind.NOT_A_NUMBER, f"not a number: {value!r}; not imported")
            return None
        number = float(value.replace(",", ""))
        return None if self._bounded(column, value, number) is None else number

    def _bounded(self, column: str, value: str, number: _N) -> _N | None:
        if number < 0:
            self.note(column, value, NoteKind.NEGATIVE, f"negative, so not a count: {value!r}; not imported")
            return None
        if number > _COUNT_LIMIT:
            self.note(
                column,
                value,
                NoteKind.IMPLAUSIBLE,
                f"implausibly large (over {_COUNT_LIMIT:,}): {value!r}; not imported",
            )
            return None
        return number

    def day(self, column: str) -> date | None:
        value, _ = self._clean(column)
        if value is None:
            return None
        try:
            parsed = date.fromisoformat(value) if _ISO_DATE.fullmatch(value) else None
        except ValueError:
            parsed = None
        if parsed is None:
            self.note(
                column, value, NoteKind.NOT_A_DATE, f"not an ISO date (YYYY-MM-DD): {value!r}; not imported"
            )
        elif not _FIRST_YEAR <= parsed.year <= _LAST_YEAR:
            self.note(column, value, NoteKind.IMPLAUSIBLE, f"implausible year {parsed.year}; not imported")
            parsed = None
        return parsed

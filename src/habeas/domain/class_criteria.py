"""The class a court order defines: the criteria courts use, each checked purely against one person's facts.

A class is a conjunction of criteria (:class:`ClassCriteria`): nationality, destination (countries named, or any
third country), legal basis, facility, field office (ICE's "area of responsibility", e.g. ``HOU``), judicial
district (e.g. ``TXSD``), detained from / before a date, and designation. Each criterion set answers, for a
person (:class:`PersonFacts`) on a move (:class:`Move`), that it holds, that it fails, or that a fact it needs
is not recorded (:class:`Match`); :mod:`habeas.gates.coverage` turns the answers into covered / not covered /
undetermined, and the gates block on the last two as on a failure (missing data is not consent).

**Any third country** is a destination that is none of the person's nationalities (for a dual national, none
of them) and not the country moving them (a transfer within a country is not a removal). With no nationality
recorded it is unknown. A court that defines it otherwise (a country not designated in the removal
proceedings) is not expressible yet: record the countries it names with ``destination_in``.

A class order's scope is public law: every criterion describes a class, never a person.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from habeas.domain.errors import InvalidField
from habeas.domain.facilities import require_area_code
from habeas.domain.values import format_utc, require_aware, require_country, require_id, require_slug


class Criterion(StrEnum):
    """In the order they are checked and named (the first that fails, or the first unknown, decides)."""

    NATIONALITY = "nationality"
    DESTINATION = "destination"
    LEGAL_BASIS = "legal_basis"
    FACILITY = "facility"
    FIELD_OFFICE = "field_office"
    DISTRICT = "district"
    DETAINED_FROM = "detained_from"
    DETAINED_BEFORE = "detained_before"
    DESIGNATION = "designation"


class Match(StrEnum):
    HOLDS = "holds"
    FAILS = "fails"
    UNKNOWN = "unknown"


@dataclass(frozen=True, kw_only=True)
class CriterionMatch:
    criterion: Criterion
    match: Match
    text: str


@dataclass(frozen=True, kw_only=True)
class PersonFacts:
    """The facts about one person that a class criterion is checked against, at one time.

    ``facility_id`` is where the person is held or, in transit, handed over or released, the last facility that
    held them; ``field_office`` and ``district`` are that facility's (``None``: not recorded). ``detained_since``
    is when the person's latest custody began (an admission after release, removal or escape starts a new one; a
    handover passes custody on without ending it). Empty nationalities or legal bases mean "not recorded";
    designations are recorded explicitly, so having none is a fact.
    """

    person_id: str
    nationalities: frozenset[str] = frozenset()
    legal_bases: frozenset[str] = frozenset()
    facility_id: str | None = None
    field_office: str | None = None
    district: str | None = None
    detained_since: datetime | None = None
    designations: frozenset[str] = frozenset()


@dataclass(frozen=True, kw_only=True)
class Move:
    """The move a class is checked for: the country moving the person and the destination (a leg's two ends)."""

    origin_country: str
    destination_country: str


_ORDER = tuple(Criterion)
_CRITERIA, _CHECKERS = "_criteria_set", "_criteria_checks"  # where a ClassCriteria keeps what it works out once


def _codes(values: tuple[str, ...]) -> str:
    return ", ".join(values)


def _when(t: datetime) -> str:
    return format_utc(t)


@dataclass(frozen=True, kw_only=True)
class ClassCriteria:
    """A class: every criterion set must hold; an unset one is not checked, but at least one must be set.

    ``destination_in`` and ``any_third_country`` are one criterion (the destination): it holds when the
    destination is named, or is a third country when ``any_third_country``. ``detained_from`` (inclusive) and
    ``detained_before`` (exclusive) bound when the person's custody began, as half-open periods do.
    """

    nationality_in: tuple[str, ...] = ()
    destination_in: tuple[str, ...] = ()
    any_third_country: bool = False
    legal_basis_in: tuple[str, ...] = ()
    detained_at_facility_in: tuple[str, ...] = ()
    field_office_in: tuple[str, ...] = ()
    district_in: tuple[str, ...] = ()
    detained_from: datetime | None = None
    detained_before: datetime | None = None
    designation_in: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for c in self.nationality_in:
            require_country("nationality_in", c)
        for c in self.destination_in:
            require_country("destination_in", c)
        if not isinstance(self.any_third_country, bool):
            raise InvalidField("any_third_country", self.any_third_country, "not true or false")
        for b in self.legal_basis_in:
            require_slug("legal_basis_in", b)
        for d in self.designation_in:
            require_slug("designation_in", d)
        for f in self.detained_at_facility_in:
            require_id("detained_at_facility_in", f)
        # codes kept in upper case, so a class and a facility's registration compare equal however typed
        set_ = object.__setattr__
        set_(self, "field_office_in", tuple(require_area_code("field_office_in", v) for v in self.field_office_in))
        set_(self, "district_in", tuple(require_area_code("district_in", v) for v in self.district_in))
        for name in ("detained_from", "detained_before"):
            value = getattr(self, name)
            if value is not None:
                set_(self, name, require_aware(name, value))
        start, end = self.detained_from, self.detained_before
        if start is not None and end is not None and start >= end:
            raise InvalidField("detained_from", start, f"not before detained_before {_when(end)}: an empty class")
        present = self._present()
        if not present:
            raise InvalidField("criteria", self, "no criterion: a class must be defined by at least one")
        # Worked out once: a clearance checks one class against everyone aboard, and finding the criteria set
        # (a walk of the enum) cost more than checking them. Kept outside the fields, so equality, hashing, repr
        # and the encoding never see it; the class is frozen, so it cannot go stale.
        set_(self, _CRITERIA, present)
        set_(self, _CHECKERS, tuple(_CHECKS[k] for k in present))

    def criteria(self) -> tuple[Criterion, ...]:
        """The criteria set, in :class:`Criterion` order."""
        found: tuple[Criterion, ...] = self.__dict__[_CRITERIA]
        return found

    def _present(self) -> tuple[Criterion, ...]:
        c = Criterion
        present = {
            c.NATIONALITY: bool(self.nationality_in),
            c.DESTINATION: bool(self.destination_in) or self.any_third_country,
            c.LEGAL_BASIS: bool(self.legal_basis_in),
            c.FACILITY: bool(self.detained_at_facility_in),
            c.FIELD_OFFICE: bool(self.field_office_in),
            c.DISTRICT: bool(self.district_in),
            c.DETAINED_FROM: self.detained_from is not None,
            c.DETAINED_BEFORE: self.detained_before is not None,
            c.DESIGNATION: bool(self.designation_in),
        }
        return tuple(k for k in _ORDER if present[k])

    def matches(self, facts: PersonFacts, move: Move | None) -> tuple[CriterionMatch, ...]:
        """Each criterion set, checked against ``facts`` on ``move`` (``None``: no move in question)."""
        checkers: tuple[_Check, ...] = self.__dict__[_CHECKERS]
        return tuple([check(self, facts, move) for check in checkers])

    def covers(self, facts: PersonFacts, move: Move | None = None) -> bool:
        return all(m.match is Match.HOLDS for m in self.matches(facts, move))


# -- one check per criterion ---------------------------------------------------------------------------------


def _answer(criterion: Criterion, holds: bool, yes: str, no: str) -> CriterionMatch:
    return CriterionMatch(criterion=criterion, match=Match.HOLDS if holds else Match.FAILS, text=yes if holds else no)


def _unknown(criterion: Criterion, text: str) -> CriterionMatch:
    return CriterionMatch(criterion=criterion, match=Match.UNKNOWN, text=text)


def _one_of(criterion: Criterion, label: str, have: frozenset[str], wanted: tuple[str, ...]) -> CriterionMatch:
    if not have:
        return _unknown(criterion, f"{label}: not recorded for the person")
    shown = _codes(tuple(sorted(have)))
    return _answer(criterion, bool(have & set(wanted)), f"{label} {shown}",
                   f"{label} {shown} is not in the class ({_codes(wanted)})")


def _nationality(k: ClassCriteria, f: PersonFacts, move: Move | None) -> CriterionMatch:
    return _one_of(Criterion.NATIONALITY, "nationality", f.nationalities, k.nationality_in)


def _legal_basis(k: ClassCriteria, f: PersonFacts, move: Move | None) -> CriterionMatch:
    return _one_of(Criterion.LEGAL_BASIS, "legal basis", f.legal_bases, k.legal_basis_in)


def _designation(k: ClassCriteria, f: PersonFacts, move: Move | None) -> CriterionMatch:
    held = bool(f.designations & set(k.designation_in))
    return _answer(Criterion.DESIGNATION, held, f"designation {_codes(k.designation_in)}",
                   f"designation: none of {_codes(k.designation_in)} recorded for the person")


def _destination(k: ClassCriteria, f: PersonFacts, move: Move | None) -> CriterionMatch:
    c = Criterion.DESTINATION
    if move is None:
        return _unknown(c, "destination: no move to check it against")
    to = move.destination_country
    if to in k.destination_in:
        return _answer(c, True, f"destination {to}", "")
    named = f"not among {_codes(k.destination_in)}" if k.destination_in else "not named"
    if not k.any_third_country:
        return _answer(c, False, "", f"destination {to} is {named}")
    if to == move.origin_country:
        return _answer(c, False, "", f"destination {to}: a move within the country is not to a third country")
    if not f.nationalities:
        return _unknown(c, f"destination {to}: the person's nationality is not recorded, so whether it is a third "
                           "country is unknown")
    return _answer(c, to not in f.nationalities,
                   f"destination {to} (a third country)",
                   f"destination {to} is a country of the person's nationality, not a third country")


def _facility(k: ClassCriteria, f: PersonFacts, move: Move | None) -> CriterionMatch:
    c = Criterion.FACILITY
    if f.facility_id is None:
        return _unknown(c, "facility: none is recorded as holding the person")
    return _answer(c, f.facility_id in k.detained_at_facility_in, f"facility {f.facility_id}",
                   f"facility {f.facility_id} is not in the class ({_codes(k.detained_at_facility_in)})")


def _area(
    criterion: Criterion, label: str, code: str | None, wanted: tuple[str, ...], f: PersonFacts
) -> CriterionMatch:
    if f.facility_id is None:
        return _unknown(criterion, f"{label}: no facility is recorded as holding the person")
    if code is None:
        return _unknown(criterion, f"{label}: facility {f.facility_id} has none recorded (amend its registration)")
    return _answer(criterion, code in wanted, f"{label} {code}",
                   f"{label} {code} (facility {f.facility_id}) is not in the class ({_codes(wanted)})")


def _field_office(k: ClassCriteria, f: PersonFacts, move: Move | None) -> CriterionMatch:
    return _area(Criterion.FIELD_OFFICE, "field office", f.field_office, k.field_office_in, f)


def _district(k: ClassCriteria, f: PersonFacts, move: Move | None) -> CriterionMatch:
    return _area(Criterion.DISTRICT, "district", f.district, k.district_in, f)


def _detained(criterion: Criterion, label: str, bound: datetime, f: PersonFacts, holds: Callable[[datetime], bool]
              ) -> CriterionMatch:
    if f.detained_since is None:
        return _unknown(criterion, f"{label} {_when(bound)}: when the person's custody began is not recorded")
    began = f"custody began {_when(f.detained_since)}"
    return _answer(criterion, holds(f.detained_since), f"{label} {_when(bound)} ({began})",
                   f"not {label} {_when(bound)}: {began}")


def _detained_from(k: ClassCriteria, f: PersonFacts, move: Move | None) -> CriterionMatch:
    assert k.detained_from is not None
    bound = k.detained_from
    return _detained(Criterion.DETAINED_FROM, "detained from", bound, f, lambda since: since >= bound)


def _detained_before(k: ClassCriteria, f: PersonFacts, move: Move | None) -> CriterionMatch:
    assert k.detained_before is not None
    bound = k.detained_before
    return _detained(Criterion.DETAINED_BEFORE, "detained before", bound, f, lambda since: since < bound)


_Check = Callable[[ClassCriteria, PersonFacts, Move | None], CriterionMatch]
_CHECKS: Mapping[Criterion, _Check] = {
    Criterion.NATIONALITY: _nationality,
    Criterion.DESTINATION: _destination,
    Criterion.LEGAL_BASIS: _legal_basis,
    Criterion.FACILITY: _facility,
    Criterion.FIELD_OFFICE: _field_office,
    Criterion.DISTRICT: _district,
    Criterion.DETAINED_FROM: _detained_from,
    Criterion.DETAINED_BEFORE: _detained_before,
    Criterion.DESIGNATION: _designation,
}

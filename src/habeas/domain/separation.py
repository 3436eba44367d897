"""Separation (Mandela rule 11; APT guidance): who may share a unit, judged on what the record says.

Men and women apart; untried apart from convicted; civil (and people held for migration reasons) apart from
criminal detainees; juveniles apart from adults; people alleged to belong to rival organisations apart; and
whatever the unit itself is reserved for (its :class:`~habeas.domain.facilities.Separation`). A known breach
(:func:`separation_violation`) is never overridable.

Everything separation turns on comes from the record, given by the services as an :class:`Occupant`; nothing here
guesses. The age group is the one the recorded birth date gives on the day of the intake (:func:`age_group_at`);
organisations come from *allegations* (using an allegation to keep people safe apart asserts nothing about its
truth). A fact the record does not settle matters (:func:`missing_facts`) where the unit is declared for one sex
(the person's sex), or for an age group (their birth date), or where a known minor would share it with someone
whose age is not settled; :class:`SeparationUnknown` names what to record.
"""

from __future__ import annotations

import calendar
import itertools
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from habeas.domain.errors import DomainError
from habeas.domain.facilities import AgeGroup, CapacityStandard, DetentionCategory, Separation, computed_capacity
from habeas.domain.people import PartialDate, Sex


class SeparationRule(StrEnum):
    UNIT_SEX = "unit_sex"  # the unit is for the other sex
    SEX = "sex"  # men and women apart (rule 11(a))
    UNIT_CATEGORY = "unit_category"  # the unit is not for this detention category
    CATEGORY = "category"  # untried/convicted, civil/criminal, migration/criminal apart (rule 11(b)(c); APT)
    UNIT_AGE_GROUP = "unit_age_group"
    AGE_GROUP = "age_group"  # young and adult apart (rule 11(d))
    UNIT_ORGANISATION = "unit_organisation"  # the unit is reserved to another organisation
    RIVAL_ORGANISATION = "rival_organisation"  # alleged members of rival organisations apart


_D = DetentionCategory
# Pairs that may not share a unit. Migration detention is administrative: APT guidance keeps it apart from
# criminal detention, convicted and untried alike.
INCOMPATIBLE_CATEGORIES: frozenset[frozenset[DetentionCategory]] = frozenset(
    {
        frozenset({_D.MIGRATION, _D.CONVICTED}),
        frozenset({_D.MIGRATION, _D.UNTRIED}),
        frozenset({_D.UNTRIED, _D.CONVICTED}),
        frozenset({_D.CIVIL, _D.CONVICTED}),
        frozenset({_D.CIVIL, _D.UNTRIED}),
    }
)
_SEXES_APART = frozenset({Sex.MALE, Sex.FEMALE})
# Under 18 is a child (CRC art. 1), held apart from adults (Mandela rule 11(d), Beijing Rules 13.4 and 26.3).
AGE_OF_MAJORITY = 18


def _age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def age_group_at(born: PartialDate | None, at: datetime) -> AgeGroup | None:
    """The age group a recorded birth date gives on the day ``at`` falls on (in the offset it was recorded
    with); ``None`` when no birth date is recorded, or one known only to the year or month allows either."""
    if born is None:
        return None
    month = born.month or 12
    latest = date(born.year, month, born.day or calendar.monthrange(born.year, month)[1])
    day = at.date()
    if _age_on(latest, day) >= AGE_OF_MAJORITY:  # even born on the last day the date allows
        return AgeGroup.ADULT
    if _age_on(born.earliest(), day) < AGE_OF_MAJORITY:  # even born on the first
        return AgeGroup.JUVENILE
    return None


class SeparationViolation(DomainError):
    code = "separation-violation"

    def __init__(self, unit: str, rule: str, person: str) -> None:
        self.unit = unit
        self.rule = rule
        self.person = person
        super().__init__(f"person {person!r} cannot be placed in unit {unit!r}: separation rule {rule}")


class Unrecorded(StrEnum):
    """A fact separation turns on that the record does not settle."""

    BIRTH_DATE = "birth_date"  # none recorded, or one too vague to tell a minor from an adult
    SEX = "sex"


_WHAT_TO_RECORD = {
    Unrecorded.BIRTH_DATE: "a birth date precise enough to tell whether they are under 18",
    Unrecorded.SEX: "their sex",
}


@dataclass(frozen=True, kw_only=True)
class MissingFact:
    """Whose fact, and which, the record does not settle."""

    person_id: str
    fact: Unrecorded

    def __str__(self) -> str:
        return f"{self.fact} of {self.person_id}"


class SeparationUnknown(DomainError):
    """A fact a separation rule turns on is not recorded: ``missing`` says whose and which."""

    code = "separation-unknown"

    def __init__(self, unit: str, person: str, missing: Sequence[MissingFact]) -> None:
        self.unit = unit
        self.person = person
        self.missing = tuple(str(m) for m in missing)
        needed = "; ".join(f"record {_WHAT_TO_RECORD[m.fact]} for {m.person_id!r}" for m in missing)
        super().__init__(
            f"person {person!r} cannot be placed in unit {unit!r} on what is recorded: the unit's separation turns "
            f"on facts not recorded ({', '.join(self.missing)}): {needed} (an amendment of the registration), "
            "or admit with an override naming the unit"
        )


@dataclass(frozen=True, kw_only=True)
class Occupant:
    person_id: str
    sex: Sex
    category: DetentionCategory
    age_group: AgeGroup | None  # from the recorded birth date (:func:`age_group_at`); None: not settled
    organisations: tuple[str, ...] = ()  # from allegations: names as recorded


@dataclass(frozen=True, kw_only=True)
class UnitOccupancy:
    """A unit and who is in it now, as the projections hold it."""

    facility_id: str
    unit_id: str
    floor_area_m2: Decimal
    separation: Separation
    occupants: tuple[Occupant, ...] = ()

    def capacity(self, standard: CapacityStandard) -> int:
        return computed_capacity(self.floor_area_m2, standard)


def _key(organisation: str) -> str:
    return " ".join(organisation.casefold().split())


def _rivals(a: str, b: str, rivalries: Collection[frozenset[str]] | None) -> bool:
    """``None``: any two different organisations are rivals (the safe default without better knowledge)."""
    if _key(a) == _key(b):
        return False
    if rivalries is None:
        return True
    return frozenset({_key(a), _key(b)}) in {frozenset(_key(x) for x in pair) for pair in rivalries}


def separation_violation(
    person: Occupant, unit: UnitOccupancy, *, rivalries: Collection[frozenset[str]] | None = None
) -> SeparationRule | None:
    """The first separation rule placing ``person`` in ``unit`` would break on what is known, or ``None``
    (what is not known is :func:`missing_facts`' to say)."""
    rules = unit.separation
    if rules.sex is not None and person.sex is not Sex.UNKNOWN and person.sex is not rules.sex:
        return SeparationRule.UNIT_SEX
    if rules.categories and person.category not in rules.categories:
        return SeparationRule.UNIT_CATEGORY
    if rules.age_group is not None and person.age_group is not None and person.age_group is not rules.age_group:
        return SeparationRule.UNIT_AGE_GROUP
    if rules.organisation is not None and _key(rules.organisation) not in {_key(o) for o in person.organisations}:
        return SeparationRule.UNIT_ORGANISATION
    others = [o for o in unit.occupants if o.person_id != person.person_id]
    for other in others:
        if {person.sex, other.sex} == _SEXES_APART:
            return SeparationRule.SEX
        if frozenset({person.category, other.category}) in INCOMPATIBLE_CATEGORIES:
            return SeparationRule.CATEGORY
        if None not in (person.age_group, other.age_group) and person.age_group is not other.age_group:
            return SeparationRule.AGE_GROUP
        pairs = itertools.product(person.organisations, other.organisations)
        if any(_rivals(a, b, rivalries) for a, b in pairs):
            return SeparationRule.RIVAL_ORGANISATION
    return None


def missing_facts(person: Occupant, unit: UnitOccupancy) -> tuple[MissingFact, ...]:
    """What the record does not settle that placing ``person`` in ``unit`` turns on: the person's sex where the
    unit is for one sex; their birth date where the unit is for an age group; and, where a known minor would
    share the unit with someone whose age is not settled, that person's birth date. (A unit declared for no age
    group and holding no known minor takes people whose age is not recorded: declare its age group to stop that.)"""
    missing: list[MissingFact] = []
    rules = unit.separation
    if rules.sex is not None and person.sex is Sex.UNKNOWN:
        missing.append(MissingFact(person_id=person.person_id, fact=Unrecorded.SEX))
    others = [o for o in unit.occupants if o.person_id != person.person_id]
    minor_among = any(o.age_group is AgeGroup.JUVENILE for o in others)
    if person.age_group is None and (rules.age_group is not None or minor_among):
        missing.append(MissingFact(person_id=person.person_id, fact=Unrecorded.BIRTH_DATE))
    if person.age_group is AgeGroup.JUVENILE:
        missing += [
            MissingFact(person_id=o.person_id, fact=Unrecorded.BIRTH_DATE) for o in others if o.age_group is None
        ]
    return tuple(missing)

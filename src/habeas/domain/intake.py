"""Intake at the receiving facility: the admission record and a unit within capacity and separation (M8).

Admission records the Mandela rule 7 fields (:func:`habeas.domain.people.record_admission`, reused as is) and
places the person in a unit. The unit must satisfy:

- **capacity** (invariant 6): the occupancy after admission may not exceed the unit's capacity *computed from
  its floor area* under the policy pack's standard (:func:`~habeas.domain.facilities.computed_capacity`), not
  its declared beds. Going over needs a :class:`CapacityOverride` with a reason and the officer authorising it,
  and is reported by an ``intake.capacity_override`` entry;
- **separation** (Mandela rule 11; APT guidance), never overridable: men and women apart; untried apart from
  convicted; civil (and people held for migration reasons) apart from criminal detainees; juveniles apart from
  adults; people alleged to belong to rival organisations apart; and whatever the unit itself is reserved for
  (its :class:`~habeas.domain.facilities.Separation`).

Organisations come from *allegations*: using an allegation to keep people safe apart asserts nothing about its
truth. A person's sex, category, age group and organisations are given by the services as an
:class:`Occupant`; the domain does not guess them.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from habeas.domain import custody
from habeas.domain.custody import Authority, Custodian, CustodyState, CustodyStatus
from habeas.domain.custody_commands import AdmitToCustody, ArriveAtFacility
from habeas.domain.errors import DomainError, InvalidField, UnknownRecord
from habeas.domain.events import CONTENT, Event, EventType
from habeas.domain.facilities import (
    AgeGroup,
    CapacityStandard,
    DetentionCategory,
    OfficerRef,
    Separation,
    UnitRef,
    computed_capacity,
)
from habeas.domain.people import PersonState, RecordAdmission, Sex, record_admission
from habeas.domain.values import require_id, require_text


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


class CapacityExceeded(DomainError):
    code = "capacity-exceeded"

    def __init__(self, unit: str, occupancy: int, capacity: int) -> None:
        self.unit = unit
        self.occupancy = occupancy
        self.capacity = capacity
        super().__init__(f"unit {unit!r} holds {occupancy} of a computed capacity of {capacity}: override needed")


class SeparationViolation(DomainError):
    code = "separation-violation"

    def __init__(self, unit: str, rule: str, person: str) -> None:
        self.unit = unit
        self.rule = rule
        self.person = person
        super().__init__(f"person {person!r} cannot be placed in unit {unit!r}: separation rule {rule}")


class NoUnitAvailable(DomainError):
    """No unit of the facility can take the person; ``reasons`` holds each unit's refusal."""

    code = "no-unit-available"

    def __init__(self, person_id: str, reasons: Sequence[DomainError]) -> None:
        self.person_id = person_id
        self.reasons = tuple(reasons)
        super().__init__(f"no unit can take person {person_id!r} ({len(self.reasons)} units refused)")


@dataclass(frozen=True, kw_only=True)
class Occupant:
    person_id: str
    sex: Sex
    category: DetentionCategory
    age_group: AgeGroup = AgeGroup.ADULT
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


@dataclass(frozen=True, kw_only=True)
class CapacityOverride:
    """Permission to go over computed capacity: a reason (private in the log) and the officer who authorised it."""

    reason: str
    authorised_by: str


@dataclass(frozen=True, kw_only=True)
class IntakeCapacityOverride(Event):
    """``stream`` is the facility. ``occupancy`` counts the person admitted; ``capacity`` is the computed one."""

    TYPE: ClassVar[EventType] = EventType.INTAKE_CAPACITY_OVERRIDE

    admission_id: str
    unit_id: str
    person_id: str
    occupancy: int
    capacity: int
    standard: CapacityStandard
    authorised_by: str
    # free text beside a person's id: private, the public log says who authorised going over capacity
    reason: str | None = field(default=None, metadata=CONTENT)


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
    """The first separation rule placing ``person`` in ``unit`` would break, or ``None``."""
    rules = unit.separation
    if rules.sex is not None and person.sex is not rules.sex:
        return SeparationRule.UNIT_SEX
    if rules.categories and person.category not in rules.categories:
        return SeparationRule.UNIT_CATEGORY
    if rules.age_group is not None and person.age_group is not rules.age_group:
        return SeparationRule.UNIT_AGE_GROUP
    if rules.organisation is not None and _key(rules.organisation) not in {_key(o) for o in person.organisations}:
        return SeparationRule.UNIT_ORGANISATION
    others = [o for o in unit.occupants if o.person_id != person.person_id]
    for other in others:
        if {person.sex, other.sex} == _SEXES_APART:
            return SeparationRule.SEX
        if frozenset({person.category, other.category}) in INCOMPATIBLE_CATEGORIES:
            return SeparationRule.CATEGORY
        if person.age_group is not other.age_group:
            return SeparationRule.AGE_GROUP
        pairs = itertools.product(person.organisations, other.organisations)
        if any(_rivals(a, b, rivalries) for a, b in pairs):
            return SeparationRule.RIVAL_ORGANISATION
    return None


def check_placement(
    person: Occupant,
    unit: UnitOccupancy,
    *,
    standard: CapacityStandard,
    override: CapacityOverride | None = None,
    rivalries: Collection[frozenset[str]] | None = None,
) -> bool:
    """Raises :class:`SeparationViolation` or :class:`CapacityExceeded`; ``True`` when the override is used."""
    rule = separation_violation(person, unit, rivalries=rivalries)
    if rule is not None:
        raise SeparationViolation(unit.unit_id, rule, person.person_id)
    occupancy = sum(1 for o in unit.occupants if o.person_id != person.person_id)
    capacity = unit.capacity(standard)
    if occupancy + 1 <= capacity:
        return False
    if override is None:
        raise CapacityExceeded(unit.unit_id, occupancy, capacity)
    return True


def choose_unit(
    person: Occupant,
    units: Sequence[UnitOccupancy],
    *,
    standard: CapacityStandard,
    rivalries: Collection[frozenset[str]] | None = None,
) -> UnitOccupancy:
    """The first unit, in the order given, that takes the person within capacity and separation."""
    reasons: list[DomainError] = []
    for unit in units:
        try:
            check_placement(person, unit, standard=standard, rivalries=rivalries)
        except (SeparationViolation, CapacityExceeded) as e:
            reasons.append(e)
        else:
            return unit
    raise NoUnitAvailable(person.person_id, reasons)


@dataclass(frozen=True, kw_only=True)
class AdmitAtIntake:
    """Rule 7 admission plus housing. ``authority`` ``None`` keeps the person's current legal authority."""

    admission: RecordAdmission
    unit_id: str
    custodian: Custodian
    authority: Authority | None = None
    receipt_id: str | None = None
    override: CapacityOverride | None = None


def admit_at_intake(
    cmd: AdmitAtIntake,
    *,
    person: PersonState | None,
    occupant: Occupant,
    unit: UnitOccupancy | None,
    state: CustodyState,
    officer: OfficerRef | None,
    standard: CapacityStandard,
    now: datetime,
    rivalries: Collection[frozenset[str]] | None = None,
    already_recorded: bool = False,
) -> list[Event]:
    """``person.admission.recorded``, the override report if capacity is exceeded, then ``custody.changed``.

    From a transport leg the custody transition is ``arrive``; from outside custody (handed over by an
    agency that keeps no record here) it is ``admit``.
    """
    adm = cmd.admission
    if occupant.person_id != adm.person_id:
        raise InvalidField("occupant", occupant.person_id, f"not the person admitted ({adm.person_id!r})")
    if unit is None or unit.unit_id != cmd.unit_id or unit.facility_id != adm.facility_id:
        raise UnknownRecord("unit", f"{adm.facility_id}/{cmd.unit_id}")
    events = record_admission(adm, person=person, facility_exists=True, now=now, already_recorded=already_recorded)
    if check_placement(occupant, unit, standard=standard, override=cmd.override, rivalries=rivalries):
        assert cmd.override is not None  # check_placement raised otherwise
        events.append(
            IntakeCapacityOverride(
                stream=unit.facility_id,
                occurred_at=events[0].occurred_at,
                admission_id=adm.admission_id,
                unit_id=unit.unit_id,
                person_id=adm.person_id,
                occupancy=1 + sum(1 for o in unit.occupants if o.person_id != adm.person_id),
                capacity=unit.capacity(standard),
                standard=CapacityStandard(standard),
                reason=require_text("override.reason", cmd.override.reason, max_len=500),
                authorised_by=require_id("override.authorised_by", cmd.override.authorised_by),
            )
        )
    ref = UnitRef(unit_id=unit.unit_id, facility_id=unit.facility_id)
    if state.status is CustodyStatus.IN_TRANSIT:
        events += custody.arrive(
            ArriveAtFacility(
                person_id=adm.person_id,
                occurred_at=adm.occurred_at,
                facility_id=unit.facility_id,
                unit_id=unit.unit_id,
                custodian=cmd.custodian,
                authority=cmd.authority,
                receipt_id=cmd.receipt_id,
            ),
            state=state,
            unit=ref,
            officer=officer,
            now=now,
        )
    else:
        authority = cmd.authority or state.authority
        if authority is None:
            raise InvalidField("authority", None, "admission into custody needs a legal authority")
        events += custody.admit(
            AdmitToCustody(
                person_id=adm.person_id,
                occurred_at=adm.occurred_at,
                facility_id=unit.facility_id,
                unit_id=unit.unit_id,
                custodian=cmd.custodian,
                authority=authority,
            ),
            state=state,
            unit=ref,
            officer=officer,
            now=now,
        )
    return events

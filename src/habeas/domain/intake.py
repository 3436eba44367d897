"""Intake at the receiving facility: the admission record and a unit within capacity and separation (M8).

Admission records the Mandela rule 7 fields (:func:`habeas.domain.people.record_admission`, reused as is) and
places the person in a unit. The unit must satisfy:

- **capacity** (invariant 6): the occupancy after admission may not exceed the unit's capacity *computed from
  its floor area* under the policy pack's standard (:func:`~habeas.domain.facilities.computed_capacity`), not
  its declared beds. Going over needs a :class:`CapacityOverride` with a reason and the officer authorising it,
  and is reported by an ``intake.capacity_override`` entry;
- **separation** (:mod:`habeas.domain.separation`), judged on what the record says. A known breach is never
  overridable. A fact the unit's separation turns on that the record does not settle (a birth date, a sex) is
  refused like a failed check, naming what to record; the same override, for the unit it names, lets the intake
  go ahead, reported by an ``intake.unknown_override`` entry.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

from habeas.domain import custody
from habeas.domain.custody import Authority, Custodian, CustodyState, CustodyStatus
from habeas.domain.custody_commands import AdmitToCustody, ArriveAtFacility
from habeas.domain.errors import DomainError, InvalidField, UnknownRecord
from habeas.domain.events import CONTENT, Event, EventType
from habeas.domain.facilities import CapacityStandard, OfficerRef, UnitRef
from habeas.domain.people import PersonState, RecordAdmission, record_admission
from habeas.domain.separation import (
    MissingFact,
    Occupant,
    SeparationRule,
    SeparationUnknown,
    SeparationViolation,
    UnitOccupancy,
    Unrecorded,
    age_group_at,
    missing_facts,
    separation_violation,
)
from habeas.domain.values import require_id, require_text

# The separation names are re-exported: an intake's callers (and its refusals) speak of them.
__all__ = [
    "AdmitAtIntake", "CapacityExceeded", "CapacityOverride", "IntakeCapacityOverride", "IntakeUnknownOverride",
    "MissingFact", "NoUnitAvailable", "Occupant", "SeparationRule", "SeparationUnknown", "SeparationViolation",
    "UnitOccupancy", "Unrecorded", "admit_at_intake", "age_group_at", "check_placement", "choose_unit",
    "missing_facts", "separation_violation",
]


class CapacityExceeded(DomainError):
    code = "capacity-exceeded"

    def __init__(self, unit: str, occupancy: int, capacity: int) -> None:
        self.unit = unit
        self.occupancy = occupancy
        self.capacity = capacity
        super().__init__(f"unit {unit!r} holds {occupancy} of a computed capacity of {capacity}: override needed")


class NoUnitAvailable(DomainError):
    """No unit of the facility can take the person; ``reasons`` holds each unit's refusal, and the message
    the first few of them (a count alone does not tell an officer what to do)."""

    code = "no-unit-available"
    SHOWN = 5

    def __init__(self, person_id: str, reasons: Sequence[DomainError], hint: str | None = None) -> None:
        self.person_id = person_id
        self.reasons = tuple(reasons)
        self.hint = hint
        shown = "; ".join(str(r) for r in self.reasons[: self.SHOWN])
        more = len(self.reasons) - self.SHOWN
        units = "unit" if len(self.reasons) == 1 else "units"
        super().__init__(
            f"no unit can take person {person_id!r}: {len(self.reasons)} {units} refused"
            + (f": {shown}" if shown else " (the facility has no housing unit)")
            + (f"; and {more} more" if more > 0 else "")
            + (f". {hint}" if hint else "")
        )


@dataclass(frozen=True, kw_only=True)
class CapacityOverride:
    """Permission to go over computed capacity, or to house a person in the unit named though a fact its
    separation turns on is not recorded: a reason (private in the log) and the officer who authorised it."""

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


@dataclass(frozen=True, kw_only=True)
class IntakeUnknownOverride(Event):
    """``stream`` is the person admitted: housed in the unit though the facts ``missing`` names are not recorded,
    on the override of ``authorised_by``."""

    TYPE: ClassVar[EventType] = EventType.INTAKE_UNKNOWN_OVERRIDE

    admission_id: str
    facility_id: str
    unit_id: str
    missing: tuple[MissingFact, ...]
    authorised_by: str
    # free text beside a person's id: private, as a capacity override's
    reason: str | None = field(default=None, metadata=CONTENT)


def check_placement(
    person: Occupant,
    unit: UnitOccupancy,
    *,
    standard: CapacityStandard,
    override: CapacityOverride | None = None,
    rivalries: Collection[frozenset[str]] | None = None,
) -> bool:
    """Raises :class:`SeparationViolation`, :class:`SeparationUnknown` or :class:`CapacityExceeded`; ``True``
    when the override is used for capacity (one used for facts not recorded is :func:`missing_facts`')."""
    rule = separation_violation(person, unit, rivalries=rivalries)
    if rule is not None:
        raise SeparationViolation(unit.unit_id, rule, person.person_id)
    missing = missing_facts(person, unit)
    if missing and override is None:
        raise SeparationUnknown(unit.unit_id, person.person_id, missing)
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
        except (SeparationViolation, SeparationUnknown, CapacityExceeded) as e:
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
    over_capacity = check_placement(occupant, unit, standard=standard, override=cmd.override, rivalries=rivalries)
    missing = missing_facts(occupant, unit)
    if missing:
        assert cmd.override is not None  # check_placement raised otherwise
        events.append(
            IntakeUnknownOverride(
                stream=adm.person_id,
                occurred_at=events[0].occurred_at,
                admission_id=adm.admission_id,
                facility_id=unit.facility_id,
                unit_id=unit.unit_id,
                missing=missing,
                reason=require_text("override.reason", cmd.override.reason, max_len=500),
                authorised_by=require_id("override.authorised_by", cmd.override.authorised_by),
            )
        )
    if over_capacity:
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

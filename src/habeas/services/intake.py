"""Intake (Rule 7): admission and housing within computed capacity and separation.

What separation turns on is read from the record, never from the command: sex and birth date from the person's
registration as corrected, the age group that birth date gives on the day of the intake, the detention category
from the convictions recorded, organisations from the allegations. The capacity standard is the deployment's
policy pack's (injected as ``policy``, loaded once at start-up): no command names one. Who is in a unit is loaded
only where there is room, so a large prison's intake stays linear in the size of one unit, not of the facility.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, func, select

from habeas.domain import commands as c
from habeas.domain import intake
from habeas.domain.allegations import AllegationStatus
from habeas.domain.codec import decode
from habeas.domain.command import Command
from habeas.domain.corrections import CorrectionAction
from habeas.domain.custody import Authority, Custodian, CustodyStatus
from habeas.domain.errors import DomainError, UnknownRecord
from habeas.domain.events import EventType
from habeas.domain.facilities import CapacityStandard, DetentionCategory, Separation, computed_capacity
from habeas.domain.people import PartialDate, Sex
from habeas.domain.separation import Occupant, UnitOccupancy, age_group_at
from habeas.gates.policy import Policy
from habeas.services.custody import custody_state
from habeas.services.facilities import housing_units, officer_ref, units
from habeas.services.records import person_state, private_payloads, record_exists
from habeas.services.unit_of_work import Handler, Result, UnitOfWork
from habeas.storage.projections.corrections import correction
from habeas.storage.projections.custody import custody
from habeas.storage.projections.people import person
from habeas.storage.projections.schema import KIND, record


@dataclass(frozen=True, kw_only=True)
class AdmitAtIntake(Command):
    """Rule 7 admission and housing. ``unit_id`` ``None``: the first unit, in registration order, that takes
    the person within computed capacity and separation. ``override`` applies to the unit named: over its computed
    capacity, or where a fact its separation turns on is not recorded. Nothing here states who the person is
    (their age group, sex, category) or the capacity standard: the record and the deployment's pack do."""

    admission: c.RecordAdmission
    custodian: Custodian
    unit_id: str | None = None
    authority: Authority | None = None
    receipt_id: str | None = None
    override: intake.CapacityOverride | None = None


# -- who is where --------------------------------------------------------------------------------------------


def registrations(conn: Connection, person_ids: Sequence[str]) -> dict[str, tuple[Sex, PartialDate | None]]:
    """Each person's sex and birth date as their registration now stands: the latest amendment's, if corrected
    (an amendment of the registration is how a missing birth date or sex gets recorded); no birth date once the
    person is erased. A few queries for any number of people."""
    rows = list(conn.execute(select(person.c.person_id, person.c.seq, person.c.body)
                             .where(person.c.person_id.in_(list(person_ids)))))
    seqs = [int(r.seq) for r in rows]
    public: dict[int, dict[str, Any]] = {int(r.seq): json.loads(r.body) for r in rows}
    amended = conn.execute(
        select(correction.c.corrected_seq, correction.c.body)
        .where(and_(correction.c.corrected_seq.in_(seqs), correction.c.action == CorrectionAction.AMEND.value))
        .order_by(correction.c.seq)
    )
    for a in amended:  # in log order: the latest amendment wins
        public[int(a.corrected_seq)] = json.loads(a.body).get("replacement_public") or public[int(a.corrected_seq)]
    private = private_payloads(conn, seqs)
    out = {}
    for r in rows:
        born = private.get(int(r.seq), {}).get("date_of_birth")
        out[str(r.person_id)] = (Sex(public[int(r.seq)].get("sex", Sex.UNKNOWN.value)), _birth_date(born))
    return out


def _birth_date(stored: Any) -> PartialDate | None:
    """A stored birth date, built straight from its stored form (PartialDate still checks it is a calendar date):
    this runs for everyone in a unit at each intake. Any other form goes through the codec."""
    if stored is None:
        return None
    if isinstance(stored, dict) and set(stored) <= {"year", "month", "day"}:
        return PartialDate(year=stored["year"], month=stored.get("month"), day=stored.get("day"))
    return decode(stored, PartialDate, "date_of_birth")  # type: ignore[no-any-return]


def occupants(conn: Connection, person_ids: Sequence[str], *, at: datetime) -> list[Occupant]:
    """Sex and birth date from the registration as corrected (:func:`registrations`), the age group that birth
    date gives on the day of ``at``; convicted if a conviction is recorded and not retracted, else held for
    migration reasons; organisations from allegations not withdrawn (used to keep people apart, asserting nothing
    about them). Read from the rows and the private payloads (corrections included; an erased record says
    nothing), a few queries for any number of people."""
    ids = list(person_ids)
    registered = registrations(conn, ids)
    convicted: set[str] = set()
    organisations: dict[str, list[str]] = {p: [] for p in ids}
    kinds = (KIND[EventType.CONVICTION_RECORDED], KIND[EventType.ALLEGATION_RECORDED])
    rows = list(conn.execute(
        select(record.c.person_id, record.c.kind, record.c.status, record.c.seq)
        .where(and_(record.c.person_id.in_(ids), record.c.kind.in_(kinds), record.c.retracted.is_(False)))
        .order_by(record.c.seq)
    ))
    alleged = [r for r in rows if r.kind == KIND[EventType.ALLEGATION_RECORDED]]
    payloads = private_payloads(conn, [int(r.seq) for r in alleged if r.status != AllegationStatus.WITHDRAWN.value])
    for r in rows:
        if r.kind == KIND[EventType.CONVICTION_RECORDED]:
            convicted.add(r.person_id)
        else:
            organisation = payloads.get(int(r.seq), {}).get("organisation")
            if organisation is not None and organisation not in organisations[r.person_id]:
                organisations[r.person_id].append(organisation)
    return [
        Occupant(
            person_id=p,
            sex=registered.get(p, (Sex.UNKNOWN, None))[0],
            category=DetentionCategory.CONVICTED if p in convicted else DetentionCategory.MIGRATION,
            age_group=age_group_at(registered.get(p, (Sex.UNKNOWN, None))[1], at),
            organisations=tuple(organisations[p]),
        )
        for p in ids
    ]


def occupant(conn: Connection, person_id: str, *, at: datetime) -> Occupant:
    return occupants(conn, [person_id], at=at)[0]


def housing_areas(conn: Connection, facility_id: str) -> list[tuple[str, Decimal]]:
    """``(unit id, floor area)`` of each unit people are housed in (no other unit's parent: cells, not the
    blocks they form), in registration order. JSON only: this runs at every intake of a large prison."""
    rows = conn.execute(
        select(record.c.body).where(
            and_(record.c.kind == KIND[EventType.UNIT_REGISTERED], record.c.parent_id == facility_id)
        ).order_by(record.c.seq)
    )
    bodies = [json.loads(r.body) for r in rows]
    parents = {b.get("parent_unit_id") for b in bodies}
    return [(b["unit_id"], Decimal(b["floor_area_m2"])) for b in bodies if b["unit_id"] not in parents]


def unit_people(conn: Connection, facility_id: str, unit_id: str) -> list[str]:
    rows = conn.execute(
        select(custody.c.person_id).where(
            and_(
                custody.c.facility_id == facility_id,
                custody.c.unit_id == unit_id,
                custody.c.status == CustodyStatus.IN_CUSTODY.value,
            )
        ).order_by(custody.c.person_id)
    )
    return [r.person_id for r in rows]


def unit_counts(conn: Connection, facility_id: str) -> dict[str, int]:
    """How many people each unit of the facility holds now."""
    rows = conn.execute(
        select(custody.c.unit_id, func.count())
        .where(and_(custody.c.facility_id == facility_id, custody.c.status == CustodyStatus.IN_CUSTODY.value))
        .group_by(custody.c.unit_id)
    )
    return {str(r[0]): int(r[1]) for r in rows}


def unit_occupancies(
    conn: Connection, facility_id: str, only: str | None = None, *, at: datetime
) -> list[UnitOccupancy]:
    """Each housing unit (or only ``only``) with who is in it now, as they stand on the day of ``at``."""
    out = []
    for u in housing_units(conn, facility_id) if only is None else units(conn, facility_id, only):
        people = unit_people(conn, facility_id, u.unit_id)
        out.append(
            UnitOccupancy(
                facility_id=facility_id, unit_id=u.unit_id, floor_area_m2=u.floor_area_m2,
                # a unit's private payload is on the facility's stream, which no erasure touches
                separation=u.separation or Separation(),
                occupants=tuple(occupants(conn, people, at=at)),
            )
        )
    return out


# -- the handler ----------------------------------------------------------------------------------------------


def admit_at_intake(cmd: AdmitAtIntake, *, uow: UnitOfWork, policy: Policy) -> Result:
    """``Result.value`` is the unit id chosen; an override, when used, is recorded and reported."""
    adm = cmd.admission
    if not record_exists(uow.conn, EventType.FACILITY_REGISTERED, adm.facility_id):
        raise UnknownRecord("facility", adm.facility_id)
    standard = policy.capacity_standard
    person = person_state(uow.conn, adm.person_id)
    who = occupant(uow.conn, adm.person_id, at=adm.occurred_at)
    if cmd.unit_id is None:
        unit = _choose_unit(uow, who, adm.facility_id, standard, at=adm.occurred_at, override=cmd.override)
    else:
        found = unit_occupancies(uow.conn, adm.facility_id, only=cmd.unit_id, at=adm.occurred_at)
        if not found:
            raise UnknownRecord("unit", f"{adm.facility_id}/{cmd.unit_id}")
        unit = found[0]
    events = intake.admit_at_intake(
        intake.AdmitAtIntake(
            admission=adm, unit_id=unit.unit_id, custodian=cmd.custodian, authority=cmd.authority,
            receipt_id=cmd.receipt_id, override=cmd.override,
        ),
        person=person, occupant=who, unit=unit, state=custody_state(uow.conn, adm.person_id),
        officer=officer_ref(uow.conn, cmd.custodian.officer_id), standard=standard, now=uow.now,
        already_recorded=record_exists(uow.conn, EventType.PERSON_ADMISSION_RECORDED, adm.admission_id),
    )
    overridden = [e for e in events if isinstance(e, intake.IntakeCapacityOverride | intake.IntakeUnknownOverride)]
    return Result(uow.record(events), warnings=list(overridden), value=unit.unit_id)


def _choose_unit(
    uow: UnitOfWork, occupant: intake.Occupant, facility_id: str, standard: CapacityStandard, *, at: datetime,
    override: intake.CapacityOverride | None,
) -> intake.UnitOccupancy:
    """The domain's :func:`~habeas.domain.intake.choose_unit`, unit by unit in registration order. A unit
    already full is refused on its headcount alone, so who is in it is loaded only where there is room: a
    large prison's intake stays linear in the size of one unit, not of the facility."""
    reasons: list[DomainError] = []
    counts = unit_counts(uow.conn, facility_id)
    for unit_id, floor_area in housing_areas(uow.conn, facility_id):
        held, capacity = counts.get(unit_id, 0), computed_capacity(floor_area, standard)
        if held + 1 > capacity:
            reasons.append(intake.CapacityExceeded(unit_id, held, capacity))
            continue
        (unit,) = unit_occupancies(uow.conn, facility_id, only=unit_id, at=at)
        try:
            return intake.choose_unit(occupant, [unit], standard=standard)
        except intake.NoUnitAvailable as refused:
            reasons += refused.reasons
    # An override is an officer's decision about one unit: it never sends someone over capacity, or among
    # people their record cannot be checked against, in a unit chosen for them.
    hint = None if override is None else "An override applies to the unit it names: give the unit (--unit, unit_id)"
    raise intake.NoUnitAvailable(occupant.person_id, reasons, hint=hint)


HANDLERS: dict[type[Command], Handler] = {
    AdmitAtIntake: admit_at_intake,
}

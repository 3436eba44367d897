"""Intake (Rule 7): admission and housing within computed capacity and separation.

The capacity standard is the deployment's policy pack's (injected as ``policy``, loaded once at start-up) unless
the command names one. Who is in a unit is loaded only where there is room, so a large prison's intake stays
linear in the size of one unit, not of the facility.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from sqlalchemy import Connection, and_, func, select

from habeas.domain import commands as c
from habeas.domain import intake
from habeas.domain.allegations import AllegationStatus
from habeas.domain.commands import Command
from habeas.domain.custody import Authority, Custodian, CustodyStatus
from habeas.domain.errors import DomainError, UnknownRecord
from habeas.domain.events import EventType
from habeas.domain.facilities import AgeGroup, CapacityStandard, DetentionCategory, Separation, computed_capacity
from habeas.domain.intake import Occupant, UnitOccupancy
from habeas.domain.people import Sex
from habeas.gates.policy import Policy
from habeas.services.custody import custody_state
from habeas.services.facilities import housing_units, officer_ref, units
from habeas.services.records import person_state, private_payloads, record_exists
from habeas.services.unit_of_work import Handler, Result, UnitOfWork
from habeas.storage.projections.custody import custody
from habeas.storage.projections.people import person
from habeas.storage.projections.schema import KIND, record


@dataclass(frozen=True, kw_only=True)
class AdmitAtIntake(Command):
    """Rule 7 admission and housing. ``unit_id`` ``None``: the first unit, in registration order, that takes
    the person within computed capacity and separation. ``standard`` ``None``: the deployment's policy pack's."""

    admission: c.RecordAdmission
    custodian: Custodian
    unit_id: str | None = None
    authority: Authority | None = None
    receipt_id: str | None = None
    override: intake.CapacityOverride | None = None
    age_group: AgeGroup = AgeGroup.ADULT
    standard: CapacityStandard | None = None


# -- who is where --------------------------------------------------------------------------------------------


def occupants(conn: Connection, person_ids: Sequence[str]) -> list[Occupant]:
    """Sex from the registration; convicted if a conviction is recorded, else held for migration reasons;
    organisations from allegations not withdrawn (used to keep people apart, asserting nothing about them).
    Read from the rows and the allegations' private payloads (corrections included; an erased allegation says
    nothing), a few queries for any number of people."""
    ids = list(person_ids)
    sexes = {
        r.person_id: Sex(json.loads(r.body).get("sex", Sex.UNKNOWN.value))
        for r in conn.execute(select(person.c.person_id, person.c.body).where(person.c.person_id.in_(ids)))
    }
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
            sex=sexes.get(p, Sex.UNKNOWN),
            category=DetentionCategory.CONVICTED if p in convicted else DetentionCategory.MIGRATION,
            organisations=tuple(organisations[p]),
        )
        for p in ids
    ]


def occupant(conn: Connection, person_id: str, *, age_group: AgeGroup = AgeGroup.ADULT) -> Occupant:
    return replace(occupants(conn, [person_id])[0], age_group=age_group)


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


def unit_occupancies(conn: Connection, facility_id: str, only: str | None = None) -> list[UnitOccupancy]:
    """Each housing unit (or only ``only``) with who is in it now."""
    out = []
    for u in housing_units(conn, facility_id) if only is None else units(conn, facility_id, only):
        people = unit_people(conn, facility_id, u.unit_id)
        out.append(
            UnitOccupancy(
                facility_id=facility_id, unit_id=u.unit_id, floor_area_m2=u.floor_area_m2,
                # a unit's private payload is on the facility's stream, which no erasure touches
                separation=u.separation or Separation(),
                occupants=tuple(occupants(conn, people)),
            )
        )
    return out


# -- the handler ----------------------------------------------------------------------------------------------


def admit_at_intake(cmd: AdmitAtIntake, *, uow: UnitOfWork, policy: Policy) -> Result:
    """``Result.value`` is the unit id chosen; an override, when used, is recorded and reported."""
    adm = cmd.admission
    if not record_exists(uow.conn, EventType.FACILITY_REGISTERED, adm.facility_id):
        raise UnknownRecord("facility", adm.facility_id)
    standard = cmd.standard or policy.capacity_standard
    person = person_state(uow.conn, adm.person_id)
    who = occupant(uow.conn, adm.person_id, age_group=cmd.age_group)
    if cmd.unit_id is None:
        unit = _choose_unit(uow, who, adm.facility_id, standard)
    else:
        found = unit_occupancies(uow.conn, adm.facility_id, only=cmd.unit_id)
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
    overridden = [e for e in events if isinstance(e, intake.IntakeCapacityOverride)]
    return Result(uow.record(events), warnings=list(overridden), value=unit.unit_id)


def _choose_unit(
    uow: UnitOfWork, occupant: intake.Occupant, facility_id: str, standard: CapacityStandard
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
        (unit,) = unit_occupancies(uow.conn, facility_id, only=unit_id)
        try:
            return intake.choose_unit(occupant, [unit], standard=standard)
        except intake.NoUnitAvailable as refused:
            reasons += refused.reasons
    raise intake.NoUnitAvailable(occupant.person_id, reasons)


HANDLERS: dict[type[Command], Handler] = {
    AdmitAtIntake: admit_at_intake,
}

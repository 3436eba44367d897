"""Intake (Rule 7): admission and housing within computed capacity and separation.

What separation turns on is read from the record, never from the command: sex and birth date from the person's
registration as corrected, the age group that birth date gives on the day of the intake, the detention category
from the convictions recorded, organisations from the allegations. The capacity standard is the deployment's
policy pack's (injected as ``policy``, loaded once at start-up): no command names one. Who is in a unit is loaded
only where there is room, so a large prison's intake stays linear in the size of one unit, not of the facility.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, select

from habeas.domain import commands as c
from habeas.domain import intake
from habeas.domain.allegations import AllegationStatus
from habeas.domain.codec import decode
from habeas.domain.command import Command
from habeas.domain.corrections import CorrectionAction
from habeas.domain.custody import Authority, Custodian, CustodyStatus
from habeas.domain.errors import DomainError, UnknownRecord
from habeas.domain.events import EventType, event_from
from habeas.domain.facilities import CapacityStandard, DetentionCategory, Separation, UnitRegistered, computed_capacity
from habeas.domain.people import PartialDate, Sex
from habeas.domain.separation import Occupant, UnitOccupancy, age_group_at
from habeas.gates.policy import Policy
from habeas.ledger.entry import parse_leaf
from habeas.services.custody import custody_state, officer_of
from habeas.services.facilities import housing_units, units
from habeas.services.records import person_state, private_payloads, record_exists
from habeas.services.unit_of_work import Handler, Result, UnitOfWork
from habeas.storage import direct
from habeas.storage.projections.corrections import correction
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
    rows = list(conn.execute(
        select(record.c.person_id, record.c.kind, record.c.status, record.c.seq)
        .where(and_(record.c.person_id.in_(ids), record.c.kind.in_(_SEPARATING_KINDS), record.c.retracted.is_(False)))
        .order_by(record.c.seq)
    ))
    return _occupants(conn, ids, registrations(conn, ids), [tuple(r) for r in rows], at=at)


_SEPARATING_KINDS = (KIND[EventType.CONVICTION_RECORDED], KIND[EventType.ALLEGATION_RECORDED])


def _occupants(
    conn: Connection, ids: Sequence[str], registered: Mapping[str, tuple[Sex, PartialDate | None]],
    rows: Sequence[tuple[Any, ...]], *, at: datetime,
) -> list[Occupant]:
    """:func:`occupants` from the registrations and the ``(person_id, kind, status, seq)`` rows of the convictions
    and allegations not retracted, in log order."""
    convicted: set[str] = set()
    organisations: dict[str, list[str]] = {p: [] for p in ids}
    conviction, allegation = _SEPARATING_KINDS
    withdrawn = AllegationStatus.WITHDRAWN.value
    payloads = private_payloads(conn, [int(seq) for _, kind, status, seq in rows
                                       if kind == allegation and status != withdrawn]) if rows else {}
    for person_id, kind, _, seq in rows:
        if kind == conviction:
            convicted.add(person_id)
        else:
            organisation = payloads.get(int(seq), {}).get("organisation")
            if organisation is not None and organisation not in organisations[person_id]:
                organisations[person_id].append(organisation)
    unknown = (Sex.UNKNOWN, None)
    return [
        Occupant(
            person_id=p,
            sex=registered.get(p, unknown)[0],
            category=DetentionCategory.CONVICTED if p in convicted else DetentionCategory.MIGRATION,
            age_group=age_group_at(registered.get(p, unknown)[1], at),
            organisations=tuple(organisations[p]),
        )
        for p in ids
    ]


# What separation turns on, read for the admission that looks at everyone in a unit (the O(unit) part of an
# intake) in three statements whatever the unit's size, sent straight to the driver; and for the person admitted
# the same way. ``{who}`` is the people's ids: a subquery of the unit's, or the one person's. The registrations,
# each with its private payload (an erased one has none)...
_WHO_IN_UNIT = "SELECT c.person_id FROM p_custody c WHERE c.facility_id = ? AND c.unit_id = ? AND c.status = ?"
_REGISTERED_IN_UNIT = direct.Sql(  # everyone the unit holds, registered or not (as occupants() lists them)
    "SELECT c.person_id, p.seq, p.body, lp.payload FROM p_custody c"
    " LEFT JOIN p_person p ON p.person_id = c.person_id LEFT JOIN ledger_private lp ON lp.seq = p.seq"
    " WHERE c.facility_id = ? AND c.unit_id = ? AND c.status = ? ORDER BY c.person_id"
)
_REGISTERED_ONE = direct.Sql(
    "SELECT p.person_id, p.seq, p.body, lp.payload FROM p_person p LEFT JOIN ledger_private lp ON lp.seq = p.seq"
    " WHERE p.person_id = ?"
)
# ...which of them were ever amended (few: theirs are read as registrations() reads them)...
_AMENDED = (
    "SELECT DISTINCT a.corrected_seq FROM p_correction a WHERE a.action = ? AND a.corrected_seq IN"
    " (SELECT p.seq FROM p_person p WHERE p.person_id IN ({who}))"
)
# ...and their convictions and allegations not retracted, in log order.
_RECORDS = (
    "SELECT r.person_id, r.kind, r.status, r.seq FROM p_record r WHERE r.kind IN (?, ?) AND r.retracted = ?"
    " AND r.person_id IN ({who}) ORDER BY r.seq"
)
_IN_UNIT = (_REGISTERED_IN_UNIT, direct.Sql(_AMENDED.format(who=_WHO_IN_UNIT)),
            direct.Sql(_RECORDS.format(who=_WHO_IN_UNIT)))
_ONE = (_REGISTERED_ONE, direct.Sql(_AMENDED.format(who="?")), direct.Sql(_RECORDS.format(who="?")))


def unit_occupants(conn: Connection, facility_id: str, unit_id: str, *, at: datetime) -> list[Occupant]:
    """:func:`occupants` of everyone the unit holds now (in person id order), read in three statements: an
    intake reads everyone in the unit it places someone in, so what that costs a person counts at every
    admission."""
    return _read(conn, _IN_UNIT, (facility_id, unit_id, CustodyStatus.IN_CUSTODY.value), None, at=at)


def occupant(conn: Connection, person_id: str, *, at: datetime) -> Occupant:
    """``occupants(conn, [person_id], at=at)[0]``, in three statements."""
    return _read(conn, _ONE, (person_id,), [person_id], at=at)[0]


def _read(
    conn: Connection, statements: tuple[direct.Sql, direct.Sql, direct.Sql], who: tuple[str, ...],
    ids: list[str] | None, *, at: datetime,
) -> list[Occupant]:
    registered_sql, amended_sql, records_sql = statements
    people = direct.rows(conn, registered_sql, who)
    ids = [str(r[0]) for r in people] if ids is None else ids
    amended = {int(r[0]) for r in direct.rows(conn, amended_sql, (CorrectionAction.AMEND.value, *who))}
    registered: dict[str, tuple[Sex, PartialDate | None]] = {}
    for person_id, seq, body, payload in people:
        if seq is None or int(seq) in amended:
            continue  # no registration row (registrations() leaves them out), or amended: read below
        born = None if payload is None else _private_of(payload).get("date_of_birth")
        registered[str(person_id)] = (Sex(json.loads(body).get("sex", Sex.UNKNOWN.value)), _birth_date(born))
    if amended:
        registered.update(registrations(conn, [str(r[0]) for r in people if r[1] is not None and int(r[1]) in amended]))
    records = direct.rows(conn, records_sql, (*_SEPARATING_KINDS, False, *who))
    return _occupants(conn, ids, registered, [tuple(r) for r in records], at=at)


def _private_of(payload: Any) -> dict[str, Any]:
    found = parse_leaf(bytes(payload))
    return found if isinstance(found, dict) else {}


_UNIT_BODIES = direct.Sql("SELECT body FROM p_record WHERE kind = ? AND parent_id = ? ORDER BY seq")


def housing_areas(conn: Connection, facility_id: str) -> list[tuple[str, Decimal]]:
    """``(unit id, floor area)`` of each unit people are housed in (no other unit's parent: cells, not the
    blocks they form), in registration order. JSON only: this runs at every intake of a large prison."""
    rows = direct.rows(conn, _UNIT_BODIES, (KIND[EventType.UNIT_REGISTERED], facility_id))
    bodies = [json.loads(r[0]) for r in rows]
    parents = {b.get("parent_unit_id") for b in bodies}
    return [(b["unit_id"], Decimal(b["floor_area_m2"])) for b in bodies if b["unit_id"] not in parents]


_UNIT_COUNTS = direct.Sql(
    "SELECT unit_id, count(*) FROM p_custody WHERE facility_id = ? AND status = ? GROUP BY unit_id"
)


def unit_counts(conn: Connection, facility_id: str) -> dict[str, int]:
    """How many people each unit of the facility holds now."""
    rows = direct.rows(conn, _UNIT_COUNTS, (facility_id, CustodyStatus.IN_CUSTODY.value))
    return {str(r[0]): int(r[1]) for r in rows}


# One unit's row and private payload (who it is for is private in the log); and whether it was ever amended.
_UNIT_ROW = direct.Sql(
    "SELECT r.seq, r.body, lp.payload FROM p_record r LEFT JOIN ledger_private lp ON lp.seq = r.seq"
    " WHERE r.kind = ? AND r.parent_id = ? AND r.record_id = ? ORDER BY r.seq"
)
_ENTRY_AMENDED = direct.Sql("SELECT 1 FROM p_correction WHERE action = ? AND corrected_seq = ?")


def _unit(conn: Connection, facility_id: str, unit_id: str) -> list[UnitRegistered]:
    """``units(conn, facility_id, unit_id)``, for the unit an intake looks at: two statements and, for a unit's
    row and payload as they stand, a decoding made once (an amended unit is read as units() reads it)."""
    rows = direct.rows(conn, _UNIT_ROW, (KIND[EventType.UNIT_REGISTERED], facility_id, f"{facility_id}/{unit_id}"))
    amend = CorrectionAction.AMEND.value
    if any(direct.first(conn, _ENTRY_AMENDED, (amend, int(r[0]))) is not None for r in rows):
        return units(conn, facility_id, unit_id)
    return [_unit_registered(facility_id, str(body), None if payload is None else bytes(payload))
            for _, body, payload in rows]


@functools.lru_cache(maxsize=1024)
def _unit_registered(facility_id: str, body: str, payload: bytes | None) -> UnitRegistered:
    """A unit's event from its public body and private payload: a facility's, which no erasure touches, so it
    may be kept; keyed by both, so an amendment is a new key."""
    private = None if payload is None else parse_leaf(payload)
    event = event_from(EventType.UNIT_REGISTERED.value, facility_id, json.loads(body),
                       private if isinstance(private, dict) else None)
    assert isinstance(event, UnitRegistered)
    return event


def unit_occupancies(
    conn: Connection, facility_id: str, only: str | None = None, *, at: datetime
) -> list[UnitOccupancy]:
    """Each housing unit (or only ``only``) with who is in it now, as they stand on the day of ``at``."""
    out = []
    for u in housing_units(conn, facility_id) if only is None else _unit(conn, facility_id, only):
        out.append(
            UnitOccupancy(
                facility_id=facility_id, unit_id=u.unit_id, floor_area_m2=u.floor_area_m2,
                # a unit's private payload is on the facility's stream, which no erasure touches
                separation=u.separation or Separation(),
                occupants=tuple(unit_occupants(conn, facility_id, u.unit_id, at=at)),
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
        officer=officer_of(uow.conn, cmd.custodian.officer_id), standard=standard, now=uow.now,
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

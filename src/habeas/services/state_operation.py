"""Loading what the operation's decisions need (headcounts, handoffs, intake, incidents, agreements).

Everything is read inside the command's transaction, from the projections, or from the ledger where a decision
needs the whole event (a unit's floor area and separation, an officer's key, a receipt as signed).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Row, and_, func, select

from habeas.domain.agreements import Agreement, AgreementRecorded, Stay
from habeas.domain.allegations import AllegationStatus
from habeas.domain.custody import CustodyChanged, CustodyStatus
from habeas.domain.events import Event, EventType, event_from
from habeas.domain.facilities import (
    AgeGroup,
    CapacityStandard,
    DetentionCategory,
    FacilityRegistered,
    OfficerRegistered,
    UnitRegistered,
)
from habeas.domain.handoffs import HandoffReceiptIssued
from habeas.domain.incidents import IncidentKind, IncidentState
from habeas.domain.intake import Occupant, UnitOccupancy
from habeas.domain.manifest_events import GateEvaluated, ManifestChanged, ManifestCreated
from habeas.domain.manifests import Manifest, apply_manifest
from habeas.domain.notifications import NotificationReason, NotificationStatus, Recipient
from habeas.domain.people import Sex
from habeas.domain.values import parse_utc
from habeas.services.state import event_at
from habeas.storage import ledger_store
from habeas.storage.projection_schema import custody, person, record
from habeas.storage.projections import KIND
from habeas.storage.projections_operation import handoff, headcount, incident, invoice, notification


def stream_events(conn: Connection, stream: str, types: tuple[type[Event], ...]) -> list[Event]:
    """The stream's events of the given classes, in log order."""
    out = []
    for seq in sorted(ledger_store.stream_seqs(conn, stream)):
        event = event_at(conn, seq)
        if isinstance(event, types):
            out.append(event)
    return out


def manifest(conn: Connection, manifest_id: str) -> Manifest | None:
    """The manifest folded from its own stream (headcounts share the stream and are skipped)."""
    state: Manifest | None = None
    for event in stream_events(conn, manifest_id, (ManifestCreated, ManifestChanged, GateEvaluated)):
        state = apply_manifest(state, event)
    return state


def record_event(conn: Connection, kind: EventType, record_id: str) -> Event | None:
    row = conn.execute(
        select(record.c.seq).where(and_(record.c.kind == KIND[kind], record.c.record_id == record_id))
    ).first()
    return None if row is None else event_at(conn, int(row.seq))


def officer_key(conn: Connection, officer_id: str) -> bytes | None:
    """The Ed25519 public key registered for the officer: the only key their signature is checked against."""
    event = record_event(conn, EventType.OFFICER_REGISTERED, officer_id)
    return event.public_key if isinstance(event, OfficerRegistered) else None


def incident_state(conn: Connection, incident_id: str) -> IncidentState | None:
    row = conn.execute(select(incident).where(incident.c.incident_id == incident_id)).first()
    if row is None:
        return None
    return IncidentState(
        incident_id=incident_id, kind=IncidentKind(row.kind), manifest_id=row.manifest_id,
        resolved=row.resolved_seq is not None,
    )


def incident_exists(conn: Connection, incident_id: str) -> bool:
    return incident_state(conn, incident_id) is not None


def notification_status(conn: Connection, notification_id: str) -> NotificationStatus | None:
    row = conn.execute(select(notification).where(notification.c.notification_id == notification_id)).first()
    return None if row is None else status_of(row)


def status_of(row: Row[Any]) -> NotificationStatus:
    return NotificationStatus(
        notification_id=row.notification_id,
        person_id=row.person_id,
        recipient=Recipient(row.recipient),
        reason=NotificationReason(row.reason),
        due_at=parse_utc(row.due_at),
        sent_at=None if row.sent_at is None else parse_utc(row.sent_at),
    )


def receipt_event(conn: Connection, receipt_id: str) -> HandoffReceiptIssued | None:
    row = conn.execute(select(handoff.c.seq).where(handoff.c.receipt_id == receipt_id)).first()
    event = None if row is None else event_at(conn, int(row.seq))
    return event if isinstance(event, HandoffReceiptIssued) else None


def handoff_completed(conn: Connection, receipt_id: str) -> bool:
    row = conn.execute(select(handoff.c.completed_seq).where(handoff.c.receipt_id == receipt_id)).first()
    return row is not None and row.completed_seq is not None


def headcount_exists(conn: Connection, headcount_id: str) -> bool:
    return conn.execute(select(headcount.c.seq).where(headcount.c.headcount_id == headcount_id)).first() is not None


def invoice_exists(conn: Connection, invoice_id: str) -> bool:
    return conn.execute(select(invoice.c.seq).where(invoice.c.invoice_id == invoice_id)).first() is not None


def has_record(conn: Connection, kind: EventType, person_id: str) -> bool:
    row = conn.execute(
        select(record.c.record_id).where(
            and_(record.c.kind == KIND[kind], record.c.person_id == person_id, record.c.retracted.is_(False))
        )
    ).first()
    return row is not None


# -- intake ----------------------------------------------------------------------------------------------------


def occupants(conn: Connection, person_ids: Sequence[str]) -> list[Occupant]:
    """Sex from the registration; convicted if a conviction is recorded, else held for migration reasons;
    organisations from allegations not withdrawn (used to keep people apart, asserting nothing about them).
    Read from the public rows (corrections included), a few queries for any number of people."""
    ids = list(person_ids)
    sexes = {
        r.person_id: Sex(json.loads(r.body).get("sex", Sex.UNKNOWN.value))
        for r in conn.execute(select(person.c.person_id, person.c.body).where(person.c.person_id.in_(ids)))
    }
    convicted: set[str] = set()
    organisations: dict[str, list[str]] = {p: [] for p in ids}
    kinds = (KIND[EventType.CONVICTION_RECORDED], KIND[EventType.ALLEGATION_RECORDED])
    rows = conn.execute(
        select(record.c.person_id, record.c.kind, record.c.status, record.c.body)
        .where(and_(record.c.person_id.in_(ids), record.c.kind.in_(kinds), record.c.retracted.is_(False)))
        .order_by(record.c.seq)
    )
    for r in rows:
        if r.kind == KIND[EventType.CONVICTION_RECORDED]:
            convicted.add(r.person_id)
        elif r.status != AllegationStatus.WITHDRAWN.value:
            organisation = json.loads(r.body)["organisation"]
            if organisation not in organisations[r.person_id]:
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


def units(conn: Connection, facility_id: str, unit_id: str | None = None) -> list[UnitRegistered]:
    """The facility's units (or the one named) in registration order, from their public rows: a unit carries
    no private data, so the row is the whole event and no leaf needs reading."""
    query = select(record.c.body).where(
        and_(record.c.kind == KIND[EventType.UNIT_REGISTERED], record.c.parent_id == facility_id)
    )
    if unit_id is not None:
        query = query.where(record.c.record_id == f"{facility_id}/{unit_id}")
    out = []
    for r in conn.execute(query.order_by(record.c.seq)):
        event = event_from(EventType.UNIT_REGISTERED.value, facility_id, json.loads(r.body), None)
        assert isinstance(event, UnitRegistered)
        out.append(event)
    return out


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


def housing_units(conn: Connection, facility_id: str) -> list[UnitRegistered]:
    """Units people are housed in: those that are no other unit's parent (cells, not the blocks they form)."""
    all_units = units(conn, facility_id)
    parents = {u.parent_unit_id for u in all_units if u.parent_unit_id is not None}
    return [u for u in all_units if u.unit_id not in parents]


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
                facility_id=facility_id, unit_id=u.unit_id, floor_area_m2=u.floor_area_m2, separation=u.separation,
                occupants=tuple(occupants(conn, people)),
            )
        )
    return out


@lru_cache(maxsize=16)
def capacity_standard(name_or_path: str) -> CapacityStandard:
    """The policy pack's standard (us-federal: ICRC 3.4 m²; strict-international: CPT 4 m²). Cached: a pack is
    read once a process, not at every intake (a deployment changes packs by restarting)."""
    from habeas.gates.policy import load_pack

    return load_pack(name_or_path).capacity_standard


# -- agreements ------------------------------------------------------------------------------------------------


def agreement(conn: Connection, agreement_id: str) -> Agreement | None:
    from habeas.storage.projections_operation import agreement as table

    row = conn.execute(select(table.c.seq).where(table.c.agreement_id == agreement_id)).first()
    event = None if row is None else event_at(conn, int(row.seq))
    return event.agreement if isinstance(event, AgreementRecorded) else None


def facilities_in(conn: Connection, country: str) -> set[str]:
    rows = conn.execute(select(record.c.seq).where(record.c.kind == KIND[EventType.FACILITY_REGISTERED]))
    out = set()
    for r in rows:
        event = event_at(conn, int(r.seq))
        if isinstance(event, FacilityRegistered) and event.country == country:
            out.add(event.stream)
    return out


def stays_in(conn: Connection, facility_ids: set[str], people: Iterable[str] | None = None) -> list[Stay]:
    """Each person's stays in custody at any of ``facility_ids``, from their ``custody.changed`` entries."""
    if people is None:
        admitted = conn.execute(
            select(record.c.person_id).where(
                and_(record.c.kind == KIND[EventType.PERSON_ADMISSION_RECORDED], record.c.parent_id.in_(facility_ids))
            )
        )
        held_now = conn.execute(select(custody.c.person_id).where(custody.c.facility_id.in_(facility_ids)))
        people = sorted({r.person_id for r in admitted} | {r.person_id for r in held_now})
    out: list[Stay] = []
    for person_id in people:
        out += _stays(person_id, stream_events(conn, person_id, (CustodyChanged,)), facility_ids)
    return out


def _stays(person_id: str, changes: Sequence[Event], facility_ids: set[str]) -> list[Stay]:
    out: list[Stay] = []
    start: datetime | None = None
    for e in changes:
        assert isinstance(e, CustodyChanged)
        inside = e.to_status is CustodyStatus.IN_CUSTODY and e.facility_id in facility_ids
        if inside and start is None:
            start = e.occurred_at
        elif not inside and start is not None:
            out.append((person_id, start, e.occurred_at))
            start = None
    if start is not None:
        out.append((person_id, start, None))
    return out

"""Read-side answers of the operation: open incidents, missed notifications, capacity, handoff receipts.

:func:`operation_alerts` is what ``habeas alerts`` adds from this part of the system.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection, and_, func, select

from habeas.domain.custody import CustodyStatus
from habeas.domain.errors import UnknownRecord
from habeas.domain.facilities import CapacityStandard, FacilityRegistered, computed_capacity
from habeas.domain.handoffs import HandoffReceipt, receipt_from_event
from habeas.domain.notifications import Overdue, missed
from habeas.domain.values import format_utc
from habeas.services import state_operation
from habeas.services.state import event_at
from habeas.storage.projection_schema import custody, record
from habeas.storage.projections import KIND
from habeas.storage.projections_operation import (
    capacity_override,
    handoff,
    handoff_signature,
    incident,
    notification,
)


@dataclass(frozen=True, kw_only=True)
class IncidentRow:
    incident_id: str
    kind: str
    person_ids: tuple[str, ...]
    manifest_id: str | None
    opened_at: str
    serious: bool
    independent_report_required: bool
    resolved_at: str | None
    resolution: str | None
    seq: int


def incidents(conn: Connection, *, open_only: bool = False, manifest_id: str | None = None) -> list[IncidentRow]:
    query = select(incident).order_by(incident.c.seq)
    if open_only:
        query = query.where(incident.c.resolved_seq.is_(None))
    if manifest_id is not None:
        query = query.where(incident.c.manifest_id == manifest_id)
    return [
        IncidentRow(
            incident_id=r.incident_id, kind=r.kind, person_ids=tuple(json.loads(r.person_ids)),
            manifest_id=r.manifest_id, opened_at=r.opened_at, serious=bool(r.serious),
            independent_report_required=bool(r.independent_report_required), resolved_at=r.resolved_at,
            resolution=r.resolution, seq=int(r.seq),
        )
        for r in conn.execute(query)
    ]


def open_incident_count(conn: Connection, manifest_id: str) -> int:
    """Open incidents naming the manifest: closing it is refused while this is not zero (invariant 5)."""
    query = select(func.count()).where(
        and_(incident.c.manifest_id == manifest_id, incident.c.resolved_seq.is_(None))
    )
    return int(conn.execute(query).scalar() or 0)


def missed_notifications(conn: Connection, now: datetime, *, include_late: bool = False) -> list[Overdue]:
    rows = conn.execute(select(notification).order_by(notification.c.seq))
    return missed([state_operation.status_of(r) for r in rows], now, include_late=include_late)


@dataclass(frozen=True, kw_only=True)
class NotificationRow:
    notification_id: str
    person_id: str
    recipient: str
    reason: str
    due_at: str
    legal_source: str
    sent_at: str | None
    seq: int


def notification_list(conn: Connection, person_id: str | None = None) -> list[NotificationRow]:
    query = select(notification).order_by(notification.c.seq)
    if person_id is not None:
        query = query.where(notification.c.person_id == person_id)
    return [
        NotificationRow(
            notification_id=r.notification_id, person_id=r.person_id, recipient=r.recipient, reason=r.reason,
            due_at=r.due_at, legal_source=r.legal_source, sent_at=r.sent_at, seq=int(r.seq),
        )
        for r in conn.execute(query)
    ]


@dataclass(frozen=True, kw_only=True)
class FacilityCapacity:
    """Occupancy against the capacity computed from floor area, beside the capacity the operator declares."""

    facility_id: str
    standard: CapacityStandard
    floor_area_m2: Decimal
    computed_capacity: int
    declared_capacity: int | None
    occupancy: int
    overrides: int

    @property
    def over(self) -> bool:
        return self.occupancy > self.computed_capacity


def capacity(conn: Connection, standard: CapacityStandard, facility_id: str | None = None) -> list[FacilityCapacity]:
    """Per facility with housing units. Capacity is summed unit by unit (each rounded down), as intake uses it."""
    query = select(record.c.record_id, record.c.seq).where(record.c.kind == KIND[FacilityRegistered.TYPE])
    if facility_id is not None:
        query = query.where(record.c.record_id == facility_id)
    out = []
    for row in conn.execute(query.order_by(record.c.record_id)).all():
        units = state_operation.housing_units(conn, row.record_id)
        if not units:
            continue
        event = event_at(conn, int(row.seq))
        declared = event.declared_capacity if isinstance(event, FacilityRegistered) else None
        occupancy = conn.execute(
            select(func.count()).where(
                and_(custody.c.facility_id == row.record_id, custody.c.status == CustodyStatus.IN_CUSTODY.value)
            )
        ).scalar()
        overrides = conn.execute(
            select(func.count()).where(capacity_override.c.facility_id == row.record_id)
        ).scalar()
        out.append(
            FacilityCapacity(
                facility_id=row.record_id,
                standard=standard,
                floor_area_m2=sum((u.floor_area_m2 for u in units), Decimal(0)),
                computed_capacity=sum(computed_capacity(u.floor_area_m2, standard) for u in units),
                declared_capacity=declared,
                occupancy=int(occupancy or 0),
                overrides=int(overrides or 0),
            )
        )
    return out


@dataclass(frozen=True, kw_only=True)
class OperationAlert:
    """One line of ``habeas alerts``: ``kind`` is a stable dotted name; ``seq`` the entry it rests on."""

    kind: str
    subject_id: str
    message: str
    seq: int


def operation_alerts(
    conn: Connection, now: datetime, standard: CapacityStandard | None = None
) -> list[OperationAlert]:
    """Open incidents, notifications missed at ``now``, capacity overrides and, given the standard,
    facilities held over their computed capacity."""
    out = [
        OperationAlert(
            kind="incident.open",
            subject_id=i.incident_id,
            message=f"{i.kind.replace('_', ' ')} open since {i.opened_at} concerning {', '.join(i.person_ids)}"
            + (f" (manifest {i.manifest_id})" if i.manifest_id else "")
            + ("; report to an independent authority required" if i.independent_report_required else ""),
            seq=i.seq,
        )
        for i in incidents(conn, open_only=True)
    ]
    seqs = {
        r.notification_id: int(r.seq)
        for r in conn.execute(select(notification.c.notification_id, notification.c.seq))
    }
    for o in missed_notifications(conn, now):
        out.append(
            OperationAlert(
                kind="notification.missed",
                subject_id=o.notification_id,
                message=f"{o.recipient.value.replace('_', ' ')} of {o.person_id} ({o.reason.value}) due "
                f"{format_utc(o.due_at)}, not sent: overdue by {o.overdue_by}",
                seq=seqs[o.notification_id],
            )
        )
    for r in conn.execute(select(capacity_override).order_by(capacity_override.c.seq)):
        out.append(
            OperationAlert(
                kind="intake.capacity_override",
                subject_id=r.admission_id,
                message=f"{r.person_id} admitted to {r.facility_id}/{r.unit_id} over computed capacity "
                f"({r.occupancy} of {r.capacity}, {r.standard}) on the authority of {r.authorised_by}: {r.reason}",
                seq=int(r.seq),
            )
        )
    if standard is not None:
        for f in capacity(conn, standard):
            if f.over:
                out.append(
                    OperationAlert(
                        kind="facility.over_capacity",
                        subject_id=f.facility_id,
                        message=f"holds {f.occupancy} people, computed capacity {f.computed_capacity} ({standard})",
                        seq=0,
                    )
                )
    return out


# -- handoffs --------------------------------------------------------------------------------------------------


def handoff_receipt(conn: Connection, receipt_id: str) -> HandoffReceipt:
    """The receipt as both officers sign it (private descriptions and nonce included)."""
    event = state_operation.receipt_event(conn, receipt_id)
    if event is None:
        raise UnknownRecord("handoff receipt", receipt_id)
    return receipt_from_event(event)


@dataclass(frozen=True, kw_only=True)
class HandoffView:
    receipt_id: str
    status: str
    person_ids: tuple[str, ...]
    releasing: str
    receiving: str
    authority: str
    place_id: str
    country: str
    at: str
    signatures: tuple[tuple[str, str, int], ...]  # (role, officer@agency, seq)
    seq: int
    completed_seq: int | None


def handoff_view(conn: Connection, receipt_id: str) -> HandoffView:
    r = conn.execute(select(handoff).where(handoff.c.receipt_id == receipt_id)).first()
    if r is None:
        raise UnknownRecord("handoff receipt", receipt_id)
    sigs = conn.execute(
        select(handoff_signature).where(handoff_signature.c.receipt_id == receipt_id).order_by(handoff_signature.c.seq)
    )
    authority = f"{r.authority_basis} ({r.authority_agency}" + (
        f", {r.authority_record})" if r.authority_record else ")"
    )
    return HandoffView(
        receipt_id=receipt_id, status=r.status, person_ids=tuple(json.loads(r.person_ids)),
        releasing=f"{r.releasing_officer}@{r.releasing_agency}",
        receiving=f"{r.receiving_officer}@{r.receiving_agency}",
        authority=authority, place_id=r.place_id, country=r.country, at=r.at,
        signatures=tuple((s.role, f"{s.officer_id}@{s.agency_id}", int(s.seq)) for s in sigs),
        seq=int(r.seq), completed_seq=None if r.completed_seq is None else int(r.completed_seq),
    )

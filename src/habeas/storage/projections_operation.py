"""Projections of headcounts, incidents, handoffs, intake, notifications and agreements (issue 4).

Tables are defined on ``projection_metadata`` so that creation, dumps and rebuilds include them. Several of
these event types occur more than once on one stream (a manifest has many headcounts, a person many accesses
and notifications, an agreement many invoices), so each table is keyed by the record's own id, never by the
stream. Only public fields are projected: a rebuild from leaves whose private payloads were erased gives the
same rows.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import BigInteger, Boolean, Column, Connection, Index, Integer, String, Table, Text, update

from habeas.domain.agreements import AgreementRecorded, InvoiceIssued
from habeas.domain.events import Event, EventType
from habeas.domain.handoffs import HandoffCompleted, HandoffReceiptIssued, HandoffSigned
from habeas.domain.headcounts import HeadcountRecorded
from habeas.domain.incidents import AccessLogged, IncidentOpened, IncidentResolved
from habeas.domain.intake import IntakeCapacityOverride
from habeas.domain.notifications import NotificationDue, NotificationSent
from habeas.domain.values import format_utc
from habeas.ledger.canonical import canonical
from habeas.storage.projection_schema import projection_metadata

HANDOFF_ISSUED = "issued"
HANDOFF_COMPLETED = "completed"


def _ids(ids: tuple[str, ...]) -> str:
    return canonical(list(ids)).decode()


headcount = Table(
    "p_headcount",
    projection_metadata,
    Column("headcount_id", String(200), primary_key=True),
    Column("manifest_id", String(100), nullable=False),
    Column("checkpoint", String(20), nullable=False),
    Column("occurred_at", String(40), nullable=False),
    Column("expected_count", Integer, nullable=False),
    Column("counted_count", Integer, nullable=False),
    Column("missing", Text, nullable=False),  # JSON list of person ids
    Column("unexpected", Text, nullable=False),
    Column("duplicates", Text, nullable=False),
    Column("incident_id", String(200)),
    Column("seq", BigInteger, nullable=False),
    Index("ix_p_headcount_manifest", "manifest_id"),
)

incident = Table(
    "p_incident",
    projection_metadata,
    Column("incident_id", String(200), primary_key=True),
    Column("kind", String(40), nullable=False),
    Column("person_ids", Text, nullable=False),  # JSON list
    Column("manifest_id", String(100)),
    Column("checkpoint", String(20)),
    Column("facility_id", String(100)),
    Column("leg_id", String(100)),
    Column("serious", Boolean, nullable=False),
    Column("independent_report_required", Boolean, nullable=False),
    Column("opened_at", String(40), nullable=False),
    Column("resolved_at", String(40)),
    Column("resolution", String(100)),
    Column("seq", BigInteger, nullable=False),
    Column("resolved_seq", BigInteger),
    Index("ix_p_incident_manifest", "manifest_id"),
)

access = Table(
    "p_access",
    projection_metadata,
    Column("access_id", String(200), primary_key=True),
    Column("person_id", String(100), nullable=False),
    Column("purpose", String(40), nullable=False),
    Column("occurred_at", String(40), nullable=False),
    Column("ended_at", String(40)),
    Column("facility_id", String(100)),
    Column("leg_id", String(100)),
    Column("officer_id", String(100)),
    Column("agency_id", String(100)),
    Column("seq", BigInteger, nullable=False),
    Index("ix_p_access_person", "person_id"),
)

notification = Table(
    "p_notification",
    projection_metadata,
    Column("notification_id", String(300), primary_key=True),
    Column("person_id", String(100), nullable=False),
    Column("recipient", String(40), nullable=False),
    Column("reason", String(40), nullable=False),
    Column("made_due_at", String(40), nullable=False),
    Column("due_at", String(40), nullable=False),
    Column("legal_source", String(100), nullable=False),
    Column("related_id", String(200)),
    Column("sent_at", String(40)),
    Column("channel", String(100)),
    Column("seq", BigInteger, nullable=False),
    Column("sent_seq", BigInteger),
    Index("ix_p_notification_person", "person_id"),
)

handoff = Table(
    "p_handoff",
    projection_metadata,
    Column("receipt_id", String(200), primary_key=True),
    Column("status", String(20), nullable=False),
    Column("manifest_id", String(100)),
    Column("at", String(40), nullable=False),
    Column("person_ids", Text, nullable=False),  # JSON list
    Column("item_count", Integer, nullable=False),
    Column("releasing_agency", String(100), nullable=False),
    Column("releasing_officer", String(100), nullable=False),
    Column("receiving_agency", String(100), nullable=False),
    Column("receiving_officer", String(100), nullable=False),
    Column("place_id", String(100), nullable=False),
    Column("country", String(3), nullable=False),
    Column("authority_agency", String(100), nullable=False),
    Column("authority_basis", String(200), nullable=False),
    Column("authority_record", String(100)),
    Column("seq", BigInteger, nullable=False),
    Column("completed_seq", BigInteger),
)

handoff_signature = Table(
    "p_handoff_signature",
    projection_metadata,
    Column("receipt_id", String(200), primary_key=True),
    Column("role", String(20), primary_key=True),
    Column("officer_id", String(100), nullable=False),
    Column("agency_id", String(100), nullable=False),
    Column("signature", Text, nullable=False),  # base64, as in the entry
    Column("seq", BigInteger, nullable=False),
)

capacity_override = Table(
    "p_capacity_override",
    projection_metadata,
    Column("admission_id", String(200), primary_key=True),
    Column("facility_id", String(100), nullable=False),
    Column("unit_id", String(100), nullable=False),
    Column("person_id", String(100), nullable=False),
    Column("occupancy", Integer, nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("standard", String(20), nullable=False),
    Column("reason", Text, nullable=False),
    Column("authorised_by", String(100), nullable=False),
    Column("occurred_at", String(40), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Index("ix_p_capacity_override_facility", "facility_id"),
)

agreement = Table(
    "p_agreement",
    projection_metadata,
    Column("agreement_id", String(100), primary_key=True),
    Column("sending_state", String(3), nullable=False),
    Column("receiving_state", String(3), nullable=False),
    Column("active_from", String(40), nullable=False),
    Column("active_to", String(40)),
    Column("categories", Text, nullable=False),  # JSON list
    Column("per_diem", String(40), nullable=False),  # Decimal as text, never a float
    Column("currency", String(3), nullable=False),
    Column("guaranteed_minimum", String(40), nullable=False),
    Column("quota", Integer),
    Column("seq", BigInteger, nullable=False),
)

invoice = Table(
    "p_invoice",
    projection_metadata,
    Column("invoice_id", String(200), primary_key=True),
    Column("agreement_id", String(100), nullable=False),
    Column("period_from", String(40), nullable=False),
    Column("period_to", String(40), nullable=False),
    Column("person_days", Integer, nullable=False),
    Column("people", Integer, nullable=False),
    Column("amount", String(40), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("minimum_applied", Boolean, nullable=False),
    Column("seq", BigInteger, nullable=False),
    Index("ix_p_invoice_agreement", "agreement_id"),
)


def _headcount(conn: Connection, seq: int, event: Event) -> None:
    assert isinstance(event, HeadcountRecorded)
    conn.execute(
        headcount.insert().values(
            headcount_id=event.headcount_id, manifest_id=event.stream, checkpoint=event.checkpoint.value,
            occurred_at=format_utc(event.occurred_at), expected_count=event.expected_count,
            counted_count=event.counted_count, missing=_ids(event.missing), unexpected=_ids(event.unexpected),
            duplicates=_ids(event.duplicates), incident_id=event.incident_id, seq=seq,
        )
    )


def _incident_opened(conn: Connection, seq: int, event: Event) -> None:
    assert isinstance(event, IncidentOpened)
    conn.execute(
        incident.insert().values(
            incident_id=event.stream, kind=event.kind.value, person_ids=_ids(event.person_ids),
            manifest_id=event.manifest_id, checkpoint=None if event.checkpoint is None else event.checkpoint.value,
            facility_id=event.facility_id, leg_id=event.leg_id, serious=event.serious,
            independent_report_required=event.independent_report_required,
            opened_at=format_utc(event.occurred_at), resolved_at=None, resolution=None, seq=seq, resolved_seq=None,
        )
    )


def _incident_resolved(conn: Connection, seq: int, event: Event) -> None:
    assert isinstance(event, IncidentResolved)
    conn.execute(
        update(incident)
        .where(incident.c.incident_id == event.stream)
        .values(resolved_at=format_utc(event.occurred_at), resolution=event.reason, resolved_seq=seq)
    )


def _access(conn: Connection, seq: int, event: Event) -> None:
    assert isinstance(event, AccessLogged)
    conn.execute(
        access.insert().values(
            access_id=event.access_id, person_id=event.stream, purpose=event.purpose.value,
            occurred_at=format_utc(event.occurred_at),
            ended_at=None if event.ended_at is None else format_utc(event.ended_at),
            facility_id=event.facility_id, leg_id=event.leg_id, officer_id=event.officer_id,
            agency_id=event.agency_id, seq=seq,
        )
    )


def _notification_due(conn: Connection, seq: int, event: Event) -> None:
    assert isinstance(event, NotificationDue)
    conn.execute(
        notification.insert().values(
            notification_id=event.notification_id, person_id=event.stream, recipient=event.recipient.value,
            reason=event.reason.value, made_due_at=format_utc(event.occurred_at), due_at=format_utc(event.due_at),
            legal_source=event.legal_source, related_id=event.related_id, sent_at=None, channel=None, seq=seq,
            sent_seq=None,
        )
    )


def _notification_sent(conn: Connection, seq: int, event: Event) -> None:
    assert isinstance(event, NotificationSent)
    conn.execute(
        update(notification)
        .where(notification.c.notification_id == event.notification_id)
        .values(sent_at=format_utc(event.occurred_at), channel=event.channel, sent_seq=seq)
    )


def _receipt_issued(conn: Connection, seq: int, event: Event) -> None:
    assert isinstance(event, HandoffReceiptIssued)
    conn.execute(
        handoff.insert().values(
            receipt_id=event.stream, status=HANDOFF_ISSUED, manifest_id=event.manifest_id,
            at=format_utc(event.occurred_at), person_ids=_ids(event.person_ids), item_count=len(event.items),
            releasing_agency=event.releasing.agency_id, releasing_officer=event.releasing.officer_id,
            receiving_agency=event.receiving.agency_id, receiving_officer=event.receiving.officer_id,
            place_id=event.place_id, country=event.country, authority_agency=event.authority.agency_id,
            authority_basis=event.authority.legal_basis, authority_record=event.authority.record_id, seq=seq,
            completed_seq=None,
        )
    )


def _signed(conn: Connection, seq: int, event: Event) -> None:
    assert isinstance(event, HandoffSigned)
    conn.execute(
        handoff_signature.insert().values(
            receipt_id=event.stream, role=event.role.value, officer_id=event.officer_id, agency_id=event.agency_id,
            signature=str(event.public()["signature"]), seq=seq,
        )
    )


def _completed(conn: Connection, seq: int, event: Event) -> None:
    assert isinstance(event, HandoffCompleted)
    conn.execute(
        update(handoff).where(handoff.c.receipt_id == event.stream).values(status=HANDOFF_COMPLETED, completed_seq=seq)
    )


def _override(conn: Connection, seq: int, event: Event) -> None:
    assert isinstance(event, IntakeCapacityOverride)
    conn.execute(
        capacity_override.insert().values(
            admission_id=event.admission_id, facility_id=event.stream, unit_id=event.unit_id,
            person_id=event.person_id, occupancy=event.occupancy, capacity=event.capacity,
            standard=event.standard.value, reason=event.reason, authorised_by=event.authorised_by,
            occurred_at=format_utc(event.occurred_at), seq=seq,
        )
    )


def _agreement(conn: Connection, seq: int, event: Event) -> None:
    assert isinstance(event, AgreementRecorded)
    a = event.agreement
    conn.execute(
        agreement.insert().values(
            agreement_id=a.agreement_id, sending_state=a.sending_state, receiving_state=a.receiving_state,
            active_from=format_utc(a.term.active_from),
            active_to=None if a.term.active_to is None else format_utc(a.term.active_to),
            categories=_ids(a.categories), per_diem=str(a.per_diem), currency=a.currency,
            guaranteed_minimum=str(a.guaranteed_minimum), quota=a.quota, seq=seq,
        )
    )


def _invoice(conn: Connection, seq: int, event: Event) -> None:
    assert isinstance(event, InvoiceIssued)
    assert event.period.active_to is not None  # the domain refuses an open invoice period
    conn.execute(
        invoice.insert().values(
            invoice_id=event.invoice_id, agreement_id=event.stream, period_from=format_utc(event.period.active_from),
            period_to=format_utc(event.period.active_to), person_days=event.person_days, people=len(event.lines),
            amount=str(event.amount), currency=event.currency, minimum_applied=event.minimum_applied, seq=seq,
        )
    )


APPLIERS: dict[EventType, Callable[[Connection, int, Event], None]] = {
    EventType.HEADCOUNT_RECORDED: _headcount,
    EventType.INCIDENT_OPENED: _incident_opened,
    EventType.INCIDENT_RESOLVED: _incident_resolved,
    EventType.ACCESS_LOGGED: _access,
    EventType.NOTIFICATION_DUE: _notification_due,
    EventType.NOTIFICATION_SENT: _notification_sent,
    EventType.HANDOFF_RECEIPT_ISSUED: _receipt_issued,
    EventType.HANDOFF_SIGNED: _signed,
    EventType.HANDOFF_COMPLETED: _completed,
    EventType.INTAKE_CAPACITY_OVERRIDE: _override,
    EventType.AGREEMENT_RECORDED: _agreement,
    EventType.AGREEMENT_INVOICE_ISSUED: _invoice,
}

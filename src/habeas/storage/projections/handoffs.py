"""Handoffs: ``p_handoff``, one row a receipt (issued, then completed), and ``p_handoff_signature``, one row a
party's signature on it."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, String, Table, Text

from habeas.domain.events import EventType
from habeas.domain.handoff_events import HandoffCompleted, HandoffReceiptIssued, HandoffSigned
from habeas.storage.projections.rows import Applier, InsertRow, UpdateRow, const, count
from habeas.storage.projections.schema import metadata

ISSUED = "issued"
COMPLETED = "completed"

handoff = Table(
    "p_handoff",
    metadata,
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
    metadata,
    Column("receipt_id", String(200), primary_key=True),
    Column("role", String(20), primary_key=True),
    Column("officer_id", String(100), nullable=False),
    Column("agency_id", String(100), nullable=False),
    Column("signature", Text, nullable=False),  # base64, as in the entry
    Column("seq", BigInteger, nullable=False),
)


APPLIERS: dict[EventType, Applier] = {
    EventType.HANDOFF_RECEIPT_ISSUED: InsertRow(
        HandoffReceiptIssued, handoff, receipt_id="stream", status=const(ISSUED), at="occurred_at",
        item_count=count("items"), releasing_agency="releasing.agency_id", releasing_officer="releasing.officer_id",
        receiving_agency="receiving.agency_id", receiving_officer="receiving.officer_id",
        authority_agency="authority.agency_id", authority_basis="authority.legal_basis",
        authority_record="authority.record_id", later=("completed_seq",),
    ),
    EventType.HANDOFF_SIGNED: InsertRow(HandoffSigned, handoff_signature, receipt_id="stream"),  # signature: base64
    EventType.HANDOFF_COMPLETED: UpdateRow(
        HandoffCompleted, handoff, key=("receipt_id", "stream"), seq_column="completed_seq", status=const(COMPLETED)
    ),
}

"""Agreements between states: ``p_agreement``, one row an agreement, and ``p_invoice``, one row an invoice
issued under it. Money is Decimal as text, never a float."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, String, Table, Text

from habeas.domain.agreements import AgreementRecorded, InvoiceIssued
from habeas.domain.events import EventType
from habeas.storage.projections.rows import Applier, InsertRow, count
from habeas.storage.projections.schema import metadata

agreement = Table(
    "p_agreement",
    metadata,
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
    metadata,
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


APPLIERS: dict[EventType, Applier] = {
    EventType.AGREEMENT_RECORDED: InsertRow(
        AgreementRecorded, agreement, agreement_id="agreement.agreement_id",
        sending_state="agreement.sending_state", receiving_state="agreement.receiving_state",
        active_from="agreement.term.active_from", active_to="agreement.term.active_to",
        categories="agreement.categories", per_diem="agreement.per_diem", currency="agreement.currency",
        guaranteed_minimum="agreement.guaranteed_minimum", quota="agreement.quota",
    ),
    EventType.AGREEMENT_INVOICE_ISSUED: InsertRow(
        InvoiceIssued, invoice, agreement_id="stream", period_from="period.active_from",
        period_to="period.active_to", people=count("lines"),  # the domain refuses an open invoice period
    ),
}

"""Agreements between states and the invoices billed under them (person-days held in the receiving state)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, or_, select

from habeas.domain import agreements
from habeas.domain.actors import Caller
from habeas.domain.agreements import Agreement, AgreementRecorded, RecordAgreement, Stay
from habeas.domain.command import Command
from habeas.domain.custody import CustodyChanged, CustodyStatus
from habeas.domain.errors import InvalidField, UnknownRecord
from habeas.domain.events import Event, EventType
from habeas.domain.facilities import FacilityRegistered
from habeas.domain.periods import Period
from habeas.services.facilities import list_agencies
from habeas.services.records import event_at, stream_events
from habeas.services.unit_of_work import Handler, Result, UnitOfWork, as_domain
from habeas.storage.projections.agreements import agreement as agreement_table
from habeas.storage.projections.agreements import invoice
from habeas.storage.projections.custody import custody
from habeas.storage.projections.schema import KIND, record


@dataclass(frozen=True, kw_only=True)
class IssueInvoice(Command):
    """Bill the agreement for ``period``: person-days of everyone held in the receiving state's facilities."""

    agreement_id: str
    invoice_id: str
    period: Period


def agreement_state(conn: Connection, agreement_id: str) -> Agreement | None:
    row = conn.execute(
        select(agreement_table.c.seq).where(agreement_table.c.agreement_id == agreement_id)
    ).first()
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


def invoice_exists(conn: Connection, invoice_id: str) -> bool:
    return conn.execute(select(invoice.c.seq).where(invoice.c.invoice_id == invoice_id)).first() is not None


def record_agreement(cmd: RecordAgreement, *, uow: UnitOfWork) -> Result:
    events = agreements.record_agreement(
        as_domain(agreements.RecordAgreement, cmd), now=uow.now,
        already_recorded=agreement_state(uow.conn, cmd.agreement.agreement_id) is not None,
    )
    return Result(uow.record(events))


def issue_invoice(cmd: IssueInvoice, *, uow: UnitOfWork) -> Result:
    """``Result.value`` is the :class:`~habeas.domain.agreements.InvoiceIssued` entry."""
    agreement = agreement_state(uow.conn, cmd.agreement_id)
    if agreement is None:
        raise UnknownRecord("agreement", cmd.agreement_id)
    facility_ids = facilities_in(uow.conn, agreement.receiving_state)
    if not facility_ids:
        raise InvalidField("agreement", cmd.agreement_id, f"no facility registered in {agreement.receiving_state}")
    events: list[Event] = agreements.issue_invoice(
        agreement, stays_in(uow.conn, facility_ids), cmd.period, invoice_id=cmd.invoice_id,
        already_issued=invoice_exists(uow.conn, cmd.invoice_id), now=uow.now,
    )
    return Result(uow.record(events), value=events[0])


HANDLERS: dict[type[Command], Handler] = {
    RecordAgreement: record_agreement,
    IssueInvoice: issue_invoice,
}


# -- reading, as a party sees it -------------------------------------------------------------------------------
# An agency is party to the agreements of its own country (the sending or the receiving state); any other
# agreement is, to it, as an unknown id.


def country_of(conn: Connection, agency_id: str) -> str | None:
    """The registered country of an agency, or None for an agency not on record."""
    return next((a.country for a in list_agencies(conn) if a.agency_id == agency_id), None)


def party_agreements(conn: Connection, caller: Caller, agreement_id: str | None = None) -> list[dict[str, Any]]:
    """The agreements the caller's agency's state is a party to (or the one named, if it is), as the stored
    columns with ``categories`` decoded."""
    country = country_of(conn, caller.agency)
    if country is None:
        return []
    t = agreement_table
    query = select(t).where(or_(t.c.sending_state == country, t.c.receiving_state == country))
    if agreement_id is not None:
        query = query.where(t.c.agreement_id == agreement_id)
    return [
        {**r._mapping, "categories": json.loads(r.categories), "seq": int(r.seq)} for r in conn.execute(query)
    ]


def party_agreement(conn: Connection, caller: Caller, agreement_id: str) -> dict[str, Any]:
    """The agreement, if the caller's agency's state is a party to it; else UnknownRecord."""
    found = party_agreements(conn, caller, agreement_id)
    if not found:
        raise UnknownRecord("agreement", agreement_id)
    return found[0]


def party_invoices(conn: Connection, caller: Caller, agreement_id: str) -> list[dict[str, Any]]:
    """The invoices of an agreement the caller's agency's state is a party to (else UnknownRecord)."""
    party_agreement(conn, caller, agreement_id)
    return [dict(r._mapping) for r in conn.execute(select(invoice).where(invoice.c.agreement_id == agreement_id))]

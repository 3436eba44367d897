"""Handoffs: a receipt both officers sign, checked against their registered keys; then custody passes.

The receipt's nonce (128 random bits) is generated here, never taken from the caller. Completing a handoff also
makes family (and counsel of record) due to be told of the transfer.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, select

from habeas.domain import handoffs, notifications
from habeas.domain.command import Command
from habeas.domain.custody import Authority, Custodian
from habeas.domain.errors import UnknownRecord
from habeas.domain.events import EventType
from habeas.domain.facilities import OfficerRegistered
from habeas.domain.handoff_events import HandoffReceiptIssued
from habeas.domain.handoffs import HandoffReceipt, receipt_from_event
from habeas.ledger.note import ed25519_verify
from habeas.services.custody import custody_state
from habeas.services.facilities import officer_ref
from habeas.services.records import event_at, record_event
from habeas.services.unit_of_work import Handler, Result, UnitOfWork
from habeas.storage.projections.handoffs import handoff, handoff_signature
from habeas.storage.projections.schema import KIND, record


@dataclass(frozen=True, kw_only=True)
class IssueHandoff(Command):
    """A receipt to be signed by both officers; the services add its private nonce (128 random bits)."""

    receipt_id: str
    person_ids: tuple[str, ...]
    releasing: Custodian
    receiving: Custodian
    place_id: str
    country: str
    at: datetime
    authority: Authority
    items: tuple[handoffs.ReceiptItem, ...] = ()
    manifest_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class CompleteHandoff(Command):
    """Both officers' signatures over the receipt's canonical bytes (:func:`habeas.domain.handoffs.sign`)."""

    receipt_id: str
    releasing_signature: bytes
    receiving_signature: bytes


def officer_key(conn: Connection, officer_id: str) -> bytes | None:
    """The Ed25519 public key registered for the officer: the only key their signature is checked against."""
    event = record_event(conn, EventType.OFFICER_REGISTERED, officer_id)
    return event.public_key if isinstance(event, OfficerRegistered) else None


def receipt_event(conn: Connection, receipt_id: str) -> HandoffReceiptIssued | None:
    row = conn.execute(select(handoff.c.seq).where(handoff.c.receipt_id == receipt_id)).first()
    event = None if row is None else event_at(conn, int(row.seq))
    return event if isinstance(event, HandoffReceiptIssued) else None


def handoff_completed(conn: Connection, receipt_id: str) -> bool:
    row = conn.execute(select(handoff.c.completed_seq).where(handoff.c.receipt_id == receipt_id)).first()
    return row is not None and row.completed_seq is not None


def issue_handoff(cmd: IssueHandoff, *, uow: UnitOfWork) -> Result:
    """Records the receipt; ``Result.value`` is the :class:`~habeas.domain.handoffs.HandoffReceipt` to sign."""
    receipt = handoffs.HandoffReceipt(
        receipt_id=cmd.receipt_id, person_ids=cmd.person_ids, items=cmd.items, releasing=cmd.releasing,
        receiving=cmd.receiving, place_id=cmd.place_id, country=cmd.country, at=cmd.at, authority=cmd.authority,
        nonce=secrets.token_hex(16), manifest_id=cmd.manifest_id,
    )
    events = handoffs.issue_receipt(
        receipt,
        releasing_officer=officer_ref(uow.conn, cmd.releasing.officer_id),
        receiving_officer=officer_ref(uow.conn, cmd.receiving.officer_id),
        states={p: custody_state(uow.conn, p) for p in cmd.person_ids},
        already_issued=receipt_event(uow.conn, cmd.receipt_id) is not None,
        now=uow.now,
    )
    return Result(uow.record(events), value=receipt)


def complete_handoff(cmd: CompleteHandoff, *, uow: UnitOfWork) -> Result:
    """Both signatures checked against the officers' *registered* keys; then custody passes for everyone on
    the receipt, and family (and counsel of record) are due to be told of the transfer."""
    issued = receipt_event(uow.conn, cmd.receipt_id)
    if issued is None:
        raise UnknownRecord("handoff receipt", cmd.receipt_id)
    receipt = handoffs.receipt_from_event(issued)
    releasing_key = officer_key(uow.conn, receipt.releasing.officer_id)
    receiving_key = officer_key(uow.conn, receipt.receiving.officer_id)
    if releasing_key is None:
        raise UnknownRecord("officer", receipt.releasing.officer_id)
    if receiving_key is None:
        raise UnknownRecord("officer", receipt.receiving.officer_id)
    events = handoffs.complete_handoff(
        receipt,
        releasing_sig=cmd.releasing_signature,
        receiving_sig=cmd.receiving_signature,
        releasing_key=releasing_key,
        receiving_key=receiving_key,
        verify=ed25519_verify,
        states={p: custody_state(uow.conn, p) for p in receipt.person_ids},
        receiving_officer=officer_ref(uow.conn, receipt.receiving.officer_id),
        already_completed=handoff_completed(uow.conn, cmd.receipt_id),
        now=uow.now,
    )
    policy = notifications.NotificationPolicy()
    counselled = _with_counsel(uow.conn, receipt.person_ids)
    for person_id in receipt.person_ids:
        events += notifications.transfer_notifications(
            person_id, transferred_at=receipt.at, related_id=receipt.receipt_id, policy=policy,
            has_counsel=person_id in counselled,
        )
    return Result(uow.record(events), value=receipt)


def _with_counsel(conn: Connection, person_ids: Sequence[str]) -> set[str]:
    """Those of ``person_ids`` with a counsel record not retracted (``records.has_record`` for each), in one
    query a chunk rather than one a person: a receipt names a flight's people."""
    ids, out = list(dict.fromkeys(person_ids)), set[str]()
    for k in range(0, len(ids), _CHUNK):
        out.update(str(r[0]) for r in conn.execute(
            select(record.c.person_id).distinct().where(and_(
                record.c.kind == KIND[EventType.COUNSEL_RECORDED], record.c.person_id.in_(ids[k : k + _CHUNK]),
                record.c.retracted.is_(False),
            ))
        ))
    return out


_CHUNK = 500  # ids per IN (...): well under SQLite's bound-parameter limit


# -- queries ---------------------------------------------------------------------------------------------------


def handoff_receipt(conn: Connection, receipt_id: str) -> HandoffReceipt:
    """The receipt as both officers sign it (private descriptions and nonce included)."""
    event = receipt_event(conn, receipt_id)
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


HANDLERS: dict[type[Command], Handler] = {
    IssueHandoff: issue_handoff,
    CompleteHandoff: complete_handoff,
}


def issued_receipt(conn: Connection, receipt_id: str) -> HandoffReceiptIssued:
    """The entry that issued the receipt; UnknownRecord if there is none."""
    event = receipt_event(conn, receipt_id)
    if event is None:
        raise UnknownRecord("handoff receipt", receipt_id)
    return event


def handoff_detail(conn: Connection, receipt_id: str) -> tuple[HandoffView, HandoffReceiptIssued]:
    """The handoff as :func:`handoff_view` shows it, and the entry that issued its receipt (read together)."""
    return handoff_view(conn, receipt_id), issued_receipt(conn, receipt_id)

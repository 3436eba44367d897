"""Loaders every concept shares: an entry's event (from the ledger), the ``person`` row, the ``p_record`` rows.

``p_record`` holds one row per record of the kinds that need no table of their own (legal records, allegations,
convictions, facilities, units, agencies, officers, admissions); :class:`RecordView` is its read side. A row's body
is the entry's public body; what the record says (its ``CONTENT`` fields: an allegation's organisation, a removal
order's destination) is in the entry's private payload, which :func:`private_payloads` reads, as amended. Nearly
every decision starts by asking whether the person exists, so :func:`person_state` is here too. Everything here
reads inside the caller's transaction and writes nothing.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, func, select

from habeas.domain.corrections import CorrectionAction
from habeas.domain.errors import UnknownRecord
from habeas.domain.events import Event, EventType, event_class, event_from
from habeas.domain.people import PersonState
from habeas.ledger.entry import parse_leaf
from habeas.services import facts
from habeas.storage import direct, ledger_store
from habeas.storage.projections.corrections import correction
from habeas.storage.projections.people import person
from habeas.storage.projections.schema import KIND, record

ALLEGATION = KIND[EventType.ALLEGATION_RECORDED]
CONVICTION = KIND[EventType.CONVICTION_RECORDED]
COURT_ORDER = KIND[EventType.COURT_ORDER_RECORDED]
FACILITY = KIND[EventType.FACILITY_REGISTERED]
UNIT = KIND[EventType.UNIT_REGISTERED]
AGENCY = KIND[EventType.AGENCY_REGISTERED]
OFFICER = KIND[EventType.OFFICER_REGISTERED]
ADMISSION = KIND[EventType.PERSON_ADMISSION_RECORDED]
FITNESS = KIND[EventType.FITNESS_TO_TRAVEL_RECORDED]
# Legal records about one person: every "legal.*" kind but court orders, which are subjects of their own.
LEGAL_KINDS = tuple(k for k in KIND.values() if k.startswith("legal.") and k != COURT_ORDER)
TYPE_OF_KIND = {kind: event_type for event_type, kind in KIND.items()}
_CHUNK = 500  # ids per IN (...): well under SQLite's bound-parameter limit


def event_at(conn: Connection, seq: int) -> Event | None:
    """The event an entry holds, rebuilt from its leaf and (unless erased) its private payload."""
    leaf = ledger_store.read_leaf(conn, seq)
    if leaf is None:
        return None
    entry = parse_leaf(leaf)
    held = ledger_store.read_private_one(conn, seq)
    private = None if held is None else parse_leaf(held[1])
    return event_from(entry["type"], entry["stream"], entry["body"], private)


def private_payloads(conn: Connection, seqs: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The private payload of each entry in ``seqs`` as its record now stands: for an entry an amendment replaced,
    the latest amendment's replacement; none for an erased one. Two queries a chunk of 500, whatever the number."""
    wanted = sorted(set(seqs))
    out: dict[int, dict[str, Any]] = {}
    for k in range(0, len(wanted), _CHUNK):
        chunk = wanted[k : k + _CHUNK]
        amended = {
            int(r[0]): int(r[1])
            for r in conn.execute(
                select(correction.c.corrected_seq, func.max(correction.c.seq))
                .where(correction.c.action == CorrectionAction.AMEND.value, correction.c.corrected_seq.in_(chunk))
                .group_by(correction.c.corrected_seq)
            )
        }
        source = {seq: amended.get(seq, seq) for seq in chunk}
        held = ledger_store.read_private_of(conn, sorted(set(source.values())))
        for seq, at in source.items():
            found = held.get(at)
            if found is None:
                continue
            payload: Any = parse_leaf(found[1])
            if at != seq:  # the amendment's payload carries the replacement's private part
                payload = payload.get("replacement_private")
            if isinstance(payload, dict):
                out[seq] = payload
    return out


@functools.cache
def content_names(kind: str) -> tuple[str, ...]:
    """The ``CONTENT`` fields of a record kind's event type: shown with the record, never in the public log."""
    event_type = TYPE_OF_KIND.get(kind)
    return () if event_type is None else event_class(event_type.value).content_names()


def stream_events(conn: Connection, stream: str, types: tuple[type[Event], ...]) -> list[Event]:
    """The stream's events of the given classes, in log order."""
    out = []
    for seq in sorted(ledger_store.stream_seqs(conn, stream)):
        event = event_at(conn, seq)
        if isinstance(event, types):
            out.append(event)
    return out


_RECORD_EXISTS = direct.Sql("SELECT 1 FROM p_record WHERE kind = ? AND record_id = ?")


def record_exists(conn: Connection, kind: EventType, record_id: str) -> bool:
    k = KIND[kind]
    return facts.remembered(
        facts.record_key(k, record_id), lambda: direct.first(conn, _RECORD_EXISTS, (k, record_id)) is not None
    )


def record_event(conn: Connection, kind: EventType, record_id: str) -> Event | None:
    row = conn.execute(
        select(record.c.seq).where(and_(record.c.kind == KIND[kind], record.c.record_id == record_id))
    ).first()
    return None if row is None else event_at(conn, int(row.seq))


def has_record(conn: Connection, kind: EventType, person_id: str) -> bool:
    """Whether the person has a record of this kind that is not retracted."""
    row = conn.execute(
        select(record.c.record_id).where(
            and_(record.c.kind == KIND[kind], record.c.person_id == person_id, record.c.retracted.is_(False))
        )
    ).first()
    return row is not None


@dataclass(frozen=True, kw_only=True)
class RecordView:
    """One row of ``p_record``: a legal record, allegation, conviction, facility, unit, agency or officer."""

    kind: str
    record_id: str
    seq: int
    person_id: str | None
    parent_id: str | None
    status: str | None
    active_from: str | None
    active_to: str | None
    retracted: bool
    # The record's fields as a caller who may read it sees them (as amended, if amended): the public body and,
    # while the private payload is held, the record's content; personal details (PRIVATE fields) never.
    body: dict[str, Any]


def _record_view(row: Any, payload: dict[str, Any] | None) -> RecordView:
    body = json.loads(row.body)
    if payload is not None:
        body |= {name: payload[name] for name in content_names(row.kind) if name in payload}
    return RecordView(
        kind=row.kind, record_id=row.record_id, seq=int(row.seq), person_id=row.person_id, parent_id=row.parent_id,
        status=row.status, active_from=row.active_from, active_to=row.active_to, retracted=bool(row.retracted),
        body=body,
    )


def records(conn: Connection, *where: Any) -> list[RecordView]:
    rows = list(conn.execute(select(record).where(*where).order_by(record.c.seq)))
    payloads = private_payloads(conn, [int(r.seq) for r in rows if content_names(r.kind)])
    return [_record_view(r, payloads.get(int(r.seq))) for r in rows]


def one_record(conn: Connection, kind: str, record_id: str) -> RecordView | None:
    found = records(conn, record.c.kind == kind, record.c.record_id == record_id)
    return found[0] if found else None


def person_row(conn: Connection, person_id: str) -> Any:
    """The ``person`` row; refuses an unknown person."""
    row = conn.execute(select(person).where(person.c.person_id == person_id)).first()
    if row is None:
        raise UnknownRecord("person", person_id)
    return row


_PERSON_STATE = direct.Sql("SELECT merged_into, erased FROM p_person WHERE person_id = ?")


def person_state(conn: Connection, person_id: str) -> PersonState | None:
    """What a decision about a person needs: whether they exist, were merged or erased."""
    return facts.remembered(facts.person_key(person_id), lambda: person_state_of(
        person_id, direct.first(conn, _PERSON_STATE, (person_id,))))


def person_state_of(person_id: str, row: Any) -> PersonState | None:
    """The state from a (merged_into, erased) row, or None for no row."""
    if row is None:
        return None
    return PersonState(person_id=person_id, merged_into=row[0], erased=bool(row[1]))

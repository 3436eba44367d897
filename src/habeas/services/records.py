"""Loaders every concept shares: an entry's event (from the ledger), the ``person`` row, the ``p_record`` rows.

``p_record`` holds one row per record of the kinds that need no table of their own (legal records, allegations,
convictions, facilities, units, agencies, officers, admissions); :class:`RecordView` is its read side. Nearly
every decision starts by asking whether the person exists, so :func:`person_state` is here too. Everything here
reads inside the caller's transaction and writes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, exists, select

from habeas.domain.errors import UnknownRecord
from habeas.domain.events import Event, EventType, event_from
from habeas.domain.people import PersonState
from habeas.ledger.entry import parse_leaf
from habeas.storage import ledger_store
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


def event_at(conn: Connection, seq: int) -> Event | None:
    """The event an entry holds, rebuilt from its leaf and (unless erased) its private payload."""
    leaf = ledger_store.read_leaf(conn, seq)
    if leaf is None:
        return None
    entry = parse_leaf(leaf)
    held = ledger_store.read_private_one(conn, seq)
    private = None if held is None else parse_leaf(held[1])
    return event_from(entry["type"], entry["stream"], entry["body"], private)


def stream_events(conn: Connection, stream: str, types: tuple[type[Event], ...]) -> list[Event]:
    """The stream's events of the given classes, in log order."""
    out = []
    for seq in sorted(ledger_store.stream_seqs(conn, stream)):
        event = event_at(conn, seq)
        if isinstance(event, types):
            out.append(event)
    return out


def record_exists(conn: Connection, kind: EventType, record_id: str) -> bool:
    return bool(
        conn.execute(
            select(exists().where(and_(record.c.kind == KIND[kind], record.c.record_id == record_id)))
        ).scalar()
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
    body: dict[str, Any]  # the event's public fields (as amended, if amended)


def _record_view(row: Any) -> RecordView:
    return RecordView(
        kind=row.kind, record_id=row.record_id, seq=int(row.seq), person_id=row.person_id, parent_id=row.parent_id,
        status=row.status, active_from=row.active_from, active_to=row.active_to, retracted=bool(row.retracted),
        body=json.loads(row.body),
    )


def records(conn: Connection, *where: Any) -> list[RecordView]:
    rows = conn.execute(select(record).where(*where).order_by(record.c.seq))
    return [_record_view(r) for r in rows]


def one_record(conn: Connection, kind: str, record_id: str) -> RecordView | None:
    found = records(conn, record.c.kind == kind, record.c.record_id == record_id)
    return found[0] if found else None


def person_row(conn: Connection, person_id: str) -> Any:
    """The ``person`` row; refuses an unknown person."""
    row = conn.execute(select(person).where(person.c.person_id == person_id)).first()
    if row is None:
        raise UnknownRecord("person", person_id)
    return row


def person_state(conn: Connection, person_id: str) -> PersonState | None:
    """What a decision about a person needs: whether they exist, were merged or erased."""
    row = conn.execute(select(person).where(person.c.person_id == person_id)).first()
    if row is None:
        return None
    return PersonState(person_id=person_id, merged_into=row.merged_into, erased=bool(row.erased))

"""Loading the state a decision needs, from the projections, inside the command's transaction."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, and_, exists, select

from habeas.domain.allegations import AllegationState, AllegationStatus
from habeas.domain.corrections import EntryState
from habeas.domain.custody import Authority, Custodian, CustodyState, CustodyStatus
from habeas.domain.events import Event, EventType, event_from
from habeas.domain.facilities import OfficerRef, UnitRef
from habeas.domain.identity import PersonIdentity
from habeas.domain.people import PersonRegistered, PersonState
from habeas.domain.values import parse_utc
from habeas.ledger.entry import parse_leaf
from habeas.storage import ledger_store
from habeas.storage.projection_schema import correction, custody, person, person_key, record
from habeas.storage.projections import KIND


def person_state(conn: Connection, person_id: str) -> PersonState | None:
    row = conn.execute(select(person).where(person.c.person_id == person_id)).first()
    if row is None:
        return None
    return PersonState(person_id=person_id, merged_into=row.merged_into, erased=bool(row.erased))


def custody_state(conn: Connection, person_id: str) -> CustodyState:
    row = conn.execute(select(custody).where(custody.c.person_id == person_id)).first()
    if row is None:
        return CustodyState(person_id=person_id)
    return CustodyState(
        person_id=person_id,
        status=CustodyStatus(row.status),
        since=parse_utc(row.since) if row.since else None,
        facility_id=row.facility_id,
        unit_id=row.unit_id,
        leg_id=row.leg_id,
        country=row.country,
        custodian=Custodian(agency_id=row.custodian_agency, officer_id=row.custodian_officer)
        if row.custodian_agency
        else None,
        authority=Authority(
            agency_id=row.authority_agency, legal_basis=row.authority_basis, record_id=row.authority_record
        )
        if row.authority_agency
        else None,
    )


def record_exists(conn: Connection, kind: EventType, record_id: str) -> bool:
    return bool(
        conn.execute(
            select(exists().where(and_(record.c.kind == KIND[kind], record.c.record_id == record_id)))
        ).scalar()
    )


def unit_ref(conn: Connection, facility_id: str, unit_id: str) -> UnitRef | None:
    if record_exists(conn, EventType.UNIT_REGISTERED, f"{facility_id}/{unit_id}"):
        return UnitRef(unit_id=unit_id, facility_id=facility_id)
    return None


def officer_ref(conn: Connection, officer_id: str) -> OfficerRef | None:
    row = conn.execute(
        select(record.c.parent_id).where(
            and_(record.c.kind == KIND[EventType.OFFICER_REGISTERED], record.c.record_id == officer_id)
        )
    ).first()
    return None if row is None else OfficerRef(officer_id=officer_id, agency_id=row.parent_id)


def allegation_state(conn: Connection, allegation_id: str) -> AllegationState | None:
    row = conn.execute(
        select(record.c.person_id, record.c.status).where(
            and_(record.c.kind == KIND[EventType.ALLEGATION_RECORDED], record.c.record_id == allegation_id)
        )
    ).first()
    if row is None:
        return None
    return AllegationState(allegation_id=allegation_id, person_id=row.person_id, status=AllegationStatus(row.status))


def event_at(conn: Connection, seq: int) -> Event | None:
    """The event an entry holds, rebuilt from its leaf and (unless erased) its private payload."""
    leaf = ledger_store.read_leaf(conn, seq)
    if leaf is None:
        return None
    entry = parse_leaf(leaf)
    held = ledger_store.read_private_one(conn, seq)
    private = None if held is None else parse_leaf(held[1])
    return event_from(entry["type"], entry["stream"], entry["body"], private)


def entry_state(conn: Connection, seq: int) -> EntryState | None:
    event = event_at(conn, seq)
    if event is None:
        return None
    retracted = conn.execute(
        select(exists().where(and_(correction.c.corrected_seq == seq, correction.c.action == "retract")))
    ).scalar()
    return EntryState(seq=seq, event=event, retracted=bool(retracted))


def identity_candidates(conn: Connection, keys: Iterable[tuple[str, str]]) -> list[PersonIdentity]:
    """Registered people sharing any search key (an identifier or a folded name) with a new registration."""
    wanted = list(keys)
    if not wanted:
        return []
    ids: set[str] = set()
    for kind, key in wanted:
        ids.update(
            r.person_id
            for r in conn.execute(
                select(person_key.c.person_id).where(and_(person_key.c.kind == kind, person_key.c.key == key))
            )
        )
    out = []
    for pid in sorted(ids):
        row = conn.execute(select(person.c.seq).where(person.c.person_id == pid)).first()
        event = None if row is None else event_at(conn, int(row.seq))
        if isinstance(event, PersonRegistered):
            out.append(PersonIdentity.of(event))
    return out

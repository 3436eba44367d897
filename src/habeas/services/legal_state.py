"""The gates' view of people and destinations (:mod:`habeas.gates.state`), loaded from the projections.

Every record is rebuilt from its row's public body and its entry's private payload, which holds what the record
says (both as amended, if amended; retracted rows are left out), and keeps its seq, so a gate result can name the
entry it rests on. A record whose private payload was erased is known to exist but not what it says: the
collection it belongs to is then "not checked" (``None``) and the gate answers ``unknown``, which blocks (a stay
whose country is gone reads as a stay of removal anywhere, which blocks too). Where the ledger has no record of a
kind the gates need, the value stays ``None`` ("not checked") and the gate answers ``unknown``:

* identity: verified when the registration carries at least one identity document or A-number (an
  identifier key); a merged or erased person is not; no identifier at all is "not checked";
* fitness to travel: the latest assessment made by the evaluation time (by assessment time, then seq). Fit and
  still valid then gives ``medical`` fit, recorded unfit gives ``medical`` unfit (however old: an unfit
  finding is not outlived by its validity), none or expired leaves ``medical`` ``None`` (``unknown``);
* the person's agreement categories: the legal bases of their removal orders and of their custody authority;
* where the person is held, for class criteria: the facility holding them or, in transit, handed over or out of
  custody, the last facility that held them (from their ``custody.changed`` entries), with that facility's field
  office and district as registered (as amended); and when their latest custody began (an admission after
  release, removal or escape starts a new one, a handover does not). None of it recorded leaves the fact
  ``None``, and a criterion that needs it unknown;
* designations: none are recorded yet, so a class defined by designation covers nobody.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from sqlalchemy import Connection, func, select

from habeas.domain.court_orders import CourtOrderRecorded, PersonFacts
from habeas.domain.custody import CustodyStatus
from habeas.domain.events import Event, EventType, event_from
from habeas.domain.legal import (
    ConsularRecorded,
    CounselRecorded,
    NoticeServed,
    ProtectionRecorded,
    RemovalOrderRecorded,
    StayRecorded,
)
from habeas.domain.medical import FitnessToTravelRecorded
from habeas.domain.moves import Leg
from habeas.domain.periods import Period
from habeas.domain.values import parse_utc
from habeas.gates.state import (
    AgreementRecord,
    CapacitySnapshot,
    ConsularRecord,
    CounselRecord,
    CourtOrderRecord,
    DestinationState,
    MedicalClearance,
    NoticeRecord,
    PersonLegalState,
    ProtectionRecord,
    RemovalOrderRecord,
    StayRecord,
)
from habeas.services.held import Held, held_facts
from habeas.services.records import private_payloads
from habeas.storage.projections.custody import custody
from habeas.storage.projections.people import person, person_key
from habeas.storage.projections.schema import KIND, record
from habeas.storage.projections.schema import metadata as projection_metadata

COURT_ORDER = KIND[EventType.COURT_ORDER_RECORDED]
R = TypeVar("R")
_PERSONAL = (
    EventType.REMOVAL_ORDER_RECORDED,
    EventType.PROTECTION_RECORDED,
    EventType.STAY_RECORDED,
    EventType.NOTICE_SERVED,
    EventType.COUNSEL_RECORDED,
    EventType.CONSULAR_RECORDED,
    EventType.FITNESS_TO_TRAVEL_RECORDED,
)
_TYPE_OF_KIND = {KIND[t]: t for t in (*_PERSONAL, EventType.COURT_ORDER_RECORDED)}


@dataclass(frozen=True)
class _Row:
    seq: int
    stream: str
    event: Event


def _event(kind: str, stream: str, body: str, private: dict[str, Any] | None) -> Event:
    return event_from(_TYPE_OF_KIND[kind].value, stream, json.loads(body), private)


def _record_query(*where: Any) -> Any:
    return (
        select(record.c.kind, record.c.person_id, record.c.record_id, record.c.seq, record.c.body)
        .where(record.c.retracted.is_(False), *where)
        .order_by(record.c.seq)
    )


def _row(r: Any, payloads: dict[int, dict[str, Any]]) -> _Row:
    stream = r.person_id if r.person_id is not None else r.record_id
    return _Row(int(r.seq), stream, _event(r.kind, stream, r.body, payloads.get(int(r.seq))))


def _loaded(conn: Connection, found: Iterable[Any]) -> list[_Row]:
    """The rows, each with its private payload (the kinds that have one: court orders are all public)."""
    rows = list(found)
    payloads = private_payloads(conn, [int(r.seq) for r in rows if r.kind != COURT_ORDER])
    return [_row(r, payloads) for r in rows]


def _rows(conn: Connection, *where: Any) -> list[_Row]:
    return _loaded(conn, conn.execute(_record_query(*where)))


def court_order_record(seq: int, e: Event) -> CourtOrderRecord:
    assert isinstance(e, CourtOrderRecorded)
    return CourtOrderRecord(
        order_id=e.stream, scope=e.scope, form=e.form, issued_at=e.occurred_at, period=e.period, seq=seq
    )


def stay_record(seq: int, e: Event) -> StayRecord:
    assert isinstance(e, StayRecorded)
    return StayRecord(stay_id=e.stay_id, person_id=e.stream, country=e.country, period=e.period, seq=seq)


def court_orders(conn: Connection) -> tuple[CourtOrderRecord, ...]:
    """Every court order on record (an order may bind anyone: the gates decide whom it covers)."""
    return tuple(court_order_record(r.seq, r.event) for r in _rows(conn, record.c.kind == COURT_ORDER))


def person_facts(conn: Connection, person_id: str) -> PersonFacts:
    """What class criteria are checked against: nationalities, legal bases, where and since when the person is
    held."""
    return people_facts(conn, [person_id])[person_id]


def people_facts(conn: Connection, people: Sequence[str]) -> dict[str, PersonFacts]:
    """:func:`person_facts` of many people (everyone aboard) in a few set-based queries a chunk of 500."""
    ids = list(dict.fromkeys(people))
    rows: dict[str, list[_Row]] = {p: [] for p in ids}
    persons: dict[str, Any] = {}
    held: dict[str, Any] = {}
    orders = record.c.kind == KIND[EventType.REMOVAL_ORDER_RECORDED]  # _rows decodes only the kinds it knows
    for k in range(0, len(ids), _CHUNK):
        chunk = ids[k : k + _CHUNK]
        for row in _rows(conn, record.c.person_id.in_(chunk), orders):
            rows[row.stream].append(row)
        persons.update(
            (r.person_id, r.body) for r in conn.execute(
                select(person.c.person_id, person.c.body).where(person.c.person_id.in_(chunk)))
        )
        held.update(
            (r.person_id, r) for r in conn.execute(
                select(custody.c.person_id, custody.c.facility_id, custody.c.authority_basis).where(
                    custody.c.person_id.in_(chunk)))
        )
    where = held_facts(conn, ids)
    return {p: _facts_from(p, rows[p], persons.get(p), held.get(p), where[p]) for p in ids}


def _facts_from(person_id: str, rows: Sequence[_Row], body: str | None, c: Any, held: Held) -> PersonFacts:
    """Facts from rows already loaded: ``body`` is the ``person`` row's body, ``c`` the ``custody`` row, ``held``
    where and since when the person is held."""
    nationalities = frozenset(json.loads(body).get("nationalities") or ()) if body is not None else frozenset()
    bases = {
        r.event.legal_basis
        for r in rows
        if isinstance(r.event, RemovalOrderRecorded) and r.event.legal_basis is not None
    }
    if c is not None and c.authority_basis:
        bases.add(c.authority_basis)
    return PersonFacts(
        person_id=person_id,
        nationalities=nationalities,
        legal_bases=frozenset(bases),
        facility_id=(None if c is None else c.facility_id) or held.facility_id,
        field_office=held.field_office,
        district=held.district,
        detained_since=held.detained_since,
    )


def _identity_from(p: Any, has_identifier: bool) -> tuple[bool | None, int | None]:
    """Identity from the ``person`` row ``p`` (or ``None``) and whether the person has an identifier key."""
    if p is None:
        return None, None
    if p.merged_into is not None or p.erased:
        return False, int(p.seq)
    return (True, int(p.seq)) if has_identifier else (None, None)


def _period(e: Event) -> Period:
    period = getattr(e, "period", None)
    assert isinstance(period, Period)
    return period


def medical_clearance(rows: Iterable[_Row], at: datetime) -> MedicalClearance | None:
    """The latest fitness assessment made by ``at``: ``None`` when there is none or it has expired at ``at``."""
    made = [r for r in rows if isinstance(r.event, FitnessToTravelRecorded) and r.event.occurred_at <= at]
    if not made:
        return None
    latest = max(made, key=lambda r: (r.event.occurred_at, r.seq))
    e = latest.event
    assert isinstance(e, FitnessToTravelRecorded)
    if e.fit is None or (e.fit and not e.valid_at(at)):  # erased, or expired
        return None
    return MedicalClearance(fit=e.fit, assessed_at=e.occurred_at, seq=latest.seq)


_PERSONAL_KINDS = tuple(KIND[t] for t in _PERSONAL)
_CHUNK = 500  # ids per IN (...): well under SQLite's bound-parameter limit


def people_legal_states(
    conn: Connection,
    people: Iterable[str],
    *,
    orders: tuple[CourtOrderRecord, ...],
    destination: DestinationState | None,
    at: datetime,
) -> dict[str, PersonLegalState]:
    """Many people's states at ``at`` (time-bound records, such as fitness, read at ``at``), in a few set-based
    queries.

    Six queries per chunk of at most 500 ids (records of the personal kinds, fitness included; ``person`` rows;
    identifier keys; ``custody`` rows; custody entries and the facilities they name, :func:`held_facts`),
    whatever the number of people.
    """
    ids = list(dict.fromkeys(people))
    rows: dict[str, list[_Row]] = {p: [] for p in ids}
    persons: dict[str, Any] = {}
    held: dict[str, Any] = {}
    identified: set[str] = set()
    for k in range(0, len(ids), _CHUNK):
        chunk = ids[k : k + _CHUNK]
        found = conn.execute(_record_query(record.c.person_id.in_(chunk), record.c.kind.in_(_PERSONAL_KINDS)))
        for row in _loaded(conn, found):
            rows[row.stream].append(row)  # ordered by seq within the chunk, so within each person
        persons.update((r.person_id, r) for r in conn.execute(select(person).where(person.c.person_id.in_(chunk))))
        held.update(
            (r.person_id, r)
            for r in conn.execute(
                select(custody.c.person_id, custody.c.facility_id, custody.c.authority_basis).where(
                    custody.c.person_id.in_(chunk)
                )
            )
        )
        identified.update(
            conn.execute(
                select(person_key.c.person_id)
                .where(person_key.c.person_id.in_(chunk), person_key.c.kind == "identifier")
                .distinct()
            ).scalars()
        )
    where = held_facts(conn, ids)
    return {
        p: _legal_state(
            p, rows[p], persons.get(p), held.get(p), p in identified, where=where[p], orders=orders,
            destination=destination, at=at,
        )
        for p in ids
    }


def _legal_state(
    person_id: str,
    rows: Sequence[_Row],
    p: Any,
    c: Any,
    has_identifier: bool,
    *,
    where: Held,
    orders: tuple[CourtOrderRecord, ...],
    destination: DestinationState | None,
    at: datetime,
) -> PersonLegalState:
    """Build one state from loaded rows: ``p`` the ``person`` row, ``c`` the ``custody`` row (either may be None)."""
    body = None if p is None else p.body
    facts = _facts_from(person_id, rows, body, c, where)
    verified, identity_seq = _identity_from(p, has_identifier)
    return PersonLegalState(
        person_id=person_id,
        facts=facts,
        languages=frozenset(json.loads(body).get("languages") or ()) if body is not None else frozenset(),
        categories=facts.legal_bases,
        identity_verified=verified,
        identity_seq=identity_seq,
        removal_orders=_known(
            _removal_order(r.seq, r.event) for r in rows if isinstance(r.event, RemovalOrderRecorded)
        ),
        protections=_known(_protection(r.seq, r.event) for r in rows if isinstance(r.event, ProtectionRecorded)),
        stays=tuple(stay_record(r.seq, r.event) for r in rows if isinstance(r.event, StayRecorded)),
        court_orders=orders,
        notices=_known(_notice(r.seq, r.event) for r in rows if isinstance(r.event, NoticeServed)),
        counsel=tuple(
            CounselRecord(counsel_id=r.event.counsel_id, period=_period(r.event), seq=r.seq)
            for r in rows
            if isinstance(r.event, CounselRecorded)
        ),
        consular=_known(_consular(r.seq, r.event) for r in rows if isinstance(r.event, ConsularRecorded)),
        medical=medical_clearance(rows, at),
        destination=destination,
    )


def _known(records: Iterable[R | None]) -> tuple[R, ...] | None:
    """All the records, or ``None`` ("not checked") when what one of them says was erased."""
    out = tuple(records)
    return None if any(r is None for r in out) else tuple(r for r in out if r is not None)


def _removal_order(seq: int, e: RemovalOrderRecorded) -> RemovalOrderRecord | None:
    if e.destination_country is None or e.legal_basis is None or e.final is None:
        return None
    return RemovalOrderRecord(
        order_id=e.order_id, destination_country=e.destination_country, legal_basis=e.legal_basis, final=e.final,
        period=e.period, seq=seq,
    )


def _protection(seq: int, e: ProtectionRecorded) -> ProtectionRecord | None:
    if e.kind is None or e.country is None:
        return None
    return ProtectionRecord(protection_id=e.protection_id, kind=e.kind, country=e.country, period=e.period, seq=seq)


def _notice(seq: int, e: NoticeServed) -> NoticeRecord | None:
    if e.language is None or e.content_type is None or e.copy_to_counsel is None:
        return None
    return NoticeRecord(
        notice_id=e.notice_id, served_at=e.occurred_at, language=e.language, content_type=e.content_type,
        copy_to_counsel=e.copy_to_counsel, seq=seq,
    )


def _consular(seq: int, e: ConsularRecorded) -> ConsularRecord | None:
    if e.country is None:
        return None
    return ConsularRecord(
        notification_id=e.notification_id, country=e.country, offered_at=e.offered_at, requested_at=e.requested_at,
        sent_at=e.sent_at, seq=seq,
    )


def _decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return Decimal(0)


def _agreement(conn: Connection, leg: Leg) -> AgreementRecord | None:
    """The latest agreement with the receiving state (the operation's ``p_agreement`` projection)."""
    table = projection_metadata.tables.get("p_agreement")
    if table is None:
        return None
    row = conn.execute(
        select(table)
        .where(table.c.receiving_state == leg.destination_country, table.c.sending_state == leg.origin_country)
        .order_by(table.c.seq.desc())
    ).first()
    if row is None:
        return None
    return AgreementRecord(
        agreement_id=row.agreement_id,
        parties=(row.sending_state, row.receiving_state),
        period=Period(
            active_from=parse_utc(row.active_from),
            active_to=None if row.active_to is None else parse_utc(row.active_to),
        ),
        categories=tuple(json.loads(row.categories)),
        quota_remaining=row.quota,  # the quota as agreed: people already sent under it are not yet counted
        seq=int(row.seq),
    )


def _capacity(conn: Connection, facility_id: str | None) -> CapacitySnapshot | None:
    if facility_id is None:
        return None
    facility = conn.execute(
        select(record.c.seq, record.c.body).where(
            record.c.kind == KIND[EventType.FACILITY_REGISTERED], record.c.record_id == facility_id
        )
    ).first()
    if facility is None:
        return None
    area = sum(
        (
            _decimal(json.loads(u.body).get("floor_area_m2"))
            for u in conn.execute(
                select(record.c.body).where(
                    record.c.kind == KIND[EventType.UNIT_REGISTERED], record.c.parent_id == facility_id,
                    record.c.retracted.is_(False),
                )
            )
            if json.loads(u.body).get("parent_unit_id") is None  # a cell inside a block is not counted twice
        ),
        Decimal(0),
    )
    held = conn.execute(
        select(func.count()).where(
            custody.c.facility_id == facility_id, custody.c.status == CustodyStatus.IN_CUSTODY.value
        )
    ).scalar()
    return CapacitySnapshot(
        facility_id=facility_id,
        floor_area_m2=area,
        occupancy=int(held or 0),
        declared_capacity=json.loads(facility.body).get("declared_capacity"),
        seq=int(facility.seq),
    )


def destination_state(conn: Connection, leg: Leg, incoming: int) -> DestinationState:
    return DestinationState(
        country=leg.destination_country,
        agreement=_agreement(conn, leg),
        capacity=_capacity(conn, leg.destination_facility_id),
        incoming=incoming,
    )


def manifest_legal_states(
    conn: Connection, people: Iterable[str], leg: Leg, at: datetime
) -> dict[str, PersonLegalState]:
    """Everyone's state for one leg at ``at``: court orders and the destination are loaded once for all of them."""
    ids = list(people)
    orders = court_orders(conn)
    destination = destination_state(conn, leg, len(ids))
    return people_legal_states(conn, ids, orders=orders, destination=destination, at=at)

"""The gates' view of people and destinations (:mod:`habeas.gates.state`), loaded from the projections.

A manifest's people are read set-wise: one statement a table for all of them, whatever their number (the ids are
one bound parameter), then their states are built in memory. Every record is rebuilt (the fields the gates use)
from its row's public body and its entry's private payload, which holds what the record
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
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from sqlalchemy import Connection, Text, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY

from habeas.domain.court_orders import CourtOrderRecorded, PersonFacts
from habeas.domain.custody import CustodyStatus
from habeas.domain.events import Event, EventType, event_from
from habeas.domain.legal import StayRecorded
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
from habeas.services.held import Held  # its rules, read here set-wise (see held_of)
from habeas.services.legal_records import (
    PERSONAL,
    LegalRecord,
    among,
    held_of,
    json_many,
    records_of,
    rows_by_person,
)
from habeas.storage.projections.custody import custody
from habeas.storage.projections.people import person, person_key
from habeas.storage.projections.schema import KIND, record
from habeas.storage.projections.schema import metadata as projection_metadata

COURT_ORDER = KIND[EventType.COURT_ORDER_RECORDED]
R = TypeVar("R")
T = EventType
# -- what the gates read ----------------------------------------------------------------------------------------


def court_order_record(seq: int, e: Event) -> CourtOrderRecord:
    assert isinstance(e, CourtOrderRecorded)
    return CourtOrderRecord(
        order_id=e.stream, scope=e.scope, form=e.form, issued_at=e.occurred_at, period=e.period, seq=seq
    )


def stay_record(seq: int, e: Event) -> StayRecord:
    assert isinstance(e, StayRecorded)
    return StayRecord(stay_id=e.stay_id, person_id=e.stream, country=e.country, period=e.period, seq=seq)


def court_orders(conn: Connection) -> tuple[CourtOrderRecord, ...]:
    """Every court order on record (an order may bind anyone: the gates decide whom it covers). Court orders are
    public records: no private payload."""
    found = conn.execute(
        select(record.c.person_id, record.c.record_id, record.c.seq, record.c.body)
        .where(record.c.retracted.is_(False), record.c.kind == COURT_ORDER)
        .order_by(record.c.seq)
    )
    return tuple(
        court_order_record(
            int(r.seq),
            event_from(
                EventType.COURT_ORDER_RECORDED.value, r.person_id if r.person_id is not None else r.record_id,
                json.loads(r.body), None,
            ),
        )
        for r in found
    )


def person_facts(conn: Connection, person_id: str) -> PersonFacts:
    """What class criteria are checked against: nationalities, legal bases, where and since when the person is
    held."""
    return people_facts(conn, [person_id])[person_id]


def people_facts(conn: Connection, people: Sequence[str]) -> dict[str, PersonFacts]:
    """:func:`person_facts` of many people (everyone aboard): five statements whatever their number."""
    ids = list(dict.fromkeys(people))
    rows = records_of(conn, ids, (EventType.REMOVAL_ORDER_RECORDED,))
    names = select(person.c.person_id, person.c.body).where(among(person.c.person_id, conn, ids))
    persons = rows_by_person(conn, names)
    held = rows_by_person(conn, _custody_query(conn, ids))
    where = held_of(conn, ids)
    return {p: _facts_from(p, rows[p], _body(persons.get(p)), held.get(p), where[p]) for p in ids}


def _custody_query(conn: Connection, ids: Sequence[str]) -> Any:
    return select(custody.c.person_id, custody.c.facility_id, custody.c.authority_basis).where(
        among(custody.c.person_id, conn, ids)
    )


def _body(p: Any) -> dict[str, Any]:
    """The ``person`` row's public body (none, no row: the person is not registered)."""
    body: dict[str, Any] = {} if p is None else json.loads(p.body)
    return body


def _facts_from(person_id: str, rows: Sequence[LegalRecord], body: dict[str, Any], c: Any, held: Held) -> PersonFacts:
    """Facts from rows already loaded: ``body`` is the ``person`` row's body, ``c`` the ``custody`` row, ``held``
    where and since when the person is held."""
    nationalities = frozenset(body.get("nationalities") or ())
    bases = {
        r.fields["legal_basis"]
        for r in rows
        if r.type is T.REMOVAL_ORDER_RECORDED and r.fields["legal_basis"] is not None
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


def _medical(rows: Iterable[LegalRecord], at: datetime) -> MedicalClearance | None:
    """The latest fitness assessment made by ``at``: ``None`` when there is none or it has expired at ``at``."""
    made = [r for r in rows if r.type is T.FITNESS_TO_TRAVEL_RECORDED and r.fields["occurred_at"] <= at]
    if not made:
        return None
    latest = max(made, key=lambda r: (r.fields["occurred_at"], r.seq))
    f = latest.fields
    valid_until = f["valid_until"]
    expired = valid_until is not None and at >= valid_until  # assessed by ``at`` already (``made``)
    if f["fit"] is None or (f["fit"] and expired):  # erased, or expired
        return None
    return MedicalClearance(fit=f["fit"], assessed_at=f["occurred_at"], seq=latest.seq)


def people_legal_states(
    conn: Connection,
    people: Iterable[str],
    *,
    orders: tuple[CourtOrderRecord, ...],
    destination: DestinationState | None,
    at: datetime,
) -> dict[str, PersonLegalState]:
    """Many people's states at ``at`` (time-bound records, such as fitness, read at ``at``), set-wise.

    One statement a table whatever the number of people (the ids are one bound parameter, :func:`among`): the
    records of the personal kinds, fitness included, with their private payloads, then their amendments;
    ``person`` rows; identifier keys; ``custody`` rows; custody entries, then the facilities they name
    (:func:`held_of`). The states are then built in memory.
    """
    ids = list(dict.fromkeys(people))
    rows = records_of(conn, ids, PERSONAL)
    found = {r.id: r for r in conn.execute(_people_query(conn, ids))}
    where = held_of(conn, ids)
    bodies = json_many([found[p].body for p in ids if found[p].person_id is not None])
    body = iter(bodies)
    out = {}
    for p in ids:
        r = found[p]
        registered = r.person_id is not None  # (the row read as the ``person`` row, when there is one)
        out[p] = _legal_state(
            p, rows[p], r if registered else None, r if r.custody_of is not None else None, bool(r.identified),
            body=next(body) if registered else {}, where=where[p], orders=orders, destination=destination, at=at,
        )
    return out


def _people_query(conn: Connection, ids: Sequence[str]) -> Any:
    """For each id: its ``person`` row's columns, its ``custody`` row's (``custody_of`` null: none) and whether it
    has an identifier key, in one statement (each of the three tables holds at most one row a person)."""
    each = _each(conn, ids)
    identified = (
        select(person_key.c.person_id)
        .where(person_key.c.person_id == each.c.value, person_key.c.kind == "identifier")
        .exists()
    )
    return (
        select(
            each.c.value.label("id"), person.c.person_id, person.c.seq, person.c.body, person.c.merged_into,
            person.c.erased, custody.c.person_id.label("custody_of"), custody.c.facility_id,
            custody.c.authority_basis, identified.label("identified"),
        )
        .select_from(each)
        .outerjoin(person, person.c.person_id == each.c.value)
        .outerjoin(custody, custody.c.person_id == each.c.value)
    )


def _each(conn: Connection, ids: Sequence[str]) -> Any:
    """The ids as a table of one column, ``value``, bound as one parameter (as :func:`among` binds them)."""
    values = list(ids)
    if conn.dialect.name == "postgresql":
        return func.unnest(bindparam("ids", values, ARRAY(Text), unique=True)).table_valued("value").render_derived()
    return func.json_each(bindparam("ids", json.dumps(values), Text, unique=True)).table_valued("value")


def _legal_state(
    person_id: str,
    rows: Sequence[LegalRecord],
    p: Any,
    c: Any,
    has_identifier: bool,
    *,
    body: dict[str, Any],
    where: Held,
    orders: tuple[CourtOrderRecord, ...],
    destination: DestinationState | None,
    at: datetime,
) -> PersonLegalState:
    """Build one state from loaded rows: ``p`` the ``person`` row and ``body`` its public body (``{}``: no row),
    ``c`` the ``custody`` row (either row may be None)."""
    facts = _facts_from(person_id, rows, body, c, where)
    verified, identity_seq = _identity_from(p, has_identifier)
    of: dict[EventType, list[LegalRecord]] = {}
    for r in rows:
        found = of.get(r.type)
        if found is None:
            of[r.type] = [r]
        else:
            found.append(r)
    none: list[LegalRecord] = []  # of the kinds the person has no record of
    return PersonLegalState(
        person_id=person_id,
        facts=facts,
        languages=frozenset(body.get("languages") or ()),
        categories=facts.legal_bases,
        identity_verified=verified,
        identity_seq=identity_seq,
        removal_orders=_known(_removal_order(r) for r in of.get(T.REMOVAL_ORDER_RECORDED, none)),
        protections=_known(_protection(r) for r in of.get(T.PROTECTION_RECORDED, none)),
        stays=tuple(
            StayRecord(stay_id=r.fields["stay_id"], person_id=r.person_id, country=r.fields["country"],
                       period=r.fields["period"], seq=r.seq)
            for r in of.get(T.STAY_RECORDED, none)
        ),
        court_orders=orders,
        notices=_known(_notice(r) for r in of.get(T.NOTICE_SERVED, none)),
        counsel=tuple(
            CounselRecord(counsel_id=r.fields["counsel_id"], period=r.fields["period"], seq=r.seq)
            for r in of.get(T.COUNSEL_RECORDED, none)
        ),
        consular=_known(_consular(r) for r in of.get(T.CONSULAR_RECORDED, none)),
        medical=_medical(of.get(T.FITNESS_TO_TRAVEL_RECORDED, none), at),
        destination=destination,
    )


def _known(records: Iterable[R | None]) -> tuple[R, ...] | None:
    """All the records, or ``None`` ("not checked") when what one of them says was erased."""
    out = tuple(records)
    for r in out:
        if r is None:
            return None
    return out  # type: ignore[return-value]  # none of them is None


def _removal_order(r: LegalRecord) -> RemovalOrderRecord | None:
    f = r.fields
    if f["destination_country"] is None or f["legal_basis"] is None or f["final"] is None:
        return None
    return RemovalOrderRecord(
        order_id=f["order_id"], destination_country=f["destination_country"], legal_basis=f["legal_basis"],
        final=f["final"], period=f["period"], seq=r.seq,
    )


def _protection(r: LegalRecord) -> ProtectionRecord | None:
    f = r.fields
    if f["kind"] is None or f["country"] is None:
        return None
    return ProtectionRecord(
        protection_id=f["protection_id"], kind=f["kind"], country=f["country"], period=f["period"], seq=r.seq
    )


def _notice(r: LegalRecord) -> NoticeRecord | None:
    f = r.fields
    if f["language"] is None or f["content_type"] is None or f["copy_to_counsel"] is None:
        return None
    return NoticeRecord(
        notice_id=f["notice_id"], served_at=f["occurred_at"], language=f["language"], content_type=f["content_type"],
        copy_to_counsel=f["copy_to_counsel"], seq=r.seq,
    )


def _consular(r: LegalRecord) -> ConsularRecord | None:
    f = r.fields
    if f["country"] is None:
        return None
    return ConsularRecord(
        notification_id=f["notification_id"], country=f["country"], offered_at=f["offered_at"],
        requested_at=f["requested_at"], sent_at=f["sent_at"], seq=r.seq,
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

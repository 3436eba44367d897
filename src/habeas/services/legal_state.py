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

import dataclasses
import functools
import json
import types
import typing
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Connection, Text, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY

from habeas.domain.codec import decode, field_types
from habeas.domain.corrections import CorrectionAction
from habeas.domain.court_orders import CourtOrderRecorded, PersonFacts
from habeas.domain.custody import CustodyStatus
from habeas.domain.errors import InvalidField
from habeas.domain.events import Event, EventType, event_class, event_from
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
from habeas.ledger.entry import parse_leaf
from habeas.services.held import Held, _course, _facility_areas  # its rules, read here set-wise (see _held)
from habeas.storage.projections.corrections import correction
from habeas.storage.projections.custody import custody
from habeas.storage.projections.people import person, person_key
from habeas.storage.projections.schema import KIND, record
from habeas.storage.projections.schema import metadata as projection_metadata
from habeas.storage.schema import ledger_entry, ledger_private

COURT_ORDER = KIND[EventType.COURT_ORDER_RECORDED]
R = TypeVar("R")
T = EventType
# The personal records the gates read, and of each only the fields they use: decoding whole events (every field,
# then the event's own checks) cost most of a clearance's loading, for fields no gate reads.
_USED: dict[EventType, tuple[str, ...]] = {
    T.REMOVAL_ORDER_RECORDED: ("order_id", "period", "legal_basis", "destination_country", "final"),
    T.PROTECTION_RECORDED: ("protection_id", "period", "kind", "country"),
    T.STAY_RECORDED: ("stay_id", "period", "country"),
    T.NOTICE_SERVED: ("notice_id", "occurred_at", "language", "content_type", "copy_to_counsel"),
    T.COUNSEL_RECORDED: ("counsel_id", "period"),
    T.CONSULAR_RECORDED: ("notification_id", "country", "offered_at", "requested_at", "sent_at"),
    T.FITNESS_TO_TRAVEL_RECORDED: ("occurred_at", "fit", "valid_until"),
}
_PERSONAL = tuple(_USED)
_TYPE_OF_KIND = {KIND[t]: t for t in _PERSONAL}
_REQUIRED = object()  # a field with no default: an entry without it is damaged


# -- reading a set of people in one statement a table ------------------------------------------------------------


def _among(column: ColumnElement[Any], conn: Connection, ids: Sequence[str]) -> ColumnElement[bool]:
    """``column IN (the ids)``, the ids bound as **one** parameter: a JSON array read by ``json_each`` on SQLite,
    a text array ``unnest``-ed on PostgreSQL. One statement reads any number of people (no chunk of 500 a
    statement, no bound-parameter limit), and its text, so SQLAlchemy's cached compilation, never changes."""
    values = list(ids)
    if conn.dialect.name == "postgresql":
        return column.in_(select(func.unnest(bindparam("ids", values, ARRAY(Text), unique=True)).column_valued()))
    if conn.dialect.name == "sqlite":
        each = func.json_each(bindparam("ids", json.dumps(values), Text, unique=True)).table_valued("value")
        return column.in_(select(each.c.value))
    return column.in_(values)


@dataclass(frozen=True, slots=True)
class _Record:
    """A personal record as the gates read it: its type, whom it concerns, its entry and the fields they use
    (:data:`_USED`), decoded as :func:`habeas.domain.events.event_from` decodes them."""

    type: EventType
    person_id: str
    seq: int
    fields: dict[str, Any]


def _default(f: dataclasses.Field[Any]) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return _REQUIRED


Decoder = Callable[[Any, str], Any]


@functools.cache
def _decoder(tp: Any) -> Decoder:
    """``codec.decode`` of one field type, its branch chosen once (as ``codec.encoder`` does for encoding): a
    value of the expected JSON shape takes the short way (``str`` and ``bool`` as they are, a datetime by
    ``parse_utc``, an enum by its value, a dataclass field by field); anything else goes to ``codec.decode``,
    which answers as it always has (the value, or its named error)."""
    args = typing.get_args(tp) if typing.get_origin(tp) in (typing.Union, types.UnionType) else ()
    inner = next((a for a in args if a is not type(None)), tp) if len(args) == 2 and type(None) in args else tp
    optional = inner is not tp

    def slow(value: Any, name: str) -> Any:
        return decode(value, tp, name)

    if inner in (str, bool):
        return lambda v, n: v if type(v) is inner or (optional and v is None) else slow(v, n)
    if inner is datetime:
        return lambda v, n: parse_utc(v) if type(v) is str else None if optional and v is None else slow(v, n)
    if isinstance(inner, type) and issubclass(inner, Enum):
        members = {m.value: m for m in inner if type(m.value) is str}
        return lambda v, n: members[v] if type(v) is str and v in members else None if optional and v is None else (
            slow(v, n)
        )
    if isinstance(inner, type) and dataclasses.is_dataclass(inner):
        cls, hints = inner, field_types(inner)
        fields = {f.name: _decoder(hints[f.name]) for f in dataclasses.fields(cls)}
        required = frozenset(f.name for f in dataclasses.fields(cls) if _default(f) is _REQUIRED)

        def of_fields(v: Any, n: str) -> Any:
            if type(v) is dict and required <= v.keys() <= fields.keys():
                return cls(**{k: decoded(v[k], k) for k, decoded in fields.items() if k in v})
            return None if optional and v is None else slow(v, n)

        return of_fields
    return slow


@functools.cache
def _plan(event_type: EventType) -> tuple[tuple[str, Decoder, bool, Any], ...]:
    """For each used field of the type: its name, decoder, whether it is private, and its default."""
    cls = event_class(event_type.value)
    hints, private = field_types(cls), frozenset(cls.private_names())
    fields = {f.name: f for f in dataclasses.fields(cls)}
    return tuple((n, _decoder(hints[n]), n in private, _default(fields[n])) for n in _USED[event_type])


def _decoded(event_type: EventType, public: dict[str, Any], private: dict[str, Any] | None) -> dict[str, Any]:
    """The used fields from the public body and the private payload (``None``, erased: the fields' defaults)."""
    out: dict[str, Any] = {}
    for name, decoded, is_private, default in _plan(event_type):
        source = private if is_private else public
        if source is not None and name in source:
            out[name] = decoded(source[name], name)
        elif default is _REQUIRED:
            raise InvalidField(event_type.value, [name], "missing fields")
        else:
            out[name] = default
    return out


def _latest_amendments(conn: Connection, records: Any) -> dict[int, bytes | None]:
    """For each amended record among the seqs ``records`` selects: its latest amendment's private payload, which
    carries the replacement's private part (``None``: erased)."""
    latest: dict[int, tuple[int, bytes | None]] = {}
    found = conn.execute(
        select(correction.c.corrected_seq, correction.c.seq, ledger_private.c.payload)
        .outerjoin_from(correction, ledger_private, ledger_private.c.seq == correction.c.seq)
        .where(correction.c.action == CorrectionAction.AMEND.value, correction.c.corrected_seq.in_(records))
    )
    for corrected, seq, payload in found:
        if int(corrected) not in latest or int(seq) > latest[int(corrected)][0]:
            latest[int(corrected)] = (int(seq), None if payload is None else bytes(payload))
    return {corrected: payload for corrected, (_, payload) in latest.items()}


def _records(conn: Connection, ids: Sequence[str], types: Sequence[EventType]) -> dict[str, list[_Record]]:
    """Each person's records of ``types`` (retracted ones left out), in log order, with what they say as it now
    stands (as amended; an erased payload gives the fields' defaults). Two statements whatever the number."""
    mine = (
        record.c.retracted.is_(False),
        record.c.kind.in_([KIND[t] for t in types]),
        _among(record.c.person_id, conn, ids),
    )
    found = conn.execute(
        select(record.c.kind, record.c.person_id, record.c.seq, record.c.body, ledger_private.c.payload)
        .outerjoin_from(record, ledger_private, ledger_private.c.seq == record.c.seq)
        .where(*mine)
        .order_by(record.c.seq)
    ).all()
    amended = _latest_amendments(conn, select(record.c.seq).where(*mine)) if found else {}
    out: dict[str, list[_Record]] = {p: [] for p in ids}
    for kind, person_id, seq, body, own in found:
        held = amended[int(seq)] if int(seq) in amended else None if own is None else bytes(own)
        payload: Any = None if held is None else parse_leaf(held)
        if payload is not None and int(seq) in amended:
            payload = payload.get("replacement_private")
        private = payload if isinstance(payload, dict) else None
        t = _TYPE_OF_KIND[kind]
        out[person_id].append(_Record(t, person_id, int(seq), _decoded(t, json.loads(body), private)))
    return out


def _held(conn: Connection, ids: Sequence[str]) -> dict[str, Held]:
    """:func:`habeas.services.held.held_facts` with one statement for everyone's custody entries (``held_facts``
    reads a chunk of 500 people a statement), then the facilities they name."""
    steps: dict[str, list[tuple[str, str, str | None, datetime]]] = {p: [] for p in ids}
    found = conn.execute(
        select(ledger_entry.c.stream, ledger_entry.c.leaf)
        .where(_among(ledger_entry.c.stream, conn, ids), ledger_entry.c.type == EventType.CUSTODY_CHANGED.value)
        .order_by(ledger_entry.c.seq)
    )
    for stream, leaf in found:
        body = parse_leaf(bytes(leaf))["body"]
        steps[stream].append(
            (body["transition"], body["from_status"], body.get("facility_id"), parse_utc(body["occurred_at"]))
        )
    course = {p: _course(h) for p, h in steps.items()}
    areas = _facility_areas(conn, sorted({f for f, _ in course.values() if f is not None}))
    out = {}
    for p, (facility, since) in course.items():
        office, district = areas.get(facility, (None, None)) if facility is not None else (None, None)
        out[p] = Held(facility_id=facility, field_office=office, district=district, detained_since=since)
    return out


def _rows_by_person(conn: Connection, query: Any) -> dict[str, Any]:
    return {r.person_id: r for r in conn.execute(query)}


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
    rows = _records(conn, ids, (EventType.REMOVAL_ORDER_RECORDED,))
    names = select(person.c.person_id, person.c.body).where(_among(person.c.person_id, conn, ids))
    persons = _rows_by_person(conn, names)
    held = _rows_by_person(conn, _custody_query(conn, ids))
    where = _held(conn, ids)
    return {p: _facts_from(p, rows[p], _body(persons.get(p)), held.get(p), where[p]) for p in ids}


def _custody_query(conn: Connection, ids: Sequence[str]) -> Any:
    return select(custody.c.person_id, custody.c.facility_id, custody.c.authority_basis).where(
        _among(custody.c.person_id, conn, ids)
    )


def _body(p: Any) -> dict[str, Any]:
    """The ``person`` row's public body (none, no row: the person is not registered)."""
    body: dict[str, Any] = {} if p is None else json.loads(p.body)
    return body


def _facts_from(person_id: str, rows: Sequence[_Record], body: dict[str, Any], c: Any, held: Held) -> PersonFacts:
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


def _medical(rows: Iterable[_Record], at: datetime) -> MedicalClearance | None:
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

    One statement a table whatever the number of people (the ids are one bound parameter, :func:`_among`): the
    records of the personal kinds, fitness included, with their private payloads, then their amendments;
    ``person`` rows; identifier keys; ``custody`` rows; custody entries, then the facilities they name
    (:func:`_held`). The states are then built in memory.
    """
    ids = list(dict.fromkeys(people))
    rows = _records(conn, ids, _PERSONAL)
    persons = _rows_by_person(conn, select(person).where(_among(person.c.person_id, conn, ids)))
    held = _rows_by_person(conn, _custody_query(conn, ids))
    identified = set(
        conn.execute(
            select(person_key.c.person_id)
            .where(_among(person_key.c.person_id, conn, ids), person_key.c.kind == "identifier")
            .distinct()
        ).scalars()
    )
    where = _held(conn, ids)
    return {
        p: _legal_state(
            p, rows[p], persons.get(p), held.get(p), p in identified, where=where[p], orders=orders,
            destination=destination, at=at,
        )
        for p in ids
    }


def _legal_state(
    person_id: str,
    rows: Sequence[_Record],
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
    body = _body(p)
    facts = _facts_from(person_id, rows, body, c, where)
    verified, identity_seq = _identity_from(p, has_identifier)
    of: dict[EventType, list[_Record]] = {t: [] for t in _PERSONAL}
    for r in rows:
        of[r.type].append(r)
    return PersonLegalState(
        person_id=person_id,
        facts=facts,
        languages=frozenset(body.get("languages") or ()),
        categories=facts.legal_bases,
        identity_verified=verified,
        identity_seq=identity_seq,
        removal_orders=_known(_removal_order(r) for r in of[T.REMOVAL_ORDER_RECORDED]),
        protections=_known(_protection(r) for r in of[T.PROTECTION_RECORDED]),
        stays=tuple(
            StayRecord(stay_id=r.fields["stay_id"], person_id=r.person_id, country=r.fields["country"],
                       period=r.fields["period"], seq=r.seq)
            for r in of[T.STAY_RECORDED]
        ),
        court_orders=orders,
        notices=_known(_notice(r) for r in of[T.NOTICE_SERVED]),
        counsel=tuple(
            CounselRecord(counsel_id=r.fields["counsel_id"], period=r.fields["period"], seq=r.seq)
            for r in of[T.COUNSEL_RECORDED]
        ),
        consular=_known(_consular(r) for r in of[T.CONSULAR_RECORDED]),
        medical=_medical(of[T.FITNESS_TO_TRAVEL_RECORDED], at),
        destination=destination,
    )


def _known(records: Iterable[R | None]) -> tuple[R, ...] | None:
    """All the records, or ``None`` ("not checked") when what one of them says was erased."""
    out = tuple(records)
    return None if any(r is None for r in out) else tuple(r for r in out if r is not None)


def _removal_order(r: _Record) -> RemovalOrderRecord | None:
    f = r.fields
    if f["destination_country"] is None or f["legal_basis"] is None or f["final"] is None:
        return None
    return RemovalOrderRecord(
        order_id=f["order_id"], destination_country=f["destination_country"], legal_basis=f["legal_basis"],
        final=f["final"], period=f["period"], seq=r.seq,
    )


def _protection(r: _Record) -> ProtectionRecord | None:
    f = r.fields
    if f["kind"] is None or f["country"] is None:
        return None
    return ProtectionRecord(
        protection_id=f["protection_id"], kind=f["kind"], country=f["country"], period=f["period"], seq=r.seq
    )


def _notice(r: _Record) -> NoticeRecord | None:
    f = r.fields
    if f["language"] is None or f["content_type"] is None or f["copy_to_counsel"] is None:
        return None
    return NoticeRecord(
        notice_id=f["notice_id"], served_at=f["occurred_at"], language=f["language"], content_type=f["content_type"],
        copy_to_counsel=f["copy_to_counsel"], seq=r.seq,
    )


def _consular(r: _Record) -> ConsularRecord | None:
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

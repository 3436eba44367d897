"""Apply events to the projection tables. The only writer of those tables, live and in a rebuild alike."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, select, update

from habeas.domain.allegations import AllegationRecorded, AllegationStatus, AllegationStatusChanged
from habeas.domain.corrections import CorrectionAction, EntryCorrected, PersonErased
from habeas.domain.court_orders import CourtOrderRecorded
from habeas.domain.custody import CustodyChanged
from habeas.domain.events import Event, EventType
from habeas.domain.identity import PersonIdentity, PersonMerged, locator_keys, name_key
from habeas.domain.people import PersonRegistered
from habeas.domain.periods import Period
from habeas.domain.values import format_utc
from habeas.ledger.canonical import canonical
from habeas.storage.projection_schema import (
    correction,
    custody,
    person,
    person_key,
    projection_metadata,
    projection_tables,
    record,
)

# The field that names each record kind's id; kinds not listed are keyed by their stream.
RECORD_ID_FIELD: dict[EventType, str] = {
    EventType.PERSON_ADMISSION_RECORDED: "admission_id",
    EventType.ALLEGATION_RECORDED: "allegation_id",
    EventType.CONVICTION_RECORDED: "conviction_id",
    EventType.REMOVAL_ORDER_RECORDED: "order_id",
    EventType.PROTECTION_RECORDED: "protection_id",
    EventType.STAY_RECORDED: "stay_id",
    EventType.NOTICE_SERVED: "notice_id",
    EventType.COUNSEL_RECORDED: "counsel_id",
    EventType.CONSULAR_RECORDED: "notification_id",
    EventType.FITNESS_TO_TRAVEL_RECORDED: "assessment_id",
    EventType.UNIT_REGISTERED: "unit_id",
}
# Records about a person are on the person's stream; these kinds are subjects of their own.
NOT_PERSONAL = frozenset(
    {
        EventType.COURT_ORDER_RECORDED,
        EventType.FACILITY_REGISTERED,
        EventType.UNIT_REGISTERED,
        EventType.AGENCY_REGISTERED,
        EventType.OFFICER_REGISTERED,
    }
)
KIND = {t: t.value.removesuffix(".recorded").removesuffix(".registered").removesuffix(".served") for t in EventType}


def create_projections(engine_or_conn: Engine | Connection) -> None:
    projection_metadata.create_all(engine_or_conn)


def body_json(public: dict[str, Any]) -> str:
    return canonical(public).decode()


def record_key(event: Event) -> tuple[str, str]:
    field = RECORD_ID_FIELD.get(event.TYPE)
    rid = event.stream if field is None else str(getattr(event, field))
    if event.TYPE is EventType.UNIT_REGISTERED:
        rid = f"{event.stream}/{rid}"
    return KIND[event.TYPE], rid


def identity_keys(identity: PersonIdentity) -> set[tuple[str, str]]:
    """Search keys of a person: each identifier, each folded name in any surname order, and the public
    locator's exact keys (A-number; names in order with the birth date), so each lookup is one indexed read."""
    keys = {("identifier", f"{i.kind}:{i.country or ''}:{i.value}") for i in identity.identifiers}
    keys |= {("name", " ".join(k)) for k in identity.name_keys()}
    keys |= {("locator", k) for k in locator_keys(identity)}
    return keys


def name_search_key(text: str) -> str:
    return " ".join(name_key(text))


def _time(t: datetime | None) -> str | None:
    return None if t is None else format_utc(t)


def _period(event: Event) -> tuple[str | None, str | None]:
    period = getattr(event, "period", None)
    if isinstance(period, Period):
        return _time(period.active_from), _time(period.active_to)
    return None, None


def apply(conn: Connection, seq: int, event: Event) -> None:
    """Bring the projections up to date with one event, in the caller's transaction."""
    handler = _APPLY.get(event.TYPE, _apply_record)
    handler(conn, seq, event)


def apply_many(conn: Connection, seqs: Sequence[int], events: Sequence[Event]) -> None:
    """Apply events in order, as :func:`apply` one by one would.

    A run of consecutive events of a type that has a batch applier (a clearance records one gate.evaluated a
    person) is handed to it at once, so it can write its rows in a few statements instead of one a row.
    """
    run: list[tuple[int, Event]] = []
    for seq, event in zip(seqs, events, strict=True):
        if run and event.TYPE is not run[0][1].TYPE:
            _APPLY_MANY[run[0][1].TYPE](conn, run)
            run = []
        if event.TYPE in _APPLY_MANY:
            run.append((seq, event))
        else:
            apply(conn, seq, event)
    if run:
        _APPLY_MANY[run[0][1].TYPE](conn, run)


def _apply_person(conn: Connection, seq: int, event: Event) -> None:
    assert isinstance(event, PersonRegistered)
    conn.execute(
        person.insert().values(
            person_id=event.stream, seq=seq, body=body_json(event.public()), merged_into=None, erased=False,
            updated_seq=seq,
        )
    )
    keys = identity_keys(PersonIdentity.of(event))
    if keys:
        conn.execute(person_key.insert(), [{"person_id": event.stream, "kind": k, "key": v} for k, v in sorted(keys)])


def _apply_merged(conn: Connection, seq: int, event: Event) -> None:
    assert isinstance(event, PersonMerged)
    conn.execute(
        update(person)
        .where(person.c.person_id == event.stream)
        .values(merged_into=event.into_person_id, updated_seq=seq)
    )


def _apply_erased(conn: Connection, seq: int, event: Event) -> None:
    assert isinstance(event, PersonErased)
    conn.execute(update(person).where(person.c.person_id == event.stream).values(erased=True, updated_seq=seq))
    conn.execute(delete(person_key).where(person_key.c.person_id == event.stream))


def _apply_custody(conn: Connection, seq: int, event: Event) -> None:
    assert isinstance(event, CustodyChanged)
    values = {
        "status": event.to_status.value,
        "since": format_utc(event.occurred_at),
        "facility_id": event.facility_id,
        "unit_id": event.unit_id,
        "leg_id": event.leg_id,
        "country": event.country,
        "custodian_agency": event.custodian.agency_id if event.custodian else None,
        "custodian_officer": event.custodian.officer_id if event.custodian else None,
        "authority_agency": event.authority.agency_id if event.authority else None,
        "authority_basis": event.authority.legal_basis if event.authority else None,
        "authority_record": event.authority.record_id if event.authority else None,
        "seq": seq,
    }
    done = conn.execute(update(custody).where(custody.c.person_id == event.stream).values(**values))
    if done.rowcount == 0:
        conn.execute(custody.insert().values(person_id=event.stream, **values))


def _apply_record(conn: Connection, seq: int, event: Event) -> None:
    kind, rid = record_key(event)
    active_from, active_to = _period(event)
    parent = None
    if event.TYPE is EventType.UNIT_REGISTERED:
        parent = event.stream
    elif event.TYPE is EventType.OFFICER_REGISTERED:
        parent = str(event.agency_id)  # type: ignore[attr-defined]
    elif event.TYPE is EventType.PERSON_ADMISSION_RECORDED:
        parent = str(event.facility_id)  # type: ignore[attr-defined]
    status = AllegationStatus.ALLEGED.value if isinstance(event, AllegationRecorded) else None
    if isinstance(event, CourtOrderRecorded):
        status = event.directive.value
    conn.execute(
        record.insert().values(
            kind=kind, record_id=rid, person_id=None if event.TYPE in NOT_PERSONAL else event.stream,
            parent_id=parent, seq=seq, status=status, active_from=active_from, active_to=active_to,
            retracted=False, body=body_json(event.public()), updated_seq=seq,
        )
    )


def _apply_allegation_status(conn: Connection, seq: int, event: Event) -> None:
    assert isinstance(event, AllegationStatusChanged)
    conn.execute(
        update(record)
        .where(and_(record.c.kind == KIND[EventType.ALLEGATION_RECORDED], record.c.record_id == event.allegation_id))
        .values(status=event.to_status.value, updated_seq=seq)
    )


def _apply_correction(conn: Connection, seq: int, event: Event) -> None:
    assert isinstance(event, EntryCorrected)
    conn.execute(
        correction.insert().values(
            corrected_seq=event.corrected_seq, seq=seq, action=event.action.value, body=body_json(event.public())
        )
    )
    target = update(record).where(record.c.seq == event.corrected_seq)
    if event.action is CorrectionAction.RETRACT:
        conn.execute(target.values(retracted=True, updated_seq=seq))
    elif event.replacement_public is not None:
        conn.execute(target.values(body=body_json(event.replacement_public), updated_seq=seq))


_APPLY: dict[EventType, Callable[[Connection, int, Event], None]] = {
    EventType.PERSON_REGISTERED: _apply_person,
    EventType.PERSON_MERGED: _apply_merged,
    EventType.PERSON_ERASED: _apply_erased,
    EventType.CUSTODY_CHANGED: _apply_custody,
    EventType.ALLEGATION_STATUS_CHANGED: _apply_allegation_status,
    EventType.ENTRY_CORRECTED: _apply_correction,
}


_APPLY_MANY: dict[EventType, Callable[[Connection, Sequence[tuple[int, Event]]], None]] = {}


def _extend() -> None:
    # Projections added by later capabilities: their tables join projection_metadata on import, their
    # appliers join the table above.
    from habeas.storage import projections_moves, projections_operation, projections_scope  # noqa: F401

    _APPLY.update(projections_moves.APPLIERS)
    _APPLY.update(projections_operation.APPLIERS)
    _APPLY_MANY.update(projections_moves.BATCH_APPLIERS)


_extend()


def dump(conn: Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every projection row, in primary-key order, as plain values: what a rebuild is compared on."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    for table in projection_tables():
        pk = list(table.primary_key.columns)
        rows = conn.execute(select(table).order_by(*pk))
        out[table.name] = [tuple(_plain(v) for v in row) for row in rows]
    return out


def _plain(v: Any) -> Any:
    # SQLite hands booleans back as 0/1, PostgreSQL as bool; compare them as ints.
    return int(v) if isinstance(v, bool) else v

"""Legal records about people: allegations and convictions (kept apart), removal orders, protections, stays,
notices, counsel, consular notification, fitness to travel; and court orders, which may bind a class.

What a new record does to manifests already cleared or in flight is a reaction wired in
:mod:`habeas.bootstrap` (:func:`habeas.services.clearance.after_legal_record`), not a call made here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, and_, select

from habeas.domain import allegations, court_orders, legal, medical
from habeas.domain import commands as c
from habeas.domain.actors import Caller
from habeas.domain.allegations import AllegationState, AllegationStatus
from habeas.domain.errors import UnknownRecord
from habeas.domain.events import EventType
from habeas.services.access import PERSON, visible
from habeas.services.records import person_state, record_exists
from habeas.services.unit_of_work import Handler, Result, UnitOfWork
from habeas.storage.projections.schema import KIND, record


def allegation_state(conn: Connection, allegation_id: str) -> AllegationState | None:
    row = conn.execute(
        select(record.c.person_id, record.c.status).where(
            and_(record.c.kind == KIND[EventType.ALLEGATION_RECORDED], record.c.record_id == allegation_id)
        )
    ).first()
    if row is None:
        return None
    return AllegationState(allegation_id=allegation_id, person_id=row.person_id, status=AllegationStatus(row.status))


def _person_record(decide: Callable[..., Any], id_field: str, kind: EventType) -> Callable[..., Result]:
    """Handlers for records about one person: the person must exist and the id must be new."""

    def handle(cmd: Any, *, uow: UnitOfWork) -> Result:
        events = decide(
            cmd, person=person_state(uow.conn, cmd.person_id),
            already_recorded=record_exists(uow.conn, kind, getattr(cmd, id_field)), now=uow.now,
        )
        return Result(uow.record(events))

    return handle


record_allegation = _person_record(allegations.record_allegation, "allegation_id", EventType.ALLEGATION_RECORDED)


record_conviction = _person_record(allegations.record_conviction, "conviction_id", EventType.CONVICTION_RECORDED)


record_removal_order = _person_record(legal.record_removal_order, "order_id", EventType.REMOVAL_ORDER_RECORDED)


record_protection = _person_record(legal.record_protection, "protection_id", EventType.PROTECTION_RECORDED)


record_stay = _person_record(legal.record_stay, "stay_id", EventType.STAY_RECORDED)


record_notice = _person_record(legal.record_notice, "notice_id", EventType.NOTICE_SERVED)


record_counsel = _person_record(legal.record_counsel, "counsel_id", EventType.COUNSEL_RECORDED)


record_consular = _person_record(
    legal.record_consular_notification, "notification_id", EventType.CONSULAR_RECORDED
)


record_fitness = _person_record(
    medical.record_fitness_to_travel, "assessment_id", EventType.FITNESS_TO_TRAVEL_RECORDED
)


def change_allegation_status(cmd: c.ChangeAllegationStatus, *, uow: UnitOfWork) -> Result:
    events = allegations.change_allegation_status(
        cmd, allegation=allegation_state(uow.conn, cmd.allegation_id), now=uow.now
    )
    return Result(uow.record(events))


def record_court_order(cmd: c.RecordCourtOrder, *, uow: UnitOfWork) -> Result:
    events = court_orders.record_court_order(
        cmd, already_recorded=record_exists(uow.conn, EventType.COURT_ORDER_RECORDED, cmd.order_id),
        now=uow.now,
    )
    return Result(uow.record(events))


HANDLERS: dict[type[c.Command], Handler] = {
    c.RecordAllegation: record_allegation,
    c.ChangeAllegationStatus: change_allegation_status,
    c.RecordConviction: record_conviction,
    c.RecordRemovalOrder: record_removal_order,
    c.RecordProtection: record_protection,
    c.RecordStay: record_stay,
    c.RecordCourtOrder: record_court_order,
    c.RecordNotice: record_notice,
    c.RecordCounsel: record_counsel,
    c.RecordConsularNotification: record_consular,
    c.RecordFitnessToTravel: record_fitness,
}


def require_allegation_in_view(conn: Connection, caller: Caller, allegation_id: str) -> None:
    """Refuse (UnknownRecord, as for an unknown id: who it is about stays unsaid) an allegation about a person
    outside the caller's agency's view."""
    found = allegation_state(conn, allegation_id)
    if found is None or not visible(conn, caller, PERSON, [found.person_id]):
        raise UnknownRecord("allegation", allegation_id)

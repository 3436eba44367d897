"""Legal records and allegations: one ``p_record`` row each (removal orders, protections, stays, court orders,
notices, counsel, consular notifications, fitness to travel, allegations, convictions); an allegation's status
changes in place."""

from __future__ import annotations

from operator import attrgetter

from sqlalchemy import Connection, and_, update

from habeas.domain.allegations import AllegationStatus, AllegationStatusChanged
from habeas.domain.events import Event, EventType
from habeas.storage.projections.rows import Applier, const
from habeas.storage.projections.schema import KIND, RecordRow, record

_RECORD = RecordRow()


def _allegation_status(conn: Connection, seq: int, event: Event) -> None:
    assert isinstance(event, AllegationStatusChanged)
    conn.execute(
        update(record)
        .where(and_(record.c.kind == KIND[EventType.ALLEGATION_RECORDED], record.c.record_id == event.allegation_id))
        .values(status=event.to_status.value, updated_seq=seq)
    )


APPLIERS: dict[EventType, Applier] = {
    EventType.ALLEGATION_RECORDED: RecordRow(status=const(AllegationStatus.ALLEGED)),
    EventType.ALLEGATION_STATUS_CHANGED: _allegation_status,
    EventType.CONVICTION_RECORDED: _RECORD,
    EventType.REMOVAL_ORDER_RECORDED: _RECORD,
    EventType.PROTECTION_RECORDED: _RECORD,
    EventType.STAY_RECORDED: _RECORD,
    # A court order is a subject of its own: it names the people it covers.
    EventType.COURT_ORDER_RECORDED: RecordRow(personal=False, status=attrgetter("directive")),
    EventType.NOTICE_SERVED: _RECORD,
    EventType.COUNSEL_RECORDED: _RECORD,
    EventType.CONSULAR_RECORDED: _RECORD,
    EventType.FITNESS_TO_TRAVEL_RECORDED: _RECORD,
}

"""Legal records and allegations: one ``p_record`` row each (removal orders, protections, stays, court orders,
notices, counsel, consular notifications, fitness to travel, allegations, convictions); an allegation's status
changes in place."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, bindparam, update

from habeas.domain.allegations import AllegationStatus, AllegationStatusChanged
from habeas.domain.court_orders import CourtOrderRecorded
from habeas.domain.events import EventType
from habeas.storage.projections.batch import Batch
from habeas.storage.projections.rows import Applier, Batched, Recorded, const, path
from habeas.storage.projections.schema import KIND, RecordRow, record

_RECORD = RecordRow()

_SET_STATUS = (
    update(record)
    .where(and_(record.c.kind == KIND[EventType.ALLEGATION_RECORDED], record.c.record_id == bindparam("k_id")))
    .values(status=bindparam("v_status"), updated_seq=bindparam("v_seq"))
)


def _allegation_status(batch: Batch, items: Sequence[Recorded]) -> None:
    rows = []
    for r in items:
        event = r.event
        assert isinstance(event, AllegationStatusChanged)
        rows.append({"k_id": event.allegation_id, "v_status": event.to_status.value, "v_seq": r.seq})
    batch.add(record, _SET_STATUS, rows)


APPLIERS: dict[EventType, Applier] = {
    EventType.ALLEGATION_RECORDED: RecordRow(status=const(AllegationStatus.ALLEGED)),
    EventType.ALLEGATION_STATUS_CHANGED: Batched(_allegation_status),
    EventType.CONVICTION_RECORDED: _RECORD,
    EventType.REMOVAL_ORDER_RECORDED: _RECORD,
    EventType.PROTECTION_RECORDED: _RECORD,
    EventType.STAY_RECORDED: _RECORD,
    # A court order is a subject of its own: it names the people it covers.
    EventType.COURT_ORDER_RECORDED: RecordRow(
        personal=False, status=path(CourtOrderRecorded, "directive", where="p_record.status")
    ),
    EventType.NOTICE_SERVED: _RECORD,
    EventType.COUNSEL_RECORDED: _RECORD,
    EventType.CONSULAR_RECORDED: _RECORD,
    EventType.FITNESS_TO_TRAVEL_RECORDED: _RECORD,
}

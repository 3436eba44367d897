"""What the projection tables share: their metadata, and ``p_record``, the table of every other record.

Projection tables are what reads see. They are derived from the ledger alone and can be rebuilt from it. Each
row keeps the seq of the entry it rests on, so an answer can always be proven. Bodies are the events' public
JSON in canonical form, so a rebuilt table compares equal byte for byte.
"""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, Boolean, Column, Index, MetaData, String, Table, Text

from habeas.domain.codec import field_types
from habeas.domain.events import Event, EventType, event_class
from habeas.domain.periods import Period
from habeas.storage.projections.batch import Batch, Row
from habeas.storage.projections.rows import Batched, Recorded, Source, plain

metadata = MetaData()

# Every other record (legal records, allegations, convictions, court orders, admissions, facilities, units,
# agencies, officers): one row a record, keyed by its kind and id.
record = Table(
    "p_record",
    metadata,
    Column("kind", String(60), primary_key=True),
    Column("record_id", String(200), primary_key=True),
    Column("person_id", String(100)),
    Column("parent_id", String(100)),  # the facility of a unit, the agency of an officer
    Column("seq", BigInteger, nullable=False),
    Column("status", String(40)),
    Column("active_from", String(40)),
    Column("active_to", String(40)),
    Column("retracted", Boolean, nullable=False, default=False),
    Column("body", Text, nullable=False),
    Column("updated_seq", BigInteger, nullable=False),
    Index("ix_p_record_person", "person_id", "kind"),
    Index("ix_p_record_seq", "seq"),
    Index("ix_p_record_parent", "parent_id", "kind"),
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
    EventType.INTAKE_UNKNOWN_OVERRIDE: "admission_id",
}
KIND = {t: t.value.removesuffix(".recorded").removesuffix(".registered").removesuffix(".served") for t in EventType}


def record_key(event: Event) -> tuple[str, str]:
    """The (kind, id) of the ``p_record`` row an event records; a unit's id is qualified by its facility."""
    field = RECORD_ID_FIELD.get(event.TYPE)
    rid = event.stream if field is None else str(getattr(event, field))
    if event.TYPE is EventType.UNIT_REGISTERED:
        rid = f"{event.stream}/{rid}"
    return KIND[event.TYPE], rid


def _stored_key(r: Recorded) -> tuple[str, str]:
    """:func:`record_key` of a stored entry, read from its body."""
    field = RECORD_ID_FIELD.get(r.type)
    rid = r.stream if field is None else str(r.body[field])
    if r.type is EventType.UNIT_REGISTERED:
        rid = f"{r.stream}/{rid}"
    return KIND[r.type], rid


@functools.cache
def _period_field(event_type: EventType) -> str | None:
    """Whether the type has a :class:`Period` named ``period``: "public" (its body holds it as an object),
    "private", or None."""
    cls = event_class(event_type.value)
    tp = field_types(cls).get("period")
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        tp = next((a for a in typing.get_args(tp) if a is not type(None)), None)
    if tp is not Period:
        return None
    return "public" if "period" in cls.public_names() else "private"


def _period(r: Recorded) -> tuple[Any, Any]:
    if r.live:
        period = getattr(r.event, "period", None)
        return (plain(period.active_from), plain(period.active_to)) if isinstance(period, Period) else (None, None)
    where = _period_field(r.type)
    if where is None:
        return None, None
    if where == "private":
        return _period(Recorded.of(r.seq, r.event))  # decoded: an erased payload gives the default
    held = r.body.get("period")
    return (held["active_from"], held.get("active_to")) if isinstance(held, dict) else (None, None)


_INSERT_RECORD = record.insert()


class RecordRow(Batched):
    """Applier: one ``p_record`` row an event, keyed by :func:`record_key`.

    ``personal``: the event's stream is the person the record is about (a court order or a facility is a
    subject of its own); ``parent``: the (public) event field that names the record's parent; ``status``: the
    record's first status, as a source of the event (``rows.const``, ``rows.path``).
    """

    def __init__(self, *, personal: bool = True, parent: str | None = None, status: Source | None = None) -> None:
        super().__init__()
        self.personal = personal
        self.parent = parent
        self.status = status

    def row(self, r: Recorded) -> Row:
        if r.live:
            event = r.event
            kind, rid = record_key(event)
            parent = None if self.parent is None else str(getattr(event, self.parent))
            status = None if self.status is None else self.status.of_event(event)
        else:
            kind, rid = _stored_key(r)
            parent = (
                None if self.parent is None else r.stream if self.parent == "stream" else str(r.body[self.parent])
            )
            status = None if self.status is None else self.status.of_stored(r)
        active_from, active_to = _period(r)
        return {
            "kind": kind, "record_id": rid, "person_id": r.stream if self.personal else None, "parent_id": parent,
            "seq": r.seq, "status": status, "active_from": active_from, "active_to": active_to, "retracted": False,
            "body": r.body_json(), "updated_seq": r.seq,
        }

    def many(self, batch: Batch, items: Sequence[Recorded]) -> None:
        batch.add(record, _INSERT_RECORD, [self.row(r) for r in items])


"""What the projection tables share: their metadata, and ``p_record``, the table of every other record.

Projection tables are what reads see. They are derived from the ledger alone and can be rebuilt from it. Each
row keeps the seq of the entry it rests on, so an answer can always be proven. Bodies are the events' public
JSON in canonical form, so a rebuilt table compares equal byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import BigInteger, Boolean, Column, Connection, Index, MetaData, String, Table, Text

from habeas.domain.events import Event, EventType
from habeas.domain.periods import Period
from habeas.storage.projections.rows import body_json, plain

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


class RecordRow:
    """Applier: one ``p_record`` row an event, keyed by :func:`record_key`.

    ``personal``: the event's stream is the person the record is about (a court order or a facility is a
    subject of its own); ``parent``: the event field that names the record's parent; ``status``: the record's
    first status, as a function of the event.
    """

    def __init__(
        self, *, personal: bool = True, parent: str | None = None, status: Callable[[Event], Any] | None = None
    ) -> None:
        self.personal = personal
        self.parent = parent
        self.status = status

    def __call__(self, conn: Connection, seq: int, event: Event) -> None:
        kind, rid = record_key(event)
        period = getattr(event, "period", None)
        active_from, active_to = (
            (plain(period.active_from), plain(period.active_to)) if isinstance(period, Period) else (None, None)
        )
        conn.execute(
            record.insert().values(
                kind=kind, record_id=rid, person_id=event.stream if self.personal else None,
                parent_id=None if self.parent is None else str(getattr(event, self.parent)), seq=seq,
                status=None if self.status is None else plain(self.status(event)), active_from=active_from,
                active_to=active_to, retracted=False, body=body_json(event.public()), updated_seq=seq,
            )
        )

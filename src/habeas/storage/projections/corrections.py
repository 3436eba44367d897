"""Corrections: ``p_correction``, one row a correction; a retraction or replacement also marks the record."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Connection, String, Table, Text, update

from habeas.domain.corrections import CorrectionAction, EntryCorrected
from habeas.domain.events import Event, EventType
from habeas.storage.projections.rows import Applier, body_json
from habeas.storage.projections.schema import metadata, record

correction = Table(
    "p_correction",
    metadata,
    Column("corrected_seq", BigInteger, primary_key=True),
    Column("seq", BigInteger, primary_key=True),
    Column("action", String(20), nullable=False),
    Column("body", Text, nullable=False),
)


def _corrected(conn: Connection, seq: int, event: Event) -> None:
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


APPLIERS: dict[EventType, Applier] = {EventType.ENTRY_CORRECTED: _corrected}

"""Corrections: ``p_correction``, one row a correction; a retraction or replacement also marks the record."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import BigInteger, Column, String, Table, Text, bindparam, update

from habeas.domain.corrections import CorrectionAction, EntryCorrected
from habeas.domain.events import EventType
from habeas.storage.projections.batch import Batch
from habeas.storage.projections.rows import Applier, Batched, Recorded, body_json
from habeas.storage.projections.schema import metadata, record

correction = Table(
    "p_correction",
    metadata,
    Column("corrected_seq", BigInteger, primary_key=True),
    Column("seq", BigInteger, primary_key=True),
    Column("action", String(20), nullable=False),
    Column("body", Text, nullable=False),
)

_INSERT = correction.insert()
_RETRACT = (
    update(record).where(record.c.seq == bindparam("k_seq")).values(retracted=True, updated_seq=bindparam("v_seq"))
)
_REPLACE = (
    update(record)
    .where(record.c.seq == bindparam("k_seq"))
    .values(body=bindparam("v_body"), updated_seq=bindparam("v_seq"))
)


def _corrected(batch: Batch, items: Sequence[Recorded]) -> None:
    for r in items:  # rare, and each may touch a record the one before it touched: in order, as they come
        event = r.event
        assert isinstance(event, EntryCorrected)
        batch.add(correction, _INSERT, [
            {"corrected_seq": event.corrected_seq, "seq": r.seq, "action": event.action.value,
             "body": r.body_json()}
        ])
        if event.action is CorrectionAction.RETRACT:
            batch.add(record, _RETRACT, [{"k_seq": event.corrected_seq, "v_seq": r.seq}])
        elif event.replacement_public is not None:
            batch.add(record, _REPLACE, [
                {"k_seq": event.corrected_seq, "v_body": body_json(event.replacement_public), "v_seq": r.seq}
            ])


APPLIERS: dict[EventType, Applier] = {EventType.ENTRY_CORRECTED: Batched(_corrected)}

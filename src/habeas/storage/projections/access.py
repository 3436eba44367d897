"""Access to people in custody: ``p_access``, one row a logged access or interview (officers are public;
visitors and notes are private and never projected)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import BigInteger, Column, Index, String, Table

from habeas.domain.events import EventType
from habeas.domain.incidents import AccessLogged
from habeas.storage.projections.batch import Batch
from habeas.storage.projections.rows import Applier, Batched, InsertRow, Recorded
from habeas.storage.projections.schema import metadata

access = Table(
    "p_access",
    metadata,
    Column("access_id", String(200), primary_key=True),
    Column("person_id", String(100), nullable=False),
    Column("purpose", String(40), nullable=False),
    Column("occurred_at", String(40), nullable=False),
    Column("ended_at", String(40)),
    Column("facility_id", String(100)),
    Column("leg_id", String(100)),
    Column("officer_id", String(100)),
    Column("agency_id", String(100)),
    Column("seq", BigInteger, nullable=False),
    Index("ix_p_access_person", "person_id"),
)


def _no_projection(batch: Batch, items: Sequence[Recorded]) -> None:
    """The read-access log's commitments project nothing: `log verify` reads them from the log itself
    (services/access_chain.py)."""


APPLIERS: dict[EventType, Applier] = {
    EventType.ACCESS_LOGGED: InsertRow(AccessLogged, access, person_id="stream"),
    EventType.ACCESS_LOG_COMMITTED: Batched(_no_projection),
}

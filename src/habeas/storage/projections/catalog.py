"""Every projection table at once: creating them, applying a run of entries with the merged appliers, dumping
them for a comparison. What writes or rebuilds imports this; a query imports only its concept's tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, Table, select

from habeas.domain.events import Event, EventType
from habeas.storage.projections import (
    access,
    agreements,
    corrections,
    custody,
    facilities,
    handoffs,
    incidents,
    intake,
    legal,
    manifests,
    notifications,
    people,
    scope,
)
from habeas.storage.projections.rows import Applier, Batched
from habeas.storage.projections.schema import metadata, record

__all__ = ["APPLIERS", "TABLES", "apply_many", "create_projections", "dump", "metadata", "projection_tables"]

# Every projection table, named here rather than gathered from whatever happened to be imported.
TABLES: tuple[Table, ...] = (
    people.person, people.person_key, custody.custody, record, corrections.correction, manifests.manifest,
    manifests.manifest_person, manifests.gate_result, manifests.alert, incidents.headcount, incidents.incident,
    access.access, notifications.notification, handoffs.handoff, handoffs.handoff_signature,
    intake.capacity_override, agreements.agreement, agreements.invoice, scope.scope,
)


# Which applier brings the projections up to date with which event: every concept's table, merged explicitly.
APPLIERS: dict[EventType, Applier] = {
    **people.APPLIERS,
    **legal.APPLIERS,
    **custody.APPLIERS,
    **facilities.APPLIERS,
    **manifests.APPLIERS,
    **handoffs.APPLIERS,
    **intake.APPLIERS,
    **incidents.APPLIERS,
    **notifications.APPLIERS,
    **agreements.APPLIERS,
    **access.APPLIERS,
    **corrections.APPLIERS,
}


def projection_tables() -> list[Table]:
    """Every projection table, in name order (what dumps and comparisons walk)."""
    return sorted(TABLES, key=lambda t: t.name)


def create_projections(engine_or_conn: Engine | Connection) -> None:
    metadata.create_all(engine_or_conn, tables=TABLES)


def apply_many(
    conn: Connection, seqs: Sequence[int], events: Sequence[Event], appliers: Mapping[EventType, Applier]
) -> None:
    """Bring the projections up to date with entries just appended, in order, in the caller's transaction.

    A run of consecutive events whose applier is :class:`Batched` (a clearance records one gate.evaluated a
    person) is handed to it at once, so it can write its rows in a few statements instead of one a row.
    """
    run: list[tuple[int, Event]] = []
    batched: Batched | None = None
    for seq, event in zip(seqs, events, strict=True):
        applier = appliers.get(event.TYPE)
        if applier is None:
            raise LookupError(f"no projection applier for {event.TYPE.value!r}")
        if batched is not None and applier is not batched:
            batched.many(conn, run)
            run, batched = [], None
        if isinstance(applier, Batched):
            run.append((seq, event))
            batched = applier
        else:
            applier(conn, seq, event)
    if batched is not None:
        batched.many(conn, run)


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

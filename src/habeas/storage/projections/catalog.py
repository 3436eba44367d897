"""Every projection table at once: creating them, applying a run of entries with the merged appliers, dumping
them for a comparison. What writes or rebuilds imports this; a query imports only its concept's tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, Table, select
from sqlalchemy.schema import CreateTable

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
from habeas.storage.projections.batch import Batch
from habeas.storage.projections.rows import Applier, Recorded
from habeas.storage.projections.schema import metadata, record

__all__ = [
    "APPLIERS", "APPLIER_INDEXES", "TABLES", "apply_many", "apply_recorded", "create_for_replay", "create_projections",
    "dump", "dump_table", "metadata", "projection_tables", "replay_page",
]

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


# The one index the appliers look rows up by beyond a primary key (a correction finds its record by seq); the
# others serve queries.
APPLIER_INDEXES = frozenset({"ix_p_record_seq"})


def create_for_replay(engine: Engine) -> None:
    """The projection tables in scratch space for a rebuild to fill and compare: without the indexes only
    queries use, which a replay would otherwise keep up to date row by row for nothing."""
    with engine.begin() as conn:
        for table in TABLES:
            conn.execute(CreateTable(table))
            for index in table.indexes:
                if index.name in APPLIER_INDEXES:
                    index.create(conn)


def apply_many(
    conn: Connection, seqs: Sequence[int], events: Sequence[Event], appliers: Mapping[EventType, Applier]
) -> None:
    """Bring the projections up to date with entries just appended, in order, in the caller's transaction."""
    batch = Batch(conn)
    apply_recorded(batch, [Recorded.of(seq, event) for seq, event in zip(seqs, events, strict=True)], appliers)
    batch.flush()


def apply_recorded(batch: Batch, items: Sequence[Recorded], appliers: Mapping[EventType, Applier]) -> None:
    """Queue the rows of ``items`` (in log order) in ``batch``: each run of consecutive entries with the same
    applier goes to it at once. The batch keeps each table's writes in order, so what it sends equals applying
    the entries one by one."""
    start = 0
    while start < len(items):
        applier = appliers.get(items[start].type)
        if applier is None:
            raise LookupError(f"no projection applier for {items[start].type.value!r}")
        end = start + 1
        while end < len(items) and appliers.get(items[end].type) is applier:
            end += 1
        applier.many(batch, items[start:end])
        start = end


def replay_page(batch: Batch, items: Sequence[Recorded], appliers: Mapping[EventType, Applier]) -> None:
    """A rebuild's page of entries read back from the log: the projections, then who may see what, as the unit
    of work applied them when they were appended."""
    apply_recorded(batch, items, appliers)
    scope.scope_many(batch, items)


def dump(conn: Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every projection row, in primary-key order, as plain values (what tests compare)."""
    return {table.name: dump_table(conn, table) for table in projection_tables()}


def dump_table(conn: Connection, table: Table) -> list[tuple[Any, ...]]:
    """One table's rows, in primary-key order, as plain values (what a rebuild reads of a table it found to differ,
    to name the rows)."""
    rows = conn.execute(select(table).order_by(*table.primary_key.columns))
    return [tuple(_plain(v) for v in row) for row in rows]


def _plain(v: Any) -> Any:
    # SQLite hands booleans back as 0/1, PostgreSQL as bool; compare them as ints.
    return int(v) if isinstance(v, bool) else v

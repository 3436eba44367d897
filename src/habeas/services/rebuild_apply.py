"""`habeas rebuild --apply`: replace the live projections with a rebuild from the ledger alone, in one transaction.

The rebuild is the one :func:`habeas.services.rebuild.rebuild_check` compares against: the same replay, the same
appliers, only written into the live tables instead of scratch space. It runs in one write transaction that
first locks the ledger's head row, so no command appends while the projections are half made, readers see the
old projections until the commit, and a failed replay (an entry that cannot be read) leaves them as they were.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from habeas.services.rebuild import replay
from habeas.services.unit_of_work import Projector
from habeas.storage import ledger_store
from habeas.storage.projections.catalog import projection_tables


@dataclass(frozen=True, slots=True)
class RebuildApplyReport:
    entries: int  # log entries replayed
    tables: dict[str, int]  # rows in each projection table after the rebuild
    removed: dict[str, int]  # rows each table held before


def rebuild_apply(
    live: Engine, project: Projector, progress: Callable[[int], None] | None = None
) -> RebuildApplyReport:
    """Delete every projection row and replay the log into the emptied tables; commit only if all of it worked."""
    tables = projection_tables()
    with live.connect().execution_options(habeas_write=True) as conn, conn.begin():
        # Writers lock the head row before they append (and SQLite's write transaction began IMMEDIATE): while
        # this transaction holds it, the log cannot grow under the replay.
        ledger_store.lock_head(conn)
        removed = {t.name: int(conn.execute(t.delete()).rowcount) for t in reversed(tables)}
        entries = replay(conn, conn, project, progress)
        counts = {t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one()) for t in tables}
    return RebuildApplyReport(entries, counts, {t.name: removed[t.name] for t in tables})

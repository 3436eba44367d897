"""Rebuild every projection from the ledger alone, into scratch space, and compare with the live tables.

Invariant 2 of the design: the projections are a function of the log. The rebuild reads only the ledger tables
(leaves and the private payloads that have not been erased), applies each entry with the same code the live
path uses, and compares the result row by row. SQLite rebuilds into a temporary database file, PostgreSQL into
a scratch schema of the same database; both are removed afterwards.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine

from habeas.domain.errors import DomainError, HabeasError
from habeas.domain.events import Event, event_from
from habeas.ledger.entry import EntryError, parse_leaf
from habeas.services.unit_of_work import Projector
from habeas.storage import ledger_store
from habeas.storage.engine import make_engine
from habeas.storage.projections import catalog as projections
from habeas.storage.projections.catalog import projection_tables
from habeas.storage.projections.scope import apply_scope


@dataclass
class Difference:
    table: str
    key: tuple[Any, ...] | None
    message: str

    def __str__(self) -> str:
        where = f"{self.table}" + ("" if self.key is None else f" {self.key}")
        return f"{where}: {self.message}"


@dataclass
class RebuildReport:
    entries: int
    tables: dict[str, int]
    differences: list[Difference]

    @property
    def ok(self) -> bool:
        return not self.differences


@contextmanager
def scratch_engine(live: Engine) -> Iterator[Engine]:
    if live.dialect.name == "sqlite":
        with tempfile.TemporaryDirectory(prefix="habeas-rebuild-") as tmp:
            engine = make_engine(f"sqlite:///{Path(tmp) / 'rebuild.db'}")
            try:
                yield engine
            finally:
                engine.dispose()
        return
    schema = f"habeas_rebuild_{uuid.uuid4().hex[:12]}"
    with live.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
    engine = make_engine(live.url.render_as_string(hide_password=False), schema=schema)
    try:
        yield engine
    finally:
        engine.dispose()
        with live.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")


def apply_entry(target: Connection, project: Projector, seq: int, event: Event, actor_agency: str) -> None:
    """What the unit of work did when the entry was appended: the projections, then who may see it."""
    project(target, [seq], [event])
    apply_scope(target, [(seq, event)], actor_agency)


def replay(
    source: Connection, target: Connection, project: Projector, progress: Callable[[int], None] | None = None
) -> int:
    """Apply every entry of the log in ``source`` to the projections in ``target``; returns the count."""
    done = 0
    for rows in ledger_store.iter_entries(source):
        private = ledger_store.read_private(source, rows[0][0], rows[-1][0] + 1)
        for seq, leaf, _ in rows:
            entry = parse_leaf(leaf)
            held = private.get(seq)
            try:
                private_payload = None if held is None else parse_leaf(held[1])
                event = event_from(entry["type"], entry["stream"], entry["body"], private_payload)
            except (DomainError, EntryError, KeyError) as e:
                raise RebuildError(seq, str(e)) from e
            apply_entry(target, project, seq, event, entry["actor"]["agency"])
            done += 1
        if progress is not None:
            progress(done)
    return done


class RebuildError(HabeasError):
    def __init__(self, seq: int, reason: str) -> None:
        super().__init__(f"entry {seq} cannot be replayed: {reason}")
        self.seq = seq


def rebuild_check(live: Engine, project: Projector, progress: Callable[[int], None] | None = None) -> RebuildReport:
    """Replay the log into scratch projections with ``project`` (the same appliers the live path uses)."""
    with scratch_engine(live) as scratch:
        projections.create_projections(scratch)
        with live.connect() as source, scratch.begin() as target:
            count = replay(source, target, project, progress)
            rebuilt = projections.dump(target)
            current = projections.dump(source)
    return RebuildReport(count, {t: len(rows) for t, rows in current.items()}, compare(current, rebuilt))


def compare(live: dict[str, list[tuple[Any, ...]]], rebuilt: dict[str, list[tuple[Any, ...]]]) -> list[Difference]:
    diffs: list[Difference] = []
    for table, rows in live.items():
        other = rebuilt.get(table, [])
        by_key_live = {r[: _pk_len(table)]: r for r in rows}
        by_key_rebuilt = {r[: _pk_len(table)]: r for r in other}
        for key in sorted(set(by_key_live) | set(by_key_rebuilt), key=repr):
            a, b = by_key_live.get(key), by_key_rebuilt.get(key)
            if a == b:
                continue
            if a is None:
                diffs.append(Difference(table, key, "the ledger makes a row the live table lacks"))
            elif b is None:
                diffs.append(Difference(table, key, "the live table has a row the ledger does not make"))
            else:
                cols = _columns(table)
                col = next(cols[i] for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y)
                i = cols.index(col)
                diffs.append(Difference(table, key, f"{col} is {a[i]!r} live, {b[i]!r} rebuilt"))
    return diffs


def _table(name: str) -> Any:
    return next(t for t in projection_tables() if t.name == name)


def _pk_len(name: str) -> int:
    return len(_table(name).primary_key.columns)


def _columns(name: str) -> list[str]:
    return [c.name for c in _table(name).columns]

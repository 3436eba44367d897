"""Rebuild every projection from the ledger alone, into scratch space, and compare with the live tables.

Invariant 2 of the design: the projections are a function of the log. The rebuild reads only the ledger tables
(leaves and the private payloads that have not been erased), a page of entries at a time, and hands each page to
the same set-wise appliers the live path uses, which write it in a few statements a table. An applier reads the
fields it projects from the entry's stored body; the event is decoded only where an applier needs the domain's
object (a registration's personal data for its search keys, a manifest's state machine).

SQLite rebuilds into a temporary database file, PostgreSQL into a scratch schema of the same database; both are
removed afterwards. The comparison hashes each table's rows in key order on both sides and names rows only in
the tables whose hashes differ.
"""

from __future__ import annotations

import functools
import hashlib
import tempfile
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, event

from habeas.domain.errors import DomainError, HabeasError
from habeas.domain.events import Event, EventType, event_from
from habeas.ledger.entry import EntryError, parse_leaf
from habeas.services.unit_of_work import Projector
from habeas.storage import ledger_store
from habeas.storage.engine import make_engine, snapshot
from habeas.storage.projections import catalog as projections
from habeas.storage.projections import stored
from habeas.storage.projections.batch import Batch
from habeas.storage.projections.catalog import projection_tables
from habeas.storage.projections.rows import Applier, UnreadableEntry
from habeas.storage.projections.scope import apply_scope

PAGE = 10_000  # entries read, decoded and applied at a time: a few statements a table each, memory flat


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
            event.listen(engine, "connect", _scratch_pragmas)
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


def _scratch_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # A scratch file is thrown away whatever happens: no journal to keep, nothing to sync to disk.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=OFF")
    cur.execute("PRAGMA synchronous=OFF")
    cur.execute("PRAGMA cache_size=-65536")  # 64 MiB: the tables' indexes stay in memory while they are filled
    cur.close()


def apply_entry(target: Connection, project: Projector, seq: int, event: Event, actor_agency: str) -> None:
    """What the unit of work did when the entry was appended: the projections, then who may see it."""
    project(target, [seq], [event])
    apply_scope(target, [(seq, event)], actor_agency)


def _appliers(project: Projector) -> Mapping[EventType, Applier] | None:
    """The appliers behind the projector the door was wired with (:func:`habeas.wiring.projector`), which a
    rebuild hands whole pages to; None for another projector, which is given one decoded entry at a time."""
    if isinstance(project, functools.partial) and project.func is projections.apply_many:
        appliers: Mapping[EventType, Applier] | None = project.keywords.get("appliers")
        return appliers
    return None


def replay(
    source: Connection, target: Connection, project: Projector, progress: Callable[[int], None] | None = None
) -> int:
    """Apply every entry of the log in ``source`` to the projections in ``target``; returns the count."""
    appliers = _appliers(project)
    if appliers is None:
        return _replay_one_by_one(source, target, project, progress)
    done = 0
    for rows in ledger_store.iter_entries(source, chunk=PAGE):
        batch = Batch(target, bulk=True)
        try:
            items = stored.read_page(source, rows)
            projections.replay_page(batch, items, appliers)
        except UnreadableEntry as e:
            raise RebuildError(e.seq, e.reason) from e
        batch.flush()
        done += len(items)
        if progress is not None:
            progress(done)
    return done


def _replay_one_by_one(
    source: Connection, target: Connection, project: Projector, progress: Callable[[int], None] | None
) -> int:
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
        projections.create_for_replay(scratch)
        # One snapshot of the live database: the log replayed and the tables compared are the same moment's.
        with live.connect() as conn, snapshot(conn) as source, scratch.begin() as target:
            count = replay(source, target, project, progress)
            tables, differences = compare_tables(source, target)
    return RebuildReport(count, tables, differences)


def compare_tables(live: Connection, rebuilt: Connection) -> tuple[dict[str, int], list[Difference]]:
    """Each table's live row count, and the differences: every table is hashed in key order on both sides, and
    only a table whose hashes differ is read again to name its rows."""
    counts: dict[str, int] = {}
    differences: list[Difference] = []
    for table in projection_tables():
        count, digest = table_digest(live, table)
        counts[table.name] = count
        if (count, digest) != table_digest(rebuilt, table):
            named = compare({table.name: projections.dump_table(live, table)},
                            {table.name: projections.dump_table(rebuilt, table)})
            differences.extend(named)
    return counts, differences


def table_digest(conn: Connection, table: Table) -> tuple[int, bytes]:
    """The number of rows in ``table`` and a SHA-256 over them in key order.

    SQLite hands the rows to Python as they are, hashed a page at a time as their ``repr``; PostgreSQL writes each
    row as its own text form, so one string a row crosses the wire. Both sides of a comparison are the same
    backend, so equal rows hash equal.
    """
    columns = ", ".join(c.name for c in table.columns)
    key = ", ".join(c.name for c in table.primary_key.columns)
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    if conn.dialect.name == "sqlite":
        cursor, select_rows = dbapi.cursor(), columns
    else:  # a server-side cursor, so a table of millions of rows streams instead of arriving whole
        cursor, select_rows = dbapi.cursor(name=f"digest_{table.name}"), f"ROW({columns})::text"
    try:
        cursor.execute(f"SELECT {select_rows} FROM {table.name} ORDER BY {key}")  # names from our own metadata
        digest, count = hashlib.sha256(), 0
        while chunk := cursor.fetchmany(10_000):
            count += len(chunk)
            digest.update(repr(chunk).encode())
        return count, digest.digest()
    finally:
        cursor.close()


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

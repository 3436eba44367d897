"""The three systems under test, on either backend, behind one small interface.

- ``habeas``: the real ledger through :func:`habeas.bootstrap.open_ledger` (group commit, tiles, signed
  checkpoint per transaction).
- ``eventsourcing``: the library's SQLite and PostgreSQL application recorders, fed ``StoredEvent`` rows whose
  state is the same leaf bytes habeas stores.
- ``raw``: the limit. A plain ``executemany`` INSERT of the same rows (seq, type, stream, leaf, hash) into a
  bare table (primary key only), one SHA-256 per row, one transaction per call; sqlite3 (WAL,
  synchronous=FULL, as habeas) or psycopg 3.

Every ``append`` call is one transaction; every system is safe to call from many threads.
"""

from __future__ import annotations

import hashlib
import queue
import shutil
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import psycopg
from psycopg.conninfo import conninfo_to_dict

from benchmarks.workload import version_of
from habeas.bootstrap import Settings, init, open_ledger
from habeas.ledger.entry import PreparedEntry, leaf_bytes
from habeas.ledger.log import Ledger

ORIGIN = "bench.example/log"
SYSTEMS = ("habeas", "eventsourcing", "raw")


@dataclass
class Place:
    """Where one log lives: a fresh folder (the SQLite file, the signing key) and, on PostgreSQL, a schema."""

    backend: str
    folder: Path
    pg_url: str
    schema: str | None = None

    @property
    def sqlite_file(self) -> Path:
        return self.folder / "log.db"

    def destroy(self) -> None:
        if self.schema is not None:
            with psycopg.connect(self.pg_url, autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
        shutil.rmtree(self.folder, ignore_errors=True)


def new_place(backend: str, root: Path, pg_url: str, label: str) -> Place:
    folder = root / label
    folder.mkdir(parents=True)
    place = Place(backend, folder, pg_url)
    if backend == "postgres":
        place.schema = f"bench_{label}"
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{place.schema}" CASCADE')
            conn.execute(f'CREATE SCHEMA "{place.schema}"')
    return place


class System(Protocol):
    name: str

    def convert(self, entries: Sequence[PreparedEntry], start: int) -> list[Any]:
        """The system's own rows for entries ``start ..``; done before timing."""

    def append(self, items: Sequence[Any]) -> None:
        """Append ``items`` in one transaction."""

    def close(self) -> None: ...


class HabeasLog:
    name = "habeas"

    def __init__(self, place: Place) -> None:
        url = f"sqlite:///{place.sqlite_file}" if place.backend == "sqlite" else place.pg_url
        settings = Settings(db_url=url, key_path=place.folder / "habeas.key")
        self.signer = init(settings, ORIGIN, schema=place.schema)
        self.ledger: Ledger = open_ledger(settings, schema=place.schema)

    def convert(self, entries: Sequence[PreparedEntry], start: int) -> list[Any]:
        return list(entries)

    def append(self, items: Sequence[Any]) -> None:
        self.ledger.append(items)

    def close(self) -> None:
        self.ledger.engine.dispose()


class EventsourcingLog:
    name = "eventsourcing"

    def __init__(self, place: Place) -> None:
        from eventsourcing.persistence import StoredEvent

        self._stored_event = StoredEvent
        self.datastore: Any
        if place.backend == "sqlite":
            from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore

            # The library's defaults, but a long pool timeout: 32 threads queue for its single writer.
            self.datastore = SQLiteDatastore(str(place.sqlite_file), pool_timeout=120, originator_id_type="text")
            self.recorder: Any = SQLiteApplicationRecorder(self.datastore)
        else:
            from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

            info = conninfo_to_dict(place.pg_url)
            assert place.schema is not None
            # Enough connections for 32 producer threads (the default pool holds one).
            self.datastore = PostgresDatastore(
                dbname=str(info.get("dbname", "postgres")),
                host=str(info.get("host", "127.0.0.1")),
                port=str(info.get("port", 5432)),
                user=str(info.get("user", "postgres")),
                password=str(info.get("password", "")),
                schema=place.schema,
                pool_size=2,
                max_overflow=32,
                originator_id_type="text",
            )
            self.recorder = PostgresApplicationRecorder(self.datastore)
        self.recorder.create_table()

    def convert(self, entries: Sequence[PreparedEntry], start: int) -> list[Any]:
        make = self._stored_event
        return [
            make(
                originator_id=p.stream,
                originator_version=version_of(k),
                topic=p.type,
                state=leaf_bytes(p.head, k),
            )
            for k, p in enumerate(entries, start)
        ]

    def append(self, items: Sequence[Any]) -> None:
        self.recorder.insert_events(items)

    def close(self) -> None:
        self.datastore.close()


def _hashed(rows: Sequence[tuple[int, str, str, bytes]]) -> list[tuple[int, str, str, bytes, bytes]]:
    sha256 = hashlib.sha256
    return [(seq, t, s, leaf, sha256(b"\x00" + leaf).digest()) for seq, t, s, leaf in rows]


def _check_rows(cur: Any) -> int:
    sha256 = hashlib.sha256
    checked = 0
    while chunk := cur.fetchmany(20_000):
        for _seq, leaf, h in chunk:
            if sha256(b"\x00" + leaf).digest() != h:
                raise AssertionError("raw row hash mismatch")
        checked += len(chunk)
    return checked


class RawLog:
    """The limit: what storing the same rows costs with nothing on top but one hash each."""

    name = "raw"

    def __init__(self, place: Place) -> None:
        self.backend = place.backend
        self._lock = threading.Lock()
        if place.backend == "sqlite":
            # One connection behind a lock: SQLite has one writer anyway, and a lock queues the 32 producers
            # fairly where sqlite3's busy handler would make them sleep and retry.
            self._sqlite = sqlite3.connect(place.sqlite_file, isolation_level=None, check_same_thread=False)
            for pragma in ("journal_mode=WAL", "synchronous=FULL", "busy_timeout=60000"):
                self._sqlite.execute(f"PRAGMA {pragma}")
            self._sqlite.execute(
                "CREATE TABLE raw_entry (seq INTEGER PRIMARY KEY, type TEXT NOT NULL, stream TEXT NOT NULL, "
                "leaf BLOB NOT NULL, hash BLOB NOT NULL)"
            )
            self._sql = "INSERT INTO raw_entry (seq, type, stream, leaf, hash) VALUES (?, ?, ?, ?, ?)"
        else:
            self._url = place.pg_url
            self._options = f"-csearch_path={place.schema}"
            self._idle: queue.LifoQueue[psycopg.Connection[Any]] = queue.LifoQueue()
            self._conns: list[psycopg.Connection[Any]] = []
            with self._conn() as conn:
                conn.execute(
                    "CREATE TABLE raw_entry (seq BIGINT PRIMARY KEY, type VARCHAR(100) NOT NULL, "
                    "stream VARCHAR(100) NOT NULL, leaf BYTEA NOT NULL, hash BYTEA NOT NULL)"
                )
            self._sql = "INSERT INTO raw_entry (seq, type, stream, leaf, hash) VALUES (%s, %s, %s, %s, %s)"

    @contextmanager
    def _conn(self) -> Iterator[psycopg.Connection[Any]]:
        """A connection of the caller's own while in use: a plain pool, as a threaded program would keep."""
        try:
            conn = self._idle.get_nowait()
        except queue.Empty:
            conn = psycopg.connect(self._url, autocommit=True, options=self._options)
            with self._lock:
                self._conns.append(conn)
        try:
            yield conn
        finally:
            self._idle.put(conn)

    def convert(self, entries: Sequence[PreparedEntry], start: int) -> list[Any]:
        return [(k, p.type, p.stream, leaf_bytes(p.head, k)) for k, p in enumerate(entries, start)]

    def append(self, items: Sequence[Any]) -> None:
        rows = _hashed(items)
        if self.backend == "sqlite":
            with self._lock:
                self._sqlite.execute("BEGIN IMMEDIATE")
                self._sqlite.executemany(self._sql, rows)
                self._sqlite.execute("COMMIT")
            return
        with self._conn() as conn, conn.transaction(), conn.cursor() as cur:
            cur.executemany(self._sql, rows)

    def scan(self) -> int:
        """The verification limit: read every row in order and recompute its hash."""
        if self.backend == "sqlite":
            return _check_rows(self._sqlite.execute("SELECT seq, leaf, hash FROM raw_entry ORDER BY seq"))
        with self._conn() as conn, conn.transaction(), conn.cursor(name="raw_scan") as cur:
            cur.execute("SELECT seq, leaf, hash FROM raw_entry ORDER BY seq")
            return _check_rows(cur)

    def close(self) -> None:
        if self.backend == "sqlite":
            self._sqlite.close()
            return
        for conn in self._conns:
            conn.close()
        self._conns.clear()


def open_system(name: str, place: Place) -> System:
    if name == "habeas":
        return HabeasLog(place)
    if name == "eventsourcing":
        return EventsourcingLog(place)
    if name == "raw":
        return RawLog(place)
    raise ValueError(f"no system {name!r}")

"""Engines for the two supported databases, configured the same way wherever they are made.

SQLite is the embedded default: WAL so readers never wait for the writer, ``synchronous=FULL`` so an
acknowledged append survives a power cut as well as a crash, and a busy timeout so a second writer process
waits for the lock instead of failing at once. PostgreSQL goes through psycopg 3.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError

from habeas.storage import direct
from habeas.storage.errors import StorageError, translated

DEFAULT_URL = "sqlite:///./habeas.db"
PING_AFTER = 10.0
"""Seconds a PostgreSQL connection may sit in the pool before it is checked again when taken out."""
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` and point them at psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def sqlite_path(url: str) -> Path | None:
    """The file a SQLite URL names, or None for memory and other databases."""
    u = make_url(normalise_url(url))
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database)


def make_engine(
    url: str, *, schema: str | None = None, must_exist: bool = False, ping_after: float = PING_AFTER, **kw: Any
) -> Engine:
    """An engine for ``url``; ``schema`` (PostgreSQL) puts every table in a schema of its own (tests use it).

    ``must_exist`` refuses a SQLite path that is not there yet, so a mistyped ``--db`` on a read command says so
    instead of creating an empty database.
    """
    url = normalise_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError as e:
        raise StorageError(f"cannot read the database URL {url!r}: {e}") from e
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        path = sqlite_path(url)
        if path is not None:
            if must_exist and not path.exists():
                raise StorageError(f"no database at {path}: run `habeas init` first, or pass --db")
            if not path.parent.exists():
                raise StorageError(f"the folder {path.parent} for the database does not exist")
        engine = create_engine(url, **kw)
        _configure_sqlite(engine)
        return engine
    if backend == "postgresql":
        connect_args: dict[str, Any] = {}
        if schema is not None:
            if not _SCHEMA_NAME.match(schema):
                raise StorageError(f"bad schema name {schema!r}")
            connect_args["options"] = f"-csearch_path={schema}"
        engine = create_engine(url, connect_args=connect_args, **kw)
        _ping_after_idle(engine, ping_after)
        return engine
    raise StorageError(f"unsupported database {backend!r}: use sqlite:///PATH or postgresql://...")


def _ping_after_idle(engine: Engine, seconds: float) -> None:
    """SQLAlchemy's ``pool_pre_ping``, but only for a connection that sat in the pool ``seconds`` or more: one
    a restarted or restarting server may have dropped. Pinging at every checkout cost a lookup of the public
    locator a quarter of its time (a round trip before its one statement), for connections used a moment ago. A
    failed ping is a disconnection: the pool drops the connection and takes, or opens, another."""
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _idle_from(dbapi_connection: Any, record: Any) -> None:
        record.info["habeas_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        since = record.info.get("habeas_idle_since")
        if since is None or time.monotonic() - since < seconds:
            return  # new, or back in the pool a moment ago
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as e:
            raise DisconnectionError(f"the connection dropped while idle: {e}") from e


@contextmanager
def connect(engine: Engine) -> Iterator[Connection]:
    """A connection for reads; driver errors inside the block come out as :mod:`habeas.storage.errors`."""
    with translated("read"), engine.connect() as conn:
        yield conn


@contextmanager
def begin(engine: Engine, *, write: bool = False) -> Iterator[Connection]:
    """A connection in a transaction that commits when the block ends and rolls back if it raises.

    ``write`` takes SQLite's write lock at BEGIN (BEGIN IMMEDIATE), as the ledger's batch transaction does, so
    a transaction that will write does not find the lock taken half-way through. Driver errors come out as
    :mod:`habeas.storage.errors`.
    """
    with translated("write" if write else "transaction"):
        conn = engine.connect()
        if write:
            conn = conn.execution_options(habeas_write=True)
        with conn, conn.begin():
            yield conn


@contextmanager
def snapshot(conn: Connection) -> Iterator[Connection]:
    """Reads that see one state of the database: a read transaction (SQLite's WAL gives it a snapshot at its first
    read; PostgreSQL's REPEATABLE READ at its first statement). For reads that must agree with each other, such
    as `log verify` reading the ledger and the access log it commits to, while writers go on."""
    if conn.dialect.name == "postgresql":
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
    with conn.begin():
        yield conn


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # pysqlite's own transaction handling issues BEGIN lazily and never BEGIN IMMEDIATE; we take it over so a
        # write transaction holds the write lock from its first statement (see storage.ledger_store.write_lock).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Straight to the driver: every command's transaction begins here, and SQLAlchemy's statement path cost
        # more than the BEGIN itself (habeas.storage.direct keeps errors translated and listeners told).
        direct.execute(conn, _BEGIN_IMMEDIATE if conn.get_execution_options().get("habeas_write") else _BEGIN)


_BEGIN = direct.Sql("BEGIN")
_BEGIN_IMMEDIATE = direct.Sql("BEGIN IMMEDIATE")

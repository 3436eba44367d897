"""The ledger's storage contract: every read and write the log makes, on either database.

Functions take a Connection inside the caller's transaction, so a command's ledger rows and projection rows
commit together. Hot paths (appending and verifying) go to the driver's cursor (:mod:`habeas.storage.direct`):
every write transaction locks the head, moves it and inserts its rows and checkpoint, and at one command a
transaction SQLAlchemy's per-statement cost was more than the statements themselves.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import DBAPIError

from habeas.ledger.merkle import EMPTY_ROOT
from habeas.storage import direct
from habeas.storage.access import ACCESS_APPEND_ONLY, access_metadata
from habeas.storage.errors import AppendOnlyViolation, ConcurrencyConflict, StorageError
from habeas.storage.schema import (
    APPEND_ONLY_TABLES,
    NO_UPDATE_TABLES,
    ledger_checkpoint,
    ledger_entry,
    ledger_head,
    ledger_private,
    metadata,
)


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    size: int
    root: bytes
    note: str
    signed_at: str


def _param(conn: Connection) -> str:
    return "?" if conn.dialect.name == "sqlite" else "%s"


def create_schema(engine: Engine) -> None:
    """Create every table, the append-only triggers and the head row; safe to run again."""
    with engine.begin() as conn:
        metadata.create_all(conn)
        access_metadata.create_all(conn)
        install_triggers(conn)
        if conn.execute(select(ledger_head.c.size)).first() is None:
            conn.execute(ledger_head.insert().values(id=1, size=0, root=EMPTY_ROOT))


def install_triggers(conn: Connection) -> None:
    append_only = APPEND_ONLY_TABLES + ACCESS_APPEND_ONLY
    if conn.dialect.name == "sqlite":
        for table in append_only + NO_UPDATE_TABLES:
            refused = ("UPDATE", "DELETE") if table in append_only else ("UPDATE",)
            for op in refused:
                conn.exec_driver_sql(
                    f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {op} refused'); END"
                )
        return
    conn.exec_driver_sql(
        "CREATE OR REPLACE FUNCTION habeas_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION '%% is append-only: %% refused', TG_TABLE_NAME, TG_OP "
        "USING ERRCODE = 'integrity_constraint_violation'; END $$"
    )
    for table in append_only + NO_UPDATE_TABLES:
        ops = "UPDATE OR DELETE" if table in append_only else "UPDATE"
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        conn.exec_driver_sql(
            f"CREATE TRIGGER {table}_append_only BEFORE {ops} ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION habeas_refuse_change()"
        )
        if table in append_only:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
            conn.exec_driver_sql(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION habeas_refuse_change()"
            )


def drop_triggers(conn: Connection) -> None:
    """Only for tamper tests: what an attacker with database access would do first."""
    for table in APPEND_ONLY_TABLES + NO_UPDATE_TABLES:
        if conn.dialect.name == "sqlite":
            for op in ("update", "delete"):
                conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_no_{op}")
        else:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")


def has_schema(conn: Connection) -> bool:
    return bool(conn.dialect.has_table(conn, "ledger_head"))


_LOCK_HEAD = {
    "sqlite": direct.Sql("SELECT size, root FROM ledger_head WHERE id = 1"),
    "postgresql": direct.Sql("SELECT size, root FROM ledger_head WHERE id = 1 FOR UPDATE"),
}
_READ_HEAD = direct.Sql("SELECT size, root FROM ledger_head WHERE id = 1")
_CAS_HEAD = direct.Sql("UPDATE ledger_head SET size = ?, root = ? WHERE id = 1 AND size = ?")
_INSERT_ENTRY = direct.Sql("INSERT INTO ledger_entry (seq, type, stream, leaf, leaf_hash) VALUES (?, ?, ?, ?, ?)")
_INSERT_PRIVATE = direct.Sql("INSERT INTO ledger_private (seq, salt, payload) VALUES (?, ?, ?)")
_INSERT_TILE_HASH = direct.Sql("INSERT INTO ledger_tile_hash (tile_level, idx, hash) VALUES (?, ?, ?)")
_INSERT_CHECKPOINT = direct.Sql("INSERT INTO ledger_checkpoint (size, root, note, signed_at) VALUES (?, ?, ?, ?)")


def lock_head(conn: Connection) -> tuple[int, bytes]:
    """The log's size and root, locked until the transaction ends.

    On PostgreSQL ``FOR UPDATE`` serialises writers, so commit order equals sequence order. On SQLite the write
    transaction began IMMEDIATE and already holds the database's one write lock.
    """
    return _head(direct.first(conn, _LOCK_HEAD.get(conn.dialect.name, _LOCK_HEAD["postgresql"])))


def read_head(conn: Connection) -> tuple[int, bytes]:
    return _head(direct.first(conn, _READ_HEAD))


def _head(row: Any) -> tuple[int, bytes]:
    if row is None:
        raise StorageError("the database has no ledger: run `habeas init` first")
    return int(row[0]), bytes(row[1])


def cas_head(conn: Connection, *, expected: int, size: int, root: bytes) -> None:
    """Move the head from ``expected`` to ``size``, or refuse if another writer moved it first."""
    if direct.execute(conn, _CAS_HEAD, (size, root, expected)) != 1:
        found, _ = read_head(conn)
        raise ConcurrencyConflict(expected, found)


def insert_entries(conn: Connection, rows: Sequence[tuple[int, str, str, bytes, bytes]]) -> None:
    """Rows of (seq, type, stream, leaf, leaf_hash)."""
    direct.execute_many(conn, _INSERT_ENTRY, rows)


def insert_private(conn: Connection, rows: Sequence[tuple[int, bytes, bytes]]) -> None:
    """Rows of (seq, salt, payload)."""
    direct.execute_many(conn, _INSERT_PRIVATE, rows)


def insert_tile_hashes(conn: Connection, rows: Sequence[tuple[int, int, bytes]]) -> None:
    """Rows of (tile level >= 1, index, hash)."""
    direct.execute_many(conn, _INSERT_TILE_HASH, rows)


def insert_checkpoint(conn: Connection, cp: StoredCheckpoint) -> None:
    direct.execute(conn, _INSERT_CHECKPOINT, (cp.size, cp.root, cp.note, cp.signed_at))


def read_tile_hashes(conn: Connection, tile_level: int, start: int, count: int) -> list[bytes]:
    """Hashes ``start .. start + count - 1`` of a tile level, as far as they exist (one range read)."""
    p = _param(conn)
    if tile_level == 0:
        sql = f"SELECT leaf_hash FROM ledger_entry WHERE seq >= {p} AND seq < {p} ORDER BY seq"
        params: tuple[int, ...] = (start, start + count)
    else:
        sql = f"SELECT hash FROM ledger_tile_hash WHERE tile_level = {p} AND idx >= {p} AND idx < {p} ORDER BY idx"
        params = (tile_level, start, start + count)
    cursor = _raw_cursor(conn)
    try:
        cursor.execute(sql, params)
        return [bytes(r[0]) for r in cursor.fetchall()]
    finally:
        cursor.close()


def _raw_cursor(conn: Connection) -> Any:
    """The driver's own cursor, for the reads every proof and verification makes many of.

    PostgreSQL's is a binary cursor: bytea then arrives as bytes instead of hex text to decode.
    """
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    return dbapi.cursor() if conn.dialect.name == "sqlite" else dbapi.cursor(binary=True)


_READ_LEAF = direct.Sql("SELECT leaf FROM ledger_entry WHERE seq = ?")
_READ_PRIVATE_ONE = direct.Sql("SELECT salt, payload FROM ledger_private WHERE seq = ?")


def read_leaf(conn: Connection, seq: int) -> bytes | None:
    row = direct.first(conn, _READ_LEAF, (seq,))
    return None if row is None else bytes(row[0])


def read_checkpoint(conn: Connection, size: int | None = None) -> StoredCheckpoint | None:
    stmt = select(ledger_checkpoint)
    stmt = (
        stmt.order_by(ledger_checkpoint.c.size.desc()).limit(1)
        if size is None
        else stmt.where(ledger_checkpoint.c.size == size)
    )
    row = conn.execute(stmt).first()
    if row is None:
        return None
    return StoredCheckpoint(int(row.size), bytes(row.root), row.note, row.signed_at)


def iter_checkpoints(conn: Connection) -> Iterator[StoredCheckpoint]:
    for row in conn.execute(select(ledger_checkpoint).order_by(ledger_checkpoint.c.size)):
        yield StoredCheckpoint(int(row.size), bytes(row.root), row.note, row.signed_at)


def iter_entries(
    conn: Connection, start: int = 0, end: int | None = None, chunk: int = 10_000
) -> Iterator[list[tuple[int, bytes, bytes]]]:
    """Chunks of (seq, leaf, leaf_hash) in seq order, keyset-paginated so memory stays flat.

    Verification reads every row, so this goes to the driver's cursor directly: SQLAlchemy's row objects cost
    more than the hashing does.
    """
    p = _param(conn)
    sql = f"SELECT seq, leaf, leaf_hash FROM ledger_entry WHERE seq >= {p} AND seq < {p} ORDER BY seq"
    cursor = _raw_cursor(conn)
    try:
        pos = start
        while end is None or pos < end:
            stop = pos + chunk if end is None else min(end, pos + chunk)
            cursor.execute(sql, (pos, stop))
            rows: list[Any] = list(cursor.fetchall())
            if not rows:
                return
            if not isinstance(rows[0][1], bytes):  # memoryview from some drivers
                rows = [(int(a), bytes(b), bytes(c)) for a, b, c in rows]
            yield rows
            pos = stop
    finally:
        cursor.close()


def iter_tile_level(conn: Connection, tile_level: int) -> Iterator[tuple[int, bytes]]:
    p = _param(conn)
    for r in conn.exec_driver_sql(
        f"SELECT idx, hash FROM ledger_tile_hash WHERE tile_level = {p} ORDER BY idx", (tile_level,)
    ):
        yield int(r[0]), bytes(r[1])


def max_tile_level(conn: Connection) -> int:
    row = conn.exec_driver_sql("SELECT COALESCE(MAX(tile_level), 0) FROM ledger_tile_hash").one()
    return int(row[0])


def read_private(conn: Connection, start: int, end: int) -> dict[int, tuple[bytes, bytes]]:
    rows = conn.execute(
        select(ledger_private).where(ledger_private.c.seq >= start, ledger_private.c.seq < end)
    )
    return {int(r.seq): (bytes(r.salt), bytes(r.payload)) for r in rows}


def read_private_of(conn: Connection, seqs: Sequence[int]) -> dict[int, tuple[bytes, bytes]]:
    """The (salt, payload) of each of ``seqs`` that has one (not erased); the caller bounds how many at once."""
    if not seqs:
        return {}
    rows = conn.execute(select(ledger_private).where(ledger_private.c.seq.in_(list(seqs))))
    return {int(r.seq): (bytes(r.salt), bytes(r.payload)) for r in rows}


def read_private_one(conn: Connection, seq: int) -> tuple[bytes, bytes] | None:
    r = direct.first(conn, _READ_PRIVATE_ONE, (seq,))
    return None if r is None else (bytes(r[0]), bytes(r[1]))


def erase_private(conn: Connection, seqs: Sequence[int]) -> int:
    """Delete the salt and payload of these entries (a lawful erasure); the leaves stay."""
    if not seqs:
        return 0
    try:
        result = conn.execute(ledger_private.delete().where(ledger_private.c.seq.in_(list(seqs))))
    except DBAPIError as e:
        raise AppendOnlyViolation(f"the database refused the erasure: {e.orig}") from e
    return int(result.rowcount)


def stream_seqs(conn: Connection, stream: str) -> list[int]:
    return [int(r[0]) for r in conn.execute(select(ledger_entry.c.seq).where(ledger_entry.c.stream == stream))]

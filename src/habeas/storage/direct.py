"""Statements sent straight to the driver's cursor, for the reads and writes every command makes.

SQLAlchemy's execution path (an execution context, a cursor result, row objects; and for a Core expression its
construction and cache key as well) costs about ten times what SQLite spends running a point query, and more than
a PostgreSQL round trip on loopback. The command path makes a handful of such statements a command, so they are
written here once, as text with ``?`` placeholders (:class:`Sql` keeps the driver's own paramstyle beside it), and
run on the connection's own DBAPI connection, inside whatever transaction the SQLAlchemy connection holds.

Two things SQLAlchemy's path gives are kept: a driver error comes out as SQLAlchemy's ``DBAPIError`` subclass,
so :func:`habeas.storage.errors.translated` maps it as any other; and the engine's ``before_cursor_execute`` /
``after_cursor_execute`` listeners hear every statement (what a test that counts statements listens to).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

Params = Sequence[Any]


class Sql:
    """One statement, written with ``?`` placeholders, and the same text in psycopg's ``%s`` style."""

    __slots__ = ("format", "qmark")

    def __init__(self, text: str) -> None:
        self.qmark = text
        self.format = text.replace("%", "%%").replace("?", "%s")

    def text(self, conn: Connection) -> str:
        return self.qmark if conn.dialect.name == "sqlite" else self.format

    def __repr__(self) -> str:
        return f"Sql({self.qmark!r})"


def _run(conn: Connection, sql: Sql, params: Any, many: bool) -> Any:
    return _send(conn, sql.qmark if conn.dialect.name == "sqlite" else sql.format, params, many)


def send(conn: Connection, text: str, params: Any) -> None:
    """A statement already written in the driver's own parameter style (a SQLAlchemy statement compiled once, as
    the projections' batches keep them), with one row of parameters or a list of rows (executemany)."""
    _send(conn, text, params, isinstance(params, list)).close()


def _send(conn: Connection, text: str, params: Any, many: bool) -> Any:
    dialect = conn.dialect
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    before, after = conn.dispatch.before_cursor_execute, conn.dispatch.after_cursor_execute
    if before:
        before(conn, cursor, text, params, None, many)
    try:
        if many:
            cursor.executemany(text, params)
        else:
            cursor.execute(text, params)
    except dialect.loaded_dbapi.Error as e:
        raise DBAPIError.instance(text, params, e, dialect.loaded_dbapi.Error, dialect=dialect) from e
    if after:
        after(conn, cursor, text, params, None, many)
    return cursor


def rows(conn: Connection, sql: Sql, params: Params = ()) -> list[Any]:
    """Every row the query returns, as the driver's tuples."""
    cursor = _run(conn, sql, params, False)
    try:
        return list(cursor.fetchall())
    finally:
        cursor.close()


def first(conn: Connection, sql: Sql, params: Params = ()) -> Any:
    """The query's first row (a tuple), or None."""
    cursor = _run(conn, sql, params, False)
    try:
        return cursor.fetchone()
    finally:
        cursor.close()


def execute(conn: Connection, sql: Sql, params: Params = ()) -> int:
    """Run a statement that returns no rows; how many rows it changed."""
    cursor = _run(conn, sql, params, False)
    try:
        return int(cursor.rowcount)
    finally:
        cursor.close()


def execute_many(conn: Connection, sql: Sql, params: Sequence[Params]) -> None:
    """Run a statement once a row of ``params`` (the driver's executemany: one statement for the listeners)."""
    if params:
        _run(conn, sql, params, True).close()


@contextmanager
def pipelined(conn: Connection) -> Iterator[None]:
    """Statements run inside the block go to PostgreSQL without waiting for each one's result (psycopg's pipeline
    mode): one round trip for them all. Their errors come out when the block ends, translated as any other. Only
    for statements whose results nobody reads inside the block. On SQLite, which has no round trips, nothing."""
    dialect = conn.dialect
    if dialect.name != "postgresql":
        yield
        return
    try:
        with conn.connection.dbapi_connection.pipeline():  # type: ignore[union-attr]
            yield
    except dialect.loaded_dbapi.Error as e:
        raise DBAPIError.instance("pipelined statements", None, e, dialect.loaded_dbapi.Error, dialect=dialect) from e

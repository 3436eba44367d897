"""The batch an applier's writes go into: queued a table at a time and sent as one executemany a statement.

Each statement is built once, when its module is imported, and compiled once per dialect and set of row keys;
the rows go to the driver as they are (plain values already), so a run of 10,000 entries costs a few statements
a table and no per-row expression building.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.sql.dml import Insert, UpdateBase

from habeas.storage import direct

Row = dict[str, Any]


class _Group:
    __slots__ = ("keep_first", "key", "rows", "stmt")

    def __init__(self, stmt: UpdateBase, key: Callable[[Row], Hashable] | None, keep_first: bool) -> None:
        self.stmt = stmt
        self.key = key
        self.keep_first = keep_first
        self.rows: list[Row] | dict[Hashable, Row] = [] if key is None else {}

    def extend(self, rows: Sequence[Row]) -> None:
        if isinstance(self.rows, list):
            self.rows.extend(rows)
            return
        assert self.key is not None
        if self.keep_first:
            for row in rows:
                self.rows.setdefault(self.key(row), row)
        else:
            for row in rows:
                self.rows[self.key(row)] = row


class Batch:
    """The writes of a run of entries, queued a table at a time and sent by :meth:`flush`.

    Writes to different tables commute (no projection table refers to another), so each table keeps its own
    queue. On one table the order holds: rows for a statement join the table's last group only while that
    statement is the last one queued there, so an update is never sent before the insert it updates. A group
    with a ``key`` keeps one row a key (the last, or with ``keep_first`` the first): what an upsert, or an insert
    that ignores a row already there, leaves after the whole run.

    ``state`` holds what an applier keeps across the batch (the manifests it has loaded); ``before_flush`` hooks
    queue the rows that state ends as.

    ``bulk`` (a rebuild): on PostgreSQL, a large group of plain inserts goes in with COPY, several times faster
    there than one INSERT a row. Not on the live path: COPY is the driver's own, beside SQLAlchemy's error
    translation, and a command's groups are small.
    """

    def __init__(self, conn: Connection, *, bulk: bool = False) -> None:
        self.conn = conn
        self.dialect = conn.dialect.name
        self._copy = bulk and self.dialect == "postgresql"
        self.state: dict[str, Any] = {}
        self._queues: dict[Table, list[_Group]] = {}
        self._hooks: dict[str, Callable[[Batch], None]] = {}

    def add(
        self, table: Table, stmt: UpdateBase, rows: Sequence[Row], *,
        key: Callable[[Row], Hashable] | None = None, keep_first: bool = False,
    ) -> None:
        if not rows:
            return
        queue = self._queues.setdefault(table, [])
        if not queue or queue[-1].stmt is not stmt:
            queue.append(_Group(stmt, key, keep_first))
        queue[-1].extend(rows)

    def queued(self) -> dict[str, list[Row]]:
        """The rows queued so far, a table's in the order they will be sent (what a flush would write)."""
        out: dict[str, list[Row]] = {}
        for table, groups in self._queues.items():
            for group in groups:
                out.setdefault(table.name, []).extend(
                    group.rows if isinstance(group.rows, list) else group.rows.values()
                )
        return out

    def before_flush(self, name: str, hook: Callable[[Batch], None]) -> None:
        self._hooks.setdefault(name, hook)

    def flush(self) -> None:
        hooks, self._hooks = self._hooks, {}
        for hook in hooks.values():
            hook(self)
        self.state.clear()
        queues, self._queues = self._queues, {}
        for table, groups in queues.items():
            for group in groups:
                rows = group.rows if isinstance(group.rows, list) else list(group.rows.values())
                sql, constants = _compiled(group.stmt, self.conn, tuple(rows[0]))
                if self._copy and len(rows) >= _COPY_FROM and isinstance(group.stmt, Insert) and not constants:
                    if type(group.stmt) is Insert:
                        self._copy_in(table.name, rows)
                        continue
                    if group.key is not None and _CONFLICT in sql:  # one row a key: no row meets itself
                        self._merge_in(table, rows, sql[sql.index(_CONFLICT):])
                        continue
                if constants:
                    rows = [{**constants, **row} for row in rows]
                # The statement's SQL, compiled once, goes to the driver with the rows as they are: the rows
                # already hold plain values, and SQLAlchemy's per-row parameter handling cost more than SQLite.
                direct.send(self.conn, sql, rows if len(rows) > 1 else rows[0])


    def _copy_in(self, table: str, rows: list[Row]) -> None:
        columns = tuple(rows[0])
        cursor: Any = self.conn.connection.cursor()  # psycopg's, in the connection's transaction
        try:
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([row[c] for c in columns])
        finally:
            cursor.close()

    def _merge_in(self, table: Table, rows: list[Row], conflict: str) -> None:
        """An upsert (or an insert that ignores rows already there) of many rows: COPY them into a temporary
        table of the same shape, then one INSERT ... SELECT with the statement's own ON CONFLICT clause."""
        stage = f"habeas_stage_{table.name}"
        self.conn.exec_driver_sql(f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} (LIKE {table.name}) ON COMMIT DROP")
        self.conn.exec_driver_sql(f"TRUNCATE {stage}")
        self._copy_in(stage, rows)
        columns = ", ".join(rows[0])
        self.conn.exec_driver_sql(f"INSERT INTO {table.name} ({columns}) SELECT {columns} FROM {stage} {conflict}")


_COPY_FROM = 100  # rows: below this, COPY's own round trips cost more than the INSERTs
_CONFLICT = " ON CONFLICT "


# Compiled once per statement, dialect and set of row keys: the SQL with named parameters, and the values of
# the parameters the statement fixes itself (``values(erased=True)``).
_COMPILED: dict[tuple[UpdateBase, str, tuple[str, ...]], tuple[str, dict[str, Any]]] = {}
_NAMED: dict[str, Any] = {}  # a dialect with named parameters, for a driver whose own style is positional


def _compiled(stmt: UpdateBase, conn: Connection, keys: tuple[str, ...]) -> tuple[str, dict[str, Any]]:
    found = _COMPILED.get((stmt, conn.dialect.name, keys))
    if found is None:
        dialect = conn.dialect if conn.dialect.paramstyle in ("named", "pyformat") else _named(conn.dialect.name)
        compiled = stmt.compile(dialect=dialect, column_keys=list(keys))
        constants = {n: b.effective_value for n, b in compiled.binds.items() if n not in keys and not b.required}
        missing = sorted(n for n, b in compiled.binds.items() if n not in keys and b.required)
        if missing:
            raise ValueError(f"rows for {compiled.string!r} lack {missing}")
        found = _COMPILED[(stmt, conn.dialect.name, keys)] = (compiled.string, constants)
    return found


def _named(name: str) -> Any:
    if name not in _NAMED:
        from sqlalchemy.dialects import registry

        _NAMED[name] = registry.load(name)(paramstyle="named")
    return _NAMED[name]


def _insert(dialect: str, table: Table) -> Any:
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table)
    from sqlalchemy.dialects.postgresql import insert as pg_insert

    return pg_insert(table)


class PerDialect(Mapping[str, UpdateBase]):
    """A statement for each dialect, built when first asked for: a module that defines one (at import) does not
    import every dialect's SQLAlchemy code, which a read command would pay for at start-up without using."""

    def __init__(self, build: Callable[[str], UpdateBase]) -> None:
        self._build = build
        self._built: dict[str, UpdateBase] = {}

    def __getitem__(self, dialect: str) -> UpdateBase:
        if dialect not in DIALECTS:
            raise KeyError(dialect)
        found = self._built.get(dialect)
        if found is None:
            found = self._built[dialect] = self._build(dialect)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(DIALECTS)

    def __len__(self) -> int:
        return len(DIALECTS)


DIALECTS = ("sqlite", "postgresql")


def upsert(table: Table) -> PerDialect:
    """Per dialect: insert a row, or set every other column of the row already there with its key."""
    key = list(table.primary_key.columns)

    def build(dialect: str) -> UpdateBase:
        stmt = _insert(dialect, table)
        others = {c.name: stmt.excluded[c.name] for c in table.columns if c not in key}
        return stmt.on_conflict_do_update(index_elements=key, set_=others)  # type: ignore[no-any-return]

    return PerDialect(build)


def insert_new(table: Table) -> PerDialect:
    """Per dialect: insert a row unless one with its key is there already (which then stays as it is)."""
    return PerDialect(lambda dialect: _insert(dialect, table).on_conflict_do_nothing())

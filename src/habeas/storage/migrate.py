"""Schema migrations: bring a database to the schema this habeas expects (Alembic, driven from code).

The revisions live in :mod:`habeas.storage.migrations` (``versions/``); there is no alembic.ini, the ``Config``
is built here and the connection handed to ``env.py``. One upgrade is one transaction that holds the write lock
(SQLite ``BEGIN IMMEDIATE``, a PostgreSQL advisory lock per schema), so two processes upgrading at once take
turns and the second finds nothing to do.

A database made before there were migrations has the baseline's tables but no version table: it is checked
against the baseline (every table and column there) and stamped ``0001_baseline``, then upgraded like any other.
An empty database gets the baseline and every later revision, so ``habeas init`` needs nothing else.

Writing a revision: copy ``migrations/script.py.mako``; spell the tables out (revisions are frozen); on SQLite
an ALTER beyond ADD COLUMN goes through ``op.batch_alter_table``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect
from sqlalchemy.exc import DBAPIError

from habeas.domain.errors import HabeasError
from habeas.storage.engine import make_engine

if TYPE_CHECKING:  # Alembic is imported by the functions that use it: every command opens storage, few migrate
    from alembic.config import Config
    from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).with_name("migrations")
BASELINE = "0001_baseline"
VERSION_TABLE = "alembic_version"
# What marks a database as habeas's: the row every writer compare-and-swaps on.
LEDGER_MARK = "ledger_head"


class MigrationError(HabeasError):
    """The database cannot be brought to this habeas's schema; nothing was changed."""


@dataclass(frozen=True, slots=True)
class UpgradeReport:
    before: str | None  # the revision found; None for an empty database or one made before migrations
    after: str
    stamped: bool  # a database made before migrations was recognised as the baseline first

    @property
    def changed(self) -> bool:
        return self.stamped or self.before != self.after


def _config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


@cache
def _scripts() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config())


def _revisions() -> set[str]:
    return {script.revision for script in _scripts().walk_revisions()}


def head() -> str:
    """The revision this habeas's schema is at."""
    heads = _scripts().get_heads()
    if len(heads) != 1:
        raise MigrationError(f"the migrations must have one head, not {len(heads)}: {', '.join(sorted(heads))}")
    return heads[0]


def current(engine: Engine) -> str | None:
    """The revision the database is at; None when it has no version table (empty, or made before migrations)."""
    try:
        with engine.connect() as conn:
            return _current(conn)
    except DBAPIError as e:
        raise MigrationError(f"cannot read the schema revision: {_first_line(e)}") from e


def _current(conn: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    context = MigrationContext.configure(conn, opts={"version_table_schema": _schema(conn)})
    return context.get_current_revision()


def _schema(conn: Connection) -> str | None:
    """The PostgreSQL schema unqualified names resolve to (where env.py keeps the version table)."""
    if conn.dialect.name != "postgresql":
        return None
    schema = conn.exec_driver_sql("SELECT current_schema()").scalar()
    if schema is None:
        raise MigrationError("the PostgreSQL search_path names no existing schema: create it, or fix the URL")
    return str(schema)


def upgrade(engine: Engine, *, create: bool = True, to: str | None = None) -> UpgradeReport:
    """Bring the database to :func:`head` (or to revision ``to``, for tests of later revisions), in one transaction.

    ``create=False`` refuses a database with no habeas tables (``habeas db upgrade`` on a mistyped URL) instead
    of creating the schema there; ``habeas init`` creates.
    """
    from alembic import command
    from alembic.util import CommandError

    target = head() if to is None else to
    try:
        with engine.connect().execution_options(habeas_write=True) as conn, conn.begin():
            _lock(conn)
            before = _current(conn)
            stamped = False
            config = _config(conn)
            if before is None and inspect(conn).has_table(LEDGER_MARK):
                _check_baseline(conn)
                command.stamp(config, BASELINE)
                stamped = True
            elif before is None and not create:
                raise MigrationError("the database holds no habeas ledger: run `habeas init` first")
            elif before is not None and before not in _revisions():
                raise MigrationError(
                    f"the database is at revision {before!r}, which this habeas does not know: "
                    "a newer habeas made it; upgrade habeas instead"
                )
            command.upgrade(config, target)
            after = _current(conn)
    except CommandError as e:
        raise MigrationError(f"the migration failed: {_first_line(e)}") from e
    except DBAPIError as e:
        raise MigrationError(f"the database refused the migration: {_first_line(e)}") from e
    if after != target:
        raise MigrationError(f"the upgrade ended at revision {after!r}, not {target!r}")
    return UpgradeReport(before, after, stamped)


def _lock(conn: Connection) -> None:
    # SQLite: the transaction began IMMEDIATE (habeas_write) and holds the database's one write lock. PostgreSQL:
    # DDL does not wait on the ledger's head row, so upgrades of one schema queue on an advisory lock of their own.
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':habeas-migrate'))")


def _check_baseline(conn: Connection) -> None:
    """Refuse to stamp a database made before migrations unless it has every table and column of the baseline."""
    inspector = inspect(conn)
    found = set(inspector.get_table_names())
    missing: list[str] = []
    for table, columns in sorted(baseline_columns().items()):
        if table not in found:
            missing.append(table)
            continue
        have = {c["name"] for c in inspector.get_columns(table)}
        missing += [f"{table}.{c}" for c in sorted(columns - have)]
    if missing:
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise MigrationError(
            f"the database predates migrations but lacks {', '.join(missing[:5])}{more}: "
            f"a habeas older than {BASELINE} made it, so it cannot be stamped"
        )


@cache
def baseline_columns() -> dict[str, frozenset[str]]:
    """Table -> column names of the baseline, read from the revision itself run into a scratch SQLite database."""
    from alembic import command

    scratch = make_engine("sqlite://")
    try:
        with scratch.connect().execution_options(habeas_write=True) as conn, conn.begin():
            command.upgrade(_config(conn), BASELINE)
            inspector = inspect(conn)
            return {
                t: frozenset(c["name"] for c in inspector.get_columns(t))
                for t in inspector.get_table_names()
                if t != VERSION_TABLE
            }
    finally:
        scratch.dispose()


def _first_line(e: BaseException) -> str:
    reason = e.orig if isinstance(e, DBAPIError) and e.orig is not None else e
    lines = str(reason).strip().splitlines()
    return lines[0] if lines else type(reason).__name__

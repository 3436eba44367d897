"""Alembic's entry: run the revisions on the connection :mod:`habeas.storage.migrate` hands in.

The caller owns the transaction (it began it before calling Alembic), so Alembic opens none of its own: the
upgrade, the version row and the caller's checks commit or roll back together. On PostgreSQL the version table
goes in the schema the connection's search_path makes current, the same schema the revisions' unqualified
tables land in (tests give each test a schema of its own).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from habeas.storage.migrate import MigrationError


def _run(connection: Connection) -> None:
    version_schema = None
    if connection.dialect.name == "postgresql":
        version_schema = connection.exec_driver_sql("SELECT current_schema()").scalar()
        if version_schema is None:
            raise MigrationError("the PostgreSQL search_path names no existing schema: create it, or fix the URL")
    context.configure(
        connection=connection,
        target_metadata=None,
        version_table_schema=version_schema,
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise MigrationError("habeas migrations run only through habeas.storage.migrate, which passes a connection")
    if context.is_offline_mode():
        raise MigrationError("habeas migrations have no offline (SQL script) mode")
    _run(connection)


_main()

"""Accounts that can be disabled and tokens that can be revoked; the access log chained and committed.

Revision ID: 0002_accounts_and_access_chain
Revises: 0001_baseline
Create Date: 2026-12-05

Frozen: spell out every table and column here; never import habeas's table definitions, which move on.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0002_accounts_and_access_chain"
down_revision: str | None = "0001_baseline"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    _accounts()
    _access_chain()


def downgrade() -> None:
    raise NotImplementedError("not undone: restore the database from before the upgrade instead")


def _accounts() -> None:
    """Users that can be disabled, tokens that can be revoked, logins that lock out (services/accounts.py,
    services/logins.py).

    Every token now expires: one made without an expiry (which never expired) gets one 30 days after this upgrade,
    time for its holder to get a new one, and the column becomes NOT NULL (SQLite rebuilds the table for that).
    """
    op.add_column("api_user", sa.Column("disabled_at", sa.String(length=40), nullable=True))
    op.add_column("api_user", sa.Column("disabled_by", sa.String(length=100), nullable=True))
    op.add_column("api_token", sa.Column("revoked_at", sa.String(length=40), nullable=True))
    op.add_column("api_token", sa.Column("revoked_by", sa.String(length=100), nullable=True))
    token = sa.table("api_token", sa.column("expires_at", sa.String))
    grace = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    op.execute(token.update().where(token.c.expires_at.is_(None)).values(expires_at=grace))
    with op.batch_alter_table("api_token") as batch:
        batch.alter_column("expires_at", existing_type=sa.String(length=40), nullable=False)
    op.create_table(
        "api_login_failure",
        sa.Column("user_id", sa.String(length=100), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_index("ix_api_login_failure_last", "api_login_failure", ["last_failed_at"], unique=False)


def _access_chain() -> None:
    """The access log's rows chained by hash and committed to by the ledger (services/access_chain.py).

    A NOT NULL ``chain`` column: SHA-256 of the previous row's chain (32 zero bytes before the first row) and the
    row's canonical JSON. Rows written before it get theirs here, in id order, so the append-only trigger is off
    meanwhile: dropped on SQLite (which rebuilds the table to make the column NOT NULL, and gets the same two
    triggers back after), disabled on PostgreSQL. The ledger commits to them at the next read, or at once when
    `habeas db upgrade` has the signing key.
    """
    conn = op.get_bind()
    chain = sa.Column("chain", sa.LargeBinary(length=32), nullable=True)
    if conn.dialect.name == "sqlite":
        for verb in ("update", "delete"):
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS access_log_no_{verb}")
        op.add_column("access_log", chain)
        _chain_rows_written_before(conn)
        with op.batch_alter_table("access_log") as batch:
            batch.alter_column("chain", existing_type=sa.LargeBinary(length=32), nullable=False)
        for verb in ("UPDATE", "DELETE"):
            conn.exec_driver_sql(
                f"CREATE TRIGGER IF NOT EXISTS access_log_no_{verb.lower()} BEFORE {verb} ON access_log "
                f"BEGIN SELECT RAISE(ABORT, 'access_log is append-only: {verb} refused'); END"
            )
        return
    conn.exec_driver_sql("ALTER TABLE access_log DISABLE TRIGGER access_log_append_only")
    op.add_column("access_log", chain)
    _chain_rows_written_before(conn)
    op.alter_column("access_log", "chain", existing_type=sa.LargeBinary(length=32), nullable=False)
    conn.exec_driver_sql("ALTER TABLE access_log ENABLE TRIGGER access_log_append_only")


# The columns the chain covers, and their JSON: RFC 8785 canonical JSON, which for an object of strings and
# integers (all these are) is what json.dumps writes with sorted keys, no spaces and no ASCII escaping.
_CHAINED = ("id", "at", "user_id", "agency_id", "action", "subject_kind", "subject_id", "request")


def _chain_rows_written_before(conn: sa.Connection, chunk: int = 10_000) -> None:
    table = sa.table("access_log", *(sa.column(name) for name in _CHAINED), sa.column("chain", sa.LargeBinary))
    set_chain = (
        table.update().where(table.c.id == sa.bindparam("row_id")).values(chain=sa.bindparam("row_chain"))
    )
    head, after = bytes(32), -1
    while True:
        rows = conn.execute(
            sa.select(*(table.c[name] for name in _CHAINED)).where(table.c.id > after).order_by(table.c.id)
            .limit(chunk)
        ).all()
        if not rows:
            return
        chained = []
        for row in rows:
            text = json.dumps(dict(row._mapping), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            head = hashlib.sha256(head + text.encode("utf-8")).digest()
            chained.append({"row_id": row.id, "row_chain": head})
        conn.execute(set_chain, chained)
        after = rows[-1].id

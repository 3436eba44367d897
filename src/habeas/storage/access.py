"""Tables of the HTTP interface: users, API tokens, failed logins, idempotency records and the read-access log.

They are not projections: credentials are not custody facts and must never reach the public log, so they live
beside the ledger, not in it. The access log is append-only like the ledger tables (the same triggers), and
chained and committed to by the ledger so that a change made with the triggers off is caught by `log verify`.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, LargeBinary, MetaData, String, Table, Text

access_metadata = MetaData()

api_user = Table(
    "api_user",
    access_metadata,
    Column("user_id", String(100), primary_key=True),
    Column("agency_id", String(100), nullable=False),
    Column("role", String(20), nullable=False),
    Column("officer_id", String(100)),  # the officer the user acts as in the ledger; the user id when none
    Column("password_hash", Text),  # argon2id; None for a user who only uses tokens
    Column("created_at", String(40), nullable=False),
    # Disabled users are kept, not deleted: the ledger and the access log name them.
    Column("disabled_at", String(40)),
    Column("disabled_by", String(100)),  # the admin's user id, or "cli" for the operator
)

# Tokens are 256-bit random secrets, so a SHA-256 of the secret is enough to store (argon2 is for passwords,
# which are guessable); the secret itself is shown once and never stored.
api_token = Table(
    "api_token",
    access_metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("token_id", String(40), nullable=False, unique=True),
    Column("user_id", String(100), nullable=False),
    Column("name", String(200), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("expires_at", String(40), nullable=False),  # every token expires (services/accounts.py)
    Column("revoked_at", String(40)),
    Column("revoked_by", String(100)),  # the user id that revoked it, or "cli" for the operator
)

# Failed password logins per account (per user id asked for, known or not), so that an account locks out with
# back-off whatever address the guesses come from. In the database, not in a worker's memory: every worker of
# a server sees the same count. A successful login deletes the row; rows quiet for a day are pruned.
api_login_failure = Table(
    "api_login_failure",
    access_metadata,
    Column("user_id", String(100), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failed_at", String(40), nullable=False),
    Index("ix_api_login_failure_last", "last_failed_at"),
)

# The first answer to a write with an Idempotency-Key, written in the same transaction as the write itself.
api_idempotency = Table(
    "api_idempotency",
    access_metadata,
    Column("user_id", String(100), primary_key=True),
    Column("idem_key", String(200), primary_key=True),
    Column("fingerprint", String(64), nullable=False),  # SHA-256 of method, path and body
    Column("status", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", String(40), nullable=False),
)

# Who read which person's data, when, through which request. Append-only: triggers refuse UPDATE and DELETE; and
# since the database's owner can switch triggers off, every row also carries ``chain``, SHA-256 of the previous
# row's chain and this row's canonical JSON, which the ledger commits to (services/access_chain.py). Rows are
# written only by that code, under the ledger's write lock, with ids it assigns one after another.
access_log = Table(
    "access_log",
    access_metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True),
    Column("at", String(40), nullable=False),
    Column("user_id", String(100), nullable=False),
    Column("agency_id", String(100), nullable=False),
    Column("action", String(60), nullable=False),
    Column("subject_kind", String(40), nullable=False),
    Column("subject_id", String(200), nullable=False),
    Column("request", String(400), nullable=False),
    Column("chain", LargeBinary(32), nullable=False),
    Index("ix_access_log_subject", "subject_kind", "subject_id"),
)

ACCESS_LOG_FIELDS = ("id", "at", "user_id", "agency_id", "action", "subject_kind", "subject_id", "request")
"""The columns a row's chain hash covers: every one but the hash itself."""

ACCESS_APPEND_ONLY = ("access_log",)

"""The HTTP interface's tables as `habeas init` made them before there were migrations (src/habeas/storage/access.py
at revision 0001_baseline), frozen: the code's definitions have moved on since (revision 0002 and later), and the
tests that build a pre-migration database must build the one a deployment of that time really has."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, String, Table, Text

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
    Column("expires_at", String(40)),
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

# Who read which person's data, when, through which request. Append-only: triggers refuse UPDATE and DELETE.
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
    Index("ix_access_log_subject", "subject_kind", "subject_id"),
)

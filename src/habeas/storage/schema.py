"""Tables. The ledger tables are append-only; everything else is a projection rebuilt from them."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
)

metadata = MetaData()

# One row a leaf. `leaf` is the exact canonical public entry; type and stream are copied out of it so feeds and
# erasure can select without parsing JSON. One secondary index only (by stream): each index costs every append.
ledger_entry = Table(
    "ledger_entry",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("type", String(100), nullable=False),
    Column("stream", String(100), nullable=False),
    Column("leaf", LargeBinary, nullable=False),
    Column("leaf_hash", LargeBinary(32), nullable=False),
    Index("ix_ledger_entry_stream", "stream", "seq"),
)

# The personal data an entry commits to: SHA-256(salt || payload) is the leaf's `private` field. A lawful erasure
# deletes the row (salt and payload together), which leaves the commitment, and so the log, verifiable.
ledger_private = Table(
    "ledger_private",
    metadata,
    Column("seq", BigInteger, ForeignKey("ledger_entry.seq"), primary_key=True, autoincrement=False),
    Column("salt", LargeBinary(32), nullable=False),
    Column("payload", LargeBinary, nullable=False),
)

# Hashes of the tree levels that tiles hold above the leaves: tile level L keeps tree level 8L. Level 0 is
# ledger_entry.leaf_hash. A tile is a range of 256 rows, so a full tile, made of rows that never change, never
# changes either.
ledger_tile_hash = Table(
    "ledger_tile_hash",
    metadata,
    Column("tile_level", SmallInteger, primary_key=True, autoincrement=False),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
)

# Every signed checkpoint, one per committed batch.
ledger_checkpoint = Table(
    "ledger_checkpoint",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("root", LargeBinary(32), nullable=False),
    Column("note", Text, nullable=False),
    Column("signed_at", String(40), nullable=False),
)

# The single row writers compare-and-swap on. It is not evidence of anything (verification never reads it);
# it is what makes a second writer with a stale view of the log fail instead of forking it.
ledger_head = Table(
    "ledger_head",
    metadata,
    Column("id", SmallInteger, primary_key=True, autoincrement=False),
    Column("size", BigInteger, nullable=False),
    Column("root", LargeBinary(32), nullable=False),
    CheckConstraint("id = 1", name="ck_ledger_head_single_row"),
)

APPEND_ONLY_TABLES = ("ledger_entry", "ledger_tile_hash", "ledger_checkpoint")
# Erasure deletes private rows; nothing may rewrite one.
NO_UPDATE_TABLES = ("ledger_private",)

"""The first answer to a write sent with an ``Idempotency-Key``: stored in the write's own transaction, replayed
to the same user sending the same key again.

A stored answer is found by (user, key); whether the request is the same one is the caller's decision, made
on the :func:`fingerprint` kept beside it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, select

from habeas.domain.values import format_utc
from habeas.ledger.canonical import CanonicalError, canonical
from habeas.storage.access import api_idempotency


@dataclass(frozen=True, kw_only=True)
class Stored:
    """The answer stored for a key: what request it answered (``fingerprint``), its status and JSON body."""

    fingerprint: str
    status: int
    body: Any


def fingerprint(method: str, target: str, body: bytes) -> str:
    """SHA-256 of the method, the target (path and query) and the body; a JSON body in its canonical form, so
    the same request re-encoded (keys in another order, other spacing) has the same fingerprint."""
    try:
        payload = canonical(json.loads(body)) if body else b""
    except (ValueError, TypeError, CanonicalError):
        payload = body
    return hashlib.sha256(f"{method} {target}\n".encode() + payload).hexdigest()


def replay(conn: Connection, user_id: str, key: str) -> Stored | None:
    """The answer stored for this user's key, or None."""
    t = api_idempotency
    row = conn.execute(select(t).where(and_(t.c.user_id == user_id, t.c.idem_key == key))).first()
    if row is None:
        return None
    return Stored(fingerprint=row.fingerprint, status=int(row.status), body=json.loads(row.body))


def store(
    tx: Connection, *, user_id: str, key: str, fingerprint: str, status: int, body: Any, now: datetime
) -> None:
    """Keep the answer in the write's transaction; a key already taken is refused (StorageConflict)."""
    tx.execute(
        api_idempotency.insert().values(
            user_id=user_id, idem_key=key, fingerprint=fingerprint, status=status, body=json.dumps(body),
            created_at=format_utc(now),
        )
    )

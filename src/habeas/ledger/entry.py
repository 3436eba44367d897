"""Ledger entries: the public, canonical leaf and the private payload it commits to.

A leaf is the RFC 8785 canonical JSON of ``{actor, body, occurred_at, private, recorded_at, seq, stream, type}``.
Everything but ``seq`` is known when a command is decided; ``seq`` is known only inside the writer's
transaction. So an entry is encoded once, outside the writer, without ``seq`` (:func:`prepare_entry`), and the
writer splices ``,"seq":N`` in (:func:`leaf_bytes`). That is byte-identical to encoding the whole entry, because
canonical JSON sorts keys ("recorded_at" < "seq" < "stream") and the top-level ``"stream"`` key is the last
place the text ``,"stream":`` can occur unescaped; a test holds it to that.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from habeas.domain.actors import SYSTEM, Actor
from habeas.domain.errors import HabeasError
from habeas.ledger.canonical import canonical

SALT_BYTES = 16
_STREAM_KEY = b',"stream":'
_PRIVATE_KEY = b',"private":'


class EntryError(HabeasError, ValueError):
    """An entry that cannot be written or read as a ledger entry."""


@dataclass(frozen=True, slots=True)
class PreparedEntry:
    """An entry encoded for the log, waiting for its sequence number."""

    type: str
    stream: str
    head: bytes  # canonical JSON of the public entry without "seq"
    cut: int  # where ',"seq":N' goes in head: just before the top-level "stream" key
    salt: bytes | None = None
    payload: bytes | None = None  # canonical JSON of the private payload


def iso_utc(t: datetime) -> str:
    """ISO 8601 in UTC with a Z; microseconds only when there are some. Naive times are refused."""
    if t.tzinfo is None or t.utcoffset() is None:
        raise EntryError(f"time {t!r} has no time zone; habeas stores UTC")
    t = t.astimezone(UTC)
    if t.year >= 1000:  # isoformat spells what strftime does, faster (below 1000 %Y is not zero-padded)
        return t.isoformat()[:-6] + "Z"  # "...+00:00" -> "...Z"; microseconds (all six) only when there are some
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if t.microsecond else "%Y-%m-%dT%H:%M:%SZ")


def commitment(salt: bytes, payload: bytes) -> bytes:
    return hashlib.sha256(salt + payload).digest()


def prepare_entry(
    *,
    type: str,
    stream: str,
    occurred_at: datetime,
    recorded_at: datetime,
    actor: Actor = SYSTEM,
    body: dict[str, Any] | None = None,
    private: dict[str, Any] | None = None,
    salt: bytes | None = None,
    body_json: bytes | None = None,
) -> PreparedEntry:
    """The entry encoded for the log, but for its ``seq``. ``body_json``, when given, is ``canonical(body)``
    already made (the projections store the same text, so a command encodes its body once)."""
    if not type or not stream:
        raise EntryError("an entry needs a type and a stream")
    payload = canonical(private) if private is not None else None
    if payload is not None:
        salt = salt if salt is not None else os.urandom(SALT_BYTES)
        commit: str | None = commitment(salt, payload).hex()
    else:
        salt, commit = None, None
    # The canonical JSON of the whole entry, written key by key in the sorted order canonical JSON puts them in
    # (actor < body < occurred_at < private < recorded_at < stream < type), so the body's encoding can be reused;
    # a test holds it equal to canonical() of the whole.
    head = b"".join((
        b'{"actor":', canonical(actor.as_json()),
        b',"body":', canonical(body or {}) if body_json is None else body_json,
        b',"occurred_at":', canonical(iso_utc(occurred_at)),
        b',"private":', canonical(commit),
        b',"recorded_at":', canonical(iso_utc(recorded_at)),
        _STREAM_KEY, canonical(stream),
        b',"type":', canonical(type), b"}",
    ))
    return PreparedEntry(type=type, stream=stream, head=head, cut=head.rfind(_STREAM_KEY), salt=salt, payload=payload)


def leaf_bytes(head: bytes, seq: int, cut: int | None = None) -> bytes:
    if cut is None:
        cut = head.rfind(_STREAM_KEY)
    if cut < 0:
        raise EntryError("a prepared entry has no stream")
    return b"%s,\"seq\":%d%s" % (head[:cut], seq, head[cut:])


def leaf_commitment(leaf: bytes) -> bytes | None:
    """The top-level ``private`` commitment of a leaf, or None when the entry has no private payload."""
    at = leaf.rfind(_PRIVATE_KEY)
    if at < 0:
        raise EntryError("the leaf has no private field")
    start = at + len(_PRIVATE_KEY)
    if leaf.startswith(b"null", start):
        return None
    end = leaf.find(b'"', start + 1)
    try:
        return bytes.fromhex(leaf[start + 1 : end].decode("ascii"))
    except ValueError as e:
        raise EntryError("the leaf's private field is not a hex commitment") from e


def parse_leaf(leaf: bytes) -> dict[str, Any]:
    try:
        value = json.loads(leaf)
    except (ValueError, UnicodeDecodeError) as e:
        raise EntryError(f"the leaf is not JSON: {e}") from e
    if not isinstance(value, dict):
        raise EntryError("the leaf is not a JSON object")
    return value

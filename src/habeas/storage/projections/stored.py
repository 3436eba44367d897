"""Entries read back from the log as the appliers take them (:class:`Recorded`), a page at a time.

A rebuild reads every leaf and hands the appliers each entry's public body as stored: the body holds every public
field exactly as the event encoded it, so an applier projects it without the event being decoded. The private
payload is kept as read and parsed only if an applier asks for it (a registration's search keys).
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from habeas.domain.errors import DomainError, InvalidField
from habeas.domain.events import EventType, event_class
from habeas.ledger.entry import EntryError, parse_leaf
from habeas.storage.projections.rows import Recorded, UnreadableEntry
from habeas.storage.schema import ledger_private


def _private_payloads(conn: Connection, start: int, end: int) -> dict[int, bytes]:
    """The private payloads (not erased) of entries ``start`` to ``end``, read from the driver as the leaves are:
    a rebuild reads every one, and SQLAlchemy's row objects cost more than the read."""
    p = "?" if conn.dialect.name == "sqlite" else "%s"
    cursor = conn.connection.cursor()
    try:
        cursor.execute(f"SELECT seq, payload FROM {ledger_private.name} WHERE seq >= {p} AND seq < {p}", (start, end))
        return {int(seq): bytes(payload) for seq, payload in cursor.fetchall()}
    finally:
        cursor.close()


def read_page(conn: Connection, rows: Sequence[tuple[int, bytes, bytes]]) -> list[Recorded]:
    """A page of stored entries (seq, leaf, leaf hash; in seq order) as the appliers take them: type, stream,
    public body, private payload, and the recording officer's agency.

    The fields are checked against the event type as decoding would check them (none unknown, none required
    missing), so an entry that cannot be an event of its type is refused here, by its seq.
    """
    if not rows:
        return []
    private = _private_payloads(conn, rows[0][0], rows[-1][0] + 1)
    out = []
    for seq, leaf, _ in rows:
        try:
            try:  # a leaf is canonical JSON: parsed without a fractional number, its body can be written back fast
                entry, in_order = _LEAF.decode(leaf.decode()), True
            except _Fractional:
                entry, in_order = parse_leaf(leaf), False
            held = private.get(seq)
            _check_fields(entry["type"], entry["body"], held is not None)  # an unknown type is refused first
            out.append(Recorded(
                seq, _TYPES[entry["type"]], entry["stream"], body=entry["body"], private_json=held,
                agency=entry["actor"]["agency"], in_order=in_order,
            ))
        except (DomainError, EntryError, KeyError, TypeError, ValueError) as e:
            raise UnreadableEntry(seq, str(e)) from e
    return out


_TYPES = {t.value: t for t in EventType}  # a dict lookup: the enum's own call costs more than the rest of a check


class _Fractional(Exception):
    pass


def _no_fraction(text: str) -> float:
    raise _Fractional(text)


_LEAF = json.JSONDecoder(parse_float=_no_fraction, parse_constant=_no_fraction)


@functools.cache
def _fields(event_type: str) -> tuple[str, frozenset[str], frozenset[str], frozenset[str]]:
    """An event type's class name, public fields, public fields without a default, and private fields."""
    cls = event_class(event_type)  # an unknown type is refused here
    public, private = frozenset(cls.public_names()), frozenset(cls.private_names())
    required = frozenset(
        f.name for f in dataclasses.fields(cls)
        if f.name in public and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    )
    return cls.__name__, public, required, private


def _check_fields(event_type: str, body: Any, has_private: bool) -> None:
    """What decoding refuses in a body (the private payload is checked when an applier first reads it)."""
    name, public, required, private = _fields(event_type)
    if not isinstance(body, dict):
        raise InvalidField("body", body, "not a JSON object")
    if not body.keys() <= public:
        raise InvalidField(name, sorted(body.keys() - public), "unknown fields")
    if not required <= body.keys():
        raise InvalidField(name, sorted(required - body.keys()), "missing fields")
    if has_private and not private:
        raise InvalidField("private", None, f"{event_type} carries no private payload")

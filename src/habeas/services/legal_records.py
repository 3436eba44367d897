"""The records the gates read about a set of people, loaded in one statement a table for all of them.

Part of :mod:`habeas.services.legal_state` (which builds the people's legal states from what this reads): each
record rebuilt from its row's public body and its entry's private payload, as amended, with its seq, decoding only
the fields the gates use.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import types
import typing
from collections.abc import Callable, Sequence
from datetime import datetime
from enum import Enum
from typing import Any, NamedTuple

from sqlalchemy import BigInteger, ColumnElement, Connection, Text, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY

from habeas.domain.codec import decode, field_types
from habeas.domain.corrections import CorrectionAction
from habeas.domain.errors import InvalidField
from habeas.domain.events import EventType, event_class
from habeas.domain.values import parse_utc
from habeas.ledger.entry import parse_leaf
from habeas.services.held import Held, Steps, held_from_steps  # its rules, read here set-wise (see held_of)
from habeas.storage.projections.corrections import correction
from habeas.storage.projections.schema import KIND, record
from habeas.storage.schema import ledger_entry, ledger_private

# The personal records the gates read, and of each only the fields they use: decoding whole events (every field,
# then the event's own checks) cost most of a clearance's loading, for fields no gate reads.
_USED: dict[EventType, tuple[str, ...]] = {
    EventType.REMOVAL_ORDER_RECORDED: ("order_id", "period", "legal_basis", "destination_country", "final"),
    EventType.PROTECTION_RECORDED: ("protection_id", "period", "kind", "country"),
    EventType.STAY_RECORDED: ("stay_id", "period", "country"),
    EventType.NOTICE_SERVED: ("notice_id", "occurred_at", "language", "content_type", "copy_to_counsel"),
    EventType.COUNSEL_RECORDED: ("counsel_id", "period"),
    EventType.CONSULAR_RECORDED: ("notification_id", "country", "offered_at", "requested_at", "sent_at"),
    EventType.FITNESS_TO_TRAVEL_RECORDED: ("occurred_at", "fit", "valid_until"),
}
PERSONAL = tuple(_USED)
_TYPE_OF_KIND = {KIND[t]: t for t in PERSONAL}
_REQUIRED = object()  # a field with no default: an entry without it is damaged


# -- reading a set of people in one statement a table ------------------------------------------------------------


def among(
    column: ColumnElement[Any], conn: Connection, ids: Sequence[str] | Sequence[int], of: Any = Text
) -> ColumnElement[bool]:
    """``column IN (the ids)``, the ids bound as **one** parameter: a JSON array read by ``json_each`` on SQLite,
    an array (of ``of``: text) ``unnest``-ed on PostgreSQL. One statement reads any number of people (no chunk of 500 a
    statement, no bound-parameter limit), and its text, so SQLAlchemy's cached compilation, never changes."""
    values = list(ids)
    if conn.dialect.name == "postgresql":
        return column.in_(select(func.unnest(bindparam("ids", values, ARRAY(of), unique=True)).column_valued()))
    if conn.dialect.name == "sqlite":
        each = func.json_each(bindparam("ids", json.dumps(values), Text, unique=True)).table_valued("value")
        return column.in_(select(each.c.value))
    return column.in_(values)


class LegalRecord(NamedTuple):
    """A personal record as the gates read it: its type, whom it concerns, its entry and the fields they use
    (:data:`_USED`), decoded as :func:`habeas.domain.events.event_from` decodes them. (A named tuple: made once a
    record of everyone aboard, it costs a third of a frozen dataclass.)"""

    type: EventType
    person_id: str
    seq: int
    fields: dict[str, Any]


def _default(f: dataclasses.Field[Any]) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return _REQUIRED


Decoder = Callable[[Any, str], Any]


@functools.cache
def _decoder(tp: Any) -> Decoder:
    """``codec.decode`` of one field type, its branch chosen once (as ``codec.encoder`` does for encoding): a
    value of the expected JSON shape takes the short way (``str`` and ``bool`` as they are, a datetime by
    ``parse_utc``, an enum by its value, a dataclass field by field); anything else goes to ``codec.decode``,
    which answers as it always has (the value, or its named error)."""
    args = typing.get_args(tp) if typing.get_origin(tp) in (typing.Union, types.UnionType) else ()
    inner = next((a for a in args if a is not type(None)), tp) if len(args) == 2 and type(None) in args else tp
    optional = inner is not tp

    def slow(value: Any, name: str) -> Any:
        return decode(value, tp, name)

    if inner in (str, bool):
        return lambda v, n: v if type(v) is inner or (optional and v is None) else slow(v, n)
    if inner is datetime:
        return lambda v, n: parse_utc(v) if type(v) is str else None if optional and v is None else slow(v, n)
    if isinstance(inner, type) and issubclass(inner, Enum):
        members = {m.value: m for m in inner if type(m.value) is str}
        return lambda v, n: members[v] if type(v) is str and v in members else None if optional and v is None else (
            slow(v, n)
        )
    if isinstance(inner, type) and dataclasses.is_dataclass(inner):
        cls, hints = inner, field_types(inner)
        fields = {f.name: _decoder(hints[f.name]) for f in dataclasses.fields(cls)}
        required = frozenset(f.name for f in dataclasses.fields(cls) if _default(f) is _REQUIRED)

        def of_fields(v: Any, n: str) -> Any:
            if type(v) is dict and required <= v.keys() <= fields.keys():
                return cls(**{k: decoded(v[k], k) for k, decoded in fields.items() if k in v})
            return None if optional and v is None else slow(v, n)

        return of_fields
    return slow


class _Never:
    """No JSON value is of this type: a field whose decoder must always be called."""


def _as_is(tp: Any) -> type:
    """The type whose JSON values a field of type ``tp`` takes as they are (what :func:`_decoder` returns
    unchanged for ``str`` and ``bool``), so the decoder need not be called for them; else :class:`_Never`."""
    args = typing.get_args(tp) if typing.get_origin(tp) in (typing.Union, types.UnionType) else ()
    inner = next((a for a in args if a is not type(None)), tp) if len(args) == 2 and type(None) in args else tp
    return inner if inner in (str, bool) else _Never


@functools.cache
def _plan(event_type: EventType) -> tuple[tuple[str, Decoder, type, bool, Any], ...]:
    """For each used field of the type: its name, decoder, the type it takes as is, whether it is private, and
    its default."""
    cls = event_class(event_type.value)
    hints, private = field_types(cls), frozenset(cls.private_names())
    fields = {f.name: f for f in dataclasses.fields(cls)}
    return tuple(
        (n, _decoder(hints[n]), _as_is(hints[n]), n in private, _default(fields[n])) for n in _USED[event_type]
    )


def _decoded(event_type: EventType, public: dict[str, Any], private: dict[str, Any] | None) -> dict[str, Any]:
    """The used fields from the public body and the private payload (``None``, erased: the fields' defaults)."""
    out: dict[str, Any] = {}
    for name, decoded, as_is, is_private, default in _plan(event_type):
        source = private if is_private else public
        if source is not None and name in source:
            value = source[name]
            out[name] = value if type(value) is as_is else decoded(value, name)
        elif default is _REQUIRED:
            raise InvalidField(event_type.value, [name], "missing fields")
        else:
            out[name] = default
    return out


def _latest_amendments(conn: Connection, records: Any, seqs: Sequence[int]) -> dict[int, bytes | None]:
    """For each amended record among the seqs ``records`` selects (``seqs``, as read): its latest amendment's
    private payload, which carries the replacement's private part (``None``: erased).

    On SQLite the seqs are bound as one parameter (:func:`among`): its planner ran the subquery, so read every
    record a second time, whatever the amendments (most of this statement's time). PostgreSQL starts from the
    amendments and keeps the subquery: binding tens of thousands of seqs cost it more than that."""
    amended = (
        among(correction.c.corrected_seq, conn, seqs, BigInteger)
        if conn.dialect.name == "sqlite"
        else correction.c.corrected_seq.in_(records)
    )
    latest: dict[int, tuple[int, bytes | None]] = {}
    found = conn.execute(
        select(correction.c.corrected_seq, correction.c.seq, ledger_private.c.payload)
        .outerjoin_from(correction, ledger_private, ledger_private.c.seq == correction.c.seq)
        .where(correction.c.action == CorrectionAction.AMEND.value, amended)
    )
    for corrected, seq, payload in found:
        if int(corrected) not in latest or int(seq) > latest[int(corrected)][0]:
            latest[int(corrected)] = (int(seq), None if payload is None else bytes(payload))
    return {corrected: payload for corrected, (_, payload) in latest.items()}


def records_of(conn: Connection, ids: Sequence[str], types: Sequence[EventType]) -> dict[str, list[LegalRecord]]:
    """Each person's records of ``types`` (retracted ones left out), in log order, with what they say as it now
    stands (as amended; an erased payload gives the fields' defaults). Two statements whatever the number."""
    mine = (
        record.c.retracted.is_(False),
        record.c.kind.in_([KIND[t] for t in types]),
        among(record.c.person_id, conn, ids),
    )
    found = conn.execute(
        select(record.c.kind, record.c.person_id, record.c.seq, record.c.body, ledger_private.c.payload)
        .outerjoin_from(record, ledger_private, ledger_private.c.seq == record.c.seq)
        .where(*mine)
        .order_by(record.c.seq)
    ).all()
    amended = _latest_amendments(conn, select(record.c.seq).where(*mine), [int(r[2]) for r in found]) if found else {}
    held = [amended[int(r[2])] if int(r[2]) in amended else None if r[4] is None else bytes(r[4]) for r in found]
    payloads = iter(_leaves([h for h in held if h is not None]))
    bodies = json_many([r[3] for r in found])
    out: dict[str, list[LegalRecord]] = {p: [] for p in ids}
    for (kind, person_id, seq, _, _), own, body in zip(found, held, bodies, strict=True):
        payload: Any = None if own is None else next(payloads)
        if payload is not None and int(seq) in amended:
            payload = payload.get("replacement_private")
        private = payload if isinstance(payload, dict) else None
        t = _TYPE_OF_KIND[kind]
        out[person_id].append(LegalRecord(t, person_id, int(seq), _decoded(t, body, private)))
    return out


# Parsing many short JSON texts: ``json.loads`` of each of tens of thousands of bodies spent more time getting to
# the parser and back (its checks, the encoding detected, whitespace skipped by a regular expression) than
# parsing. The parser is called directly; a text it does not read whole, as one value, goes to ``json.loads``
# (or ``parse_leaf``), to be read or refused exactly as it always has.
_SCAN: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def _scanned(text: str) -> Any:
    """The value of ``text`` if it is one JSON value with nothing around it, else ``_NOT_READ``."""
    try:
        value, end = _SCAN(text, 0)
    except (StopIteration, ValueError):
        return _NOT_READ
    return value if end == len(text) else _NOT_READ


_NOT_READ = object()


def json_many(texts: Sequence[str]) -> list[Any]:
    """``[json.loads(t) for t in texts]``."""
    out = []
    for text in texts:
        value = _scanned(text)
        out.append(json.loads(text) if value is _NOT_READ else value)
    return out


def _leaves(leaves: Sequence[bytes]) -> list[dict[str, Any]]:
    """``[parse_leaf(b) for b in leaves]``."""
    out = []
    for leaf in leaves:
        try:
            value = _scanned(leaf.decode())
        except UnicodeDecodeError:
            value = _NOT_READ
        out.append(parse_leaf(leaf) if type(value) is not dict else value)
    return out


def held_of(conn: Connection, ids: Sequence[str]) -> dict[str, Held]:
    """:func:`habeas.services.held.held_facts` with one statement for everyone's custody entries (``held_facts``
    reads a chunk of 500 people a statement), then the facilities they name."""
    steps: Steps = {p: [] for p in ids}
    found = conn.execute(
        select(ledger_entry.c.stream, ledger_entry.c.leaf)
        .where(among(ledger_entry.c.stream, conn, ids), ledger_entry.c.type == EventType.CUSTODY_CHANGED.value)
        .order_by(ledger_entry.c.seq)
    )
    rows = found.all()
    for (stream, _), leaf in zip(rows, _leaves([bytes(leaf) for _, leaf in rows]), strict=True):
        body = leaf["body"]
        steps[stream].append(
            (body["transition"], body["from_status"], body.get("facility_id"), parse_utc(body["occurred_at"]))
        )
    return held_from_steps(conn, steps)


def rows_by_person(conn: Connection, query: Any) -> dict[str, Any]:
    return {r.person_id: r for r in conn.execute(query)}

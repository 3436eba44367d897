"""Which agency may see which person, manifest, handoff or incident: a projection, rebuilt from the log.

An agency's users see people in its custody, inbound to it, or sent by it. All three leave a trace in
the log: an entry recorded by one of its officers, or an entry naming the agency as custodian, legal authority,
releasing or receiving party. Every such entry adds (agency, subject) rows here, once; rows are never removed, so
an agency that handed a person on still sees what it did with them.

Which fields of an event can name a subject or an agency follows from its type alone, so each event class gets a
plan once (from its field types): the walk then visits only those fields, on the event (live) or on the entry's
stored body and private payload (a rebuild, which need not decode the event for it).
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import BigInteger, Column, Connection, Index, String, Table

from habeas.domain.codec import field_types
from habeas.domain.custody_commands import Authority, Custodian
from habeas.domain.events import Event, EventType, event_class
from habeas.storage.projections.batch import Batch, Row, insert_new
from habeas.storage.projections.rows import Recorded
from habeas.storage.projections.schema import metadata

PERSON, MANIFEST, HANDOFF, INCIDENT = "person", "manifest", "handoff", "incident"

scope = Table(
    "p_scope",
    metadata,
    Column("agency_id", String(100), primary_key=True),
    Column("subject_kind", String(20), primary_key=True),
    Column("subject_id", String(200), primary_key=True),
    Column("seq", BigInteger, nullable=False),  # the first entry that put the subject in the agency's view
    Index("ix_p_scope_subject", "subject_kind", "subject_id"),
)

_PERSON_FIELDS = frozenset({"person_id", "person_ids", "counted_person_ids", "people", "alternates", "duplicate_id"})
_SUBJECT_FIELDS = {"manifest_id": MANIFEST, "receipt_id": HANDOFF, "incident_id": INCIDENT}
# Entry types whose stream is the subject itself, by the type's first dotted word.
_STREAM_KINDS = {"person": PERSON, "custody": PERSON, "manifest": MANIFEST, "handoff": HANDOFF, "incident": INCIDENT}
# The ledger's own actor for imports and bootstrapping: not an agency anyone logs in as.
_NO_AGENCY = frozenset({"system"})
_AGENCY = "agency"
_INSERT = insert_new(scope)


def _walk(value: Any, name: str = "") -> Iterator[tuple[str, Any]]:
    """Every (field name, value) in an event, through nested dataclasses and tuples (what a plan visits, for a
    field whose type a plan cannot follow)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _walk(getattr(value, f.name), f.name)
    elif isinstance(value, tuple):
        for item in value:
            yield from _walk(item, name)
    else:
        yield name, value
    if isinstance(value, Custodian | Authority):
        yield "agency", value.agency_id


Found = tuple[set[tuple[str, str]], set[str]]
Visit = Callable[[Any, Found], None]


def _emit(name: str, value: Any, found: Found) -> None:
    if not isinstance(value, str):
        return
    if name in _PERSON_FIELDS:
        found[0].add((PERSON, value))
    elif name in _SUBJECT_FIELDS:
        found[0].add((_SUBJECT_FIELDS[name], value))
    elif name == _AGENCY:
        found[1].add(value)


class _Unplanned(Exception):
    """A field type a plan cannot follow: the class is walked whole instead."""


_NEVER_TEXT = (int, float, datetime, date, Decimal, bytes)


def _visitor(tp: Any, name: str, stored: bool) -> Visit | None:
    """How to visit a value of type ``tp`` held in field ``name``, on the object (or on its JSON when ``stored``);
    None when it can name nothing."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(inner) != 1:
            raise _Unplanned(tp)
        visit = _visitor(inner[0], name, stored)
        if visit is None:
            return None
        optional = visit
        return lambda v, found: None if v is None else optional(v, found)
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) != 2 or args[1] is not Ellipsis:
            raise _Unplanned(tp)
        each = _visitor(args[0], name, stored)
        if each is None:
            return None
        item_visit = each

        def visit_items(v: Any, found: Found) -> None:
            for item in v:
                item_visit(item, found)

        return visit_items
    if origin is dict:
        return None  # a JSON object carried as it is (a correction's replacement): a walk sees no text in it
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return _object_visitor(tp, stored)
    if isinstance(tp, type) and issubclass(tp, str):
        if name not in _PERSON_FIELDS and name not in _SUBJECT_FIELDS and name != _AGENCY:
            return None
        return lambda v, found: _emit(name, v, found)
    if isinstance(tp, type) and (issubclass(tp, _NEVER_TEXT) or (issubclass(tp, Enum) and not issubclass(tp, str))):
        return None
    raise _Unplanned(tp)


def _object_visitor(cls: type, stored: bool) -> Visit | None:
    hints = field_types(cls)
    parts = [(f.name, v) for f in dataclasses.fields(cls) if (v := _visitor(hints[f.name], f.name, stored))]
    agency = issubclass(cls, Custodian | Authority)
    if not parts and not agency:
        return None

    def visit(v: Any, found: Found) -> None:
        for field, part in parts:
            held = v.get(field) if stored else getattr(v, field)
            if held is not None:
                part(held, found)
        if agency:
            _emit(_AGENCY, v.get("agency_id") if stored else v.agency_id, found)

    return visit


@dataclasses.dataclass(frozen=True)
class _Plan:
    """The fields of an event class that can name a subject or an agency, and how to visit each."""

    stream_kind: str | None
    on_event: list[tuple[str, Visit]] | None  # None: walk the event whole
    on_public: list[tuple[str, Visit]]
    on_private: list[tuple[str, Visit]]


@functools.cache
def _plan(event_type: EventType) -> _Plan:
    cls = event_class(event_type.value)
    stream_kind = _STREAM_KINDS.get(event_type.value.split(".", 1)[0])
    hints = field_types(cls)
    private = set(cls.private_names())
    try:
        on_event = [(f.name, v) for f in dataclasses.fields(cls) if (v := _visitor(hints[f.name], f.name, False))]
        stored = [(f.name, v) for f in dataclasses.fields(cls) if (v := _visitor(hints[f.name], f.name, True))]
    except _Unplanned:
        return _Plan(stream_kind, None, [], [])
    return _Plan(
        stream_kind, on_event, [p for p in stored if p[0] not in private], [p for p in stored if p[0] in private]
    )


def subjects_and_agencies(event: Event) -> tuple[set[tuple[str, str]], set[str]]:
    """The (kind, id) subjects an event is about and the agencies it names."""
    plan = _plan(event.TYPE)
    found: Found = (set(), set())
    if plan.stream_kind is not None:
        found[0].add((plan.stream_kind, event.stream))
    if plan.on_event is None:
        for name, value in _walk(event):
            _emit(name, value, found)
        return found
    for field, visit in plan.on_event:
        value = getattr(event, field)
        if value is not None:
            visit(value, found)
    return found


def _of_stored(r: Recorded) -> tuple[set[tuple[str, str]], set[str]]:
    """:func:`subjects_and_agencies` of an entry read back from the log, from its body and private payload."""
    plan = _plan(r.type)
    if r.live or plan.on_event is None or (plan.on_private and r.private is None):
        return subjects_and_agencies(r.event)  # an erased payload: the event's defaults stand in for it
    found: Found = (set(), set())
    if plan.stream_kind is not None:
        found[0].add((plan.stream_kind, r.stream))
    body = r.body
    for field, visit in plan.on_public:
        value = body.get(field)
        if value is not None:
            visit(value, found)
    if plan.on_private:  # the payload is parsed only for a type whose private fields can name someone
        private = r.private or {}
        for field, visit in plan.on_private:
            value = private.get(field)
            if value is not None:
                visit(value, found)
    return found


def _rows(entries: Iterable[tuple[int, tuple[set[tuple[str, str]], set[str]], str]]) -> list[Row]:
    rows: dict[tuple[str, str, str], int] = {}
    for seq, (subjects, agencies), actor_agency in entries:
        for agency in (agencies | {actor_agency}) - _NO_AGENCY:
            for kind, subject in subjects:
                rows.setdefault((agency, kind, subject), seq)
    return [{"agency_id": a, "subject_kind": k, "subject_id": s, "seq": q} for (a, k, s), q in sorted(rows.items())]


def apply_scope(conn: Connection, entries: Iterable[tuple[int, Event]], actor_agency: str) -> None:
    """Record who may see what for entries recorded by an officer of ``actor_agency``."""
    rows = _rows((seq, subjects_and_agencies(event), actor_agency) for seq, event in entries)
    if rows:  # through a Batch: the statement compiled once, sent to the driver as it is (batch.py)
        batch = Batch(conn)
        batch.add(scope, _INSERT[batch.dialect], rows)
        batch.flush()


def scope_many(batch: Batch, items: Sequence[Recorded]) -> None:
    """Who may see what for entries read back from the log, each with its recording officer's agency."""
    rows = []
    for r in items:
        assert r.agency is not None
        rows.append((r.seq, _of_stored(r), r.agency))
    batch.add(
        scope, _INSERT[batch.dialect], _rows(rows), key=lambda row: (row["agency_id"], row["subject_kind"],
                                                                       row["subject_id"]), keep_first=True,
    )

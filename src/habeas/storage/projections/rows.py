"""The shapes appliers share: the entry as an applier sees it, the applier type, and the table-driven appliers that
insert or update one row an event.

An applier is set-wise: it takes a run of consecutive entries of its type and queues their rows in a batch
(:mod:`habeas.storage.projections.batch`), which sends them at the end as one executemany per statement (so a
command, a clearance of 10,000 people and a rebuild's page of 10,000 entries all cost a few statements a table,
not one a row). Each statement is built once, when its module is imported, never per row.

An entry reaches an applier as a :class:`Recorded`: on the live path with the event the command made, in a
rebuild with the public body and private payload read back from the log. Table-driven appliers read a field from
whichever is there (the body holds every public field exactly as the event encodes it, so the two give the same
row); an applier that needs the domain's object asks for ``event`` and a rebuild decodes it then.

Most events project as one row: their fields, made plain (times as UTC text, enums as their value, id lists as
canonical JSON), into a table's columns of the same names. :class:`InsertRow` and :class:`UpdateRow` do that
from a small spec (which event, which table, which columns come from elsewhere), so a concept module states its
projection as data instead of a function a table.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from enum import Enum
from operator import attrgetter
from typing import Any

from sqlalchemy import Connection, Table, bindparam, update

from habeas.domain.errors import DomainError, HabeasError
from habeas.domain.events import Event, EventType, event_class, event_from
from habeas.domain.values import format_utc
from habeas.ledger.canonical import canonical
from habeas.storage.projections.batch import Batch, Row


class UnreadableEntry(HabeasError):
    """A stored entry that does not decode into its event (a rebuild names it)."""

    def __init__(self, seq: int, reason: str) -> None:
        super().__init__(f"entry {seq} cannot be read: {reason}")
        self.seq = seq
        self.reason = reason


class Recorded:
    """One entry as the appliers see it: its seq, type and stream, with the event the command made (live) or the
    public body and private payload read back from the log (a rebuild); the other is made on first use."""

    __slots__ = (
        "_body", "_event", "_in_order", "_private", "_private_json", "agency", "live", "seq", "stream", "type",
    )

    def __init__(
        self, seq: int, type: EventType, stream: str, *, event: Event | None = None,
        body: dict[str, Any] | None = None, private_json: bytes | None = None, agency: str | None = None,
        in_order: bool = False,
    ) -> None:
        self.seq = seq
        self.type = type
        self.stream = stream
        self._event = event
        self._body = body
        # The event is the command's own: appliers read fields from it (a rebuild reads them from the body).
        self.live = body is None
        self._private_json = private_json  # the stored private payload, parsed only if an applier reads it
        self._private: dict[str, Any] | None = None
        self.agency = agency  # the recording officer's agency (a rebuild applies who may see what with it)
        self._in_order = in_order  # the body was parsed from canonical JSON holding no fractional number

    @classmethod
    def of(cls, seq: int, event: Event) -> Recorded:
        return cls(seq, event.TYPE, event.stream, event=event)

    @property
    def event(self) -> Event:
        if self._event is None:
            private = self.private
            try:
                self._event = event_from(self.type.value, self.stream, self.body, private)
            except (DomainError, KeyError, TypeError, ValueError) as e:
                raise UnreadableEntry(self.seq, str(e)) from e
        return self._event

    @property
    def private(self) -> dict[str, Any] | None:
        """A stored entry's private payload (None once erased, and on the live path, which has the event)."""
        if self._private is None and self._private_json is not None:
            try:
                held = json.loads(self._private_json)
            except ValueError as e:
                raise UnreadableEntry(self.seq, f"the private payload is not JSON: {e}") from e
            if not isinstance(held, dict):
                raise UnreadableEntry(self.seq, "the private payload is not a JSON object")
            unknown = held.keys() - set(event_class(self.type.value).private_names())
            if unknown:
                raise UnreadableEntry(self.seq, f"unknown private fields {sorted(unknown)}")
            self._private = held
        return self._private

    @property
    def body(self) -> dict[str, Any]:
        """The public body: what the entry holds (the event's ``public()``, computed once)."""
        if self._body is None:
            assert self._event is not None
            self._body = self._event.public()
        return self._body

    def body_json(self) -> str:
        """The public body as canonical JSON (RFC 8785), as projections store it.

        A body parsed from a canonical leaf (``in_order``) already has its keys in canonical order, at every
        depth (a dict keeps the order it was parsed in), and holds only strings, integers, booleans and nulls:
        the standard library's C encoder then writes the same bytes as :func:`canonical` (the same string
        escaper, integers as their digits), several times faster.
        """
        if self._in_order and self._body is not None:
            return _IN_ORDER.encode(self._body)
        if self._event is not None and self.live:  # the text the entry was made of (services/unit_of_work.py)
            return self._event.public_encoded(canonical).decode()
        return body_json(self.body)


_IN_ORDER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)


class Batched:
    """An applier: brings the projections up to date with a run of consecutive entries of its type at once
    (see ``catalog.apply_many``), by queueing the rows that applying them one by one would leave."""

    def __init__(self, many: Callable[[Batch, Sequence[Recorded]], None] | None = None) -> None:
        self._many = many

    def many(self, batch: Batch, items: Sequence[Recorded]) -> None:
        if self._many is None:
            raise NotImplementedError(f"{type(self).__name__} must define many()")
        self._many(batch, items)

    def __call__(self, conn: Connection, seq: int, event: Event) -> None:
        """Apply one entry now (what the appliers were before they took runs)."""
        batch = Batch(conn)
        self.many(batch, [Recorded.of(seq, event)])
        batch.flush()


Applier = Batched
"""Brings the projections up to date with runs of entries, in the caller's transaction."""


def body_json(public: dict[str, Any]) -> str:
    return canonical(public).decode()


def plain(value: Any) -> Any:
    """A field's value as the projections store it (the same text as its JSON in the entry)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return format_utc(value)
    if isinstance(value, tuple):
        return canonical(list(value)).decode()
    if isinstance(value, Decimal):
        return str(value)  # money and rates stay exact: text, never a float
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")  # as the entry spells it
    return value


def stored_plain(value: Any) -> Any:
    """A value read from an entry's body, as the projections store it: what :func:`plain` makes of the field."""
    return canonical(value).decode() if isinstance(value, list) else value


class Source:
    """Where a column's value comes from: a function of the event (live) and the same of the stored body."""

    def __init__(self, of_event: Callable[[Event], Any], of_stored: Callable[[Recorded], Any]) -> None:
        self.of_event = of_event
        self.of_stored = of_stored


def const(value: Any) -> Source:
    """A source that is the same for every event (a status the event implies)."""
    made = plain(value)
    return Source(lambda _e: made, lambda _r: made)


def count(field: str) -> Source:
    """The number of items in a list field."""
    get = attrgetter(field)
    return Source(lambda e: len(get(e)), lambda r: len(r.body[field]))


def path(event_type: type[Event], dotted: str, *, where: str) -> Source:
    """The field at ``dotted`` ("authority.agency_id"; "stream" is the entry's), made plain.

    A rebuild reads a public field from the entry's body; a private one (a projection that keeps a record's
    content, such as an override's reason) from the decoded event, so an erased payload gives its default.
    """
    first = dotted.split(".", 1)[0]
    if first == "stream":
        return Source(lambda e: e.stream, lambda r: r.stream)
    names = {f.name for f in dataclasses.fields(event_type)}
    if first not in names:
        raise ValueError(f"{event_type.__name__} has no field {dotted!r} for {where}")
    get = attrgetter(dotted)
    if first not in event_type.public_names():
        return Source(lambda e: plain(get(e)), lambda r: plain(get(r.event)))
    steps = dotted.split(".")

    def of_stored(r: Recorded) -> Any:
        value: Any = r.body
        for step in steps:
            if value is None:
                return None
            if step not in value:  # an older body, from before the field was added: the decoded default
                return plain(get(r.event))
            value = value[step]
        return stored_plain(value)

    return Source(lambda e: plain(get(e)), of_stored)


Spec = str | Source
# Where a column's value comes from: a dotted path into the event ("authority.agency_id"), or a Source.


def _sources(event_type: type[Event], table: Table, specs: Mapping[str, Spec]) -> list[tuple[str, Source]]:
    """Each column's source; a spec that names a column or field that does not exist fails at import."""
    unknown = set(specs) - {c.name for c in table.columns}
    if unknown:
        raise ValueError(f"{table.name} has no column {sorted(unknown)}")
    return [
        (column, spec if isinstance(spec, Source) else path(event_type, spec, where=f"{table.name}.{column}"))
        for column, spec in specs.items()
    ]


def row_maker(sources: Sequence[tuple[str, Source]]) -> Callable[[Recorded], Row]:
    """A function of an entry giving the columns' values, from the event when live and from the body otherwise."""
    live = [(column, s.of_event) for column, s in sources]
    stored = [(column, s.of_stored) for column, s in sources]

    def make(r: Recorded) -> Row:
        if r.live:
            event = r.event
            return {column: get(event) for column, get in live}
        return {column: get(r) for column, get in stored}

    return make


class InsertRow(Batched):
    """Applier: one new row an event. Each column takes the event's field of the same name unless ``sources``
    says otherwise; ``seq`` is the entry's; ``later`` columns are left empty for a later event to fill in."""

    def __init__(self, event_type: type[Event], table: Table, /, *, later: Sequence[str] = (), **sources: Spec):
        super().__init__()
        self.event_type = event_type
        self.table = table
        own = {c.name: c.name for c in table.columns if c.name not in {"seq", *later, *sources}}
        self._row = row_maker(_sources(event_type, table, {**own, **sources}))
        self._empty = dict.fromkeys(later)
        self._insert = table.insert()

    def many(self, batch: Batch, items: Sequence[Recorded]) -> None:
        batch.add(self.table, self._insert, [{**self._row(r), **self._empty, "seq": r.seq} for r in items])


class UpdateRow(Batched):
    """Applier: update the row whose ``key`` column equals the event's ``key`` source: the ``sources`` columns
    from the event, and ``seq_column`` to the entry's seq."""

    def __init__(
        self, event_type: type[Event], table: Table, /, *, key: tuple[str, Spec], seq_column: str, **sources: Spec
    ):
        super().__init__()
        self.event_type = event_type
        self.table = table
        [(column, key_source)] = _sources(event_type, table, {key[0]: key[1]})
        self._key = row_maker([("k_key", key_source)])
        self._row = row_maker([(f"v_{c}", s) for c, s in _sources(event_type, table, sources)])
        self._seq_column = f"v_{seq_column}"
        values: dict[str, Any] = {c: bindparam(f"v_{c}") for c in [*sources, seq_column]}
        self._update = update(table).where(table.c[column] == bindparam("k_key")).values(values)

    def many(self, batch: Batch, items: Sequence[Recorded]) -> None:
        rows = [{**self._row(r), self._seq_column: r.seq, **self._key(r)} for r in items]
        batch.add(self.table, self._update, rows)

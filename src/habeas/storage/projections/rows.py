"""The shapes appliers share: the applier types, and the table-driven appliers that insert or update one row.

Most events project as one row: their fields, made plain (times as UTC text, enums as their value, id lists as
canonical JSON), into a table's columns of the same names. :class:`InsertRow` and :class:`UpdateRow` do that
from a small spec (which event, which table, which columns come from elsewhere), so a concept module states its
projection as data instead of a function a table.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from enum import Enum
from operator import attrgetter
from typing import Any

from sqlalchemy import Connection, Table, bindparam, update

from habeas.domain.events import Event
from habeas.domain.values import format_utc
from habeas.ledger.canonical import canonical

Applier = Callable[[Connection, int, Event], None]
"""Brings the projections up to date with one entry (its seq and event), in the caller's transaction."""

Getter = Callable[[Event], Any]
# Where a column's value comes from: a dotted path into the event ("authority.agency_id"), or a function of it.
Source = str | Getter


class Batched:
    """An applier that also takes a run of consecutive entries of its type at once (see ``apply_many``).

    ``many`` writes the rows that applying the entries one by one would leave, in a few statements.
    """

    def __init__(self, many: Callable[[Connection, Sequence[tuple[int, Event]]], None]) -> None:
        self.many = many

    def __call__(self, conn: Connection, seq: int, event: Event) -> None:
        self.many(conn, [(seq, event)])


def body_json(public: dict[str, Any]) -> str:
    return canonical(public).decode()


def plain(value: Any) -> Any:
    """A field's value as the projections store it."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return format_utc(value)
    if isinstance(value, tuple):
        return canonical(list(value)).decode()
    if isinstance(value, Decimal):
        return str(value)  # money and rates stay exact: text, never a float
    return value


def const(value: Any) -> Getter:
    """A source that is the same for every event (a status the event implies)."""
    return lambda _event: value


def _getters(event_type: type[Event], table: Table, sources: dict[str, Source]) -> list[tuple[str, Getter]]:
    """Each column's getter; a spec that names a column or field that does not exist fails at import."""
    fields = {f.name for f in dataclasses.fields(event_type)}
    unknown = set(sources) - {c.name for c in table.columns}
    if unknown:
        raise ValueError(f"{table.name} has no column {sorted(unknown)}")
    getters: list[tuple[str, Getter]] = []
    for column, source in sources.items():
        if isinstance(source, str) and source.split(".", 1)[0] not in fields:
            raise ValueError(f"{event_type.__name__} has no field {source!r} for {table.name}.{column}")
        getters.append((column, attrgetter(source) if isinstance(source, str) else source))
    return getters


class InsertRow:
    """Applier: one new row an event. Each column takes the event's field of the same name unless ``sources``
    says otherwise; ``seq`` is the entry's; ``later`` columns are left empty for a later event to fill in."""

    def __init__(self, event_type: type[Event], table: Table, /, *, later: Sequence[str] = (), **sources: Source):
        self.event_type = event_type
        self.table = table
        own = {c.name: c.name for c in table.columns if c.name not in {"seq", *later, *sources}}
        self._getters = _getters(event_type, table, {**own, **sources})
        self._empty = dict.fromkeys(later)
        self._insert = table.insert()

    def __call__(self, conn: Connection, seq: int, event: Event) -> None:
        assert isinstance(event, self.event_type)
        row = {column: plain(get(event)) for column, get in self._getters}
        conn.execute(self._insert, {**row, **self._empty, "seq": seq})


class UpdateRow:
    """Applier: update the row whose ``key`` column equals the event's ``key`` source: the ``sources`` columns
    from the event, and ``seq_column`` to the entry's seq."""

    def __init__(
        self, event_type: type[Event], table: Table, /, *, key: tuple[str, Source], seq_column: str, **sources: Source
    ):
        self.event_type = event_type
        [(column, self._key)] = _getters(event_type, table, {key[0]: key[1]})
        self._getters = _getters(event_type, table, sources)
        self._seq_column = seq_column
        values: dict[str, Any] = {c: bindparam(f"v_{c}") for c in [*sources, seq_column]}
        self._update = update(table).where(table.c[column] == bindparam("k_key")).values(values)

    def __call__(self, conn: Connection, seq: int, event: Event) -> None:
        assert isinstance(event, self.event_type)
        params = {f"v_{column}": plain(get(event)) for column, get in self._getters}
        conn.execute(self._update, {**params, f"v_{self._seq_column}": seq, "k_key": self._key(event)})

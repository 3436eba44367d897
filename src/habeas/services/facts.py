"""What one command's checks and decision read, read once.

The door checks a command (who may issue it, whether an open alert holds the people it moves, the invariants) and
then its handler decides it; each loads the state it rests on, and several load the same facts: an admission's
custody state is read by the authorisation and again by the decision. Inside :func:`deciding` those loads go
through a memo kept for the one command, and a command with a loader (the door passes it) has the memo filled
first, in one query, with everything its checks and decision will ask.

The memo never outlives the state it was read from: :meth:`habeas.services.unit_of_work.UnitOfWork.record` calls
:func:`forget` before the command's first write, and the memo ends with the command. Outside :func:`deciding` (a
query, a reaction's own reads after a write) every load reads the database as before.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from sqlalchemy import Connection

T = TypeVar("T")
Memo = dict[Hashable, Any]
Loader = Callable[[Connection, Any, Memo], None]
"""Fills the memo with what a command's checks and decision will ask, in as few queries as it can."""

_MEMO: ContextVar[Memo | None] = ContextVar("habeas_facts", default=None)
_MISSING = object()


@contextmanager
def deciding(conn: Connection, cmd: Any, loader: Loader | None = None) -> Iterator[None]:
    """A memo for one command's checks and decision, first filled by ``loader`` if there is one."""
    memo: Memo = {}
    token = _MEMO.set(memo)
    try:
        if loader is not None:
            loader(conn, cmd, memo)
        yield
    finally:
        _MEMO.reset(token)


# The memo's keys: what each load is of.
def person_key(person_id: str) -> Hashable:
    return ("person", person_id)  # records.person_state


def custody_key(person_id: str) -> Hashable:
    return ("custody", person_id)  # custody.custody_state


def record_key(kind: str, record_id: str) -> Hashable:
    return ("record", kind, record_id)  # records.record_exists


def officer_key(officer_id: str) -> Hashable:
    return ("officer", officer_id)  # custody's officer reference


def unit_area_key(facility_id: str, unit_id: str) -> Hashable:
    return ("unit area", facility_id, unit_id)  # invariants.within_capacity


def alerted_key(person_id: str) -> Hashable:
    return ("alerted", person_id)  # alert_binding: whether any alert row names the person


def others_key(facility_id: str, unit_id: str, person_id: str) -> Hashable:
    return ("others", facility_id, unit_id, person_id)  # invariants.within_capacity: see OTHERS_BOUND


OTHERS_BOUND = 64
"""A loader counts the unit's other occupants up to this many: below it the count is exact and the capacity
check needs no query of its own (a cell holds fewer); at it, the check counts again, up to the unit's capacity."""


def remembered(key: Hashable, load: Callable[[], T]) -> T:
    """``load()``, or what it gave (or the loader put) under ``key`` earlier in this command's decision."""
    memo = _MEMO.get()
    if memo is None:
        return load()
    value = memo.get(key, _MISSING)
    if value is _MISSING:
        value = memo[key] = load()
    return value  # type: ignore[no-any-return]


def known(key: Hashable) -> Any:
    """What the memo holds under ``key``, or None (not loaded, or outside a decision)."""
    memo = _MEMO.get()
    return None if memo is None else memo.get(key)


def forget() -> None:
    """The command is about to write: nothing read so far may be answered from the memo again."""
    memo = _MEMO.get()
    if memo is not None:
        memo.clear()

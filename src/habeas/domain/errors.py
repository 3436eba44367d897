"""Named refusals of the domain.

Every error carries the ids it is about as attributes and a one-line message naming them. ``code`` is the
stable slug the HTTP layer puts in an RFC 9457 problem ``type``; which HTTP status a refusal becomes is the
API's decision (``habeas.api.problems``), not the domain's.
"""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Any, ClassVar

MAX_SHOWN = 80  # characters of a value an error echoes: a 100 KB name must not come back in full


def shown(value: Any) -> str:
    """A value as an error message shows it: text quoted, a date or a partial date as written (``2023-02-30``),
    anything longer than :data:`MAX_SHOWN` characters cut with an ellipsis."""
    if isinstance(value, str):
        text = str(value)  # a StrEnum member as its value
        return repr(text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "\u2026")
    if isinstance(value, Enum):
        out = str(value.value)
    elif isinstance(value, date):
        out = value.isoformat()
    elif any("__str__" in vars(cls) for cls in type(value).__mro__[:-1]):
        out = str(value)  # a type that says how it is written (PartialDate, Decimal)
    else:
        out = repr(value)
    return out if len(out) <= MAX_SHOWN else out[: MAX_SHOWN - 1] + "\u2026"


class HabeasError(Exception):
    """The root of every error habeas raises on purpose: a one-line reason that says how to fix it.

    Entry points catch this (and OSError) and show it as one line; anything else is a bug and keeps its
    traceback. It lives in the domain so the pure floor can raise it without importing anything above it.
    """


class DomainError(HabeasError):
    """Base of every refusal the domain makes."""

    code: ClassVar[str] = "domain-error"


class InvalidField(DomainError):
    """A field's value is malformed or inconsistent with another field."""

    code = "invalid-field"

    def __init__(self, field: str, value: Any, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"invalid {field} {shown(value)}: {reason}")


class UnknownRecord(DomainError):
    """A record the command refers to does not exist."""

    code = "unknown-record"

    def __init__(self, kind: str, record_id: str) -> None:
        self.kind = kind
        self.record_id = record_id
        super().__init__(f"unknown {kind} {shown(record_id)}")


class AlreadyExists(DomainError):
    """A record with this id is already registered."""

    code = "already-exists"

    def __init__(self, kind: str, record_id: str) -> None:
        self.kind = kind
        self.record_id = record_id
        super().__init__(f"{kind} {shown(record_id)} already exists")


class InvalidTransition(DomainError):
    """A custody transition not allowed from the person's current state."""

    code = "invalid-transition"

    def __init__(self, person_id: str, from_state: str, to_state: str) -> None:
        self.person_id = person_id
        self.from_state = from_state
        self.to_state = to_state
        super().__init__(f"person {shown(person_id)} cannot go from {from_state} to {to_state}")


class InvalidStatusChange(DomainError):
    """A status change a record's transition table does not allow (e.g. an allegation)."""

    code = "invalid-status-change"

    def __init__(self, kind: str, record_id: str, from_status: str, to_status: str) -> None:
        self.kind = kind
        self.record_id = record_id
        self.from_status = from_status
        self.to_status = to_status
        super().__init__(f"{kind} {shown(record_id)} cannot go from {from_status} to {to_status}")


class PersonWasMerged(DomainError):
    """The person record was merged into another; commands must name the surviving record."""

    code = "person-merged"

    def __init__(self, person_id: str, into_person_id: str) -> None:
        self.person_id = person_id
        self.into_person_id = into_person_id
        super().__init__(f"person {shown(person_id)} was merged into {shown(into_person_id)}")


class PersonWasErased(DomainError):
    """The person's personal data was erased; no new personal data may be attached."""

    code = "person-erased"

    def __init__(self, person_id: str) -> None:
        self.person_id = person_id
        super().__init__(f"person {shown(person_id)} was erased")


class Refused(DomainError):
    """A command that conflicts with the current state for a reason named by ``reason`` (a short slug)."""

    code = "refused"

    def __init__(self, kind: str, record_id: str, reason: str) -> None:
        self.kind = kind
        self.record_id = record_id
        self.reason = reason
        super().__init__(f"{kind} {shown(record_id)} refused: {reason}")


class UnknownEventType(DomainError):
    """A stored entry names an event type this code does not know (a newer writer, or corruption)."""

    code = "unknown-event-type"

    def __init__(self, event_type: str) -> None:
        self.event_type = event_type
        super().__init__(f"unknown event type {shown(event_type)}")

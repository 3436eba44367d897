"""Named refusals of the domain.

Every error carries the ids it is about as attributes and a one-line message naming them. ``code`` is the
stable slug the HTTP layer puts in an RFC 9457 problem ``type``; which HTTP status a refusal becomes is the
API's decision (``habeas.api.problems``), not the domain's.
"""

from __future__ import annotations

from typing import Any, ClassVar


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
        super().__init__(f"invalid {field} {value!r}: {reason}")


class UnknownRecord(DomainError):
    """A record the command refers to does not exist."""

    code = "unknown-record"

    def __init__(self, kind: str, record_id: str) -> None:
        self.kind = kind
        self.record_id = record_id
        super().__init__(f"unknown {kind} {record_id!r}")


class AlreadyExists(DomainError):
    """A record with this id is already registered."""

    code = "already-exists"

    def __init__(self, kind: str, record_id: str) -> None:
        self.kind = kind
        self.record_id = record_id
        super().__init__(f"{kind} {record_id!r} already exists")


class InvalidTransition(DomainError):
    """A custody transition not allowed from the person's current state."""

    code = "invalid-transition"

    def __init__(self, person_id: str, from_state: str, to_state: str) -> None:
        self.person_id = person_id
        self.from_state = from_state
        self.to_state = to_state
        super().__init__(f"person {person_id!r} cannot go from {from_state} to {to_state}")


class InvalidStatusChange(DomainError):
    """A status change a record's transition table does not allow (e.g. an allegation)."""

    code = "invalid-status-change"

    def __init__(self, kind: str, record_id: str, from_status: str, to_status: str) -> None:
        self.kind = kind
        self.record_id = record_id
        self.from_status = from_status
        self.to_status = to_status
        super().__init__(f"{kind} {record_id!r} cannot go from {from_status} to {to_status}")


class PersonWasMerged(DomainError):
    """The person record was merged into another; commands must name the surviving record."""

    code = "person-merged"

    def __init__(self, person_id: str, into_person_id: str) -> None:
        self.person_id = person_id
        self.into_person_id = into_person_id
        super().__init__(f"person {person_id!r} was merged into {into_person_id!r}")


class PersonWasErased(DomainError):
    """The person's personal data was erased; no new personal data may be attached."""

    code = "person-erased"

    def __init__(self, person_id: str) -> None:
        self.person_id = person_id
        super().__init__(f"person {person_id!r} was erased")


class Refused(DomainError):
    """A command that conflicts with the current state for a reason named by ``reason`` (a short slug)."""

    code = "refused"

    def __init__(self, kind: str, record_id: str, reason: str) -> None:
        self.kind = kind
        self.record_id = record_id
        self.reason = reason
        super().__init__(f"{kind} {record_id!r} refused: {reason}")


class UnknownEventType(DomainError):
    """A stored entry names an event type this code does not know (a newer writer, or corruption)."""

    code = "unknown-event-type"

    def __init__(self, event_type: str) -> None:
        self.event_type = event_type
        super().__init__(f"unknown event type {event_type!r}")

"""Corrections and erasure: the ledger is never changed, a new entry names the one it corrects.

An amendment carries the corrected entry's complete replacement body (public and private parts, as the
original event type would write them), so a projection rebuild applies the replacement in place of the
original. A retraction carries none: the original no longer counts. Erasure is an entry too: its public part
is only the person's id (the stream) and a reason code; the services then delete the private payloads and
salts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

from habeas.domain.command import Command
from habeas.domain.errors import InvalidField, PersonWasErased, Refused, UnknownRecord
from habeas.domain.events import PRIVATE, Event, EventType
from habeas.domain.people import PersonState
from habeas.domain.values import require_not_future, require_slug

if TYPE_CHECKING:  # custody's own module is not needed to read a correction (a read command imports this one)
    from habeas.domain.custody import CustodyState


class CorrectionAction(StrEnum):
    AMEND = "amend"
    RETRACT = "retract"


class ErasureReason(StrEnum):
    DATA_SUBJECT_REQUEST = "data_subject_request"
    COURT_ORDER = "court_order"
    RETENTION_EXPIRED = "retention_expired"
    UNLAWFUL_PROCESSING = "unlawful_processing"


@dataclass(frozen=True, kw_only=True)
class EntryCorrected(Event):
    """``stream`` is the corrected entry's stream; ``corrected_seq`` its position in the log."""

    TYPE: ClassVar[EventType] = EventType.ENTRY_CORRECTED

    corrected_seq: int
    corrected_type: EventType
    action: CorrectionAction
    reason: str
    replacement_public: dict[str, Any] | None = None
    replacement_private: dict[str, Any] | None = field(default=None, metadata=PRIVATE)


@dataclass(frozen=True, kw_only=True)
class PersonErased(Event):
    TYPE: ClassVar[EventType] = EventType.PERSON_ERASED

    reason: ErasureReason


@dataclass(frozen=True, kw_only=True)
class EntryState:
    """The entry to correct, as the services found it: its seq, the event rebuilt from it, and whether a
    retraction already names it."""

    seq: int
    event: Event
    retracted: bool = False


# -- commands --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class AmendEntry(Command):
    corrected_seq: int
    occurred_at: datetime
    reason: str
    changes: Mapping[str, Any]


@dataclass(frozen=True, kw_only=True)
class RetractEntry(Command):
    corrected_seq: int
    occurred_at: datetime
    reason: str


@dataclass(frozen=True, kw_only=True)
class ErasePerson(Command):
    person_id: str
    occurred_at: datetime
    reason: ErasureReason


def _target(seq: int, entry: EntryState | None) -> EntryState:
    if entry is None or entry.seq != seq:
        raise UnknownRecord("entry", str(seq))
    if entry.retracted:
        raise Refused("entry", str(seq), "already retracted")
    if entry.event.TYPE in (EventType.ENTRY_CORRECTED, EventType.PERSON_ERASED):
        raise Refused("entry", str(seq), f"a {entry.event.TYPE} entry is not corrected; correct the original")
    return entry


def amend_entry(
    cmd: AmendEntry, *, entry: EntryState | None, now: datetime, subject_erased: bool = False
) -> list[Event]:
    """``cmd.changes`` maps field names of the original event to their corrected (domain-typed) values.

    ``subject_erased``: the entry's stream is a person whose personal data was erased. An amendment would carry
    a new private payload onto that stream, so it is refused like any other new personal data.
    """
    original = _target(cmd.corrected_seq, entry).event
    if subject_erased:
        raise PersonWasErased(original.stream)
    names = {f.name for f in dataclasses.fields(original)} - {"stream"}
    unknown = set(cmd.changes) - names
    if unknown or not cmd.changes:
        raise InvalidField("changes", sorted(unknown), f"not amendable fields of {original.TYPE}")
    amended = dataclasses.replace(original, **cmd.changes)  # re-runs the event's own validation
    if amended == original:
        raise InvalidField("changes", sorted(cmd.changes), "change nothing")
    return [
        EntryCorrected(
            stream=original.stream,
            occurred_at=require_not_future("occurred_at", cmd.occurred_at, now),
            corrected_seq=cmd.corrected_seq,
            corrected_type=original.TYPE,
            action=CorrectionAction.AMEND,
            reason=require_slug("reason", cmd.reason),
            replacement_public=amended.public(),
            replacement_private=amended.private(),
        )
    ]


def retract_entry(cmd: RetractEntry, *, entry: EntryState | None, now: datetime) -> list[Event]:
    original = _target(cmd.corrected_seq, entry).event
    return [
        EntryCorrected(
            stream=original.stream,
            occurred_at=require_not_future("occurred_at", cmd.occurred_at, now),
            corrected_seq=cmd.corrected_seq,
            corrected_type=original.TYPE,
            action=CorrectionAction.RETRACT,
            reason=require_slug("reason", cmd.reason),
        )
    ]


def erase_person(
    cmd: ErasePerson, *, person: PersonState | None, custody: CustodyState, now: datetime
) -> list[Event]:
    """Refused while the person is held: erasing the identity of someone in custody would hide them."""
    if person is None or person.person_id != cmd.person_id:
        raise UnknownRecord("person", cmd.person_id)
    if person.erased:
        raise PersonWasErased(cmd.person_id)
    from habeas.domain.custody import HELD

    if custody.status in HELD:
        raise Refused("person", cmd.person_id, f"held ({custody.status}); release or hand over first")
    return [
        PersonErased(
            stream=cmd.person_id,
            occurred_at=require_not_future("occurred_at", cmd.occurred_at, now),
            reason=ErasureReason(cmd.reason),
        )
    ]

"""Allegations and convictions: two separate types, and nothing converts one into the other.

An allegation (e.g. membership of a gang) is a claim with a source and an evidence reference; its status moves
only along :data:`ALLEGATION_TRANSITIONS`. Even an adjudicated allegation stays an allegation with an
adjudication outcome: a conviction is only ever recorded from a court, offence and date.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar

from habeas.domain.command import Command
from habeas.domain.errors import AlreadyExists, InvalidField, InvalidStatusChange, UnknownRecord
from habeas.domain.events import CONTENT, Event, EventType
from habeas.domain.people import PersonState, require_person
from habeas.domain.values import require_country, require_id, require_not_future, require_text


class AllegationStatus(StrEnum):
    ALLEGED = "alleged"
    CONTESTED = "contested"
    ADJUDICATED = "adjudicated"
    WITHDRAWN = "withdrawn"


class AdjudicationOutcome(StrEnum):
    SUSTAINED = "sustained"
    NOT_SUSTAINED = "not_sustained"


ALLEGATION_TRANSITIONS: Mapping[AllegationStatus, frozenset[AllegationStatus]] = {
    AllegationStatus.ALLEGED: frozenset(
        {AllegationStatus.CONTESTED, AllegationStatus.ADJUDICATED, AllegationStatus.WITHDRAWN}
    ),
    AllegationStatus.CONTESTED: frozenset({AllegationStatus.ADJUDICATED, AllegationStatus.WITHDRAWN}),
    AllegationStatus.ADJUDICATED: frozenset(),
    AllegationStatus.WITHDRAWN: frozenset(),
}


@dataclass(frozen=True, kw_only=True)
class AllegationState:
    allegation_id: str
    person_id: str
    status: AllegationStatus


@dataclass(frozen=True, kw_only=True)
class AllegationRecorded(Event):
    """``stream`` is the person the allegation is about. Only its existence is public: what it alleges, on what
    source and evidence, is private (``docs/public-log.md``)."""

    TYPE: ClassVar[EventType] = EventType.ALLEGATION_RECORDED

    allegation_id: str
    organisation: str | None = field(default=None, metadata=CONTENT)
    source: str | None = field(default=None, metadata=CONTENT)
    evidence_reference: str | None = field(default=None, metadata=CONTENT)


@dataclass(frozen=True, kw_only=True)
class AllegationStatusChanged(Event):
    TYPE: ClassVar[EventType] = EventType.ALLEGATION_STATUS_CHANGED

    allegation_id: str
    from_status: AllegationStatus
    to_status: AllegationStatus
    outcome: AdjudicationOutcome | None = field(default=None, metadata=CONTENT)
    decided_by: str | None = field(default=None, metadata=CONTENT)


@dataclass(frozen=True, kw_only=True)
class ConvictionRecorded(Event):
    """``occurred_at`` is when the conviction was recorded in the world; ``convicted_on`` the court's date."""

    TYPE: ClassVar[EventType] = EventType.CONVICTION_RECORDED

    conviction_id: str
    court: str | None = field(default=None, metadata=CONTENT)
    jurisdiction: str | None = field(default=None, metadata=CONTENT)
    offence: str | None = field(default=None, metadata=CONTENT)
    convicted_on: date | None = field(default=None, metadata=CONTENT)


# -- commands --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RecordAllegation(Command):
    allegation_id: str
    person_id: str
    occurred_at: datetime
    organisation: str
    source: str
    evidence_reference: str | None = None


@dataclass(frozen=True, kw_only=True)
class ChangeAllegationStatus(Command):
    allegation_id: str
    occurred_at: datetime
    to_status: AllegationStatus
    outcome: AdjudicationOutcome | None = None
    decided_by: str | None = None


@dataclass(frozen=True, kw_only=True)
class RecordConviction(Command):
    conviction_id: str
    person_id: str
    occurred_at: datetime
    court: str
    jurisdiction: str
    offence: str
    convicted_on: date


def record_allegation(
    cmd: RecordAllegation, *, person: PersonState | None, already_recorded: bool, now: datetime
) -> list[Event]:
    require_person(person, cmd.person_id)
    if already_recorded:
        raise AlreadyExists("allegation", cmd.allegation_id)
    evidence = cmd.evidence_reference
    return [
        AllegationRecorded(
            stream=cmd.person_id,
            occurred_at=require_not_future("occurred_at", cmd.occurred_at, now),
            allegation_id=require_id("allegation_id", cmd.allegation_id),
            organisation=require_text("organisation", cmd.organisation, max_len=200),
            source=require_text("source", cmd.source, max_len=500),
            evidence_reference=None if evidence is None else require_text("evidence_reference", evidence),
        )
    ]


def change_allegation_status(
    cmd: ChangeAllegationStatus, *, allegation: AllegationState | None, now: datetime
) -> list[Event]:
    """Moves the status along the table; an adjudication must state its outcome, nothing else may."""
    if allegation is None or allegation.allegation_id != cmd.allegation_id:
        raise UnknownRecord("allegation", cmd.allegation_id)
    to_status = AllegationStatus(cmd.to_status)
    if to_status not in ALLEGATION_TRANSITIONS[allegation.status]:
        raise InvalidStatusChange("allegation", cmd.allegation_id, allegation.status, to_status)
    adjudicated = to_status is AllegationStatus.ADJUDICATED
    if adjudicated != (cmd.outcome is not None):
        raise InvalidField("outcome", cmd.outcome, "required for an adjudication and only then")
    if adjudicated and cmd.decided_by is None:
        raise InvalidField("decided_by", None, "an adjudication names who decided")
    return [
        AllegationStatusChanged(
            stream=allegation.person_id,
            occurred_at=require_not_future("occurred_at", cmd.occurred_at, now),
            allegation_id=cmd.allegation_id,
            from_status=allegation.status,
            to_status=to_status,
            outcome=cmd.outcome,
            decided_by=None if cmd.decided_by is None else require_text("decided_by", cmd.decided_by),
        )
    ]


def record_conviction(
    cmd: RecordConviction, *, person: PersonState | None, already_recorded: bool, now: datetime
) -> list[Event]:
    require_person(person, cmd.person_id)
    if already_recorded:
        raise AlreadyExists("conviction", cmd.conviction_id)
    occurred_at = require_not_future("occurred_at", cmd.occurred_at, now)
    if cmd.convicted_on > occurred_at.date():
        raise InvalidField("convicted_on", cmd.convicted_on, "after the record's date")
    return [
        ConvictionRecorded(
            stream=cmd.person_id,
            occurred_at=occurred_at,
            conviction_id=require_id("conviction_id", cmd.conviction_id),
            court=require_text("court", cmd.court, max_len=300),
            jurisdiction=require_country("jurisdiction", cmd.jurisdiction),
            offence=require_text("offence", cmd.offence, max_len=500),
            convicted_on=cmd.convicted_on,
        )
    ]

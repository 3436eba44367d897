"""Medical records about one person: an assessment of fitness to travel.

An assessment is an event on the person's stream. Only that it was made is public: its outcome (fit or not),
who assessed, until when it holds and its restrictions are health data, private content the gate reads from the
private payload; clinical notes are private and never shown with the record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

from habeas.domain.command import Command
from habeas.domain.errors import AlreadyExists, InvalidField
from habeas.domain.events import CONTENT, PRIVATE, Event, EventType
from habeas.domain.people import PersonState, require_person
from habeas.domain.values import require_aware, require_id, require_not_future, require_slug, require_text


@dataclass(frozen=True, kw_only=True)
class FitnessToTravelRecorded(Event):
    """``occurred_at`` is the time assessed; the assessment holds until ``valid_until`` (exclusive), or open."""

    TYPE: ClassVar[EventType] = EventType.FITNESS_TO_TRAVEL_RECORDED

    assessment_id: str
    fit: bool | None = field(default=None, metadata=CONTENT)
    assessed_by: str | None = field(default=None, metadata=CONTENT)
    valid_until: datetime | None = field(default=None, metadata=CONTENT)
    restrictions: str | None = field(default=None, metadata=CONTENT)
    notes: str | None = field(default=None, metadata=PRIVATE)

    def valid_at(self, t: datetime) -> bool:
        """Assessed at or before ``t`` and not yet expired at ``t``."""
        at = require_aware("t", t)
        return self.occurred_at <= at and (self.valid_until is None or at < self.valid_until)


# -- commands --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RecordFitnessToTravel(Command):
    """An assessment of fitness to travel by ``assessed_by`` (a clinician's or officer's id); ``notes`` private."""

    assessment_id: str
    person_id: str
    occurred_at: datetime
    fit: bool
    assessed_by: str
    valid_until: datetime | None = None
    restrictions: str | None = None
    notes: str | None = None


def record_fitness_to_travel(
    cmd: RecordFitnessToTravel, *, person: PersonState | None, already_recorded: bool, now: datetime
) -> list[Event]:
    require_person(person, cmd.person_id)
    if already_recorded:
        raise AlreadyExists("fitness_assessment", cmd.assessment_id)
    assessed_at = require_not_future("occurred_at", cmd.occurred_at, now)
    valid_until = None if cmd.valid_until is None else require_aware("valid_until", cmd.valid_until)
    if valid_until is not None and valid_until <= assessed_at:
        raise InvalidField("valid_until", cmd.valid_until, "not after the assessment")
    return [
        FitnessToTravelRecorded(
            stream=cmd.person_id,
            occurred_at=assessed_at,
            assessment_id=require_id("assessment_id", cmd.assessment_id),
            fit=cmd.fit,
            assessed_by=require_id("assessed_by", cmd.assessed_by),
            valid_until=valid_until,
            restrictions=None if cmd.restrictions is None else require_slug("restrictions", cmd.restrictions),
            notes=None if cmd.notes is None else require_text("notes", cmd.notes),
        )
    ]

"""Headcounts at every checkpoint: expected against counted, person by person (M6, invariant 5).

A count is the list of person ids checked off, in the order they were checked. :func:`reconcile` compares it
with the people expected (the manifest's list): who is missing, who is there but not expected, who was counted
twice. Any difference opens a ``headcount_discrepancy`` incident in the same decision, and that incident blocks
closing the manifest until it is resolved with a reason (:mod:`habeas.domain.incidents`).

Only opaque person ids appear, so the whole count is public: an auditor can check that the number announced
equals the number counted without seeing a name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from habeas.domain.command import Command
from habeas.domain.errors import AlreadyExists, InvalidField, UnknownRecord
from habeas.domain.events import Event, EventType
from habeas.domain.incidents import Checkpoint, IncidentKind, IncidentOpened
from habeas.domain.values import require_id, require_not_future

__all__ = [
    "Checkpoint",
    "HeadcountRecorded",
    "Reconciliation",
    "RecordHeadcount",
    "reconcile",
    "record_headcount",
]


@dataclass(frozen=True, kw_only=True)
class Reconciliation:
    """``missing`` in expected order; ``unexpected`` and ``duplicates`` in the order first counted."""

    missing: tuple[str, ...]
    unexpected: tuple[str, ...]
    duplicates: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unexpected or self.duplicates)

    @property
    def discrepant(self) -> tuple[str, ...]:
        """Every person id the difference concerns, each once."""
        return tuple(dict.fromkeys((*self.missing, *self.unexpected, *self.duplicates)))


def reconcile(expected: Sequence[str], counted: Sequence[str]) -> Reconciliation:
    """Compare a count with the people expected. ``expected`` must not repeat an id: it is a list of people."""
    expected_set = set(expected)
    if len(expected_set) != len(expected):
        raise InvalidField("expected", list(expected), "a person is expected twice")
    times = Counter(counted)
    first_seen = list(dict.fromkeys(counted))
    return Reconciliation(
        missing=tuple(p for p in expected if p not in times),
        unexpected=tuple(p for p in first_seen if p not in expected_set),
        duplicates=tuple(p for p in first_seen if times[p] > 1),
    )


@dataclass(frozen=True, kw_only=True)
class HeadcountRecorded(Event):
    """``stream`` is the manifest. ``incident_id`` names the discrepancy incident this count opened, if any."""

    TYPE: ClassVar[EventType] = EventType.HEADCOUNT_RECORDED

    headcount_id: str
    checkpoint: Checkpoint
    expected_count: int
    counted_count: int
    counted_person_ids: tuple[str, ...]
    missing: tuple[str, ...] = ()
    unexpected: tuple[str, ...] = ()
    duplicates: tuple[str, ...] = ()
    incident_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class RecordHeadcount(Command):
    """``incident_id``: the id a discrepancy incident gets (default ``<headcount_id>.discrepancy``)."""

    headcount_id: str
    manifest_id: str
    checkpoint: Checkpoint
    occurred_at: datetime
    counted_person_ids: tuple[str, ...]
    incident_id: str | None = None
    facility_id: str | None = None
    leg_id: str | None = None


def record_headcount(
    cmd: RecordHeadcount,
    *,
    expected: Sequence[str] | None,
    already_recorded: bool,
    now: datetime,
) -> list[Event]:
    """The count, and an incident when it does not reconcile. ``expected=None``: the manifest is unknown."""
    if expected is None:
        raise UnknownRecord("manifest", cmd.manifest_id)
    if already_recorded:
        raise AlreadyExists("headcount", cmd.headcount_id)
    counted = tuple(require_id("counted_person_ids", p) for p in cmd.counted_person_ids)
    at = require_not_future("occurred_at", cmd.occurred_at, now)
    checkpoint = Checkpoint(cmd.checkpoint)
    result = reconcile(expected, counted)
    incident_id = None
    if not result.ok:
        incident_id = require_id("incident_id", cmd.incident_id or f"{cmd.headcount_id}.discrepancy")
    events: list[Event] = [
        HeadcountRecorded(
            stream=require_id("manifest_id", cmd.manifest_id),
            occurred_at=at,
            headcount_id=require_id("headcount_id", cmd.headcount_id),
            checkpoint=checkpoint,
            expected_count=len(expected),
            counted_count=len(counted),
            counted_person_ids=counted,
            missing=result.missing,
            unexpected=result.unexpected,
            duplicates=result.duplicates,
            incident_id=incident_id,
        )
    ]
    if incident_id is not None:
        events.append(
            IncidentOpened(
                stream=incident_id,
                occurred_at=at,
                kind=IncidentKind.HEADCOUNT_DISCREPANCY,
                person_ids=result.discrepant,
                manifest_id=cmd.manifest_id,
                checkpoint=checkpoint,
                facility_id=None if cmd.facility_id is None else require_id("facility_id", cmd.facility_id),
                leg_id=None if cmd.leg_id is None else require_id("leg_id", cmd.leg_id),
            )
        )
    return events

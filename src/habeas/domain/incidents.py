"""Incidents in transit and in custody, and every access to a person (M9).

An incident (a headcount discrepancy, an injury, a medical event, a use of force, a death, an escape) is opened
on its own stream and stays open until it is resolved with a reason. An open incident that names a manifest
blocks closing that manifest (invariant 5): :func:`require_no_open_incidents` is the check.

A death makes next of kin due at once (Mandela rule 69) and is flagged for a report to an independent
authority (rule 71(1)), which is also made due at once; a serious injury, medical event or use of force is
flagged and made due the same way. The notifications themselves are :mod:`habeas.domain.notifications`.

Every interview of or visit to a person is an ``access.logged`` entry on the person's stream: who (officer and
agency ids are public, a visitor's name is private), why and when.

The people an incident concerns are named by their opaque ids only; what happened (``details``) is private.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from habeas.domain.command import Command
from habeas.domain.errors import AlreadyExists, InvalidField, Refused, UnknownRecord
from habeas.domain.events import PRIVATE, Event, EventType
from habeas.domain.notifications import (
    SOURCE_DEATH_NEXT_OF_KIN,
    SOURCE_INDEPENDENT_AUTHORITY,
    NotificationReason,
    Recipient,
    make_due,
)
from habeas.domain.values import require_id, require_not_future, require_slug, require_text


class Checkpoint(StrEnum):
    """Where along a move people are counted (and where an incident can be tied to)."""

    BOARDING = "boarding"
    DEPARTURE = "departure"
    ARRIVAL = "arrival"
    HANDOFF = "handoff"
    INTAKE = "intake"


class IncidentKind(StrEnum):
    HEADCOUNT_DISCREPANCY = "headcount_discrepancy"
    INJURY = "injury"
    MEDICAL = "medical"
    USE_OF_FORCE = "use_of_force"
    DEATH = "death"
    ESCAPE = "escape"


class AccessPurpose(StrEnum):
    LEGAL_VISIT = "legal_visit"
    CONSULAR_VISIT = "consular_visit"
    FAMILY_VISIT = "family_visit"
    MEDICAL = "medical"
    INTERVIEW = "interview"  # questioning by an officer or agency, intelligence gathering included
    INSPECTION = "inspection"  # an oversight body or independent monitor
    OTHER = "other"


# -- events ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class IncidentOpened(Event):
    """``stream`` is the incident id. ``independent_report_required`` flags Mandela rule 71(1)."""

    TYPE: ClassVar[EventType] = EventType.INCIDENT_OPENED

    kind: IncidentKind
    person_ids: tuple[str, ...]
    manifest_id: str | None = None
    checkpoint: Checkpoint | None = None
    facility_id: str | None = None
    leg_id: str | None = None
    serious: bool = False
    independent_report_required: bool = False
    details: str | None = field(default=None, metadata=PRIVATE)


@dataclass(frozen=True, kw_only=True)
class IncidentResolved(Event):
    """``reason`` is a public code (``recount_matched``, ``person_located``...); ``note`` the private detail."""

    TYPE: ClassVar[EventType] = EventType.INCIDENT_RESOLVED

    reason: str
    note: str | None = field(default=None, metadata=PRIVATE)


@dataclass(frozen=True, kw_only=True)
class AccessLogged(Event):
    """``stream`` is the person; ``occurred_at`` when the access began. Officers are public, visitors private."""

    TYPE: ClassVar[EventType] = EventType.ACCESS_LOGGED

    access_id: str
    purpose: AccessPurpose
    facility_id: str | None = None
    leg_id: str | None = None
    officer_id: str | None = None
    agency_id: str | None = None
    ended_at: datetime | None = None
    visitor_name: str | None = field(default=None, metadata=PRIVATE)
    note: str | None = field(default=None, metadata=PRIVATE)


# -- state -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class IncidentState:
    incident_id: str
    kind: IncidentKind
    manifest_id: str | None = None
    resolved: bool = False


# -- commands and decisions ------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RecordIncident(Command):
    incident_id: str
    kind: IncidentKind
    person_ids: tuple[str, ...]
    occurred_at: datetime
    manifest_id: str | None = None
    checkpoint: Checkpoint | None = None
    facility_id: str | None = None
    leg_id: str | None = None
    serious: bool = False
    details: str | None = None


@dataclass(frozen=True, kw_only=True)
class ResolveIncident(Command):
    incident_id: str
    occurred_at: datetime
    reason: str
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class LogAccess(Command):
    access_id: str
    person_id: str
    occurred_at: datetime
    purpose: AccessPurpose
    facility_id: str | None = None
    leg_id: str | None = None
    officer_id: str | None = None
    agency_id: str | None = None
    ended_at: datetime | None = None
    visitor_name: str | None = None
    note: str | None = None


def _unique_ids(field_name: str, ids: Sequence[str]) -> tuple[str, ...]:
    out = tuple(require_id(field_name, i) for i in ids)
    if len(set(out)) != len(out):
        raise InvalidField(field_name, list(ids), "an id appears twice")
    return out


def _optional_text(name: str, value: str | None) -> str | None:
    return None if value is None else require_text(name, value)


def record_incident(cmd: RecordIncident, *, already_recorded: bool, now: datetime) -> list[Event]:
    """Opens the incident; a death also makes next of kin and an independent authority due at once.

    Rule 71(1) asks for a report to an independent authority on any custodial death or serious injury: the
    flag is set for a death always and for a serious injury, medical event or use of force. The custody state
    change that a death or an escape also is (``custody.record_death``, ``record_escape``) is the services'
    second call, so the incident can be recorded even where custody is not tracked here.
    """
    if already_recorded:
        raise AlreadyExists("incident", cmd.incident_id)
    kind = IncidentKind(cmd.kind)
    people = _unique_ids("person_ids", cmd.person_ids)
    if not people:
        raise InvalidField("person_ids", cmd.person_ids, "an incident concerns at least one person")
    if cmd.checkpoint is not None and cmd.manifest_id is None:
        raise InvalidField("checkpoint", cmd.checkpoint, "a checkpoint belongs to a manifest")
    if cmd.facility_id is not None and cmd.leg_id is not None:
        raise InvalidField("leg_id", cmd.leg_id, "an incident happens in a facility or on a leg, not both")
    at = require_not_future("occurred_at", cmd.occurred_at, now)
    serious = cmd.serious or kind is IncidentKind.DEATH
    report = kind is IncidentKind.DEATH or (
        serious and kind in {IncidentKind.INJURY, IncidentKind.MEDICAL, IncidentKind.USE_OF_FORCE}
    )
    events: list[Event] = [
        IncidentOpened(
            stream=require_id("incident_id", cmd.incident_id),
            occurred_at=at,
            kind=kind,
            person_ids=people,
            manifest_id=None if cmd.manifest_id is None else require_id("manifest_id", cmd.manifest_id),
            checkpoint=None if cmd.checkpoint is None else Checkpoint(cmd.checkpoint),
            facility_id=None if cmd.facility_id is None else require_id("facility_id", cmd.facility_id),
            leg_id=None if cmd.leg_id is None else require_id("leg_id", cmd.leg_id),
            serious=serious,
            independent_report_required=report,
            details=_optional_text("details", cmd.details),
        )
    ]
    if kind is IncidentKind.DEATH:
        for person_id in people:
            events.append(
                make_due(
                    person_id=person_id,
                    notification_id=f"{cmd.incident_id}.nok.{person_id}",
                    recipient=Recipient.NEXT_OF_KIN,
                    reason=NotificationReason.DEATH,
                    at=at,
                    due_at=at,  # rule 69: at once
                    source=SOURCE_DEATH_NEXT_OF_KIN,
                    related_id=cmd.incident_id,
                )
            )
    if report:
        reason = NotificationReason.DEATH if kind is IncidentKind.DEATH else NotificationReason.SERIOUS_INJURY
        for person_id in people:
            events.append(
                make_due(
                    person_id=person_id,
                    notification_id=f"{cmd.incident_id}.ia.{person_id}",
                    recipient=Recipient.INDEPENDENT_AUTHORITY,
                    reason=reason,
                    at=at,
                    due_at=at,  # rule 71(1): without delay
                    source=SOURCE_INDEPENDENT_AUTHORITY,
                    related_id=cmd.incident_id,
                )
            )
    return events


def resolve_incident(cmd: ResolveIncident, *, incident: IncidentState | None, now: datetime) -> list[Event]:
    if incident is None or incident.incident_id != cmd.incident_id:
        raise UnknownRecord("incident", cmd.incident_id)
    if incident.resolved:
        raise Refused("incident", cmd.incident_id, "already_resolved")
    return [
        IncidentResolved(
            stream=cmd.incident_id,
            occurred_at=require_not_future("occurred_at", cmd.occurred_at, now),
            reason=require_slug("reason", cmd.reason),
            note=_optional_text("note", cmd.note),
        )
    ]


def log_access(cmd: LogAccess, *, now: datetime) -> list[Event]:
    at = require_not_future("occurred_at", cmd.occurred_at, now)
    ended = None if cmd.ended_at is None else require_not_future("ended_at", cmd.ended_at, now)
    if ended is not None and ended < at:
        raise InvalidField("ended_at", cmd.ended_at, "before the access began")
    if (cmd.officer_id is None) != (cmd.agency_id is None):
        raise InvalidField("officer_id", cmd.officer_id, "an officer and their agency go together")
    if cmd.officer_id is None and cmd.visitor_name is None:
        raise InvalidField("visitor_name", None, "every access names who: an officer or a visitor")
    return [
        AccessLogged(
            stream=require_id("person_id", cmd.person_id),
            occurred_at=at,
            access_id=require_id("access_id", cmd.access_id),
            purpose=AccessPurpose(cmd.purpose),
            facility_id=None if cmd.facility_id is None else require_id("facility_id", cmd.facility_id),
            leg_id=None if cmd.leg_id is None else require_id("leg_id", cmd.leg_id),
            officer_id=None if cmd.officer_id is None else require_id("officer_id", cmd.officer_id),
            agency_id=None if cmd.agency_id is None else require_id("agency_id", cmd.agency_id),
            ended_at=ended,
            visitor_name=_optional_text("visitor_name", cmd.visitor_name),
            note=_optional_text("note", cmd.note),
        )
    ]

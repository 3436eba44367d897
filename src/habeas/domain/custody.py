"""The custody state machine: one state per person, one responsible custodian, one place, one authority.

States and the transitions between them are the table :data:`TRANSITIONS`; each transition is one function.
Every change produces a single ``custody.changed`` event that names the transition *and* carries the complete
resulting state, so any one entry answers "who holds them, where, since when, under what authority" on its own
and the projection is :func:`apply_custody`, the same for every transition.

``custodian`` is the physical custodian (agency and the responsible officer); ``authority`` is the legal basis
and the agency legally responsible, recorded separately because they can differ (a person held in a foreign
prison under an agreement with the sending state). Both values and the commands that carry them are in
:mod:`habeas.domain.custody_commands`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from habeas.domain.custody_commands import (
    AdmitToCustody,
    ArriveAtFacility,
    Authority,
    ChangeAuthority,
    Custodian,
    DepartOnLeg,
    HandOver,
    ReassignCustodian,
    RecordDeath,
    RecordEscape,
    Rehouse,
    Release,
    Remove,
)
from habeas.domain.errors import InvalidField, InvalidTransition, UnknownRecord
from habeas.domain.events import CONTENT, Event, EventType
from habeas.domain.facilities import OfficerRef, UnitRef
from habeas.domain.values import require_aware, require_country, require_id, require_not_future, require_slug

__all__ = [  # Custodian and Authority live with the commands that carry them and are re-exported here
    "HELD",
    "OUT_OF_CUSTODY",
    "TRANSITIONS",
    "Authority",
    "Custodian",
    "CustodyChanged",
    "CustodyState",
    "CustodyStatus",
    "CustodyTransition",
    "S",
    "T",
    "admit",
    "apply_custody",
    "arrive",
    "change_authority",
    "depart",
    "hand_over",
    "reassign_custodian",
    "record_death",
    "record_escape",
    "rehouse",
    "release",
    "remove",
]


class CustodyStatus(StrEnum):
    NOT_HELD = "not_held"  # registered, never yet taken into custody
    IN_CUSTODY = "in_custody"
    IN_TRANSIT = "in_transit"
    HANDED_OVER = "handed_over"
    RELEASED = "released"
    REMOVED = "removed"
    ESCAPED = "escaped"
    DECEASED = "deceased"


class CustodyTransition(StrEnum):
    ADMIT = "admit"
    DEPART = "depart"
    ARRIVE = "arrive"
    REHOUSE = "rehouse"
    HAND_OVER = "hand_over"
    RELEASE = "release"
    REMOVE = "remove"
    ESCAPE = "escape"
    DIE = "die"
    REASSIGN_CUSTODIAN = "reassign_custodian"
    CHANGE_AUTHORITY = "change_authority"


S = CustodyStatus
T = CustodyTransition
HELD = frozenset({S.IN_CUSTODY, S.IN_TRANSIT})
OUT_OF_CUSTODY = frozenset({S.NOT_HELD, S.RELEASED, S.REMOVED, S.ESCAPED, S.HANDED_OVER})

# transition -> (states it may start from, resulting state; None keeps the current state)
TRANSITIONS: Mapping[CustodyTransition, tuple[frozenset[CustodyStatus], CustodyStatus | None]] = {
    T.ADMIT: (OUT_OF_CUSTODY, S.IN_CUSTODY),
    T.DEPART: (HELD, S.IN_TRANSIT),
    T.ARRIVE: (frozenset({S.IN_TRANSIT}), S.IN_CUSTODY),
    T.REHOUSE: (frozenset({S.IN_CUSTODY}), S.IN_CUSTODY),
    T.HAND_OVER: (HELD, S.HANDED_OVER),
    T.RELEASE: (frozenset({S.IN_CUSTODY}), S.RELEASED),
    T.REMOVE: (HELD, S.REMOVED),
    T.ESCAPE: (HELD, S.ESCAPED),
    T.DIE: (HELD, S.DECEASED),
    T.REASSIGN_CUSTODIAN: (HELD, None),
    T.CHANGE_AUTHORITY: (HELD | {S.HANDED_OVER}, None),
}


# which place fields each state has; all others must be None
_SHAPE: Mapping[CustodyStatus, frozenset[str]] = {
    S.NOT_HELD: frozenset(),
    S.IN_CUSTODY: frozenset({"facility_id", "unit_id", "custodian", "authority"}),
    S.IN_TRANSIT: frozenset({"leg_id", "custodian", "authority"}),
    S.HANDED_OVER: frozenset({"country", "custodian", "authority"}),
    S.RELEASED: frozenset(),
    S.REMOVED: frozenset({"country"}),
    S.ESCAPED: frozenset(),
    S.DECEASED: frozenset(),
}
_PLACE_FIELDS = ("facility_id", "unit_id", "leg_id", "country", "custodian", "authority")


@dataclass(frozen=True, kw_only=True)
class CustodyState:
    """Invariant 1 is the constructor: each state has exactly the place, custodian and authority it needs."""

    person_id: str
    status: CustodyStatus = S.NOT_HELD
    since: datetime | None = None
    facility_id: str | None = None
    unit_id: str | None = None
    leg_id: str | None = None
    country: str | None = None
    custodian: Custodian | None = None
    authority: Authority | None = None

    def __post_init__(self) -> None:
        if self.since is not None:
            object.__setattr__(self, "since", require_aware("since", self.since))
        required = _SHAPE[self.status]
        for name in _PLACE_FIELDS:
            if (getattr(self, name) is not None) != (name in required):
                state = "needs" if name in required else "cannot have"
                raise InvalidField(name, getattr(self, name), f"{self.status} {state} {name}")
        if (self.since is None) != (self.status is S.NOT_HELD):
            raise InvalidField("since", self.since, "required for every state but not_held")


@dataclass(frozen=True, kw_only=True)
class CustodyChanged(Event):
    """``stream`` is the person; the fields after ``to_status`` are the complete resulting state."""

    TYPE: ClassVar[EventType] = EventType.CUSTODY_CHANGED

    transition: CustodyTransition
    from_status: CustodyStatus
    to_status: CustodyStatus
    facility_id: str | None = None
    unit_id: str | None = None
    leg_id: str | None = None
    country: str | None = None
    custodian: Custodian | None = None
    authority: Authority | None = None
    receipt_id: str | None = None
    reason: str | None = field(default=None, metadata=CONTENT)  # why: private, the public log says what and where


def apply_custody(state: CustodyState, event: CustodyChanged) -> CustodyState:
    """The state after ``event``: the projection's whole logic."""
    if event.from_status is not state.status:
        raise InvalidTransition(state.person_id, state.status, event.to_status)
    return CustodyState(
        person_id=state.person_id,
        status=event.to_status,
        since=event.occurred_at,
        **{name: getattr(event, name) for name in _PLACE_FIELDS},
    )


def _change(
    state: CustodyState, transition: CustodyTransition, cmd: Any, now: datetime, **place: Any
) -> list[Event]:
    if cmd.person_id != state.person_id:
        raise UnknownRecord("custody state for person", cmd.person_id)
    sources, target = TRANSITIONS[transition]
    to_status = state.status if target is None else target
    if state.status not in sources:
        raise InvalidTransition(state.person_id, state.status, to_status)
    at = require_not_future("occurred_at", cmd.occurred_at, now)
    if state.since is not None and at < state.since:
        raise InvalidField("occurred_at", cmd.occurred_at, f"before the current state began at {state.since}")
    event = CustodyChanged(
        stream=state.person_id,
        occurred_at=at,
        transition=transition,
        from_status=state.status,
        to_status=to_status,
        reason=None if getattr(cmd, "reason", None) is None else require_slug("reason", cmd.reason),
        receipt_id=getattr(cmd, "receipt_id", None),
        **place,
    )
    apply_custody(state, event)  # the resulting state must be well formed (invariant 1)
    return [event]


def _officer(custodian: Custodian, officer: OfficerRef | None) -> Custodian:
    if officer is None or officer.officer_id != custodian.officer_id:
        raise UnknownRecord("officer", custodian.officer_id)
    if officer.agency_id != custodian.agency_id:
        raise InvalidField("custodian", custodian, f"officer belongs to agency {officer.agency_id!r}")
    return custodian


def _unit(facility_id: str, unit_id: str, unit: UnitRef | None) -> None:
    if unit is None or unit.unit_id != unit_id or unit.facility_id != facility_id:
        raise UnknownRecord("unit", f"{facility_id}/{unit_id}")


def admit(
    cmd: AdmitToCustody,
    *,
    state: CustodyState,
    unit: UnitRef | None,
    officer: OfficerRef | None,
    now: datetime,
) -> list[Event]:
    """Taken into custody at a facility from outside custody (first arrest, re-arrest, return)."""
    _unit(cmd.facility_id, cmd.unit_id, unit)
    return _change(
        state,
        T.ADMIT,
        cmd,
        now,
        facility_id=cmd.facility_id,
        unit_id=cmd.unit_id,
        custodian=_officer(cmd.custodian, officer),
        authority=cmd.authority,
    )


def depart(
    cmd: DepartOnLeg, *, state: CustodyState, officer: OfficerRef | None, now: datetime
) -> list[Event]:
    """Boards a transport leg (also from one leg onto the next); the escort officer becomes the custodian."""
    return _change(
        state,
        T.DEPART,
        cmd,
        now,
        leg_id=require_id("leg_id", cmd.leg_id),
        custodian=_officer(cmd.custodian, officer),
        authority=cmd.authority or state.authority,
    )


def arrive(
    cmd: ArriveAtFacility,
    *,
    state: CustodyState,
    unit: UnitRef | None,
    officer: OfficerRef | None,
    now: datetime,
) -> list[Event]:
    _unit(cmd.facility_id, cmd.unit_id, unit)
    return _change(
        state,
        T.ARRIVE,
        cmd,
        now,
        facility_id=cmd.facility_id,
        unit_id=cmd.unit_id,
        custodian=_officer(cmd.custodian, officer),
        authority=cmd.authority or state.authority,
    )


def rehouse(cmd: Rehouse, *, state: CustodyState, unit: UnitRef | None, now: datetime) -> list[Event]:
    """A move to another unit of the same facility; another facility needs a transport leg."""
    if state.facility_id is not None:
        _unit(state.facility_id, cmd.unit_id, unit)
    return _change(
        state,
        T.REHOUSE,
        cmd,
        now,
        facility_id=state.facility_id,
        unit_id=cmd.unit_id,
        custodian=state.custodian,
        authority=state.authority,
    )


def hand_over(
    cmd: HandOver, *, state: CustodyState, officer: OfficerRef | None, now: datetime
) -> list[Event]:
    """To an agency that keeps no record here; ``custodian`` is the receiving agency and its officer."""
    return _change(
        state,
        T.HAND_OVER,
        cmd,
        now,
        country=require_country("country", cmd.country),
        custodian=_officer(cmd.custodian, officer),
        authority=cmd.authority,
    )


def release(cmd: Release, *, state: CustodyState, now: datetime) -> list[Event]:
    return _change(state, T.RELEASE, cmd, now)


def remove(cmd: Remove, *, state: CustodyState, now: datetime) -> list[Event]:
    """Delivered to ``country`` and let go there (a handover to a receiving agency is :func:`hand_over`)."""
    return _change(state, T.REMOVE, cmd, now, country=require_country("country", cmd.country))


def record_escape(cmd: RecordEscape, *, state: CustodyState, now: datetime) -> list[Event]:
    return _change(state, T.ESCAPE, cmd, now)


def record_death(cmd: RecordDeath, *, state: CustodyState, now: datetime) -> list[Event]:
    """Mandela rules 69 and 71: the services must notify next of kin and an independent authority."""
    return _change(state, T.DIE, cmd, now)


def reassign_custodian(
    cmd: ReassignCustodian, *, state: CustodyState, officer: OfficerRef | None, now: datetime
) -> list[Event]:
    """The responsible officer (or agency) changes without the person moving."""
    return _change(
        state,
        T.REASSIGN_CUSTODIAN,
        cmd,
        now,
        facility_id=state.facility_id,
        unit_id=state.unit_id,
        leg_id=state.leg_id,
        custodian=_officer(cmd.custodian, officer),
        authority=state.authority,
    )


def change_authority(cmd: ChangeAuthority, *, state: CustodyState, now: datetime) -> list[Event]:
    """The legal basis or the legally responsible agency changes; the person and custodian stay."""
    return _change(
        state,
        T.CHANGE_AUTHORITY,
        cmd,
        now,
        facility_id=state.facility_id,
        unit_id=state.unit_id,
        leg_id=state.leg_id,
        country=state.country,
        custodian=state.custodian,
        authority=cmd.authority,
    )

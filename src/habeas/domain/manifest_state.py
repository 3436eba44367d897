"""The manifest's state machine and its projection: the table of allowed transitions, the state one
manifest's stream folds into (:class:`Manifest`), and the refusals the table and the gates make.

The decisions that use them are in :mod:`habeas.domain.manifests`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

from habeas.domain.errors import AlreadyExists, DomainError, InvalidField, UnknownRecord
from habeas.domain.events import Event
from habeas.domain.manifest_events import (
    GateCheck,
    GateEvaluated,
    ManifestAlternatePromoted,
    ManifestChanged,
    ManifestCleared,
    ManifestCreated,
    ManifestPersonAdded,
    ManifestPersonStruck,
    ManifestStatus,
)
from habeas.domain.moves import Leg

# --- the state machine -----------------------------------------------------------------------------------------


class ManifestTransition(StrEnum):
    ADD = "add"
    STRIKE = "strike"
    PROMOTE = "promote"
    RECORD_GATES = "record_gates"
    CLEAR = "clear"
    LAPSE = "lapse"
    BEGIN_BOARDING = "begin_boarding"
    DEPART = "depart"
    ARRIVE = "arrive"
    HAND_OVER = "hand_over"
    CLOSE = "close"
    HALT = "halt"
    RETURN = "return"
    CANCEL = "cancel"


S = ManifestStatus
T = ManifestTransition
_LIST_OPEN = frozenset({S.DRAFT, S.CLEARED, S.BOARDING})

# transition -> (states it may start from, resulting state; None keeps the current state)
TRANSITIONS: Mapping[ManifestTransition, tuple[frozenset[ManifestStatus], ManifestStatus | None]] = {
    T.ADD: (_LIST_OPEN, S.DRAFT),  # needs re-clearance
    T.PROMOTE: (_LIST_OPEN, S.DRAFT),  # needs re-clearance
    T.STRIKE: (_LIST_OPEN, None),
    T.RECORD_GATES: (_LIST_OPEN | {S.DEPARTED, S.HALTED, S.ARRIVED}, None),  # a re-check on the apron too
    T.CLEAR: (frozenset({S.DRAFT}), S.CLEARED),
    T.LAPSE: (frozenset({S.CLEARED, S.BOARDING}), S.DRAFT),
    T.BEGIN_BOARDING: (frozenset({S.CLEARED}), S.BOARDING),
    T.DEPART: (frozenset({S.BOARDING}), S.DEPARTED),
    T.ARRIVE: (frozenset({S.DEPARTED, S.HALTED}), S.ARRIVED),
    T.HAND_OVER: (frozenset({S.ARRIVED}), S.HANDED_OVER),
    T.CLOSE: (frozenset({S.HANDED_OVER, S.RETURNED}), S.CLOSED),
    T.HALT: (_LIST_OPEN | {S.DEPARTED}, S.HALTED),
    T.RETURN: (frozenset({S.DEPARTED, S.ARRIVED, S.HALTED}), S.RETURNED),
    T.CANCEL: (_LIST_OPEN | {S.HALTED}, S.CANCELLED),
}


class ManifestTransitionRefused(DomainError):
    """A transition the table does not allow from the manifest's current state."""

    code = "invalid-transition"

    def __init__(self, manifest_id: str, from_state: str, to_state: str) -> None:
        self.manifest_id = manifest_id
        self.from_state = from_state
        self.to_state = to_state
        super().__init__(f"manifest {manifest_id!r} cannot go from {from_state} to {to_state}")


class DepartureBlocked(DomainError):
    """Invariant 4: someone aboard has a gate result that is not ``pass`` (fail, unknown, or none at all)."""

    code = "gate-blocks-departure"

    def __init__(self, manifest_id: str, person_ids: Sequence[str]) -> None:
        self.manifest_id = manifest_id
        self.person_ids = tuple(person_ids)
        super().__init__(f"manifest {manifest_id!r}: a gate blocks {', '.join(self.person_ids)}")


@dataclass(frozen=True, kw_only=True)
class PersonGates:
    evaluated_at: datetime
    checks: tuple[GateCheck, ...]

    @property
    def blocks(self) -> bool:
        return not self.checks or any(c.blocks for c in self.checks)


# --- state ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Manifest:
    """The projection of one manifest's stream. ``results`` holds each person's latest gate results."""

    manifest_id: str
    journey_id: str
    leg_index: int
    leg: Leg
    status: ManifestStatus
    since: datetime
    people: tuple[str, ...] = ()
    alternates: tuple[str, ...] = ()
    struck: tuple[str, ...] = ()
    cleared_at: datetime | None = None
    results: Mapping[str, PersonGates] = field(default_factory=lambda: MappingProxyType({}))

    def blocked(self) -> tuple[str, ...]:
        """People aboard whose latest gate results do not all pass (no results at all blocks too)."""
        return tuple(p for p in self.people if p not in self.results or self.results[p].blocks)


# --- projection ----------------------------------------------------------------------------------------------


def _without(people: tuple[str, ...], person_id: str) -> tuple[str, ...]:
    return tuple(p for p in people if p != person_id)


def apply_manifest(state: Manifest | None, event: Event) -> Manifest:
    """The manifest after ``event``: the projection's whole logic."""
    if isinstance(event, ManifestCreated):
        if state is not None:
            raise AlreadyExists("manifest", event.stream)
        return Manifest(
            manifest_id=event.stream,
            journey_id=event.journey_id,
            leg_index=event.leg_index,
            leg=event.leg,
            status=S.DRAFT,
            since=event.occurred_at,
            people=event.people,
            alternates=event.alternates,
        )
    if state is None or state.manifest_id != event.stream:
        raise UnknownRecord("manifest", event.stream)
    if isinstance(event, GateEvaluated):
        gates = PersonGates(evaluated_at=event.occurred_at, checks=event.checks)
        return replace(state, results=MappingProxyType({**state.results, event.person_id: gates}))
    if not isinstance(event, ManifestChanged):
        raise InvalidField("event", event.TYPE, "not a manifest event")
    if event.from_status is not state.status:
        raise ManifestTransitionRefused(state.manifest_id, state.status, event.to_status)
    new = replace(state, status=event.to_status, since=event.occurred_at)
    if event.to_status is S.DRAFT:
        new = replace(new, cleared_at=None)
    if isinstance(event, ManifestCleared):
        new = replace(new, cleared_at=event.occurred_at)
    elif isinstance(event, ManifestPersonAdded):
        new = replace(
            new,
            people=new.people if event.alternate else (*new.people, event.person_id),
            alternates=(*new.alternates, event.person_id) if event.alternate else new.alternates,
            struck=_without(new.struck, event.person_id),
        )
    elif isinstance(event, ManifestPersonStruck):
        new = replace(
            new,
            people=_without(new.people, event.person_id),
            alternates=_without(new.alternates, event.person_id),
            struck=(*new.struck, event.person_id),
        )
    elif isinstance(event, ManifestAlternatePromoted):
        new = replace(new, people=(*new.people, event.person_id), alternates=_without(new.alternates, event.person_id))
    return new

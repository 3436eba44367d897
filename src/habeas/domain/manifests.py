"""Manifests: who is on each leg of a journey, the alternates, and the manifest's state machine.

    draft → cleared → boarding → departed → arrived → handed_over → closed
    (halted, returned and cancelled, each with a coded reason)

The allowed transitions are the table :data:`TRANSITIONS`; each is one function, and a refused one raises
:class:`ManifestTransitionRefused` with the manifest id and both states. Every status-changing event carries
``from_status`` and ``to_status``, so the projection (:func:`apply_manifest`) needs no rules of its own.

Clearance is the gates' verdict on everyone aboard at one time (invariant 4). Two rules keep it honest:

* **any change to who is aboard after clearance needs re-clearance**: adding a person or promoting an alternate
  on a cleared (or boarding) manifest sends it back to ``draft``, and so does a new legal record about
  someone aboard (:func:`require_reclearance`); this is the "he moved up the list" failure of the seed case;
* **no departure while a gate blocks**: :func:`depart` (and :func:`begin_boarding`) refuse when the latest
  gate results of anyone aboard are not all ``pass``, e.g. a re-check at wheels-up recorded with
  :func:`record_gate_results` after the clearance. Unknown blocks like fail: missing data is not consent.

Striking a person keeps the clearance (nobody new is aboard) but needs a reason code, as ICE Air's records do.
The gates themselves live in :mod:`habeas.gates`; the domain only sees their results as :class:`GateCheck`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from habeas.domain.errors import AlreadyExists, DomainError, InvalidField, Refused, UnknownRecord
from habeas.domain.events import Event, EventType
from habeas.domain.manifest_commands import (
    AddToManifest,
    Arrive,
    BeginBoarding,
    CancelManifest,
    ClearManifest,
    CloseManifest,
    CreateManifest,
    Depart,
    HaltManifest,
    HandOverManifest,
    ManifestCommand,
    PlanJourney,
    PromoteAlternate,
    RecordGateResults,
    RequireReclearance,
    ReturnManifest,
    StrikeFromManifest,
)
from habeas.domain.manifest_events import (
    CancelReason,
    GateCheck,
    GateEvaluated,
    GateOutcome,
    HaltReason,
    LapseCause,
    ManifestAlternatePromoted,
    ManifestArrived,
    ManifestBoardingStarted,
    ManifestCancelled,
    ManifestChanged,
    ManifestClearanceLapsed,
    ManifestCleared,
    ManifestClosed,
    ManifestCreated,
    ManifestDeparted,
    ManifestHalted,
    ManifestHandedOver,
    ManifestPersonAdded,
    ManifestPersonStruck,
    ManifestReturned,
    ManifestStatus,
    ReturnReason,
    StrikeReason,
)
from habeas.domain.moves import Leg, TransportMode, check_journey
from habeas.domain.values import require_id, require_not_future, require_slug, require_text

__all__ = [  # the commands, events and vocabulary are re-exported: `from habeas.domain import manifests as mf`
    "TRANSITIONS",
    "AddToManifest",
    "Arrive",
    "BeginBoarding",
    "CancelManifest",
    "CancelReason",
    "ClearManifest",
    "CloseManifest",
    "CreateManifest",
    "Depart",
    "DepartureBlocked",
    "EventType",
    "GateCheck",
    "GateEvaluated",
    "GateOutcome",
    "HaltManifest",
    "HaltReason",
    "HandOverManifest",
    "LapseCause",
    "Leg",
    "Manifest",
    "ManifestAlternatePromoted",
    "ManifestArrived",
    "ManifestBoardingStarted",
    "ManifestCancelled",
    "ManifestChanged",
    "ManifestClearanceLapsed",
    "ManifestCleared",
    "ManifestClosed",
    "ManifestCommand",
    "ManifestCreated",
    "ManifestDeparted",
    "ManifestHalted",
    "ManifestHandedOver",
    "ManifestPersonAdded",
    "ManifestPersonStruck",
    "ManifestReturned",
    "ManifestStatus",
    "ManifestTransition",
    "ManifestTransitionRefused",
    "PersonGates",
    "PlanJourney",
    "PromoteAlternate",
    "RecordGateResults",
    "RequireReclearance",
    "ReturnManifest",
    "ReturnReason",
    "StrikeFromManifest",
    "StrikeReason",
    "TransportMode",
    "add_to_manifest",
    "apply_manifest",
    "arrive",
    "begin_boarding",
    "blocking_people",
    "cancel_manifest",
    "clear_manifest",
    "close_manifest",
    "create_manifest",
    "depart",
    "halt_manifest",
    "hand_over_manifest",
    "plan_journey",
    "promote_alternate",
    "record_gate_results",
    "require_reclearance",
    "return_manifest",
    "strike_from_manifest",
]

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
    T.RECORD_GATES: (_LIST_OPEN | {S.DEPARTED, S.HALTED}, None),
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
    http_status = 409

    def __init__(self, manifest_id: str, from_state: str, to_state: str) -> None:
        self.manifest_id = manifest_id
        self.from_state = from_state
        self.to_state = to_state
        super().__init__(f"manifest {manifest_id!r} cannot go from {from_state} to {to_state}")


class DepartureBlocked(DomainError):
    """Invariant 4: someone aboard has a gate result that is not ``pass`` (fail, unknown, or none at all)."""

    code = "gate-blocks-departure"
    http_status = 409

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


# --- deciding ------------------------------------------------------------------------------------------------


def _check(
    manifest: Manifest | None, manifest_id: str, transition: ManifestTransition, occurred_at: datetime, now: datetime
) -> tuple[Manifest, datetime, dict[str, Any]]:
    """The manifest, the checked time and the ``stream/occurred_at/from/to`` fields of the event to make."""
    if manifest is None or manifest.manifest_id != manifest_id:
        raise UnknownRecord("manifest", manifest_id)
    sources, target = TRANSITIONS[transition]
    to_status = manifest.status if target is None else target
    if manifest.status not in sources:
        raise ManifestTransitionRefused(manifest_id, manifest.status, to_status)
    at = require_not_future("occurred_at", occurred_at, now)
    if at < manifest.since:
        raise InvalidField("occurred_at", occurred_at, f"before the manifest's last change at {manifest.since}")
    return (
        manifest,
        at,
        {"stream": manifest_id, "occurred_at": at, "from_status": manifest.status, "to_status": to_status},
    )


def _distinct_ids(field_name: str, ids: Sequence[str]) -> tuple[str, ...]:
    for person_id in ids:
        require_id(field_name, person_id)
    if len(set(ids)) != len(ids):
        raise InvalidField(field_name, ids, "a person listed twice")
    return tuple(ids)


def _reason_record(record_id: str | None) -> str | None:
    return None if record_id is None else require_id("record_id", record_id)


def create_manifest(cmd: CreateManifest, *, already_exists: bool, now: datetime) -> list[Event]:
    if already_exists:
        raise AlreadyExists("manifest", cmd.manifest_id)
    people = _distinct_ids("people", cmd.people)
    alternates = _distinct_ids("alternates", cmd.alternates)
    if set(people) & set(alternates):
        raise InvalidField("alternates", sorted(set(people) & set(alternates)), "also on the manifest")
    if cmd.leg_index < 0:
        raise InvalidField("leg_index", cmd.leg_index, "negative")
    return [
        ManifestCreated(
            stream=require_id("manifest_id", cmd.manifest_id),
            occurred_at=require_not_future("occurred_at", cmd.occurred_at, now),
            journey_id=require_id("journey_id", cmd.journey_id),
            leg_index=cmd.leg_index,
            leg=cmd.leg,
            people=people,
            alternates=alternates,
        )
    ]


def plan_journey(cmd: PlanJourney, *, existing_manifest_ids: frozenset[str], now: datetime) -> list[Event]:
    """One manifest per leg, each with the same people and alternates."""
    legs = check_journey(cmd.legs)
    if len(cmd.manifest_ids) != len(legs) or len(set(cmd.manifest_ids)) != len(legs):
        raise InvalidField("manifest_ids", cmd.manifest_ids, "not one distinct manifest id per leg")
    events: list[Event] = []
    for index, (manifest_id, leg) in enumerate(zip(cmd.manifest_ids, legs, strict=True)):
        one = CreateManifest(
            manifest_id=manifest_id,
            journey_id=cmd.journey_id,
            leg_index=index,
            leg=leg,
            people=cmd.people,
            alternates=cmd.alternates,
            occurred_at=cmd.occurred_at,
        )
        events += create_manifest(one, already_exists=manifest_id in existing_manifest_ids, now=now)
    return events


def add_to_manifest(cmd: AddToManifest, *, manifest: Manifest | None, now: datetime) -> list[Event]:
    """Adds a person (or an alternate, at the end of the list); a cleared manifest goes back to draft."""
    m, _, base = _check(manifest, cmd.manifest_id, T.ADD, cmd.occurred_at, now)
    if cmd.person_id in m.people or cmd.person_id in m.alternates:
        raise AlreadyExists(f"person on manifest {m.manifest_id}", cmd.person_id)
    return [ManifestPersonAdded(**base, person_id=require_id("person_id", cmd.person_id), alternate=cmd.alternate)]


def strike_from_manifest(cmd: StrikeFromManifest, *, manifest: Manifest | None, now: datetime) -> list[Event]:
    """Takes a person (aboard or alternate) off the manifest with a reason code; the clearance stands."""
    m, _, base = _check(manifest, cmd.manifest_id, T.STRIKE, cmd.occurred_at, now)
    if cmd.person_id not in m.people and cmd.person_id not in m.alternates:
        raise UnknownRecord(f"person on manifest {m.manifest_id}", cmd.person_id)
    note = None if cmd.note is None else require_text("note", cmd.note, max_len=500)
    return [ManifestPersonStruck(**base, person_id=cmd.person_id, reason=StrikeReason(cmd.reason), note=note)]


def promote_alternate(cmd: PromoteAlternate, *, manifest: Manifest | None, now: datetime) -> list[Event]:
    """Moves an alternate (the named one, or the first in order) aboard; the manifest needs re-clearance."""
    m, _, base = _check(manifest, cmd.manifest_id, T.PROMOTE, cmd.occurred_at, now)
    if cmd.person_id is None:
        if not m.alternates:
            raise Refused("manifest", m.manifest_id, "no-alternates")
        person_id = m.alternates[0]
    elif cmd.person_id in m.alternates:
        person_id = cmd.person_id
    else:
        raise UnknownRecord(f"alternate on manifest {m.manifest_id}", cmd.person_id)
    return [ManifestAlternatePromoted(**base, person_id=person_id)]


def _gate_events(
    m: Manifest, at: datetime, policy: str, results: Mapping[str, Sequence[GateCheck]], people: Sequence[str]
) -> list[GateEvaluated]:
    unknown = sorted(set(results) - set(m.people))
    if unknown:
        raise UnknownRecord(f"person on manifest {m.manifest_id}", unknown[0])
    return [
        GateEvaluated(
            stream=m.manifest_id,
            occurred_at=at,
            person_id=p,
            policy=require_slug("policy", policy),
            checks=tuple(results[p]),
        )
        for p in people
    ]


def clear_manifest(
    cmd: ClearManifest, *, manifest: Manifest | None, results: Mapping[str, Sequence[GateCheck]], now: datetime
) -> list[Event]:
    """Records every person's gate results, then ``manifest.cleared`` only if none of them blocks.

    ``results`` must hold the results for everyone aboard, evaluated at ``cmd.occurred_at``. When someone is
    blocked the results are still recorded (the transparency reports count failed gates) and the manifest stays
    in draft: the caller reads the blocking results from the returned events (:func:`blocking_people`).
    """
    m, at, base = _check(manifest, cmd.manifest_id, T.CLEAR, cmd.occurred_at, now)
    if not m.people:
        raise Refused("manifest", m.manifest_id, "nobody-aboard")
    missing = [p for p in m.people if p not in results]
    if missing:
        raise InvalidField("results", missing, "no gate results for people aboard")
    events: list[Event] = list(_gate_events(m, at, cmd.policy, results, m.people))
    if not blocking_people(events):
        events.append(ManifestCleared(**base, policy=cmd.policy, people_count=len(m.people)))
    return events


def blocking_people(events: Sequence[Event]) -> tuple[str, ...]:
    """The people whose recorded gate results (among ``events``) include a fail or an unknown."""
    return tuple(
        e.person_id
        for e in events
        if isinstance(e, GateEvaluated) and (not e.checks or any(c.blocks for c in e.checks))
    )


def record_gate_results(
    cmd: RecordGateResults, *, manifest: Manifest | None, results: Mapping[str, Sequence[GateCheck]], now: datetime
) -> list[Event]:
    """A re-check (a new record, wheels-up, in flight): recorded as observed; it does not change the status."""
    m, at, _ = _check(manifest, cmd.manifest_id, T.RECORD_GATES, cmd.occurred_at, now)
    if not results:
        raise InvalidField("results", results, "no results to record")
    return list(_gate_events(m, at, cmd.policy, results, sorted(results)))


def require_reclearance(cmd: RequireReclearance, *, manifest: Manifest | None, now: datetime) -> list[Event]:
    """A new legal record about someone aboard (or a new policy): the clearance no longer counts."""
    _, _, base = _check(manifest, cmd.manifest_id, T.LAPSE, cmd.occurred_at, now)
    return [
        ManifestClearanceLapsed(
            **base,
            cause=LapseCause(cmd.cause),
            person_id=None if cmd.person_id is None else require_id("person_id", cmd.person_id),
            record_id=_reason_record(cmd.record_id),
        )
    ]


def begin_boarding(cmd: BeginBoarding, *, manifest: Manifest | None, now: datetime) -> list[Event]:
    m, _, base = _check(manifest, cmd.manifest_id, T.BEGIN_BOARDING, cmd.occurred_at, now)
    if m.blocked():
        raise DepartureBlocked(m.manifest_id, m.blocked())
    return [ManifestBoardingStarted(**base)]


def depart(cmd: Depart, *, manifest: Manifest | None, now: datetime) -> list[Event]:
    """Wheels-up. Refused unless cleared and boarding, and while anyone aboard has a blocking gate result."""
    m, _, base = _check(manifest, cmd.manifest_id, T.DEPART, cmd.occurred_at, now)
    if m.cleared_at is None:  # cannot happen through the table, but invariant 4 deserves a second lock
        raise ManifestTransitionRefused(m.manifest_id, S.DRAFT, S.DEPARTED)
    if m.blocked():
        raise DepartureBlocked(m.manifest_id, m.blocked())
    return [ManifestDeparted(**base)]


def arrive(cmd: Arrive, *, manifest: Manifest | None, now: datetime) -> list[Event]:
    _, _, base = _check(manifest, cmd.manifest_id, T.ARRIVE, cmd.occurred_at, now)
    return [ManifestArrived(**base)]


def hand_over_manifest(cmd: HandOverManifest, *, manifest: Manifest | None, now: datetime) -> list[Event]:
    """The receiving custodian signed for the people; ``receipt_id`` is the dual-signed receipt."""
    _, _, base = _check(manifest, cmd.manifest_id, T.HAND_OVER, cmd.occurred_at, now)
    return [ManifestHandedOver(**base, receipt_id=_reason_record(cmd.receipt_id))]


def close_manifest(cmd: CloseManifest, *, manifest: Manifest | None, open_incidents: int, now: datetime) -> list[Event]:
    """Invariant 5: a manifest with an open incident (e.g. a headcount difference) cannot be closed."""
    m, _, base = _check(manifest, cmd.manifest_id, T.CLOSE, cmd.occurred_at, now)
    if open_incidents < 0:
        raise InvalidField("open_incidents", open_incidents, "negative")
    if open_incidents:
        raise Refused("manifest", m.manifest_id, "incidents-open")
    return [ManifestClosed(**base)]


def halt_manifest(cmd: HaltManifest, *, manifest: Manifest | None, now: datetime) -> list[Event]:
    _, _, base = _check(manifest, cmd.manifest_id, T.HALT, cmd.occurred_at, now)
    return [ManifestHalted(**base, reason=HaltReason(cmd.reason), record_id=_reason_record(cmd.record_id))]


def return_manifest(cmd: ReturnManifest, *, manifest: Manifest | None, now: datetime) -> list[Event]:
    _, _, base = _check(manifest, cmd.manifest_id, T.RETURN, cmd.occurred_at, now)
    return [ManifestReturned(**base, reason=ReturnReason(cmd.reason), record_id=_reason_record(cmd.record_id))]


def cancel_manifest(cmd: CancelManifest, *, manifest: Manifest | None, now: datetime) -> list[Event]:
    _, _, base = _check(manifest, cmd.manifest_id, T.CANCEL, cmd.occurred_at, now)
    return [ManifestCancelled(**base, reason=CancelReason(cmd.reason), record_id=_reason_record(cmd.record_id))]

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
from datetime import datetime
from typing import Any

from habeas.domain.errors import AlreadyExists, InvalidField, Refused, UnknownRecord
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
from habeas.domain.manifest_state import (
    TRANSITIONS,
    DepartureBlocked,
    Manifest,
    ManifestTransition,
    ManifestTransitionRefused,
    PersonGates,
    apply_manifest,
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

S = ManifestStatus
T = ManifestTransition


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
    m: Manifest, at: datetime, cmd: ClearManifest | RecordGateResults, results: Mapping[str, Sequence[GateCheck]],
    people: Sequence[str],
) -> list[GateEvaluated]:
    unknown = sorted(set(results) - set(m.people))
    if unknown:
        raise UnknownRecord(f"person on manifest {m.manifest_id}", unknown[0])
    return [
        GateEvaluated(
            stream=m.manifest_id,
            occurred_at=at,
            person_id=p,
            policy=require_slug("policy", cmd.policy),
            checks=tuple(results[p]),
            pack_sha256=cmd.pack_sha256,
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
    events: list[Event] = list(_gate_events(m, at, cmd, results, m.people))
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
    return list(_gate_events(m, at, cmd, results, sorted(results)))


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

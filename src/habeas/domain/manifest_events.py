"""Manifest events and their vocabulary: statuses, coded reasons, and gate results as the ledger records them.

Every status-changing event carries ``from_status`` and ``to_status``; the decisions and the projection are in
:mod:`habeas.domain.manifests`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import ClassVar

from habeas.domain.events import PRIVATE, Event, EventType
from habeas.domain.moves import Leg
from habeas.domain.values import require_slug


class ManifestStatus(StrEnum):
    DRAFT = "draft"
    CLEARED = "cleared"
    BOARDING = "boarding"
    DEPARTED = "departed"
    ARRIVED = "arrived"
    HANDED_OVER = "handed_over"
    CLOSED = "closed"
    HALTED = "halted"
    RETURNED = "returned"
    CANCELLED = "cancelled"


class StrikeReason(StrEnum):
    """Why a person was struck from a manifest (ICE Air's records keep a "reason struck" per person)."""

    LEGAL_HOLD = "legal_hold"  # pending proceedings, an expressed intent to file habeas, a filed petition
    PROTECTION = "protection"
    STAY = "stay"
    COURT_ORDER = "court_order"
    GATE_FAILED = "gate_failed"
    MEDICAL = "medical"
    TRAVEL_DOCUMENT = "travel_document"
    IDENTITY = "identity"
    CAPACITY = "capacity"
    OPERATIONAL = "operational"
    DUPLICATE = "duplicate"
    OTHER = "other"


class HaltReason(StrEnum):
    COURT_ORDER = "court_order"
    STAY = "stay"
    GATE_FAILED = "gate_failed"
    SAFETY = "safety"
    MEDICAL = "medical"
    WEATHER = "weather"
    MECHANICAL = "mechanical"
    OPERATIONAL = "operational"
    OTHER = "other"


class ReturnReason(StrEnum):
    COURT_ORDER = "court_order"
    STAY = "stay"
    REFUSED_ENTRY = "refused_entry"
    MEDICAL = "medical"
    MECHANICAL = "mechanical"
    SAFETY = "safety"
    OTHER = "other"


class CancelReason(StrEnum):
    COURT_ORDER = "court_order"
    GATES_FAILED = "gates_failed"
    AGREEMENT = "agreement"
    OPERATIONAL = "operational"
    WEATHER = "weather"
    OTHER = "other"


class LapseCause(StrEnum):
    """Why a clearance stopped counting (adding or promoting someone lapses it by its own event)."""

    LEGAL_RECORD = "legal_record"
    POLICY_CHANGED = "policy_changed"
    GATE_RECHECK_FAILED = "gate_recheck_failed"
    OTHER = "other"


class GateOutcome(StrEnum):
    PASS = "pass"  # noqa: S105 (an outcome, not a password)
    FAIL = "fail"
    UNKNOWN = "unknown"


# --- gate results as the ledger records them -----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class GateCheck:
    """One gate's verdict on one person: public (a gate name, an outcome, a reason code, the record it rests on)."""

    gate: str
    outcome: GateOutcome
    reason_code: str
    rests_on_seq: int | None = None
    rests_on_record: str | None = None

    def __post_init__(self) -> None:
        require_slug("gate", self.gate)
        require_slug("reason_code", self.reason_code)
        object.__setattr__(self, "outcome", GateOutcome(self.outcome))

    @property
    def blocks(self) -> bool:
        return self.outcome is not GateOutcome.PASS


# --- events --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ManifestCreated(Event):
    """``stream`` is the manifest id; one per leg of a journey."""

    TYPE: ClassVar[EventType] = EventType.MANIFEST_CREATED

    journey_id: str
    leg_index: int
    leg: Leg
    people: tuple[str, ...]
    alternates: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class ManifestChanged(Event):
    """Base of the events that may change the status; ``to_status`` is the status after the event."""

    from_status: ManifestStatus
    to_status: ManifestStatus


@dataclass(frozen=True, kw_only=True)
class ManifestPersonAdded(ManifestChanged):
    TYPE: ClassVar[EventType] = EventType.MANIFEST_PERSON_ADDED

    person_id: str
    alternate: bool


@dataclass(frozen=True, kw_only=True)
class ManifestPersonStruck(ManifestChanged):
    """``note`` is free text and may say why in personal terms (health, family): it is private."""

    TYPE: ClassVar[EventType] = EventType.MANIFEST_PERSON_STRUCK

    person_id: str
    reason: StrikeReason
    note: str | None = field(default=None, metadata=PRIVATE)


@dataclass(frozen=True, kw_only=True)
class ManifestAlternatePromoted(ManifestChanged):
    TYPE: ClassVar[EventType] = EventType.MANIFEST_ALTERNATE_PROMOTED

    person_id: str


@dataclass(frozen=True, kw_only=True)
class GateEvaluated(Event):
    """One person's gate results at ``occurred_at`` (at clearance, or a re-check); ``stream`` is the manifest."""

    TYPE: ClassVar[EventType] = EventType.GATE_EVALUATED

    person_id: str
    policy: str
    checks: tuple[GateCheck, ...]
    pack_sha256: str = ""  # the pack's content hash: which rules these results came from, checkable by anyone


@dataclass(frozen=True, kw_only=True)
class ManifestCleared(ManifestChanged):
    TYPE: ClassVar[EventType] = EventType.MANIFEST_CLEARED

    policy: str
    people_count: int


@dataclass(frozen=True, kw_only=True)
class ManifestClearanceLapsed(ManifestChanged):
    TYPE: ClassVar[EventType] = EventType.MANIFEST_CLEARANCE_LAPSED

    cause: LapseCause
    person_id: str | None = None
    record_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class ManifestBoardingStarted(ManifestChanged):
    TYPE: ClassVar[EventType] = EventType.MANIFEST_BOARDING_STARTED


@dataclass(frozen=True, kw_only=True)
class ManifestDeparted(ManifestChanged):
    TYPE: ClassVar[EventType] = EventType.MANIFEST_DEPARTED


@dataclass(frozen=True, kw_only=True)
class ManifestArrived(ManifestChanged):
    TYPE: ClassVar[EventType] = EventType.MANIFEST_ARRIVED


@dataclass(frozen=True, kw_only=True)
class ManifestHandedOver(ManifestChanged):
    TYPE: ClassVar[EventType] = EventType.MANIFEST_HANDED_OVER

    receipt_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class ManifestClosed(ManifestChanged):
    TYPE: ClassVar[EventType] = EventType.MANIFEST_CLOSED


@dataclass(frozen=True, kw_only=True)
class ManifestHalted(ManifestChanged):
    """``record_id`` names the record behind the halt (a court order, a stay) where there is one."""

    TYPE: ClassVar[EventType] = EventType.MANIFEST_HALTED

    reason: HaltReason
    record_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class ManifestReturned(ManifestChanged):
    TYPE: ClassVar[EventType] = EventType.MANIFEST_RETURNED

    reason: ReturnReason
    record_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class ManifestCancelled(ManifestChanged):
    TYPE: ClassVar[EventType] = EventType.MANIFEST_CANCELLED

    reason: CancelReason
    record_id: str | None = None

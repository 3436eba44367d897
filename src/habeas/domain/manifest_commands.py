"""Manifest commands: frozen, keyword-only, imperative; decided by :mod:`habeas.domain.manifests`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from habeas.domain.command import Command
from habeas.domain.manifest_events import CancelReason, HaltReason, LapseCause, ReturnReason, StrikeReason
from habeas.domain.moves import Leg


@dataclass(frozen=True, kw_only=True)
class ManifestCommand(Command):
    manifest_id: str
    occurred_at: datetime


@dataclass(frozen=True, kw_only=True)
class CreateManifest(ManifestCommand):
    journey_id: str
    leg_index: int
    leg: Leg
    people: tuple[str, ...] = ()
    alternates: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class PlanJourney(Command):
    journey_id: str
    legs: tuple[Leg, ...]
    manifest_ids: tuple[str, ...]
    occurred_at: datetime
    people: tuple[str, ...] = ()
    alternates: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class AddToManifest(ManifestCommand):
    person_id: str
    alternate: bool = False


@dataclass(frozen=True, kw_only=True)
class StrikeFromManifest(ManifestCommand):
    person_id: str
    reason: StrikeReason
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class PromoteAlternate(ManifestCommand):
    person_id: str | None = None  # None: the first alternate in order


@dataclass(frozen=True, kw_only=True)
class ClearManifest(ManifestCommand):
    # The deployment's pack for the leg, filled in by the services (a request never chooses it): its name and
    # the SHA-256 of its bytes, recorded with every gate result.
    policy: str = ""
    pack_sha256: str = ""


@dataclass(frozen=True, kw_only=True)
class RecordGateResults(ManifestCommand):
    policy: str = ""
    pack_sha256: str = ""


@dataclass(frozen=True, kw_only=True)
class RequireReclearance(ManifestCommand):
    cause: LapseCause
    person_id: str | None = None
    record_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class BeginBoarding(ManifestCommand):
    pass


@dataclass(frozen=True, kw_only=True)
class Depart(ManifestCommand):
    pass


@dataclass(frozen=True, kw_only=True)
class Arrive(ManifestCommand):
    pass


@dataclass(frozen=True, kw_only=True)
class HandOverManifest(ManifestCommand):
    receipt_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class CloseManifest(ManifestCommand):
    pass


@dataclass(frozen=True, kw_only=True)
class HaltManifest(ManifestCommand):
    reason: HaltReason
    record_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class ReturnManifest(ManifestCommand):
    reason: ReturnReason
    record_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class CancelManifest(ManifestCommand):
    reason: CancelReason
    record_id: str | None = None

"""Who the intake of an arrived manifest admits: everyone the manifest lists, less those a count did not find (an
open headcount discrepancy or escape on the manifest names them) and those already held at the destination.

Each person left is admitted by the ordinary intake command (a unit chosen by the rules), all in one transaction;
this decides only the list, and refuses before the manifest has arrived or when there is no one left to admit.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from habeas.domain.errors import InvalidField, Refused, UnknownRecord, shown
from habeas.domain.manifest_events import ManifestStatus
from habeas.domain.manifest_state import Manifest

__all__ = [
    "ADMITTABLE", "ManifestIntakePlan", "ManifestNotArrived", "NobodyToAdmit", "left_out", "plan_manifest_intake",
]

# An arrived manifest, before or after the receiving custodian signed for it (the demo's buses are admitted
# before their manifest is handed over within the agency; a flight is handed over first).
ADMITTABLE = frozenset({ManifestStatus.ARRIVED, ManifestStatus.HANDED_OVER})


class ManifestNotArrived(Refused):
    """Intake from a manifest that has not arrived (or was returned, cancelled or closed)."""

    def __init__(self, manifest_id: str, status: str) -> None:
        super().__init__("manifest", manifest_id, "not_arrived")
        self.status = str(status)
        self.args = (
            f"manifest {shown(manifest_id)} is {self.status}, not arrived: the people of a manifest are admitted "
            "once it has arrived (record its arrival first)",
        )


class NobodyToAdmit(Refused):
    """Everyone on the manifest is already held at the destination or was not found at a count."""

    def __init__(self, manifest_id: str, already_held: int, missing: int) -> None:
        super().__init__("manifest", manifest_id, "nobody_to_admit")
        self.args = (
            f"manifest {shown(manifest_id)}: nobody to admit ({already_held} already held at the destination, "
            f"{missing} not found at a count with the incident still open)",
        )


@dataclass(frozen=True, kw_only=True)
class ManifestIntakePlan:
    manifest_id: str
    facility_id: str
    admit: tuple[str, ...]  # in the manifest's order
    missing: Mapping[str, str]  # person -> the open incident that says they were not found
    already_held: tuple[str, ...]


def plan_manifest_intake(
    manifest: Manifest | None,
    manifest_id: str,
    *,
    facility_id: str | None,
    missing: Mapping[str, str],
    held_at: Mapping[str, str | None],
) -> ManifestIntakePlan:
    """The people to admit at the leg's destination facility (or ``facility_id`` where the leg names none).

    ``missing``: people an open discrepancy or escape on this manifest names, with its id. ``held_at``: for each
    person on the manifest, the facility they are held in now (None when not held in one).
    """
    if manifest is None:
        raise UnknownRecord("manifest", manifest_id)
    if manifest.status not in ADMITTABLE:
        raise ManifestNotArrived(manifest_id, manifest.status)
    destination = manifest.leg.destination_facility_id
    if destination is not None and facility_id is not None and facility_id != destination:
        raise InvalidField("facility_id", facility_id, f"the manifest's leg goes to {destination}; leave it out")
    facility = destination or facility_id
    if facility is None:
        raise InvalidField("facility_id", None, "the manifest's leg names no destination facility: name the facility")
    held = tuple(p for p in manifest.people if held_at.get(p) == facility)
    gone = {p: missing[p] for p in manifest.people if p in missing and p not in held}
    admit = tuple(p for p in manifest.people if p not in gone and p not in held)
    if not admit:
        raise NobodyToAdmit(manifest_id, len(held), len(gone))
    return ManifestIntakePlan(
        manifest_id=manifest_id, facility_id=facility, admit=admit, missing=gone, already_held=held
    )


def left_out(plan: ManifestIntakePlan) -> Collection[tuple[str, str]]:
    """``(person, why)`` for everyone on the manifest the intake does not admit, in a form a summary can show."""
    return [
        *((p, f"not found at a count ({incident} open)") for p, incident in plan.missing.items()),
        *((p, f"already held at {plan.facility_id}") for p in plan.already_held),
    ]

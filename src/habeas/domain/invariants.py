"""DESIGN.md's invariants that every move of a person must keep, whichever command makes it: pure decisions over
the facts the services load (:mod:`habeas.services.invariants`, called by the door), and their refusals.

- **Invariant 1** (one state, one place: nobody disappears between two records): a manifest departs only when
  everyone aboard whose custody is recorded here is on its leg; nobody gets off a leg while its manifest is en
  route (departed or halted).
- **Invariant 4** (no person departs while a blocking gate fails for them): a departure on a leg some manifest
  carries goes through that manifest, wherever it is recorded from (``custody depart`` as much as the manifest's
  own flow): the person is aboard (not struck, not an alternate), the manifest is boarding or departed, and their
  latest gate results all pass.
- **Invariant 5** (every custody handoff reconciles): custody passes only for people the last count on their
  manifest found and no open discrepancy incident names: not on a receipt, not at its completion, not by a
  direct hand-over or removal.

Every refusal is an :class:`InvariantRefused` (the API answers 409) that names the invariant, the ids, and what
to do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from habeas.domain.custody import CustodyState, CustodyStatus
from habeas.domain.errors import DomainError
from habeas.domain.manifest_events import GateCheck, ManifestStatus

S = ManifestStatus
DEPART_WHILE = frozenset({S.BOARDING, S.DEPARTED})  # the manifest's states a person may depart on its leg in
EN_ROUTE = frozenset({S.DEPARTED, S.HALTED})  # nobody leaves the leg in these: record its arrival or return
SHOWN = 5  # people a refusal names before "and N more"


class Listing(StrEnum):
    """How a manifest lists a person."""

    ABOARD = "aboard"
    STRUCK = "struck"
    ALTERNATE = "alternate"
    NOT_LISTED = "not_listed"


@dataclass(frozen=True, kw_only=True)
class Carrier:
    """What one manifest carrying a leg says about one person: the facts a move of theirs on the leg obeys."""

    manifest_id: str
    leg_id: str
    status: ManifestStatus
    listed: Listing
    struck_reason: str | None = None  # the reason code, when struck
    gates: tuple[GateCheck, ...] | None = None  # the person's latest gate results; None: never evaluated


@dataclass(frozen=True, kw_only=True)
class LastCount:
    """The latest headcount on a manifest (at whatever checkpoint): who it found. ``headcount_id`` None: none."""

    manifest_id: str
    headcount_id: str | None = None
    checkpoint: str | None = None
    counted: frozenset[str] = frozenset()


# -- refusals --------------------------------------------------------------------------------------------------


def _people(person_ids: Sequence[str]) -> str:
    shown = ", ".join(person_ids[:SHOWN])
    return shown if len(person_ids) <= SHOWN else f"{shown} and {len(person_ids) - SHOWN} more"


class InvariantRefused(DomainError):
    """A command that would break one of DESIGN.md's invariants, on whatever path it came."""

    code = "invariant-refused"

    def __init__(self, message: str, *, invariant: int) -> None:
        self.invariant = invariant  # DESIGN.md's number, in the message and the problem body
        super().__init__(f"{message} (invariant {invariant})")


class NotAboard(InvariantRefused):
    """A move on a leg some manifest carries, of a person that manifest does not carry: struck (the reason is
    named), an alternate, or not listed at all."""

    code = "not-aboard"

    def __init__(self, person_id: str, manifest_id: str, leg_id: str, listed: Listing, reason: str | None) -> None:
        self.person_id = person_id
        self.manifest_id = manifest_id
        self.leg_id = leg_id
        self.listed = listed
        self.reason = reason
        where = f"manifest {manifest_id!r}, which carries leg {leg_id!r}"
        if listed is Listing.STRUCK:
            why = f" (reason {reason})" if reason else ""
            text = (f"person {person_id!r} was struck from {where}{why}: they may not move on that leg by any path; "
                    "to fly them, add them back and clear the manifest again")
        elif listed is Listing.ALTERNATE:
            text = (f"person {person_id!r} is an alternate on {where}: promote them (manifest promote) and clear "
                    "the manifest again before they depart")
        else:
            text = (f"person {person_id!r} is not aboard {where}: add them (manifest add) and clear the manifest "
                    "again, or move them on a leg of their own")
        super().__init__(text, invariant=4)


_DEPART_HINTS = {
    S.DRAFT: "clear it and begin boarding first (manifest clear, manifest board)",
    S.CLEARED: "begin boarding first (manifest board)",
}


class ManifestNotReady(InvariantRefused):
    """A move on a leg whose manifest is not in a state that allows it: a departure before boarding began (or
    after the manifest stopped flying), a step off the leg while its manifest is en route."""

    code = "manifest-not-ready"

    def __init__(self, person_id: str, manifest_id: str, leg_id: str, status: ManifestStatus, move: str) -> None:
        self.person_id = person_id
        self.manifest_id = manifest_id
        self.leg_id = leg_id
        self.manifest_status = status
        self.move = move
        if move == "depart":
            hint = _DEPART_HINTS.get(status, "it is not flying any more: put them on a manifest of their own")
            text = (f"person {person_id!r} cannot depart on leg {leg_id!r}: its manifest {manifest_id!r} is "
                    f"{status}; {hint}")
        else:
            text = (f"person {person_id!r} cannot leave leg {leg_id!r} ({move}): its manifest {manifest_id!r} is "
                    f"{status}, en route; record its arrival or return first (manifest arrive, manifest return)")
        super().__init__(text, invariant=4 if move == "depart" else 1)


class GateBlocksPerson(InvariantRefused):
    """A departure of a person aboard whose latest gate results on the manifest do not all pass."""

    code = "gate-blocks-person"

    def __init__(self, person_id: str, manifest_id: str, leg_id: str, gates: Sequence[str]) -> None:
        self.person_id = person_id
        self.manifest_id = manifest_id
        self.leg_id = leg_id
        self.gates = tuple(gates)
        what = f"gates {', '.join(self.gates)} block them" if self.gates else "they have no gate results"
        super().__init__(
            f"person {person_id!r} cannot depart on leg {leg_id!r}: on manifest {manifest_id!r} {what}; clear the "
            "manifest again once the records allow it, or strike them", invariant=4,
        )


class NotBoarded(InvariantRefused):
    """A manifest departing while someone aboard is recorded elsewhere (still at the facility, say)."""

    code = "not-boarded"

    def __init__(self, manifest_id: str, leg_id: str, person_ids: Sequence[str], places: Sequence[str]) -> None:
        self.manifest_id = manifest_id
        self.leg_id = leg_id
        self.person_ids = tuple(person_ids)
        shown = "; ".join(places[:SHOWN]) + (f"; and {len(places) - SHOWN} more" if len(places) > SHOWN else "")
        super().__init__(
            f"manifest {manifest_id!r} cannot depart: {len(self.person_ids)} aboard not on its leg {leg_id!r} "
            f"({shown}); depart each on the leg (custody depart) or strike them first", invariant=1,
        )


class DiscrepancyOpen(InvariantRefused):
    """Custody passing for a person an open headcount-discrepancy incident names."""

    code = "discrepancy-open"

    def __init__(self, person_ids: Sequence[str], incident_ids: Sequence[str], receipt_id: str | None) -> None:
        self.person_ids = tuple(person_ids)
        self.incident_ids = tuple(incident_ids)
        self.receipt_id = receipt_id
        super().__init__(
            f"custody cannot pass for {_people(self.person_ids)}: a count did not reconcile for them and incident "
            f"{', '.join(self.incident_ids)} is open; find them, resolve it (incident resolve) and count again, "
            "or leave them out", invariant=5,
        )


class NotCounted(InvariantRefused):
    """Custody passing for a person the last count on their manifest did not find (or who was never counted)."""

    code = "not-counted"

    def __init__(
        self, person_ids: Sequence[str], manifest_id: str, headcount_id: str | None, checkpoint: str | None,
        receipt_id: str | None,
    ) -> None:
        self.person_ids = tuple(person_ids)
        self.manifest_id = manifest_id
        self.headcount_id = headcount_id
        self.checkpoint = checkpoint
        self.receipt_id = receipt_id
        if headcount_id is None:
            text = (f"custody cannot pass for {_people(self.person_ids)}: manifest {manifest_id!r} has no headcount; "
                    f"count the people first (headcount record {manifest_id} --checkpoint handoff)")
        else:
            text = (f"custody cannot pass for {_people(self.person_ids)}: the last count on manifest "
                    f"{manifest_id!r} ({headcount_id}, at {checkpoint}) did not find them; count again "
                    f"(headcount record {manifest_id}) or leave them out")
        super().__init__(text, invariant=5)


# -- decisions -------------------------------------------------------------------------------------------------

_PRIORITY = {Listing.ABOARD: 0, Listing.STRUCK: 1, Listing.ALTERNATE: 2, Listing.NOT_LISTED: 3}


def carrier_of(carriers: Sequence[Carrier]) -> Carrier | None:
    """The manifest a person's move on a leg goes through, of those carrying it (in the order they were made):
    one they are aboard, else one they were struck from, else one they are an alternate on, else the latest."""
    if not carriers:
        return None
    best = min(_PRIORITY[c.listed] for c in carriers)
    return [c for c in carriers if _PRIORITY[c.listed] == best][-1]


def require_departure(person_id: str, carrier: Carrier) -> None:
    """Invariant 4: a departure on a manifest's leg goes through the manifest: aboard, boarding or departed, no
    gate blocking (no results at all blocks too: missing data is not consent)."""
    if carrier.listed is not Listing.ABOARD:
        raise NotAboard(person_id, carrier.manifest_id, carrier.leg_id, carrier.listed, carrier.struck_reason)
    if carrier.status not in DEPART_WHILE:
        raise ManifestNotReady(person_id, carrier.manifest_id, carrier.leg_id, carrier.status, "depart")
    if carrier.gates is None or not carrier.gates or any(g.blocks for g in carrier.gates):
        blocking = [f"{g.gate} ({g.outcome})" for g in carrier.gates or () if g.blocks]
        raise GateBlocksPerson(person_id, carrier.manifest_id, carrier.leg_id, blocking)


def require_leaving(person_id: str, carrier: Carrier, move: str) -> None:
    """Invariant 1: nobody leaves a leg (arrives, is admitted, handed over or removed, changes legs) while its
    manifest is en route; before departure stepping off is allowed (deplaning), after arrival or return too."""
    if carrier.status in EN_ROUTE:
        raise ManifestNotReady(person_id, carrier.manifest_id, carrier.leg_id, carrier.status, move)


def _place(state: CustodyState) -> str:
    if state.status is CustodyStatus.IN_CUSTODY:
        return f"{state.person_id} in custody at {state.facility_id}"
    if state.status is CustodyStatus.IN_TRANSIT:
        return f"{state.person_id} on leg {state.leg_id}"
    return f"{state.person_id} {state.status.replace('_', ' ')}"


def require_boarded(manifest_id: str, leg_id: str, states: Sequence[CustodyState]) -> None:
    """Invariant 1: a manifest departs only with everyone aboard whose custody is recorded here on its leg (a
    person never held here, whose custody another record keeps, is not asked)."""
    elsewhere = [
        s for s in states
        if s.status is not CustodyStatus.NOT_HELD and not (s.status is CustodyStatus.IN_TRANSIT and s.leg_id == leg_id)
    ]
    if elsewhere:
        raise NotBoarded(manifest_id, leg_id, [s.person_id for s in elsewhere], [_place(s) for s in elsewhere])


def require_reconciled(
    person_ids: Sequence[str],
    *,
    counts: Mapping[str, Sequence[LastCount]],
    discrepancies: Mapping[str, Sequence[str]],
    receipt_id: str | None = None,
) -> None:
    """Invariant 5: custody passes only for people no open discrepancy incident names (``discrepancies``: the
    open incidents naming each) and whom the last count on each of their manifests (``counts``) found."""
    open_ = [p for p in person_ids if discrepancies.get(p)]
    if open_:
        incidents = dict.fromkeys(i for p in open_ for i in discrepancies[p])
        raise DiscrepancyOpen(open_, tuple(incidents), receipt_id)
    missed: dict[str, tuple[LastCount, list[str]]] = {}
    for p in person_ids:
        for count in counts.get(p, ()):
            if p not in count.counted:
                missed.setdefault(count.manifest_id, (count, []))[1].append(p)
    for count, people in missed.values():
        raise NotCounted(people, count.manifest_id, count.headcount_id, count.checkpoint, receipt_id)


class OverCapacity(InvariantRefused):
    """A custody step that would put a unit over its computed capacity: only intake may, with a recorded override
    (a reason and the deciding officer)."""

    code = "over-capacity"

    def __init__(self, person_id: str, facility_id: str, unit_id: str, *, held: int, capacity: int,
                 standard: str) -> None:
        self.person_id = person_id
        self.facility_id = facility_id
        self.unit_id = unit_id
        self.held = held
        self.capacity = capacity
        super().__init__(
            f"unit {facility_id}/{unit_id} holds {held} and its floor area allows {capacity} under {standard}: "
            f"person {person_id!r} cannot be placed there by a custody step; choose another unit, or admit them "
            "through intake with a capacity override naming the reason and the deciding officer", invariant=6,
        )


def require_room(person_id: str, facility_id: str, unit_id: str, *, others: int, capacity: int,
                 standard: str) -> None:
    """Invariant 6: the unit, with the person in it, within its computed capacity."""
    if others + 1 > capacity:
        raise OverCapacity(person_id, facility_id, unit_id, held=others, capacity=capacity, standard=standard)

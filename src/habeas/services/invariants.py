"""DESIGN.md's invariants checked in the door, for every command that moves a person, whatever path it takes.

Issue 11 found each rule kept on the path it was built for and broken on a side path: a man struck from a
manifest moved on its leg with ``custody depart``; a manifest departing while someone aboard was still recorded
at the facility; a receipt naming a man the count said was missing, signed and completed. So the door
(:class:`habeas.services.door.Services`) calls :func:`check` in the command's transaction, once it is authorised
and before it is decided, on the state it will be recorded on; :data:`CHECKS` says which command keeps which
invariant. The decisions are pure (:mod:`habeas.domain.invariants`); this module loads the facts they rest on.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, desc, select

from habeas.domain import commands as c
from habeas.domain import manifests as mf
from habeas.domain.codec import decode
from habeas.domain.custody import CustodyState, CustodyStatus
from habeas.domain.errors import InvalidField
from habeas.domain.events import EventType, event_from
from habeas.domain.facilities import CapacityStandard, computed_capacity
from habeas.domain.headcounts import HeadcountRecorded
from habeas.domain.incidents import IncidentKind
from habeas.domain.invariants import (
    Carrier,
    LastCount,
    Listing,
    carrier_of,
    require_boarded,
    require_departure,
    require_leaving,
    require_reconciled,
    require_room,
)
from habeas.domain.manifest_events import (
    GateCheck,
    GateEvaluated,
    GateOutcome,
    ManifestCreated,
    ManifestPersonStruck,
    ManifestStatus,
)
from habeas.domain.manifest_state import apply_manifest
from habeas.ledger.canonical import canonical
from habeas.services import facts
from habeas.services.custody import custody_state
from habeas.services.handoffs import CompleteHandoff, IssueHandoff, handoff_completed, receipt_event
from habeas.services.intake import AdmitAtIntake
from habeas.services.records import event_at
from habeas.storage import direct
from habeas.storage.projections.incidents import headcount
from habeas.storage.projections.manifests import load_manifest, manifest, manifest_person
from habeas.storage.projections.schema import KIND
from habeas.storage.schema import ledger_entry

# -- the facts -------------------------------------------------------------------------------------------------


def _struck_reason(conn: Connection, manifest_id: str, person_id: str) -> str | None:
    """Why the person was last struck from the manifest (read only when a refusal names it)."""
    seqs = conn.execute(
        select(ledger_entry.c.seq)
        .where(ledger_entry.c.stream == manifest_id, ledger_entry.c.type == EventType.MANIFEST_PERSON_STRUCK.value)
        .order_by(desc(ledger_entry.c.seq))
    ).scalars()
    for seq in seqs:
        event = event_at(conn, int(seq))
        if isinstance(event, ManifestPersonStruck) and event.person_id == person_id:
            return event.reason.value
    return None


_GATE_BODY = direct.Sql("SELECT body FROM p_gate_result WHERE manifest_id = ? AND person_id = ?")
_GATE_BODIES = direct.Sql("SELECT body FROM p_gate_result WHERE manifest_id = ? ORDER BY seq")


def _gates(conn: Connection, manifest_id: str, person_id: str) -> tuple[GateCheck, ...] | None:
    """The person's latest gate results on the manifest; None if never evaluated."""
    row = direct.first(conn, _GATE_BODY, (manifest_id, person_id))
    return None if row is None else _gate_event(manifest_id, json.loads(row[0])).checks


def _gate_event(manifest_id: str, data: Any) -> GateEvaluated:
    """A stored gate.evaluated body's event: every departure reads one, so one in the form the codec writes
    (:func:`_plain_gates`) is built straight from it; any other goes through the codec, which says what is wrong
    with it."""
    if _plain_gates(data):
        return GateEvaluated(
            stream=manifest_id, occurred_at=decode(data["occurred_at"], datetime, "occurred_at"),
            person_id=data["person_id"], policy=data["policy"],
            checks=tuple(GateCheck(**check) for check in data["checks"]),
            **({"pack_sha256": data["pack_sha256"]} if "pack_sha256" in data else {}),
        )
    event = event_from(EventType.GATE_EVALUATED.value, manifest_id, data, None)
    assert isinstance(event, GateEvaluated)
    return event


_GATES_REQUIRED = frozenset({"occurred_at", "person_id", "policy", "checks"})
_GATES_MAY = frozenset({"pack_sha256"})
_CHECK_REQUIRED, _CHECK_MAY = frozenset({"gate", "outcome", "reason_code"}), frozenset({"rests_on_seq",
                                                                                        "rests_on_record"})
_OUTCOMES = frozenset(o.value for o in GateOutcome)


def _plain_gates(data: Any) -> bool:
    """Whether a stored gate.evaluated body is in the form the codec decodes to exactly ``GateCheck(**check)``
    for each check (GateCheck still checks its codes); any other goes through the codec, which says what is
    wrong with it."""
    if not (isinstance(data, dict) and _GATES_REQUIRED <= data.keys() <= _GATES_REQUIRED | _GATES_MAY):
        return False
    if not all(isinstance(data[k], str) for k in ("person_id", "policy", *(_GATES_MAY & data.keys()))):
        return False
    try:
        decode(data["occurred_at"], datetime, "occurred_at")
    except InvalidField:
        return False
    checks = data["checks"]
    return isinstance(checks, list) and all(
        isinstance(c, dict) and _CHECK_REQUIRED <= c.keys() <= _CHECK_REQUIRED | _CHECK_MAY
        and isinstance(c["gate"], str) and isinstance(c["reason_code"], str)
        and isinstance(c["outcome"], str) and c["outcome"] in _OUTCOMES
        and (c.get("rests_on_seq") is None or type(c["rests_on_seq"]) is int)
        and (c.get("rests_on_record") is None or isinstance(c["rests_on_record"], str))
        for c in checks
    )


def _manifests_carrying(conn: Connection, leg_id: str) -> list[str]:
    """Every manifest carrying the leg, in the order they were made. The leg is inside the stored manifest.created
    body (RFC 8785 canonical JSON, so its ``leg_id`` member is written one way only): matched as text, then
    confirmed. Only moves of people on no manifest of the leg come here; theirs are found by person, indexed."""
    member = '"leg_id":' + canonical(leg_id).decode()
    rows = conn.execute(
        select(manifest.c.manifest_id).where(manifest.c.created_body.contains(member, autoescape=True))
        .order_by(manifest.c.seq)
    ).scalars()
    return [m for m in rows if (found := load_manifest(conn, m, with_results=False)) and found.leg.leg_id == leg_id]


# Each manifest listing a person (aboard, struck or an alternate), with its status and the leg it carries, in the
# order they were made: one statement for a person, as every departure asks it; and for a receipt's people at once.
_LISTED = (
    "SELECT mp.person_id, mp.manifest_id, mp.role, m.status, m.created_body FROM p_manifest_person mp"
    " JOIN p_manifest m ON m.manifest_id = mp.manifest_id"
)
_LISTED_ONE = direct.Sql(f"{_LISTED} WHERE mp.person_id = ? ORDER BY m.seq")
Listed = tuple[str, Listing, ManifestStatus, str]  # (manifest id, listing, status, leg id)
_CHUNK = 500  # ids per IN (...): well under SQLite's bound-parameter limit (a person's rows stay in one chunk)


@functools.lru_cache(maxsize=1024)
def _leg_of(manifest_id: str, created_body: str) -> str:
    """The leg id a manifest.created public body names, decoded as load_manifest decodes it. The body is the
    public log's and never changes (the row keeps it as created): decoded once for each manifest, not at every
    move of each person on it."""
    created = event_from(EventType.MANIFEST_CREATED.value, manifest_id, json.loads(created_body), None)
    assert isinstance(created, ManifestCreated)
    return created.leg.leg_id


def _listings(conn: Connection, person_ids: Sequence[str]) -> dict[str, list[Listed]]:
    """The manifests listing each person, in the order they were made."""
    if not person_ids:
        return {}
    if len(person_ids) == 1:
        rows = direct.rows(conn, _LISTED_ONE, (person_ids[0],))
    else:
        ids = list(dict.fromkeys(person_ids))
        rows = [tuple(r) for k in range(0, len(ids), _CHUNK) for r in conn.execute(
            select(manifest_person.c.person_id, manifest_person.c.manifest_id, manifest_person.c.role,
                   manifest.c.status, manifest.c.created_body)
            .join(manifest, manifest.c.manifest_id == manifest_person.c.manifest_id)
            .where(manifest_person.c.person_id.in_(ids[k : k + _CHUNK]))
            .order_by(manifest.c.seq)
        )]
    out: dict[str, list[Listed]] = {}
    for person_id, manifest_id, role, status, body in rows:
        out.setdefault(str(person_id), []).append(
            (str(manifest_id), Listing(role), ManifestStatus(status), _leg_of(str(manifest_id), str(body))))
    return out


def carriers(conn: Connection, leg_id: str, person_id: str, *, details: bool = True,
             listed: Sequence[Listed] | None = None) -> list[Carrier]:
    """What each manifest carrying the leg says about the person: the ones listing them (aboard, struck or an
    alternate), or, if none does, every one carrying it (which does not list them). ``details``: why they were
    struck and their gate results, which only a departure's decision reads (leaving a leg turns on the status
    alone). ``listed``: the person's :func:`_listings`, if already read."""
    if listed is None:
        listed = _listings(conn, [person_id]).get(person_id, [])
    found = [(m, listed_as, status) for m, listed_as, status, leg in listed if leg == leg_id]
    if not found:
        for manifest_id in _manifests_carrying(conn, leg_id):
            m = load_manifest(conn, manifest_id, with_results=False)
            assert m is not None
            found.append((m.manifest_id, Listing.NOT_LISTED, m.status))
    return [
        Carrier(
            manifest_id=m, leg_id=leg_id, status=status, listed=listed_as,
            struck_reason=_struck_reason(conn, m, person_id) if details and listed_as is Listing.STRUCK else None,
            gates=_gates(conn, m, person_id) if details and listed_as is Listing.ABOARD else None,
        )
        for m, listed_as, status in found
    ]


def _leg_carrier(conn: Connection, state: CustodyState, listed: Sequence[Listed] | None = None) -> Carrier | None:
    """The manifest carrying the leg the person is on, if they are on one a manifest carries (as leaving it turns
    on: its status, not the person's gates)."""
    if state.status is not CustodyStatus.IN_TRANSIT or state.leg_id is None:
        return None
    return carrier_of(carriers(conn, state.leg_id, state.person_id, details=False, listed=listed))


def _last_count(conn: Connection, manifest_id: str) -> LastCount:
    row = conn.execute(
        select(headcount.c.seq).where(headcount.c.manifest_id == manifest_id).order_by(desc(headcount.c.seq)).limit(1)
    ).first()
    event = None if row is None else event_at(conn, int(row.seq))
    if not isinstance(event, HeadcountRecorded):
        return LastCount(manifest_id=manifest_id)
    return LastCount(manifest_id=manifest_id, headcount_id=event.headcount_id, checkpoint=event.checkpoint.value,
                     counted=frozenset(event.counted_person_ids))


def _open_discrepancies(conn: Connection, person_ids: Sequence[str]) -> dict[str, list[str]]:
    """The open headcount-discrepancy incidents naming each person (open ones are few: all are read)."""
    wanted, out = set(person_ids), dict[str, list[str]]()
    for incident_id, people in direct.rows(conn, _OPEN_DISCREPANCIES, (IncidentKind.HEADCOUNT_DISCREPANCY.value,)):
        for p in json.loads(people):
            if p in wanted:
                out.setdefault(p, []).append(incident_id)
    return out


# every release, removal and hand-over asks it: sent straight to the driver
_OPEN_DISCREPANCIES = direct.Sql(
    "SELECT incident_id, person_ids FROM p_incident WHERE kind = ? AND resolved_seq IS NULL ORDER BY seq"
)


# -- the checks, named after the invariants ----------------------------------------------------------------------


def _off_leg(conn: Connection, state: CustodyState, move: str) -> None:
    """Invariant 1: off a leg only while its manifest is not en route."""
    carrier = _leg_carrier(conn, state)
    if carrier is not None:
        require_leaving(state.person_id, carrier, move)


def no_departure_past_a_gate(conn: Connection, cmd: c.DepartOnLeg) -> None:
    """Invariant 4 (no person departs while a blocking gate fails for them), on every path: a departure on a leg
    some manifest carries goes through it (aboard, boarding or departed, every gate passing); and off the leg the
    person is on (invariant 1) only once its manifest is not en route."""
    state = custody_state(conn, cmd.person_id)
    if state.leg_id != cmd.leg_id:
        _off_leg(conn, state, "another leg")
    carrier = carrier_of(carriers(conn, cmd.leg_id, cmd.person_id))
    if carrier is not None:
        require_departure(cmd.person_id, carrier)


def nobody_leaves_a_leg_in_the_air(conn: Connection, cmd: c.ArriveAtFacility | AdmitAtIntake) -> None:
    """Invariant 1 (one place at a time, nobody disappears): an arrival or an admission from a leg only once the
    leg's manifest has arrived or returned (or, before departure, stepping off)."""
    if isinstance(cmd, AdmitAtIntake):
        _off_leg(conn, custody_state(conn, cmd.admission.person_id), "admission")
    else:
        _off_leg(conn, custody_state(conn, cmd.person_id), "arrival")


def nobody_left_behind_at_wheels_up(conn: Connection, cmd: mf.Depart) -> None:
    """Invariant 1: a manifest departs only with everyone aboard whose custody is recorded here on its leg (boarded
    with ``custody depart``, as the demo does), never while one of them is still recorded at the facility."""
    m = load_manifest(conn, cmd.manifest_id, with_results=False)
    for (body,) in [] if m is None else direct.rows(conn, _GATE_BODIES, (cmd.manifest_id,)):
        m = apply_manifest(m, _gate_event(cmd.manifest_id, json.loads(body)))  # as load_manifest applies them
    if m is None or m.status is not ManifestStatus.BOARDING or m.blocked():
        return  # the manifest's own decision refuses these, naming why (unknown, its state, the gates)
    require_boarded(m.manifest_id, m.leg.leg_id, [custody_state(conn, p) for p in m.people])


def _reconciles(conn: Connection, person_ids: Sequence[str], manifest_id: str | None, receipt_id: str | None) -> None:
    """Invariant 5 for the people custody would pass for: off their leg only once it arrived (invariant 1), found by
    the last count on the receipt's manifest and on the manifest carrying them, named by no open discrepancy."""
    counts: dict[str, list[LastCount]] = {}
    known: dict[str, LastCount] = {}
    states = {p: custody_state(conn, p) for p in person_ids}
    # the manifests listing everyone on a leg, in one statement for the receipt, not one a person
    listings = _listings(conn, [p for p, s in states.items() if s.status is CustodyStatus.IN_TRANSIT and s.leg_id])
    for p in person_ids:
        carrier = _leg_carrier(conn, states[p], listings.get(p, []))
        if carrier is not None:
            require_leaving(p, carrier, "handoff")
        manifests = [*([manifest_id] if manifest_id else []), *([carrier.manifest_id] if carrier else [])]
        for m in dict.fromkeys(manifests):
            if m not in known:
                known[m] = _last_count(conn, m)
            counts.setdefault(p, []).append(known[m])
    require_reconciled(person_ids, counts=counts, discrepancies=_open_discrepancies(conn, person_ids),
                       receipt_id=receipt_id)


def a_receipt_reconciles(conn: Connection, cmd: IssueHandoff) -> None:
    """Invariant 5 (every custody handoff reconciles): a receipt names only people the last count on its manifest
    (and on the manifest carrying them) found and no open discrepancy incident names."""
    _reconciles(conn, cmd.person_ids, cmd.manifest_id, cmd.receipt_id)


def a_handoff_completes_reconciled(conn: Connection, cmd: CompleteHandoff) -> None:
    """Invariant 5 again at completion: a count between the receipt and the signatures may have missed someone."""
    issued = receipt_event(conn, cmd.receipt_id)
    if issued is None or handoff_completed(conn, cmd.receipt_id):
        return  # the handoff's own decision refuses these (unknown receipt, already completed)
    _reconciles(conn, issued.person_ids, issued.manifest_id, cmd.receipt_id)


def custody_never_passes_for_the_missing(conn: Connection, cmd: c.HandOver | c.Remove | c.Release) -> None:
    """Invariant 5 on the direct paths (a hand-over without a receipt, a removal, a release): never for a person
    an open discrepancy incident names (a man a count found missing is not let go on paper: nobody disappears
    between two records); and, invariant 1, never off a leg whose manifest is en route."""
    move = {c.HandOver: "handoff", c.Remove: "removal"}.get(type(cmd), "release")
    _off_leg(conn, custody_state(conn, cmd.person_id), move)
    require_reconciled((cmd.person_id,), counts={}, discrepancies=_open_discrepancies(conn, (cmd.person_id,)))


Check = Callable[[Connection, Any], None]

# Which invariants each command that moves a person must keep (exact command types, as the handlers are wired).
CHECKS: Mapping[type[c.Command], tuple[Check, ...]] = {
    c.DepartOnLeg: (no_departure_past_a_gate,),
    c.ArriveAtFacility: (nobody_leaves_a_leg_in_the_air,),
    AdmitAtIntake: (nobody_leaves_a_leg_in_the_air,),
    mf.Depart: (nobody_left_behind_at_wheels_up,),
    IssueHandoff: (a_receipt_reconciles,),
    CompleteHandoff: (a_handoff_completes_reconciled,),
    c.HandOver: (custody_never_passes_for_the_missing,),
    c.Remove: (custody_never_passes_for_the_missing,),
    c.Release: (custody_never_passes_for_the_missing,),
}


# A unit's public body (its floor area; as amended, for an amendment rewrites the row's body).
_UNIT_BODY = direct.Sql("SELECT body FROM p_record WHERE kind = ? AND record_id = ? AND parent_id = ?")
# The others the unit holds, counted only up to its capacity: whether there is room needs no more, so an admission
# into a large unit does not count everyone in it; the exact number only for a refusal, which names it.
_HELD = "FROM p_custody WHERE facility_id = ? AND unit_id = ? AND status = ? AND person_id <> ?"
_OTHERS_UP_TO = direct.Sql(f"SELECT count(*) FROM (SELECT 1 {_HELD} LIMIT ?) held")
_OTHERS = direct.Sql(f"SELECT count(*) {_HELD}")
_UNIT = KIND[EventType.UNIT_REGISTERED]
_IN_CUSTODY = CustodyStatus.IN_CUSTODY.value


def _unit_body(conn: Connection, facility_id: str, unit_id: str) -> str | None:
    row = direct.first(conn, _UNIT_BODY, (_UNIT, f"{facility_id}/{unit_id}", facility_id))
    return None if row is None else str(row[0])


@functools.lru_cache(maxsize=4096)
def _capacity(unit_body: str, standard: CapacityStandard) -> int:
    """The capacity a unit's body gives under ``standard`` (a unit's body changes only when amended: worked out
    once for each body and standard, not at every admission)."""
    return computed_capacity(decode(json.loads(unit_body)["floor_area_m2"], Decimal, "floor_area_m2"), standard)


def within_capacity(conn: Connection, cmd: c.AdmitToCustody | c.ArriveAtFacility | c.Rehouse,
                    standard: CapacityStandard) -> None:
    """Invariant 6 on the custody path: intake refuses a unit past its computed capacity unless an override is
    recorded, and an admission, arrival or rehousing into the same unit may not go around it."""
    facility_id = getattr(cmd, "facility_id", None) or custody_state(conn, cmd.person_id).facility_id
    if facility_id is None:
        return
    body = facts.remembered(facts.unit_area_key(facility_id, cmd.unit_id),
                            lambda: _unit_body(conn, facility_id, cmd.unit_id))
    if body is None:
        return  # an unknown unit: the domain refuses it, naming it
    capacity = _capacity(body, standard)
    held = (facility_id, cmd.unit_id, _IN_CUSTODY, cmd.person_id)
    others = facts.known(facts.others_key(facility_id, cmd.unit_id, cmd.person_id))  # an admission's loader's
    if others is None or others >= facts.OTHERS_BOUND:  # not counted, or not all counted
        others = int(direct.first(conn, _OTHERS_UP_TO, (*held, capacity))[0])
    if others >= capacity:
        others = int(direct.first(conn, _OTHERS, held)[0])
    require_room(cmd.person_id, facility_id, cmd.unit_id, others=others, capacity=capacity, standard=standard.value)


PLACING = (c.AdmitToCustody, c.ArriveAtFacility, c.Rehouse)  # custody steps that put someone in a unit


def check(conn: Connection, cmd: c.Command, standard: CapacityStandard) -> None:
    """Refuse ``cmd`` (an :class:`~habeas.domain.invariants.InvariantRefused`) if it would break an invariant.
    ``standard`` is the deployment pack's capacity standard (invariant 6)."""
    for rule in CHECKS.get(type(cmd), ()):
        rule(conn, cmd)
    if isinstance(cmd, PLACING):
        within_capacity(conn, cmd, standard)

"""Handlers of the moves, manifests and gates commands (issue 4).

The domain decides (:mod:`habeas.domain.manifests`), the gates judge (:mod:`habeas.gates`); here the state they
need is loaded from the projections. Clearance evaluates every gate of the chosen pack for everyone aboard at the
leg's scheduled departure. :func:`after_legal_record` is the hook the legal handlers call after recording: a
record about someone aboard a cleared manifest lapses its clearance, and a court order or stay that reaches
people already in flight is recorded as a re-check whose failure raises a return-required alert.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from habeas.domain import manifests as mf
from habeas.domain.commands import Command
from habeas.domain.court_orders import CourtOrderRecorded
from habeas.domain.errors import InvalidField
from habeas.domain.events import Event
from habeas.domain.legal import StayRecorded
from habeas.domain.manifest_events import GateCheck, GateOutcome, LapseCause, ManifestStatus
from habeas.domain.medical import FitnessToTravelRecorded
from habeas.gates import GateResult, PolicyError, after_departure_alert, evaluate, load_pack
from habeas.gates.evaluate import Coverage, coverage
from habeas.gates.policy import Policy
from habeas.gates.state import CourtOrderRecord, StayRecord
from habeas.services import legal_state
from habeas.services.unit_of_work import Result, UnitOfWork
from habeas.storage.projection_schema import projection_metadata
from habeas.storage.projections import record_key
from habeas.storage.projections_moves import ABOARD, gate_result, load_manifest, manifest, manifest_person

DEFAULT_PACK = "us-federal"
PACK_ENV = "HABEAS_POLICY_PACK"
S = ManifestStatus
_CLEARED = frozenset({S.CLEARED, S.BOARDING})
_IN_FLIGHT = frozenset({S.DEPARTED, S.HALTED})
_LIST_OPEN = frozenset({S.DRAFT, S.CLEARED, S.BOARDING})


def deployment_pack() -> str:
    """The pack this deployment runs: ``HABEAS_POLICY_PACK`` (a shipped name or a file), else us-federal."""
    return os.environ.get(PACK_ENV) or DEFAULT_PACK


def policy_of(name_or_path: str) -> Policy:
    try:
        return load_pack(name_or_path)
    except PolicyError as e:
        raise InvalidField("policy", name_or_path, str(e)) from e


@dataclass(frozen=True, kw_only=True)
class Clearance:
    """What ``clear`` and a re-check found: every gate's full answer (with its reason text) for each person."""

    manifest_id: str
    policy: str
    evaluated_at: datetime
    results: dict[str, list[GateResult]]
    blocked: tuple[str, ...]
    cleared: bool


def _manifest(conn: Connection, manifest_id: str) -> mf.Manifest | None:
    return load_manifest(conn, manifest_id)


def _evaluate(conn: Connection, m: mf.Manifest, policy: Policy, at: datetime) -> dict[str, list[GateResult]]:
    states = legal_state.manifest_legal_states(conn, m.people, m.leg, at)
    return {p: evaluate(s, m.leg, policy, at) for p, s in states.items()}


def _checks(results: dict[str, list[GateResult]]) -> dict[str, tuple[GateCheck, ...]]:
    return {p: tuple(r.check() for r in rs) for p, rs in results.items()}


# --- the handlers ------------------------------------------------------------------------------------------------


def plan_journey(cmd: mf.PlanJourney, *, uow: UnitOfWork) -> Result:
    existing = frozenset(
        r.manifest_id
        for r in uow.conn.execute(select(manifest.c.manifest_id).where(manifest.c.manifest_id.in_(cmd.manifest_ids)))
    )
    return Result(uow.record(mf.plan_journey(cmd, existing_manifest_ids=existing, now=uow.now)))


def create_manifest(cmd: mf.CreateManifest, *, uow: UnitOfWork) -> Result:
    exists = load_manifest(uow.conn, cmd.manifest_id, with_results=False) is not None
    return Result(uow.record(mf.create_manifest(cmd, already_exists=exists, now=uow.now)))


def _simple(decide: Callable[..., list[Event]]) -> Callable[..., Result]:
    """Handlers whose decision needs only the manifest."""

    def handle(cmd: Any, *, uow: UnitOfWork) -> Result:
        return Result(uow.record(decide(cmd, manifest=_manifest(uow.conn, cmd.manifest_id), now=uow.now)))

    return handle


def clear_manifest(cmd: mf.ClearManifest, *, uow: UnitOfWork) -> Result:
    """Every gate of the pack for everyone aboard, at the leg's scheduled departure; cleared only if none blocks."""
    policy = policy_of(cmd.policy)
    m = _manifest(uow.conn, cmd.manifest_id)
    results = {} if m is None else _evaluate(uow.conn, m, policy, m.leg.scheduled_departure)
    events = mf.clear_manifest(replace(cmd, policy=policy.name), manifest=m, results=_checks(results), now=uow.now)
    seqs = uow.record(events)
    cleared = any(isinstance(e, mf.ManifestCleared) for e in events)
    assert m is not None  # the domain refused an unknown manifest
    outcome = Clearance(
        manifest_id=m.manifest_id, policy=policy.name, evaluated_at=m.leg.scheduled_departure, results=results,
        blocked=mf.blocking_people(events), cleared=cleared,
    )
    return Result(seqs, value=outcome)


def record_gate_results(cmd: mf.RecordGateResults, *, uow: UnitOfWork) -> Result:
    """A re-check of everyone aboard at ``occurred_at`` (wheels-up, in flight): recorded, status unchanged."""
    policy = policy_of(cmd.policy)
    m = _manifest(uow.conn, cmd.manifest_id)
    results = {} if m is None else _evaluate(uow.conn, m, policy, cmd.occurred_at)
    events = mf.record_gate_results(
        replace(cmd, policy=policy.name), manifest=m, results=_checks(results), now=uow.now
    )
    assert m is not None
    outcome = Clearance(
        manifest_id=m.manifest_id, policy=policy.name, evaluated_at=cmd.occurred_at, results=results,
        blocked=mf.blocking_people(events), cleared=m.status is not S.DRAFT,
    )
    return Result(uow.record(events), value=outcome)


def _refuse_if_blocked(m: mf.Manifest | None) -> None:
    """Invariant 4 named before the state machine speaks: a draft left by a failed clearance names who blocks."""
    if m is not None and m.status in _LIST_OPEN and m.people and m.blocked():
        raise mf.DepartureBlocked(m.manifest_id, m.blocked())


def begin_boarding(cmd: mf.BeginBoarding, *, uow: UnitOfWork) -> Result:
    m = _manifest(uow.conn, cmd.manifest_id)
    _refuse_if_blocked(m)
    return Result(uow.record(mf.begin_boarding(cmd, manifest=m, now=uow.now)))


def depart(cmd: mf.Depart, *, uow: UnitOfWork) -> Result:
    m = _manifest(uow.conn, cmd.manifest_id)
    _refuse_if_blocked(m)
    return Result(uow.record(mf.depart(cmd, manifest=m, now=uow.now)))


def _open_incidents(conn: Connection, manifest_id: str) -> int:
    """Open incidents on the manifest, from the operation's ``p_incident`` projection (none while it is absent)."""
    table = projection_metadata.tables.get("p_incident")
    if table is None:
        return 0
    open_ = select(table.c.incident_id).where(table.c.manifest_id == manifest_id, table.c.resolved_at.is_(None))
    return len(conn.execute(open_).all())


def close_manifest(cmd: mf.CloseManifest, *, uow: UnitOfWork) -> Result:
    m = _manifest(uow.conn, cmd.manifest_id)
    events = mf.close_manifest(cmd, manifest=m, open_incidents=_open_incidents(uow.conn, cmd.manifest_id), now=uow.now)
    return Result(uow.record(events))


# --- the hook the legal handlers call ----------------------------------------------------------------------------


def _manifests_with(conn: Connection, statuses: frozenset[ManifestStatus], person_id: str | None = None) -> list[str]:
    query = select(manifest.c.manifest_id).where(manifest.c.status.in_([s.value for s in statuses]))
    if person_id is not None:
        query = query.join(manifest_person, manifest_person.c.manifest_id == manifest.c.manifest_id).where(
            manifest_person.c.person_id == person_id, manifest_person.c.role == ABOARD
        )
    return [r.manifest_id for r in conn.execute(query.order_by(manifest.c.manifest_id))]


def _policy_used(conn: Connection, manifest_id: str) -> str:
    row = conn.execute(
        select(gate_result.c.policy).where(gate_result.c.manifest_id == manifest_id).order_by(gate_result.c.seq.desc())
    ).first()
    return DEFAULT_PACK if row is None else str(row.policy)


def _lapse(uow: UnitOfWork, m: mf.Manifest, person_id: str, record_id: str, at: datetime) -> list[int]:
    cmd = mf.RequireReclearance(
        manifest_id=m.manifest_id, occurred_at=max(at, m.since), cause=LapseCause.LEGAL_RECORD,
        person_id=person_id, record_id=record_id,
    )
    return uow.record(mf.require_reclearance(cmd, manifest=m, now=uow.now))


def _in_flight_recheck(uow: UnitOfWork, m: mf.Manifest, record: Event, seq: int) -> list[int]:
    """A court order or stay that reaches people in flight: recorded as their re-check (the alert rests on it)."""
    found: StayRecord | CourtOrderRecord
    if isinstance(record, StayRecorded):
        found = legal_state.stay_record(seq, record)
        gate, code = "no_stay_in_force", "stay-in-force-after-departure"
    else:
        found = legal_state.court_order_record(seq, record)
        gate, code = "no_court_order_covering", "court-order-covers-after-departure"
    facts = [legal_state.person_facts(uow.conn, p) for p in m.people]
    alert = after_departure_alert(found, facts, manifest_id=m.manifest_id, leg=m.leg, departed_at=m.since)
    if alert is None:
        return []
    record_id = alert.record_id
    results: dict[str, tuple[GateCheck, ...]] = {}
    for ids, outcome, reason in (
        (alert.person_ids, GateOutcome.FAIL, code),
        (alert.undetermined_ids, GateOutcome.UNKNOWN, "class-coverage-undetermined"),
    ):
        for p in ids:
            results[p] = (
                GateCheck(gate=gate, outcome=outcome, reason_code=reason, rests_on_seq=seq, rests_on_record=record_id),
            )
    cmd = mf.RecordGateResults(
        manifest_id=m.manifest_id, occurred_at=max(record.occurred_at, m.since),
        policy=_policy_used(uow.conn, m.manifest_id),
    )
    return uow.record(mf.record_gate_results(cmd, manifest=m, results=results, now=uow.now))


def _covers_anyone(uow: UnitOfWork, record: CourtOrderRecorded, m: mf.Manifest) -> str | None:
    """The first person aboard the order covers, or whom the facts on record cannot rule out."""
    for p in m.people:
        if coverage(record.scope, legal_state.person_facts(uow.conn, p)) is not Coverage.NOT_COVERED:
            return p
    return None


def after_legal_record(uow: UnitOfWork, events: Sequence[Event], seqs: Sequence[int]) -> list[int]:
    """Called by the legal handlers after recording: lapses clearances and raises return-required alerts."""
    out: list[int] = []
    for event, seq in zip(events, seqs, strict=True):
        if not event.TYPE.value.startswith("legal.") and not isinstance(event, FitnessToTravelRecorded):
            continue  # a new fitness assessment lapses a clearance like a legal record does
        if isinstance(event, CourtOrderRecorded):
            candidates = _manifests_with(uow.conn, _CLEARED | _IN_FLIGHT)
            record_id = event.stream
        else:
            candidates = _manifests_with(uow.conn, _CLEARED | _IN_FLIGHT, event.stream)
            record_id = _record_id(event)
        for manifest_id in candidates:
            m = _manifest(uow.conn, manifest_id)
            assert m is not None
            if m.status in _CLEARED:
                person = event.stream if not isinstance(event, CourtOrderRecorded) else _covers_anyone(uow, event, m)
                if person is not None:
                    out += _lapse(uow, m, person, record_id, event.occurred_at)
            elif isinstance(event, CourtOrderRecorded | StayRecorded):
                out += _in_flight_recheck(uow, m, event, seq)
    return out


def _record_id(event: Event) -> str:
    return record_key(event)[1]


HANDLERS: dict[type[Command], Callable[..., Result]] = {
    mf.PlanJourney: plan_journey,
    mf.CreateManifest: create_manifest,
    mf.AddToManifest: _simple(mf.add_to_manifest),
    mf.StrikeFromManifest: _simple(mf.strike_from_manifest),
    mf.PromoteAlternate: _simple(mf.promote_alternate),
    mf.ClearManifest: clear_manifest,
    mf.RecordGateResults: record_gate_results,
    mf.RequireReclearance: _simple(mf.require_reclearance),
    mf.BeginBoarding: begin_boarding,
    mf.Depart: depart,
    mf.Arrive: _simple(mf.arrive),
    mf.HandOverManifest: _simple(mf.hand_over_manifest),
    mf.CloseManifest: close_manifest,
    mf.HaltManifest: _simple(mf.halt_manifest),
    mf.ReturnManifest: _simple(mf.return_manifest),
    mf.CancelManifest: _simple(mf.cancel_manifest),
}

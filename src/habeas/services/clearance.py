"""Clearance: every gate of a policy pack for everyone aboard, and what a new legal record does to manifests.

:func:`clear_manifest` evaluates at the leg's scheduled departure; :func:`record_gate_results` re-checks at a
given time (wheels-up, in flight). The packs are the deployment's, loaded once at start-up
(:mod:`habeas.bootstrap`) and injected as ``packs``: the leg's origin chooses which one clears it, never the
request, and every gate result records the pack's name and content hash.

:func:`after_legal_record` is a reaction (wired in :mod:`habeas.bootstrap`): a record about someone aboard a
cleared manifest lapses its clearance, and a court order or stay that reaches people already in flight is
recorded as a re-check whose failure raises a return-required alert. Each lapse is told to the caller: a
:class:`ClearanceLapsed` among the command's warnings (the CLI and the API show them).
"""

from __future__ import annotations

import functools
import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Connection

from habeas.domain import manifests as mf
from habeas.domain.command import Command
from habeas.domain.corrections import EntryCorrected
from habeas.domain.court_orders import CourtOrderRecorded
from habeas.domain.errors import InvalidField, UnknownRecord
from habeas.domain.events import Event, EventType
from habeas.domain.legal import StayRecorded
from habeas.domain.manifest_events import GateCheck, GateOutcome, LapseCause, ManifestStatus
from habeas.gates.coverage import Coverage, coverage
from habeas.gates.evaluate import after_departure_alert, checks, evaluate_people
from habeas.gates.policy import Packs, Policy
from habeas.gates.rules import GateResult
from habeas.gates.state import CourtOrderRecord, StayRecord
from habeas.services import legal_state
from habeas.services.records import event_at
from habeas.services.unit_of_work import Handler, Result, UnitOfWork
from habeas.storage import direct
from habeas.storage.projections.manifests import ABOARD, load_manifest
from habeas.storage.projections.schema import record_key

S = ManifestStatus
_CLEARED = frozenset({S.CLEARED, S.BOARDING})
# Gone from the origin and not yet handed over: in the air, halted, or landed and waiting on the apron. An order
# that reaches people in any of these binds their onward moves (a return-required alert).
_IN_FLIGHT = frozenset({S.DEPARTED, S.HALTED, S.ARRIVED})

# What lapses a clearance: a legal record about someone aboard, or a new fitness-to-travel assessment.
LAPSING = (*(t for t in EventType if t.value.startswith("legal.")), EventType.FITNESS_TO_TRAVEL_RECORDED)


def pack_for(packs: Packs, m: mf.Manifest, named: str) -> Policy:
    """The deployment's pack for the manifest's leg. A command may repeat its name (the record of an earlier
    clearance does) but never choose another: the pack is deployment configuration, not request input."""
    policy = packs.for_leg(m.leg.origin_country)
    if named and named != policy.name:
        raise InvalidField("policy", named, f"this deployment clears legs from {m.leg.origin_country} with pack "
                           f"{policy.name}; the pack is chosen at start-up (HABEAS_POLICY_PACK, `habeas --pack`)")
    return policy


@dataclass(frozen=True, kw_only=True)
class Clearance:
    """What ``clear`` and a re-check found: every gate's full answer (with its reason text) for each person."""

    manifest_id: str
    policy: str
    evaluated_at: datetime
    results: dict[str, list[GateResult]]
    blocked: tuple[str, ...]
    cleared: bool


def manifest_state(conn: Connection, manifest_id: str) -> mf.Manifest | None:
    """The manifest without its people's earlier gate results: no decision here reads them (clearing records new
    ones; a lapse and a re-check turn on the status), and reading them decodes one entry a person aboard."""
    return load_manifest(conn, manifest_id, with_results=False)


def _evaluate(conn: Connection, m: mf.Manifest, policy: Policy, at: datetime) -> dict[str, list[GateResult]]:
    states = legal_state.manifest_legal_states(conn, m.people, m.leg, at)
    return evaluate_people(states, m.leg, policy, at)


def _checks(results: dict[str, list[GateResult]]) -> dict[str, tuple[GateCheck, ...]]:
    return checks(results)


class _CollectorPause:
    """The cyclic garbage collector paused while manifests are evaluated and recorded.

    A clearance makes a few objects a person a gate (states, results, events, their encodings) that all live until
    its transaction ends: none is part of a cycle, so reference counting frees them, but their very number sets
    off the cyclic collector again and again, and each pass walks the whole growing heap (half the time of
    evaluating 10,000 people, measured). Whatever cycles appear meanwhile are collected at the next pass after.

    The collector is one for the process, and a server clears manifests on several threads: the pauses are
    counted, the collector runs again when the last one ends, and only if it was running when the first began.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pauses = 0
        self._resume = False

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._pauses == 0:
                self._resume = gc.isenabled()
                gc.disable()
            self._pauses += 1
        try:
            yield
        finally:
            with self._lock:
                self._pauses -= 1
                if self._pauses == 0 and self._resume:
                    gc.enable()


_no_cycle_collection = _CollectorPause()


def clear_manifest(cmd: mf.ClearManifest, *, uow: UnitOfWork, packs: Packs) -> Result:
    """Every gate of the pack for everyone aboard, at the leg's scheduled departure; cleared only if none blocks."""
    with _no_cycle_collection():
        return _clear_manifest(cmd, uow=uow, packs=packs)


def _clear_manifest(cmd: mf.ClearManifest, *, uow: UnitOfWork, packs: Packs) -> Result:
    m = manifest_state(uow.conn, cmd.manifest_id)
    if m is None:
        raise UnknownRecord("manifest", cmd.manifest_id)
    policy = pack_for(packs, m, cmd.policy)
    results = _evaluate(uow.conn, m, policy, m.leg.scheduled_departure)
    events = mf.clear_manifest(
        replace(cmd, policy=policy.name, pack_sha256=policy.sha256), manifest=m, results=_checks(results),
        now=uow.now,
    )
    seqs = uow.record(events)
    cleared = any(isinstance(e, mf.ManifestCleared) for e in events)
    outcome = Clearance(
        manifest_id=m.manifest_id, policy=policy.name, evaluated_at=m.leg.scheduled_departure, results=results,
        blocked=() if cleared else mf.blocking_people(events), cleared=cleared,  # cleared: nobody blocks
    )
    return Result(seqs, value=outcome)


def record_gate_results(cmd: mf.RecordGateResults, *, uow: UnitOfWork, packs: Packs) -> Result:
    """A re-check of everyone aboard at ``occurred_at`` (wheels-up, in flight): recorded, status unchanged."""
    with _no_cycle_collection():
        return _record_gate_results(cmd, uow=uow, packs=packs)


def _record_gate_results(cmd: mf.RecordGateResults, *, uow: UnitOfWork, packs: Packs) -> Result:
    m = manifest_state(uow.conn, cmd.manifest_id)
    if m is None:
        raise UnknownRecord("manifest", cmd.manifest_id)
    policy = pack_for(packs, m, cmd.policy)
    results = _evaluate(uow.conn, m, policy, cmd.occurred_at)
    events = mf.record_gate_results(
        replace(cmd, policy=policy.name, pack_sha256=policy.sha256), manifest=m, results=_checks(results),
        now=uow.now,
    )
    outcome = Clearance(
        manifest_id=m.manifest_id, policy=policy.name, evaluated_at=cmd.occurred_at, results=results,
        blocked=mf.blocking_people(events), cleared=m.status is not S.DRAFT,
    )
    return Result(uow.record(events), value=outcome)


# -- the reaction to legal records --------------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def _manifests_sql(n_statuses: int, of_person: bool) -> direct.Sql:
    marks = ", ".join("?" * n_statuses)
    if not of_person:
        return direct.Sql(f"SELECT manifest_id FROM p_manifest WHERE status IN ({marks}) ORDER BY manifest_id")
    return direct.Sql(
        "SELECT m.manifest_id FROM p_manifest m JOIN p_manifest_person mp ON mp.manifest_id = m.manifest_id"
        f" WHERE mp.person_id = ? AND mp.role = ? AND m.status IN ({marks}) ORDER BY m.manifest_id"
    )


def _manifests_with(conn: Connection, statuses: frozenset[ManifestStatus], person_id: str | None = None) -> list[str]:
    """The manifests in one of ``statuses`` (with ``person_id`` aboard, if named), by id. Every legal record
    asks this (:func:`after_legal_record`), so it goes straight to the driver (storage/direct.py): built as a
    Core expression it cost 0.4 ms a record, ten times the query."""
    values = sorted(s.value for s in statuses)
    if person_id is None:
        return [r[0] for r in direct.rows(conn, _manifests_sql(len(values), False), values)]
    return [r[0] for r in direct.rows(conn, _manifests_sql(len(values), True), (person_id, ABOARD, *values))]


@dataclass(frozen=True, kw_only=True)
class ClearanceLapsed:
    """A warning on the answer to a record that lapsed a clearance: the operator must know the manifest is back
    in draft (``seq`` is the ``manifest.clearance_lapsed`` entry)."""

    manifest_id: str
    person_id: str | None  # None: a corrected court order, which may concern anyone aboard
    record_id: str
    seq: int

    def __str__(self) -> str:
        whom = f"concerns {self.person_id} aboard" if self.person_id else "was corrected"
        return (f"clearance of manifest {self.manifest_id} lapsed (back to draft, entry {self.seq}): {self.record_id} "
                f"{whom}; clear it again before boarding (`habeas manifest clear {self.manifest_id}`)")


def _lapse(uow: UnitOfWork, m: mf.Manifest, person_id: str | None, record_id: str, at: datetime) -> list[int]:
    cmd = mf.RequireReclearance(
        manifest_id=m.manifest_id, occurred_at=max(at, m.since), cause=LapseCause.LEGAL_RECORD,
        person_id=person_id, record_id=record_id,
    )
    seqs = uow.record(mf.require_reclearance(cmd, manifest=m, now=uow.now))
    uow.notes += [ClearanceLapsed(manifest_id=m.manifest_id, person_id=person_id, record_id=record_id, seq=s)
                  for s in seqs]
    return seqs


def _in_flight_recheck(uow: UnitOfWork, m: mf.Manifest, record: Event, seq: int, packs: Packs) -> list[int]:
    """A court order or stay that reaches people in flight: recorded as their re-check (the alert rests on it)."""
    found: StayRecord | CourtOrderRecord
    if isinstance(record, StayRecorded):
        found = legal_state.stay_record(seq, record)
        gate, code = "no_stay_in_force", "stay-in-force-after-departure"
    else:
        found = legal_state.court_order_record(seq, record)
        gate, code = "no_court_order_covering", "court-order-covers-after-departure"
    facts = list(legal_state.people_facts(uow.conn, m.people).values())
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
    policy = packs.for_leg(m.leg.origin_country)
    cmd = mf.RecordGateResults(
        manifest_id=m.manifest_id, occurred_at=max(record.occurred_at, m.since), policy=policy.name,
        pack_sha256=policy.sha256,
    )
    return uow.record(mf.record_gate_results(cmd, manifest=m, results=results, now=uow.now))


def _covers_anyone(uow: UnitOfWork, record: CourtOrderRecorded, m: mf.Manifest) -> str | None:
    """The first person aboard the order covers, or whom the facts on record cannot rule out."""
    for p, facts in legal_state.people_facts(uow.conn, m.people).items():
        if coverage(record.scope, facts, leg=m.leg) is not Coverage.NOT_COVERED:
            return p
    return None


def after_legal_record(event: Event, seq: int, *, uow: UnitOfWork, packs: Packs) -> list[int]:
    """Lapses the clearances a new record touches and raises return-required alerts for people in flight."""
    out: list[int] = []
    if isinstance(event, CourtOrderRecorded):
        candidates = _manifests_with(uow.conn, _CLEARED | _IN_FLIGHT)
        record_id = event.stream
    else:
        candidates = _manifests_with(uow.conn, _CLEARED | _IN_FLIGHT, event.stream)
        record_id = record_key(event)[1]
    for manifest_id in candidates:
        m = manifest_state(uow.conn, manifest_id)
        assert m is not None
        if m.status in _CLEARED:
            person = event.stream if not isinstance(event, CourtOrderRecorded) else _covers_anyone(uow, event, m)
            if person is not None:
                out += _lapse(uow, m, person, record_id, event.occurred_at)
        elif isinstance(event, CourtOrderRecorded | StayRecorded):
            out += _in_flight_recheck(uow, m, event, seq, packs)
    return out


def after_correction(event: Event, seq: int, *, uow: UnitOfWork) -> list[int]:
    """A retracted or amended legal record weighs on a clearance as a new one does: the clearances of manifests
    it touches lapse, and the manifest must be cleared again on the records as corrected (invariant 4: the
    state machine found a removal order retracted after clearance, and the manifest departing on it)."""
    if not isinstance(event, EntryCorrected) or event.corrected_type not in LAPSING:
        return []
    corrected = event_at(uow.conn, event.corrected_seq)
    if corrected is None:
        return []
    if isinstance(corrected, CourtOrderRecorded):
        candidates, person = _manifests_with(uow.conn, _CLEARED), None
    else:
        candidates, person = _manifests_with(uow.conn, _CLEARED, corrected.stream), corrected.stream
    record_id = corrected.stream if isinstance(corrected, CourtOrderRecorded) else record_key(corrected)[1]
    out: list[int] = []
    for manifest_id in candidates:
        m = manifest_state(uow.conn, manifest_id)
        assert m is not None
        out += _lapse(uow, m, person, record_id, event.occurred_at)
    return out


HANDLERS: dict[type[Command], Handler] = {
    mf.ClearManifest: clear_manifest,
    mf.RecordGateResults: record_gate_results,
}

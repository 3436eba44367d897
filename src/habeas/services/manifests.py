"""Manifests: planning a journey, who is aboard, boarding, departure, arrival, closing; what is shown of them.

The domain decides (:mod:`habeas.domain.manifests`); clearance against a policy pack is
:mod:`habeas.services.clearance`. Every answer carries the seq of the entry it rests on.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from sqlalchemy import Connection, select

from habeas.domain import manifests as mf
from habeas.domain.actors import Caller
from habeas.domain.command import Command
from habeas.domain.errors import UnknownRecord
from habeas.domain.events import Event, EventType, event_from
from habeas.domain.manifest_events import GateCheck, GateEvaluated, ManifestChanged, ManifestCreated, ManifestStatus
from habeas.domain.manifest_state import PersonGates
from habeas.domain.moves import Leg
from habeas.services.access import MANIFEST, visible
from habeas.services.records import stream_events
from habeas.services.unit_of_work import Handler, Result, UnitOfWork
from habeas.storage import direct
from habeas.storage.projections.manifests import alert, gate_result, load_manifest, manifest
from habeas.storage.projections.schema import metadata as projection_metadata

S = ManifestStatus
_LIST_OPEN = frozenset({S.DRAFT, S.CLEARED, S.BOARDING})


def manifest_state(conn: Connection, manifest_id: str, *, with_results: bool = True) -> mf.Manifest | None:
    """The manifest as its projection holds it, with each person's latest gate results unless ``with_results``
    is False (a decision that reads only the status, the leg and who is aboard: results are the most of the
    cost of a full manifest's load, one decoded gate event a person).

    The results are ``load_manifest``'s, folded the same way, but each row's event decoded once a process
    (:func:`_person_gates`): boarding and departure read the same rows again and again."""
    m = load_manifest(conn, manifest_id, with_results=False)
    if m is None or not with_results:
        return m
    results: dict[str, PersonGates] = {}
    for (body,) in direct.rows(conn, _GATE_BODIES, (manifest_id,)):
        person_id, gates = _person_gates(manifest_id, body)
        results[person_id] = gates  # a later result of the same person replaces the earlier, as apply_manifest
    return replace(m, results=MappingProxyType(results))


_GATE_BODIES = direct.Sql("SELECT body FROM p_gate_result WHERE manifest_id = ? ORDER BY seq")


@functools.lru_cache(maxsize=2048)
def _person_gates(manifest_id: str, body: str) -> tuple[str, PersonGates]:
    """What ``apply_manifest`` takes from one ``gate.evaluated`` public body: a pure function of the body (the
    event has no private part), so a re-evaluation, with a new body, is a new key. 2,048 rows: a day of the
    busiest ICE Air date's manifests (1,524 people) boarded then departed; 8,192 cost 30 MB more resident."""
    event = event_from(EventType.GATE_EVALUATED.value, manifest_id, json.loads(body), None)
    assert isinstance(event, GateEvaluated)
    return event.person_id, PersonGates(evaluated_at=event.occurred_at, checks=event.checks)


def manifest_from_log(conn: Connection, manifest_id: str) -> mf.Manifest | None:
    """The manifest folded from its own stream (headcounts share the stream and are skipped)."""
    state: mf.Manifest | None = None
    for event in stream_events(conn, manifest_id, (ManifestCreated, ManifestChanged, GateEvaluated)):
        state = mf.apply_manifest(state, event)
    return state


_PEOPLE = direct.Sql("SELECT people FROM p_manifest WHERE manifest_id = ?")


def manifest_people(conn: Connection, manifest_id: str) -> tuple[str, ...] | None:
    """Who is aboard the manifest, in order (None: no such manifest): :func:`manifest_from_log`'s ``people``,
    read from the projection, which every entry of the manifest's stream updates in the entry's own transaction.
    A headcount asks it; folding the stream instead read every entry of it (10 ms a headcount of a full plane)."""
    row = direct.first(conn, _PEOPLE, (manifest_id,))
    return None if row is None else tuple(json.loads(row[0]))


# -- handlers ----------------------------------------------------------------------------------------------------


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
        m = manifest_state(uow.conn, cmd.manifest_id, with_results=False)  # none of them reads gate results
        return Result(uow.record(decide(cmd, manifest=m, now=uow.now)))

    return handle


def _refuse_if_blocked(m: mf.Manifest | None) -> None:
    """Invariant 4 named before the state machine speaks: a draft left by a failed clearance names who blocks."""
    if m is not None and m.status in _LIST_OPEN and m.people and m.blocked():
        raise mf.DepartureBlocked(m.manifest_id, m.blocked())


def begin_boarding(cmd: mf.BeginBoarding, *, uow: UnitOfWork) -> Result:
    m = manifest_state(uow.conn, cmd.manifest_id)
    _refuse_if_blocked(m)
    return Result(uow.record(mf.begin_boarding(cmd, manifest=m, now=uow.now)))


def depart(cmd: mf.Depart, *, uow: UnitOfWork) -> Result:
    m = manifest_state(uow.conn, cmd.manifest_id)
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
    m = manifest_state(uow.conn, cmd.manifest_id, with_results=False)
    events = mf.close_manifest(cmd, manifest=m, open_incidents=_open_incidents(uow.conn, cmd.manifest_id), now=uow.now)
    return Result(uow.record(events))


# -- queries ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PersonResult:
    person_id: str
    seq: int  # the gate.evaluated entry
    policy: str
    evaluated_at: str
    checks: tuple[GateCheck, ...]

    @property
    def blocks(self) -> bool:
        return not self.checks or any(c.blocks for c in self.checks)


@dataclass(frozen=True, kw_only=True)
class ManifestView:
    manifest_id: str
    journey_id: str
    leg_index: int
    leg: Leg
    status: str
    since: str
    seq: int
    updated_seq: int
    people: tuple[str, ...]
    alternates: tuple[str, ...]
    struck: tuple[str, ...]
    cleared_at: str | None
    results: dict[str, PersonResult]

    def blocked(self) -> tuple[str, ...]:
        return tuple(p for p in self.people if p not in self.results or self.results[p].blocks)


def manifest_view(conn: Connection, manifest_id: str) -> ManifestView:
    row = conn.execute(select(manifest).where(manifest.c.manifest_id == manifest_id)).first()
    m = load_manifest(conn, manifest_id, with_results=False)
    if row is None or m is None:
        raise UnknownRecord("manifest", manifest_id)
    results = {}
    for r in conn.execute(select(gate_result).where(gate_result.c.manifest_id == manifest_id)):
        body = json.loads(r.body)
        checks = tuple(GateCheck(**c) for c in body["checks"])
        results[r.person_id] = PersonResult(
            person_id=r.person_id, seq=int(r.seq), policy=r.policy, evaluated_at=r.evaluated_at, checks=checks
        )
    return ManifestView(
        manifest_id=manifest_id, journey_id=m.journey_id, leg_index=m.leg_index, leg=m.leg, status=row.status,
        since=row.since, seq=int(row.seq), updated_seq=int(row.updated_seq), people=m.people,
        alternates=m.alternates, struck=m.struck, cleared_at=row.cleared_at, results=results,
    )


@dataclass(frozen=True, kw_only=True)
class ManifestSummary:
    manifest_id: str
    journey_id: str
    leg_index: int
    status: str
    destination_country: str
    scheduled_departure: str
    aboard: int
    updated_seq: int


def list_manifests(conn: Connection) -> list[ManifestSummary]:
    rows = conn.execute(select(manifest).order_by(manifest.c.journey_id, manifest.c.leg_index, manifest.c.manifest_id))
    return [
        ManifestSummary(
            manifest_id=r.manifest_id, journey_id=r.journey_id, leg_index=int(r.leg_index), status=r.status,
            destination_country=r.destination_country, scheduled_departure=r.scheduled_departure,
            aboard=len(json.loads(r.people)), updated_seq=int(r.updated_seq),
        )
        for r in rows
    ]


@dataclass(frozen=True, kw_only=True)
class AlertView:
    """A return-required alert: a court order or stay that reaches people already gone."""

    kind: str
    manifest_id: str
    record_id: str
    record_seq: int | None
    raised_at: str
    seq: int  # the first gate.evaluated entry that raised it
    person_ids: tuple[str, ...]  # covered
    undetermined_ids: tuple[str, ...]  # the facts on record cannot rule them out: a person must decide


def alerts(conn: Connection) -> list[AlertView]:
    rows = conn.execute(select(alert).order_by(alert.c.seq, alert.c.manifest_id, alert.c.record_id, alert.c.person_id))
    out: dict[tuple[str, str], AlertView] = {}
    for r in rows:
        key = (r.manifest_id, r.record_id)
        found = out.get(key)
        covered = (r.person_id,) if r.outcome == "fail" else ()
        undetermined = (r.person_id,) if r.outcome != "fail" else ()
        if found is None:
            out[key] = AlertView(
                kind=r.kind, manifest_id=r.manifest_id, record_id=r.record_id,
                record_seq=None if r.record_seq is None else int(r.record_seq), raised_at=r.raised_at,
                seq=int(r.seq), person_ids=covered, undetermined_ids=undetermined,
            )
        else:
            out[key] = AlertView(
                kind=found.kind, manifest_id=found.manifest_id, record_id=found.record_id,
                record_seq=found.record_seq, raised_at=found.raised_at, seq=found.seq,
                person_ids=found.person_ids + covered, undetermined_ids=found.undetermined_ids + undetermined,
            )
    return list(out.values())


HANDLERS: dict[type[Command], Handler] = {
    mf.PlanJourney: plan_journey,
    mf.CreateManifest: create_manifest,
    mf.AddToManifest: _simple(mf.add_to_manifest),
    mf.StrikeFromManifest: _simple(mf.strike_from_manifest),
    mf.PromoteAlternate: _simple(mf.promote_alternate),
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


def manifests_in_view(conn: Connection, caller: Caller, status: str | None = None) -> list[ManifestSummary]:
    """:func:`list_manifests` in the caller's agency's view (in ``status``, if given)."""
    found = [m for m in list_manifests(conn) if status is None or m.status == status]
    seen = visible(conn, caller, MANIFEST, [m.manifest_id for m in found])
    return [m for m in found if m.manifest_id in seen]


def alerts_in_view(conn: Connection, caller: Caller) -> list[AlertView]:
    """The return-required :func:`alerts` on manifests in the caller's agency's view."""
    found = alerts(conn)
    seen = visible(conn, caller, MANIFEST, [a.manifest_id for a in found])
    return [a for a in found if a.manifest_id in seen]

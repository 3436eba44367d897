"""Read side of manifests and alerts: what `habeas manifest show` and `habeas alerts` print.

Every answer carries the seq of the entry it rests on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import Connection, select

from habeas.domain.errors import UnknownRecord
from habeas.domain.manifest_events import GateCheck
from habeas.domain.moves import Leg
from habeas.storage.projections_moves import alert, gate_result, load_manifest, manifest


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

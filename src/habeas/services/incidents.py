"""Incidents and headcounts: a death, an escape, a use of force...; a count that finds someone missing.

A death or an escape also changes the custody of each person named who is held here. A headcount that finds
someone missing opens an incident in the same entry group.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import Connection, and_, func, select

from habeas.domain import commands as c
from habeas.domain import custody, headcounts, incidents
from habeas.domain.actors import Caller
from habeas.domain.command import Command
from habeas.domain.custody import HELD
from habeas.domain.errors import AlreadyExists
from habeas.domain.incidents import IncidentKind, IncidentState, ResolveIncident
from habeas.services.access import INCIDENT, visible
from habeas.services.custody import custody_state
from habeas.services.manifests import manifest_people
from habeas.services.unit_of_work import Handler, Result, UnitOfWork, as_domain
from habeas.storage.projections.incidents import headcount, incident


@dataclass(frozen=True, kw_only=True)
class RecordHeadcount(headcounts.RecordHeadcount, Command):
    """``expected_person_ids`` ``None``: the people on the manifest (its own stream) are expected."""

    expected_person_ids: tuple[str, ...] | None = None


@dataclass(frozen=True, kw_only=True)
class RecordIncident(incidents.RecordIncident, Command):
    """A death or an escape also changes the custody of each person named who is held here."""


def incident_state(conn: Connection, incident_id: str) -> IncidentState | None:
    row = conn.execute(select(incident).where(incident.c.incident_id == incident_id)).first()
    if row is None:
        return None
    return IncidentState(
        incident_id=incident_id, kind=IncidentKind(row.kind), manifest_id=row.manifest_id,
        resolved=row.resolved_seq is not None,
    )


def incident_exists(conn: Connection, incident_id: str) -> bool:
    return incident_state(conn, incident_id) is not None


def headcount_exists(conn: Connection, headcount_id: str) -> bool:
    return conn.execute(select(headcount.c.seq).where(headcount.c.headcount_id == headcount_id)).first() is not None


def record_headcount(cmd: RecordHeadcount, *, uow: UnitOfWork) -> Result:
    expected: tuple[str, ...] | None = cmd.expected_person_ids
    if expected is None:
        expected = manifest_people(uow.conn, cmd.manifest_id)
    events = headcounts.record_headcount(
        as_domain(headcounts.RecordHeadcount, cmd), expected=expected, now=uow.now,
        already_recorded=headcount_exists(uow.conn, cmd.headcount_id),
    )
    if len(events) > 1 and incident_exists(uow.conn, events[1].stream):
        raise AlreadyExists("incident", events[1].stream)
    return Result(uow.record(events), value=events[0])


def record_incident(cmd: RecordIncident, *, uow: UnitOfWork) -> Result:
    events = incidents.record_incident(
        as_domain(incidents.RecordIncident, cmd), now=uow.now,
        already_recorded=incident_exists(uow.conn, cmd.incident_id),
    )
    kind = IncidentKind(cmd.kind)
    if kind in (IncidentKind.DEATH, IncidentKind.ESCAPE):
        for person_id in cmd.person_ids:
            current = custody_state(uow.conn, person_id)
            if current.status not in HELD:
                continue  # custody not tracked here: the incident is still recorded
            if kind is IncidentKind.DEATH:
                events += custody.record_death(
                    c.RecordDeath(person_id=person_id, occurred_at=cmd.occurred_at), state=current, now=uow.now
                )
            else:
                events += custody.record_escape(
                    c.RecordEscape(person_id=person_id, occurred_at=cmd.occurred_at), state=current, now=uow.now
                )
    return Result(uow.record(events))


def resolve_incident(cmd: ResolveIncident, *, uow: UnitOfWork) -> Result:
    events = incidents.resolve_incident(
        as_domain(incidents.ResolveIncident, cmd), incident=incident_state(uow.conn, cmd.incident_id),
        now=uow.now,
    )
    return Result(uow.record(events))


# -- queries ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class IncidentRow:
    incident_id: str
    kind: str
    person_ids: tuple[str, ...]
    manifest_id: str | None
    opened_at: str
    serious: bool
    independent_report_required: bool
    resolved_at: str | None
    resolution: str | None
    seq: int


def incident_list(conn: Connection, *, open_only: bool = False, manifest_id: str | None = None) -> list[IncidentRow]:
    query = select(incident).order_by(incident.c.seq)
    if open_only:
        query = query.where(incident.c.resolved_seq.is_(None))
    if manifest_id is not None:
        query = query.where(incident.c.manifest_id == manifest_id)
    return [
        IncidentRow(
            incident_id=r.incident_id, kind=r.kind, person_ids=tuple(json.loads(r.person_ids)),
            manifest_id=r.manifest_id, opened_at=r.opened_at, serious=bool(r.serious),
            independent_report_required=bool(r.independent_report_required), resolved_at=r.resolved_at,
            resolution=r.resolution, seq=int(r.seq),
        )
        for r in conn.execute(query)
    ]


def open_incident_count(conn: Connection, manifest_id: str) -> int:
    """Open incidents naming the manifest: closing it is refused while this is not zero (invariant 5)."""
    query = select(func.count()).where(
        and_(incident.c.manifest_id == manifest_id, incident.c.resolved_seq.is_(None))
    )
    return int(conn.execute(query).scalar() or 0)


HANDLERS: dict[type[Command], Handler] = {
    RecordHeadcount: record_headcount,
    RecordIncident: record_incident,
    ResolveIncident: resolve_incident,
}


def incidents_in_view(
    conn: Connection, caller: Caller, *, open_only: bool = False, manifest_id: str | None = None
) -> list[IncidentRow]:
    """:func:`incident_list`, only the incidents in the caller's agency's view."""
    rows = incident_list(conn, open_only=open_only, manifest_id=manifest_id)
    seen = visible(conn, caller, INCIDENT, [r.incident_id for r in rows])
    return [r for r in rows if r.incident_id in seen]

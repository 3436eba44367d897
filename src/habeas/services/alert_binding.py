"""A return-required alert binds: the door's check, and the override that lets an operation go ahead anyway.

:func:`refuse_if_bound` runs in the door beside the authorisation, in the command's own transaction, for every
command. The commands that take people somewhere (:data:`MOVES`: a handoff issued or completed, a handover, a
removal, a departure on a leg, a manifest boarding or departing, an arrival, admission or intake at a facility)
name whom they move and where to; when an open alert covers one of them, the pure rule
(:func:`habeas.domain.return_overrides.require_unbound`) refuses any step but one back to the country the journey
left. Checking here, not in each handler, is what makes it hold on every path (issue 11).

An alert is a ``p_alert`` row (raised by :mod:`habeas.services.clearance`); it is open for a person until an
override naming its order and the person is recorded (a ``p_record`` row, so a retracted override no longer
counts), and an alert resting on a retracted order binds no one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, select

from habeas.domain import commands as c
from habeas.domain import manifest_commands as mc
from habeas.domain import return_overrides as ro
from habeas.domain.command import Command
from habeas.domain.events import EventType
from habeas.domain.return_overrides import OpenAlert, OverrideReturnRequired
from habeas.services import facts
from habeas.services.agreements import country_of
from habeas.services.custody import custody_state
from habeas.services.facilities import officer_ref
from habeas.services.handoffs import CompleteHandoff, IssueHandoff, receipt_event
from habeas.services.intake import AdmitAtIntake
from habeas.services.records import COURT_ORDER, FACILITY, has_record, one_record
from habeas.services.unit_of_work import Handler, Result, UnitOfWork
from habeas.storage import direct
from habeas.storage.projections.manifests import alert, manifest
from habeas.storage.projections.schema import KIND, record

OVERRIDE = KIND[EventType.RETURN_REQUIRED_OVERRIDDEN]
_ORDERS = (COURT_ORDER, KIND[EventType.STAY_RECORDED])  # what an alert rests on
_CHUNK = 500  # ids per IN (...): well under SQLite's bound-parameter limit


# -- what is open ------------------------------------------------------------------------------------------------


def overrides(conn: Connection) -> dict[tuple[str, str], str]:
    """(order, person) -> the override that named them, for every override not retracted."""
    out: dict[tuple[str, str], str] = {}
    rows = conn.execute(select(record.c.record_id, record.c.body).where(
        record.c.kind == OVERRIDE, record.c.retracted.is_(False)).order_by(record.c.seq))
    for r in rows:
        body = json.loads(r.body)
        for person_id in body["person_ids"]:
            out.setdefault((body["order_id"], person_id), r.record_id)
    return out


def _retracted(conn: Connection, record_ids: set[str]) -> set[str]:
    rows = conn.execute(select(record.c.record_id).where(
        record.c.kind.in_(_ORDERS), record.c.record_id.in_(sorted(record_ids)), record.c.retracted.is_(True)))
    return {r.record_id for r in rows}


def _leg(body: str) -> dict[str, Any]:
    leg = json.loads(body)["leg"]
    assert isinstance(leg, dict)
    return leg


def _origins(conn: Connection, manifest_ids: set[str]) -> dict[str, str]:
    """Each manifest's journey's first leg's origin country: where the journey left, where the order wants
    the people back (an order landing during a later leg still means the country they were removed from)."""
    journeys = {r.manifest_id: r.journey_id for r in conn.execute(
        select(manifest.c.manifest_id, manifest.c.journey_id).where(manifest.c.manifest_id.in_(sorted(manifest_ids))))}
    first: dict[str, tuple[int, str]] = {}
    for r in conn.execute(select(manifest.c.journey_id, manifest.c.leg_index, manifest.c.created_body).where(
            manifest.c.journey_id.in_(sorted(set(journeys.values()))))):
        if r.journey_id not in first or int(r.leg_index) < first[r.journey_id][0]:
            first[r.journey_id] = (int(r.leg_index), str(_leg(r.created_body)["origin_country"]))
    return {m: first[j][1] for m, j in journeys.items()}


def open_alerts(
    conn: Connection, person_ids: Sequence[str] | None = None, *, order_id: str | None = None
) -> list[OpenAlert]:
    """The open return-required alerts (of ``person_ids``, on ``order_id``, when given), in the order raised."""
    query = select(alert.c.manifest_id, alert.c.record_id, alert.c.person_id, alert.c.seq)
    if order_id is not None:
        query = query.where(alert.c.record_id == order_id)
    chunks = [None] if person_ids is None else [
        list(person_ids[k : k + _CHUNK]) for k in range(0, len(person_ids), _CHUNK)]
    rows: list[Any] = []
    for chunk in chunks:
        rows += conn.execute(query if chunk is None else query.where(alert.c.person_id.in_(chunk))).all()
    if not rows:
        return []
    rows.sort(key=lambda r: (int(r.seq), r.manifest_id, r.record_id, r.person_id))
    done = overrides(conn)
    retracted = _retracted(conn, {r.record_id for r in rows})
    origins = _origins(conn, {r.manifest_id for r in rows})
    return [
        OpenAlert(order_id=r.record_id, manifest_id=r.manifest_id, person_id=r.person_id,
                  origin_country=origins[r.manifest_id])
        for r in rows
        if (r.record_id, r.person_id) not in done and r.record_id not in retracted
    ]


_ALERTED = direct.Sql("SELECT 1 FROM p_alert WHERE person_id = ? LIMIT 1")


def _alerted(conn: Connection, person_id: str) -> bool:
    """Whether any alert row names the person (open or not: :func:`open_alerts` says which are open)."""
    return direct.first(conn, _ALERTED, (person_id,)) is not None


# -- where each step takes people ----------------------------------------------------------------------------------

People = Callable[[Connection, Any], Sequence[str]]
Towards = Callable[[Connection, Any], str | None]


def _facility_country(conn: Connection, facility_id: str) -> str | None:
    found = one_record(conn, FACILITY, facility_id)
    return None if found is None else found.body.get("country")


def _leg_destination(conn: Connection, leg_id: str) -> str | None:
    """The destination of the leg as a manifest records it (None: no manifest has it, so not on record)."""
    for r in conn.execute(select(manifest.c.created_body).order_by(manifest.c.seq)):
        leg = _leg(r.created_body)
        if leg["leg_id"] == leg_id:
            return str(leg["destination_country"])
    return None


def _manifest_row(conn: Connection, manifest_id: str) -> Any:
    return conn.execute(select(manifest.c.people, manifest.c.destination_country).where(
        manifest.c.manifest_id == manifest_id)).first()


def _aboard(conn: Connection, cmd: Any) -> Sequence[str]:
    row = _manifest_row(conn, cmd.manifest_id)
    return () if row is None else tuple(json.loads(row.people))  # an unknown manifest: its handler says so


def _receipt_people(conn: Connection, cmd: CompleteHandoff) -> Sequence[str]:
    receipt = receipt_event(conn, cmd.receipt_id)
    return () if receipt is None else receipt.person_ids


def _receipt_towards(conn: Connection, cmd: CompleteHandoff) -> str | None:
    receipt = receipt_event(conn, cmd.receipt_id)
    return None if receipt is None else country_of(conn, receipt.receiving.agency_id)


def _one(conn: Connection, cmd: Any) -> Sequence[str]:
    return (cmd.person_id,)


def _to_facility(conn: Connection, cmd: Any) -> str | None:
    return _facility_country(conn, cmd.facility_id)


# command -> (whom it moves, the country it takes them to: a handoff goes where the receiving agency is)
MOVES: dict[type[Command], tuple[People, Towards]] = {
    IssueHandoff: (lambda conn, cmd: cmd.person_ids, lambda conn, cmd: country_of(conn, cmd.receiving.agency_id)),
    CompleteHandoff: (_receipt_people, _receipt_towards),
    c.HandOver: (_one, lambda conn, cmd: country_of(conn, cmd.custodian.agency_id)),
    c.Remove: (_one, lambda conn, cmd: cmd.country),
    c.DepartOnLeg: (_one, lambda conn, cmd: _leg_destination(conn, cmd.leg_id)),
    mc.BeginBoarding: (_aboard, lambda conn, cmd: _manifest_row(conn, cmd.manifest_id).destination_country),
    mc.Depart: (_aboard, lambda conn, cmd: _manifest_row(conn, cmd.manifest_id).destination_country),
    c.ArriveAtFacility: (_one, _to_facility),
    c.AdmitToCustody: (_one, _to_facility),
    AdmitAtIntake: (lambda conn, cmd: (cmd.admission.person_id,),
                    lambda conn, cmd: _facility_country(conn, cmd.admission.facility_id)),
}


def refuse_if_bound(conn: Connection, cmd: Command) -> None:
    """Refuse (:class:`~habeas.domain.return_overrides.ReturnRequiredOpen`) a step that takes anyone an open
    return-required alert covers anywhere but back to the country their journey left."""
    move = MOVES.get(type(cmd))
    if move is None:
        return
    people, towards = move
    named = list(dict.fromkeys(people(conn, cmd)))
    if len(named) == 1 and not facts.remembered(facts.alerted_key(named[0]), lambda: _alerted(conn, named[0])):
        return  # no alert names the one person moved (an admission's facts say so, read with the rest)
    found = open_alerts(conn, named) if named else []
    if found:  # only then is it worth finding out where the step goes
        ro.require_unbound(type(cmd).__name__, found, towards=towards(conn, cmd))


# -- the override --------------------------------------------------------------------------------------------------


def _holder(conn: Connection, person_id: str) -> str | None:
    custodian = custody_state(conn, person_id).custodian
    return None if custodian is None else custodian.agency_id


def override_return_required(cmd: OverrideReturnRequired, *, uow: UnitOfWork) -> Result:
    """Record the override and make the issuing court and each person's counsel of record due at once."""
    conn = uow.conn
    officer = officer_ref(conn, cmd.officer_id)
    people: Iterable[str] = cmd.person_ids
    events = ro.override_return_required(
        cmd,
        alerts=open_alerts(conn, order_id=cmd.order_id),
        overridden={p for (order, p) in overrides(conn) if order == cmd.order_id},
        already_recorded=one_record(conn, OVERRIDE, cmd.override_id) is not None,
        officer_agency=None if officer is None else officer.agency_id,
        holders={p: _holder(conn, p) for p in people},
        counsel={p for p in people if has_record(conn, EventType.COUNSEL_RECORDED, p)},
        now=uow.now,
    )
    return Result(uow.record(events))


HANDLERS: dict[type[Command], Handler] = {
    OverrideReturnRequired: override_return_required,
}

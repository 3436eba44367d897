"""Moves over HTTP: journeys, manifests and their state machine, clearance by the gates, and the alerts.

What `habeas manifest ...` and `habeas alerts` do. A manifest is seen by the agencies in whose view it is (the
scope projection): others get 404, as for an unknown id. Every transition is a sub-resource of the manifest
(``POST /manifests/{id}/depart``); a refused one is a 409 problem naming the manifest and, when gates block
departure, the people. ``POST .../clear`` answers 200 with every gate for everyone even when someone is
blocked (``cleared`` false, ``blocked`` naming them): the results are recorded either way, as the CLI prints
the table and exits 1.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime

from habeas.api.context import Caller, manifest_scope, require, state_of
from habeas.api.models import Written, written
from habeas.api.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, paginate
from habeas.api.schemas_manifests import (
    AddPersonIn,
    AlertOut,
    At,
    CancelIn,
    ClearanceOut,
    ClearIn,
    HaltIn,
    HandOverIn,
    JourneyIn,
    JourneyWritten,
    ManifestIn,
    ManifestOut,
    OverrideIn,
    PromoteIn,
    ReturnIn,
    ReturnOverrideOut,
    ReturnOverridesOut,
    StrikeIn,
)
from habeas.domain import manifests as mf
from habeas.domain.manifest_events import ManifestStatus
from habeas.domain.return_overrides import OverrideReturnRequired
from habeas.services import reports
from habeas.services.access import PERSON
from habeas.services.alert_binding import overrides
from habeas.services.alerts import operation_alerts_in_view
from habeas.services.clearance import Clearance
from habeas.services.manifests import ManifestSummary, alerts_in_view, manifest_view, manifests_in_view
from habeas.services.permissions import Permission
from habeas.services.unit_of_work import Result

router = APIRouter(tags=["manifests"])

Reader = Annotated[Caller, Depends(require(Permission.READ))]
Writer = Annotated[Caller, Depends(require(Permission.MANIFEST_WRITE))]
ScopedReader = Annotated[Caller, Depends(manifest_scope(Permission.READ))]
ScopedWriter = Annotated[Caller, Depends(manifest_scope(Permission.MANIFEST_WRITE))]


def _new(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(8)}"


def _transition(caller: Caller, cmd: mf.ManifestCommand) -> JSONResponse:
    return caller.execute(cmd, respond=written(cmd.manifest_id), status=200)


def _at(caller: Caller, body: At | None) -> datetime:
    return (body.occurred_at if body is not None else None) or caller.now()


# -- journeys and manifests ------------------------------------------------------------------------------------


@router.post("/journeys", status_code=201, response_model=JourneyWritten)
def plan_journey(body: JourneyIn, caller: Writer) -> JSONResponse:
    """Plan a journey of one or more legs; one manifest (draft) is created per leg."""
    caller.require_visible(PERSON, [*body.people, *body.alternates])
    journey_id = body.id or _new("j")
    manifest_ids = tuple(body.manifest_ids or [_new("m") for _ in body.legs])
    cmd = mf.PlanJourney(
        journey_id=journey_id, legs=tuple(leg.leg(f"{journey_id}.{n}") for n, leg in enumerate(body.legs)),
        manifest_ids=manifest_ids, occurred_at=body.occurred_at or caller.now(), people=tuple(body.people),
        alternates=tuple(body.alternates),
    )
    return caller.execute(
        cmd, respond=lambda r: JourneyWritten(id=journey_id, manifest_ids=list(manifest_ids), seqs=r.seqs)
    )


@router.post("/manifests", status_code=201, response_model=Written)
def create_manifest(body: ManifestIn, caller: Writer) -> JSONResponse:
    """Create a manifest for one leg (draft), with the people aboard and the alternates in order."""
    caller.require_visible(PERSON, [*body.people, *body.alternates])
    manifest_id = body.id or _new("m")
    cmd = mf.CreateManifest(
        manifest_id=manifest_id, occurred_at=body.occurred_at or caller.now(), journey_id=body.journey_id,
        leg_index=body.leg_index, leg=body.leg(f"{manifest_id}.leg"), people=tuple(body.people),
        alternates=tuple(body.alternates),
    )
    return caller.execute(cmd, respond=written(manifest_id))


@router.get("/manifests", response_model=Page[ManifestSummary])
def manifests(
    caller: Reader,
    status: Annotated[ManifestStatus | None, Query(description="only manifests in this status")] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[ManifestSummary]:
    """The manifests in the caller's agency's view, by id."""
    found = caller.read(manifests_in_view, caller.principal.caller, None if status is None else status.value)
    return paginate(found, key=lambda m: m.manifest_id, limit=limit, cursor=cursor)


@router.get("/manifests/{manifest_id}", response_model=ManifestOut)
def manifest(manifest_id: str, caller: ScopedReader) -> ManifestOut:
    """The manifest: its leg, status, who is aboard, the alternates, the struck, and each one's latest gates."""
    return ManifestOut.of(caller.read(manifest_view, manifest_id))


# -- who is on it ----------------------------------------------------------------------------------------------


@router.post("/manifests/{manifest_id}/people", response_model=Written)
def add_person(manifest_id: str, caller: ScopedWriter, body: AddPersonIn) -> JSONResponse:
    """Add a person (or an alternate, at the end); a cleared manifest goes back to draft."""
    caller.require_visible(PERSON, [body.person_id])
    return _transition(caller, mf.AddToManifest(
        manifest_id=manifest_id, occurred_at=_at(caller, body), person_id=body.person_id, alternate=body.alternate))


@router.post("/manifests/{manifest_id}/strike", response_model=Written)
def strike(manifest_id: str, caller: ScopedWriter, body: StrikeIn) -> JSONResponse:
    """Take a person (aboard or alternate) off the manifest with a reason code; the clearance stands."""
    caller.require_visible(PERSON, [body.person_id])
    return _transition(caller, mf.StrikeFromManifest(
        manifest_id=manifest_id, occurred_at=_at(caller, body), person_id=body.person_id, reason=body.reason,
        note=body.note))


@router.post("/manifests/{manifest_id}/promote", response_model=Written)
def promote(manifest_id: str, caller: ScopedWriter, body: PromoteIn | None = None) -> JSONResponse:
    """Move an alternate aboard (the named one, else the first in order); the manifest needs clearing again."""
    person_id = None if body is None else body.person_id
    if person_id is not None:
        caller.require_visible(PERSON, [person_id])
    return _transition(caller, mf.PromoteAlternate(
        manifest_id=manifest_id, occurred_at=_at(caller, body), person_id=person_id))


# -- clearance and the journey ---------------------------------------------------------------------------------


def _clearance(result: Result) -> ClearanceOut:
    outcome = result.value
    assert isinstance(outcome, Clearance)
    return ClearanceOut.of(outcome, list(result.seqs))


@router.post("/manifests/{manifest_id}/clear", response_model=ClearanceOut)
def clear(manifest_id: str, caller: ScopedWriter, body: ClearIn | None = None) -> JSONResponse:
    """Run every gate of the deployment's policy pack for the leg (chosen at start-up, never by the request) for
    everyone aboard at the scheduled departure. 200 either way: read ``cleared`` and ``blocked``; a blocked
    manifest stays in draft and cannot board or depart."""
    cmd = mf.ClearManifest(manifest_id=manifest_id, occurred_at=_at(caller, body))
    return caller.execute(cmd, respond=_clearance, status=200)


def _simple(name: str, cmd_type: type[mf.ManifestCommand], doc: str) -> None:
    def endpoint(manifest_id: str, caller: ScopedWriter, body: At | None = None) -> JSONResponse:
        return _transition(caller, cmd_type(manifest_id=manifest_id, occurred_at=_at(caller, body)))

    endpoint.__doc__ = doc
    endpoint.__name__ = name.replace("-", "_")
    router.post(f"/manifests/{{manifest_id}}/{name}", response_model=Written, name=endpoint.__name__)(endpoint)


_simple("boarding", mf.BeginBoarding, "Begin boarding: refused (409) while a gate blocks anyone aboard.")
_simple("depart", mf.Depart, "Wheels-up: refused (409 `gate-blocks-departure`, naming the people) while a gate "
        "blocks anyone aboard.")
_simple("arrive", mf.Arrive, "Arrived at the leg's destination.")
_simple("close", mf.CloseManifest, "Close: refused (409) while an incident on the manifest is open.")


@router.post("/manifests/{manifest_id}/hand-over", response_model=Written)
def hand_over(manifest_id: str, caller: ScopedWriter, body: HandOverIn | None = None) -> JSONResponse:
    """The receiving custodian signed for the people (name the dual-signed receipt)."""
    return _transition(caller, mf.HandOverManifest(
        manifest_id=manifest_id, occurred_at=_at(caller, body), receipt_id=None if body is None else body.receipt_id))


@router.post("/manifests/{manifest_id}/halt", response_model=Written)
def halt(manifest_id: str, caller: ScopedWriter, body: HaltIn) -> JSONResponse:
    """Halt the manifest where it is."""
    return _transition(caller, mf.HaltManifest(
        manifest_id=manifest_id, occurred_at=_at(caller, body), reason=body.reason, record_id=body.record_id))


@router.post("/manifests/{manifest_id}/return", response_model=Written)
def return_(manifest_id: str, caller: ScopedWriter, body: ReturnIn) -> JSONResponse:
    """Bring the people back (a court order, a stay, refused entry...)."""
    return _transition(caller, mf.ReturnManifest(
        manifest_id=manifest_id, occurred_at=_at(caller, body), reason=body.reason, record_id=body.record_id))


@router.post("/manifests/{manifest_id}/cancel", response_model=Written)
def cancel(manifest_id: str, caller: ScopedWriter, body: CancelIn) -> JSONResponse:
    """Cancel the manifest before it goes."""
    return _transition(caller, mf.CancelManifest(
        manifest_id=manifest_id, occurred_at=_at(caller, body), reason=body.reason, record_id=body.record_id))


# -- alerts ----------------------------------------------------------------------------------------------------


def _visible_alerts(caller: Caller, now: datetime) -> list[AlertOut]:
    standard = caller.services.policy.capacity_standard  # the deployment's pack judges its facilities
    overridden = caller.read(overrides)
    out = []
    for a in caller.read(alerts_in_view, caller.principal.caller):
        gone = [p for p in (*a.person_ids, *a.undetermined_ids) if (a.record_id, p) in overridden]
        out.append(AlertOut(
            kind=a.kind, subject_id=f"{a.manifest_id}/{a.record_id}",
            message=f"{a.record_id} reaches people already departed on manifest {a.manifest_id}: return "
            f"required for {', '.join(a.person_ids) or 'no one yet'}"
            + (f"; to decide: {', '.join(a.undetermined_ids)}" if a.undetermined_ids else "")
            + (f"; overridden for {', '.join(gone)}" if gone else ""),
            seq=a.seq, manifest_id=a.manifest_id, record_id=a.record_id, record_seq=a.record_seq,
            person_ids=list(a.person_ids), undetermined_ids=list(a.undetermined_ids), overridden_ids=gone,
            raised_at=a.raised_at,
        ))
    out += [
        AlertOut(kind=o.kind, subject_id=o.subject_id, message=o.message, seq=o.seq)
        for o in caller.read(operation_alerts_in_view, caller.principal.caller, now, standard)
    ]
    return out


@router.get("/alerts", response_model=Page[AlertOut], tags=["alerts"])
def list_alerts(
    caller: Reader,
    at: Annotated[
        AwareDatetime | None, Query(description="judge deadlines at this time (ISO 8601 with an offset); default now")
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[AlertOut]:
    """Return-required alerts (an order or stay reaching people already departed), open incidents, missed
    notifications, capacity overrides and facilities over capacity: those in the caller's agency's view,
    in ledger order."""
    found = _visible_alerts(caller, at or caller.now())
    return paginate(found, key=AlertOut.key, limit=limit, cursor=cursor)


@router.post("/alerts/{order_id}/override", status_code=201, response_model=Written, tags=["alerts"])
def override_return_required(
    order_id: str, body: OverrideIn, caller: Annotated[Caller, Depends(require(Permission.LEGAL_WRITE))]
) -> JSONResponse:
    """Go ahead with the people named although ``order_id`` (a court order or stay) requires their return: while
    its return-required alert is open, every handoff, onward leg, boarding, departure, admission and intake of
    theirs is refused (409 ``return-required``). Decided by ``officer_id``, an officer of the agency holding them
    (yours); recorded as its own entry (the reason kept private); the issuing court and each person's counsel of
    record are due to be told at once; counted in the public report."""
    caller.require_visible(PERSON, dict.fromkeys(body.person_ids))
    oid = body.override_id or _new("ov")
    cmd = OverrideReturnRequired(
        override_id=oid, order_id=order_id, person_ids=tuple(body.person_ids), officer_id=body.officer_id,
        reason=body.reason, occurred_at=body.occurred_at or caller.now(),
    )
    return caller.execute(cmd, respond=written(oid), status=201)


@router.get("/public/return-overrides", response_model=ReturnOverridesOut, tags=["public"])
def public_return_overrides(request: Request) -> ReturnOverridesOut:
    """The public report's count (no login): how often an operation went ahead although a court order or stay
    required the people's return, per order. Each override is also an entry of the public log."""
    rows = state_of(request).services.read(reports.return_overrides)
    return ReturnOverridesOut(
        overrides=sum(r.overrides for r in rows), people=sum(r.people for r in rows),
        orders=[ReturnOverrideOut(order_id=r.order_id, overrides=r.overrides, people=r.people) for r in rows],
    )

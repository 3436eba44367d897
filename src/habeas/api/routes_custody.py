"""Custody over HTTP: the four answers (who, where, since when, under what authority) and the transitions.

A transition the state machine refuses (releasing someone never admitted, say) propagates as the domain's
InvalidTransition, which the central handler answers with a 409 naming the person and both states.
"""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from habeas.api.context import Caller, person_scope
from habeas.api.models import Written, written
from habeas.api.schemas_custody import (
    AdmitIn,
    ArriveIn,
    ChangeAuthorityIn,
    DepartIn,
    HandOverIn,
    ReasonIn,
    ReassignIn,
    RehouseIn,
    ReleaseIn,
    RemoveIn,
    authority,
)
from habeas.api.schemas_people import CustodyOut, ProofOut
from habeas.domain import commands as c
from habeas.domain.incidents import IncidentKind
from habeas.services.custody import custody_answer
from habeas.services.ids import new_id
from habeas.services.incidents import RecordIncident
from habeas.services.permissions import Permission

router = APIRouter(tags=["custody"])

Custody = Annotated[Caller, Depends(person_scope(Permission.CUSTODY_WRITE))]
CUSTODY = "/people/{person_id}/custody"


@router.get(CUSTODY, response_model=CustodyOut)
def show(
    person_id: str, caller: Annotated[Caller, Depends(person_scope(Permission.PEOPLE_READ))],
    proof: Annotated[bool, Query(description="add the c2sp.org/tlog-proof of the entry the answer rests on")] = False,
) -> CustodyOut:
    """Who holds the person, where, since when, under what authority, each with the entry it rests on."""
    answer = caller.read(custody_answer, person_id)
    if not proof or answer.seq is None:
        return CustodyOut.of(answer)
    return CustodyOut.of(answer, _proof(caller, answer.seq))


def _proof(caller: Caller, seq: int) -> ProofOut:
    # Against the latest checkpoint, which covers the entry: every committed batch signs one that includes it.
    text = caller.services.prove(seq)
    # The proof ends with the signed checkpoint note: origin line, then the tree size (c2sp.org/tlog-checkpoint).
    tree_size = int(text.partition("\n\n")[2].split("\n")[1])
    leaf = base64.b64encode(caller.services.leaf(seq)).decode("ascii")
    return ProofOut(seq=seq, tree_size=tree_size, leaf=leaf, tlog_proof=text)


def _done(caller: Caller, cmd: c.Command, person_id: str) -> JSONResponse:
    # 200, not 201: a step in the person's custody, recorded, not a new resource (the API's one rule).
    return caller.execute(cmd, respond=written(person_id), status=200)


@router.post(f"{CUSTODY}/admit", response_model=Written)
def admit(person_id: str, body: AdmitIn, caller: Custody) -> JSONResponse:
    """Take a person into custody at a facility and unit."""
    return _done(caller, c.AdmitToCustody(
        person_id=person_id, occurred_at=body.occurred_at or caller.now(), facility_id=body.facility_id,
        unit_id=body.unit_id, custodian=body.custodian.domain(), authority=body.authority.domain(),
    ), person_id)


@router.post(f"{CUSTODY}/depart", response_model=Written)
def depart(person_id: str, body: DepartIn, caller: Custody) -> JSONResponse:
    """Board a transport leg; the escort becomes the custodian (the authority stays unless given)."""
    return _done(caller, c.DepartOnLeg(
        person_id=person_id, occurred_at=body.occurred_at or caller.now(), leg_id=body.leg_id,
        custodian=body.custodian.domain(), authority=authority(body.authority), receipt_id=body.receipt_id,
    ), person_id)


@router.post(f"{CUSTODY}/arrive", response_model=Written)
def arrive(person_id: str, body: ArriveIn, caller: Custody) -> JSONResponse:
    """Arrive from a leg at a facility and unit."""
    return _done(caller, c.ArriveAtFacility(
        person_id=person_id, occurred_at=body.occurred_at or caller.now(), facility_id=body.facility_id,
        unit_id=body.unit_id, custodian=body.custodian.domain(), authority=authority(body.authority),
        receipt_id=body.receipt_id,
    ), person_id)


@router.post(f"{CUSTODY}/rehouse", response_model=Written)
def rehouse(person_id: str, body: RehouseIn, caller: Custody) -> JSONResponse:
    """Move to another unit of the same facility (another facility needs a transport leg)."""
    return _done(caller, c.Rehouse(
        person_id=person_id, occurred_at=body.occurred_at or caller.now(), unit_id=body.unit_id, reason=body.reason,
    ), person_id)


@router.post(f"{CUSTODY}/hand-over", response_model=Written)
def hand_over(person_id: str, body: HandOverIn, caller: Custody) -> JSONResponse:
    """Hand over to another agency that keeps no record here; the custodian is its receiving officer."""
    return _done(caller, c.HandOver(
        person_id=person_id, occurred_at=body.occurred_at or caller.now(), country=body.country,
        custodian=body.custodian.domain(), authority=body.authority.domain(), receipt_id=body.receipt_id,
    ), person_id)


@router.post(f"{CUSTODY}/release", response_model=Written)
def release(person_id: str, body: ReleaseIn, caller: Custody) -> JSONResponse:
    """Release from custody."""
    return _done(caller, c.Release(
        person_id=person_id, occurred_at=body.occurred_at or caller.now(), reason=body.reason,
    ), person_id)


@router.post(f"{CUSTODY}/remove", response_model=Written)
def remove(person_id: str, body: RemoveIn, caller: Custody) -> JSONResponse:
    """Delivered to a country and let go there."""
    return _done(caller, c.Remove(
        person_id=person_id, occurred_at=body.occurred_at or caller.now(), country=body.country, reason=body.reason,
    ), person_id)


def _incident(caller: Caller, kind: IncidentKind, person_id: str, body: ReasonIn) -> JSONResponse:
    # The same command as POST /incidents: one path per fact, so the custody change and the notifications a
    # death requires follow whichever route reports it.
    return _done(caller, RecordIncident(
        incident_id=new_id("inc"), kind=kind, person_ids=(person_id,),
        occurred_at=body.occurred_at or caller.now(), details=body.reason,
    ), person_id)


@router.post(f"{CUSTODY}/escape", response_model=Written)
def escape(person_id: str, body: ReasonIn, caller: Custody) -> JSONResponse:
    """Record an escape from custody: an escape incident, as POST /incidents records it."""
    return _incident(caller, IncidentKind.ESCAPE, person_id, body)


@router.post(f"{CUSTODY}/death", response_model=Written)
def death(person_id: str, body: ReasonIn, caller: Custody) -> JSONResponse:
    """Record a death in custody: a death incident, as POST /incidents records it (Mandela rules 69 and 71:
    next of kin and an independent authority are due at once)."""
    return _incident(caller, IncidentKind.DEATH, person_id, body)


@router.post(f"{CUSTODY}/reassign", response_model=Written)
def reassign(person_id: str, body: ReassignIn, caller: Custody) -> JSONResponse:
    """The responsible officer (or agency) changes without the person moving."""
    return _done(caller, c.ReassignCustodian(
        person_id=person_id, occurred_at=body.occurred_at or caller.now(), custodian=body.custodian.domain(),
        reason=body.reason,
    ), person_id)


@router.post(f"{CUSTODY}/authority", response_model=Written)
def change_authority(person_id: str, body: ChangeAuthorityIn, caller: Custody) -> JSONResponse:
    """The legal basis or the legally responsible agency changes; the person and custodian stay."""
    return _done(caller, c.ChangeAuthority(
        person_id=person_id, occurred_at=body.occurred_at or caller.now(), authority=body.authority.domain(),
        reason=body.reason,
    ), person_id)

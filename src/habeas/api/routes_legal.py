"""Legal records over HTTP: what ``habeas legal add ...`` records, and corrections of any entry.

Records about one person live under ``/people/{person_id}/...`` (the person must be in the caller's agency's
view). A court order names people in its body, so each must be visible too: recording an order would otherwise
be a way to bring someone else's person into one's own view.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse

from habeas.api.context import Caller, person_scope, require
from habeas.api.fields import new_id
from habeas.api.models import Written, written
from habeas.api.schemas_legal import (
    AllegationIn,
    AllegationStatusIn,
    AmendIn,
    ConsularIn,
    ConvictionIn,
    CounselIn,
    CourtOrderIn,
    FitnessIn,
    NoticeIn,
    ProtectionIn,
    RemovalOrderIn,
    RetractIn,
    StayIn,
)
from habeas.domain import commands as c
from habeas.domain.codec import decode, field_types
from habeas.domain.court_orders import CourtOrderScope
from habeas.domain.events import Event
from habeas.domain.periods import Period
from habeas.services.access import PERSON
from habeas.services.corrections import correctable
from habeas.services.legal import require_allegation_in_view
from habeas.services.permissions import Permission

router = APIRouter(tags=["legal"])

Legal = Annotated[Caller, Depends(person_scope(Permission.LEGAL_WRITE))]
LegalAny = Annotated[Caller, Depends(require(Permission.LEGAL_WRITE))]  # the body names whom it is about
Corrector = Annotated[Caller, Depends(require(Permission.PEOPLE_WRITE))]
MAX_SEQ = 2**63 - 1
Seq = Annotated[int, Path(ge=0, le=MAX_SEQ, description="the entry's position in the log")]


def _record(caller: Caller, cmd: c.Command, record_id: str) -> JSONResponse:
    return caller.execute(cmd, respond=written(record_id), status=201)


@router.post("/people/{person_id}/allegations", status_code=201, response_model=Written)
def allegation(person_id: str, body: AllegationIn, caller: Legal) -> JSONResponse:
    """An allegation (a claim such as gang affiliation): kept apart from convictions, never one."""
    rid = body.allegation_id or new_id("al")
    return _record(caller, c.RecordAllegation(
        allegation_id=rid, person_id=person_id, occurred_at=body.occurred_at or caller.now(),
        organisation=body.organisation, source=body.source, evidence_reference=body.evidence_reference,
    ), rid)


@router.post("/allegations/{allegation_id}/status", status_code=201, response_model=Written)
def allegation_status(allegation_id: str, body: AllegationStatusIn, caller: LegalAny) -> JSONResponse:
    """Move an allegation's status: alleged, contested, adjudicated (with an outcome), withdrawn."""
    caller.read(require_allegation_in_view, caller.principal.caller, allegation_id)
    return _record(caller, c.ChangeAllegationStatus(
        allegation_id=allegation_id, occurred_at=body.occurred_at or caller.now(), to_status=body.to_status,
        outcome=body.outcome, decided_by=body.decided_by,
    ), allegation_id)


@router.post("/people/{person_id}/convictions", status_code=201, response_model=Written)
def conviction(person_id: str, body: ConvictionIn, caller: Legal) -> JSONResponse:
    """A conviction by a court."""
    rid = body.conviction_id or new_id("cv")
    return _record(caller, c.RecordConviction(
        conviction_id=rid, person_id=person_id, occurred_at=body.occurred_at or caller.now(), court=body.court,
        jurisdiction=body.jurisdiction, offence=body.offence, convicted_on=body.convicted_on,
    ), rid)


@router.post("/people/{person_id}/removal-orders", status_code=201, response_model=Written)
def removal_order(person_id: str, body: RemovalOrderIn, caller: Legal) -> JSONResponse:
    rid = body.order_id or new_id("ro")
    at = body.occurred_at or caller.now()
    return _record(caller, c.RecordRemovalOrder(
        order_id=rid, person_id=person_id, occurred_at=at, authority=body.authority, legal_basis=body.legal_basis,
        destination_country=body.destination_country, final=body.final, period=body.period(at),
    ), rid)


@router.post("/people/{person_id}/protections", status_code=201, response_model=Written)
def protection(person_id: str, body: ProtectionIn, caller: Legal) -> JSONResponse:
    """A protection from removal to one country (withholding of removal, CAT deferral...)."""
    rid = body.protection_id or new_id("pr")
    at = body.occurred_at or caller.now()
    return _record(caller, c.RecordProtection(
        protection_id=rid, person_id=person_id, occurred_at=at, kind=body.kind, country=body.country,
        granted_by=body.granted_by, period=body.period(at),
    ), rid)


@router.post("/people/{person_id}/stays", status_code=201, response_model=Written)
def stay(person_id: str, body: StayIn, caller: Legal) -> JSONResponse:
    """A stay of removal (to one country, or anywhere)."""
    rid = body.stay_id or new_id("st")
    at = body.occurred_at or caller.now()
    return _record(caller, c.RecordStay(
        stay_id=rid, person_id=person_id, occurred_at=at, granted_by=body.granted_by, country=body.country,
        period=body.period(at),
    ), rid)


@router.post("/people/{person_id}/notices", status_code=201, response_model=Written)
def notice(person_id: str, body: NoticeIn, caller: Legal) -> JSONResponse:
    """A notice served: when, in which language, with what content."""
    rid = body.notice_id or new_id("nt")
    return _record(caller, c.RecordNotice(
        notice_id=rid, person_id=person_id, served_at=body.served_at or caller.now(), language=body.language,
        content_type=body.content_type, copy_to_counsel=body.copy_to_counsel,
        served_by_officer_id=body.served_by_officer_id,
    ), rid)


@router.post("/people/{person_id}/counsel", status_code=201, response_model=Written)
def counsel(person_id: str, body: CounselIn, caller: Legal) -> JSONResponse:
    """Counsel of record."""
    rid = body.counsel_id or new_id("cn")
    at = body.occurred_at or caller.now()
    return _record(caller, c.RecordCounsel(
        counsel_id=rid, person_id=person_id, occurred_at=at, name=body.name, appearance_filed=body.appearance_filed,
        period=body.period(at), bar_number=body.bar_number, contact=body.contact,
    ), rid)


@router.post("/people/{person_id}/consular-notifications", status_code=201, response_model=Written)
def consular(person_id: str, body: ConsularIn, caller: Legal) -> JSONResponse:
    """Consular notification (Vienna Convention art. 36): offered, requested, sent."""
    rid = body.notification_id or new_id("cs")
    return _record(caller, c.RecordConsularNotification(
        notification_id=rid, person_id=person_id, country=body.country, mandatory=body.mandatory,
        offered_at=body.offered_at, requested_at=body.requested_at, sent_at=body.sent_at,
    ), rid)


@router.post("/people/{person_id}/fitness-to-travel", status_code=201, response_model=Written)
def fitness(person_id: str, body: FitnessIn, caller: Legal) -> JSONResponse:
    """An assessment of fitness to travel (the fit_to_travel gate rests on the latest one)."""
    rid = body.assessment_id or new_id("fa")
    return _record(caller, c.RecordFitnessToTravel(
        assessment_id=rid, person_id=person_id, occurred_at=body.occurred_at or caller.now(), fit=body.fit,
        assessed_by=body.assessed_by, valid_until=body.valid_until, restrictions=body.restrictions,
        notes=body.notes,
    ), rid)


@router.post("/court-orders", status_code=201, response_model=Written)
def court_order(body: CourtOrderIn, caller: LegalAny) -> JSONResponse:
    """A court order naming people (each must be in your agency's view) or defining a class by criteria."""
    caller.require_visible(PERSON, body.person_ids)
    rid = body.order_id or new_id("co")
    at = body.issued_at or caller.now()
    scope = CourtOrderScope(
        person_ids=tuple(body.person_ids), criteria=None if body.criteria is None else body.criteria.domain()
    )
    return _record(caller, c.RecordCourtOrder(
        order_id=rid, issued_at=at, court=body.court, docket=body.docket, form=body.form, directive=body.directive,
        scope=scope, period=Period(active_from=body.active_from or at, active_to=body.active_to),
        confirms_order_id=body.confirms_order_id,
    ), rid)


# -- corrections ---------------------------------------------------------------------------------------------------


def _changes(event: Event, changes: dict[str, Any]) -> dict[str, Any]:
    """Decode the JSON values of ``changes`` as the entry's own field types; unknown names are left for the
    domain to refuse by name."""
    names = {f.name for f in dataclasses.fields(event)}
    hints = field_types(type(event))
    return {k: decode(v, hints[k], f"changes/{k}") if k in names else v for k, v in changes.items()}


@router.post("/entries/{seq}/amend", status_code=201, response_model=Written)
def amend(seq: Seq, body: AmendIn, caller: Corrector) -> JSONResponse:
    """Correct an entry: a new entry names it and carries its fields as they should have been."""
    event = caller.read(correctable, caller.principal.caller, seq)
    cmd = c.AmendEntry(
        corrected_seq=seq, occurred_at=body.occurred_at or caller.now(), reason=body.reason,
        changes=_changes(event, body.changes),
    )
    return _record(caller, cmd, str(seq))


@router.post("/entries/{seq}/retract", status_code=201, response_model=Written)
def retract(seq: Seq, body: RetractIn, caller: Corrector) -> JSONResponse:
    """Retract an entry: a new entry names it, and it no longer counts (it stays in the log)."""
    caller.read(correctable, caller.principal.caller, seq)
    cmd = c.RetractEntry(corrected_seq=seq, occurred_at=body.occurred_at or caller.now(), reason=body.reason)
    return _record(caller, cmd, str(seq))

"""The operation over HTTP: headcounts, intake, incidents, access to people, notifications.

Handoffs are in :mod:`habeas.api.routes_handoffs`; capacity is ``GET /capacity`` (:mod:`habeas.api.routes_reference`).
What each route records is the command the CLI's ``habeas headcount|intake|incident|access|notification`` builds
(``habeas.cli.operation_cmds``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime

from habeas.api.context import Caller, incident_scope, manifest_scope, person_scope, require
from habeas.api.fields import ID_PATTERN, new_id
from habeas.api.models import Written, written
from habeas.api.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, paginate
from habeas.api.problems import ApiProblem, FieldProblem
from habeas.api.schemas_operation import (
    AccessIn,
    CapacityOverrideOut,
    HeadcountIn,
    HeadcountOut,
    IncidentIn,
    IncidentOut,
    IntakeIn,
    IntakeOut,
    MissingFactOut,
    NotificationOut,
    OverdueOut,
    ResolveIn,
    SentIn,
    UnknownOverrideOut,
)
from habeas.domain import commands as c
from habeas.domain.headcounts import HeadcountRecorded
from habeas.domain.incidents import LogAccess, ResolveIncident
from habeas.domain.intake import CapacityOverride, IntakeCapacityOverride, IntakeUnknownOverride
from habeas.domain.notifications import RecordNotificationSent
from habeas.domain.values import format_utc, parse_utc
from habeas.services.access import MANIFEST, PERSON
from habeas.services.incidents import RecordHeadcount, RecordIncident, incidents_in_view
from habeas.services.intake import AdmitAtIntake
from habeas.services.notifications import missed_in_view, notifications_in_view
from habeas.services.permissions import Permission
from habeas.services.unit_of_work import Result

router = APIRouter(tags=["operation"])

IdQuery = Annotated[str | None, Query(pattern=ID_PATTERN)]
Reader = Annotated[Caller, Depends(require(Permission.READ))]
_SORTABLE = "%Y-%m-%dT%H:%M:%S.%f"  # fixed width, so text order is time order


def acting_for(
    caller: Caller, agencies: Iterable[str], *, pointer: str | None = None, parameter: str | None = None
) -> None:
    """An agency acts only on its own side of a custody step: refuse naming the field that says so."""
    parties = list(dict.fromkeys(agencies))
    if caller.agency_id not in parties:
        where = FieldProblem(detail="names no party of the caller's agency", pointer=pointer, parameter=parameter)
        raise ApiProblem(
            403, "not-a-party", "Forbidden",
            f"agency {caller.agency_id} is not a party to this step ({', '.join(parties)})",
            agency_id=caller.agency_id, errors=[where],
        )


# -- headcounts ------------------------------------------------------------------------------------------------


@router.post("/manifests/{manifest_id}/headcounts", status_code=201, response_model=HeadcountOut)
def record_headcount(
    manifest_id: str, body: HeadcountIn,
    caller: Annotated[Caller, Depends(manifest_scope(Permission.HEADCOUNT_WRITE))],
) -> JSONResponse:
    """Check people off at a checkpoint against the manifest's list (or ``expected_person_ids``); any difference
    opens a ``headcount_discrepancy`` incident that blocks closing the manifest until it is resolved."""
    caller.require_visible(PERSON, dict.fromkeys([*body.counted_person_ids, *(body.expected_person_ids or ())]))
    hid = body.id or new_id("hc")
    cmd = RecordHeadcount(
        headcount_id=hid, manifest_id=manifest_id, checkpoint=body.checkpoint,
        occurred_at=body.occurred_at or caller.now(), counted_person_ids=tuple(body.counted_person_ids),
        expected_person_ids=None if body.expected_person_ids is None else tuple(body.expected_person_ids),
        incident_id=body.incident_id, facility_id=body.facility_id, leg_id=body.leg_id,
    )

    def respond(result: Result) -> HeadcountOut:
        count = result.value
        assert isinstance(count, HeadcountRecorded)
        return HeadcountOut(
            id=hid, seqs=list(result.seqs), manifest_id=manifest_id, checkpoint=count.checkpoint,
            expected_count=count.expected_count, counted_count=count.counted_count, missing=list(count.missing),
            unexpected=list(count.unexpected), duplicates=list(count.duplicates),
            reconciled=count.incident_id is None, incident_id=count.incident_id,
        )

    return caller.execute(cmd, respond=respond, status=201)


# -- intake ----------------------------------------------------------------------------------------------------


@router.post("/facilities/{facility_id}/intake", status_code=201, response_model=IntakeOut)
def admit_at_intake(
    facility_id: str, body: IntakeIn, caller: Annotated[Caller, Depends(require(Permission.INTAKE_WRITE))]
) -> JSONResponse:
    """Admit a person (Mandela rule 7) and house them within computed capacity and separation, judged by what the
    record says (their birth date, sex, convictions, allegations) and by the deployment's policy pack. Over
    capacity, or a fact the unit's separation turns on not recorded (409 separation-unknown, naming it), needs an
    ``override`` naming the unit, which is recorded and reported; a known breach of separation is never
    overridable (409)."""
    acting_for(caller, [body.custodian.agency_id], pointer="#/custodian/agency_id")
    caller.require_visible(PERSON, [body.person_id])
    aid = body.id or new_id("adm")
    cmd = AdmitAtIntake(
        admission=c.RecordAdmission(
            person_id=body.person_id, admission_id=aid, facility_id=facility_id,
            occurred_at=body.occurred_at or caller.now(), commitment_authority=body.commitment_authority,
            commitment_record_id=body.commitment_record_id, arrested_at=body.arrested_at,
            arrest_place=body.arrest_place, visible_injuries=body.visible_injuries,
            ill_treatment_complaints=body.ill_treatment_complaints,
        ),
        custodian=body.custodian.custodian(), unit_id=body.unit_id,
        authority=None if body.authority is None else body.authority.authority(), receipt_id=body.receipt_id,
        override=None if body.override is None else CapacityOverride(
            reason=body.override.reason, authorised_by=body.override.authorised_by
        ),
    )

    def respond(result: Result) -> IntakeOut:
        over = next((w for w in result.warnings if isinstance(w, IntakeCapacityOverride)), None)
        unknown = next((w for w in result.warnings if isinstance(w, IntakeUnknownOverride)), None)
        return IntakeOut(
            id=aid, seqs=list(result.seqs), person_id=body.person_id, facility_id=facility_id,
            unit_id=str(result.value),
            capacity_override=None if over is None else CapacityOverrideOut(
                unit_id=over.unit_id, occupancy=over.occupancy, capacity=over.capacity, standard=over.standard,
                reason=over.reason or "", authorised_by=over.authorised_by,  # the live event holds it
            ),
            unknown_override=None if unknown is None else UnknownOverrideOut(
                unit_id=unknown.unit_id, authorised_by=unknown.authorised_by, reason=unknown.reason or "",
                missing=[MissingFactOut(person_id=m.person_id, fact=m.fact) for m in unknown.missing],
            ),
        )

    return caller.execute(cmd, respond=respond, status=201)


# -- incidents -------------------------------------------------------------------------------------------------


@router.post("/incidents", status_code=201, response_model=Written)
def record_incident(body: IncidentIn, caller: Annotated[Caller, Depends(require(Permission.INCIDENT_WRITE))]) -> Any:
    """Open an incident. A death makes next of kin and an independent authority due at once."""
    caller.require_visible(PERSON, dict.fromkeys(body.person_ids))
    if body.manifest_id is not None:
        caller.require_visible(MANIFEST, [body.manifest_id])
    iid = body.id or new_id("inc")
    cmd = RecordIncident(
        incident_id=iid, kind=body.kind, person_ids=tuple(body.person_ids),
        occurred_at=body.occurred_at or caller.now(), manifest_id=body.manifest_id, checkpoint=body.checkpoint,
        facility_id=body.facility_id, leg_id=body.leg_id, serious=body.serious, details=body.details,
    )
    return caller.execute(cmd, respond=written(iid), status=201)


@router.get("/incidents", response_model=Page[IncidentOut])
def list_incidents(
    caller: Reader, *, open_only: Annotated[bool, Query(alias="open")] = False, manifest_id: IdQuery = None,
    limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None,
) -> Page[IncidentOut]:
    """Incidents the caller's agency may see, oldest first; ``open=true``: only those not yet resolved."""
    rows = caller.read(incidents_in_view, caller.principal.caller, open_only=open_only, manifest_id=manifest_id)
    found = [
        IncidentOut(
            incident_id=r.incident_id, kind=r.kind, person_ids=list(r.person_ids), manifest_id=r.manifest_id,
            opened_at=r.opened_at, serious=r.serious, independent_report_required=r.independent_report_required,
            open=r.resolved_at is None, resolved_at=r.resolved_at, resolution=r.resolution, seq=r.seq,
        )
        for r in rows
    ]
    return paginate(found, key=lambda i: f"{i.seq:020d}", limit=limit, cursor=cursor)


@router.post("/incidents/{incident_id}/resolve", response_model=Written)
def resolve_incident(
    incident_id: str, body: ResolveIn,
    caller: Annotated[Caller, Depends(incident_scope(Permission.INCIDENT_WRITE))],
) -> Any:
    """Resolve an open incident with a reason code; resolving twice is refused (409)."""
    cmd = ResolveIncident(incident_id=incident_id, occurred_at=body.occurred_at or caller.now(), reason=body.reason,
                          note=body.note)
    return caller.execute(cmd, respond=written(incident_id), status=200)


# -- access to a person ----------------------------------------------------------------------------------------


@router.post("/people/{person_id}/access", status_code=201, response_model=Written)
def log_access(
    person_id: str, body: AccessIn, caller: Annotated[Caller, Depends(person_scope(Permission.INCIDENT_WRITE))]
) -> Any:
    """Log an interview of or visit to the person: by an officer, or a visitor (whose name stays private)."""
    aid = body.id or new_id("acc")
    cmd = LogAccess(
        access_id=aid, person_id=person_id, occurred_at=body.occurred_at or caller.now(), purpose=body.purpose,
        facility_id=body.facility_id, leg_id=body.leg_id,
        officer_id=None if body.officer is None else body.officer.officer_id,
        agency_id=None if body.officer is None else body.officer.agency_id,
        ended_at=body.ended_at, visitor_name=body.visitor_name, note=body.note,
    )
    return caller.execute(cmd, respond=written(aid), status=201)


# -- notifications ---------------------------------------------------------------------------------------------


@router.get("/notifications", response_model=Page[NotificationOut])
def list_notifications(
    caller: Reader, *, person_id: IdQuery = None, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Page[NotificationOut]:
    """Notifications about people the caller's agency may see, in the order they became due, each ``sent``,
    ``pending`` or ``missed`` (past its deadline, unsent) now."""
    if person_id is not None:
        caller.require_visible(PERSON, [person_id])
    rows = caller.read(notifications_in_view, caller.principal.caller, caller.now(), person_id)
    found = [
        NotificationOut(
            notification_id=r.notification_id, person_id=r.person_id, recipient=r.recipient, reason=r.reason,
            due_at=r.due_at, legal_source=r.legal_source, sent_at=r.sent_at, seq=r.seq, status=status,
        )
        for r, status in rows
    ]
    return paginate(found, key=lambda n: f"{n.seq:020d}", limit=limit, cursor=cursor)


@router.get("/notifications/missed", response_model=Page[OverdueOut])
def missed_notifications(
    caller: Reader, *, at: Annotated[AwareDatetime | None, Query(description="judge deadlines then")] = None,
    include_late: bool = False, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None,
) -> Page[OverdueOut]:
    """Notifications past their deadline and unsent at ``at`` (default now), most overdue first; with
    ``include_late``, also those that went out late."""
    when = at or caller.now()

    found = [
        OverdueOut(
            notification_id=o.notification_id, person_id=o.person_id, recipient=o.recipient, reason=o.reason,
            due_at=format_utc(o.due_at), overdue_seconds=int(o.overdue_by.total_seconds()),
            sent_at=None if o.sent_at is None else format_utc(o.sent_at),
        )
        for o in caller.read(missed_in_view, caller.principal.caller, when, include_late=include_late)
    ]

    # Due time then id: the most overdue first, an order that stays put while the clock runs between pages.
    return paginate(
        found, key=lambda o: f"{parse_utc(o.due_at).strftime(_SORTABLE)}|{o.notification_id}",
        limit=limit, cursor=cursor,
    )


@router.post("/people/{person_id}/notifications/{notification_id}/sent", response_model=Written)
def notification_sent(
    person_id: str, notification_id: str, body: SentIn,
    caller: Annotated[Caller, Depends(person_scope(Permission.NOTIFICATION_WRITE))],
) -> Any:
    """Record that a notification about the person went out; a second time is refused (409)."""
    cmd = RecordNotificationSent(
        notification_id=notification_id, person_id=person_id, occurred_at=body.occurred_at or caller.now(),
        channel=body.channel, contact=body.contact, note=body.note,
    )
    return caller.execute(cmd, respond=written(notification_id), status=200)

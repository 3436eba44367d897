"""People over HTTP: register, show, find, merge, erase, and the Mandela rule 7 admission record.

What ``habeas person ...`` does, scoped: a caller sees and acts only on people in its agency's view, and every
answer carrying personal data is written to the access log.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from habeas.api.context import Caller, person_scope, require
from habeas.api.fields import new_id
from habeas.api.models import Written, written
from habeas.api.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, decode_cursor, encode_cursor, paginate
from habeas.api.schemas_people import (
    AdmissionIn,
    EraseIn,
    IdentityWarningOut,
    MergeIn,
    PersonIn,
    PersonOut,
    PersonSummary,
    PersonWritten,
)
from habeas.domain.commands import ErasePerson, MergePersons, RecordAdmission, RegisterPerson
from habeas.domain.identity import IdentityWarning
from habeas.services.access import PERSON
from habeas.services.people import find_people_in_view, people_in_view, person_view
from habeas.services.permissions import Permission
from habeas.services.unit_of_work import Result

router = APIRouter(tags=["people"])

Reader = Annotated[Caller, Depends(person_scope(Permission.PEOPLE_READ))]
Writer = Annotated[Caller, Depends(person_scope(Permission.PEOPLE_WRITE))]


@router.post("/people", status_code=201, response_model=PersonWritten)
def register_person(
    body: PersonIn, caller: Annotated[Caller, Depends(require(Permission.PEOPLE_WRITE))]
) -> JSONResponse:
    """Register a person. Registration never merges: it warns when the person may already be on record."""
    pid = body.person_id or new_id("p")
    cmd = RegisterPerson(
        person_id=pid, occurred_at=body.occurred_at or caller.now(),
        name=None if body.name is None else body.name.domain(), aliases=tuple(body.aliases),
        transliterations=tuple(t.domain() for t in body.transliterations), date_of_birth=body.birth_date(),
        sex=body.sex, nationalities=tuple(body.nationalities), country_of_birth=body.country_of_birth,
        languages=tuple(body.languages), identifiers=tuple(i.domain() for i in body.identifiers),
    )
    return caller.execute(cmd, respond=lambda result: _registered(caller, pid, result), status=201)


def _registered(caller: Caller, pid: str, result: Result) -> PersonWritten:
    warnings: list[IdentityWarning] = list(result.warnings)
    # A warning must not hand out the id of a person another agency holds: the caller learns a match exists
    # (the public locator would tell them as much), not who it is.
    others = {w.other_person_id for w in warnings}
    visible = caller.visible(PERSON, others)
    out = []
    for w in warnings:
        seen = w.other_person_id in visible
        reason = w.reason.value.replace("_", " ")
        detail = (
            f"may be the same person as {w.other_person_id} ({reason}); nothing merged: if it is, "
            f"POST /people/{w.other_person_id}/merge with duplicate_id {pid}"
            if seen else
            f"may be a person registered by another agency ({reason}); nothing merged: ask the agencies that "
            "hold them"
        )
        shown = w.other_person_id if seen else None
        out.append(IdentityWarningOut(other_person_id=shown, reason=w.reason, detail=detail))
    return PersonWritten(id=pid, seqs=list(result.seqs), warnings=out)


@router.get("/people/{person_id}", response_model=PersonOut)
def show_person(person_id: str, caller: Reader) -> PersonOut:
    """Everything on record about a person: public and private fields (unless erased), custody, records."""
    return PersonOut.of(caller.read(person_view, person_id))


@router.get("/people", response_model=Page[PersonSummary])
def find(
    *,
    caller: Annotated[Caller, Depends(require(Permission.PEOPLE_READ))],
    name: Annotated[str | None, Query(min_length=1, max_length=300, description="any of their names; "
                                      "accents, case and order ignored")] = None,
    identifier: Annotated[str | None, Query(min_length=1, max_length=40,
                                            description="an A-number, passport or national id number")] = None,
    dob: Annotated[str | None, Query(pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$",
                                     description="birth date YYYY[-MM[-DD]] to narrow by")] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[PersonSummary]:
    """People in your agency's view matching every criterion given; with none, every person in your view."""
    if name is None and identifier is None and dob is None:
        after = None if cursor is None else decode_cursor(cursor)
        found = caller.read(people_in_view, caller.principal.caller, limit=limit, after=after)
        items = [PersonSummary.of(m) for m in found[:limit]]
        more = len(found) > limit
        page = Page[PersonSummary](items=items, next_cursor=encode_cursor(items[-1].person_id) if more else None)
    else:
        found = caller.read(find_people_in_view, caller.principal.caller, name=name, identifier=identifier, dob=dob)
        page = paginate([PersonSummary.of(m) for m in found], key=lambda s: s.person_id, limit=limit, cursor=cursor)
    caller.log_reads(s.person_id for s in page.items)
    return page


@router.post("/people/{person_id}/merge", response_model=Written)
def merge(person_id: str, body: MergeIn, caller: Writer) -> JSONResponse:
    """Record that ``duplicate_id`` is the same person as this one, which survives (nothing is deleted)."""
    caller.require_visible(PERSON, [body.duplicate_id])
    cmd = MergePersons(
        person_id=person_id, duplicate_id=body.duplicate_id, occurred_at=body.occurred_at or caller.now(),
        basis=body.basis, note=body.note,
    )
    return caller.execute(cmd, respond=written(person_id), status=200)


@router.post("/people/{person_id}/erase", response_model=Written)
def erase(person_id: str, body: EraseIn, caller: Writer) -> JSONResponse:
    """Erase the person's private payloads (names, birth date, documents) for good; the log stays verifiable.

    Refused (409) while the person is held: erasing the identity of someone in custody would hide them.
    """
    cmd = ErasePerson(person_id=person_id, occurred_at=body.occurred_at or caller.now(), reason=body.reason)
    return caller.execute(cmd, respond=written(person_id), status=200)


@router.post("/people/{person_id}/admissions", status_code=201, response_model=Written)
def record_admission(
    person_id: str, body: AdmissionIn, caller: Annotated[Caller, Depends(person_scope(Permission.ADMISSION_WRITE))]
) -> JSONResponse:
    """The admission record of Mandela rule 7: no one is received without a commitment authority."""
    aid = body.admission_id or new_id("adm")
    cmd = RecordAdmission(
        person_id=person_id, admission_id=aid, facility_id=body.facility_id,
        occurred_at=body.occurred_at or caller.now(), commitment_authority=body.commitment_authority,
        commitment_record_id=body.commitment_record_id, arrested_at=body.arrested_at, arrest_place=body.arrest_place,
        visible_injuries=body.visible_injuries, ill_treatment_complaints=body.ill_treatment_complaints,
        property_items=tuple(p.domain() for p in body.property_items),
        next_of_kin=tuple(c.domain() for c in body.next_of_kin),
        dependants=tuple(d.domain() for d in body.dependants),
    )
    return caller.execute(cmd, respond=written(aid), status=201)

"""Batches over HTTP: ``POST /people/bulk`` (many people registered) and ``POST /manifests/{id}/intake`` (everyone on
an arrived manifest admitted), each in one transaction: all recorded, or none.

What ``habeas person import`` and ``habeas intake admit --manifest`` do (:mod:`habeas.services.bulk`). Each item is
the ordinary command, authorised and decided in the door; a refusal names the item by its JSON pointer, with the
status the item's own error has on the single route.

``Idempotency-Key`` is refused here rather than ignored: the answer of a batch is not stored in the batch's
transaction. A batch repeated is refused instead: people with ``person_id`` already exist (409), and a manifest's
people are already admitted (409, nobody to admit).
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any, NoReturn

from fastapi import APIRouter, Depends
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from habeas.api.context import IDEMPOTENCY_HEADER, Caller, manifest_scope, require
from habeas.api.fields import new_id
from habeas.api.problems import ApiProblem, FieldProblem, status_of
from habeas.api.routes_operation import acting_for
from habeas.api.schemas_bulk import (
    AdmittedOut,
    LeftOutOut,
    ManifestIntakeIn,
    ManifestIntakeOut,
    PeopleIn,
    PeopleRegistered,
    PersonRegisteredOut,
)
from habeas.api.schemas_people import IdentityWarningOut, PersonIn
from habeas.domain.commands import RegisterPerson
from habeas.domain.errors import InvalidField
from habeas.domain.manifest_intake import left_out
from habeas.importers.people import person_problems
from habeas.services.access import PERSON
from habeas.services.bulk import BatchRefused, admit_manifest, manifest_intake_plan, register_people
from habeas.services.permissions import Permission

router = APIRouter(tags=["bulk"])

# Where in a person's body the field a domain error names sits.
_POINTER_OF_FIELD = {
    "given_names": "/name/given_names", "surnames": "/name/surnames", "name": "/name",
    "date_of_birth": "/date_of_birth", "aliases": "/aliases", "nationalities": "/nationalities",
    "country_of_birth": "/country_of_birth", "languages": "/languages", "person_id": "/person_id",
    "identifiers": "/identifiers", "a_number": "/identifiers", "document_number": "/identifiers",
    "kind": "/identifiers", "country": "/identifiers", "script": "/transliterations",
    "occurred_at": "/occurred_at",
}
_TITLES = {403: "Forbidden", 404: "Not found", 409: "Conflict", 422: "Invalid input"}


def _no_idempotency_key(caller: Caller) -> None:
    if caller.request.headers.get(IDEMPOTENCY_HEADER) is not None:
        raise ApiProblem(
            422, "idempotency-key-unsupported", "Invalid input",
            f"{IDEMPOTENCY_HEADER} is not honoured on a batch; send the batch without it (a repeated batch is "
            "refused whole: give each person a person_id)",
            errors=[FieldProblem(detail="not honoured on a batch", parameter=IDEMPOTENCY_HEADER)],
        )


def _refused(e: BatchRefused, *, pointer: str | None = None, person_id: str | None = None) -> NoReturn:
    """The batch's answer when one item was refused in the door: the item's own status, and which item."""
    status = status_of(e.cause)
    which: dict[str, Any] = {"index": e.index} | ({} if person_id is None else {"person_id": person_id})
    if status >= 500:  # the server failed, not the item: the one envelope's 500
        raise e.cause
    raise ApiProblem(
        status, str(getattr(e.cause, "code", "refused")), _TITLES.get(status, "Refused"), str(e),
        errors=None if pointer is None else [FieldProblem(detail=str(e.cause), pointer=pointer)],
        **which,
    ) from e


# -- people ------------------------------------------------------------------------------------------------------


def _command(body: PersonIn, caller: Caller) -> RegisterPerson:
    """What ``POST /people`` records for one person (the same fields, the same defaults)."""
    return RegisterPerson(
        person_id=body.person_id or new_id("p"), occurred_at=body.occurred_at or caller.now(),
        name=None if body.name is None else body.name.domain(), aliases=tuple(body.aliases),
        transliterations=tuple(t.domain() for t in body.transliterations), date_of_birth=body.birth_date(),
        sex=body.sex, nationalities=tuple(body.nationalities), country_of_birth=body.country_of_birth,
        languages=tuple(body.languages), identifiers=tuple(i.domain() for i in body.identifiers),
    )


def _commands(body: PeopleIn, caller: Caller) -> list[RegisterPerson]:
    """Every person's command, or a 422 naming every item the domain would refuse (not only the first)."""
    commands: list[RegisterPerson] = []
    errors: list[FieldProblem | dict[str, str]] = []
    first: dict[str, int] = {}
    for i, person in enumerate(body.people):
        try:
            cmd = _command(person, caller)
        except InvalidField as e:
            problems = [e]
        else:
            commands.append(cmd)
            problems = person_problems(cmd)
            earlier = first.setdefault(cmd.person_id, i)
            if earlier != i:
                problems.append(InvalidField("person_id", cmd.person_id, f"the same as #/people/{earlier}"))
        errors += [
            FieldProblem(detail=p.reason, pointer=f"#/people/{i}{_POINTER_OF_FIELD.get(p.field, '')}") for p in problems
        ]
    if errors:
        items = sorted({int(e.pointer.split("/")[2]) for e in errors if isinstance(e, FieldProblem) and e.pointer})
        listed = ", ".join(f"#/people/{i}" for i in items[:20]) + (" ..." if len(items) > 20 else "")
        raise ApiProblem(
            422, "invalid-input", "Invalid input",
            f"{len(errors)} error(s) in {len(items)} of {len(body.people)} people ({listed}); nothing was registered",
            errors=errors,
        )
    return commands


@router.post("/people/bulk", status_code=201, response_model=PeopleRegistered)
def register_people_route(
    body: PeopleIn, caller: Annotated[Caller, Depends(require(Permission.PEOPLE_WRITE))]
) -> JSONResponse:
    """Register many people in one transaction: all of them, or none. Every invalid person is named by its JSON
    pointer before anything is written; a refusal in the door (an id already taken) names the person it came
    from. Registration never merges: warnings name records, on file or earlier in the batch, that may be the
    same person."""
    _no_idempotency_key(caller)
    commands = _commands(body, caller)
    try:
        registered = register_people(
            caller.services, commands, caller.principal.caller, item=lambda i: f"#/people/{i}"
        )
    except BatchRefused as e:
        _refused(e, pointer=f"#/people/{e.index}")
    others = {w.other_person_id for r in registered for w in r.warnings}
    visible = caller.visible(PERSON, others) if others else set()
    out = []
    for i, r in enumerate(registered):
        warnings = []
        for w in r.warnings:
            # As POST /people: a warning never hands out the id of a person another agency holds.
            seen = w.other_person_id in visible
            reason = w.reason.value.replace("_", " ")
            warnings.append(IdentityWarningOut(
                other_person_id=w.other_person_id if seen else None, reason=w.reason,
                detail=(f"may be the same person as {w.other_person_id} ({reason}); nothing merged: if it is, POST "
                        f"/people/{w.other_person_id}/merge with duplicate_id {r.person_id}") if seen else
                       (f"may be a person registered by another agency ({reason}); nothing merged: ask the agencies "
                        "that hold them"),
            ))
        out.append(PersonRegisteredOut(index=i, id=r.person_id, seqs=list(r.seqs), warnings=warnings))
    answer = PeopleRegistered(count=len(out), people=out)
    return JSONResponse(jsonable_encoder(answer), status_code=201)


# -- a manifest's intake ---------------------------------------------------------------------------------------------


@router.post("/manifests/{manifest_id}/intake", status_code=201, response_model=ManifestIntakeOut)
def admit_manifest_route(
    manifest_id: str, body: ManifestIntakeIn,
    caller: Annotated[Caller, Depends(manifest_scope(Permission.INTAKE_WRITE))],
) -> JSONResponse:
    """Admit everyone on an arrived manifest at its destination facility (Mandela rule 7), each into a unit the
    rules choose (capacity and separation, as ``POST /facilities/{id}/intake``), in one transaction: everyone, or
    no one. People a count did not find (an open discrepancy or escape on the manifest) and people already held
    at the facility are left out and listed. Admission ids are ``adm-<manifest>-<person>``."""
    _no_idempotency_key(caller)
    acting_for(caller, [body.custodian.agency_id], pointer="#/custodian/agency_id")
    plan = caller.read(manifest_intake_plan, manifest_id, body.facility_id)  # refusals name #/facility_id
    caller.require_visible(PERSON, plan.admit)
    try:
        admitted = admit_manifest(
            caller.services, plan, caller.principal.caller, custodian=body.custodian.custodian(),
            commitment_authority=body.commitment_authority, occurred_at=body.occurred_at or caller.now(),
            authority=None if body.authority is None else body.authority.authority(), receipt_id=body.receipt_id,
        )
    except BatchRefused as e:
        _refused(e, person_id=plan.admit[e.index])
    answer = ManifestIntakeOut(
        manifest_id=manifest_id, facility_id=plan.facility_id,
        admitted=[
            AdmittedOut(
                person_id=a.person_id, admission_id=a.admission_id, unit_id=a.unit_id, seqs=list(a.seqs),
            )
            for a in admitted
        ],
        left_out=[LeftOutOut(person_id=p, reason=why) for p, why in left_out(plan)],
        units=dict(Counter(a.unit_id for a in admitted)),
    )
    return JSONResponse(jsonable_encoder(answer), status_code=201)


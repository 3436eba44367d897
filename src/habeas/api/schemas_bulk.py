"""Request and response bodies of the batch routes: many people registered, a whole manifest admitted.

A batch is one transaction: every item is recorded, or none. Items are checked before anything is written, and
every bad item is named by its JSON pointer (``#/people/3/date_of_birth``), not only the first.
"""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, Field

from habeas.api.fields import Id, Text
from habeas.api.models import RequestModel
from habeas.api.schemas_operation import AuthorityBody, Party
from habeas.api.schemas_people import IdentityWarningOut, PersonIn

# A plane is a few hundred people; one transaction of a whole camp's register is split into requests this size.
MAX_BATCH = 5_000


class PeopleIn(RequestModel):
    """People to register, in order, in one transaction. Give each a ``person_id`` to make a repeated request
    harmless: it is then refused whole (409, already exists), never recorded twice."""

    people: list[PersonIn] = Field(min_length=1, max_length=MAX_BATCH)


class PersonRegisteredOut(BaseModel):
    index: int = Field(description="the person's place in the request's people (from 0)")
    id: str
    seqs: list[int]
    warnings: list[IdentityWarningOut] = Field(
        default=[], description="records (on file, or earlier in this batch) that may be the same person"
    )


class PeopleRegistered(BaseModel):
    count: int
    people: list[PersonRegisteredOut]


class ManifestIntakeIn(RequestModel):
    """Everyone on an arrived manifest admitted (Mandela rule 7) at the leg's destination facility, each into a
    unit the rules choose. ``facility_id`` only where the leg names no destination. ``authority`` null: each
    person's current legal authority continues."""

    custodian: Party
    commitment_authority: Text
    facility_id: Id | None = None
    authority: AuthorityBody | None = None
    receipt_id: Id | None = Field(default=None, description="the handoff receipt they came with")
    occurred_at: AwareDatetime | None = None


class AdmittedOut(BaseModel):
    person_id: str
    admission_id: str
    unit_id: str
    seqs: list[int]


class LeftOutOut(BaseModel):
    person_id: str
    reason: str


class ManifestIntakeOut(BaseModel):
    manifest_id: str
    facility_id: str
    admitted: list[AdmittedOut]
    left_out: list[LeftOutOut] = Field(description="on the manifest but not admitted, and why")
    units: dict[str, int] = Field(description="how many were admitted into each unit")

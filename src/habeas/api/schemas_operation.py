"""Request and response bodies of the operation: headcounts, handoffs, intake, incidents, access, notifications.

Ids carry the domain's pattern here too, so a malformed id is a 422 pointing at the body field it came in (the
domain's own check would name its field, which can differ from the body's). Times are ISO 8601 with an offset;
an omitted ``occurred_at`` means now, by the server's clock.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, BaseModel, Field

from habeas.api.fields import Country, Id, Slug, Text
from habeas.api.models import RequestModel
from habeas.domain.custody import Authority, Custodian
from habeas.domain.facilities import CapacityStandard
from habeas.domain.handoff_events import ItemKind
from habeas.domain.handoffs import MAX_QUANTITY
from habeas.domain.incidents import AccessPurpose, Checkpoint, IncidentKind
from habeas.domain.notifications import NotificationReason, Recipient
from habeas.domain.separation import Unrecorded

Base64 = Annotated[str, Field(pattern=r"^[A-Za-z0-9+/]*={0,2}$", max_length=400, description="standard base64")]


# -- shared parts ----------------------------------------------------------------------------------------------


class Party(RequestModel):
    """An officer and their agency (a custodian, a releasing or receiving party)."""

    agency_id: Id
    officer_id: Id

    def custodian(self) -> Custodian:
        return Custodian(agency_id=self.agency_id, officer_id=self.officer_id)

    @classmethod
    def of(cls, who: Custodian) -> Party:
        return cls(agency_id=who.agency_id, officer_id=who.officer_id)


class AuthorityBody(RequestModel):
    """The legal authority: the agency legally responsible, the basis code (``ina_241``), the record behind it."""

    agency_id: Id
    legal_basis: Slug
    record_id: Id | None = None

    def authority(self) -> Authority:
        return Authority(agency_id=self.agency_id, legal_basis=self.legal_basis, record_id=self.record_id)

    @classmethod
    def of(cls, a: Authority) -> AuthorityBody:
        return cls(agency_id=a.agency_id, legal_basis=a.legal_basis, record_id=a.record_id)


# -- headcounts ------------------------------------------------------------------------------------------------


class HeadcountIn(RequestModel):
    """``counted_person_ids`` in the order checked off; ``expected_person_ids`` defaults to the manifest's."""

    id: Id | None = None
    checkpoint: Checkpoint
    counted_person_ids: list[Id] = Field(max_length=10_000)
    expected_person_ids: list[Id] | None = Field(default=None, max_length=10_000)
    incident_id: Id | None = Field(default=None, description="id of the discrepancy incident, if one opens")
    facility_id: Id | None = None
    leg_id: Id | None = None
    occurred_at: AwareDatetime | None = None


class HeadcountOut(BaseModel):
    """The count and how it reconciles; ``incident_id`` is the incident a discrepancy opened (else null)."""

    id: str
    seqs: list[int]
    manifest_id: str
    checkpoint: Checkpoint
    expected_count: int
    counted_count: int
    missing: list[str]
    unexpected: list[str]
    duplicates: list[str]
    reconciled: bool
    incident_id: str | None = None


# -- handoffs --------------------------------------------------------------------------------------------------


class ItemIn(RequestModel):
    """Something that travels with a person; ``description`` is private (the signed receipt holds it)."""

    item_id: Id | None = None
    person_id: Id
    kind: ItemKind
    description: Annotated[str, Field(min_length=1, max_length=500)]
    quantity: int = Field(default=1, ge=1, le=MAX_QUANTITY)


class HandoffIn(RequestModel):
    """A receipt for both officers to sign. ``receiving`` becomes the physical custodian; ``authority`` is the
    legal authority after the handoff, recorded separately because the two can differ."""

    id: Id | None = None
    person_ids: list[Id] = Field(min_length=1, max_length=10_000)
    releasing: Party
    receiving: Party
    place_id: Id
    country: Country
    authority: AuthorityBody
    manifest_id: Id | None = None
    items: list[ItemIn] = Field(default=[], max_length=10_000)
    at: AwareDatetime | None = None


class ItemOut(BaseModel):
    """The public part of an item (its description is in the receipt only)."""

    item_id: str
    person_id: str
    kind: ItemKind
    quantity: int


class SignatureOut(BaseModel):
    role: str
    agency_id: str
    officer_id: str
    seq: int


class HandoffOut(BaseModel):
    """A handoff: ``issued`` until both signatures verify, then ``completed`` (custody passed)."""

    receipt_id: str
    status: str
    person_ids: list[str]
    items: list[ItemOut]
    releasing: Party
    receiving: Party
    authority: AuthorityBody
    manifest_id: str | None
    place_id: str
    country: str
    at: str
    signatures: list[SignatureOut]
    seq: int
    completed_seq: int | None


class ReceiptItemBody(BaseModel):
    item_id: str
    person_id: str
    kind: str
    description: str
    quantity: int


class ReceiptAuthority(BaseModel):
    agency_id: str
    legal_basis: str
    record_id: str | None


class ReceiptParty(BaseModel):
    agency_id: str
    officer_id: str


class ReceiptBody(BaseModel):
    """The document both officers sign: the response body of ``GET /handoffs/{receipt_id}/receipt`` *is* the
    signed message (RFC 8785 canonical JSON, UTF-8); sign those bytes as received, without re-encoding."""

    format: str
    receipt_id: str
    manifest_id: str | None
    person_ids: list[str]
    items: list[ReceiptItemBody]
    releasing: ReceiptParty
    receiving: ReceiptParty
    place_id: str
    country: str
    at: str
    authority: ReceiptAuthority
    nonce: str


class SignaturesIn(RequestModel):
    """Both officers' Ed25519 signatures (base64) over the receipt's bytes; custody passes only if both verify
    against the keys registered for the officers the receipt names."""

    releasing_signature: Base64
    receiving_signature: Base64


# -- intake ----------------------------------------------------------------------------------------------------


class OverrideIn(RequestModel):
    """Permission to house over computed capacity: a reason and the officer who authorised it."""

    reason: Annotated[str, Field(min_length=1, max_length=500)]
    authorised_by: Id


class IntakeIn(RequestModel):
    """Admission (Mandela rule 7) and housing. ``unit_id`` null: the first unit that takes the person within
    computed capacity and separation; ``override`` applies to the unit named. ``authority`` null: the person's
    current legal authority continues. No field states the person's age group, sex or category, nor the capacity
    standard: the record and the deployment's policy pack decide them (a request naming one is refused)."""

    person_id: Id
    id: Id | None = None
    custodian: Party
    commitment_authority: Text
    commitment_record_id: Id | None = None
    unit_id: Id | None = None
    authority: AuthorityBody | None = None
    receipt_id: Id | None = Field(default=None, description="the handoff receipt the person came with")
    override: OverrideIn | None = None
    arrested_at: AwareDatetime | None = None
    arrest_place: Text | None = None
    visible_injuries: Text | None = None
    ill_treatment_complaints: Text | None = None
    occurred_at: AwareDatetime | None = None


class CapacityOverrideOut(BaseModel):
    unit_id: str
    occupancy: int
    capacity: int
    standard: CapacityStandard
    reason: str
    authorised_by: str


class MissingFactOut(BaseModel):
    person_id: str
    fact: Unrecorded


class UnknownOverrideOut(BaseModel):
    """The person was housed in ``unit_id`` though the facts ``missing`` names are not recorded."""

    unit_id: str
    missing: list[MissingFactOut]
    reason: str
    authorised_by: str


class IntakeOut(BaseModel):
    """``capacity_override`` is set when the admission went over computed capacity on a recorded override;
    ``unknown_override`` when a fact the unit's separation turns on was not recorded and an override was used."""

    id: str
    seqs: list[int]
    person_id: str
    facility_id: str
    unit_id: str
    capacity_override: CapacityOverrideOut | None = None
    unknown_override: UnknownOverrideOut | None = None


# -- incidents and access --------------------------------------------------------------------------------------


class IncidentIn(RequestModel):
    """A death makes next of kin and an independent authority due at once; a death or an escape also changes
    the custody of each person named who is held here."""

    id: Id | None = None
    kind: IncidentKind
    person_ids: list[Id] = Field(min_length=1, max_length=10_000)
    manifest_id: Id | None = None
    checkpoint: Checkpoint | None = None
    facility_id: Id | None = None
    leg_id: Id | None = None
    serious: bool = False
    details: Text | None = Field(default=None, description="what happened (private)")
    occurred_at: AwareDatetime | None = None


class IncidentOut(BaseModel):
    incident_id: str
    kind: str
    person_ids: list[str]
    manifest_id: str | None
    opened_at: str
    serious: bool
    independent_report_required: bool
    open: bool
    resolved_at: str | None
    resolution: str | None
    seq: int


class ResolveIn(RequestModel):
    reason: Slug = Field(description="a code: person_located, recount_matched...")
    note: Text | None = Field(default=None, description="the detail (private)")
    occurred_at: AwareDatetime | None = None


class AccessIn(RequestModel):
    """An interview of or visit to a person: by an officer (public) or a visitor (name private)."""

    id: Id | None = None
    purpose: AccessPurpose
    officer: Party | None = None
    visitor_name: Text | None = None
    facility_id: Id | None = None
    leg_id: Id | None = None
    ended_at: AwareDatetime | None = None
    note: Text | None = None
    occurred_at: AwareDatetime | None = None


# -- notifications ---------------------------------------------------------------------------------------------


class NotificationOut(BaseModel):
    """``status``: ``sent``, ``pending`` (not yet due) or ``missed`` (past its deadline, unsent)."""

    notification_id: str
    person_id: str
    recipient: str
    reason: str
    due_at: str
    legal_source: str
    sent_at: str | None
    status: str
    seq: int


class OverdueOut(BaseModel):
    """A notification not sent by its deadline; ``sent_at`` is set when it went out late."""

    notification_id: str
    person_id: str
    recipient: Recipient
    reason: NotificationReason
    due_at: str
    overdue_seconds: int
    sent_at: str | None


class SentIn(RequestModel):
    channel: Slug = Field(description="phone, email, in_person...")
    contact: Text | None = Field(default=None, description="whom it reached (private)")
    note: Text | None = None
    occurred_at: AwareDatetime | None = None

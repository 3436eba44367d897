"""The public locator's answer: one shape whether anyone matched or not, and nothing personal in it."""

from __future__ import annotations

from pydantic import BaseModel, Field

from habeas.services import locator


class PublicAgency(BaseModel):
    agency_id: str
    name: str | None
    country: str | None

    @classmethod
    def of(cls, ref: locator.AgencyRef | None) -> PublicAgency | None:
        return None if ref is None else cls(agency_id=ref.agency_id, name=ref.name, country=ref.country)


class PublicFacility(BaseModel):
    facility_id: str
    name: str | None
    address: str | None
    city: str | None
    region: str | None
    postal_code: str | None
    country: str | None
    contact: str | None = Field(description="how families and counsel reach the facility")


class PublicTransfer(BaseModel):
    """Handed to another agency (``agency``) or removed to another country (``agency`` is null)."""

    agency: PublicAgency | None
    country: str
    at: str


class LocatorProof(BaseModel):
    seq: int = Field(description="the index of the entry the answer rests on")
    leaf: str = Field(description="that entry's public leaf: the exact canonical JSON the log hashed (UTF-8)")
    tlog_proof: str = Field(description="a c2sp.org/tlog-proof@v1 of the leaf against the signed checkpoint")


class LocatorMatch(BaseModel):
    status: str = Field(description="not_held, in_custody, in_transit, handed_over, released, removed, ...")
    since: str | None
    summary: str = Field(description='one sentence, e.g. "handed to <agency>, <country>, at <time>"')
    custodian: PublicAgency | None
    facility: PublicFacility | None
    transferred_to: PublicTransfer | None
    authority: PublicAgency | None = Field(description="the agency legally responsible")
    legal_basis: str | None
    proof: LocatorProof


class LocatorAnswer(BaseModel):
    matches: list[LocatorMatch]
    checkpoint: str = Field(description="the signed checkpoint note the proofs are made against")

    @classmethod
    def of(cls, result: locator.LocatorResult) -> LocatorAnswer:
        return cls(matches=[_match(p) for p in result.matches], checkpoint=result.checkpoint)


def _match(proven: locator.Proven) -> LocatorMatch:
    loc = proven.located
    f = loc.facility
    t = loc.transferred_to
    return LocatorMatch(
        status=loc.status, since=loc.since, summary=loc.summary, custodian=PublicAgency.of(loc.custodian),
        facility=None if f is None else PublicFacility(
            facility_id=f.facility_id, name=f.name, address=f.address, city=f.city, region=f.region,
            postal_code=f.postal_code, country=f.country, contact=f.contact,
        ),
        transferred_to=None if t is None else PublicTransfer(
            agency=PublicAgency.of(t.agency), country=t.country, at=t.at
        ),
        authority=PublicAgency.of(loc.authority), legal_basis=loc.legal_basis,
        proof=LocatorProof(seq=loc.seq, leaf=proven.leaf.decode(), tlog_proof=proven.tlog_proof),
    )

"""Request bodies for custody transitions: the options of ``habeas custody ...`` as JSON.

``custodian`` is the physical custodian (the responsible officer and their agency; the CLI's OFFICER@AGENCY);
``authority`` the agency legally responsible and the legal basis, recorded apart because they can differ.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from habeas.api.schemas_people import Code, Country, Instant, RecordId
from habeas.domain.custody import Authority, Custodian


class CustodianIn(BaseModel):
    agency_id: RecordId
    officer_id: RecordId

    def domain(self) -> Custodian:
        return Custodian(agency_id=self.agency_id, officer_id=self.officer_id)


class AuthorityIn(BaseModel):
    agency_id: RecordId = Field(description="the agency legally responsible")
    legal_basis: Code = Field(description="e.g. ina_236")
    record_id: RecordId | None = Field(default=None, description="the record it rests on (a removal order id...)")

    def domain(self) -> Authority:
        return Authority(agency_id=self.agency_id, legal_basis=self.legal_basis, record_id=self.record_id)


def authority(given: AuthorityIn | None) -> Authority | None:
    return None if given is None else given.domain()


class _Transition(BaseModel):
    occurred_at: Instant | None = Field(default=None, description="when it happened; default now")


class AdmitIn(_Transition):
    facility_id: RecordId
    unit_id: RecordId
    custodian: CustodianIn
    authority: AuthorityIn


class DepartIn(_Transition):
    """Board a transport leg; the escort becomes the custodian (the authority stays unless given)."""

    leg_id: RecordId = Field(description="the transport leg (a flight, a bus)")
    custodian: CustodianIn
    authority: AuthorityIn | None = None
    receipt_id: RecordId | None = Field(default=None, description="a handoff receipt id")


class ArriveIn(_Transition):
    facility_id: RecordId
    unit_id: RecordId
    custodian: CustodianIn
    authority: AuthorityIn | None = None
    receipt_id: RecordId | None = None


class RehouseIn(_Transition):
    unit_id: RecordId = Field(description="another unit of the same facility")
    reason: Code | None = None


class HandOverIn(_Transition):
    """To another agency that keeps no record here; ``custodian`` is its receiving officer."""

    country: Country = Field(description="where the receiving agency holds them")
    custodian: CustodianIn
    authority: AuthorityIn
    receipt_id: RecordId | None = None


class ReleaseIn(_Transition):
    reason: Code = Field(description="e.g. bond, court_order, parole")


class RemoveIn(_Transition):
    country: Country = Field(description="the country they were delivered to")
    reason: Code | None = None


class ReasonIn(_Transition):
    reason: Code | None = None


class ReassignIn(_Transition):
    custodian: CustodianIn
    reason: Code | None = None


class ChangeAuthorityIn(_Transition):
    authority: AuthorityIn
    reason: Code | None = None

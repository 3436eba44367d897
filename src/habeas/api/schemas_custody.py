"""Request bodies for custody transitions: the options of ``habeas custody ...`` as JSON.

``custodian`` is the physical custodian (the responsible officer and their agency; the CLI's OFFICER@AGENCY);
``authority`` the agency legally responsible and the legal basis, recorded apart because they can differ.
"""

from __future__ import annotations

from pydantic import Field

from habeas.api.fields import Country, Id, Instant, Slug
from habeas.api.models import RequestModel
from habeas.domain.custody import Authority, Custodian


class CustodianIn(RequestModel):
    agency_id: Id
    officer_id: Id

    def domain(self) -> Custodian:
        return Custodian(agency_id=self.agency_id, officer_id=self.officer_id)


class AuthorityIn(RequestModel):
    agency_id: Id = Field(description="the agency legally responsible")
    legal_basis: Slug = Field(description="e.g. ina_236")
    record_id: Id | None = Field(default=None, description="the record it rests on (a removal order id...)")

    def domain(self) -> Authority:
        return Authority(agency_id=self.agency_id, legal_basis=self.legal_basis, record_id=self.record_id)


def authority(given: AuthorityIn | None) -> Authority | None:
    return None if given is None else given.domain()


class _Transition(RequestModel):
    occurred_at: Instant | None = Field(default=None, description="when it happened; default now")


class AdmitIn(_Transition):
    facility_id: Id
    unit_id: Id
    custodian: CustodianIn
    authority: AuthorityIn


class DepartIn(_Transition):
    """Board a transport leg; the escort becomes the custodian (the authority stays unless given)."""

    leg_id: Id = Field(description="the transport leg (a flight, a bus)")
    custodian: CustodianIn
    authority: AuthorityIn | None = None
    receipt_id: Id | None = Field(default=None, description="a handoff receipt id")


class ArriveIn(_Transition):
    facility_id: Id
    unit_id: Id
    custodian: CustodianIn
    authority: AuthorityIn | None = None
    receipt_id: Id | None = None


class RehouseIn(_Transition):
    unit_id: Id = Field(description="another unit of the same facility")
    reason: Slug | None = None


class HandOverIn(_Transition):
    """To another agency that keeps no record here; ``custodian`` is its receiving officer."""

    country: Country = Field(description="where the receiving agency holds them")
    custodian: CustodianIn
    authority: AuthorityIn
    receipt_id: Id | None = None


class ReleaseIn(_Transition):
    reason: Slug = Field(description="e.g. bond, court_order, parole")


class RemoveIn(_Transition):
    country: Country = Field(description="the country they were delivered to")
    reason: Slug | None = None


class ReasonIn(_Transition):
    reason: Slug | None = None


class ReassignIn(_Transition):
    custodian: CustodianIn
    reason: Slug | None = None


class ChangeAuthorityIn(_Transition):
    authority: AuthorityIn
    reason: Slug | None = None

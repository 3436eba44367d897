"""Request and response bodies of the reference data: agencies, officers, facilities, units, capacity.

None of it is personal data (an officer's name and badge go into the ledger's private payload and are never
answered back). Ids carry the domain's pattern, so a malformed one is a 422 pointing at the body field it came
in; an omitted ``occurred_at`` means now, by the server's clock.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, Field

from habeas.api.fields import Country, Id, Slug
from habeas.api.models import RequestModel
from habeas.domain.errors import InvalidField
from habeas.domain.facilities import (
    MAX_FLOOR_AREA_M2,
    MAX_PEOPLE,
    MIN_FLOOR_AREA_M2,
    AgeGroup,
    CapacityStandard,
    DetentionCategory,
)
from habeas.domain.people import Sex
from habeas.services.facilities import FacilityView, UnitView, parse_officer_key

Name = Annotated[str, Field(min_length=1, max_length=300)]
ShortText = Annotated[str, Field(min_length=1, max_length=300)]


def public_key_bytes(text: str) -> bytes:
    """An Ed25519 public key: 32 bytes in base64, or a C2SP verifier key ``name+keyid+base64``; a ValueError
    (what pydantic reports as a field error) otherwise."""
    try:
        return parse_officer_key(text)
    except InvalidField as e:
        raise ValueError(e.reason) from None


def _valid_key(text: str) -> str:
    public_key_bytes(text)
    return text


PublicKey = Annotated[
    str,
    Field(max_length=400, examples=["11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="]),
    AfterValidator(_valid_key),
]


# -- agencies and officers -------------------------------------------------------------------------------------


class AgencyIn(RequestModel):
    id: Id | None = None
    name: Name
    country: Country
    kind: Slug = Field(description="a lower-case code: immigration, prison, police...")
    occurred_at: AwareDatetime | None = None


class OfficerIn(RequestModel):
    """``name`` and ``badge_number`` are private (kept out of the public log); the key signs handoffs."""

    id: Id | None = None
    name: Annotated[str, Field(min_length=1, max_length=200)]
    role: Slug = Field(description="a lower-case code, e.g. deportation_officer")
    public_key: PublicKey = Field(
        description="Ed25519 public key: 32 bytes in standard base64, or a verifier key name+keyid+base64"
    )
    badge_number: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    occurred_at: AwareDatetime | None = None


# -- facilities and units --------------------------------------------------------------------------------------


class FacilityIn(RequestModel):
    id: Id | None = None
    name: Name
    country: Country
    facility_type: Annotated[str, Field(min_length=1, max_length=100, examples=["SPC", "IGSA", "prison"])]
    operating_agency_id: Id | None = None
    operator_name: ShortText | None = None
    code: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    address: ShortText | None = None
    city: ShortText | None = None
    region: ShortText | None = None
    postal_code: Annotated[str, Field(min_length=1, max_length=32)] | None = None
    declared_capacity: int | None = Field(default=None, ge=0, le=MAX_PEOPLE)
    contact: ShortText | None = Field(default=None, description="phone or e-mail; the public locator shows it")
    field_office: Annotated[str, Field(min_length=1, max_length=32)] | None = Field(
        default=None, description="ICE field office (area of responsibility), e.g. HOU: class orders may name it"
    )
    district: Annotated[str, Field(min_length=1, max_length=32)] | None = Field(
        default=None, description="judicial district, e.g. TXSD: class orders may name it"
    )
    occurred_at: AwareDatetime | None = None


class UnitIn(RequestModel):
    """A unit or cell: floor area in m² (sanitary annex excluded) and declared beds; who it is for."""

    id: Id | None = None
    label: Annotated[str, Field(min_length=1, max_length=100)]
    floor_area_m2: Decimal = Field(
        ge=MIN_FLOOR_AREA_M2, le=MAX_FLOOR_AREA_M2, decimal_places=2, allow_inf_nan=False, examples=["120.5"],
        description="at least 1 m² (a cell), at most 1 km², to the hundredth",
    )
    declared_beds: int = Field(ge=0, le=MAX_PEOPLE)
    sex: Sex | None = None
    categories: list[DetentionCategory] = Field(default=[], max_length=len(DetentionCategory))
    age_group: AgeGroup | None = None
    organisation: Slug | None = Field(default=None, description="reserved to people alleged to belong to it")
    parent_unit_id: Id | None = None
    occurred_at: AwareDatetime | None = None


class SeparationOut(BaseModel):
    sex: str | None = None
    categories: list[str] = []
    age_group: str | None = None
    organisation: str | None = None

    @classmethod
    def of(cls, body: dict[str, Any]) -> SeparationOut:
        return cls(sex=body.get("sex"), categories=list(body.get("categories") or ()),
                   age_group=body.get("age_group"), organisation=body.get("organisation"))


class UnitOut(BaseModel):
    """Declared beds beside the capacity the floor area allows (CPT 4 m², ICRC 3.4 m² a person)."""

    unit_id: str
    seq: int
    label: str
    floor_area_m2: str
    declared_beds: int
    capacity_cpt: int
    capacity_icrc: int
    parent_unit_id: str | None
    separation: SeparationOut
    held_now: int

    @classmethod
    def of(cls, u: UnitView) -> UnitOut:
        return cls(
            unit_id=u.unit_id, seq=u.seq, label=u.label, floor_area_m2=str(u.floor_area_m2),
            declared_beds=u.declared_beds, capacity_cpt=u.capacity_cpt, capacity_icrc=u.capacity_icrc,
            parent_unit_id=u.parent_unit_id, separation=SeparationOut.of(u.separation), held_now=u.held_now,
        )


class FacilityOut(BaseModel):
    """A facility, its units and the totals (capacity per unit rounded down, then added)."""

    facility_id: str
    seq: int
    name: str
    country: str
    facility_type: str
    code: str | None
    operating_agency_id: str | None
    operator_name: str | None
    address: str | None
    city: str | None
    region: str | None
    postal_code: str | None
    contact: str | None
    field_office: str | None
    district: str | None
    declared_capacity: int | None
    retracted: bool
    floor_area_m2: str
    declared_beds: int
    capacity_cpt: int
    capacity_icrc: int
    held_now: int
    units: list[UnitOut]

    @classmethod
    def of(cls, f: FacilityView) -> FacilityOut:
        return cls(
            facility_id=f.facility_id, seq=f.seq, name=f.name, country=f.country, facility_type=f.facility_type,
            code=f.code, operating_agency_id=f.operating_agency_id, operator_name=f.operator_name,
            address=f.address, city=f.city, region=f.region, postal_code=f.postal_code, contact=f.contact,
            field_office=f.field_office, district=f.district, declared_capacity=f.declared_capacity,
            retracted=f.retracted, floor_area_m2=str(f.floor_area_m2),
            declared_beds=f.declared_beds, capacity_cpt=f.capacity_cpt, capacity_icrc=f.capacity_icrc,
            held_now=f.held_now, units=[UnitOut.of(u) for u in f.units],
        )


class CapacityOut(BaseModel):
    """Occupancy against the capacity computed from floor area by ``standard``, beside the declared figure;
    ``overrides`` counts admissions over capacity on a recorded override."""

    facility_id: str
    standard: CapacityStandard
    floor_area_m2: str
    computed_capacity: int
    declared_capacity: int | None
    occupancy: int
    overrides: int
    over_capacity: bool

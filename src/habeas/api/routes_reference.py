"""Reference data over HTTP: agencies and their officers, facilities and their units, capacity by floor area.

What `habeas agency|officer|facility ...` and `habeas intake capacity` do. None of it is personal data, so any
logged-in user reads it; writing it takes ``reference.write`` (facilities, units) or ``agency.write``
(agencies, officers). The CSV/XLSX facility import (`habeas import facilities`) has no HTTP upload.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse

from habeas.api.context import Caller, require
from habeas.api.fields import ID_PATTERN
from habeas.api.models import Written, written
from habeas.api.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, paginate
from habeas.api.schemas_reference import (
    AgencyIn,
    CapacityOut,
    FacilityIn,
    FacilityOut,
    OfficerIn,
    UnitIn,
    public_key_bytes,
)
from habeas.domain.commands import RegisterAgency, RegisterFacility, RegisterOfficer, RegisterUnit
from habeas.domain.errors import InvalidField, UnknownRecord
from habeas.domain.facilities import CapacityStandard, Separation
from habeas.services.facilities import (
    AgencyView,
    FacilitySummary,
    OfficerView,
    facility_view,
    list_agencies,
    list_facilities,
    list_officers,
)
from habeas.services.facilities import capacity as capacity_of
from habeas.services.permissions import Permission

router = APIRouter(tags=["reference"])

AgencyId = Annotated[str, Path(pattern=ID_PATTERN)]
FacilityId = Annotated[str, Path(pattern=ID_PATTERN)]
Reader = Annotated[Caller, Depends(require(Permission.READ))]
AgencyWriter = Annotated[Caller, Depends(require(Permission.AGENCY_WRITE))]
ReferenceWriter = Annotated[Caller, Depends(require(Permission.REFERENCE_WRITE))]


def _id(given: str | None, prefix: str) -> str:
    return given or f"{prefix}-{secrets.token_hex(8)}"


# -- agencies and officers -------------------------------------------------------------------------------------


@router.post("/agencies", status_code=201, response_model=Written)
def register_agency(body: AgencyIn, caller: AgencyWriter) -> JSONResponse:
    """Register an agency (``agency.write``)."""
    agency_id = _id(body.id, "a")
    cmd = RegisterAgency(agency_id=agency_id, occurred_at=body.occurred_at or caller.now(), name=body.name,
                         country=body.country.upper(), kind=body.kind)
    return caller.execute(cmd, respond=written(agency_id))


@router.get("/agencies", response_model=Page[AgencyView])
def agencies(caller: Reader, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> Page[AgencyView]:
    """Agencies, with how many officers each has registered."""
    return paginate(caller.read(list_agencies), key=lambda a: a.agency_id, limit=limit, cursor=cursor)


def _require_agency(caller: Caller, agency_id: str) -> None:
    if not any(a.agency_id == agency_id for a in caller.read(list_agencies)):
        raise UnknownRecord("agency", agency_id)


@router.post("/agencies/{agency_id}/officers", status_code=201, response_model=Written)
def register_officer(agency_id: AgencyId, body: OfficerIn, caller: AgencyWriter) -> JSONResponse:
    """Register an officer of the caller's own agency with the Ed25519 key they sign handoffs with (an officer's
    key signs custody away: only the agency that employs them may vouch for it; the door refuses any other,
    403 ``not-yours``)."""
    officer_id = _id(body.id, "o")
    cmd = RegisterOfficer(
        officer_id=officer_id, agency_id=agency_id, occurred_at=body.occurred_at or caller.now(), name=body.name,
        role=body.role, public_key=public_key_bytes(body.public_key), badge_number=body.badge_number,
    )
    return caller.execute(cmd, respond=written(officer_id))


@router.get("/agencies/{agency_id}/officers", response_model=Page[OfficerView])
def officers(
    agency_id: AgencyId, caller: Reader, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Page[OfficerView]:
    """An agency's officers and their public keys (base64); names and badges are private and not shown."""
    _require_agency(caller, agency_id)
    found = caller.read(lambda conn: list_officers(conn, agency_id=agency_id))
    return paginate(found, key=lambda o: o.officer_id, limit=limit, cursor=cursor)


# -- facilities and units --------------------------------------------------------------------------------------


@router.post("/facilities", status_code=201, response_model=Written)
def register_facility(body: FacilityIn, caller: ReferenceWriter) -> JSONResponse:
    """Register a facility; ``contact`` is what the public locator shows families and counsel."""
    facility_id = _id(body.id, "f")
    cmd = RegisterFacility(
        facility_id=facility_id, occurred_at=body.occurred_at or caller.now(), name=body.name,
        country=body.country.upper(), facility_type=body.facility_type, operating_agency_id=body.operating_agency_id,
        operator_name=body.operator_name, code=body.code, address=body.address, city=body.city, region=body.region,
        postal_code=body.postal_code, declared_capacity=body.declared_capacity, contact=body.contact,
        field_office=body.field_office, district=body.district,
    )
    return caller.execute(cmd, respond=written(facility_id))


@router.get("/facilities", response_model=Page[FacilitySummary])
def facilities(
    caller: Reader,
    country: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2,3}$", description="only this country")] = None,
    facility_type: Annotated[str | None, Query(max_length=100, description="only this type (e.g. IGSA)")] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[FacilitySummary]:
    """Registered facilities, by id."""
    found = caller.read(lambda conn: list_facilities(
        conn, country=None if country is None else country.upper(), facility_type=facility_type))
    return paginate(found, key=lambda f: f.facility_id, limit=limit, cursor=cursor)


@router.get("/facilities/{facility_id}", response_model=FacilityOut)
def facility(facility_id: FacilityId, caller: Reader) -> FacilityOut:
    """A facility, its units, and capacity by floor area (CPT, ICRC) beside the declared figures."""
    return FacilityOut.of(caller.read(lambda conn: facility_view(conn, facility_id)))


@router.post("/facilities/{facility_id}/units", status_code=201, response_model=Written)
def register_unit(facility_id: FacilityId, body: UnitIn, caller: ReferenceWriter) -> JSONResponse:
    """Register a unit or cell with its floor area and declared beds, and who it is for."""
    unit_id = _id(body.id, "u")
    cmd = RegisterUnit(
        unit_id=unit_id, facility_id=facility_id, occurred_at=body.occurred_at or caller.now(), label=body.label,
        floor_area_m2=body.floor_area_m2, declared_beds=body.declared_beds, parent_unit_id=body.parent_unit_id,
        separation=Separation(sex=body.sex, categories=tuple(body.categories), age_group=body.age_group,
                              organisation=body.organisation),
    )
    return caller.execute(cmd, respond=written(unit_id))


@router.get("/capacity", response_model=Page[CapacityOut])
def capacity(
    caller: Reader,
    standard: Annotated[
        CapacityStandard | None,
        Query(description="the deployment policy pack's standard, the only one in force (another is refused)"),
    ] = None,
    facility_id: Annotated[str | None, Query(pattern=ID_PATTERN, description="only this facility")] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[CapacityOut]:
    """Occupancy of each facility with units against its computed and declared capacity."""
    chosen = caller.services.policy.capacity_standard  # one policy in force: intake judges by it too
    if standard is not None and standard != chosen:
        raise InvalidField("standard", str(standard), f"capacity is judged by the deployment's standard, {chosen}")
    rows = caller.read(lambda conn: capacity_of(conn, chosen, facility_id))
    out = [
        CapacityOut(
            facility_id=f.facility_id, standard=f.standard, floor_area_m2=str(f.floor_area_m2),
            computed_capacity=f.computed_capacity, declared_capacity=f.declared_capacity, occupancy=f.occupancy,
            overrides=f.overrides, over_capacity=f.over,
        )
        for f in rows
    ]
    return paginate(out, key=lambda f: f.facility_id, limit=limit, cursor=cursor)

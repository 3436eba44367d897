"""Facilities, their units and cells, agencies and officers; capacity computed from floor area.

The declared capacity of a facility or unit is recorded as declared; :func:`computed_capacity` gives the
figure its floor area allows under a named standard, so both can be shown side by side.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar

from habeas.domain.command import Command
from habeas.domain.errors import AlreadyExists, InvalidField, UnknownRecord
from habeas.domain.events import CONTENT, PRIVATE, Event, EventType
from habeas.domain.people import Sex
from habeas.domain.values import require_country, require_id, require_not_future, require_slug, require_text

ED25519_PUBLIC_KEY_SIZE = 32
# Physical bounds. A unit is at least a cell (1 m²; the smallest cells anyone reports are a few m²) and at most a
# square kilometre; areas to the hundredth of a m². Floor area feeds the capacity gate, so an absurd figure
# (1e-30 m², 10^9 m²) would make that gate refuse or admit anyone. Beds and capacities count people: a million
# is above the largest prison on record by a factor of ten, and far below what BIGINT holds.
MIN_FLOOR_AREA_M2 = Decimal(1)
MAX_FLOOR_AREA_M2 = Decimal(1_000_000)
MAX_PEOPLE = 1_000_000
_AREA_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")


class CapacityStandard(StrEnum):
    """Floor area per person in a shared cell, sanitary annex excluded."""

    CPT = "cpt"  # Council of Europe CPT: 4 m² per person in shared cells
    ICRC = "icrc"  # ICRC: 3.4 m² per person


M2_PER_PERSON: Mapping[CapacityStandard, Decimal] = {
    CapacityStandard.CPT: Decimal("4.0"),
    CapacityStandard.ICRC: Decimal("3.4"),
}


def computed_capacity(floor_area_m2: Decimal, standard: CapacityStandard) -> int:
    """People the floor area allows under ``standard``, rounded down (Decimal: 100 / 3.4 = 29.41...)."""
    if floor_area_m2 < 0:
        raise InvalidField("floor_area_m2", floor_area_m2, "negative")
    return math.floor(floor_area_m2 / M2_PER_PERSON[CapacityStandard(standard)])


class DetentionCategory(StrEnum):
    """Mandela rule 11 and APT guidance: these are held apart."""

    MIGRATION = "migration"
    UNTRIED = "untried"
    CONVICTED = "convicted"
    CIVIL = "civil"


class AgeGroup(StrEnum):
    ADULT = "adult"
    JUVENILE = "juvenile"


@dataclass(frozen=True, kw_only=True)
class Separation:
    """Who a unit is for; ``None`` / empty means not restricted on that axis."""

    sex: Sex | None = None
    categories: tuple[DetentionCategory, ...] = ()
    age_group: AgeGroup | None = None
    organisation: str | None = None  # a unit reserved to one alleged organisation, so rivals are kept apart


@dataclass(frozen=True, kw_only=True)
class FacilityRegistered(Event):
    """``stream`` is the facility id. ``code`` is an external code (e.g. ICE DETLOC). ``field_office`` (ICE's
    "area of responsibility", e.g. ``HOU``) and ``district`` (the judicial district, e.g. ``TXSD``) are what a
    court's class order may name: public, like the rest of where people are held."""

    TYPE: ClassVar[EventType] = EventType.FACILITY_REGISTERED

    name: str
    country: str
    facility_type: str
    operating_agency_id: str | None = None
    operator_name: str | None = None
    code: str | None = None
    address: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    declared_capacity: int | None = None
    contact: str | None = None
    field_office: str | None = None
    district: str | None = None


@dataclass(frozen=True, kw_only=True)
class UnitRegistered(Event):
    """``stream`` is the facility id; a unit (block, cell) belongs to exactly one facility. Who the unit is for
    (``separation``) is private: beside a custody entry placing someone there, it would say what they are alleged
    or convicted to be. The facility's stream is never erased, so the private payload is always there."""

    TYPE: ClassVar[EventType] = EventType.UNIT_REGISTERED

    unit_id: str
    label: str
    floor_area_m2: Decimal
    declared_beds: int
    parent_unit_id: str | None = None
    separation: Separation | None = field(default=None, metadata=CONTENT)


@dataclass(frozen=True, kw_only=True)
class AgencyRegistered(Event):
    """``stream`` is the agency id."""

    TYPE: ClassVar[EventType] = EventType.AGENCY_REGISTERED

    name: str
    country: str
    kind: str


@dataclass(frozen=True, kw_only=True)
class OfficerRegistered(Event):
    """``stream`` is the officer id; the officer's name and badge are personal data, the key is not."""

    TYPE: ClassVar[EventType] = EventType.OFFICER_REGISTERED

    agency_id: str
    role: str
    public_key: bytes
    name: str | None = field(default=None, metadata=PRIVATE)
    badge_number: str | None = field(default=None, metadata=PRIVATE)


@dataclass(frozen=True, kw_only=True)
class UnitRef:
    unit_id: str
    facility_id: str


@dataclass(frozen=True, kw_only=True)
class OfficerRef:
    officer_id: str
    agency_id: str


# -- commands --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RegisterFacility(Command):
    facility_id: str
    occurred_at: datetime
    name: str
    country: str
    facility_type: str
    operating_agency_id: str | None = None
    operator_name: str | None = None
    code: str | None = None
    address: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    declared_capacity: int | None = None
    contact: str | None = None  # how families and counsel reach it (phone, e-mail): the locator shows it
    field_office: str | None = None  # ICE's area of responsibility, e.g. HOU; a class order may name it
    district: str | None = None  # the judicial district, e.g. TXSD; a class order may name it


@dataclass(frozen=True, kw_only=True)
class RegisterUnit(Command):
    unit_id: str
    facility_id: str
    occurred_at: datetime
    label: str
    floor_area_m2: Decimal
    declared_beds: int
    separation: Separation = field(default_factory=Separation)
    parent_unit_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class RegisterAgency(Command):
    agency_id: str
    occurred_at: datetime
    name: str
    country: str
    kind: str


@dataclass(frozen=True, kw_only=True)
class RegisterOfficer(Command):
    officer_id: str
    agency_id: str
    occurred_at: datetime
    name: str
    role: str
    public_key: bytes
    badge_number: str | None = None


def require_floor_area(area: Decimal) -> Decimal:
    """A unit's floor area in m²: finite, between :data:`MIN_FLOOR_AREA_M2` and :data:`MAX_FLOOR_AREA_M2`, to the
    hundredth at most."""
    if not isinstance(area, Decimal) or not area.is_finite():
        raise InvalidField("floor_area_m2", area, "not a number of square metres")
    if not MIN_FLOOR_AREA_M2 <= area <= MAX_FLOOR_AREA_M2:
        raise InvalidField(
            "floor_area_m2", area,
            f"not between {MIN_FLOOR_AREA_M2} and {MAX_FLOOR_AREA_M2:,} square metres (a unit is at least a cell)",
        )
    exponent = area.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2 and area != area.quantize(Decimal("0.01")):
        raise InvalidField("floor_area_m2", area, "more precise than a hundredth of a square metre")
    return area


def require_people_count(field: str, value: int) -> int:
    """A count of people (beds, capacity): a whole number from 0 to :data:`MAX_PEOPLE`."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_PEOPLE:
        raise InvalidField(field, value, f"not a whole number from 0 to {MAX_PEOPLE:,}")
    return value


def require_area_code(field: str, value: str) -> str:
    """A field office (ICE's area-of-responsibility code, e.g. ``HOU``) or a judicial district (e.g. ``TXSD``, as
    PACER names courts): 1-32 letters, digits or ``._-``, returned in upper case so that a facility's code and a
    class order's compare equal however each was typed."""
    if not isinstance(value, str) or not _AREA_CODE.fullmatch(value):
        raise InvalidField(field, value, "not a field office or district code (1-32 of A-Z 0-9 . _ -, e.g. HOU, TXSD)")
    return value.upper()


def _optional_text(field: str, value: str | None, max_len: int = 300) -> str | None:
    return None if value is None else require_text(field, value, max_len=max_len)


def register_facility(
    cmd: RegisterFacility, *, already_registered: bool, agency_exists: bool, now: datetime
) -> list[Event]:
    if already_registered:
        raise AlreadyExists("facility", cmd.facility_id)
    if cmd.operating_agency_id is not None and not agency_exists:
        raise UnknownRecord("agency", cmd.operating_agency_id)
    if cmd.declared_capacity is not None:
        require_people_count("declared_capacity", cmd.declared_capacity)
    return [
        FacilityRegistered(
            stream=require_id("facility_id", cmd.facility_id),
            occurred_at=require_not_future("occurred_at", cmd.occurred_at, now),
            name=require_text("name", cmd.name, max_len=300),
            country=require_country("country", cmd.country),
            facility_type=require_text("facility_type", cmd.facility_type, max_len=100),
            operating_agency_id=cmd.operating_agency_id,
            operator_name=_optional_text("operator_name", cmd.operator_name),
            code=_optional_text("code", cmd.code, 64),
            address=_optional_text("address", cmd.address),
            city=_optional_text("city", cmd.city),
            region=_optional_text("region", cmd.region),
            postal_code=_optional_text("postal_code", cmd.postal_code, 32),
            declared_capacity=cmd.declared_capacity,
            contact=_optional_text("contact", cmd.contact),
            field_office=None if cmd.field_office is None else require_area_code("field_office", cmd.field_office),
            district=None if cmd.district is None else require_area_code("district", cmd.district),
        )
    ]


def register_unit(
    cmd: RegisterUnit,
    *,
    facility_exists: bool,
    existing_unit: UnitRef | None,
    parent: UnitRef | None,
    now: datetime,
) -> list[Event]:
    if not facility_exists:
        raise UnknownRecord("facility", cmd.facility_id)
    if existing_unit is not None:
        raise AlreadyExists("unit", cmd.unit_id)
    if cmd.parent_unit_id is not None and (parent is None or parent.facility_id != cmd.facility_id):
        raise UnknownRecord("unit", cmd.parent_unit_id)
    require_floor_area(cmd.floor_area_m2)
    require_people_count("declared_beds", cmd.declared_beds)
    return [
        UnitRegistered(
            stream=cmd.facility_id,
            occurred_at=require_not_future("occurred_at", cmd.occurred_at, now),
            unit_id=require_id("unit_id", cmd.unit_id),
            label=require_text("label", cmd.label, max_len=100),
            floor_area_m2=cmd.floor_area_m2,
            declared_beds=cmd.declared_beds,
            separation=cmd.separation,
            parent_unit_id=cmd.parent_unit_id,
        )
    ]


def register_agency(cmd: RegisterAgency, *, already_registered: bool, now: datetime) -> list[Event]:
    if already_registered:
        raise AlreadyExists("agency", cmd.agency_id)
    return [
        AgencyRegistered(
            stream=require_id("agency_id", cmd.agency_id),
            occurred_at=require_not_future("occurred_at", cmd.occurred_at, now),
            name=require_text("name", cmd.name, max_len=300),
            country=require_country("country", cmd.country),
            kind=require_slug("kind", cmd.kind),
        )
    ]


def register_officer(
    cmd: RegisterOfficer, *, already_registered: bool, agency_exists: bool, now: datetime
) -> list[Event]:
    if already_registered:
        raise AlreadyExists("officer", cmd.officer_id)
    if not agency_exists:
        raise UnknownRecord("agency", cmd.agency_id)
    if len(cmd.public_key) != ED25519_PUBLIC_KEY_SIZE:
        raise InvalidField("public_key", cmd.public_key.hex(), "not a 32-byte Ed25519 public key")
    return [
        OfficerRegistered(
            stream=require_id("officer_id", cmd.officer_id),
            occurred_at=require_not_future("occurred_at", cmd.occurred_at, now),
            agency_id=cmd.agency_id,
            role=require_slug("role", cmd.role),
            public_key=cmd.public_key,
            name=require_text("name", cmd.name, max_len=200),
            badge_number=cmd.badge_number,
        )
    ]

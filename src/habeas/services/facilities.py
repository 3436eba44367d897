"""Facilities, their units, agencies and officers: registering them, and what the entry points show of them.

Capacity is computed from floor area, unit by unit (each rounded down), beside the capacity the operator
declares: :func:`capacity` is what intake places people by.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Connection, and_, func, select

from habeas.domain import facilities
from habeas.domain.command import Command
from habeas.domain.custody import CustodyStatus
from habeas.domain.errors import InvalidField, UnknownRecord
from habeas.domain.events import EventType, event_from
from habeas.domain.facilities import (
    CapacityStandard,
    FacilityRegistered,
    OfficerRef,
    UnitRef,
    UnitRegistered,
    computed_capacity,
)
from habeas.services.records import (
    AGENCY,
    FACILITY,
    OFFICER,
    UNIT,
    event_at,
    one_record,
    private_payloads,
    record_exists,
    records,
)
from habeas.services.unit_of_work import Handler, Result, UnitOfWork
from habeas.storage.projections.custody import custody
from habeas.storage.projections.intake import capacity_override
from habeas.storage.projections.schema import KIND, record


def unit_ref(conn: Connection, facility_id: str, unit_id: str) -> UnitRef | None:
    if record_exists(conn, EventType.UNIT_REGISTERED, f"{facility_id}/{unit_id}"):
        return UnitRef(unit_id=unit_id, facility_id=facility_id)
    return None


def officer_ref(conn: Connection, officer_id: str) -> OfficerRef | None:
    row = conn.execute(
        select(record.c.parent_id).where(
            and_(record.c.kind == KIND[EventType.OFFICER_REGISTERED], record.c.record_id == officer_id)
        )
    ).first()
    return None if row is None else OfficerRef(officer_id=officer_id, agency_id=row.parent_id)


# -- handlers ----------------------------------------------------------------------------------------------------


def register_agency(cmd: facilities.RegisterAgency, *, uow: UnitOfWork) -> Result:
    events = facilities.register_agency(
        cmd, already_registered=record_exists(uow.conn, EventType.AGENCY_REGISTERED, cmd.agency_id),
        now=uow.now,
    )
    return Result(uow.record(events))


def register_officer(cmd: facilities.RegisterOfficer, *, uow: UnitOfWork) -> Result:
    events = facilities.register_officer(
        cmd, already_registered=record_exists(uow.conn, EventType.OFFICER_REGISTERED, cmd.officer_id),
        agency_exists=record_exists(uow.conn, EventType.AGENCY_REGISTERED, cmd.agency_id), now=uow.now,
    )
    return Result(uow.record(events))


def register_facility(cmd: facilities.RegisterFacility, *, uow: UnitOfWork) -> Result:
    agency = cmd.operating_agency_id
    events = facilities.register_facility(
        cmd, already_registered=record_exists(uow.conn, EventType.FACILITY_REGISTERED, cmd.facility_id),
        agency_exists=agency is None or record_exists(uow.conn, EventType.AGENCY_REGISTERED, agency),
        now=uow.now,
    )
    return Result(uow.record(events))


def register_unit(cmd: facilities.RegisterUnit, *, uow: UnitOfWork) -> Result:
    parent = None if cmd.parent_unit_id is None else unit_ref(uow.conn, cmd.facility_id, cmd.parent_unit_id)
    events = facilities.register_unit(
        cmd, facility_exists=record_exists(uow.conn, EventType.FACILITY_REGISTERED, cmd.facility_id),
        existing_unit=unit_ref(uow.conn, cmd.facility_id, cmd.unit_id), parent=parent, now=uow.now,
    )
    return Result(uow.record(events))


# -- units ---------------------------------------------------------------------------------------------------


def units(conn: Connection, facility_id: str, unit_id: str | None = None) -> list[UnitRegistered]:
    """The facility's units (or the one named) in registration order, from their rows and private payloads (who
    a unit is for is private in the log), as amended."""
    query = select(record.c.seq, record.c.body).where(
        and_(record.c.kind == KIND[EventType.UNIT_REGISTERED], record.c.parent_id == facility_id)
    )
    if unit_id is not None:
        query = query.where(record.c.record_id == f"{facility_id}/{unit_id}")
    rows = list(conn.execute(query.order_by(record.c.seq)))
    payloads = private_payloads(conn, [int(r.seq) for r in rows])
    out = []
    for r in rows:
        event = event_from(EventType.UNIT_REGISTERED.value, facility_id, json.loads(r.body), payloads.get(int(r.seq)))
        assert isinstance(event, UnitRegistered)
        out.append(event)
    return out


def housing_units(conn: Connection, facility_id: str) -> list[UnitRegistered]:
    """Units people are housed in: those that are no other unit's parent (cells, not the blocks they form)."""
    all_units = units(conn, facility_id)
    parents = {u.parent_unit_id for u in all_units if u.parent_unit_id is not None}
    return [u for u in all_units if u.unit_id not in parents]


# -- queries ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class UnitView:
    unit_id: str
    seq: int
    label: str
    floor_area_m2: Decimal
    declared_beds: int
    capacity_cpt: int
    capacity_icrc: int
    parent_unit_id: str | None
    separation: dict[str, Any]
    held_now: int


@dataclass(frozen=True, kw_only=True)
class FacilityView:
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
    declared_capacity: int | None
    contact: str | None
    field_office: str | None
    district: str | None
    retracted: bool
    units: tuple[UnitView, ...]
    held_now: int

    @property
    def floor_area_m2(self) -> Decimal:
        return sum((u.floor_area_m2 for u in self.units), Decimal(0))

    @property
    def declared_beds(self) -> int:
        return sum(u.declared_beds for u in self.units)

    @property
    def capacity_cpt(self) -> int:
        """Per unit, rounded down, then added: people are not split across cells."""
        return sum(u.capacity_cpt for u in self.units)

    @property
    def capacity_icrc(self) -> int:
        return sum(u.capacity_icrc for u in self.units)


def _held(conn: Connection, facility_id: str) -> dict[str | None, int]:
    rows = conn.execute(
        select(custody.c.unit_id, func.count())
        .where(and_(custody.c.facility_id == facility_id, custody.c.status == CustodyStatus.IN_CUSTODY.value))
        .group_by(custody.c.unit_id)
    )
    return {r[0]: int(r[1]) for r in rows}


def _decimal(text: Any) -> Decimal:
    try:
        return Decimal(str(text))
    except InvalidOperation:
        return Decimal(0)


def facility_view(conn: Connection, facility_id: str) -> FacilityView:
    facility = one_record(conn, FACILITY, facility_id)
    if facility is None:
        raise UnknownRecord("facility", facility_id)
    held = _held(conn, facility_id)
    units = []
    for u in records(conn, record.c.kind == UNIT, record.c.parent_id == facility_id):
        area = _decimal(u.body.get("floor_area_m2"))
        units.append(
            UnitView(
                unit_id=u.body["unit_id"], seq=u.seq, label=u.body.get("label", ""), floor_area_m2=area,
                declared_beds=int(u.body.get("declared_beds", 0)),
                capacity_cpt=computed_capacity(area, CapacityStandard.CPT),
                capacity_icrc=computed_capacity(area, CapacityStandard.ICRC),
                parent_unit_id=u.body.get("parent_unit_id"), separation=u.body.get("separation") or {},
                held_now=held.get(u.body["unit_id"], 0),
            )
        )
    b = facility.body
    return FacilityView(
        facility_id=facility_id, seq=facility.seq, name=b["name"], country=b["country"],
        facility_type=b["facility_type"], code=b.get("code"), operating_agency_id=b.get("operating_agency_id"),
        operator_name=b.get("operator_name"), address=b.get("address"), city=b.get("city"),
        region=b.get("region"), postal_code=b.get("postal_code"), declared_capacity=b.get("declared_capacity"),
        contact=b.get("contact"), field_office=b.get("field_office"), district=b.get("district"),
        retracted=facility.retracted, units=tuple(units), held_now=sum(held.values()),
    )


@dataclass(frozen=True, kw_only=True)
class FacilitySummary:
    facility_id: str
    seq: int
    name: str
    country: str
    facility_type: str
    code: str | None
    region: str | None
    declared_capacity: int | None


def list_facilities(
    conn: Connection, *, country: str | None = None, facility_type: str | None = None
) -> list[FacilitySummary]:
    out = []
    for r in records(conn, record.c.kind == FACILITY):
        b = r.body
        if (country is not None and b["country"] != country) or (
            facility_type is not None and b["facility_type"].casefold() != facility_type.casefold()
        ):
            continue
        out.append(
            FacilitySummary(
                facility_id=r.record_id, seq=r.seq, name=b["name"], country=b["country"],
                facility_type=b["facility_type"], code=b.get("code"), region=b.get("region"),
                declared_capacity=b.get("declared_capacity"),
            )
        )
    return out


@dataclass(frozen=True, kw_only=True)
class AgencyView:
    agency_id: str
    seq: int
    name: str
    country: str
    kind: str
    officers: int


def list_agencies(conn: Connection) -> list[AgencyView]:
    counts: dict[str, int] = {}
    for r in records(conn, record.c.kind == OFFICER):
        counts[r.parent_id or ""] = counts.get(r.parent_id or "", 0) + 1
    return [
        AgencyView(
            agency_id=r.record_id, seq=r.seq, name=r.body["name"], country=r.body["country"], kind=r.body["kind"],
            officers=counts.get(r.record_id, 0),
        )
        for r in records(conn, record.c.kind == AGENCY)
    ]


@dataclass(frozen=True, kw_only=True)
class OfficerView:
    officer_id: str
    agency_id: str
    seq: int
    role: str
    public_key: str  # base64, as recorded


def list_officers(conn: Connection, *, agency_id: str | None = None) -> list[OfficerView]:
    where: Iterable[Any] = (record.c.kind == OFFICER,) + (
        () if agency_id is None else (record.c.parent_id == agency_id,)
    )
    return [
        OfficerView(
            officer_id=r.record_id, agency_id=r.parent_id or "", seq=r.seq, role=r.body["role"],
            public_key=r.body["public_key"],
        )
        for r in records(conn, *where)
    ]


@dataclass(frozen=True, kw_only=True)
class FacilityCapacity:
    """Occupancy against the capacity computed from floor area, beside the capacity the operator declares."""

    facility_id: str
    standard: CapacityStandard
    floor_area_m2: Decimal
    computed_capacity: int
    declared_capacity: int | None
    occupancy: int
    overrides: int

    @property
    def over(self) -> bool:
        return self.occupancy > self.computed_capacity


def capacity(conn: Connection, standard: CapacityStandard, facility_id: str | None = None) -> list[FacilityCapacity]:
    """Per facility with housing units. Capacity is summed unit by unit (each rounded down), as intake uses it."""
    query = select(record.c.record_id, record.c.seq).where(record.c.kind == KIND[FacilityRegistered.TYPE])
    if facility_id is not None:
        query = query.where(record.c.record_id == facility_id)
    out = []
    for row in conn.execute(query.order_by(record.c.record_id)).all():
        units = housing_units(conn, row.record_id)
        if not units:
            continue
        event = event_at(conn, int(row.seq))
        declared = event.declared_capacity if isinstance(event, FacilityRegistered) else None
        occupancy = conn.execute(
            select(func.count()).where(
                and_(custody.c.facility_id == row.record_id, custody.c.status == CustodyStatus.IN_CUSTODY.value)
            )
        ).scalar()
        overrides = conn.execute(
            select(func.count()).where(capacity_override.c.facility_id == row.record_id)
        ).scalar()
        out.append(
            FacilityCapacity(
                facility_id=row.record_id,
                standard=standard,
                floor_area_m2=sum((u.floor_area_m2 for u in units), Decimal(0)),
                computed_capacity=sum(computed_capacity(u.floor_area_m2, standard) for u in units),
                declared_capacity=declared,
                occupancy=int(occupancy or 0),
                overrides=int(overrides or 0),
            )
        )
    return out


HANDLERS: dict[type[Command], Handler] = {
    facilities.RegisterFacility: register_facility,
    facilities.RegisterUnit: register_unit,
    facilities.RegisterAgency: register_agency,
    facilities.RegisterOfficer: register_officer,
}


def parse_officer_key(text: str) -> bytes:
    """An officer's Ed25519 public key: 32 bytes in base64 (what `habeas officer add --public-key` takes), or a
    C2SP verifier key ``name+keyid+base64`` (what `habeas init` writes beside a key); InvalidField otherwise."""
    from habeas.ledger.note import SIG_ED25519, NoteError, parse_vkey  # its cryptography: not for a read's start

    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) == 32:
        return raw
    try:
        verifier = parse_vkey(text)
    except NoteError:
        raise InvalidField(
            "public_key", text, "not a 32-byte Ed25519 public key in base64, nor a verifier key name+keyid+key"
        ) from None
    if verifier.sig_type != SIG_ED25519:
        raise InvalidField("public_key", text, "a verifier key, but not of an Ed25519 signing key (type 0x01)")
    return verifier.public_key

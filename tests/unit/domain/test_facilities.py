"""Facilities, units, capacity from floor area, agencies and officers."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from habeas.domain import commands as c
from habeas.domain.errors import AlreadyExists, InvalidField, UnknownRecord
from habeas.domain.facilities import (
    M2_PER_PERSON,
    CapacityStandard,
    OfficerRegistered,
    UnitRef,
    UnitRegistered,
    computed_capacity,
    register_agency,
    register_facility,
    register_officer,
    register_unit,
)
from tests.unit.domain.samples import KEY, NOW, T0


def test_cecot_cell_capacity() -> None:
    cell = Decimal("100")
    assert computed_capacity(cell, CapacityStandard.CPT) == 25
    assert computed_capacity(cell, CapacityStandard.ICRC) == 29
    # 8 buildings x 32 cells of about 100 m2: 6,400 at CPT, about 7,530 at ICRC, against 40,000 declared
    assert computed_capacity(cell * 256, CapacityStandard.CPT) == 6400
    assert computed_capacity(cell * 256, CapacityStandard.ICRC) == 7529


@given(st.decimals(min_value=0, max_value=100_000, places=2), st.sampled_from(list(CapacityStandard)))
def test_capacity_is_the_floor(area: Decimal, standard: CapacityStandard) -> None:
    n = computed_capacity(area, standard)
    per = M2_PER_PERSON[standard]
    assert n * per <= area < (n + 1) * per


def test_negative_area_refused() -> None:
    with pytest.raises(InvalidField):
        computed_capacity(Decimal(-1), CapacityStandard.CPT)


FACILITY = c.RegisterFacility(
    facility_id="cecot",
    occurred_at=T0,
    name="Centro de Confinamiento del Terrorismo",
    country="SV",
    facility_type="prison",
    operating_agency_id="dgcp",
    declared_capacity=40000,
)


def test_register_facility_and_refusals() -> None:
    [event] = register_facility(FACILITY, already_registered=False, agency_exists=True, now=NOW)
    assert event.stream == "cecot"
    assert event.public()["declared_capacity"] == 40000
    with pytest.raises(AlreadyExists):
        register_facility(FACILITY, already_registered=True, agency_exists=True, now=NOW)
    with pytest.raises(UnknownRecord, match="agency"):
        register_facility(FACILITY, already_registered=False, agency_exists=False, now=NOW)
    with pytest.raises(InvalidField, match="country"):
        register_facility(
            c.RegisterFacility(**{**FACILITY.__dict__, "country": "El Salvador"}),
            already_registered=False,
            agency_exists=True,
            now=NOW,
        )


def test_register_unit() -> None:
    unit = c.RegisterUnit(
        unit_id="m1-c1",
        facility_id="cecot",
        occurred_at=T0,
        label="Module 1, cell 1",
        floor_area_m2=Decimal("100"),
        declared_beds=80,
    )
    [event] = register_unit(unit, facility_exists=True, existing_unit=None, parent=None, now=NOW)
    assert isinstance(event, UnitRegistered)
    assert event.public()["floor_area_m2"] == "100"
    with pytest.raises(UnknownRecord, match="facility"):
        register_unit(unit, facility_exists=False, existing_unit=None, parent=None, now=NOW)
    with pytest.raises(AlreadyExists):
        register_unit(
            unit,
            facility_exists=True,
            existing_unit=UnitRef(unit_id="m1-c1", facility_id="cecot"),
            parent=None,
            now=NOW,
        )
    in_other = c.RegisterUnit(**{**unit.__dict__, "parent_unit_id": "m1"})
    with pytest.raises(UnknownRecord, match="m1"):
        register_unit(
            in_other,
            facility_exists=True,
            existing_unit=None,
            parent=UnitRef(unit_id="m1", facility_id="elsewhere"),
            now=NOW,
        )
    for area in (Decimal(0), Decimal("NaN"), Decimal("-3")):
        with pytest.raises(InvalidField, match="floor_area"):
            register_unit(
                c.RegisterUnit(**{**unit.__dict__, "floor_area_m2": area}),
                facility_exists=True,
                existing_unit=None,
                parent=None,
                now=NOW,
            )


def test_agency_and_officer_with_ed25519_key() -> None:
    assert register_agency(
        c.RegisterAgency(agency_id="ice", occurred_at=T0, name="ICE", country="US", kind="immigration"),
        already_registered=False,
        now=NOW,
    )
    officer = c.RegisterOfficer(
        officer_id="o-1", agency_id="ice", occurred_at=T0, name="John Doe", role="escort", public_key=KEY
    )
    [event] = register_officer(officer, already_registered=False, agency_exists=True, now=NOW)
    assert isinstance(event, OfficerRegistered)
    assert "name" not in event.public()
    assert event.public()["public_key"] == "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
    with pytest.raises(InvalidField, match="public_key"):
        register_officer(
            c.RegisterOfficer(**{**officer.__dict__, "public_key": KEY[:31]}),
            already_registered=False,
            agency_exists=True,
            now=NOW,
        )
    with pytest.raises(UnknownRecord, match="agency"):
        register_officer(officer, already_registered=False, agency_exists=False, now=NOW)

"""Intake: the rule 7 admission, a unit within computed capacity and the separation rules, overrides reported."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from habeas.domain import commands as c
from habeas.domain.custody import Authority, Custodian, CustodyChanged, CustodyState, CustodyStatus, CustodyTransition
from habeas.domain.errors import InvalidField, UnknownRecord
from habeas.domain.facilities import AgeGroup, CapacityStandard, DetentionCategory, OfficerRef, Separation
from habeas.domain.intake import (
    AdmitAtIntake,
    CapacityExceeded,
    CapacityOverride,
    IntakeCapacityOverride,
    IntakeUnknownOverride,
    MissingFact,
    NoUnitAvailable,
    Occupant,
    SeparationRule,
    SeparationUnknown,
    SeparationViolation,
    UnitOccupancy,
    Unrecorded,
    admit_at_intake,
    age_group_at,
    check_placement,
    choose_unit,
    missing_facts,
)
from habeas.domain.people import AdmissionRecorded, PartialDate, PersonState, PropertyItem, Sex
from tests.unit.domain.samples import NOW, T0

D = DetentionCategory
CPT = CapacityStandard.CPT
ICRC = CapacityStandard.ICRC
INTAKE_OFFICER = Custodian(agency_id="dgcp", officer_id="o-intake")
SV_AUTHORITY = Authority(agency_id="dgcp", legal_basis="bilateral_2025")


def person(pid: str = "p-new", **kw: Any) -> Occupant:
    base = Occupant(person_id=pid, sex=Sex.MALE, category=D.MIGRATION, age_group=AgeGroup.ADULT,
                    organisations=("Tren de Aragua",))
    return dataclasses.replace(base, **kw) if kw else base


def unit(n: int = 0, area: str = "100", separation: Separation | None = None, **occupant_kw: Any) -> UnitOccupancy:
    return UnitOccupancy(
        facility_id="cecot",
        unit_id="cell-1",
        floor_area_m2=Decimal(area),
        separation=separation or Separation(),
        occupants=tuple(person(f"o-{i}", **occupant_kw) for i in range(n)),
    )


# -- capacity ---------------------------------------------------------------------------------------------------


def test_capacity_is_computed_from_area_not_declared_beds() -> None:
    cell = unit()  # 100 m², 80 bunks declared at CECOT
    assert cell.capacity(CPT) == 25
    assert cell.capacity(ICRC) == 29


def test_the_last_place_is_allowed_and_the_next_is_refused_naming_the_numbers() -> None:
    assert check_placement(person(), unit(24), standard=CPT) is False
    with pytest.raises(CapacityExceeded) as e:
        check_placement(person(), unit(25), standard=CPT)
    assert (e.value.unit, e.value.occupancy, e.value.capacity) == ("cell-1", 25, 25)
    assert check_placement(person(), unit(25), standard=ICRC) is False  # the pack's standard decides


def test_an_override_with_a_reason_allows_going_over_and_says_so() -> None:
    override = CapacityOverride(reason="Arrivals exceed every unit's computed capacity", authorised_by="o-director")
    assert check_placement(person(), unit(80), standard=CPT, override=override) is True


def test_override_never_lifts_separation() -> None:
    override = CapacityOverride(reason="emergency", authorised_by="o-director")
    with pytest.raises(SeparationViolation):
        check_placement(person(), unit(3, category=D.CONVICTED), standard=CPT, override=override)


# -- separation -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("newcomer", "occupants", "rule"),
    [
        ({"sex": Sex.FEMALE}, {}, SeparationRule.SEX),
        ({}, {"category": D.CONVICTED}, SeparationRule.CATEGORY),  # migration apart from convicted
        ({"category": D.CONVICTED}, {}, SeparationRule.CATEGORY),
        ({"category": D.UNTRIED}, {"category": D.CONVICTED, "organisations": ()}, SeparationRule.CATEGORY),
        ({"age_group": AgeGroup.JUVENILE}, {}, SeparationRule.AGE_GROUP),
        ({"organisations": ("MS-13",)}, {}, SeparationRule.RIVAL_ORGANISATION),
        ({"organisations": ("ms-13", "Tren de Aragua")}, {}, SeparationRule.RIVAL_ORGANISATION),
    ],
)
def test_separation_from_occupants(newcomer: dict[str, Any], occupants: dict[str, Any], rule: str) -> None:
    with pytest.raises(SeparationViolation) as e:
        check_placement(person(**newcomer), unit(2, **occupants), standard=CPT)
    assert (e.value.unit, e.value.rule, e.value.person) == ("cell-1", rule, "p-new")


@pytest.mark.parametrize(
    ("newcomer", "occupants"),
    [
        ({}, {}),  # same organisation, same category
        ({"organisations": ()}, {}),  # no allegation: no rivalry
        ({"organisations": ("  tren DE aragua ",)}, {}),  # the same name, spelt differently
        ({"category": D.CIVIL}, {}),  # civil and migration detention may share
        ({"sex": Sex.UNKNOWN}, {}),
    ],
)
def test_compatible_placements(newcomer: dict[str, Any], occupants: dict[str, Any]) -> None:
    assert check_placement(person(**newcomer), unit(2, **occupants), standard=CPT) is False


def test_rivalries_can_be_named_instead_of_every_difference() -> None:
    rivals = [frozenset({"MS-13", "Barrio 18"})]
    assert not check_placement(person(organisations=("MS-13",)), unit(2), standard=CPT, rivalries=rivals)
    with pytest.raises(SeparationViolation, match="rival_organisation"):
        check_placement(
            person(organisations=("barrio 18",)), unit(2, organisations=("MS-13",)), standard=CPT, rivalries=rivals
        )


@pytest.mark.parametrize(
    ("separation", "rule"),
    [
        (Separation(sex=Sex.FEMALE), SeparationRule.UNIT_SEX),
        (Separation(categories=(D.CONVICTED,)), SeparationRule.UNIT_CATEGORY),
        (Separation(age_group=AgeGroup.JUVENILE), SeparationRule.UNIT_AGE_GROUP),
        (Separation(organisation="MS-13"), SeparationRule.UNIT_ORGANISATION),
    ],
)
def test_what_the_unit_is_reserved_for(separation: Separation, rule: str) -> None:
    with pytest.raises(SeparationViolation) as e:
        check_placement(person(), unit(0, separation=separation), standard=CPT)
    assert e.value.rule == rule
    fitting = Separation(sex=Sex.MALE, categories=(D.MIGRATION, D.CIVIL), organisation="tren de aragua")
    assert check_placement(person(), unit(0, separation=fitting), standard=CPT) is False


def test_choose_unit_takes_the_first_that_fits_or_names_every_refusal() -> None:
    full = dataclasses.replace(unit(25), unit_id="cell-full")
    convicted = dataclasses.replace(unit(1, category=D.CONVICTED), unit_id="cell-convicted")
    free = dataclasses.replace(unit(3), unit_id="cell-free")
    assert choose_unit(person(), [full, convicted, free], standard=CPT).unit_id == "cell-free"
    with pytest.raises(NoUnitAvailable) as e:
        choose_unit(person(), [full, convicted], standard=CPT)
    assert [type(r) for r in e.value.reasons] == [CapacityExceeded, SeparationViolation]


# -- facts from the record: age on the day of intake, and what the record does not settle ----------------------


@pytest.mark.parametrize(
    ("born", "expected"),
    [
        ("2007-03-15", AgeGroup.ADULT),  # 18 on the day
        ("2007-03-16", AgeGroup.JUVENILE),  # 18 tomorrow
        ("2007-02", AgeGroup.ADULT),  # 18 whichever day of February
        ("2007-03", None),  # 17 or 18: the record does not say
        ("2006", AgeGroup.ADULT),
        ("2007", None),
        ("2008", AgeGroup.JUVENILE),
        ("2004-02-29", AgeGroup.ADULT),
        (None, None),
    ],
)
def test_the_age_group_is_the_recorded_birth_dates_on_the_day_of_intake(born: str | None, expected: object) -> None:
    at = datetime(2025, 3, 15, 23, 30, tzinfo=timezone(timedelta(hours=-6)))  # 16 March in UTC: the local day counts
    assert age_group_at(None if born is None else PartialDate.parse(born), at) is expected


def test_an_unknown_matters_where_the_unit_or_a_known_minor_makes_it() -> None:
    boys = Separation(age_group=AgeGroup.JUVENILE)
    no_age, no_sex = person(age_group=None), person(sex=Sex.UNKNOWN)
    assert missing_facts(no_age, unit(0, separation=boys)) == (
        MissingFact(person_id="p-new", fact=Unrecorded.BIRTH_DATE),
    )
    assert missing_facts(no_sex, unit(0, separation=Separation(sex=Sex.MALE))) == (
        MissingFact(person_id="p-new", fact=Unrecorded.SEX),
    )
    assert missing_facts(no_age, unit(2)) == ()  # no age group declared, no known minor: nothing turns on it
    assert missing_facts(no_sex, unit(2)) == ()
    assert missing_facts(no_age, unit(1, age_group=AgeGroup.JUVENILE)) == (
        MissingFact(person_id="p-new", fact=Unrecorded.BIRTH_DATE),
    )
    assert missing_facts(person(age_group=AgeGroup.JUVENILE), unit(1, age_group=None)) == (
        MissingFact(person_id="o-0", fact=Unrecorded.BIRTH_DATE),
    )
    with pytest.raises(SeparationUnknown) as e:
        check_placement(no_age, unit(0, separation=boys), standard=CPT)
    assert (e.value.unit, e.value.person, e.value.missing) == ("cell-1", "p-new", ("birth_date of p-new",))
    override = CapacityOverride(reason="no papers; the officer judges him a child", authorised_by="o-director")
    assert check_placement(no_age, unit(0, separation=boys), standard=CPT, override=override) is False
    # what is known still decides: a known adult is never placed with boys, override or not
    with pytest.raises(SeparationViolation, match="unit_age_group"):
        check_placement(person(), unit(0, separation=boys), standard=CPT, override=override)


# -- the intake decision ----------------------------------------------------------------------------------------


def intake(
    state: CustodyState, cell: UnitOccupancy, override: CapacityOverride | None = None, who: Occupant | None = None
) -> list[object]:
    cmd = AdmitAtIntake(
        admission=c.RecordAdmission(
            person_id="p-new",
            admission_id="adm-1",
            facility_id="cecot",
            occurred_at=T0 + timedelta(hours=5),
            commitment_authority="Transfer under the bilateral agreement of 2025",
            commitment_record_id="ag-1",
            visible_injuries="Bruise on the left wrist",
            property_items=(PropertyItem(description="Rosary", receipt_number="G589-1"),),
        ),
        unit_id="cell-1",
        custodian=INTAKE_OFFICER,
        authority=SV_AUTHORITY,
        receipt_id="r-1",
        override=override,
    )
    return list(
        admit_at_intake(
            cmd,
            person=PersonState(person_id="p-new"),
            occupant=who or person(),
            unit=cell,
            state=state,
            officer=OfficerRef(officer_id="o-intake", agency_id="dgcp"),
            standard=CPT,
            now=NOW,
        )
    )


HANDED_OVER = CustodyState(
    person_id="p-new",
    status=CustodyStatus.HANDED_OVER,
    since=T0,
    country="SV",
    custodian=Custodian(agency_id="pnc", officer_id="o-sv"),
    authority=SV_AUTHORITY,
)
IN_TRANSIT = CustodyState(
    person_id="p-new",
    status=CustodyStatus.IN_TRANSIT,
    since=T0,
    leg_id="leg-bus",
    custodian=Custodian(agency_id="pnc", officer_id="o-sv"),
    authority=SV_AUTHORITY,
)


def test_intake_records_rule_7_admission_then_custody_in_the_unit() -> None:
    admission, change = intake(HANDED_OVER, unit(3))
    assert isinstance(admission, AdmissionRecorded)
    assert admission.visible_injuries == "Bruise on the left wrist"
    assert "Bruise" not in str(admission.public())
    assert isinstance(change, CustodyChanged)
    assert change.transition is CustodyTransition.ADMIT
    assert (change.facility_id, change.unit_id, change.custodian) == ("cecot", "cell-1", INTAKE_OFFICER)


def test_intake_from_a_transport_leg_is_an_arrival_with_the_receipt() -> None:
    _, change = intake(IN_TRANSIT, unit(3))
    assert isinstance(change, CustodyChanged)
    assert (change.transition, change.receipt_id) == (CustodyTransition.ARRIVE, "r-1")


def test_intake_over_capacity_is_refused_without_override_and_reported_with_one() -> None:
    with pytest.raises(CapacityExceeded):
        intake(HANDED_OVER, unit(25))
    override = CapacityOverride(reason="Arrivals exceed every unit's computed capacity", authorised_by="o-director")
    admission, report, change = intake(HANDED_OVER, unit(79), override)
    assert isinstance(report, IntakeCapacityOverride)
    assert report.public() == {
        "occurred_at": "2025-03-15T23:30:00Z",
        "admission_id": "adm-1",
        "unit_id": "cell-1",
        "person_id": "p-new",
        "occupancy": 80,
        "capacity": 25,
        "standard": "cpt",
        "authorised_by": "o-director",
    }
    # the reason is free text beside a person's id: private (docs/public-log.md)
    assert report.private() == {"reason": "Arrivals exceed every unit's computed capacity"}
    assert report.stream == "cecot"
    assert isinstance(admission, AdmissionRecorded)
    assert isinstance(change, CustodyChanged)


def test_an_override_not_needed_is_not_reported() -> None:
    override = CapacityOverride(reason="just in case", authorised_by="o-director")
    assert [type(e) for e in intake(HANDED_OVER, unit(3), override)] == [AdmissionRecorded, CustodyChanged]


def test_intake_refusals() -> None:
    with pytest.raises(UnknownRecord):
        intake(HANDED_OVER, dataclasses.replace(unit(), unit_id="cell-9"))
    with pytest.raises(SeparationViolation):
        intake(HANDED_OVER, unit(2, category=D.CONVICTED))
    with pytest.raises(InvalidField, match=r"override\.reason"):
        intake(HANDED_OVER, unit(25), CapacityOverride(reason="   ", authorised_by="o-director"))


def test_an_override_used_for_a_fact_not_recorded_is_reported_apart_from_capacity() -> None:
    cell = unit(25, separation=Separation(age_group=AgeGroup.ADULT))
    override = CapacityOverride(reason="No document; arrival surge", authorised_by="o-director")
    admission, unknown, over, change = intake(HANDED_OVER, cell, override, who=person(age_group=None))
    assert isinstance(unknown, IntakeUnknownOverride)
    assert unknown.public() == {
        "occurred_at": "2025-03-15T23:30:00Z",
        "admission_id": "adm-1",
        "facility_id": "cecot",
        "unit_id": "cell-1",
        "missing": [{"person_id": "p-new", "fact": "birth_date"}],
        "authorised_by": "o-director",
    }
    assert unknown.private() == {"reason": "No document; arrival surge"}
    assert unknown.stream == "p-new"
    assert isinstance(over, IntakeCapacityOverride)
    assert isinstance(admission, AdmissionRecorded)
    assert isinstance(change, CustodyChanged)


def test_no_unit_available_says_why_for_each_unit_and_counts_in_words() -> None:
    full = dataclasses.replace(unit(25), unit_id="cell-full")
    with pytest.raises(NoUnitAvailable) as one:
        choose_unit(person(), [full], standard=CPT)
    assert str(one.value).startswith("no unit can take person 'p-new': 1 unit refused: unit 'cell-full' holds 25")
    many = [dataclasses.replace(unit(25), unit_id=f"cell-{i}") for i in range(8)]
    with pytest.raises(NoUnitAvailable) as eight:
        choose_unit(person(), many, standard=CPT)
    assert "8 units refused" in str(eight.value)
    assert str(eight.value).endswith("; and 3 more")
    assert len(eight.value.reasons) == 8

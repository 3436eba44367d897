"""Intake over HTTP houses by what the record says and by the deployment's pack, on SQLite and PostgreSQL.

This module's deployment is ``strict-international`` (CPT, 4 m² a person), not the default pack: the intake route
and ``GET /capacity`` both judge capacity by it, and no request can name an age group or a capacity standard.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest

from habeas.domain import commands as c
from habeas.domain.actors import Role
from habeas.domain.facilities import AgeGroup, Separation
from habeas.domain.people import PartialDate, Sex
from habeas.services.door import Services
from tests.e2e.api.conftest import AGENCY_A, T0, ApiWorld
from tests.e2e.api.test_operation_api import admit, arrange_officers, problem

ADULT_MEN = Separation(sex=Sex.MALE, age_group=AgeGroup.ADULT)
BOYS = Separation(sex=Sex.MALE, age_group=AgeGroup.JUVENILE)
OVERRIDE = {"reason": "the only unit with a free bed tonight", "authorised_by": "o-a"}


@pytest.fixture
def make_services(make_services: Callable[..., Services]) -> Callable[..., Services]:
    """The deployment's pack for every world of this module."""
    return functools.partial(make_services, pack="strict-international")


def arrange(world: ApiWorld, people: dict[str, str | None]) -> None:
    """Agency A's officer and facility f-i: ``adults`` (40 m², adult men), ``boys`` (20 m²), ``cell`` (7 m²,
    adult men: one person under CPT); ``people`` by id with their recorded birth dates (None: none recorded)."""
    arrange_officers(world)
    run, actor = world.services.execute, world.actor(AGENCY_A)
    run(c.RegisterFacility(facility_id="f-i", occurred_at=T0, name="Intake", country="US", facility_type="prison"),
        actor)
    for unit_id, area, separation in (("adults", "40", ADULT_MEN), ("boys", "20", BOYS), ("cell", "7", ADULT_MEN)):
        run(c.RegisterUnit(unit_id=unit_id, facility_id="f-i", occurred_at=T0, label=unit_id,
                           floor_area_m2=Decimal(area), declared_beds=20, separation=separation), actor)
    for person_id, born in people.items():
        run(c.RegisterPerson(person_id=person_id, occurred_at=T0 - timedelta(days=1), sex=Sex.MALE,
                             nationalities=("VE",), date_of_birth=None if born is None else PartialDate.parse(born)),
            actor)


def test_the_age_group_is_the_recorded_birth_dates_and_no_request_states_it(api_world: ApiWorld) -> None:
    arrange(api_world, {"adult": "1990-05-17", "minor": "2007-06-01"})  # 17 on the day of intake (T0 + 30 min)
    intake = api_world.client(Role.INTAKE, AGENCY_A)
    assert intake.post("/facilities/f-i/intake", json=admit("adult", unit_id="adults")).status_code == 201

    size = api_world.services.ledger.size()
    refused = problem(intake.post("/facilities/f-i/intake", json=admit("minor", unit_id="adults")), 409,
                      "separation-violation")
    assert (refused["rule"], refused["person"], refused["unit"]) == ("unit_age_group", "minor", "adults")
    for field, value in (("age_group", "adult"), ("standard", "icrc")):  # the record and the deployment decide
        stated = problem(intake.post("/facilities/f-i/intake", json=admit("minor", **{field: value})), 422,
                         "invalid-input")
        assert [e.get("pointer") for e in stated["errors"]] == [f"#/{field}"]
    assert api_world.services.ledger.size() == size

    housed = intake.post("/facilities/f-i/intake", json=admit("minor"))
    assert housed.status_code == 201, housed.text
    assert (housed.json()["unit_id"], housed.json()["unknown_override"]) == ("boys", None)


def test_an_unknown_birth_date_blocks_naming_what_to_record_unless_overridden_for_a_unit(
    api_world: ApiWorld,
) -> None:
    arrange(api_world, {"nodob": None})
    intake = api_world.client(Role.INTAKE, AGENCY_A)
    size = api_world.services.ledger.size()

    unknown = problem(intake.post("/facilities/f-i/intake", json=admit("nodob", unit_id="adults")), 409,
                      "separation-unknown")
    assert (unknown["unit"], unknown["person"], unknown["missing"]) == ("adults", "nodob", ["birth_date of nodob"])
    assert "record" in unknown["detail"]
    assert "birth date" in unknown["detail"]
    nowhere = problem(intake.post("/facilities/f-i/intake", json=admit("nodob", override=OVERRIDE)), 409,
                      "no-unit-available")
    assert len(nowhere["reasons"]) == 3
    assert all("birth date" in r for r in nowhere["reasons"])
    assert "unit_id" in nowhere["detail"]  # an override applies to the unit it names
    assert api_world.services.ledger.size() == size

    r = intake.post("/facilities/f-i/intake", json=admit("nodob", unit_id="adults", override=OVERRIDE))
    assert r.status_code == 201, r.text
    assert r.json()["unknown_override"] == {
        "unit_id": "adults", "missing": [{"person_id": "nodob", "fact": "birth_date"}], "authorised_by": "o-a",
        "reason": OVERRIDE["reason"],
    }
    assert r.json()["capacity_override"] is None


def test_intake_and_capacity_reads_judge_by_the_deployment_packs_standard(api_world: ApiWorld) -> None:
    arrange(api_world, {"p-1": "1990-05-17", "p-2": "1991-01-01"})
    intake = api_world.client(Role.INTAKE, AGENCY_A)
    assert intake.post("/facilities/f-i/intake", json=admit("p-1", unit_id="cell")).status_code == 201
    full = problem(intake.post("/facilities/f-i/intake", json=admit("p-2", unit_id="cell")), 409,
                   "capacity-exceeded")
    assert (full["occupancy"], full["capacity"]) == (1, 1)  # 7 m² / 4 m² under CPT (ICRC would take two)

    over = intake.post("/facilities/f-i/intake", json=admit("p-2", unit_id="cell", override=OVERRIDE))
    assert over.status_code == 201, over.text
    assert over.json()["capacity_override"]["standard"] == "cpt"

    reader = api_world.client(Role.AUDITOR, AGENCY_A)
    (row,) = reader.get("/capacity", params={"facility_id": "f-i"}).json()["items"]
    assert (row["standard"], row["computed_capacity"], row["occupancy"], row["overrides"]) == ("cpt", 16, 2, 1)
    # a read names no standard either: the one in force is the deployment's
    other = problem(reader.get("/capacity", params={"facility_id": "f-i", "standard": "icrc"}), 422, "invalid-field")
    assert other["errors"][0]["parameter"] == "standard"
    assert "cpt" in other["detail"]

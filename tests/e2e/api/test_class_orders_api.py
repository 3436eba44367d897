"""Class orders over HTTP, on SQLite and PostgreSQL: a facility registered with its field office and district, a
court order whose class states the criteria courts use (nationality, legal basis, any third country, detained
before a date, field office), the clearance that blocks the man it covers and names, for the man it does not,
the criterion that rules him out; the class is public in the log; malformed criteria are 422s naming the field."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from habeas.domain import commands as c
from habeas.domain.actors import Caller, Role
from habeas.domain.custody import Authority, Custodian
from tests.e2e.api.conftest import ApiWorld
from tests.e2e.api.test_manifests_api import SV, T0, VE, create, ok, world
from tests.e2e.api.test_reference_api import pointers

CUTOFF = T0 + timedelta(days=7)
ORDER = {"court": "S.D. Tex.", "docket": "25-cv-59", "form": "written", "directive": "halt_removal",
         "issued_at": (T0 + timedelta(days=8)).isoformat()}
CLASS = {"nationality_in": ["ve"], "legal_basis_in": ["aea_designation"], "any_third_country": True,
         "detained_before": CUTOFF.isoformat(), "field_office_in": ["hou"]}


def facility(w: ApiWorld, facility_id: str, **extra: Any) -> None:
    coord = w.client(Role.COORDINATOR)
    ok(coord.post("/facilities", json={"id": facility_id, "name": f"Facility {facility_id}", "country": "us",
                                       "facility_type": "SPC", **extra}), 201)
    ok(coord.post(f"/facilities/{facility_id}/units", json={"id": "u-1", "label": "Block 1", "floor_area_m2": "800",
                                                          "declared_beds": 200}), 201)


def admit(w: ApiWorld, person_id: str, facility_id: str, basis: str) -> None:
    actor = Caller.of(w.actor())
    w.services.execute(c.AdmitToCustody(
        person_id=person_id, occurred_at=T0 + timedelta(hours=3), facility_id=facility_id, unit_id="u-1",
        custodian=Custodian(agency_id="ag-a", officer_id="o-1"),
        authority=Authority(agency_id="ag-a", legal_basis=basis, record_id=f"ro-{person_id}"),
    ), actor)


def test_a_facility_carries_its_field_office_and_district(api_world: ApiWorld) -> None:
    facility(api_world, "f-hou", field_office="hou", district="txsd")
    shown = ok(api_world.client(Role.AUDITOR).get("/facilities/f-hou"))
    assert (shown["field_office"], shown["district"]) == ("HOU", "TXSD")
    facility(api_world, "f-none")
    assert ok(api_world.client(Role.AUDITOR).get("/facilities/f-none"))["field_office"] is None
    coord = api_world.client(Role.COORDINATOR)
    bad = coord.post("/facilities", json={"id": "f-bad", "name": "Bad", "country": "US", "facility_type": "SPC",
                                          "field_office": "Houston field office"})
    assert bad.status_code == 422, bad.text
    assert pointers(bad.json())[0] == "#/field_office"


def test_a_class_order_with_the_criteria_courts_use_blocks_whom_it_covers(api_world: ApiWorld) -> None:
    coord = world(api_world)  # CECOT, VE (aea_designation), SV (ina_241), the agreement
    api_world.services.execute(c.RegisterOfficer(officer_id="o-1", agency_id="ag-a", occurred_at=T0, name="O. One",
                                                 role="officer", public_key=bytes(32)), Caller.of(api_world.actor()))
    facility(api_world, "f-hou", field_office="HOU", district="TXSD")
    admit(api_world, VE, "f-hou", "aea_designation")
    admit(api_world, SV, "f-hou", "ina_241")
    ok(create(coord, alternates=[]), 201)
    assert ok(coord.post("/manifests/m-1/clear"))["cleared"]

    legal = api_world.client(Role.LEGAL)
    written = ok(legal.post("/court-orders", json={**ORDER, "order_id": "co-class", "criteria": CLASS}), 201)
    # the class is public law: the leaf carries every criterion, codes as recorded
    [seq] = written["seqs"][:1]
    leaf = json.loads(api_world.services.leaf(seq))
    criteria = leaf["body"]["scope"]["criteria"]
    assert (criteria["nationality_in"], criteria["any_third_country"], criteria["field_office_in"],
            criteria["detained_before"]) == (["VE"], True, ["HOU"], CUTOFF.strftime("%Y-%m-%dT%H:%M:%SZ"))

    cleared = ok(coord.post("/manifests/m-1/clear"))
    assert (cleared["cleared"], cleared["blocked"]) == (False, [VE])
    gates = {r["person_id"]: {g["gate"]: g for g in r["gates"]} for r in cleared["results"]}
    his = gates[VE]["no_court_order_covering"]
    assert (his["outcome"], his["reason_code"], his["rests_on_record"]) == ("fail", "court-order-covers", "co-class")
    assert "field office HOU" in his["reason"]
    assert "third country" in his["reason"]
    other = gates[SV]["no_court_order_covering"]
    assert (other["outcome"], other["reason_code"]) == ("pass", "no-court-order-covering")
    assert "nationality SV is not in the class" in other["reason"]


def test_malformed_criteria_are_refused_naming_the_field(api_world: ApiWorld) -> None:
    legal = api_world.client(Role.LEGAL)
    for criteria, pointer in (
        ({"detained_from": CUTOFF.isoformat(), "detained_before": CUTOFF.isoformat()}, "#/criteria/detained_from"),
        ({"field_office_in": ["H OU"]}, "#/criteria/field_office_in"),
        ({"destination_in": ["El Salvador"]}, "#/criteria/destination_in/0"),
        ({"detained_before": "2025-03-08T00:00:00"}, "#/criteria/detained_before"),  # no zone
        ({"third_country": True}, "#/criteria/third_country"),  # not a field: refused, not ignored
        ({"any_third_country": "yes please"}, "#/criteria/any_third_country"),
    ):
        refused = legal.post("/court-orders", json={**ORDER, "criteria": criteria})
        assert refused.status_code == 422, (criteria, refused.text)
        assert pointers(refused.json())[0] == pointer, (criteria, refused.json())
    assert legal.post("/court-orders", json={**ORDER, "criteria": {"any_third_country": True}}).status_code == 201

"""Issue 11 over HTTP: a return-required alert binds, an override is a legal decision of the agency holding the
people, counted in the public report; a court order that lapses a clearance says so in its answer. SQLite and
PostgreSQL."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from habeas.domain import commands as c
from habeas.domain.actors import Caller, Role
from habeas.domain.court_orders import ClassCriteria, CourtOrderDirective, CourtOrderScope, OrderForm
from habeas.domain.custody import Authority, Custodian
from habeas.domain.periods import Period
from habeas.ledger.note import generate_signer
from tests.e2e.api.conftest import AGENCY_A, AGENCY_B, T0, ApiWorld
from tests.e2e.api.test_manifests_api import SV, VE, create, ok, world
from tests.e2e.api.test_reference_api import problem

ESCORT = {"agency_id": AGENCY_A, "officer_id": "o-a"}
RECEIVER = {"agency_id": AGENCY_B, "officer_id": "o-b"}


def in_the_air(w: ApiWorld) -> httpx.Client:
    """The manifests test's world (everyone documented for us-federal), held by agency A at a US facility, cleared,
    boarded and flown; a class order covering the Venezuelan lands in the air; the plane lands, everyone is
    counted at the handoff. Returns agency A's coordinator."""
    coord = world(w)
    run, a = w.services.execute, Caller.of(w.actor(AGENCY_A))
    for officer, agency, role in (("o-a", AGENCY_A, "escort"), ("o-a-legal", AGENCY_A, "legal"),
                                  ("o-b", AGENCY_B, "warden")):
        run(c.RegisterOfficer(officer_id=officer, agency_id=agency, occurred_at=T0, name="Officer", role=role,
                              public_key=generate_signer(officer).public_key), Caller.of(w.actor(agency)))
    run(c.RegisterFacility(facility_id="f-us", occurred_at=T0, name="SPC", country="US", facility_type="spc",
                           operating_agency_id=AGENCY_A), a)
    run(c.RegisterUnit(unit_id="b1", facility_id="f-us", occurred_at=T0, label="B1", floor_area_m2=Decimal(400),
                       declared_beds=100), a)
    escort = Custodian(agency_id=AGENCY_A, officer_id="o-a")
    for person in (VE, SV):
        run(c.AdmitToCustody(person_id=person, occurred_at=T0, facility_id="f-us", unit_id="b1", custodian=escort,
                             authority=Authority(agency_id=AGENCY_A, legal_basis="ina_241")), a)
    ok(create(coord, alternates=[]), 201)
    assert ok(coord.post("/manifests/m-1/clear"))["cleared"]
    ok(coord.post("/manifests/m-1/boarding"))
    for person in (VE, SV):
        run(c.DepartOnLeg(person_id=person, occurred_at=w.services.clock(), leg_id="l-1", custodian=escort), a)
    ok(coord.post("/manifests/m-1/depart"))
    issued = w.services.clock()
    run(c.RecordCourtOrder(
        order_id="co-late", issued_at=issued, court="D.D.C.", docket="25-cv-766", form=OrderForm.ORAL,
        directive=CourtOrderDirective.RETURN,
        scope=CourtOrderScope(criteria=ClassCriteria(nationality_in=("VE",), legal_basis_in=("aea_designation",))),
        period=Period(active_from=issued, active_to=None),
    ), Caller.of(w.actor(AGENCY_A, Role.LEGAL)))
    ok(coord.post("/manifests/m-1/arrive"))
    ok(w.client(Role.ESCORT).post("/manifests/m-1/headcounts", json={
        "id": "hc-handoff", "checkpoint": "handoff", "counted_person_ids": [VE, SV]}), 201)
    return coord


def receipt(*people: str, receipt_id: str = "hr-1") -> dict[str, Any]:
    return {"id": receipt_id, "person_ids": list(people), "releasing": ESCORT, "receiving": RECEIVER,
            "place_id": "apron", "country": "sv", "manifest_id": "m-1",
            "authority": {"agency_id": AGENCY_B, "legal_basis": "us_sv_arrangement"}}


def override(people: list[str], officer: str = "o-a-legal") -> dict[str, Any]:
    return {"override_id": "ov-1", "person_ids": people, "officer_id": officer,
            "reason": "the order was stayed on appeal (docket entry 41)"}


def test_the_alert_refuses_the_handoff_until_agency_a_overrides_it(api_world: ApiWorld) -> None:
    coord = in_the_air(api_world)
    refused = problem(coord.post("/handoffs", json=receipt(VE, SV)), 409, "return-required")
    assert (refused["order_id"], refused["person_id"], refused["person_ids"], refused["manifest_id"]) == (
        "co-late", VE, [VE], "m-1")
    assert "co-late" in refused["detail"]
    assert "override" in refused["detail"]
    ok(coord.post("/handoffs", json=receipt(SV, receipt_id="hr-sv")), 201)  # the order does not cover him

    legal = api_world.client(Role.LEGAL)
    problem(api_world.client(Role.ESCORT).post("/alerts/co-late/override", json=override([VE])), 403, "forbidden")
    problem(api_world.client(Role.LEGAL, AGENCY_B).post("/alerts/co-late/override", json=override([VE])), 404,
            "unknown-record")  # B does not hold him, nor see him
    problem(legal.post("/alerts/co-late/override", json=override([SV])), 422, "invalid-field")  # not covered
    problem(legal.post("/alerts/co-none/override", json=override([VE])), 404, "unknown-record")
    problem(legal.post("/alerts/co-late/override", json=override([VE]) | {"officer_id": "o-b"}), 422,
            "invalid-field")  # B's officer does not decide for A
    bad = legal.post("/alerts/co-late/override", json=override([VE]) | {"reason": "", "extra": 1})
    assert bad.status_code == 422, bad.text
    written = ok(legal.post("/alerts/co-late/override", json=override([VE])), 201)
    assert (written["id"], len(written["seqs"])) == ("ov-1", 2)  # the override and the court's notification

    alerts = ok(coord.get("/alerts"))["items"]
    ret = next(a for a in alerts if a["kind"] == "return_required")
    assert (ret["person_ids"], ret["overridden_ids"]) == ([VE], [VE])
    told = next(a for a in alerts if a["kind"] == "return_required.override")
    assert (told["subject_id"], "o-a-legal" in told["message"]) == ("ov-1", True)
    # B, receiving from this manifest, sees that the order requires a return; not whom A decided on (not in view)
    seen_by_b = ok(api_world.client(Role.COORDINATOR, AGENCY_B).get("/alerts"))["items"]
    assert [a["kind"] for a in seen_by_b] == ["return_required"]
    missed = ok(coord.get("/notifications/missed"))["items"]
    assert "ov-1.court." + VE in {m["notification_id"] for m in missed}

    ok(coord.post("/handoffs", json=receipt(VE)), 201)
    public = ok(api_world.client(None).get("/public/return-overrides"))
    assert public == {"overrides": 1, "people": 1, "orders": [{"order_id": "co-late", "overrides": 1, "people": 1}]}


def test_a_court_order_that_lapses_a_clearance_answers_which(api_world: ApiWorld) -> None:
    coord = world(api_world)
    ok(create(coord, alternates=[]), 201)
    assert ok(coord.post("/manifests/m-1/clear"))["cleared"]
    answer = ok(api_world.client(Role.LEGAL).post("/court-orders", json={
        "order_id": "co-early", "court": "D.D.C.", "docket": "25-cv-766", "directive": "halt_removal",
        "criteria": {"nationality_in": ["VE"]},
    }), 201)
    [warning] = answer["warnings"]
    assert warning.startswith("clearance of manifest m-1 lapsed (back to draft")
    assert f"co-early concerns {VE}" in warning
    assert ok(coord.get("/manifests/m-1"))["status"] == "draft"
    quiet = ok(api_world.client(Role.LEGAL).post("/court-orders", json={
        "order_id": "co-again", "court": "D.D.C.", "docket": "25-cv-767", "directive": "halt_removal",
        "criteria": {"nationality_in": ["VE"]},
    }), 201)
    assert quiet["warnings"] == []  # in draft already: nothing lapsed

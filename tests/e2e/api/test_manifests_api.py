"""Moves over HTTP: a manifest planned, cleared by the shipped pack, blocked by the promoted alternate's
protection, struck, departed, arrived and closed; journeys; scope and roles; alerts. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from habeas.domain import commands as c
from habeas.domain.actors import Caller, Role
from habeas.domain.court_orders import ClassCriteria, CourtOrderDirective, CourtOrderScope, OrderForm
from habeas.domain.incidents import IncidentKind
from habeas.domain.legal import NoticeContent, ProtectionKind
from habeas.domain.people import Identifier, IdentifierKind
from habeas.domain.periods import Period
from habeas.services.incidents import RecordIncident
from tests.e2e.api.conftest import AGENCY_A, AGENCY_B, ApiWorld
from tests.e2e.api.test_reference_api import pointers, problem, walk

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)  # the server's TickingClock starts on 15 March: these are past
DEPARTS = datetime(2025, 3, 20, 9, 0, tzinfo=UTC)  # gates are judged at the scheduled departure
YEAR_FROM, YEAR_TO = T0 - timedelta(days=30), T0 + timedelta(days=365)
YEAR = Period(active_from=YEAR_FROM, active_to=YEAR_TO)
VE, SV, PROTECTED = "p-ve-1", "p-sv-1", "p-avalos"  # PROTECTED: the alternate protected against removal to SV


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def person(w: ApiWorld, person_id: str, nationality: str, basis: str, agency: str = AGENCY_A) -> None:
    """A person with what every gate of us-federal asks for, recorded by a user of ``agency`` (so it sees them)."""
    actor = w.actor(agency)
    for cmd in (
        c.RegisterPerson(
            person_id=person_id, occurred_at=T0, nationalities=(nationality,), languages=("es",),
            identifiers=(Identifier(kind=IdentifierKind.PASSPORT, value=f"X{person_id.upper().replace('-', '')}",
                                    country=nationality),),
        ),
        c.RecordRemovalOrder(order_id=f"ro-{person_id}", person_id=person_id, occurred_at=T0, authority="DHS",
                             legal_basis=basis, destination_country="SV", final=True, period=YEAR),
        c.RecordNotice(notice_id=f"n-{person_id}", person_id=person_id, served_at=at(1), language="es",
                       content_type=NoticeContent.REMOVAL_ORDER, copy_to_counsel=True),
        c.RecordConsularNotification(notification_id=f"cn-{person_id}", person_id=person_id, country=nationality,
                                     offered_at=at(1)),
        c.RecordFitnessToTravel(assessment_id=f"fa-{person_id}", person_id=person_id, occurred_at=at(2), fit=True,
                                assessed_by="clin-7", valid_until=DEPARTS + timedelta(days=1)),
    ):
        w.services.execute(cmd, Caller.of(actor))


def world(w: ApiWorld) -> httpx.Client:
    """CECOT, three documented people, PROTECTED's protection, and (over HTTP) the US-SV agreement."""
    run = w.services.execute
    a = w.actor(AGENCY_A)
    run(c.RegisterFacility(facility_id="f-cecot", occurred_at=T0, name="CECOT", country="SV",
                           facility_type="prison", declared_capacity=40000), a)
    run(c.RegisterUnit(unit_id="b-1", facility_id="f-cecot", occurred_at=T0, label="Block 1",
                       floor_area_m2=Decimal("3200"), declared_beds=2560), a)
    person(w, VE, "VE", "aea_designation")
    person(w, SV, "SV", "ina_241")
    person(w, PROTECTED, "SV", "ina_241")
    run(c.RecordProtection(protection_id="wr-avalos", person_id=PROTECTED, occurred_at=at(2),
                           kind=ProtectionKind.WITHHOLDING_OF_REMOVAL, country="SV", granted_by="IJ Baltimore",
                           period=YEAR), a)
    coord = w.client(Role.COORDINATOR)
    agreement = coord.post("/agreements", json={
        "id": "agr-sv", "sending_state": "US", "receiving_state": "SV", "active_from": YEAR_FROM.isoformat(),
        "active_to": YEAR_TO.isoformat(), "categories": ["aea_designation", "ina_241"],
        "per_diem": "20.00", "quota": 300, "occurred_at": T0.isoformat(),
    })
    assert agreement.status_code == 201, agreement.text
    return coord


def leg(**over: Any) -> dict[str, Any]:
    body = {
        "leg_id": "l-1", "mode": "air", "carrier": "GlobalX", "vehicle": "GXA-6143", "origin": "KHRL",
        "origin_country": "US", "destination": "MSLP", "destination_country": "sv",
        "scheduled_departure": DEPARTS.isoformat(), "scheduled_arrival": (DEPARTS + timedelta(hours=4)).isoformat(),
        "destination_facility_id": "f-cecot",
    }
    return body | over


def create(coord: httpx.Client, manifest_id: str = "m-1", **over: Any) -> httpx.Response:
    return coord.post("/manifests", json={
        "id": manifest_id, "journey_id": "j-1", "people": [VE, SV], "alternates": [PROTECTED], **leg(**over),
    })


def show(client: httpx.Client, manifest_id: str = "m-1") -> dict[str, Any]:
    resp = client.get(f"/manifests/{manifest_id}")
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def ok(resp: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    body: dict[str, Any] = resp.json()
    return body


def test_a_manifest_clears_blocks_the_protected_alternate_and_departs_without_him(api_world: ApiWorld) -> None:
    coord = world(api_world)
    assert ok(create(coord), 201)["id"] == "m-1"
    draft = show(api_world.client(Role.ESCORT))
    assert (draft["status"], draft["people"], draft["alternates"], draft["leg"]["destination_country"]) == (
        "draft", [VE, SV], [PROTECTED], "SV"
    )
    assert draft["blocked"] == [VE, SV]  # never evaluated: missing data is not consent
    assert {p["person_id"]: (p["role"], p["gates"]) for p in draft["persons"]} == {
        VE: ("aboard", "not_evaluated"), SV: ("aboard", "not_evaluated"), PROTECTED: ("alternate", "not_evaluated"),
    }

    first = ok(coord.post("/manifests/m-1/clear", json={}))  # the deployment's pack: us-federal
    assert (first["cleared"], first["blocked"], first["policy"]) == (True, [], "us-federal")
    assert {r["person_id"] for r in first["results"]} == {VE, SV}
    assert all(g["outcome"] == "pass" for r in first["results"] for g in r["gates"])
    assert show(coord)["status"] == "cleared"

    ok(coord.post("/manifests/m-1/promote"))  # he moved up the list: the clearance lapses
    assert (show(coord)["status"], show(coord)["people"]) == ("draft", [VE, SV, PROTECTED])
    second = ok(coord.post("/manifests/m-1/clear"))  # 200 with the table even though someone is blocked
    assert (second["cleared"], second["blocked"]) == (False, [PROTECTED])
    [his] = [r for r in second["results"] if r["person_id"] == PROTECTED]
    failing = [(g["gate"], g["outcome"], g["reason_code"], g["rests_on_record"]) for g in his["gates"] if
               g["outcome"] != "pass"]
    assert failing == [("no_protection_against_destination", "fail", "protection-against-destination", "wr-avalos")]
    assert his["blocks"]
    assert all(g["reason"] for g in his["gates"])

    for transition in ("depart", "boarding"):
        refused = problem(coord.post(f"/manifests/m-1/{transition}"), 409, "gate-blocks-departure")
        assert (refused["manifest_id"], refused["person_ids"]) == ("m-1", [PROTECTED])
    seen = {p["person_id"]: p for p in show(coord)["persons"]}
    assert (seen[PROTECTED]["gates"], seen[VE]["gates"]) == ("blocked", "pass")
    assert [c["rests_on_record"] for c in seen[PROTECTED]["checks"] if c["outcome"] == "fail"] == ["wr-avalos"]

    ok(coord.post("/manifests/m-1/strike", json={"person_id": PROTECTED, "reason": "protection", "note": "WOR to SV"}))
    assert ok(coord.post("/manifests/m-1/clear"))["cleared"]
    for transition in ("boarding", "depart", "arrive"):
        assert ok(coord.post(f"/manifests/m-1/{transition}", json={}))["id"] == "m-1"
    arrived = show(coord)
    assert (arrived["status"], arrived["people"], arrived["struck"]) == ("arrived", [VE, SV], [PROTECTED])

    again = problem(coord.post("/manifests/m-1/boarding"), 409, "invalid-transition")
    assert (again["manifest_id"], again["from_state"], again["to_state"]) == ("m-1", "arrived", "boarding")
    ok(coord.post("/manifests/m-1/hand-over", json={}))
    ok(coord.post("/manifests/m-1/close"))
    assert show(coord)["status"] == "closed"
    assert walk(coord, "/manifests", "manifest_id", status="closed") == ["m-1"]
    assert walk(coord, "/manifests", "manifest_id", status="draft") == []


def test_other_agencies_and_roles_are_refused(api_world: ApiWorld) -> None:
    coord = world(api_world)
    ok(create(coord), 201)
    ok(create(coord, "m-2", leg_id="l-2"), 201)
    assert walk(coord, "/manifests", "manifest_id", limit=1) == ["m-1", "m-2"]

    other = api_world.client(Role.COORDINATOR, AGENCY_B)
    assert problem(other.get("/manifests/m-1"), 404, "unknown-record")["record_id"] == "m-1"
    problem(other.post("/manifests/m-1/clear"), 404, "unknown-record")
    problem(other.post("/manifests/m-1/cancel", json={"reason": "operational"}), 404, "unknown-record")
    assert other.get("/manifests").json()["items"] == []
    # Nor may B put A's people on a manifest of its own.
    refused = other.post("/manifests", json={"id": "m-b", "journey_id": "j-b", "people": [VE], **leg()})
    assert problem(refused, 404, "unknown-record")["record_id"] == VE

    for role in (Role.ESCORT, Role.INTAKE, Role.LEGAL, Role.AUDITOR):
        denied = api_world.client(role).post("/manifests/m-1/clear")
        assert problem(denied, 403, "forbidden")["permission"] == "manifest.write"
        assert show(api_world.client(role))["manifest_id"] == "m-1"  # reading needs no more than records.read
    problem(api_world.client().get("/manifests/m-1"), 401, "unauthenticated")
    problem(coord.get("/manifests/m-nowhere"), 404, "unknown-record")

    # Someone only B has on record is, to A, someone unknown.
    person(api_world, "p-b", "SV", "ina_241", agency=AGENCY_B)
    problem(coord.post("/manifests/m-1/people", json={"person_id": "p-b"}), 404, "unknown-record")
    dup = coord.post("/manifests/m-1/people", json={"person_id": VE})
    assert problem(dup, 409, "already-exists")["record_id"] == VE
    ok(coord.post("/manifests/m-2/cancel", json={"reason": "weather"}))
    assert show(coord, "m-2")["status"] == "cancelled"
    halted = coord.post("/manifests/m-2/halt", json={"reason": "safety"})
    assert problem(halted, 409, "invalid-transition")["from_state"] == "cancelled"


def test_invalid_manifests_and_journeys_point_at_the_field(api_world: ApiWorld) -> None:
    coord = world(api_world)
    backwards = create(coord, scheduled_arrival=(DEPARTS - timedelta(hours=1)).isoformat())
    assert [p.rsplit("/", 1)[-1] for p in pointers(problem(backwards, 422, "invalid-field"))] == ["scheduled_arrival"]
    naive = create(coord, scheduled_departure="2025-03-20T09:00:00")
    assert [p.rsplit("/", 1)[-1] for p in pointers(problem(naive, 422, "invalid-input"))] == ["scheduled_departure"]
    twice = coord.post("/manifests", json={"journey_id": "j-1", "people": [VE], "alternates": [VE], **leg()})
    assert [p.rsplit("/", 1)[-1] for p in pointers(problem(twice, 422, "invalid-field"))] == ["alternates"]

    ground = leg(leg_id="l-2", mode="ground", carrier="DGCP", vehicle="BUS-7", origin="MSLP", origin_country="SV",
                 destination="f-cecot", scheduled_departure=(DEPARTS + timedelta(hours=5)).isoformat(),
                 scheduled_arrival=(DEPARTS + timedelta(hours=7)).isoformat())
    planned = ok(coord.post("/journeys", json={"id": "j-2", "legs": [leg(), ground], "people": [VE, SV]}), 201)
    assert (planned["id"], len(planned["manifest_ids"])) == ("j-2", 2)
    assert planned["seqs"]
    first, second = (show(coord, m) for m in planned["manifest_ids"])
    assert [(m["leg_index"], m["leg"]["mode"], m["people"]) for m in (first, second)] == [
        (0, "air", [VE, SV]), (1, "ground", [VE, SV])
    ]
    early = dict(ground, scheduled_arrival=ground["scheduled_departure"])
    bad_leg = coord.post("/journeys", json={"legs": [leg(), early]})
    assert pointers(problem(bad_leg, 422, "invalid-input"))[0].endswith("/legs/1")
    gap = coord.post("/journeys", json={"legs": [leg(), dict(ground, origin="SAL")]})
    assert pointers(problem(gap, 422, "invalid-field"))[0].endswith("/legs")


def test_alerts_show_what_the_callers_agency_may_see(api_world: ApiWorld) -> None:
    coord = world(api_world)
    ok(create(coord, alternates=[]), 201)
    assert ok(coord.post("/manifests/m-1/clear"))["cleared"]
    ok(coord.post("/manifests/m-1/boarding"))
    ok(coord.post("/manifests/m-1/depart"))
    assert ok(coord.get("/alerts"))["items"] == []

    # A class order arrives after wheels-up, then an incident aboard: both for A to see, neither for B.
    issued = api_world.services.clock()
    api_world.services.execute(c.RecordCourtOrder(
        order_id="co-late", issued_at=issued, court="D.D.C.", docket="25-cv-766", form=OrderForm.ORAL,
        directive=CourtOrderDirective.HALT_REMOVAL,
        scope=CourtOrderScope(criteria=ClassCriteria(nationality_in=("VE",), legal_basis_in=("aea_designation",))),
        period=Period(active_from=issued, active_to=None),
    ), Caller.of(api_world.actor(AGENCY_A, Role.LEGAL)))
    api_world.services.execute(RecordIncident(
        incident_id="inc-1", kind=IncidentKind.MEDICAL, person_ids=(SV,), occurred_at=api_world.services.clock(),
        manifest_id="m-1",
    ), Caller.of(api_world.actor(AGENCY_A, Role.ESCORT)))

    found = walk(api_world.client(Role.AUDITOR), "/alerts", "kind", limit=1)
    assert found == ["return_required", "incident.open"]
    alerts = ok(coord.get("/alerts"))["items"]
    ret = alerts[0]
    assert (ret["manifest_id"], ret["record_id"], ret["person_ids"], ret["undetermined_ids"]) == (
        "m-1", "co-late", [VE], []
    )
    assert (alerts[1]["subject_id"], SV in alerts[1]["message"]) == ("inc-1", True)
    assert ok(api_world.client(Role.COORDINATOR, AGENCY_B).get("/alerts"))["items"] == []
    problem(coord.get("/alerts", params={"at": "2025-03-20T09:00:00"}), 422, "invalid-input")

    closing = problem(coord.post("/manifests/m-1/close"), 409, "invalid-transition")
    assert closing["from_state"] == "departed"
    ok(coord.post("/manifests/m-1/return", json={"reason": "court_order", "record_id": "co-late"}))
    refused = problem(coord.post("/manifests/m-1/close"), 409, "refused")  # the incident is still open
    assert (refused["record_id"], refused["reason"]) == ("m-1", "incidents-open")

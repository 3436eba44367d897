"""Headcounts, incidents, intake, access and notifications over HTTP, on SQLite and PostgreSQL: a count that
misses someone opens an incident listed until it is resolved, intake within computed capacity (over it only on a
recorded override, never against separation), deaths make notifications due, and each agency sees and acts on
its own records only."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import select

from habeas.domain import commands as c
from habeas.domain.actors import Caller, Role
from habeas.domain.custody import Authority, Custodian, CustodyStatus
from habeas.domain.facilities import Separation
from habeas.domain.manifest_commands import CreateManifest
from habeas.domain.moves import Leg, TransportMode
from habeas.domain.people import Sex
from habeas.ledger.note import Signer, generate_signer
from habeas.services.custody import custody_state
from habeas.storage.projections.access import access
from tests.e2e.api.conftest import AGENCY_A, AGENCY_B, T0, ApiWorld

OFFICER_A = Custodian(agency_id=AGENCY_A, officer_id="o-a")
OFFICER_B = Custodian(agency_id=AGENCY_B, officer_id="o-b")
AUTHORITY_A = Authority(agency_id=AGENCY_A, legal_basis="ina_241")


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The RFC 9457 problem a refusal answers, checked for status, media type and ``type``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["type"] == f"urn:habeas:problem:{code}", body
    assert body["status"] == status
    return body


def arrange_officers(world: ApiWorld) -> dict[str, Signer]:
    """An officer of each agency, each with a real Ed25519 key; and agency A's facility f-a."""
    signers = {"o-a": generate_signer("o-a"), "o-b": generate_signer("o-b")}
    for who in (OFFICER_A, OFFICER_B):
        world.services.execute(
            c.RegisterOfficer(officer_id=who.officer_id, agency_id=who.agency_id, occurred_at=T0, role="escort",
                              name="Officer", public_key=signers[who.officer_id].public_key),
            Caller.of(world.actor(who.agency_id)),
        )
    run, actor = world.services.execute, world.actor(AGENCY_A)
    run(c.RegisterFacility(facility_id="f-a", occurred_at=T0, name="SPC", country="US", facility_type="spc"), actor)
    run(c.RegisterUnit(unit_id="b1", facility_id="f-a", occurred_at=T0, label="B1", floor_area_m2=Decimal("400"),
                       declared_beds=100), actor)
    return signers


def arrange_people(world: ApiWorld, *people: str, held: bool = True, agency: str = AGENCY_A) -> None:
    """Men registered by ``agency`` (so it sees them) and, with ``held``, in agency A's custody at f-a."""
    run, actor = world.services.execute, world.actor(agency)
    for p in people:
        run(c.RegisterPerson(person_id=p, occurred_at=T0, sex=Sex.MALE, nationalities=("VE",)), actor)
        if held:
            run(c.AdmitToCustody(person_id=p, occurred_at=at(1), facility_id="f-a", unit_id="b1",
                                 custodian=OFFICER_A, authority=AUTHORITY_A), actor)


def arrange_manifest(world: ApiWorld, manifest_id: str, people: tuple[str, ...]) -> None:
    leg = Leg(leg_id="leg-1", mode=TransportMode.AIR, carrier="GlobalX", vehicle="GXA 6143", origin="HRL",
              origin_country="US", destination="SAL", destination_country="SV",
              scheduled_departure=at(600), scheduled_arrival=at(900))
    world.services.execute(
        CreateManifest(manifest_id=manifest_id, occurred_at=at(2), journey_id="j-1", leg_index=0, leg=leg,
                       people=people),
        Caller.of(world.actor(AGENCY_A)),
    )


def ids(page: dict[str, Any], key: str) -> list[str]:
    return [item[key] for item in page["items"]]


# -- headcounts and incidents ----------------------------------------------------------------------------------


def test_a_headcount_that_misses_someone_opens_an_incident_open_until_resolved(api_world: ApiWorld) -> None:
    arrange_officers(api_world)
    arrange_people(api_world, "p-1", "p-2", "p-3")
    arrange_manifest(api_world, "m-1", ("p-1", "p-2", "p-3"))
    escort = api_world.client(Role.ESCORT, AGENCY_A)

    r = escort.post("/manifests/m-1/headcounts", json={"id": "hc-1", "checkpoint": "boarding",
                                                         "counted_person_ids": ["p-1", "p-3"]})
    assert r.status_code == 201, r.text
    count = r.json()
    assert (count["reconciled"], count["missing"], count["incident_id"]) == (False, ["p-2"], "hc-1.discrepancy")
    assert (count["expected_count"], count["counted_count"], len(count["seqs"])) == (3, 2, 2)

    coordinator = api_world.client(Role.COORDINATOR, AGENCY_A)
    listed = coordinator.get("/incidents", params={"open": "true", "manifest_id": "m-1"}).json()
    assert ids(listed, "incident_id") == ["hc-1.discrepancy"]
    (opened,) = listed["items"]
    assert (opened["kind"], opened["person_ids"], opened["open"]) == ("headcount_discrepancy", ["p-2"], True)

    # the other agency sees neither the manifest nor the incident, and cannot act on them
    other = api_world.client(Role.ESCORT, AGENCY_B)
    assert other.get("/incidents").json()["items"] == []
    problem(other.post("/manifests/m-1/headcounts", json={"checkpoint": "boarding", "counted_person_ids": []}),
            404, "unknown-record")
    refused = problem(other.post("/incidents/hc-1.discrepancy/resolve", json={"reason": "person_located"}), 404,
                      "unknown-record")
    assert refused["record_id"] == "hc-1.discrepancy"
    # a role that writes nothing is refused, naming the permission
    auditor = api_world.client(Role.AUDITOR, AGENCY_A)
    assert problem(auditor.post("/incidents/hc-1.discrepancy/resolve", json={"reason": "x"}), 403,
                   "forbidden")["permission"] == "incident.write"
    problem(auditor.post("/manifests/m-1/headcounts", json={"checkpoint": "boarding", "counted_person_ids": []}),
            403, "forbidden")

    r = escort.post("/incidents/hc-1.discrepancy/resolve", json={"reason": "person_located", "note": "infirmary"})
    assert r.status_code == 200, r.text
    assert r.json()["id"] == "hc-1.discrepancy"
    assert coordinator.get("/incidents", params={"open": "true"}).json()["items"] == []
    (closed,) = coordinator.get("/incidents").json()["items"]
    assert (closed["open"], closed["resolution"]) == (False, "person_located")
    again = problem(escort.post("/incidents/hc-1.discrepancy/resolve", json={"reason": "again"}), 409, "refused")
    assert (again["record_id"], again["reason"]) == ("hc-1.discrepancy", "already_resolved")

    # a count that reconciles opens nothing
    ok = escort.post("/manifests/m-1/headcounts", json={"checkpoint": "departure",
                                                         "counted_person_ids": ["p-3", "p-2", "p-1"]}).json()
    assert (ok["reconciled"], ok["incident_id"], len(ok["seqs"])) == (True, None, 1)

    # bad input is a 422 naming the field; a person the agency cannot see is a 404, as if unknown
    bad = problem(escort.post("/manifests/m-1/headcounts", json={"checkpoint": "lunch", "counted_person_ids": []}),
                  422, "invalid-input")
    assert any("checkpoint" in (e.get("pointer") or "") for e in bad["errors"])
    problem(escort.post("/manifests/m-1/headcounts", json={"checkpoint": "arrival", "counted_person_ids": ["p-x"]}),
            404, "unknown-record")
    problem(escort.post("/manifests/m-1/headcounts", json={"id": "hc-1", "checkpoint": "arrival",
                                                            "counted_person_ids": ["p-1"]}), 409, "already-exists")


def test_incidents_are_paginated_and_scoped_to_the_agency(api_world: ApiWorld) -> None:
    arrange_officers(api_world)
    arrange_people(api_world, "p-1", "p-2")
    arrange_people(api_world, "p-b", held=False, agency=AGENCY_B)
    escort = api_world.client(Role.ESCORT, AGENCY_A)
    made = []
    for n in range(5):
        r = escort.post("/incidents", json={"id": f"inc-{n}", "kind": "injury", "person_ids": ["p-1"],
                                            "facility_id": "f-a", "occurred_at": at(10 + n).isoformat()})
        assert r.status_code == 201, r.text
        made.append(r.json()["id"])
    # the other agency's incident about its own person: not in A's list, and A cannot name that person
    assert api_world.client(Role.INTAKE, AGENCY_B).post(
        "/incidents", json={"kind": "medical", "person_ids": ["p-b"]}).status_code == 201
    problem(escort.post("/incidents", json={"kind": "medical", "person_ids": ["p-b"]}), 404, "unknown-record")
    problem(api_world.client(Role.LEGAL, AGENCY_A).post("/incidents", json={"kind": "injury", "person_ids": ["p-1"]}),
            403, "forbidden")

    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = api_world.client(Role.AUDITOR, AGENCY_A).get("/incidents", params=params).json()
        assert len(page["items"]) <= 2
        seen += ids(page, "incident_id")
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert (seen, pages) == (made, 3)  # oldest first, each once
    assert len(api_world.client(Role.AUDITOR, AGENCY_B).get("/incidents").json()["items"]) == 1

    # the same Idempotency-Key and body replay the first answer and record nothing more
    size = api_world.services.ledger.size()
    body = {"kind": "use_of_force", "person_ids": ["p-2"], "serious": True, "details": "restrained"}
    first = escort.post("/incidents", json=body, headers={"Idempotency-Key": "k-1"})
    replay = escort.post("/incidents", json=body, headers={"Idempotency-Key": "k-1"})
    assert (first.status_code, replay.status_code, replay.json()) == (201, 201, first.json())
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert api_world.services.ledger.size() == size + 2  # the incident and, being serious, a report due

    # a cursor this API never gave out is a 422 naming the parameter
    bad = problem(escort.get("/incidents", params={"cursor": "_w"}), 422, "invalid-input")
    assert bad["errors"] == [{"detail": "not a cursor this API gave out", "parameter": "cursor"}]


# -- intake ----------------------------------------------------------------------------------------------------


def arrange_intake_facility(world: ApiWorld) -> None:
    """A's intake facility: cell c-1 of 7 m² holds two under ICRC (the default pack's), c-f is for women."""
    run, actor = world.services.execute, world.actor(AGENCY_A)
    run(c.RegisterFacility(facility_id="f-i", occurred_at=T0, name="Intake", country="US", facility_type="prison",
                           declared_capacity=40), actor)
    run(c.RegisterUnit(unit_id="c-1", facility_id="f-i", occurred_at=T0, label="Cell 1", floor_area_m2=Decimal("7"),
                       declared_beds=20), actor)
    run(c.RegisterUnit(unit_id="c-f", facility_id="f-i", occurred_at=T0, label="Women", floor_area_m2=Decimal("20"),
                       declared_beds=10, separation=Separation(sex=Sex.FEMALE)), actor)


def admit(person_id: str, **extra: Any) -> dict[str, Any]:
    return {"person_id": person_id, "custodian": {"agency_id": AGENCY_A, "officer_id": "o-a"},
            "commitment_authority": "ICE ERO", "authority": {"agency_id": AGENCY_A, "legal_basis": "ina_236"},
            "occurred_at": at(30).isoformat(), **extra}


def test_intake_houses_within_computed_capacity_and_never_against_separation(api_world: ApiWorld) -> None:
    arrange_officers(api_world)
    arrange_intake_facility(api_world)
    arrange_people(api_world, "q-1", "q-2", "q-3", held=False)
    intake = api_world.client(Role.INTAKE, AGENCY_A)

    units = []
    for p in ("q-1", "q-2"):
        r = intake.post("/facilities/f-i/intake", json=admit(p, id=f"adm-{p}"))
        assert r.status_code == 201, r.text
        assert (r.json()["id"], r.json()["capacity_override"]) == (f"adm-{p}", None)
        units.append(r.json()["unit_id"])
    assert units == ["c-1", "c-1"]
    with api_world.services.ledger.engine.connect() as conn:
        after = custody_state(conn, "q-1")
    assert (after.status, after.facility_id, after.unit_id) == (CustodyStatus.IN_CUSTODY, "f-i", "c-1")

    # c-1 is full and c-f is for women: refused, naming why, and nothing recorded
    size = api_world.services.ledger.size()
    full = problem(intake.post("/facilities/f-i/intake", json=admit("q-3", unit_id="c-1")), 409, "capacity-exceeded")
    assert (full["unit"], full["occupancy"], full["capacity"]) == ("c-1", 2, 2)
    problem(intake.post("/facilities/f-i/intake", json=admit("q-3")), 409, "no-unit-available")
    override = {"reason": "arrival surge", "authorised_by": "o-a"}
    apart = problem(intake.post("/facilities/f-i/intake", json=admit("q-3", unit_id="c-f", override=override)), 409,
                    "separation-violation")
    assert (apart["rule"], apart["person"]) == ("unit_sex", "q-3")
    assert api_world.services.ledger.size() == size

    # over computed capacity only with an override, which is recorded and answered
    r = intake.post("/facilities/f-i/intake", json=admit("q-3", unit_id="c-1", override=override))
    assert r.status_code == 201, r.text
    assert r.json()["capacity_override"] == {"unit_id": "c-1", "occupancy": 3, "capacity": 2, "standard": "icrc",
                                             "reason": "arrival surge", "authorised_by": "o-a"}

    # roles, scope and parties
    problem(api_world.client(Role.COORDINATOR, AGENCY_A).post("/facilities/f-i/intake", json=admit("q-1")), 403,
            "forbidden")
    b_intake = api_world.client(Role.INTAKE, AGENCY_B)
    problem(b_intake.post("/facilities/f-i/intake", json=admit("q-1")), 403, "not-a-party")
    b_body = admit("q-1", custodian={"agency_id": AGENCY_B, "officer_id": "o-b"})
    problem(b_intake.post("/facilities/f-i/intake", json=b_body), 404, "unknown-record")
    naive = problem(intake.post("/facilities/f-i/intake", json=admit("q-1", occurred_at="2025-03-01T12:00:00")), 422,
                    "invalid-input")
    assert any("occurred_at" in (e.get("pointer") or "") for e in naive["errors"])


# -- access and notifications ----------------------------------------------------------------------------------


def test_every_access_to_a_person_is_logged(api_world: ApiWorld) -> None:
    arrange_officers(api_world)
    arrange_people(api_world, "p-1")
    escort = api_world.client(Role.ESCORT, AGENCY_A)
    r = escort.post("/people/p-1/access", json={"id": "acc-1", "purpose": "legal_visit", "visitor_name": "A. Quintero",
                                                "facility_id": "f-a", "occurred_at": at(20).isoformat()})
    assert r.status_code == 201, r.text
    assert r.json()["id"] == "acc-1"
    by_officer = escort.post("/people/p-1/access", json={"purpose": "interview",
                                                         "officer": {"agency_id": AGENCY_A, "officer_id": "o-a"}})
    assert by_officer.status_code == 201, by_officer.text
    with api_world.services.ledger.engine.connect() as conn:
        rows = conn.execute(select(access.c.access_id, access.c.purpose).where(access.c.person_id == "p-1")).all()
    assert sorted(rows) == sorted([("acc-1", "legal_visit"), (by_officer.json()["id"], "interview")])

    nobody = problem(escort.post("/people/p-1/access", json={"purpose": "other"}), 422, "invalid-field")
    assert nobody["errors"][0]["pointer"].endswith("visitor_name")
    problem(escort.post("/people/p-1/access", json={"id": "acc-1", "purpose": "other", "visitor_name": "X"}), 409,
            "already-exists")
    problem(api_world.client(Role.ESCORT, AGENCY_B).post("/people/p-1/access",
                                                        json={"purpose": "other", "visitor_name": "X"}),
            404, "unknown-record")
    problem(api_world.client(Role.AUDITOR, AGENCY_A).post("/people/p-1/access",
                                                         json={"purpose": "other", "visitor_name": "X"}),
            403, "forbidden")


def test_a_death_makes_notifications_due_at_once_missed_until_sent(api_world: ApiWorld) -> None:
    arrange_officers(api_world)
    arrange_people(api_world, "p-1", "p-4")
    escort = api_world.client(Role.ESCORT, AGENCY_A)
    r = escort.post("/incidents", json={"id": "inc-d", "kind": "death", "person_ids": ["p-4"], "facility_id": "f-a"})
    assert r.status_code == 201, r.text
    with api_world.services.ledger.engine.connect() as conn:
        assert custody_state(conn, "p-4").status is CustodyStatus.DECEASED

    legal = api_world.client(Role.LEGAL, AGENCY_A)
    listed = legal.get("/notifications", params={"person_id": "p-4"}).json()
    assert ids(listed, "notification_id") == ["inc-d.nok.p-4", "inc-d.ia.p-4"]
    assert {n["status"] for n in listed["items"]} == {"missed"}  # due at once: the clock has moved on
    missed = legal.get("/notifications/missed").json()
    assert sorted(ids(missed, "notification_id")) == ["inc-d.ia.p-4", "inc-d.nok.p-4"]
    assert all(o["overdue_seconds"] > 0 for o in missed["items"])
    first = legal.get("/notifications/missed", params={"limit": 1}).json()
    second = legal.get("/notifications/missed", params={"limit": 1, "cursor": first["next_cursor"]}).json()
    assert ids(first, "notification_id") + ids(second, "notification_id") == ids(missed, "notification_id")
    assert second["next_cursor"] is None

    other = api_world.client(Role.LEGAL, AGENCY_B)
    assert other.get("/notifications/missed").json()["items"] == []
    assert other.get("/notifications").json()["items"] == []
    problem(other.get("/notifications", params={"person_id": "p-4"}), 404, "unknown-record")
    problem(other.post("/people/p-4/notifications/inc-d.nok.p-4/sent", json={"channel": "phone"}), 404,
            "unknown-record")
    problem(escort.post("/people/p-4/notifications/inc-d.nok.p-4/sent", json={"channel": "phone"}), 403, "forbidden")

    sent = legal.post("/people/p-4/notifications/inc-d.nok.p-4/sent", json={"channel": "phone", "contact": "sister"})
    assert sent.status_code == 200, sent.text
    statuses = {n["notification_id"]: n["status"]
                for n in legal.get("/notifications", params={"person_id": "p-4"}).json()["items"]}
    assert statuses == {"inc-d.nok.p-4": "sent", "inc-d.ia.p-4": "missed"}
    assert ids(legal.get("/notifications/missed").json(), "notification_id") == ["inc-d.ia.p-4"]
    late = legal.get("/notifications/missed", params={"include_late": "true"}).json()
    assert sorted(ids(late, "notification_id")) == ["inc-d.ia.p-4", "inc-d.nok.p-4"]
    again = problem(legal.post("/people/p-4/notifications/inc-d.nok.p-4/sent", json={"channel": "phone"}), 409,
                    "refused")
    assert again["reason"] == "already_sent"
    problem(legal.post("/people/p-1/notifications/inc-d.ia.p-4/sent", json={"channel": "email"}), 422,
            "invalid-field")
    problem(legal.post("/people/p-4/notifications/nope/sent", json={"channel": "email"}), 404, "unknown-record")
    problem(legal.post("/people/p-4/notifications/inc-d.ia.p-4/sent", json={"channel": "By Phone"}), 422,
            "invalid-input")

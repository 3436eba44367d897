"""Legal records over HTTP, on SQLite and PostgreSQL: each record type, allegation status, court orders
(named people must be in view), corrections of entries, and the role and scope refusals."""

from __future__ import annotations

from typing import Any

import httpx

from habeas.domain.actors import Role
from tests.e2e.api.conftest import AGENCY_A, AGENCY_B, ApiWorld

AT = "2025-03-02T10:00:00Z"


def register(client: httpx.Client, person_id: str | None = None) -> str:
    body: dict[str, Any] = {"name": {"given_names": ["Ana"], "surnames": ["Ruiz"]}, "nationalities": ["VE"]}
    r = client.post("/people", json=body if person_id is None else {**body, "person_id": person_id})
    assert r.status_code == 201, r.text
    pid: str = r.json()["id"]
    return pid


# (path under the person, body, the list of GET /people/{id} it shows in, its kind there, a public field)
RECORDS: list[tuple[str, dict[str, Any], str, str, tuple[str, Any]]] = [
    ("allegations", {"organisation": "Tren de Aragua", "source": "ICE I-213", "evidence_reference": "doc-17"},
     "allegations", "allegation", ("organisation", "Tren de Aragua")),
    ("convictions", {"court": "Dade County Court", "jurisdiction": "us", "offence": "driving without a licence",
                     "convicted_on": "2019-06-01"}, "convictions", "conviction", ("jurisdiction", "US")),
    ("removal-orders", {"authority": "IJ Krome", "legal_basis": "ina_240", "destination_country": "VE",
                        "final": True, "active_to": "2026-01-01T00:00:00Z"}, "legal", "legal.removal_order",
     ("destination_country", "VE")),
    ("protections", {"kind": "cat_deferral", "country": "SV", "granted_by": "IJ Miami"}, "legal", "legal.protection",
     ("country", "SV")),
    ("stays", {"granted_by": "D.D.C.", "active_from": "2025-03-01T00:00:00Z"}, "legal", "legal.stay",
     ("granted_by", "D.D.C.")),
    ("notices", {"language": "ES", "content_type": "third_country_removal", "copy_to_counsel": True,
                 "served_at": AT}, "legal", "legal.notice", ("language", "es")),
    ("counsel", {"name": "A. Lawyer", "appearance_filed": True, "bar_number": "VA-1"}, "legal", "legal.counsel",
     ("appearance_filed", True)),
    ("consular-notifications", {"country": "VE", "mandatory": True, "offered_at": AT, "requested_at": AT},
     "legal", "legal.consular", ("mandatory", True)),
]


def test_each_record_type_is_recorded_and_shown(api_world: ApiWorld) -> None:
    pid = register(api_world.client(Role.COORDINATOR))
    legal = api_world.client(Role.LEGAL)
    for path, body, listed_in, kind, (name, value) in RECORDS:
        # A notice and a consular notification carry their own times (served_at, offered_at...), no occurred_at.
        dated = {} if path in ("notices", "consular-notifications") else {"occurred_at": AT}
        r = legal.post(f"/people/{pid}/{path}", json={**body, **dated})
        assert r.status_code == 201, (path, r.text)
        rid = r.json()["id"]
        shown = legal.get(f"/people/{pid}").json()
        (found,) = [x for x in shown[listed_in] if x["record_id"] == rid]
        assert (found["kind"], found["body"][name], found["seq"]) == (kind, value, r.json()["seqs"][0]), path
    shown = legal.get(f"/people/{pid}").json()
    assert {x["kind"] for x in shown["allegations"]} == {"allegation"}  # never listed with convictions
    assert all("name" not in x["body"] for x in shown["legal"])  # counsel's name is private

    fitness = legal.post(f"/people/{pid}/fitness-to-travel", json={
        "fit": False, "assessed_by": "clin-7", "restrictions": "wheelchair", "notes": "private",
        "assessment_id": "fa-1",
    })
    assert fitness.status_code == 201, fitness.text
    (shown_fit,) = legal.get(f"/people/{pid}").json()["medical"]
    assert (shown_fit["record_id"], shown_fit["kind"], shown_fit["body"]["fit"]) == ("fa-1", "medical.fitness", False)
    assert "notes" not in shown_fit["body"]  # clinical notes are private: never in the public body


def test_allegation_status_moves_and_refuses(api_world: ApiWorld) -> None:
    pid = register(api_world.client(Role.COORDINATOR))
    legal = api_world.client(Role.LEGAL)
    r = legal.post(f"/people/{pid}/allegations", json={
        "organisation": "MS-13", "source": "tip", "allegation_id": "al-1"})
    assert r.status_code == 201, r.text

    assert api_world.client(Role.LEGAL, AGENCY_B).post(
        "/allegations/al-1/status", json={"to_status": "withdrawn"}
    ).status_code == 404
    unknown = legal.post("/allegations/al-nope/status", json={"to_status": "withdrawn"})
    assert (unknown.status_code, unknown.json()["record_id"]) == (404, "al-nope")

    moved = legal.post("/allegations/al-1/status", json={
        "to_status": "adjudicated", "outcome": "not_sustained", "decided_by": "IJ Miami"})
    assert moved.status_code == 201, moved.text
    (shown,) = legal.get(f"/people/{pid}").json()["allegations"]
    assert shown["status"] == "adjudicated"
    refused = legal.post("/allegations/al-1/status", json={"to_status": "alleged"})
    assert refused.status_code == 409
    body = refused.json()
    assert (body["type"], body["record_id"], body["from_status"], body["to_status"]) == (
        "urn:habeas:problem:invalid-status-change", "al-1", "adjudicated", "alleged"
    )


def test_court_orders_name_only_people_in_view(api_world: ApiWorld) -> None:
    mine = register(api_world.client(Role.COORDINATOR))
    theirs = register(api_world.client(Role.COORDINATOR, AGENCY_B))
    legal = api_world.client(Role.LEGAL)
    order = {"court": "D.D.C.", "docket": "25-cv-766", "form": "oral", "directive": "halt_removal", "issued_at": AT}

    hidden = legal.post("/court-orders", json={**order, "person_ids": [mine, theirs]})
    assert hidden.status_code == 404
    assert hidden.json()["type"] == "urn:habeas:problem:unknown-record"
    assert legal.get(f"/people/{theirs}").status_code == 404  # still out of view: nothing was recorded

    named = legal.post("/court-orders", json={**order, "person_ids": [mine], "order_id": "co-1"})
    assert named.status_code == 201, named.text
    (shown,) = legal.get(f"/people/{mine}").json()["legal"]
    assert (shown["kind"], shown["record_id"]) == ("legal.court_order", "co-1")

    klass = legal.post("/court-orders", json={**order, "criteria": {"legal_basis_in": ["aea_1798"],
                                                                     "nationality_in": ["ve"]}})
    assert klass.status_code == 201, klass.text
    empty = legal.post("/court-orders", json={**order, "criteria": {}})
    assert empty.status_code == 422
    assert empty.json()["errors"][0]["pointer"] == "#/criteria"


def test_a_court_orders_person_ids_are_ids(api_world: ApiWorld) -> None:
    """Found by schemathesis on PostgreSQL: a NUL in a named id reached the database (which refuses NUL in text)
    and answered 500. A named person is an id like any other, refused with a 422 pointing at it."""
    legal = api_world.client(Role.LEGAL)
    order = {"court": "D.D.C.", "docket": "25-cv-766", "form": "oral", "directive": "halt_removal", "issued_at": AT}
    for bad in ("p\x00-1", "", "p 1"):
        answer = legal.post("/court-orders", json={**order, "person_ids": ["p-1", bad]})
        assert answer.status_code == 422, (bad, answer.text)
        assert answer.json()["errors"][0]["pointer"] == "#/person_ids/1"


def test_corrections_amend_and_retract_entries_in_view(api_world: ApiWorld) -> None:
    pid = register(api_world.client(Role.COORDINATOR))
    legal = api_world.client(Role.LEGAL)
    conviction = legal.post(f"/people/{pid}/convictions", json={
        "court": "Dade County Court", "jurisdiction": "US", "offence": "speeding", "convicted_on": "2019-06-01"})
    seq = conviction.json()["seqs"][0]
    coordinator = api_world.client(Role.COORDINATOR)

    bad = coordinator.post(f"/entries/{seq}/amend", json={"reason": "typo", "changes": {"convicted_on": "June"}})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["pointer"] == "#/changes/convicted_on"
    unknown_field = coordinator.post(f"/entries/{seq}/amend", json={"reason": "typo", "changes": {"TYPE": "x"}})
    assert unknown_field.status_code == 422
    assert unknown_field.json()["errors"][0]["pointer"] == "#/changes"
    assert api_world.client(Role.ADMIN, AGENCY_B).post(
        f"/entries/{seq}/retract", json={"reason": "wrong_person"}
    ).status_code == 404
    assert coordinator.post("/entries/99999/retract", json={"reason": "wrong_person"}).status_code == 404
    assert legal.post(f"/entries/{seq}/retract", json={"reason": "wrong_person"}).status_code == 403

    amended = coordinator.post(f"/entries/{seq}/amend", json={
        "reason": "typo", "changes": {"offence": "reckless driving", "convicted_on": "2019-06-02"}})
    assert amended.status_code == 201, amended.text
    assert amended.json()["id"] == str(seq)
    (shown,) = coordinator.get(f"/people/{pid}").json()["convictions"]
    assert (shown["body"]["offence"], shown["body"]["convicted_on"]) == ("reckless driving", "2019-06-02")

    retracted = coordinator.post(f"/entries/{seq}/retract", json={"reason": "wrong_person"})
    assert retracted.status_code == 201, retracted.text
    assert coordinator.get(f"/people/{pid}").json()["convictions"][0]["retracted"] is True
    again = coordinator.post(f"/entries/{seq}/retract", json={"reason": "wrong_person"})
    assert (again.status_code, again.json()["reason"]) == (409, "already retracted")


def test_legal_writes_need_the_role_and_the_person_in_view(api_world: ApiWorld) -> None:
    pid = register(api_world.client(Role.COORDINATOR))
    for role, agency, status in ((Role.COORDINATOR, AGENCY_A, 403), (Role.AUDITOR, AGENCY_A, 403),
                                 (Role.LEGAL, AGENCY_B, 404)):
        r = api_world.client(role, agency).post(f"/people/{pid}/stays", json={"granted_by": "D.D.C."})
        assert r.status_code == status, (role, agency)
        assert r.headers["content-type"] == "application/problem+json"
    naive = api_world.client(Role.LEGAL).post(f"/people/{pid}/stays", json={
        "granted_by": "D.D.C.", "active_to": "2026-01-01T00:00:00"})
    assert naive.status_code == 422
    assert naive.json()["errors"][0]["pointer"] == "#/active_to"

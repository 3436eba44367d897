"""People over HTTP, on SQLite and PostgreSQL: register, show, find (paginated, scoped), identity warnings,
merge, erase, admissions, the access log, and the 401/403/404/422 problems."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from habeas.domain import commands as c
from habeas.domain.actors import Caller, Role
from habeas.storage.access import access_log
from tests.e2e.api.conftest import AGENCY_A, AGENCY_B, T0, ApiWorld

JOSE: dict[str, Any] = {
    "name": {"given_names": ["José"], "surnames": ["García", "Pérez"]},
    "aliases": ["Pepe"],
    "transliterations": [{"script": "Cyrl", "name": {"given_names": ["Хосе"], "surnames": ["Гарсия"]}}],
    "date_of_birth": "1990-05",
    "sex": "male",
    "nationalities": ["sv"],
    "country_of_birth": "SV",
    "languages": ["ES"],
    "identifiers": [
        {"kind": "a_number", "value": "A-123-456-789"},
        {"kind": "passport", "value": "a1234567", "country": "SV"},
    ],
    "occurred_at": "2025-03-01T09:30:00-05:00",
}


def register(client: httpx.Client, body: dict[str, Any] | None = None, **fields: Any) -> str:
    r = client.post("/people", json={**(body or {}), **fields})
    assert r.status_code == 201, r.text
    pid: str = r.json()["id"]
    return pid


def walk(client: httpx.Client, path: str, **params: Any) -> list[str]:
    """Every person id of a paginated list, one page at a time, following next_cursor."""
    ids: list[str] = []
    cursor = None
    while True:
        page = client.get(path, params={**params, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        body = page.json()
        assert len(body["items"]) <= params.get("limit", 50)
        ids += [p["person_id"] for p in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return ids


def test_register_then_get_shows_public_and_private_fields_and_logs_the_read(api_world: ApiWorld) -> None:
    coordinator = api_world.client(Role.COORDINATOR)
    r = coordinator.post("/people", json={**JOSE, "person_id": "p-jose"})
    assert r.status_code == 201, r.text
    assert r.json()["id"] == "p-jose"
    assert r.json()["warnings"] == []
    assert len(r.json()["seqs"]) == 1

    got = api_world.client(Role.AUDITOR).get("/people/p-jose")
    assert got.status_code == 200, got.text
    v = got.json()
    assert v["name"] == "José García Pérez"
    assert v["aliases"] == ["Pepe"]
    assert v["transliterations"] == ["Cyrl: Хосе Гарсия"]
    assert v["date_of_birth"] == "1990-05"
    assert v["nationalities"] == ["SV"]
    assert v["languages"] == ["es"]
    assert v["identifiers"] == ["a_number A123456789 (US)", "passport A1234567 (SV)"]
    assert v["seq"] == r.json()["seqs"][0]
    assert v["erased"] is False
    assert v["custody"]["status"] == "not_held"
    assert [a["question"] for a in v["custody"]["answers"]] == [
        "who holds", "where", "since when", "under what authority"
    ]
    assert api_world.client(Role.AUDITOR).get("/people", params={"name": "jose"}).status_code == 200
    with api_world.services.ledger.engine.connect() as conn:
        rows = list(conn.execute(select(access_log).order_by(access_log.c.id)))
    assert [(r.user_id, r.agency_id, r.subject_kind, r.subject_id, r.request) for r in rows] == [
        ("ag-a-auditor", AGENCY_A, "person", "p-jose", "GET /people/p-jose"),
        ("ag-a-auditor", AGENCY_A, "person", "p-jose", "GET /people"),
    ]


def test_find_walks_pages_of_people_in_scope_only_and_checks_its_criteria(api_world: ApiWorld) -> None:
    a = api_world.client(Role.COORDINATOR)
    by_name = {
        given: register(a, name={"given_names": [given], "surnames": ["Garcia"]}, date_of_birth="1990")
        for given in ("Ana", "Luis", "Marta")
    }
    mine = sorted(by_name.values())
    b = api_world.client(Role.COORDINATOR, AGENCY_B)
    theirs = register(b, name={"given_names": ["Eva"], "surnames": ["García"]})

    assert walk(a, "/people", limit=1) == mine
    assert walk(a, "/people", limit=1, name="GARCÍA") == mine
    assert walk(a, "/people", limit=2, dob="1990") == mine
    assert walk(a, "/people", name="marta garcia") == [by_name["Marta"]]
    assert walk(api_world.client(Role.AUDITOR, AGENCY_B), "/people", name="garcia") == [theirs]
    found = a.get("/people", params={"name": "ana"}).json()["items"]
    assert [(p["name"], p["date_of_birth"], p["matched_on"]) for p in found] == [("Ana Garcia", "1990", ["name"])]
    for params in ({"cursor": "_w"}, {"cursor": "%%%", "name": "garcia"}):
        bad = a.get("/people", params=params)
        assert (bad.status_code, bad.json()["errors"][0]["parameter"]) == (422, "cursor")
    dob = a.get("/people", params={"dob": "May 1990"})
    assert dob.status_code == 422
    assert dob.json()["type"] == "urn:habeas:problem:invalid-input"
    assert dob.json()["errors"][0]["parameter"] == "dob"


def test_identity_warning_names_the_match_only_when_visible(api_world: ApiWorld) -> None:
    a = api_world.client(Role.COORDINATOR)
    first = register(a, identifiers=[{"kind": "a_number", "value": "A987654321"}])
    # With an Idempotency-Key the answer is made inside the write's transaction, and replayed as it was.
    body = {"identifiers": [{"kind": "a_number", "value": "a-987-654-321"}]}
    again = a.post("/people", json=body, headers={"Idempotency-Key": "k-1"})
    assert again.status_code == 201, again.text
    replay = a.post("/people", json=body, headers={"Idempotency-Key": "k-1"})
    assert (replay.headers["Idempotent-Replayed"], replay.json()) == ("true", again.json())
    (warning,) = again.json()["warnings"]
    assert warning["other_person_id"] == first
    assert warning["reason"] == "same_identifier"
    assert first in warning["detail"]

    elsewhere = api_world.client(Role.COORDINATOR, AGENCY_B).post(
        "/people", json={"identifiers": [{"kind": "a_number", "value": "A987654321"}]}
    )
    assert elsewhere.status_code == 201, elsewhere.text
    hidden = elsewhere.json()["warnings"]
    assert [(w["other_person_id"], w["reason"]) for w in hidden] == [(None, "same_identifier")] * 2
    assert all(first not in w["detail"] for w in hidden)


def test_merge_records_the_duplicate_into_the_survivor(api_world: ApiWorld) -> None:
    a = api_world.client(Role.COORDINATOR)
    survivor = register(a, JOSE)
    duplicate = register(a, JOSE)
    r = a.post(f"/people/{survivor}/merge", json={"duplicate_id": duplicate, "basis": "same_identifier"})
    assert r.status_code == 200, r.text
    assert r.json()["id"] == survivor
    assert a.get(f"/people/{duplicate}").json()["merged_into"] == survivor
    assert a.get(f"/people/{survivor}").json()["merged_from"] == [duplicate]

    again = a.post(f"/people/{survivor}/merge", json={"duplicate_id": duplicate, "basis": "same_identifier"})
    assert again.status_code == 409
    assert again.json()["person_id"] == duplicate

    other = register(api_world.client(Role.COORDINATOR, AGENCY_B), JOSE)
    hidden = a.post(f"/people/{survivor}/merge", json={"duplicate_id": other, "basis": "manual_review"})
    assert hidden.status_code == 404
    assert hidden.json()["type"] == "urn:habeas:problem:unknown-record"


def test_erase_removes_personal_data_from_every_answer(api_world: ApiWorld) -> None:
    a = api_world.client(Role.COORDINATOR)
    pid = register(a, JOSE)
    r = a.post(f"/people/{pid}/erase", json={"reason": "data_subject_request"})
    assert r.status_code == 200, r.text
    v = a.get(f"/people/{pid}").json()
    assert v["erased"] is True
    assert (v["name"], v["aliases"], v["date_of_birth"], v["identifiers"]) == (None, [], None, [])
    assert v["nationalities"] == ["SV"]  # public fields stay: the counts by nationality need them
    assert a.get("/people", params={"name": "jose garcia"}).json()["items"] == []
    listed = a.get("/people").json()["items"]
    assert [(p["person_id"], p["name"]) for p in listed] == [(pid, None)]

    again = a.post(f"/people/{pid}/erase", json={"reason": "data_subject_request"})
    assert again.status_code == 409
    assert again.json()["type"] == "urn:habeas:problem:person-erased"


def test_admission_record_needs_a_known_facility(api_world: ApiWorld) -> None:
    api_world.services.execute(
        c.RegisterFacility(facility_id="f-1", occurred_at=T0, name="Krome", country="US", facility_type="spc"),
        Caller.of(api_world.actor(AGENCY_A)),
    )
    intake = api_world.client(Role.INTAKE)
    pid = register(api_world.client(Role.COORDINATOR), JOSE)
    body = {
        "facility_id": "f-1", "commitment_authority": "IJ Miami", "arrested_at": "2025-03-01T08:00:00Z",
        "occurred_at": "2025-03-01T10:00:00Z", "property_items": [{"description": "watch"}],
        "next_of_kin": [{"name": "María", "relationship": "mother"}],
        "dependants": [{"name": "Ana", "birth_date": "2015"}],
    }
    r = intake.post(f"/people/{pid}/admissions", json={**body, "admission_id": "adm-1"})
    assert r.status_code == 201, r.text
    (admission,) = intake.get(f"/people/{pid}").json()["admissions"]
    assert (admission["record_id"], admission["body"]["commitment_authority"]) == ("adm-1", "IJ Miami")
    assert "next_of_kin" not in admission["body"]  # private: never in the public body

    unknown = intake.post(f"/people/{pid}/admissions", json={**body, "facility_id": "f-nowhere"})
    assert unknown.status_code == 404
    assert unknown.json()["record_id"] == "f-nowhere"
    late = intake.post(f"/people/{pid}/admissions", json={**body, "arrested_at": "2025-03-02T08:00:00Z"})
    assert late.status_code == 422
    assert late.json()["errors"][0]["pointer"] == "#/arrested_at"


def test_scope_role_and_input_problems(api_world: ApiWorld) -> None:
    pid = register(api_world.client(Role.COORDINATOR), JOSE)
    other = api_world.client(Role.ADMIN, AGENCY_B)
    hidden = other.get(f"/people/{pid}")
    assert hidden.status_code == 404
    assert hidden.headers["content-type"] == "application/problem+json"
    assert hidden.json()["type"] == "urn:habeas:problem:unknown-record"
    assert other.post(f"/people/{pid}/erase", json={"reason": "court_order"}).status_code == 404
    assert other.get("/people", params={"name": "jose"}).json()["items"] == []

    forbidden = api_world.client(Role.AUDITOR).post("/people", json=JOSE)
    assert forbidden.status_code == 403
    assert forbidden.json()["permission"] == "people.write"
    assert api_world.client(Role.INTAKE).post(f"/people/{pid}/merge", json={
        "duplicate_id": pid, "basis": "manual_review"}).status_code == 403
    assert api_world.client().get(f"/people/{pid}").status_code == 401

    naive = api_world.client(Role.COORDINATOR).post("/people", json={**JOSE, "occurred_at": "2025-03-01T09:30:00"})
    assert naive.status_code == 422
    assert naive.json()["errors"][0]["pointer"] == "#/occurred_at"
    future = api_world.client(Role.COORDINATOR).post("/people", json={**JOSE, "occurred_at": "2099-01-01T00:00:00Z"})
    assert future.status_code == 422
    assert future.json()["errors"][0]["pointer"] == "#/occurred_at"
    passport = api_world.client(Role.COORDINATOR).post(
        "/people", json={"identifiers": [{"kind": "passport", "value": "X1"}]}
    )
    assert passport.status_code == 422
    assert passport.json()["errors"][0]["pointer"] == "#/identifiers/0"
    taken = api_world.client(Role.COORDINATOR).post("/people", json={**JOSE, "person_id": pid})
    assert taken.status_code == 409
    assert taken.json()["record_id"] == pid

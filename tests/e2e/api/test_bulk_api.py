"""The batch routes over HTTP (SQLite and PostgreSQL): ``POST /people/bulk`` registers many people in one
transaction or, naming every bad item by its JSON pointer, none; ``POST /manifests/{id}/intake`` admits everyone
an arrived manifest carries. Every name here is invented (SYNTHETIC)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from habeas.api.app import create_app
from habeas.domain.actors import Role
from habeas.services import accounts
from habeas.services.door import Services
from tests.e2e.api.conftest import AGENCY_A, AGENCY_B, T0, ApiWorld
from tests.e2e.api.server import in_process
from tests.integration import bulk_world as bw

PEOPLE: list[dict[str, Any]] = [  # SYNTHETIC
    {"person_id": "p-b1", "name": {"given_names": ["Aurelio"], "surnames": ["Sintético", "Ejemplo"]},
     "date_of_birth": "1990-05-17", "sex": "male", "nationalities": ["VE"], "languages": ["es"],
     "identifiers": [{"kind": "a_number", "value": "A-201-000-001"}]},
    {"person_id": "p-b2", "name": {"given_names": ["Brígida"], "surnames": ["Prueba"]}, "date_of_birth": "1988",
     "sex": "female", "nationalities": ["SV"],
     "identifiers": [{"kind": "passport", "value": "A1000002", "country": "SV"}]},
    {"person_id": "p-b3", "name": {"given_names": ["Ciro"], "surnames": ["Ficticio"]}, "date_of_birth": "2001-11",
     "nationalities": ["VE"]},
    # the same invented man as p-b1, with the same A-number: a warning, never a merge
    {"person_id": "p-b4", "name": {"given_names": ["Aurelio"], "surnames": ["Sintético"]},
     "identifiers": [{"kind": "a_number", "value": "A201000001"}]},
]


def size(world: ApiWorld) -> int:
    return world.services.ledger.size()


def test_many_people_are_registered_in_one_request_with_warnings_for_likely_duplicates(api_world: ApiWorld) -> None:
    client = api_world.client(Role.COORDINATOR)
    before = size(api_world)
    r = client.post("/people/bulk", json={"people": PEOPLE})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["count"] == 4
    assert [p["id"] for p in body["people"]] == ["p-b1", "p-b2", "p-b3", "p-b4"]
    assert size(api_world) == before + 4
    (warning,) = body["people"][3]["warnings"]
    assert (warning["other_person_id"], warning["reason"]) == ("p-b1", "same_identifier")
    shown = client.get("/people/p-b2").json()
    assert shown["name"] == "Brígida Prueba"
    assert shown["identifiers"] == ["passport A1000002 (SV)"]
    # another agency registers the same man: warned of a match, not told who it is
    other = api_world.client(Role.COORDINATOR, AGENCY_B).post("/people/bulk", json={"people": [
        {"name": {"given_names": ["Aurelio"], "surnames": ["Sintético"]},
         "identifiers": [{"kind": "a_number", "value": "A201000001"}]},
    ]})
    assert other.status_code == 201, other.text
    warned = other.json()["people"][0]["warnings"]
    assert {w["other_person_id"] for w in warned} == {None}


def test_every_bad_person_is_named_by_its_pointer_and_nothing_is_registered(api_world: ApiWorld) -> None:
    client = api_world.client(Role.COORDINATOR)
    before = size(api_world)
    people = [dict(p) for p in PEOPLE]
    people[1] = {**people[1], "date_of_birth": "1990-13-40"}  # the domain: no such date
    people[2] = {**people[2], "name": {"given_names": ["Ciro"], "surnames": ["Fиcticio"]}}  # Latin and Cyrillic
    people[3] = {**people[3], "identifiers": [{"kind": "a_number", "value": "12-34"}]}
    r = client.post("/people/bulk", json={"people": people})
    assert r.status_code == 422, r.text
    problem = r.json()
    pointers = [e["pointer"] for e in problem["errors"]]
    assert pointers == ["#/people/1/date_of_birth", "#/people/2/name/surnames", "#/people/3/identifiers"], problem
    assert "3 error(s) in 3 of 4 people" in problem["detail"]
    assert size(api_world) == before

    # the shape of an item is checked by the request model: every bad item named too
    shape = client.post("/people/bulk", json={"people": [
        {"name": {"given_names": ["Ana"]}, "nationalities": ["venezuela"]}, {"sex": "robot"}, PEOPLE[0],
    ]})
    assert shape.status_code == 422
    bad = {e["pointer"] for e in shape.json()["errors"]}
    assert {"#/people/0/nationalities/0", "#/people/1/sex"} <= bad
    assert size(api_world) == before


def test_a_refusal_in_the_door_names_the_person_and_records_nothing(api_world: ApiWorld) -> None:
    client = api_world.client(Role.COORDINATOR)
    assert client.post("/people", json=PEOPLE[2]).status_code == 201  # p-b3 registered already
    before = size(api_world)
    r = client.post("/people/bulk", json={"people": PEOPLE})
    assert r.status_code == 409, r.text
    problem = r.json()
    assert problem["type"] == "urn:habeas:problem:already-exists"
    assert problem["errors"] == [{"detail": "person 'p-b3' already exists", "pointer": "#/people/2"}]
    assert "nothing of the batch was recorded" in problem["detail"]
    assert size(api_world) == before
    # a batch is never replayed under an Idempotency-Key: refused, not ignored
    keyed = client.post("/people/bulk", json={"people": PEOPLE[:1]}, headers={"Idempotency-Key": "k-1"})
    assert keyed.status_code == 422
    assert keyed.json()["type"] == "urn:habeas:problem:idempotency-key-unsupported"
    # a role that may not register people may not register many
    assert api_world.client(Role.AUDITOR).post("/people/bulk", json={"people": PEOPLE}).status_code == 403


# -- a manifest's intake ---------------------------------------------------------------------------------------------


@pytest.fixture
def arrived(make_services: Any, tmp_path: Path) -> tuple[Services, Any]:
    """The bulk world (ICE flies ten men to El Salvador, one missing at the count, the rest handed over to DGCP), and
    a client as DGCP's intake officer and one as ICE's."""
    services = make_services(bw.write_pack(tmp_path))
    ids = bw.world(services, 10)
    bw.fly(services, ids, missing=("p-004",))
    bw.hand_over(services, [p for p in ids if p != "p-004"])
    tokens = {}
    for agency, officer in (("dgcp", "o-sv"), ("ice", "o-us")):
        user = f"{agency}-intake"
        accounts.add_user(services.ledger.engine, user_id=user, agency_id=agency, role=Role.INTAKE.value, now=T0,
                          officer_id=officer)
        tokens[agency] = accounts.create_token(services.ledger.engine, user_id=user, name="t", now=T0).secret
    return services, tokens


BODY = {"custodian": {"agency_id": "dgcp", "officer_id": "o-sv"}, "commitment_authority": "DGCP",
        "receipt_id": bw.RECEIPT, "occurred_at": "2025-03-05T14:00:00Z"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_everyone_found_on_an_arrived_manifest_is_admitted_in_one_request(arrived: tuple[Services, Any]) -> None:
    services, tokens = arrived
    app = create_app(services, rate_limit=(1000, 1000.0))
    with in_process(app, headers=bearer(tokens["dgcp"])) as sv, in_process(app, headers=bearer(tokens["ice"])) as us:
        before = services.ledger.size()
        r = sv.post(f"/manifests/{bw.MANIFEST}/intake", json=BODY)
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["facility_id"] == "f-sv"
        assert len(body["admitted"]) == 9
        assert body["units"] == {"c-1": 4, "c-2": 4, "c-3": 1}
        assert body["left_out"] == [
            {"person_id": "p-004", "reason": "not found at a count (hc-arrival.discrepancy open)"}
        ]
        assert services.ledger.size() == before + sum(len(a["seqs"]) for a in body["admitted"])
        assert sv.get("/people/p-001").json()["custody"]["unit_id"] == "c-1"

        again = sv.post(f"/manifests/{bw.MANIFEST}/intake", json=BODY)
        assert again.status_code == 409
        assert "nobody to admit (9 already held at the destination" in again.json()["detail"]
        assert sv.post("/manifests/m-9/intake", json=BODY).status_code == 404
        # ICE may not admit people into DGCP's custody: not a party to the step
        assert us.post(f"/manifests/{bw.MANIFEST}/intake", json=BODY).status_code == 403


def test_a_manifest_intake_refused_for_one_person_admits_no_one(make_services: Any, tmp_path: Path) -> None:
    services = make_services(bw.write_pack(tmp_path))
    ids = bw.world(services, 3)
    bw.fly(services, ids)
    bw.hand_over(services, ids)
    accounts.add_user(services.ledger.engine, user_id="sv", agency_id="dgcp", role=Role.INTAKE.value, now=T0,
                      officer_id="o-sv")
    token = accounts.create_token(services.ledger.engine, user_id="sv", name="t", now=T0).secret
    app = create_app(services, rate_limit=(1000, 1000.0))
    with in_process(app, headers=bearer(token)) as sv:
        before = services.ledger.size()
        # the custodian named is an officer no one registered: the first person's admission is refused
        nobody = {**BODY, "custodian": {"agency_id": "dgcp", "officer_id": "o-nobody"}}
        r = sv.post(f"/manifests/{bw.MANIFEST}/intake", json=nobody)
        assert r.status_code in (404, 409, 422), r.text
        problem = r.json()
        assert (problem["person_id"], problem["index"]) == ("p-001", 0)
        assert "nothing of the batch was recorded" in problem["detail"]
        assert services.ledger.size() == before


def test_the_batch_routes_are_in_the_openapi_document(api_world: ApiWorld) -> None:
    paths = api_world.client(Role.ADMIN, AGENCY_A).get("/openapi.json").json()["paths"]
    assert "post" in paths["/people/bulk"]
    assert "post" in paths["/manifests/{manifest_id}/intake"]

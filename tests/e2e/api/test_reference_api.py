"""Reference data over HTTP: agencies, officers and their keys, facilities, units and capacity, on SQLite and
PostgreSQL."""

from __future__ import annotations

import base64
from typing import Any

import httpx

from habeas.domain import commands as c
from habeas.domain.actors import Role
from habeas.ledger.note import format_vkey, generate_signer
from tests.e2e.api.conftest import AGENCY_A, AGENCY_B, T0, ApiWorld


def problem(resp: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = resp.json()
    assert body["type"] == f"urn:habeas:problem:{code}", body
    assert body["status"] == status
    return body


def pointers(body: dict[str, Any]) -> list[str]:
    return [e.get("pointer") or e.get("parameter") or "" for e in body.get("errors", [])]


def walk(c: httpx.Client, path: str, key: str, **params: Any) -> list[str]:
    """Every item's ``key`` across the pages of a list, one page at a time."""
    seen: list[str] = []
    cursor = None
    for _ in range(100):
        page = c.get(path, params={**params, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        seen += [item[key] for item in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError("the cursor never ended")


def test_agencies_are_registered_by_the_operator_and_read_by_anyone(api_world: ApiWorld) -> None:
    # Finding 9 of issue 10: an agency's admin created an agency claiming another country. The register of
    # agencies is the deployment operator's (`habeas agency add`): no user of any agency writes it.
    admin = api_world.client(Role.ADMIN, AGENCY_B)
    claimed = admin.post("/agencies", json={"id": "ag-us2", "name": "ICE", "country": "US", "kind": "immigration"})
    assert "habeas agency add" in problem(claimed, 403, "not-yours")["detail"]
    api_world.services.execute(c.RegisterAgency(agency_id="ag-mx", occurred_at=T0, name="INM", country="MX",
                                                kind="immigration"))

    listed = api_world.client(Role.AUDITOR, AGENCY_B).get("/agencies").json()
    by_id = {a["agency_id"]: a for a in listed["items"]}
    assert set(by_id) == {AGENCY_A, AGENCY_B, "ag-mx"}
    assert (by_id["ag-mx"]["country"], by_id["ag-mx"]["kind"], by_id["ag-mx"]["officers"]) == ("MX", "immigration", 0)
    assert walk(api_world.client(Role.ESCORT), "/agencies", "agency_id", limit=1) == ["ag-a", "ag-b", "ag-mx"]

    denied = api_world.client(Role.COORDINATOR).post(
        "/agencies", json={"name": "X", "country": "MX", "kind": "police"}
    )
    assert problem(denied, 403, "forbidden")["permission"] == "agency.write"
    assert problem(api_world.client().get("/agencies"), 401, "unauthenticated")
    bad = admin.post("/agencies", json={"name": "X", "country": "Mexico", "kind": "Police"})
    assert {p.rsplit("/", 1)[-1] for p in pointers(problem(bad, 422, "invalid-input"))} == {"country", "kind"}


def test_an_admin_registers_officers_of_its_own_agency_only(api_world: ApiWorld) -> None:
    admin = api_world.client(Role.ADMIN)
    diaz, ruiz = generate_signer("o-diaz"), generate_signer("o-ruiz")
    key = base64.b64encode(diaz.public_key).decode()
    made = admin.post(f"/agencies/{AGENCY_A}/officers",
                      json={"id": "o-diaz", "name": "R. Díaz", "role": "deportation_officer", "public_key": key,
                            "badge_number": "4471"})
    assert made.status_code == 201, made.text
    # The verifier key `habeas init` writes is accepted too: the key inside it is what is recorded.
    vkey = admin.post(f"/agencies/{AGENCY_A}/officers", json={
        "id": "o-ruiz", "name": "M. Ruiz", "role": "escort", "public_key": format_vkey(ruiz.verifier()),
    })
    assert vkey.status_code == 201, vkey.text

    listed = api_world.client(Role.INTAKE, AGENCY_B).get(f"/agencies/{AGENCY_A}/officers").json()["items"]
    assert [(o["officer_id"], o["role"], o["public_key"]) for o in listed] == [
        ("o-diaz", "deportation_officer", key),
        ("o-ruiz", "escort", base64.b64encode(ruiz.public_key).decode()),
    ]
    assert set(listed[0]) == {"officer_id", "agency_id", "seq", "role", "public_key"}  # name, badge: private
    assert api_world.client(Role.ADMIN).get("/agencies").json()["items"][0]["officers"] == 2

    other = admin.post(f"/agencies/{AGENCY_B}/officers", json={"name": "X", "role": "escort", "public_key": key})
    assert problem(other, 403, "not-yours")["owner"] == AGENCY_B
    assert api_world.client(Role.ADMIN, AGENCY_B).get(f"/agencies/{AGENCY_B}/officers").json()["items"] == []
    wrong_role = api_world.client(Role.COORDINATOR).post(
        f"/agencies/{AGENCY_A}/officers", json={"name": "X", "role": "escort", "public_key": key}
    )
    problem(wrong_role, 403, "forbidden")
    short = admin.post(f"/agencies/{AGENCY_A}/officers",
                       json={"name": "X", "role": "escort", "public_key": base64.b64encode(b"short").decode()})
    assert any(p.endswith("/public_key") for p in pointers(problem(short, 422, "invalid-input")))
    problem(api_world.client(Role.ADMIN).get("/agencies/ag-nowhere/officers"), 404, "unknown-record")


def test_facilities_units_and_capacity_read_back(api_world: ApiWorld) -> None:
    coord = api_world.client(Role.COORDINATOR)
    for fid, country, ftype in (("f-krome", "US", "SPC"), ("f-cecot", "sv", "prison"), ("f-otay", "US", "IGSA")):
        made = coord.post("/facilities", json={
            "id": fid, "name": fid.upper(), "country": country, "facility_type": ftype, "operating_agency_id": AGENCY_A,
            "declared_capacity": 40000 if fid == "f-cecot" else None, "contact": f"+1 555 {fid}",
        })
        assert made.status_code == 201, made.text
    unit = coord.post("/facilities/f-cecot/units", json={
        "id": "b-1", "label": "Block 1", "floor_area_m2": "120", "declared_beds": 80, "sex": "male",
        "categories": ["convicted", "untried"], "age_group": "adult",
    })
    assert unit.status_code == 201, unit.text
    assert unit.json()["id"] == "b-1"

    reader = api_world.client(Role.AUDITOR, AGENCY_B)
    assert walk(reader, "/facilities", "facility_id", limit=1) == ["f-cecot", "f-krome", "f-otay"]
    assert walk(reader, "/facilities", "facility_id", country="us", limit=1) == ["f-krome", "f-otay"]
    assert walk(reader, "/facilities", "facility_id", facility_type="igsa") == ["f-otay"]

    f = reader.get("/facilities/f-cecot")
    assert f.status_code == 200, f.text
    body = f.json()
    assert (body["country"], body["contact"], body["declared_capacity"]) == ("SV", "+1 555 f-cecot", 40000)
    [u] = body["units"]
    assert (u["unit_id"], u["floor_area_m2"], u["declared_beds"], u["capacity_cpt"], u["capacity_icrc"]) == (
        "b-1", "120", 80, 30, 35
    )
    assert u["separation"] == {"sex": "male", "categories": ["convicted", "untried"], "age_group": "adult",
                               "organisation": None}
    assert (body["capacity_cpt"], body["capacity_icrc"], body["held_now"]) == (30, 35, 0)

    # capacity by the deployment's pack (us-federal: ICRC), the one in force; naming another is refused
    icrc = reader.get("/capacity").json()["items"]
    assert [(c["facility_id"], c["standard"], c["computed_capacity"], c["declared_capacity"], c["over_capacity"])
            for c in icrc] == [("f-cecot", "icrc", 35, 40000, False)]
    named = reader.get("/capacity", params={"standard": "icrc", "facility_id": "f-cecot"}).json()["items"]
    assert [c["computed_capacity"] for c in named] == [35]
    problem(reader.get("/capacity", params={"standard": "cpt"}), 422, "invalid-field")


def test_reference_refusals(api_world: ApiWorld) -> None:
    coord = api_world.client(Role.COORDINATOR)
    assert coord.post("/facilities", json={"id": "f-1", "name": "One", "country": "US", "facility_type": "SPC"}
                      ).status_code == 201
    dup = coord.post("/facilities", json={"id": "f-1", "name": "One", "country": "US", "facility_type": "SPC"})
    assert problem(dup, 409, "already-exists")["record_id"] == "f-1"
    no_agency = coord.post("/facilities", json={"name": "Two", "country": "US", "facility_type": "SPC",
                                                "operating_agency_id": "ag-nowhere"})
    assert problem(no_agency, 403, "not-yours")["owner"] == "ag-nowhere"  # an agency registers its own only
    no_facility = coord.post("/facilities/f-nowhere/units", json={"label": "B", "floor_area_m2": 10,
                                                                  "declared_beds": 1})
    assert problem(no_facility, 404, "unknown-record")["record_id"] == "f-nowhere"
    zero = coord.post("/facilities/f-1/units", json={"label": "B", "floor_area_m2": 0, "declared_beds": 1})
    assert any(p.endswith("/floor_area_m2") for p in pointers(problem(zero, 422, "invalid-input")))
    naive = coord.post("/facilities", json={"name": "Three", "country": "US", "facility_type": "SPC",
                                            "occurred_at": "2025-03-01T10:00:00"})
    assert any(p.endswith("/occurred_at") for p in pointers(problem(naive, 422, "invalid-input")))
    problem(coord.get("/facilities/f-nowhere"), 404, "unknown-record")
    problem(coord.get("/capacity", params={"standard": "sqft"}), 422, "invalid-input")
    for role in (Role.AUDITOR, Role.ESCORT, Role.INTAKE, Role.LEGAL):
        denied = api_world.client(role).post("/facilities", json={"name": "X", "country": "US", "facility_type": "SPC"})
        assert problem(denied, 403, "forbidden")["permission"] == "reference.write"

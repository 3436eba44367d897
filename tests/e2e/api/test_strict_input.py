"""Issue 10, findings 10 and 11 ("strict input"), replayed over HTTP on SQLite and PostgreSQL.

Unknown JSON fields were ignored (a misspelt key made a person without the data sent), a birth date in 2099 was
accepted, names carrying a right-to-left override, a zero-width space or a look-alike letter from another
alphabet were recorded and then unfindable, integers past BIGINT reached the database, errors echoed a
PartialDate(...) repr, the locator found nothing for VEN and answered 200 for ZZZ, JSON sent as text/plain was
"not a valid dictionary", and a unit of 1e-30 m² fed the capacity gate. Each test here failed before the fix.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from pydantic import BaseModel

from habeas.api.app import ROUTERS
from habeas.api.models import RequestModel
from habeas.api.pagination import encode_cursor
from habeas.domain.actors import Role
from tests.e2e.api.conftest import AGENCY_A, ApiWorld

AT = "2025-03-01T12:00:00Z"
ANA: dict[str, Any] = {"name": {"given_names": ["Ana"], "surnames": ["Ruiz"]}, "occurred_at": AT}


def problem(r: httpx.Response, status: int, code: str = "invalid-input") -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = r.json()
    assert body["type"] == f"urn:habeas:problem:{code}", body
    assert "Traceback" not in r.text
    return body


def where(body: dict[str, Any]) -> list[str]:
    return [e.get("pointer") or e.get("parameter") or "" for e in body.get("errors", [])]


def people_count(world: ApiWorld) -> int:
    page = world.client(Role.AUDITOR).get("/people", params={"limit": 500})
    assert page.status_code == 200, page.text
    return len(page.json()["items"])


# -- 10: unknown fields are refused, and a person must be someone ---------------------------------------------


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"name": {"given": ["José"]}}, "#/name/given"),  # a wrong key inside a nested object
        ({**ANA, "date_of_brith": "1990-05-17"}, "#/date_of_brith"),
        ({**ANA, "identifiers": [{"kind": "a_number", "value": "A123456789", "issuer": "US"}]},
         "#/identifiers/0/issuer"),
    ],
)
def test_an_unknown_field_is_a_422_naming_it(api_world: ApiWorld, body: dict[str, Any], pointer: str) -> None:
    r = api_world.client(Role.COORDINATOR).post("/people", json=body)
    found = problem(r, 422)
    assert pointer in where(found)
    assert "unknown field" in found["detail"]
    assert people_count(api_world) == 0


def test_an_empty_person_is_refused(api_world: ApiWorld) -> None:
    coordinator = api_world.client(Role.COORDINATOR)
    for body in ({}, {"occurred_at": AT}, {"sex": "male"}):
        found = problem(coordinator.post("/people", json=body), 422)
        assert "says nothing about the person" in found["detail"], found
    assert people_count(api_world) == 0
    assert coordinator.post("/people", json={"nationalities": ["VE"]}).status_code == 201  # unidentified, but seen


def test_every_request_body_forbids_unknown_fields_all_the_way_down() -> None:
    """Not one route left behind: every body model, and every model nested in one, is a RequestModel."""

    def models(annotation: Any) -> list[type[BaseModel]]:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return [annotation]
        return [m for arg in getattr(annotation, "__args__", ()) for m in models(arg)]

    seen: set[type[BaseModel]] = set()
    todo = [
        m for module in ROUTERS for route in module.router.routes
        if isinstance(route, APIRoute) and route.body_field is not None
        for m in models(route.body_field.field_info.annotation)
    ]
    assert len(todo) > 30
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        assert issubclass(model, RequestModel), f"{model.__module__}.{model.__name__} allows unknown fields"
        assert model.model_config.get("extra") == "forbid"
        todo += [m for f in model.model_fields.values() for m in models(f.annotation)]


def test_the_journey_and_custody_bodies_refuse_unknown_fields_too(api_world: ApiWorld) -> None:
    client = api_world.client(Role.ADMIN)
    leg = {"carrier": "GlobalX", "vehicle": "GXA123", "origin": "KIAH", "origin_country": "US",
           "destination": "MSLP", "destination_country": "SV", "scheduled_departure": "2025-03-15T10:00:00Z",
           "scheduled_arrival": "2025-03-15T14:00:00Z", "flight": "GXA123"}
    found = problem(client.post("/journeys", json={"legs": [leg]}), 422)
    assert "#/legs/0/flight" in where(found)
    assert client.post("/people", json={**ANA, "person_id": "p-1"}).status_code == 201
    found = problem(client.post("/people/p-1/custody/release", json={"reason": "bond", "at": AT}), 422)
    assert "#/at" in where(found)


# -- 11: birth dates, names --------------------------------------------------------------------------------------


def test_a_birth_date_in_the_future_is_refused(api_world: ApiWorld) -> None:
    coordinator = api_world.client(Role.COORDINATOR)
    found = problem(coordinator.post("/people", json={**ANA, "date_of_birth": "2099-01-01"}), 422, "invalid-field")
    assert where(found) == ["#/date_of_birth"]
    assert "future" in found["detail"]
    # against the record's own time, not only the server's clock
    late = problem(coordinator.post("/people", json={**ANA, "date_of_birth": "2025-03-05"}), 422, "invalid-field")
    assert where(late) == ["#/date_of_birth"]
    assert people_count(api_world) == 0
    assert coordinator.post("/people", json={**ANA, "date_of_birth": "2025-03"}).status_code == 201


def test_an_impossible_date_is_shown_as_written(api_world: ApiWorld) -> None:
    r = api_world.client(Role.COORDINATOR).post("/people", json={**ANA, "date_of_birth": "2023-02-30"})
    found = problem(r, 422, "invalid-field")
    assert "'2023-02-30'" in found["detail"]
    assert "PartialDate" not in r.text
    assert where(found) == ["#/date_of_birth"]


@pytest.mark.parametrize(
    ("name", "named"),
    [
        ("Jos\u202eé", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("\u2066Ana\u2069", "U+2066 LEFT-TO-RIGHT ISOLATE"),
        ("Jo\u200bsé", "U+200B ZERO WIDTH SPACE"),
        ("Ana\ufeff", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
        ("P\u0430vel", "U+0430 CYRILLIC SMALL LETTER A"),
        ("Αlex", "U+0391 GREEK CAPITAL LETTER ALPHA"),
    ],
)
def test_a_name_that_is_not_what_it_looks_like_is_refused_naming_character_and_field(
    api_world: ApiWorld, name: str, named: str
) -> None:
    coordinator = api_world.client(Role.COORDINATOR)
    for body, field in (
        ({**ANA, "name": {"given_names": [name], "surnames": ["Ruiz"]}}, "given_names"),
        ({**ANA, "name": {"given_names": ["Ana"], "surnames": [name]}}, "surnames"),
        ({**ANA, "aliases": [name]}, "aliases"),
    ):
        found = problem(coordinator.post("/people", json=body), 422, "invalid-field")
        assert named in found["detail"], found
        assert where(found) == [f"#/{field}"]
    assert people_count(api_world) == 0


def test_names_in_one_script_per_word_and_joiners_where_scripts_need_them_are_accepted(api_world: ApiWorld) -> None:
    coordinator = api_world.client(Role.COORDINATOR)
    for given, surname in (("Хосе", "Garcia"), ("山田たろう", "ヤマダ"), ("김민준", "金"), ("علی‌رضا", "محمدی"),
                           ("Jean-Luc", "O'Brien"), ("José", "García Pérez")):
        r = coordinator.post("/people", json={"name": {"given_names": [given], "surnames": [surname]}})
        assert r.status_code == 201, (given, surname, r.text)


def test_names_are_stored_in_nfc_and_found_in_either_form(api_world: ApiWorld) -> None:
    coordinator = api_world.client(Role.COORDINATOR)
    made = coordinator.post("/people", json={
        "person_id": "p-jose", "name": {"given_names": ["Jose\u0301"], "surnames": ["Garci\u0301a"]},
        "aliases": ["Pe\u0301pe"],
    })
    assert made.status_code == 201, made.text
    shown = api_world.client(Role.AUDITOR).get("/people/p-jose").json()
    assert shown["name"] == "José García"  # precomposed
    assert shown["aliases"] == ["Pépe"]
    for query in ("José García", "Jose\u0301 Garci\u0301a"):
        found = api_world.client(Role.AUDITOR).get("/people", params={"name": query}).json()["items"]
        assert [p["person_id"] for p in found] == ["p-jose"], query


# -- 11: integers, quantities, echoed values ---------------------------------------------------------------------


def _facility(world: ApiWorld) -> httpx.Client:
    admin = world.client(Role.ADMIN)
    made = admin.post("/facilities", json={"id": "f-1", "name": "One", "country": "US", "facility_type": "SPC",
                                           "operating_agency_id": AGENCY_A})
    assert made.status_code == 201, made.text
    return admin


@pytest.mark.parametrize(
    ("unit", "pointer"),
    [
        ({"floor_area_m2": 1e-30}, "#/floor_area_m2"),
        ({"floor_area_m2": "0.5"}, "#/floor_area_m2"),
        ({"floor_area_m2": "12.345"}, "#/floor_area_m2"),
        ({"floor_area_m2": 1e12}, "#/floor_area_m2"),
        ({"declared_beds": 10**30}, "#/declared_beds"),
        ({"declared_beds": -1}, "#/declared_beds"),
    ],
)
def test_a_unit_that_is_not_physical_is_refused(api_world: ApiWorld, unit: dict[str, Any], pointer: str) -> None:
    admin = _facility(api_world)
    body = {"label": "B", "floor_area_m2": 120, "declared_beds": 40, **unit}
    assert pointer in where(problem(admin.post("/facilities/f-1/units", json=body), 422))
    ok = admin.post("/facilities/f-1/units", json={"label": "Cell", "floor_area_m2": "1", "declared_beds": 0})
    assert ok.status_code == 201, ok.text


def test_a_capacity_past_bigint_is_a_422(api_world: ApiWorld) -> None:
    admin = api_world.client(Role.ADMIN)
    body = {"name": "X", "country": "US", "facility_type": "SPC", "declared_capacity": 2**64}
    assert "#/declared_capacity" in where(problem(admin.post("/facilities", json=body), 422))


@pytest.mark.parametrize(
    ("path", "params", "parameter"),
    [
        ("/feed", {"after": str(2**63)}, "after"),
        ("/feed", {"after": "99999999999999999999999"}, "after"),
    ],
)
def test_a_query_integer_past_bigint_is_a_422(
    api_world: ApiWorld, path: str, params: dict[str, str], parameter: str
) -> None:
    assert parameter in where(problem(api_world.client(Role.ADMIN).get(path, params=params), 422))


def test_an_access_log_cursor_past_bigint_is_a_422(api_world: ApiWorld) -> None:
    auditor = api_world.client(Role.AUDITOR)
    for key in (str(2**63), "9" * 23):
        found = problem(auditor.get("/access-log", params={"cursor": encode_cursor(key)}), 422)
        assert "cursor" in found["detail"]


def test_a_long_bad_value_is_echoed_cut_short(api_world: ApiWorld) -> None:
    # 2,000 characters pass the body's length limit; the domain refuses the control character in them, and
    # the problem shows the first 80 of them, not all 2,000.
    text = "\x01" + "x" * 1999
    _facility(api_world)
    r = api_world.client(Role.COORDINATOR).post("/people", json={**ANA, "aliases": ["Ana"], "person_id": "p-1"})
    assert r.status_code == 201, r.text
    admission = {"facility_id": "f-1", "commitment_authority": text, "occurred_at": AT}
    body = problem(api_world.client(Role.ADMIN).post("/people/p-1/admissions", json=admission), 422, "invalid-field")
    assert len(body["detail"]) < 300
    assert "…" in body["detail"]


# -- 11: the locator's country codes ---------------------------------------------------------------------------


def test_the_locator_takes_alpha_3_and_refuses_unknown_codes(api_world: ApiWorld) -> None:
    coordinator = api_world.client(Role.COORDINATOR)
    for pid, number, born in (("p-ve", "A111111111", "VE"), ("p-ven", "A222222222", "VEN")):
        r = coordinator.post("/people", json={
            "person_id": pid, "identifiers": [{"kind": "a_number", "value": number}], "country_of_birth": born,
        })
        assert r.status_code == 201, r.text
    public = api_world.client()
    for number in ("A111111111", "A222222222"):
        answers = [public.get("/public/locator", params={"a_number": number, "country_of_birth": code})
                   for code in ("VE", "VEN", "ven")]
        assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
        assert {len(a.json()["matches"]) for a in answers} == {1}, number
    for code in ("ZZZ", "ZZ", "XK1"):
        refused = problem(public.get("/public/locator", params={"a_number": "A111111111", "country_of_birth": code}),
                          422)
        assert where(refused)[0] == "country_of_birth", refused


# -- 11: the content type ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"name": {"given_names": ["Ana"]}}', "text/plain"),
        (b"name=Ana", "application/x-www-form-urlencoded"),  # what `curl -d` sends
        (b"--x\r\n", "multipart/form-data; boundary=x"),
        (b'{"name": {"given_names": ["Ana"]}}', ""),  # no Content-Type at all
    ],
)
def test_a_body_that_is_not_json_is_a_415_that_says_what_to_send(
    api_world: ApiWorld, content: bytes, content_type: str
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    r = api_world.client(Role.COORDINATOR).post("/people", content=content, headers=headers)
    body = problem(r, 415, "unsupported-media-type")
    assert "send Content-Type: application/json" in body["detail"]
    assert people_count(api_world) == 0
    ok = api_world.client(Role.COORDINATOR).post(
        "/people", content=content if content.startswith(b"{") else b'{"name": {"given_names": ["Ana"]}}',
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert ok.status_code == 201, ok.text

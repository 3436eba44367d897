"""The one error envelope (RFC 9457), pinned: every error has the same members, whatever raised it."""

from __future__ import annotations

from habeas.domain.actors import Role
from tests.e2e.api.conftest import ApiWorld

MEMBERS = {"type", "title", "status", "detail"}


def _check(r: object, status: int, type_: str) -> dict[str, object]:
    import httpx

    assert isinstance(r, httpx.Response)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert set(body) >= MEMBERS, body
    assert body["status"] == status
    assert body["type"] == f"urn:habeas:problem:{type_}"
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert "Traceback" not in r.text
    return dict(body)


def test_unknown_path_is_a_404_problem(api_world: ApiWorld) -> None:
    body = _check(api_world.client().get("/no/such/thing"), 404, "not-found")
    assert body["instance"] == "/no/such/thing"


def test_wrong_method_is_a_405_problem(api_world: ApiWorld) -> None:
    _check(api_world.client().delete("/healthz"), 405, "method-not-allowed")


def test_invalid_query_is_a_422_problem_naming_the_parameter(api_world: ApiWorld) -> None:
    body = _check(api_world.client(Role.AUDITOR).get("/feed", params={"after": "x"}), 422, "invalid-input")
    errors = body["errors"]
    assert isinstance(errors, list)
    assert errors[0]["parameter"] == "after"


def test_invalid_json_is_a_422_problem(api_world: ApiWorld) -> None:
    r = api_world.client().post(
        "/auth/token", content=b"{not json", headers={"content-type": "application/json"}
    )
    body = _check(r, 422, "invalid-input")
    assert body["errors"]


def test_a_body_field_error_points_at_the_field(api_world: ApiWorld) -> None:
    body = _check(api_world.client().post("/auth/token", json={"user_id": "", "password": "x"}), 422, "invalid-input")
    errors = body["errors"]
    assert isinstance(errors, list)
    assert errors[0]["pointer"] == "#/user_id"

"""Logging in, tokens, 401s, and the access log: over HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError

from habeas.api.context import Caller
from habeas.domain.actors import Role
from habeas.services import access, accounts
from habeas.storage.access import access_log, api_token
from tests.e2e.api.conftest import AGENCY_A, AGENCY_B, T0, ApiWorld


def test_a_password_gives_a_token_that_works_and_only_its_hash_is_stored(api_world: ApiWorld) -> None:
    engine = api_world.services.ledger.engine
    accounts.add_user(engine, user_id="ana", agency_id=AGENCY_A, role="legal", now=T0, password="correct horse battery")
    anon = api_world.client()
    r = anon.post("/auth/token", json={"user_id": "ana", "password": "correct horse battery"})
    assert r.status_code == 201, r.text
    token = r.json()["token"]
    assert token.startswith("hbs_")
    me = anon.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["user_id"] == "ana"
    assert me.json()["agency_id"] == AGENCY_A
    assert "legal.write" in me.json()["permissions"]
    assert "manifest.write" not in me.json()["permissions"]
    with engine.connect() as conn:
        stored = [r.token_hash for r in conn.execute(select(api_token.c.token_hash))]
    assert token not in stored
    assert all(len(h) == 64 for h in stored)


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(api_world: ApiWorld) -> None:
    accounts.add_user(
        api_world.services.ledger.engine, user_id="ana", agency_id=AGENCY_A, role="legal", now=T0,
        password="correct horse battery",
    )
    anon = api_world.client()
    wrong = anon.post("/auth/token", json={"user_id": "ana", "password": "wrong horse battery"})
    unknown = anon.post("/auth/token", json={"user_id": "nobody", "password": "correct horse battery"})
    for r in (wrong, unknown):
        assert r.status_code == 401
        assert r.headers["content-type"] == "application/problem+json"
    assert wrong.json()["detail"] == unknown.json()["detail"]


def test_no_token_a_bad_scheme_and_an_unknown_token_are_401_problems(api_world: ApiWorld) -> None:
    anon = api_world.client()
    cases = {
        "none": {},
        "scheme": {"Authorization": "Basic YTpi"},
        "unknown": {"Authorization": "Bearer hbs_not-a-token"},
    }
    for name, headers in cases.items():
        r = anon.get("/feed", headers=headers)
        assert r.status_code == 401, name
        assert r.headers["www-authenticate"].startswith("Bearer"), name
        assert r.json()["type"].startswith("urn:habeas:problem:"), name


def test_an_expired_token_is_refused(api_world: ApiWorld) -> None:
    engine = api_world.services.ledger.engine
    issued = accounts.create_token(
        engine, user_id=f"{AGENCY_A}-{Role.AUDITOR.value}", name="short", now=T0, valid_for=timedelta(minutes=1)
    )
    # The api_world clock is a TickingClock from 2025-03-15, long after T0 + 1 minute.
    r = api_world.client().get("/feed", headers={"Authorization": f"Bearer {issued.secret}"})
    assert r.status_code == 401
    assert r.json()["type"] == "urn:habeas:problem:invalid-token"


def test_a_role_without_the_permission_gets_403_naming_it(api_world: ApiWorld) -> None:
    r = api_world.client(Role.ESCORT).get("/access-log")
    assert r.status_code == 403
    body = r.json()
    assert body["permission"] == "access_log.read"
    assert body["role"] == "escort"


def test_reads_of_personal_data_are_logged_and_the_log_refuses_changes(api_world: ApiWorld) -> None:
    engine = api_world.services.ledger.engine
    api_world_caller = accounts.Principal(user_id="u-x", agency_id=AGENCY_B, role=Role.AUDITOR)
    api_world.services.record_reads([
        access.Read(user_id=api_world_caller.user_id, agency_id=AGENCY_B, action="read", subject_kind="person",
                    subject_id="p-9", request="GET /people/p-9", at=T0),
        access.Read(user_id="u-y", agency_id=AGENCY_A, action="read", subject_kind="person", subject_id="p-1",
                    request="GET /people/p-1", at=T0),
    ])
    # Agency B's auditor sees its own users' reads, not agency A's reads of people B cannot see.
    page = api_world.client(Role.AUDITOR, AGENCY_B).get("/access-log").json()
    assert [(r["user_id"], r["subject_id"]) for r in page["items"]] == [("u-x", "p-9")]
    for stmt in (update(access_log).values(user_id="someone-else"), delete(access_log)):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(stmt)
    with engine.connect() as conn:
        assert conn.execute(select(access_log.c.user_id).order_by(access_log.c.id)).scalars().all() == ["u-x", "u-y"]


def test_the_access_log_pages_with_a_cursor(api_world: ApiWorld) -> None:
    api_world.services.record_reads([
        access.Read(user_id="u-a", agency_id=AGENCY_A, action="read", subject_kind="person", subject_id=f"p-{i}",
                    request="GET", at=T0)
        for i in range(5)
    ])
    client = api_world.client(Role.ADMIN)
    seen, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get("/access-log", params=params).json()
        seen += [r["subject_id"] for r in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"p-{i}" for i in range(5)]
    bad = client.get("/access-log", params={"cursor": "!!"})
    assert bad.status_code == 422


def test_caller_is_the_only_way_routes_write(api_world: ApiWorld) -> None:
    # A guard against a route reaching past the idempotency and actor handling: Caller.execute exists and is
    # what the routes call (a route calling services.execute directly would not be caught by the type checker).
    import inspect

    from habeas.api import app as app_module

    for module in app_module.ROUTERS:
        source = inspect.getsource(module)
        assert "services.execute(" not in source, module.__name__
    assert hasattr(Caller, "execute")


def test_password_guessing_is_rate_limited_per_client(api_world: ApiWorld) -> None:
    from habeas.api.app import create_app
    from tests.e2e.api.server import in_process

    app = create_app(api_world.services, rate_limit=(2, 0.001))
    guess = {"user_id": "ana", "password": "guess"}
    with in_process(app) as client, in_process(app, address="192.0.2.7") as elsewhere:
        guesses = [client.post("/auth/token", json={**guess, "password": f"guess {i}"}) for i in range(3)]
        # The limit is the guessing client's: another address still gets its answer.
        other = elsewhere.post("/auth/token", json=guess)
    assert [r.status_code for r in guesses] == [401, 401, 429]
    assert int(guesses[2].headers["retry-after"]) >= 1
    assert guesses[2].json()["type"] == "urn:habeas:problem:rate-limited"
    assert other.status_code == 401

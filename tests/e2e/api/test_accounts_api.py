"""Tokens and users over HTTP (issue 10, finding 8; and logins locked per account, finding 5), on SQLite and
PostgreSQL: tokens expire by default, a revoked token or a disabled user's token is refused on the next request,
an admin sees and acts on the users and tokens of their own agency only, a user on their own tokens only, and
repeated failed logins for one account lock it out with back-off whatever the address, in the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from habeas.api.app import create_app
from habeas.domain.actors import Role
from habeas.services import accounts
from tests.e2e.api.conftest import AGENCY_A, AGENCY_B, T0, ApiWorld
from tests.e2e.api.server import in_process

PASSWORD = "correct horse battery"  # a test user's


def user(agency: str, role: Role) -> str:
    return f"{agency}-{role.value}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def items(r: httpx.Response) -> list[dict[str, Any]]:
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()["items"]
    return found


# -- expiry ------------------------------------------------------------------------------------------------------


def test_a_token_made_without_an_expiry_expires_after_30_days(api_world: ApiWorld) -> None:
    engine = api_world.services.ledger.engine
    now = api_world.services.clock()
    # Made 31 days before the server's now, with no lifetime named: it must not work forever.
    old = accounts.create_token(engine, user_id=user(AGENCY_A, Role.AUDITOR), name="old", now=now - timedelta(days=31))
    fresh = accounts.create_token(engine, user_id=user(AGENCY_A, Role.AUDITOR), name="new", now=now)
    assert old.expires_at == (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    anon = api_world.client()
    refused = anon.get("/auth/me", headers=bearer(old.secret))
    assert refused.status_code == 401
    assert refused.json()["type"] == "urn:habeas:problem:invalid-token"
    assert anon.get("/auth/me", headers=bearer(fresh.secret)).status_code == 200


# -- revocation --------------------------------------------------------------------------------------------------


def test_a_user_lists_and_revokes_their_own_token_and_it_stops_at_the_next_request(api_world: ApiWorld) -> None:
    me = user(AGENCY_A, Role.COORDINATOR)
    second = accounts.create_token(api_world.services.ledger.engine, user_id=me, name="laptop", now=T0)
    client = api_world.client(Role.COORDINATOR)
    mine = items(client.get("/auth/tokens"))
    assert {t["user_id"] for t in mine} == {me}
    assert {t["name"] for t in mine} == {"test", "laptop"}
    assert all(t["state"] == "active" for t in mine)
    # Neither the secret nor its hash is ever listed.
    assert second.secret not in client.get("/auth/tokens").text
    assert not {"token", "token_hash", "secret"} & set(mine[0])

    with_second = api_world.client()
    assert with_second.get("/auth/me", headers=bearer(second.secret)).status_code == 200
    revoked = client.delete(f"/auth/tokens/{second.token_id}")
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["state"] == "revoked"
    assert revoked.json()["revoked_by"] == me
    after = with_second.get("/auth/me", headers=bearer(second.secret))
    assert after.status_code == 401
    assert after.json()["type"] == "urn:habeas:problem:invalid-token"
    # Revoking again changes nothing; the first token still works.
    again = client.delete(f"/auth/tokens/{second.token_id}")
    assert again.status_code == 200
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]
    assert client.get("/auth/me").status_code == 200


def test_a_user_may_not_see_or_revoke_anyone_elses_token(api_world: ApiWorld) -> None:
    engine = api_world.services.ledger.engine
    colleague = accounts.create_token(engine, user_id=user(AGENCY_A, Role.LEGAL), name="desk", now=T0)
    escort = api_world.client(Role.ESCORT)
    r = escort.delete(f"/auth/tokens/{colleague.token_id}")
    assert r.status_code == 404
    assert r.json()["type"] == "urn:habeas:problem:unknown-record"
    assert escort.get("/auth/tokens", params={"user_id": user(AGENCY_A, Role.LEGAL)}).status_code == 404
    assert colleague.token_id not in escort.get("/auth/tokens").text
    assert api_world.client().get("/auth/me", headers=bearer(colleague.secret)).status_code == 200


def test_an_admin_sees_and_revokes_the_tokens_of_their_own_agency_only(api_world: ApiWorld) -> None:
    engine = api_world.services.ledger.engine
    of_a = accounts.create_token(engine, user_id=user(AGENCY_A, Role.LEGAL), name="a-desk", now=T0)
    of_b = accounts.create_token(engine, user_id=user(AGENCY_B, Role.LEGAL), name="b-desk", now=T0)
    admin_a = api_world.client(Role.ADMIN, AGENCY_A)
    listed = items(admin_a.get("/auth/tokens", params={"limit": 500}))
    assert {t["user_id"] for t in listed} == {user(AGENCY_A, r) for r in Role}
    assert of_b.token_id not in {t["token_id"] for t in listed}
    only_legal = items(admin_a.get("/auth/tokens", params={"user_id": user(AGENCY_A, Role.LEGAL)}))
    assert {t["name"] for t in only_legal} == {"test", "a-desk"}
    # Agency B's user and token are unknown to agency A's admin: 404, as for an id that does not exist.
    assert admin_a.get("/auth/tokens", params={"user_id": user(AGENCY_B, Role.LEGAL)}).status_code == 404
    assert admin_a.delete(f"/auth/tokens/{of_b.token_id}").status_code == 404
    assert api_world.client().get("/auth/me", headers=bearer(of_b.secret)).status_code == 200

    assert admin_a.delete(f"/auth/tokens/{of_a.token_id}").json()["revoked_by"] == user(AGENCY_A, Role.ADMIN)
    assert api_world.client().get("/auth/me", headers=bearer(of_a.secret)).status_code == 401


def test_the_token_list_pages_with_a_cursor(api_world: ApiWorld) -> None:
    engine = api_world.services.ledger.engine
    me = user(AGENCY_A, Role.INTAKE)
    for i in range(4):
        accounts.create_token(engine, user_id=me, name=f"t{i}", now=T0 + timedelta(minutes=i))
    client = api_world.client(Role.INTAKE)
    seen, cursor = [], None
    while True:
        page = client.get("/auth/tokens", params={"limit": 2} | ({"cursor": cursor} if cursor else {})).json()
        seen += [t["name"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == ["t0", "t1", "t2", "t3", "test"]
    assert len(seen) == len(set(seen))


# -- users -------------------------------------------------------------------------------------------------------


def test_an_admin_lists_the_users_of_their_own_agency_only(api_world: ApiWorld) -> None:
    listed = items(api_world.client(Role.ADMIN, AGENCY_B).get("/auth/users", params={"limit": 500}))
    assert {u["user_id"] for u in listed} == {user(AGENCY_B, r) for r in Role}
    assert {u["agency_id"] for u in listed} == {AGENCY_B}
    assert all(u["disabled_at"] is None for u in listed)
    assert not any("password" in key for u in listed for key in u)
    r = api_world.client(Role.COORDINATOR, AGENCY_B).get("/auth/users")
    assert r.status_code == 403
    assert r.json()["permission"] == "accounts.admin"


def test_a_disabled_user_is_refused_at_the_next_request_token_and_password_alike(api_world: ApiWorld) -> None:
    engine = api_world.services.ledger.engine
    accounts.add_user(engine, user_id="ana", agency_id=AGENCY_A, role="legal", now=T0, password=PASSWORD)
    ana_token = accounts.create_token(engine, user_id="ana", name="desk", now=T0).secret
    anon = api_world.client()
    assert anon.get("/auth/me", headers=bearer(ana_token)).status_code == 200

    admin_b = api_world.client(Role.ADMIN, AGENCY_B)
    assert admin_b.post("/auth/users/ana/disable").status_code == 404  # another agency's user: unknown to B
    assert anon.get("/auth/me", headers=bearer(ana_token)).status_code == 200

    admin_a = api_world.client(Role.ADMIN, AGENCY_A)
    done = admin_a.post("/auth/users/ana/disable")
    assert done.status_code == 200, done.text
    assert done.json()["disabled_at"] is not None
    assert done.json()["disabled_by"] == user(AGENCY_A, Role.ADMIN)
    refused = anon.get("/auth/me", headers=bearer(ana_token))
    assert refused.status_code == 401
    assert refused.json()["type"] == "urn:habeas:problem:invalid-token"
    login = anon.post("/auth/token", json={"user_id": "ana", "password": PASSWORD})
    assert login.status_code == 401
    # Her tokens are revoked with her, so none comes back to life.
    assert {t["state"] for t in items(admin_a.get("/auth/tokens", params={"user_id": "ana"}))} == {"revoked"}
    listed = {u["user_id"]: u for u in items(admin_a.get("/auth/users", params={"limit": 500}))}
    assert listed["ana"]["disabled_at"] == done.json()["disabled_at"]


def test_a_coordinator_cannot_disable_anyone_and_an_admin_not_themselves(api_world: ApiWorld) -> None:
    target = user(AGENCY_A, Role.LEGAL)
    r = api_world.client(Role.COORDINATOR).post(f"/auth/users/{target}/disable")
    assert r.status_code == 403
    admin = api_world.client(Role.ADMIN)
    own = admin.post(f"/auth/users/{user(AGENCY_A, Role.ADMIN)}/disable")
    assert own.status_code == 409
    assert "own account" in own.json()["detail"]
    assert admin.get("/auth/me").status_code == 200
    assert api_world.client(Role.LEGAL).get("/auth/me").status_code == 200


# -- logins locked per account ---------------------------------------------------------------------------------


class ManualClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def test_failed_logins_lock_the_account_with_back_off_across_addresses(api_world: ApiWorld) -> None:
    accounts.add_user(
        api_world.services.ledger.engine, user_id="ana", agency_id=AGENCY_A, role="legal", now=T0, password=PASSWORD
    )
    clock = ManualClock(datetime(2025, 3, 20, 9, 0, tzinfo=UTC))
    # Two apps over one database: two workers of one server, each with its own memory.
    worker_1 = create_app(api_world.services, clock=clock, rate_limit=(1000, 1000.0))
    worker_2 = create_app(api_world.services, clock=clock, rate_limit=(1000, 1000.0))
    wrong = {"user_id": "ana", "password": "wrong horse battery"}
    right = {"user_id": "ana", "password": PASSWORD}
    with in_process(worker_1, address="192.0.2.1") as one, in_process(worker_2, address="198.51.100.2") as two:
        # Five wrong guesses from five addresses (each under its address's own limit), through both workers.
        for i in range(5):
            with in_process(worker_1 if i % 2 else worker_2, address=f"203.0.113.{i + 1}") as guesser:
                assert guesser.post("/auth/token", json=wrong).status_code == 401
        # Now locked for 1 s: the right password from a new address and the other worker is refused too.
        locked = two.post("/auth/token", json=right)
        assert locked.status_code == 429, locked.text
        assert locked.headers["content-type"] == "application/problem+json"
        assert locked.json()["type"] == "urn:habeas:problem:login-locked"
        assert locked.headers["retry-after"] == "1"
        clock.now += timedelta(seconds=1)
        assert one.post("/auth/token", json=wrong).status_code == 401  # the sixth failure: locked for 2 s
        assert one.post("/auth/token", json=right).status_code == 429
        clock.now += timedelta(seconds=1)
        r = two.post("/auth/token", json=right)
        assert (r.status_code, r.headers["retry-after"]) == (429, "1")
        clock.now += timedelta(seconds=1)
        # The lock has run out: the right password logs in and forgets the failures.
        assert two.post("/auth/token", json=right).status_code == 201
        for _ in range(4):
            assert one.post("/auth/token", json=wrong).status_code == 401
        assert one.post("/auth/token", json=right).status_code == 201


def test_the_back_off_doubles_to_a_cap_of_15_minutes(api_world: ApiWorld) -> None:
    clock = ManualClock(datetime(2025, 3, 20, 9, 0, tzinfo=UTC))
    app = create_app(api_world.services, clock=clock, rate_limit=(1000, 1000.0))
    # An account that does not exist is locked the same way: the 429 tells nobody which ids are real.
    guess = {"user_id": "nobody", "password": "wrong horse battery"}
    waits = []
    with in_process(app) as client:
        for _ in range(16):
            r = client.post("/auth/token", json=guess)
            while r.status_code == 429:
                waits.append(int(r.headers["retry-after"]))
                clock.now += timedelta(seconds=waits[-1])
                r = client.post("/auth/token", json=guess)
            assert r.status_code == 401
        locked = client.post("/auth/token", json=guess)
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900]
    assert (locked.status_code, locked.headers["retry-after"]) == (429, "900")


@pytest.mark.parametrize("path", ["/auth/users", "/auth/tokens"])
def test_the_account_lists_need_a_token(api_world: ApiWorld, path: str) -> None:
    assert api_world.client().get(path).status_code == 401

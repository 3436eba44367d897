"""Idempotency-Key on writes: the same key and body replay the first answer (and write nothing again); the same
key with another body is a 409; keys are per user; two racing requests with one key write once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from habeas.domain.actors import Role
from tests.e2e.api.conftest import AGENCY_A, ApiWorld

BODY = {"person_id": "p-idem", "nationalities": ["VE"], "sex": "male"}


def test_the_same_key_and_body_replay_the_first_answer_and_append_nothing(api_world: ApiWorld) -> None:
    client = api_world.client(Role.COORDINATOR, **{"Idempotency-Key": "k-1"})
    first = client.post("/people", json=BODY)
    assert first.status_code == 201, first.text
    size = api_world.services.ledger.size()
    again = client.post("/people", json=dict(reversed(BODY.items())))  # same body, keys in another order
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert api_world.services.ledger.size() == size


def test_the_same_key_with_another_body_is_a_409_and_writes_nothing(api_world: ApiWorld) -> None:
    client = api_world.client(Role.COORDINATOR, **{"Idempotency-Key": "k-2"})
    assert client.post("/people", json=BODY).status_code == 201
    size = api_world.services.ledger.size()
    other = client.post("/people", json={**BODY, "person_id": "p-other"})
    assert other.status_code == 409
    assert other.headers["content-type"] == "application/problem+json"
    assert other.json()["type"] == "urn:habeas:problem:idempotency-key-reused"
    assert other.json()["idempotency_key"] == "k-2"
    assert api_world.services.ledger.size() == size


def test_without_a_key_a_repeat_is_a_new_request(api_world: ApiWorld) -> None:
    client = api_world.client(Role.COORDINATOR)
    assert client.post("/people", json=BODY).status_code == 201
    again = client.post("/people", json=BODY)
    assert again.status_code == 409  # the id is taken: the domain refuses, nothing replays
    assert again.json()["type"] == "urn:habeas:problem:already-exists"


def test_keys_belong_to_their_user(api_world: ApiWorld) -> None:
    a = api_world.client(Role.COORDINATOR, AGENCY_A, **{"Idempotency-Key": "shared"})
    b = api_world.client(Role.ADMIN, AGENCY_A, **{"Idempotency-Key": "shared"})
    assert a.post("/people", json=BODY).status_code == 201
    other = b.post("/people", json={**BODY, "person_id": "p-b"})
    assert other.status_code == 201, other.text
    assert other.json()["id"] == "p-b"


def test_a_refused_write_is_not_stored_so_a_corrected_retry_with_the_key_succeeds(api_world: ApiWorld) -> None:
    client = api_world.client(Role.COORDINATOR, **{"Idempotency-Key": "k-3"})
    bad = client.post("/people", json={**BODY, "nationalities": ["XX"]})
    assert bad.status_code == 422
    good = client.post("/people", json=BODY)
    assert good.status_code == 201, good.text


def test_racing_requests_with_one_key_write_once(api_world: ApiWorld) -> None:
    clients = [api_world.client(Role.COORDINATOR, **{"Idempotency-Key": "race"}) for _ in range(8)]
    size = api_world.services.ledger.size()
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda c: c.post("/people", json=BODY), clients))
    # One registration; every answer is it or its replay (never the losers' "already exists", never a 5xx).
    assert [r.status_code for r in answers] == [201] * 8, [r.text for r in answers]
    assert all(r.json() == answers[0].json() for r in answers)
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in answers) == 7
    assert api_world.services.ledger.size() == size + 1


def test_an_over_long_key_is_a_422_naming_the_header(api_world: ApiWorld) -> None:
    r = api_world.client(Role.COORDINATOR, **{"Idempotency-Key": "k" * 201}).post("/people", json=BODY)
    assert r.status_code == 422
    assert r.json()["errors"][0]["parameter"] == "Idempotency-Key"

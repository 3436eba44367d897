"""The pull feed per agency: what it shows, what it hides, and catching up after missed messages."""

from __future__ import annotations

from typing import Any

from habeas.domain import commands as c
from habeas.domain.actors import Caller, Role
from tests.e2e.api.conftest import AGENCY_A, AGENCY_B, T0, ApiWorld


def _all(client: Any, after: int = -1, limit: int = 3) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        page = client.get("/feed", params={"after": after, "limit": limit}).json()
        items += page["items"]
        if page["next_after"] == after or (page["next_after"] >= page["log_size"] - 1 and not page["items"]):
            return items
        after = page["next_after"]


def test_each_agency_sees_its_own_people_and_not_the_other_s(api_world: ApiWorld) -> None:
    run = api_world.services.execute
    run(c.RegisterPerson(person_id="p-a", occurred_at=T0, nationalities=("VE",)), api_world.actor(AGENCY_A))
    run(c.RegisterPerson(person_id="p-b", occurred_at=T0, nationalities=("SV",)), api_world.actor(AGENCY_B))
    run(c.RegisterPerson(person_id="p-a2", occurred_at=T0, nationalities=("VE",)), api_world.actor(AGENCY_A))
    feed_a = _all(api_world.client(Role.ESCORT, AGENCY_A))
    feed_b = _all(api_world.client(Role.ESCORT, AGENCY_B))
    streams_a = [e["stream"] for e in feed_a if e["type"] == "person.registered"]
    streams_b = [e["stream"] for e in feed_b if e["type"] == "person.registered"]
    assert streams_a == ["p-a", "p-a2"]
    assert streams_b == ["p-b"]
    seqs = [e["seq"] for e in feed_a]
    assert seqs == sorted(seqs)


def test_the_feed_carries_no_personal_data(api_world: ApiWorld) -> None:
    from habeas.domain.people import PersonName

    api_world.services.execute(
        c.RegisterPerson(
            person_id="p-n", occurred_at=T0, name=PersonName(given_names=("Zacarías",), surnames=("Quintero",)),
        ),
        Caller.of(api_world.actor(AGENCY_A)),
    )
    r = api_world.client(Role.COORDINATOR, AGENCY_A).get("/feed")
    assert r.status_code == 200
    assert "p-n" in r.text
    assert "Quintero" not in r.text
    assert "Zacar" not in r.text


def test_a_client_that_missed_messages_catches_up_from_its_last_seq(api_world: ApiWorld) -> None:
    run = api_world.services.execute
    client = api_world.client(Role.INTAKE, AGENCY_A)
    run(c.RegisterPerson(person_id="p-1", occurred_at=T0), api_world.actor(AGENCY_A))
    first = client.get("/feed").json()
    last = first["items"][-1]["seq"]
    # While the client is away: entries for A, and for B in between.
    for i in range(2, 6):
        run(c.RegisterPerson(person_id=f"p-{i}", occurred_at=T0), api_world.actor(AGENCY_A if i % 2 else AGENCY_B))
    caught = _all(client, after=last, limit=1)
    assert [e["stream"] for e in caught] == ["p-3", "p-5"]
    assert all(e["seq"] > last for e in caught)


def test_after_past_the_end_is_an_empty_page(api_world: ApiWorld) -> None:
    page = api_world.client(Role.AUDITOR).get("/feed", params={"after": 10_000}).json()
    assert page["items"] == []
    assert page["next_after"] == 10_000

"""Searchers are not exposed to the detaining agencies (issue 10, finding 7): over HTTP, SQLite and PostgreSQL.

A family member searches the public locator. The access log records the search under a keyed hash of their address
(the key derived from the deployment's signing key and the UTC day, so it rotates daily), never the address; and
only an oversight user (an independent auditor) reads locator searches: the auditors and admins of the agency
holding the person, and of the other agency, do not see them.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from habeas.domain import commands as c
from habeas.domain.actors import Caller, Role
from habeas.domain.custody import Authority, Custodian
from habeas.domain.people import Identifier, IdentifierKind, PersonName
from habeas.storage.access import access_log
from tests.e2e.api.conftest import AGENCY_A, AGENCY_B, ApiWorld

T0 = datetime(2025, 3, 2, 8, 0, tzinfo=UTC)
FAMILY = "203.0.113.7"  # TEST-NET-3: the searcher's address
SEARCH = {"a_number": "A-123-456-789", "country_of_birth": "SV"}


def hold_p1(api_world: ApiWorld) -> None:
    """p-1, with an A-number, held by agency A at its facility."""
    who = Caller.of(api_world.actor(AGENCY_A))
    run = api_world.services.execute
    run(c.RegisterOfficer(officer_id="o-a", agency_id=AGENCY_A, occurred_at=T0, name="o-a", role="escort",
                          public_key=bytes(range(32))), who)
    run(c.RegisterFacility(facility_id="f-1", occurred_at=T0, name="Krome SPC", country="US", facility_type="spc"),
        who)
    run(c.RegisterUnit(unit_id="u-1", facility_id="f-1", occurred_at=T0, label="Block 1",
                       floor_area_m2=Decimal("120"), declared_beds=30), who)
    run(c.RegisterPerson(person_id="p-1", occurred_at=T0, name=PersonName(given_names=("José",), surnames=("Pérez",)),
                         country_of_birth="SV", nationalities=("SV",),
                         identifiers=(Identifier(kind=IdentifierKind.A_NUMBER, value="A-123-456-789", country="US"),)),
        who)
    run(c.AdmitToCustody(person_id="p-1", occurred_at=T0 + timedelta(minutes=1), facility_id="f-1", unit_id="u-1",
                         custodian=Custodian(agency_id=AGENCY_A, officer_id="o-a"),
                         authority=Authority(agency_id=AGENCY_A, legal_basis="ina_241")), who)


def access_rows(api_world: ApiWorld, role: Role, agency: str, **params: str) -> list[dict[str, str]]:
    r = api_world.client(role, agency).get("/access-log", params={"limit": "200", **params})
    assert r.status_code == 200, r.text
    rows: list[dict[str, str]] = r.json()["items"]
    return rows


def test_a_locator_search_is_read_by_oversight_only_and_holds_no_address(api_world: ApiWorld) -> None:
    hold_p1(api_world)
    found = api_world.client(address=FAMILY).get("/public/locator", params=SEARCH)
    assert found.status_code == 200, found.text
    assert len(found.json()["matches"]) == 1
    # For contrast, an agency read of the same person, which its own auditors must keep seeing.
    assert api_world.client(Role.COORDINATOR, AGENCY_A).get("/people/p-1").status_code == 200

    for agency in (AGENCY_A, AGENCY_B):
        for role in (Role.AUDITOR, Role.ADMIN):
            for params in ({}, {"person_id": "p-1"}):
                rows = access_rows(api_world, role, agency, **params)
                searches = [r for r in rows if r["action"] == "locate" or r["agency_id"] == "public"]
                assert searches == [], (agency, role, params)
    assert [(r["user_id"], r["subject_id"]) for r in access_rows(api_world, Role.AUDITOR, AGENCY_A)] == [
        (f"{AGENCY_A}-coordinator", "p-1")
    ]

    for agency in (AGENCY_A, AGENCY_B):
        rows = access_rows(api_world, Role.OVERSIGHT, agency)
        [search] = [r for r in rows if r["action"] == "locate"]
        assert search["agency_id"] == "public"
        assert search["subject_id"] == "p-1"
        assert re.fullmatch(r"public:[0-9a-f]{32}", search["user_id"]), search["user_id"]
        assert (f"{AGENCY_A}-coordinator", "p-1") in [(r["user_id"], r["subject_id"]) for r in rows]

    # Nowhere in the access log is the address in the clear.
    with api_world.services.ledger.engine.connect() as conn:
        stored = [tuple(r) for r in conn.execute(select(access_log))]
    assert stored
    assert FAMILY not in repr(stored)


def test_an_oversight_user_reads_no_personal_data(api_world: ApiWorld) -> None:
    hold_p1(api_world)
    r = api_world.client(Role.OVERSIGHT, AGENCY_A).get("/people/p-1")
    assert r.status_code == 403, r.text


def test_the_searchers_pseudonym_is_stable_for_a_day_and_rotates_the_next(api_world: ApiWorld) -> None:
    services = api_world.services
    morning, evening = datetime(2025, 3, 2, 0, 5, tzinfo=UTC), datetime(2025, 3, 2, 23, 55, tzinfo=UTC)
    same_day = services.public_searcher(FAMILY, morning)
    assert services.public_searcher(FAMILY, evening) == same_day
    assert services.public_searcher("203.0.113.8", morning) != same_day
    assert services.public_searcher(FAMILY, morning + timedelta(days=1)) != same_day
    assert FAMILY not in same_day

"""Client addresses (issue 10, finding 5) against `habeas serve`, on SQLite and PostgreSQL: a forged
X-Forwarded-For neither bypasses the per-address rate limits (the locator's and the login's) nor reaches the
access log, unless the connection comes from a proxy named with `--trusted-proxy`; then the address that proxy
forwarded is the client's.

A real process on purpose (tests/e2e/api/server.py): the forwarded headers are read where uvicorn meets the app,
so only the command an operator runs, serving real HTTP on a real loopback connection, shows what they do.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import httpx
from sqlalchemy import select

from habeas.bootstrap import init, open_services
from habeas.domain import commands as c
from habeas.domain.custody import Authority, Custodian
from habeas.domain.people import Identifier, IdentifierKind
from habeas.services.door import Services
from habeas.storage.access import access_log
from tests.conftest import Db
from tests.e2e.api.server import free_port, wait_until_serving
from tests.e2e.cli import TERMINAL, habeas, one_line_error

T0 = datetime(2025, 3, 2, 8, 0, tzinfo=UTC)
LOCATOR = "/public/locator"
FOUND = {"a_number": "A123456789", "country_of_birth": "SV"}
BURST = 3


def _seed(db: Db) -> Services:
    """One person held, so that each locator search that finds them writes an access-log row."""
    init(db.settings, "test.habeas/log", schema=db.schema)
    services = open_services(db.settings, schema=db.schema)
    for cmd in (
        c.RegisterAgency(agency_id="ag-a", occurred_at=T0, name="Agency A", country="US", kind="police"),
        c.RegisterOfficer(officer_id="o-a", agency_id="ag-a", occurred_at=T0, name="o-a", role="escort",
                          public_key=bytes(range(32))),
        c.RegisterFacility(facility_id="f-1", occurred_at=T0, name="Krome SPC", country="US", facility_type="spc"),
        c.RegisterUnit(unit_id="u-1", facility_id="f-1", occurred_at=T0, label="Block 1",
                       floor_area_m2=Decimal("120"), declared_beds=30),
        c.RegisterPerson(person_id="p-1", occurred_at=T0, country_of_birth="SV", nationalities=("SV",),
                         identifiers=(Identifier(kind=IdentifierKind.A_NUMBER, value="A-123-456-789", country="US"),)),
        c.AdmitToCustody(person_id="p-1", occurred_at=T0, facility_id="f-1", unit_id="u-1",
                         custodian=Custodian(agency_id="ag-a", officer_id="o-a"),
                         authority=Authority(agency_id="ag-a", legal_basis="ina_241")),
    ):
        services.execute(cmd)  # as the deployment's operator, as `habeas` on the command line
    return services


@contextmanager
def habeas_serve(db: Db, *options: str) -> Iterator[httpx.Client]:
    """`habeas serve OPTIONS` as a subprocess on a free loopback port, with the per-address limits at BURST."""
    port = free_port()
    env = {**db.env(), **TERMINAL, "HABEAS_LOCATOR_RATE": f"{BURST}/0.001"}
    env.pop("HABEAS_TRUSTED_PROXIES", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "habeas", "serve", "--port", str(port), "--log-level", "warning", *options,
         # The test's PostgreSQL user owns its schema; serving as a runtime role is test_privileges' subject.
         *(["--allow-owner"] if db.kind == "postgres" else [])],
        cwd=db.settings.key_path.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(base, server)
        with httpx.Client(base_url=base, timeout=30) as client:
            yield client
    finally:
        server.terminate()
        server.communicate(timeout=30)


def _searchers(services: Services) -> list[str]:
    """Who each locator search that found someone is recorded as, in order."""
    with services.ledger.engine.connect() as conn:
        query = select(access_log.c.user_id).where(access_log.c.action == "locate").order_by(access_log.c.id)
        return list(conn.execute(query).scalars())


def forged(i: int) -> dict[str, str]:
    return {"X-Forwarded-For": f"198.51.100.{i}"}


def test_a_forged_forwarded_for_from_loopback_is_not_believed(db: Db) -> None:
    services = _seed(db)
    try:
        with habeas_serve(db) as client:
            searches = [client.get(LOCATOR, params=FOUND, headers=forged(i)).status_code for i in range(BURST + 1)]
            guess = {"user_id": "ana", "password": "a wrong password"}
            logins = [client.post("/auth/token", json=guess, headers=forged(i)).status_code for i in range(BURST + 1)]
        # One client, one bucket, whatever address it claims.
        assert searches == [200] * BURST + [429]
        assert logins == [401] * BURST + [429]
        recorded = _searchers(services)
        assert len(recorded) == BURST
        assert len(set(recorded)) == 1, recorded
        assert not any("198.51.100" in who for who in recorded), recorded
    finally:
        services.close()


def test_from_a_trusted_proxy_the_forwarded_address_is_the_client(db: Db) -> None:
    services = _seed(db)
    try:
        with habeas_serve(db, "--trusted-proxy", "127.0.0.1") as client:
            first = [client.get(LOCATOR, params=FOUND, headers=forged(1)).status_code for _ in range(BURST + 1)]
            # An address the client wrote itself, left of the one the proxy appended, changes nothing.
            chained = client.get(LOCATOR, params=FOUND, headers={"X-Forwarded-For": "192.0.2.66, 198.51.100.1"})
            # Another forwarded address is another client, with a bucket of its own.
            second = client.get(LOCATOR, params=FOUND, headers=forged(2))
        assert first == [200] * BURST + [429]
        assert chained.status_code == 429
        assert second.status_code == 200
        recorded = _searchers(services)
        assert len(recorded) == BURST + 1
        assert len(set(recorded[:BURST])) == 1
        assert recorded[BURST] != recorded[0]
    finally:
        services.close()


def test_a_trusted_proxy_that_is_not_an_address_stops_serve_in_one_line(tmp_path: Path) -> None:
    proc = habeas("serve", "--port", str(free_port()), "--trusted-proxy", "proxy.example", cwd=tmp_path, check=False)
    one_line_error(proc, r"--trusted-proxy 'proxy.example'.*address")
    env = habeas("serve", "--port", str(free_port()), cwd=tmp_path, check=False,
                 env={"HABEAS_TRUSTED_PROXIES": "10.0.0.0/8, nonsense"})
    one_line_error(env, r"HABEAS_TRUSTED_PROXIES.*'nonsense'")

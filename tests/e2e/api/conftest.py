"""The API world: a ledger on SQLite or PostgreSQL, two agencies, a user and token per role in each, and the
app they are served by, reached in-process (tests/e2e/api/server.py says how, and which tests use a real
server)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from fastapi import FastAPI

from habeas.api.app import create_app
from habeas.domain.actors import Caller, Role
from habeas.domain.commands import RegisterAgency
from habeas.services import accounts
from habeas.services.door import Services
from tests.e2e.api.server import LOOPBACK, in_process_client

AGENCY_A, AGENCY_B = "ag-a", "ag-b"
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@dataclass
class ApiWorld:
    services: Services
    app: FastAPI
    portal: BlockingPortal  # the event-loop thread the in-process clients run the app on
    tokens: dict[tuple[str, Role], str] = field(default_factory=dict)
    clients: list[httpx.Client] = field(default_factory=list)

    def client(
        self, role: Role | None = None, agency: str = AGENCY_A, *, address: str = LOOPBACK, **headers: str
    ) -> httpx.Client:
        """An HTTP client as a user of ``agency`` with ``role``, or anonymous with ``role=None``; the app sees it
        connect from ``address``. In-process: no server, no socket."""
        hdrs = dict(headers)
        if role is not None:
            hdrs["Authorization"] = f"Bearer {self.tokens[(agency, role)]}"
        c = in_process_client(self.app, self.portal, address=address, headers=hdrs)
        self.clients.append(c)
        return c

    def actor(self, agency: str = AGENCY_A, role: Role = Role.ADMIN) -> Caller:
        """The ledger actor of that user, for arranging records directly through the services."""
        user = f"{agency}-{role.value}"
        return Caller(agency=agency, officer=user, role=role, user_id=user)


@pytest.fixture
def api_world(make_services: Callable[[], Services]) -> Iterator[ApiWorld]:
    services = make_services()
    for agency, country in ((AGENCY_A, "US"), (AGENCY_B, "SV")):
        services.execute(
            RegisterAgency(agency_id=agency, occurred_at=T0, name=f"Agency {agency}", country=country, kind="police")
        )
    engine = services.ledger.engine
    tokens: dict[tuple[str, Role], str] = {}
    for agency in (AGENCY_A, AGENCY_B):
        for role in Role:
            user = f"{agency}-{role.value}"
            accounts.add_user(engine, user_id=user, agency_id=agency, role=role.value, now=T0)
            tokens[(agency, role)] = accounts.create_token(engine, user_id=user, name="test", now=T0).secret
    # A new app for each test, as each test has its own database: nothing is shared between tests.
    app = create_app(services, rate_limit=(1000, 1000.0))
    with start_blocking_portal() as portal:
        world = ApiWorld(services=services, app=app, portal=portal, tokens=tokens)
        yield world
        for c in world.clients:
            c.close()

"""The HTTP API: one FastAPI application per ledger, built by :func:`create_app` (nothing at import time)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from habeas import __version__
from habeas.api import (
    problems,
    routes_accounts,
    routes_agreements,
    routes_auth,
    routes_bulk,
    routes_custody,
    routes_feed,
    routes_handoffs,
    routes_legal,
    routes_log,
    routes_manifests,
    routes_operation,
    routes_people,
    routes_public,
    routes_reference,
)
from habeas.api.client_address import TrustedProxies
from habeas.api.context import ApiState
from habeas.services.door import Services

DESCRIPTION = """\
The custody ledger over HTTP. Every write is one command recorded in the verifiable log; every error is an
RFC 9457 problem (`application/problem+json`). Authenticate with `Authorization: Bearer <token>`
(`habeas token create`, or `POST /auth/token` with a password); the public locator and the public log need
no login. Writes accept an `Idempotency-Key` header; lists are paginated with `limit` and `cursor`.
"""

ROUTERS = (
    routes_public, routes_log, routes_auth, routes_accounts, routes_people, routes_legal, routes_custody,
    routes_reference, routes_manifests, routes_agreements, routes_operation, routes_handoffs, routes_feed,
    routes_bulk,
)


def create_app(services: Services, *, clock: Callable[[], datetime] | None = None, **extras: Any) -> FastAPI:
    """An application serving ``services``' ledger; ``extras`` tune helpers (``rate_limit=(burst, per_s)``)."""
    app = FastAPI(
        title="habeas", version=__version__, description=DESCRIPTION,
        responses=problems.PROBLEM_RESPONSES, dependencies=[Depends(problems.require_json)],
    )
    app.state.habeas = ApiState(services=services, clock=clock or services.clock, extras=dict(extras))
    problems.install(app)

    @app.get("/healthz", tags=["public"], response_model=Health)
    def healthz() -> Health:
        """Liveness, with no database work (the benchmarks' measure of the HTTP stack's own limit), and the
        policy pack this deployment's gates run: its name and the SHA-256 every gate result records."""
        pack = services.policy
        return Health(status="ok", policy_pack=pack.name, policy_pack_sha256=pack.sha256)

    for module in ROUTERS:
        app.include_router(module.router)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, with every 4xx answer declared as what it is: a problem in application/problem+json
    (FastAPI would say application/json, and describe its own 422 body, which the envelope replaces)."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    doc = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes,
    )
    problem = {"schema": {"$ref": "#/components/schemas/Problem"}}
    for item in doc.get("paths", {}).values():
        for operation in item.values():
            for status, response in operation.get("responses", {}).items():
                if status.startswith("4"):
                    response["content"] = {problems.PROBLEM_JSON: problem}
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    app.openapi_schema = doc
    return doc


class Health(BaseModel):
    status: str
    policy_pack: str
    policy_pack_sha256: str


def app_from_env() -> FastAPI:
    """For ``uvicorn --factory habeas.api.app:app_from_env``: the ledger named by HABEAS_DATABASE_URL and
    HABEAS_SIGNING_KEY (what ``habeas serve`` sets for its workers), trusting X-Forwarded-For from the proxies
    in HABEAS_TRUSTED_PROXIES only. Run uvicorn itself with ``--no-proxy-headers``: its default believes the
    header from 127.0.0.1 before the app sees the request (``habeas serve`` turns it off)."""
    from habeas.bootstrap import Settings, open_services

    trusted = TrustedProxies.from_environment()  # a bad setting stops the start, not every request
    return create_app(open_services(Settings.resolve()), trusted_proxies=trusted)

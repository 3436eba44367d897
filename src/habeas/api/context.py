"""What every route gets: the caller (authenticated, authorised, scoped) and the way to read and write.

Routes declare what they need with one dependency:

- ``require(Permission.X)``: a logged-in user whose role has X (401 without a token, 403 with the wrong role);
- ``person_scope(Permission.X)`` (and ``manifest_scope``, ``handoff_scope``, ``incident_scope``): the same, and
  the ``{person_id}`` of the path must be in the caller's agency's view, else 404 (the same answer as an unknown
  id, so scope does not reveal who exists). With ``Permission.PEOPLE_READ`` the read is written to the access log.

Writes go through :meth:`Caller.execute`, which honours ``Idempotency-Key``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Concatenate, ParamSpec, TypeVar

from fastapi import Depends, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from habeas.api.problems import ApiProblem, is_conflict
from habeas.domain.commands import Command
from habeas.domain.errors import HabeasError
from habeas.services import access, accounts, idempotency, permissions
from habeas.services.access import HANDOFF, INCIDENT, MANIFEST, PERSON
from habeas.services.accounts import Principal
from habeas.services.door import Services
from habeas.services.permissions import Permission
from habeas.services.unit_of_work import Result

T = TypeVar("T")
P = ParamSpec("P")
IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_KEY = 200


@dataclass
class ApiState:
    """Held on ``app.state.habeas``: built once by :func:`habeas.api.app.create_app`, never at import time."""

    services: Services
    clock: Callable[[], datetime]
    extras: dict[str, Any] = field(default_factory=dict)  # per-app helpers (the locator's rate limiter...)


def state_of(request: Request) -> ApiState:
    st: ApiState = request.app.state.habeas
    return st


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiProblem(
            401, "unauthenticated", "Authentication required", "send 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return token.strip()


def authenticate(request: Request) -> Principal:
    st = state_of(request)
    token = _bearer(request)
    if token is None:
        raise ApiProblem(
            401, "unauthenticated", "Authentication required",
            "this endpoint needs a token: create one with `habeas token create` or POST /auth/token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    principal = st.services.read(accounts.authenticate_token, token, st.clock())
    if principal is None:
        raise ApiProblem(
            401, "invalid-token", "Authentication required", "the token is unknown or has expired",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    return principal


@dataclass
class Caller:
    principal: Principal
    state: ApiState
    request: Request
    body: bytes = b""

    @property
    def services(self) -> Services:
        return self.state.services

    @property
    def agency_id(self) -> str:
        return self.principal.agency_id

    def now(self) -> datetime:
        return self.state.clock()

    def read(self, query: Callable[Concatenate[Any, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a services query on a read connection of its own (the door's ``read``)."""
        return self.services.read(query, *args, **kwargs)

    # -- scope ----------------------------------------------------------------------------------------------

    def visible(self, kind: str, subject_ids: Iterable[str]) -> set[str]:
        """Which of the subjects the caller's agency sees."""
        return self.services.read(access.visible, self.principal.caller, kind, list(subject_ids))

    def require_visible(self, kind: str, subject_ids: Iterable[str]) -> None:
        """Refuse (404, as for an unknown id) if any subject is outside the caller's agency's view."""
        self.services.read(access.require_visible, self.principal.caller, kind, list(subject_ids))

    def log_reads(self, subject_ids: Iterable[str], *, kind: str = PERSON, action: str = "read") -> None:
        """Write who read whose personal data, now, through which request (append-only access log)."""
        ids = list(dict.fromkeys(subject_ids))
        if not ids:
            return
        request = f"{self.request.method} {self.request.url.path}"
        p, now = self.principal, self.now()
        self.services.record_reads([
            access.Read(user_id=p.user_id, agency_id=p.agency_id, action=action, subject_kind=kind, subject_id=sid,
                        request=request, at=now)
            for sid in ids
        ])

    # -- writes ---------------------------------------------------------------------------------------------

    def execute(self, cmd: Command, *, respond: Callable[[Result], Any], status: int = 201) -> JSONResponse:
        """Record one command as this caller; the answer is ``respond(result)`` as JSON.

        With an ``Idempotency-Key``, the first answer is stored in the command's own transaction; the same key
        with the same method, path and body replays it, the same key with anything else is a 409.
        """
        key = self.request.headers.get(IDEMPOTENCY_HEADER)
        who = self.principal.caller
        if key is None:
            result = self.services.execute(cmd, who)
            return JSONResponse(jsonable_encoder(respond(result)), status_code=status)
        if not 0 < len(key) <= MAX_KEY:
            raise ApiProblem(
                422, "invalid-input", "Invalid input", f"{IDEMPOTENCY_HEADER}: 1 to {MAX_KEY} characters",
                errors=[{"detail": "1 to 200 characters", "parameter": IDEMPOTENCY_HEADER}],
            )
        fingerprint = idempotency.fingerprint(
            self.request.method, f"{self.request.url.path}?{self.request.url.query}", self.body
        )
        replay = self._replay(key, fingerprint)
        if replay is not None:
            return replay
        answer: dict[str, Any] = {}

        def store(tx: Any, result: Result) -> None:
            answer["body"] = jsonable_encoder(respond(result))
            idempotency.store(
                tx, user_id=self.principal.user_id, key=key, fingerprint=fingerprint, status=status,
                body=answer["body"], now=self.now(),
            )

        try:
            self.services.execute(cmd, who, after=store)
        except HabeasError as e:
            # The same request raced in under the same key and committed first (this one then finds the record
            # it makes already there, or the key taken): answer as the first did. Otherwise it is a refusal.
            if not is_conflict(e):
                raise
            replay = self._replay(key, fingerprint)
            if replay is None:
                raise
            return replay
        return JSONResponse(answer["body"], status_code=status)

    def _replay(self, key: str, fingerprint: str) -> JSONResponse | None:
        stored = self.services.read(idempotency.replay, self.principal.user_id, key)
        if stored is None:
            return None
        if stored.fingerprint != fingerprint:
            raise ApiProblem(
                409, "idempotency-key-reused", "Conflict",
                f"{IDEMPOTENCY_HEADER} {key!r} was used for a different request; use a new key",
                idempotency_key=key,
            )
        return JSONResponse(stored.body, status_code=stored.status, headers={"Idempotent-Replayed": "true"})


def _forbid(principal: Principal, permission: Permission) -> None:
    if not permissions.allowed(principal.role, permission):
        raise ApiProblem(
            403, "forbidden", "Forbidden",
            f"role {principal.role.value} may not {permission.value}",
            permission=permission.value, role=principal.role.value,
        )


@dataclass(frozen=True)
class Guard:
    """What a route's dependency demands: read by the authorisation matrix test to know what to expect."""

    permission: Permission
    scope_kind: str | None = None  # the path parameter's subject kind, when the route is scoped
    scope_param: str | None = None


GUARDS: dict[Callable[..., Any], Guard] = {}


async def _raw_body(request: Request) -> bytes:
    """The request body, read on the event loop (the only part of a guard that must be async)."""
    return b"" if request.method in ("GET", "HEAD") else await request.body()


def require(permission: Permission) -> Callable[..., Caller]:
    """Dependency: an authenticated caller whose role grants ``permission``.

    Synchronous on purpose: FastAPI runs it in the thread pool, so the token lookup (and the scope check and
    access-log write of the scoped guards) never block the event loop.
    """

    def dependency(request: Request, body: Annotated[bytes, Depends(_raw_body)]) -> Caller:
        principal = authenticate(request)
        _forbid(principal, permission)
        return Caller(principal=principal, state=state_of(request), request=request, body=body)

    GUARDS[dependency] = Guard(permission)
    return dependency


def _scoped(kind: str, param: str) -> Callable[[Permission], Callable[..., Caller]]:
    def factory(permission: Permission) -> Callable[..., Caller]:
        base = require(permission)

        # A default, not Annotated: with postponed annotations FastAPI could not resolve the local ``base``.
        def dependency(request: Request, caller: Caller = Depends(base)) -> Caller:  # noqa: B008
            subject = request.path_params.get(param)
            if subject is None:  # a programming error in the route, not the caller's
                raise RuntimeError(f"route {request.url.path} has no {{{param}}} parameter")
            caller.require_visible(kind, [subject])
            if kind == PERSON and permission is Permission.PEOPLE_READ:
                caller.log_reads([subject])
            return caller

        GUARDS[dependency] = Guard(permission, kind, param)
        return dependency

    return factory


person_scope = _scoped(PERSON, "person_id")
manifest_scope = _scoped(MANIFEST, "manifest_id")
handoff_scope = _scoped(HANDOFF, "receipt_id")
incident_scope = _scoped(INCIDENT, "incident_id")

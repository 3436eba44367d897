"""Logging in, who am I, and the read-access log."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from habeas.api.context import Caller, require, state_of
from habeas.api.models import RequestModel
from habeas.api.pagination import Cursor, Limit, Page, decode_cursor, encode_cursor
from habeas.api.problems import ApiProblem
from habeas.api.ratelimit import per_client
from habeas.domain.values import MAX_BIGINT
from habeas.services import access, permissions
from habeas.services.logins import LoginLocked
from habeas.services.permissions import Permission

router = APIRouter(tags=["auth"])
SESSION = timedelta(hours=12)


class Login(RequestModel):
    user_id: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1000)


class TokenOut(BaseModel):
    token: str  # shown once
    token_id: str
    expires_at: str | None


class Me(BaseModel):
    user_id: str
    agency_id: str
    role: str
    officer_id: str | None
    permissions: list[str]


@router.post(
    "/auth/token", response_model=TokenOut, status_code=201,
    dependencies=[Depends(per_client("login", "logging in"))],
)
def login(body: Login, request: Request) -> TokenOut:
    """Exchange a user's password for a bearer token valid 12 hours. Rate-limited per client, as the locator,
    and per account: after 5 failed logins for one user id, from any address, it is locked for 1 s, doubling with
    each further failure up to 15 minutes (429 with Retry-After, whatever the password); a success resets it."""
    st = state_of(request)
    try:
        principal = st.services.login(user_id=body.user_id, password=body.password, now=st.clock())
    except LoginLocked as e:
        raise ApiProblem(
            429, "login-locked", "Too many requests", str(e),
            headers={"Retry-After": str(e.retry_after)}, retry_after=e.retry_after,
        ) from e
    if principal is None:
        # One answer for an unknown user and a wrong password: which one it was is not the caller's to learn.
        raise ApiProblem(401, "invalid-credentials", "Authentication required", "unknown user or wrong password")
    issued = st.services.issue_token(user_id=principal.user_id, name="login", now=st.clock(), valid_for=SESSION)
    return TokenOut(token=issued.secret, token_id=issued.token_id, expires_at=issued.expires_at)


@router.get("/auth/me", response_model=Me)
def me(caller: Annotated[Caller, Depends(require(Permission.READ))]) -> Me:
    p = caller.principal
    return Me(
        user_id=p.user_id, agency_id=p.agency_id, role=p.role.value, officer_id=p.officer_id,
        permissions=sorted(perm.value for perm in Permission if permissions.allowed(p.role, perm)),
    )


class AccessRow(BaseModel):
    id: int
    at: str
    user_id: str
    agency_id: str
    action: str
    subject_kind: str
    subject_id: str
    request: str


@router.get("/access-log", response_model=Page[AccessRow])
def access_log_list(
    caller: Annotated[Caller, Depends(require(Permission.ACCESS_LOG_READ))],
    person_id: Annotated[str | None, Query(max_length=100)] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[AccessRow]:
    """Who read whose personal data and when (append-only, chained, committed to by the ledger). An agency's
    auditor or admin reads its own users' reads and other agencies' reads of people it sees; only oversight reads
    the public locator's searches (each searcher named by a keyed hash of their address, rotated daily)."""
    after = -1
    if cursor is not None:
        text = decode_cursor(cursor)
        if not text.isdigit() or int(text) > MAX_BIGINT:  # a row id is a BIGINT: a larger one is not ours
            raise ApiProblem(422, "invalid-input", "Invalid input", "cursor: not a cursor this API gave out")
        after = int(text)
    found = caller.read(access.access_entries, caller.principal.caller, person_id=person_id, after=after, limit=limit)
    rows = [AccessRow.model_validate(r, from_attributes=True) for r in found]
    page, more = rows[:limit], len(rows) > limit
    return Page[AccessRow](items=page, next_cursor=encode_cursor(str(page[-1].id)) if more else None)

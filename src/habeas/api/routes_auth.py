"""Logging in, who am I, and the read-access log."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from habeas.api.context import Caller, require, state_of
from habeas.api.pagination import Cursor, Limit, Page, decode_cursor, encode_cursor
from habeas.api.problems import ApiProblem
from habeas.api.ratelimit import per_client
from habeas.services import access, accounts, permissions
from habeas.services.permissions import Permission

router = APIRouter(tags=["auth"])
SESSION = timedelta(hours=12)


class Login(BaseModel):
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
    """Exchange a user's password for a bearer token valid 12 hours (rate-limited per client, as the locator,
    so passwords cannot be guessed at speed)."""
    st = state_of(request)
    principal = st.services.read(accounts.authenticate_password, body.user_id, body.password)
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
    """Who read whose personal data and when (append-only), for the caller's agency."""
    after = -1
    if cursor is not None:
        text = decode_cursor(cursor)
        if not text.isdigit():
            raise ApiProblem(422, "invalid-input", "Invalid input", "cursor: not a cursor this API gave out")
        after = int(text)
    found = caller.read(access.access_entries, caller.principal.caller, person_id=person_id, after=after, limit=limit)
    rows = [AccessRow.model_validate(r, from_attributes=True) for r in found]
    page, more = rows[:limit], len(rows) > limit
    return Page[AccessRow](items=page, next_cursor=encode_cursor(str(page[-1].id)) if more else None)

"""Users and tokens over HTTP: an admin lists and disables the users of their own agency and lists and revokes
their tokens; every user lists and revokes their own tokens. A user or token of another agency (or, for a user
who is not an admin, anyone else's) answers 404, as an unknown id would. The command line does the same for
every agency (`habeas user list|disable`, `habeas token list|revoke`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel

from habeas.api.context import Caller, require
from habeas.api.pagination import Cursor, Limit, Page, paginate
from habeas.domain.errors import UnknownRecord
from habeas.services import permissions
from habeas.services.accounts import TokenInfo, UserInfo
from habeas.services.permissions import Permission

router = APIRouter(tags=["auth"])

UserId = Annotated[str, Path(max_length=100)]
TokenId = Annotated[str, Path(max_length=40)]


class UserRow(BaseModel):
    user_id: str
    agency_id: str
    role: str
    officer_id: str | None
    created_at: str
    disabled_at: str | None
    disabled_by: str | None


class TokenRow(BaseModel):
    token_id: str
    user_id: str
    agency_id: str
    name: str
    created_at: str
    expires_at: str
    revoked_at: str | None
    revoked_by: str | None
    state: str  # active, expired or revoked


def _user_row(u: UserInfo) -> UserRow:
    return UserRow.model_validate(u, from_attributes=True)


def _token_row(t: TokenInfo) -> TokenRow:
    return TokenRow.model_validate(t, from_attributes=True)


def _scope(caller: Caller) -> dict[str, str]:
    """Whose tokens the caller may see and revoke: their agency's users' (an admin), else their own."""
    p = caller.principal
    if permissions.allowed(p.role, Permission.ACCOUNTS_ADMIN):
        return {"agency_id": p.agency_id}
    return {"agency_id": p.agency_id, "user_id": p.user_id}


@router.get("/auth/users", response_model=Page[UserRow])
def users_list(
    caller: Annotated[Caller, Depends(require(Permission.ACCOUNTS_ADMIN))], limit: Limit = 50, cursor: Cursor = None
) -> Page[UserRow]:
    """The users of the caller's agency, in user id order, with when and by whom each was disabled."""
    found = caller.services.list_users(agency_id=caller.agency_id)
    return paginate([_user_row(u) for u in found], key=lambda u: u.user_id, limit=limit, cursor=cursor)


@router.post("/auth/users/{user_id}/disable", response_model=UserRow)
def user_disable(
    user_id: UserId, caller: Annotated[Caller, Depends(require(Permission.ACCOUNTS_ADMIN))]
) -> UserRow:
    """Disable a user of the caller's agency and revoke their tokens: their next request is refused (401), and
    so is their password. Disabling a disabled user changes nothing; an admin may not disable themselves."""
    done = caller.services.disable_user(
        user_id=user_id, now=caller.now(), by=caller.principal.user_id, agency_id=caller.agency_id
    )
    return _user_row(done)


@router.get("/auth/tokens", response_model=Page[TokenRow])
def tokens_list(
    caller: Annotated[Caller, Depends(require(Permission.READ))],
    user_id: Annotated[str | None, Query(max_length=100, description="only this user's tokens")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[TokenRow]:
    """Tokens, oldest first, never their secrets: an admin's agency's, anyone else's own. Each with its state
    (active, expired, revoked) and its expiry."""
    scope = _scope(caller)
    if user_id is not None:
        if scope.get("user_id", user_id) != user_id:
            raise UnknownRecord("user", user_id)  # someone else's, to a user who is not an admin
        scope["user_id"] = user_id
    found = caller.services.list_tokens(now=caller.now(), **scope)
    return paginate(
        [_token_row(t) for t in found], key=lambda t: f"{t.created_at} {t.token_id}", limit=limit, cursor=cursor
    )


@router.delete("/auth/tokens/{token_id}", response_model=TokenRow)
def token_revoke(token_id: TokenId, caller: Annotated[Caller, Depends(require(Permission.READ))]) -> TokenRow:
    """Revoke a token (one's own; an admin, any of their agency's users'): refused from its next request on.
    Revoking a revoked token changes nothing."""
    done = caller.services.revoke_token(token_id=token_id, now=caller.now(), by=caller.principal.user_id,
                                        **_scope(caller))
    return _token_row(done)

"""Users and API tokens: who a request comes from, and who no longer may.

Users and tokens live beside the ledger, not in it (see storage/access.py): credentials are not custody facts.
Every user belongs to one agency and has one role; passwords are kept as argon2id hashes, tokens as SHA-256 of
a 256-bit secret shown once. Every token expires (30 days unless asked otherwise, a year at most); a revoked token
or a disabled user's is refused from the next request on. A disabled user is kept, not deleted: the ledger and
the access log name them. Failed password logins lock an account out: services/logins.py.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Engine, and_, select, update
from sqlalchemy.exc import IntegrityError

from habeas.domain.actors import Actor, Caller, Role
from habeas.domain.errors import AlreadyExists, DomainError, InvalidField, Refused, UnknownRecord
from habeas.domain.values import format_utc, parse_utc, require_id
from habeas.storage.access import api_token, api_user
from habeas.storage.engine import begin
from habeas.storage.projections.schema import record

TOKEN_PREFIX = "hbs_"  # noqa: S105 - a marker that makes leaked tokens easy to grep for, not a secret
MIN_PASSWORD = 12
TOKEN_LIFETIME = timedelta(days=30)  # a token made without a lifetime; there is no token that never expires
MAX_TOKEN_LIFETIME = timedelta(days=365)
OPERATOR = "cli"  # who a revocation or a disabling is recorded as when the operator's command line made it


class UserDisabled(Refused):
    """A new token for a user who was disabled."""

    code = "user-disabled"

    def __init__(self, user_id: str, since: str) -> None:
        self.kind, self.record_id, self.reason = "user", user_id, "disabled"
        DomainError.__init__(self, f"user {user_id!r} is disabled (since {since}); add a new user instead")


@dataclass(frozen=True, kw_only=True)
class Principal:
    """An authenticated caller."""

    user_id: str
    agency_id: str
    role: Role
    officer_id: str | None = None

    @property
    def actor(self) -> Actor:
        """Who the ledger names for this caller's writes: their officer id, or their user id."""
        return Actor(officer=self.officer_id or self.user_id, agency=self.agency_id)

    @property
    def caller(self) -> Caller:
        """The caller their commands travel with: the actor, the user and the role."""
        return Caller.of(self.actor, role=self.role, user_id=self.user_id)


_hasher = PasswordHasher()


def _token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _principal(row: object) -> Principal:
    return Principal(
        user_id=row.user_id,  # type: ignore[attr-defined]
        agency_id=row.agency_id,  # type: ignore[attr-defined]
        role=Role(row.role),  # type: ignore[attr-defined]
        officer_id=row.officer_id,  # type: ignore[attr-defined]
    )


def _require_agency(conn: Connection, agency_id: str) -> None:
    found = conn.execute(
        select(record.c.record_id).where(and_(record.c.kind == "agency", record.c.record_id == agency_id))
    ).first()
    if found is None:
        raise UnknownRecord("agency", agency_id)


def add_user(
    engine: Engine,
    *,
    user_id: str,
    agency_id: str,
    role: str,
    now: datetime,
    password: str | None = None,
    officer_id: str | None = None,
) -> Principal:
    """Register a user of an agency that is on record; the password (if any) is stored as an argon2id hash."""
    require_id("user_id", user_id)
    try:
        the_role = Role(role)
    except ValueError:
        raise InvalidField("role", role, f"not one of {', '.join(r.value for r in Role)}") from None
    if password is not None and len(password) < MIN_PASSWORD:
        raise InvalidField("password", "***", f"shorter than {MIN_PASSWORD} characters")
    with engine.begin() as conn:
        _require_agency(conn, agency_id)
        if officer_id is not None:
            officer = conn.execute(
                select(record.c.parent_id).where(and_(record.c.kind == "officer", record.c.record_id == officer_id))
            ).first()
            if officer is None:
                raise UnknownRecord("officer", officer_id)
            if officer.parent_id != agency_id:
                raise InvalidField("officer_id", officer_id, f"is an officer of {officer.parent_id}, not {agency_id}")
        try:
            conn.execute(
                api_user.insert().values(
                    user_id=user_id, agency_id=agency_id, role=the_role.value, officer_id=officer_id,
                    password_hash=None if password is None else _hasher.hash(password), created_at=format_utc(now),
                )
            )
        except IntegrityError:
            raise AlreadyExists("user", user_id) from None
    return Principal(user_id=user_id, agency_id=agency_id, role=the_role, officer_id=officer_id)


@dataclass(frozen=True, kw_only=True)
class IssuedToken:
    token_id: str
    secret: str  # shown once; only its hash is kept
    expires_at: str


def create_token(
    engine: Engine, *, user_id: str, name: str, now: datetime, valid_for: timedelta | None = None
) -> IssuedToken:
    """A new token for the user, valid for ``valid_for`` (default :data:`TOKEN_LIFETIME`, at most a year)."""
    lifetime = TOKEN_LIFETIME if valid_for is None else valid_for
    if not timedelta(0) < lifetime <= MAX_TOKEN_LIFETIME:
        raise InvalidField(
            "valid_for", str(lifetime), f"a token lives more than 0 s and at most {MAX_TOKEN_LIFETIME.days} days"
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token_id = secrets.token_hex(8)
    expires = format_utc(now + lifetime)
    with begin(engine, write=True) as conn:
        user = conn.execute(select(api_user.c.disabled_at).where(api_user.c.user_id == user_id)).first()
        if user is None:
            raise UnknownRecord("user", user_id)
        if user.disabled_at is not None:
            raise UserDisabled(user_id, user.disabled_at)
        conn.execute(
            api_token.insert().values(
                token_hash=_token_hash(secret), token_id=token_id, user_id=user_id, name=name,
                created_at=format_utc(now), expires_at=expires,
            )
        )
    return IssuedToken(token_id=token_id, secret=secret, expires_at=expires)


def authenticate_token(conn: Connection, secret: str, now: datetime) -> Principal | None:
    """The user a bearer token belongs to, or None for an unknown, expired or revoked token or a disabled user.

    Read at every request, so a revocation or a disabling holds from the next request on."""
    row = conn.execute(
        select(api_user, api_token.c.expires_at, api_token.c.revoked_at)
        .join(api_token, api_token.c.user_id == api_user.c.user_id)
        .where(api_token.c.token_hash == _token_hash(secret))
    ).first()
    if row is None or row.revoked_at is not None or row.disabled_at is not None:
        return None
    # Compared as times, not as text: "...:00.5Z" sorts before "...:00Z".
    if parse_utc(row.expires_at) <= now:
        return None
    return _principal(row)


def authenticate_password(conn: Connection, user_id: str, password: str) -> Principal | None:
    row = conn.execute(select(api_user).where(api_user.c.user_id == user_id)).first()
    if row is None or row.password_hash is None:
        # Hash anyway, so that an unknown user costs as long as a wrong password and timing tells nothing.
        _hasher.hash(password)
        return None
    try:
        _hasher.verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    # Checked after the hash, so a disabled account answers as slowly, and as unhelpfully, as a wrong password.
    return None if row.disabled_at is not None else _principal(row)


# -- listing, revoking, disabling -------------------------------------------------------------------------------
# ``agency_id`` scopes a call to one agency's users (an admin's); ``user_id`` to one user's own tokens. A user or
# token outside the scope is answered as unknown, so the scope does not tell who exists elsewhere.


@dataclass(frozen=True, kw_only=True)
class UserInfo:
    user_id: str
    agency_id: str
    role: str
    officer_id: str | None
    created_at: str
    disabled_at: str | None
    disabled_by: str | None


@dataclass(frozen=True, kw_only=True)
class TokenInfo:
    token_id: str
    user_id: str
    agency_id: str
    name: str
    created_at: str
    expires_at: str
    revoked_at: str | None
    revoked_by: str | None
    state: str  # active, expired or revoked, at the time of the listing


_USER_COLUMNS = (api_user.c.user_id, api_user.c.agency_id, api_user.c.role, api_user.c.officer_id,
                 api_user.c.created_at, api_user.c.disabled_at, api_user.c.disabled_by)
_TOKENS = select(
    api_token.c.token_id, api_token.c.user_id, api_user.c.agency_id, api_token.c.name, api_token.c.created_at,
    api_token.c.expires_at, api_token.c.revoked_at, api_token.c.revoked_by,
).join(api_user, api_user.c.user_id == api_token.c.user_id)


def _token_info(row: Any, now: datetime) -> TokenInfo:
    state = "revoked" if row.revoked_at is not None else "expired" if parse_utc(row.expires_at) <= now else "active"
    return TokenInfo(**row._asdict(), state=state)


def _user(conn: Connection, user_id: str, agency_id: str | None) -> UserInfo:
    row = conn.execute(select(*_USER_COLUMNS).where(api_user.c.user_id == user_id)).first()
    if row is None or (agency_id is not None and row.agency_id != agency_id):
        raise UnknownRecord("user", user_id)
    return UserInfo(**row._asdict())


def list_users(conn: Connection, *, agency_id: str | None = None) -> list[UserInfo]:
    """Users in user id order: every agency's, or ``agency_id``'s."""
    query = select(*_USER_COLUMNS).order_by(api_user.c.user_id)
    if agency_id is not None:
        query = query.where(api_user.c.agency_id == agency_id)
    return [UserInfo(**row._asdict()) for row in conn.execute(query)]


def list_tokens(
    conn: Connection, *, now: datetime, agency_id: str | None = None, user_id: str | None = None
) -> list[TokenInfo]:
    """Tokens (never their secrets or hashes) oldest first, with their state at ``now``: every one, or those of
    ``agency_id``'s users, or of ``user_id`` (who must be in ``agency_id`` when both are given)."""
    query = _TOKENS.order_by(api_token.c.created_at, api_token.c.token_id)
    if user_id is not None:
        _user(conn, user_id, agency_id)
        query = query.where(api_token.c.user_id == user_id)
    if agency_id is not None:
        query = query.where(api_user.c.agency_id == agency_id)
    return [_token_info(row, now) for row in conn.execute(query)]


def revoke_token(
    engine: Engine, *, token_id: str, now: datetime, by: str, agency_id: str | None = None,
    user_id: str | None = None,
) -> TokenInfo:
    """Revoke a token (of ``agency_id``'s users, or of ``user_id``, when given): refused from the next request on.
    Revoking a revoked token changes nothing."""
    with begin(engine, write=True) as conn:
        row = conn.execute(_TOKENS.where(api_token.c.token_id == token_id)).first()
        if row is None or (agency_id is not None and row.agency_id != agency_id) or (
            user_id is not None and row.user_id != user_id
        ):
            raise UnknownRecord("token", token_id)
        conn.execute(
            update(api_token).where(and_(api_token.c.token_id == token_id, api_token.c.revoked_at.is_(None)))
            .values(revoked_at=format_utc(now), revoked_by=by)
        )
        return _token_info(conn.execute(_TOKENS.where(api_token.c.token_id == token_id)).one(), now)


def disable_user(
    engine: Engine, *, user_id: str, now: datetime, by: str, agency_id: str | None = None
) -> UserInfo:
    """Disable a user (of ``agency_id``, when given) and revoke their tokens: their next request is refused, and
    so is their password. ``by`` may not be the user: an admin who locked themselves out would need the operator.
    Disabling a disabled user changes nothing."""
    with begin(engine, write=True) as conn:
        found = _user(conn, user_id, agency_id)
        if by == user_id:
            raise Refused("user", user_id, "you may not disable your own account; another admin or the operator may")
        if found.disabled_at is not None:
            return found
        at = format_utc(now)
        conn.execute(update(api_user).where(api_user.c.user_id == user_id).values(disabled_at=at, disabled_by=by))
        conn.execute(
            update(api_token).where(and_(api_token.c.user_id == user_id, api_token.c.revoked_at.is_(None)))
            .values(revoked_at=at, revoked_by=by)
        )
        return _user(conn, user_id, agency_id)

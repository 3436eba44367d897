"""Users and API tokens: who a request comes from.

Users and tokens live beside the ledger, not in it (see storage/access.py): credentials are not custody facts.
Every user belongs to one agency and has one role; passwords are kept as argon2id hashes, tokens as SHA-256 of
a 256-bit secret shown once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Engine, and_, select
from sqlalchemy.exc import IntegrityError

from habeas.domain.actors import Actor, Caller, Role
from habeas.domain.errors import AlreadyExists, InvalidField, UnknownRecord
from habeas.domain.values import format_utc, require_id
from habeas.storage.access import api_token, api_user
from habeas.storage.projections.schema import record

TOKEN_PREFIX = "hbs_"  # noqa: S105 - a marker that makes leaked tokens easy to grep for, not a secret
MIN_PASSWORD = 12


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
    expires_at: str | None


def create_token(
    engine: Engine, *, user_id: str, name: str, now: datetime, valid_for: timedelta | None = None
) -> IssuedToken:
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token_id = secrets.token_hex(8)
    expires = None if valid_for is None else format_utc(now + valid_for)
    with engine.begin() as conn:
        if conn.execute(select(api_user.c.user_id).where(api_user.c.user_id == user_id)).first() is None:
            raise UnknownRecord("user", user_id)
        conn.execute(
            api_token.insert().values(
                token_hash=_token_hash(secret), token_id=token_id, user_id=user_id, name=name,
                created_at=format_utc(now), expires_at=expires,
            )
        )
    return IssuedToken(token_id=token_id, secret=secret, expires_at=expires)


def authenticate_token(conn: Connection, secret: str, now: datetime) -> Principal | None:
    """The user a bearer token belongs to, or None for an unknown or expired token."""
    row = conn.execute(
        select(api_user, api_token.c.expires_at)
        .join(api_token, api_token.c.user_id == api_user.c.user_id)
        .where(api_token.c.token_hash == _token_hash(secret))
    ).first()
    if row is None or (row.expires_at is not None and row.expires_at <= format_utc(now)):
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
    return _principal(row)

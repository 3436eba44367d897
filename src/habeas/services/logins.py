"""Logging in with a password, and locking an account out after repeated failures.

The HTTP layer limits logins per client address; an attacker with many addresses would still guess one
account's password at speed. So failures are also counted per account (per user id asked for, whether it exists
or not: a lock on real accounts only would tell which ids are real), and after :data:`THRESHOLD` of them the
account is locked for 1 s, doubling with each further failure up to 15 minutes. A locked login is refused
whatever the password, without checking it; a successful login forgets the failures.

An attempt is counted before its password is checked, in one transaction that also checks the lock: guesses
sent at once cannot all slip in while the first is being hashed. The count is in the database, so every worker
of a server (and every server on the database) sees the same one.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, select, update

from habeas.domain.errors import HabeasError
from habeas.domain.values import format_utc, parse_utc
from habeas.services import accounts
from habeas.services.accounts import Principal
from habeas.storage.access import api_login_failure
from habeas.storage.engine import begin, connect
from habeas.storage.errors import StorageConflict

THRESHOLD = 5  # failures before the first lock
FIRST_LOCK = timedelta(seconds=1)
MAX_LOCK = timedelta(minutes=15)
FORGET_AFTER = timedelta(days=1)  # an account with no failed attempt for this long starts again from nothing
_CLAIM_TRIES = 3


class LoginLocked(HabeasError):
    """Too many failed logins for this account: try again after ``retry_after`` seconds."""

    code = "login-locked"

    def __init__(self, user_id: str, retry_after: int) -> None:
        self.user_id = user_id
        self.retry_after = retry_after
        super().__init__(
            f"too many failed logins for this account: locked for {retry_after} s more, whatever the password; "
            "each further failure doubles the wait (up to 15 minutes), a successful login resets it"
        )


def lock_for(failures: int) -> timedelta:
    """How long an account stays locked after its ``failures``-th failure in a row."""
    if failures < THRESHOLD:
        return timedelta(0)
    doublings: int = min(failures - THRESHOLD, 20)  # 2**20 s is far past the cap; no bigger number is made
    return min(FIRST_LOCK * (1 << doublings), MAX_LOCK)


def login(engine: Engine, *, user_id: str, password: str, now: datetime) -> Principal | None:
    """The user, if the password is theirs and the account is neither locked nor disabled; None otherwise.

    Raises :class:`LoginLocked` while the account is locked."""
    _count_attempt(engine, user_id, now)
    with connect(engine) as conn:
        principal = accounts.authenticate_password(conn, user_id, password)
    if principal is not None:
        with begin(engine, write=True) as conn:
            conn.execute(delete(api_login_failure).where(api_login_failure.c.user_id == user_id))
    return principal


def _count_attempt(engine: Engine, user_id: str, now: datetime) -> None:
    """Refuse if the account is locked; else count this attempt as a failure until it proves otherwise."""
    for attempt in range(_CLAIM_TRIES):
        try:
            _count_in_one_transaction(engine, user_id, now)
        except StorageConflict:
            # Two first attempts at one account inserted at once (PostgreSQL): the row exists now; read it again.
            if attempt == _CLAIM_TRIES - 1:
                raise
        else:
            return


def _count_in_one_transaction(engine: Engine, user_id: str, now: datetime) -> None:
    """The lock check and the count, in one transaction."""
    with begin(engine, write=True) as conn:
        # FOR UPDATE: on PostgreSQL a concurrent attempt waits here (SQLite's BEGIN IMMEDIATE already
        # serialised the whole transaction), so no two attempts read the same count.
        row = conn.execute(
            select(api_login_failure).where(api_login_failure.c.user_id == user_id).with_for_update()
        ).first()
        if row is None:
            conn.execute(api_login_failure.insert().values(
                user_id=user_id, failures=1, last_failed_at=format_utc(now)
            ))
        else:
            until = parse_utc(row.last_failed_at) + lock_for(row.failures)
            if now < until:
                raise LoginLocked(user_id, max(1, math.ceil((until - now).total_seconds())))
            conn.execute(
                update(api_login_failure).where(api_login_failure.c.user_id == user_id)
                .values(failures=row.failures + 1, last_failed_at=format_utc(now))
            )
        conn.execute(
            delete(api_login_failure).where(api_login_failure.c.last_failed_at < format_utc(now - FORGET_AFTER))
        )

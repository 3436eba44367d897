"""The read-access log and scope: who read whose personal data, and which subjects an agency sees.

Who a request comes from is :mod:`habeas.services.accounts`; what a role may do is
:mod:`habeas.services.permissions`; which people an agency may see is the scope projection
(storage/projections/scope.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, or_, select

from habeas.domain import incidents
from habeas.domain.actors import Caller
from habeas.domain.commands import Command
from habeas.domain.errors import AlreadyExists, UnknownRecord
from habeas.domain.incidents import LogAccess
from habeas.domain.values import format_utc
from habeas.ledger.log import Ledger
from habeas.services.records import person_state
from habeas.services.unit_of_work import Handler, Result, UnitOfWork, as_domain
from habeas.storage.access import access_log
from habeas.storage.projections import scope as scope_projection
from habeas.storage.projections.access import access as access_table
from habeas.storage.projections.scope import scope

# The kinds of subject an agency's view (scope) holds.
PERSON, MANIFEST, HANDOFF, INCIDENT = (
    scope_projection.PERSON, scope_projection.MANIFEST, scope_projection.HANDOFF, scope_projection.INCIDENT
)


@dataclass(frozen=True, kw_only=True)
class Read:
    """One read of one person's data: who (a user of an agency; the public locator logs as user
    ``public:<client address>`` of agency ``public``), what, when, through which request."""

    user_id: str
    agency_id: str
    action: str
    subject_kind: str
    subject_id: str
    request: str
    at: datetime

    def row(self) -> dict[str, str]:
        return {
            "at": format_utc(self.at), "user_id": self.user_id, "agency_id": self.agency_id, "action": self.action,
            "subject_kind": self.subject_kind, "subject_id": self.subject_id, "request": self.request[:400],
        }


def record_reads_in(conn: Connection, reads: Sequence[Read]) -> None:
    if reads:
        conn.execute(access_log.insert(), [r.row() for r in reads])


def record_reads(ledger: Ledger, reads: Sequence[Read]) -> None:
    """Record reads before the answer goes out, committed.

    Through the ledger's group commit (nothing is appended to the log): concurrent requests then share one
    transaction and one fsync instead of a commit each. Measured with the locator under 50 clients on
    PostgreSQL, a plain transaction a request cost 7.3 ms of server CPU a request against 5.0 (docs/benchmarks.md).
    """
    if reads:
        ledger.write(lambda conn, _: record_reads_in(conn, reads))


# -- the access log entry (a ledger record that someone's file was opened) --------------------------------


def log_access(cmd: LogAccess, *, uow: UnitOfWork) -> Result:
    if person_state(uow.conn, cmd.person_id) is None:
        raise UnknownRecord("person", cmd.person_id)
    if uow.conn.execute(access_table.select().where(access_table.c.access_id == cmd.access_id)).first() is not None:
        raise AlreadyExists("access", cmd.access_id)
    return Result(uow.record(incidents.log_access(as_domain(incidents.LogAccess, cmd), now=uow.now)))


HANDLERS: dict[type[Command], Handler] = {
    LogAccess: log_access,
}


# -- scope, as the entry points ask for it (the caller's agency's view) ------------------------------------


def visible(conn: Connection, caller: Caller, kind: str, subject_ids: Sequence[str]) -> set[str]:
    """Which of ``subject_ids`` (of ``kind``: PERSON, MANIFEST, HANDOFF, INCIDENT) the caller's agency sees."""
    ids = sorted(set(subject_ids))
    if not ids:
        return set()
    rows = conn.execute(
        select(scope.c.subject_id).where(
            and_(scope.c.agency_id == caller.agency, scope.c.subject_kind == kind, scope.c.subject_id.in_(ids))
        )
    )
    return {r.subject_id for r in rows}


def require_visible(conn: Connection, caller: Caller, kind: str, subject_ids: Sequence[str]) -> None:
    """Refuse as for an unknown id (UnknownRecord) if any subject is outside the caller's agency's view, so
    scope does not reveal who or what exists."""
    seen = visible(conn, caller, kind, subject_ids)
    for sid in subject_ids:
        if sid not in seen:
            raise UnknownRecord(kind, sid)


@dataclass(frozen=True, kw_only=True)
class AccessEntry:
    """One row of the read-access log."""

    id: int
    at: str
    user_id: str
    agency_id: str
    action: str
    subject_kind: str
    subject_id: str
    request: str


def access_entries(
    conn: Connection, caller: Caller, *, person_id: str | None = None, after: int = -1, limit: int = 50
) -> list[AccessEntry]:
    """Up to ``limit + 1`` access-log rows after id ``after`` the caller's agency may read: reads by its own
    users, and reads by anyone of people it sees (one more than asked, so the caller knows a page follows)."""
    seen = select(scope.c.subject_id).where(scope.c.agency_id == caller.agency, scope.c.subject_kind == PERSON)
    query = (
        select(access_log)
        .where(access_log.c.id > after)
        .where(or_(access_log.c.agency_id == caller.agency, access_log.c.subject_id.in_(seen)))
        .order_by(access_log.c.id)
        .limit(limit + 1)
    )
    if person_id is not None:
        query = query.where(access_log.c.subject_kind == PERSON, access_log.c.subject_id == person_id)
    return [AccessEntry(**r._mapping) for r in conn.execute(query)]

"""The read-access log and scope: who read whose personal data, and which subjects an agency sees.

The access log's rows are chained and committed to by the ledger (:mod:`habeas.services.access_chain`); the public
locator's searchers are named by a keyed hash of their address that rotates daily (:func:`public_searcher`), and
only oversight reads those searches (:func:`access_entries`).

Who a request comes from is :mod:`habeas.services.accounts`; what a role may do is
:mod:`habeas.services.permissions`; which people an agency may see is the scope projection
(storage/projections/scope.py).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from sqlalchemy import Connection, or_, select

from habeas.domain import incidents
from habeas.domain.actors import Caller, Role
from habeas.domain.command import Command
from habeas.domain.errors import AlreadyExists, UnknownRecord
from habeas.domain.incidents import LogAccess
from habeas.domain.values import format_utc
from habeas.services import access_chain
from habeas.services.records import person_state
from habeas.services.unit_of_work import Handler, Result, UnitOfWork, as_domain
from habeas.storage import direct
from habeas.storage.access import access_log
from habeas.storage.projections import scope as scope_projection
from habeas.storage.projections.access import access as access_table
from habeas.storage.projections.scope import scope

if TYPE_CHECKING:
    from habeas.ledger.log import Ledger

# The kinds of subject an agency's view (scope) holds.
PERSON, MANIFEST, HANDOFF, INCIDENT = (
    scope_projection.PERSON, scope_projection.MANIFEST, scope_projection.HANDOFF, scope_projection.INCIDENT
)


PUBLIC_AGENCY = "public"
"""The agency the public locator's searches are logged under: no agency's auditor reads them, only oversight."""


@dataclass(frozen=True, kw_only=True)
class Read:
    """One read of one person's data: who (a user of an agency; the public locator logs as user
    ``public:<pseudonym>`` of agency ``public``, see :func:`public_searcher`), what, when, through which request."""

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


def record_reads(ledger: Ledger, reads: Sequence[Read]) -> None:
    """Record reads before the answer goes out, committed, chained, and committed to by the ledger.

    Through the ledger's group commit: concurrent requests then share one transaction and one fsync instead of a
    commit each (measured with the locator under 50 clients on PostgreSQL, a plain transaction a request cost
    7.3 ms of server CPU a request against 5.0, docs/benchmarks.md), and the batch writes every request's rows in
    one insert and appends one ``access_log.committed`` entry however many requests it holds
    (services/access_chain.py). A request's job only hands its rows to the batch, which cannot fail half-way, so
    it runs without a savepoint of its own (``isolated=False``); this returns once the batch has committed.
    """
    if not reads:
        return
    rows = [r.row() for r in reads]
    clock = ledger.clock
    ledger.write(lambda _conn, appender: access_chain.append_reads(appender, rows, clock), isolated=False)


def commit_access_log(ledger: Ledger) -> bool:
    """Append a commitment to rows no commitment covers yet (rows an upgrade chained); False if there are none."""
    return ledger.write(lambda conn, appender: access_chain.commit_if_behind(conn, appender, ledger.clock()))


def public_searcher(secret: bytes, address: str, at: datetime) -> str:
    """The access log's name for a public searcher: ``public:`` and a keyed hash of their address, never the
    address. The key is derived (HKDF-SHA256) from the deployment's secret and the UTC day, so one searcher's
    searches link within a day, for oversight to see abuse, and not across days; and without the secret no one
    can test the 2^32 IPv4 addresses against the log."""
    key = _searcher_key(secret, at.astimezone(UTC).date().isoformat())
    tag = hmac.new(key, address.encode("utf-8", "surrogateescape"), hashlib.sha256).hexdigest()
    return f"public:{tag[:32]}"


@lru_cache(maxsize=4)
def _searcher_key(secret: bytes, day: str) -> bytes:
    """The day's key, derived once a day rather than once a search (30 µs a search)."""
    from cryptography.hazmat.primitives import hashes  # not for a read command's start-up
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"habeas access-log searcher " + day.encode())
    return hkdf.derive(secret)


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


_VISIBLE_CHUNK = 500
"""Ids a visibility query names at most (SQLite's bound on a statement's parameters is far above it)."""


@lru_cache(maxsize=64)
def _visible_sql(n: int) -> direct.Sql:
    return direct.Sql(
        "SELECT subject_id FROM p_scope WHERE agency_id = ? AND subject_kind = ? AND subject_id IN ("
        + ", ".join("?" * n) + ")"
    )


def visible(conn: Connection, caller: Caller, kind: str, subject_ids: Sequence[str]) -> set[str]:
    """Which of ``subject_ids`` (of ``kind``: PERSON, MANIFEST, HANDOFF, INCIDENT) the caller's agency sees.

    One point query on the scope's key a chunk of ids, sent straight to the driver (storage/direct.py): the
    door asks this of nearly every command an agency issues, and built as a Core expression it cost ten times
    what the database spends answering it (0.4 ms a command, the ICE Air replay's top cost of a custody step)."""
    ids = sorted(set(subject_ids))
    seen: set[str] = set()
    for at in range(0, len(ids), _VISIBLE_CHUNK):
        chunk = ids[at:at + _VISIBLE_CHUNK]
        seen.update(r[0] for r in direct.rows(conn, _visible_sql(len(chunk)), (caller.agency, kind, *chunk)))
    return seen


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
    """Up to ``limit + 1`` access-log rows after id ``after`` the caller may read (one more than asked, so the
    caller knows a page follows). An oversight user (an independent auditor) reads every row; anyone else reads
    the rows of the caller's agency: reads by its own users and reads by other agencies' users of people it sees,
    but never the public locator's searches, so the agencies a family searches never learn who searched."""
    query = select(*[access_log.c[f.name] for f in fields(AccessEntry)]).where(access_log.c.id > after)
    if caller.role is not Role.OVERSIGHT:
        seen = select(scope.c.subject_id).where(scope.c.agency_id == caller.agency, scope.c.subject_kind == PERSON)
        query = query.where(
            access_log.c.agency_id != PUBLIC_AGENCY,
            or_(access_log.c.agency_id == caller.agency, access_log.c.subject_id.in_(seen)),
        )
    if person_id is not None:
        query = query.where(access_log.c.subject_kind == PERSON, access_log.c.subject_id == person_id)
    return [AccessEntry(**r._mapping) for r in conn.execute(query.order_by(access_log.c.id).limit(limit + 1))]

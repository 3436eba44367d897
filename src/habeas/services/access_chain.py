"""The access log chained by hash and committed to by the ledger: writing rows, committing, verifying.

Row ``n`` carries ``chain = SHA-256(chain of row n-1 || canonical JSON of row n)`` (RFC 8785, over
:data:`~habeas.storage.access.ACCESS_LOG_FIELDS`; 32 zero bytes before the first row). Rows are written only
here, inside the ledger's batch transaction, so under its write lock: ids follow one another and the chain has one
order. A request's reads join the batch as rows in memory (:class:`BatchOfReads`); after the batch's last job and
before it commits, the rows of every request in it are chained and inserted in one statement, and one
``access_log.committed`` entry (the last row's id and its chain) is appended to the ledger, in the same
transaction: one insert and one entry a batch, not one a read, so concurrent requests share one commit and the
work of writing. The signed checkpoints then cover the access log.

Verification recomputes the chain over every row and compares it with every commitment the verified ledger
holds: a changed row, a row removed from the middle or the end, a chain rewritten to hide either, and a row added
that no commitment covers, are each named by a row id. What it cannot see is a batch whose rows and commitment
were both never written: that is a read the application did not log, which no log can show.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from habeas.domain.access_log import ACCESS_LOG_STREAM, CHAIN_START, AccessLogCommitted
from habeas.domain.actors import SYSTEM
from habeas.domain.events import EventType
from habeas.ledger.canonical import canonical
from habeas.ledger.entry import parse_leaf, prepare_entry
from habeas.storage import direct
from habeas.storage.access import ACCESS_LOG_FIELDS, access_log
from habeas.storage.schema import ledger_entry

if TYPE_CHECKING:  # the ledger's writing and verifying: not for a read command's start-up
    from habeas.ledger.log import Appender
    from habeas.ledger.verify import VerifyReport

COMMITTED_SUFFIX = b',"stream":"%s","type":"%s"}' % (
    ACCESS_LOG_STREAM.encode(), EventType.ACCESS_LOG_COMMITTED.value.encode()
)
"""How a commitment's leaf ends (canonical JSON sorts ``stream`` and ``type`` last): found by the bytes the ledger
verified, not by the ``stream`` column beside them, which the signature does not cover."""

BEFORE_COMMIT_KEY = "access-log"


def chain_hash(previous: bytes, row: Mapping[str, Any]) -> bytes:
    """The chain hash of ``row`` (a mapping with at least the chained fields) after ``previous``."""
    return hashlib.sha256(previous + canonical({name: row[name] for name in ACCESS_LOG_FIELDS})).digest()


_TAIL = direct.Sql(f"SELECT id, chain FROM {access_log.name} ORDER BY id DESC LIMIT 1")
_INSERT = direct.Sql(
    f"INSERT INTO {access_log.name} ({', '.join(ACCESS_LOG_FIELDS)}, chain) "
    f"VALUES ({', '.join('?' * (len(ACCESS_LOG_FIELDS) + 1))})"
)


def tail(conn: Connection) -> tuple[int, bytes]:
    """The id and chain hash of the last row; ``(0, CHAIN_START)`` for an empty access log."""
    row = direct.first(conn, _TAIL)
    return (0, CHAIN_START) if row is None else (int(row[0]), bytes(row[1]))


def write_rows(conn: Connection, rows: Sequence[Mapping[str, str]]) -> tuple[int, bytes]:
    """Chain ``rows`` (every chained field but ``id``) after the last row and insert them, in one statement; the
    new tail. Under the ledger's write lock (inside its batch), so no one else takes the ids in between."""
    last_id, head = tail(conn)
    chained = []
    for row in rows:
        last_id += 1
        full: dict[str, Any] = {**row, "id": last_id}
        head = chain_hash(head, full)
        chained.append((*(full[name] for name in ACCESS_LOG_FIELDS), head))
    direct.execute_many(conn, _INSERT, chained)
    return last_id, head


class BatchOfReads:
    """The reads of one ledger batch, held in memory until the batch's jobs have run, then written at once.

    Registered with the batch (:meth:`Appender.before_commit`) by the first request's job; the others get it back
    and add their rows after its. A job only adds rows to a list, so it cannot fail half-way and needs no
    savepoint; the rows are chained, inserted (one statement) and committed to (one entry) by :meth:`__call__`,
    before the batch commits, so a request is answered only once its reads are durable, as before.
    """

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock
        self.rows: list[Mapping[str, str]] = []

    def add(self, rows: Sequence[Mapping[str, str]]) -> None:
        self.rows.extend(rows)

    def __call__(self, conn: Connection, appender: Appender) -> None:
        if self.rows:
            commit(conn, appender, self.clock(), write_rows(conn, self.rows))


def append_reads(appender: Appender, rows: Sequence[Mapping[str, str]], clock: Callable[[], datetime]) -> None:
    """Add ``rows`` (every chained field but ``id``) to the batch ``appender`` belongs to, which chains, writes
    and commits them, after every earlier request's, before it commits. Runs under the ledger's write lock."""
    appender.before_commit(BEFORE_COMMIT_KEY, BatchOfReads(clock)).add(rows)


def commit(conn: Connection, appender: Appender, now: datetime, at: tuple[int, bytes] | None = None) -> bool:
    """Append one commitment to the access log as it stands (at ``at``, else as read in this transaction);
    False if it is empty."""
    last_id, head = at if at is not None else tail(conn)
    if last_id == 0:
        return False
    event = AccessLogCommitted(stream=ACCESS_LOG_STREAM, occurred_at=now, last_id=last_id, head=head.hex())
    appender.append([
        prepare_entry(type=event.TYPE.value, stream=event.stream, occurred_at=now, recorded_at=now, actor=SYSTEM,
                      body=event.public())
    ])
    return True


def last_committed_id(conn: Connection) -> int | None:
    """The row id the latest commitment ends at (found by the stream column: for writing, not for verifying)."""
    leaf = conn.execute(
        select(ledger_entry.c.leaf).where(ledger_entry.c.stream == ACCESS_LOG_STREAM)
        .order_by(ledger_entry.c.seq.desc()).limit(1)
    ).scalar()
    return None if leaf is None else int(parse_leaf(bytes(leaf))["body"]["last_id"])


def commit_if_behind(conn: Connection, appender: Appender, now: datetime) -> bool:
    """Commit the rows no commitment covers yet (rows chained by an upgrade); False if there are none."""
    last_id, _ = tail(conn)
    if last_id == 0 or last_committed_id(conn) == last_id:
        return False
    return commit(conn, appender, now)


# -- verifying ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Commitment:
    seq: int  # the ledger entry
    last_id: int
    head: bytes


@dataclass
class ChainReport:
    rows_checked: int = 0
    commitments_checked: int = 0
    problems: list[str] = field(default_factory=list)


def commitments_from_leaves(leaves: Iterable[tuple[int, bytes]]) -> list[Commitment]:
    """The commitments among verified ledger leaves (seq, leaf bytes)."""
    found = []
    for seq, leaf in leaves:
        body = parse_leaf(leaf)["body"]
        found.append(Commitment(seq, int(body["last_id"]), bytes.fromhex(body["head"])))
    return found


def stored_commitment_leaves(conn: Connection, before: int) -> list[tuple[int, bytes]]:
    """Commitment leaves before seq ``before``, found by their stream column (for the part of the log a trusted
    checkpoint already vouches for, which verification does not read again)."""
    rows = conn.execute(
        select(ledger_entry.c.seq, ledger_entry.c.leaf)
        .where(ledger_entry.c.stream == ACCESS_LOG_STREAM, ledger_entry.c.seq < before)
        .order_by(ledger_entry.c.seq)
    )
    return [(int(seq), bytes(leaf)) for seq, leaf in rows if bytes(leaf).endswith(COMMITTED_SUFFIX)]


def iter_rows(conn: Connection, chunk: int = 20_000) -> Iterator[dict[str, Any]]:
    """Every row in id order, a chunk at a time (keyset paging: no offset to skip over)."""
    after = -1
    columns = [access_log.c[name] for name in (*ACCESS_LOG_FIELDS, "chain")]
    while True:
        rows = conn.execute(select(*columns).where(access_log.c.id > after).order_by(access_log.c.id).limit(chunk))
        batch = [dict(r._mapping) for r in rows]
        if not batch:
            return
        yield from batch
        after = batch[-1]["id"]


def check_chain(rows: Iterable[Mapping[str, Any]], commitments: Sequence[Commitment], *, complete: bool) -> ChainReport:
    """Recompute the chain over ``rows`` (in id order) and hold it to every commitment.

    ``complete``: the commitments are every one the ledger holds (it verified to its end), so a row after the last
    one is a row habeas never committed to.
    """
    report = ChainReport(commitments_checked=len(commitments))
    problems = report.problems
    due: dict[int, list[Commitment]] = {}
    for c in commitments:
        due.setdefault(c.last_id, []).append(c)
    last_committed = max(due, default=0)
    previous, previous_id, last_matched = CHAIN_START, 0, 0
    first_uncommitted: int | None = None
    for row in rows:
        row_id = int(row["id"])
        stored = bytes(row["chain"])
        report.rows_checked += 1
        if chain_hash(previous, row) != stored:
            problems.append(
                f"access log row {row_id}: does not follow row {previous_id} (row {row_id} was changed, or a row "
                f"after row {previous_id} was removed)"
            )
        # Carry on from the stored hash: a changed row is then named once, not again at every row after it.
        previous, previous_id = stored, row_id
        for c in due.pop(row_id, ()):
            if c.head != stored:
                problems.append(
                    f"access log row {row_id}: the rows up to it do not match the ledger's commitment in entry "
                    f"{c.seq}: a row after row {last_matched} and up to row {row_id} was removed, changed or added"
                )
            else:
                last_matched = row_id
        if row_id > last_committed and first_uncommitted is None:
            first_uncommitted = row_id
    for last_id, missed in sorted(due.items()):
        problems.append(
            f"access log row {last_id}: missing, though the ledger committed to the access log up to it in entry "
            f"{missed[0].seq}"
        )
    if complete and first_uncommitted is not None:
        problems.append(
            f"access log row {first_uncommitted}: not committed to by the ledger (its last commitment ends at row "
            f"{last_committed}): written outside habeas, or before the chain (then `habeas db upgrade` with the "
            "signing key commits it)"
        )
    return report


def verify_into(conn: Connection, report: VerifyReport) -> None:
    """Check the access log against the commitments of the ledger ``report`` verified, adding to the report.

    The commitments are those found in the leaves verification just read, and, before a trusted checkpoint's size
    (not read again), those its stream column finds. Rows after the last commitment count as a problem only when
    the ledger verified to its end: otherwise the missing commitment may be in the part that failed.
    """
    from habeas.ledger.verify import Problem

    leaves = stored_commitment_leaves(conn, report.start) + report.kept
    chain = check_chain(iter_rows(conn), commitments_from_leaves(leaves), complete=report.ok)
    report.access_rows_checked = chain.rows_checked
    report.problems.extend(Problem(None, p) for p in chain.problems)

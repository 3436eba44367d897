"""The pull feed per agency: every entry about what the caller's agency may see, in log order, after a seq.

An integration that missed messages asks again from the last seq it processed and catches up; the page says
where to continue even when a stretch of the log held nothing for it. Entries are the public ledger entries, with
the fields ``docs/public-log.md`` lists and nothing else: no personal data, and nothing a record says about a
person (those are in the private payloads). Who may see an entry is decided from its public fields alone, which
name every subject and agency an entry is about.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, select

from habeas.domain.actors import Caller
from habeas.domain.errors import DomainError
from habeas.domain.events import event_from
from habeas.ledger.entry import parse_leaf
from habeas.storage import ledger_store
from habeas.storage.projections.scope import scope, subjects_and_agencies

# How much of the log one request may read before it answers, whatever it found: keeps a request short when
# an agency's entries are sparse, at the cost of a few more round trips for the client.
SCAN_LIMIT = 5_000


@dataclass(frozen=True, kw_only=True)
class FeedPage:
    entries: list[dict[str, Any]]  # the public entries (type, stream, occurred_at, recorded_at, actor...), with seq
    next_after: int  # ask again with after=next_after
    log_size: int  # entries in the log when this page was read: caught up when next_after == log_size - 1


def _visible(conn: Connection, agency_id: str, subjects: set[tuple[str, str]]) -> set[tuple[str, str]]:
    if not subjects:
        return set()
    ids = sorted({s for _, s in subjects})
    rows = conn.execute(
        select(scope.c.subject_kind, scope.c.subject_id).where(
            and_(scope.c.agency_id == agency_id, scope.c.subject_id.in_(ids))
        )
    )
    return {(r.subject_kind, r.subject_id) for r in rows} & subjects


def feed_page(conn: Connection, caller: Caller, *, after: int = -1, limit: int = 100) -> FeedPage:
    """Up to ``limit`` entries after ``after`` that the caller's agency recorded, is named in, or whose subjects
    (people, manifests, handoffs, incidents) it sees; at most :data:`SCAN_LIMIT` entries are read."""
    agency_id = caller.agency
    size = ledger_store.read_head(conn)[0]
    start = after + 1
    end = min(size, start + SCAN_LIMIT)
    items: list[dict[str, Any]] = []
    last = after
    for rows in ledger_store.iter_entries(conn, start, end, chunk=1_000):
        parsed: list[tuple[int, dict[str, Any], set[tuple[str, str]], set[str]]] = []
        for seq, leaf, _ in rows:
            entry = parse_leaf(leaf)
            try:
                event = event_from(entry["type"], entry["stream"], entry["body"], None)
                subjects, agencies = subjects_and_agencies(event)
            except (DomainError, KeyError, TypeError):
                subjects, agencies = set(), set()  # an entry this code cannot decode: shown to its recorder only
            agencies.add(entry["actor"]["agency"])
            parsed.append((seq, entry, subjects, agencies))
        visible = _visible(conn, agency_id, set().union(*(p[2] for p in parsed)))
        for seq, entry, subjects, agencies in parsed:
            if len(items) == limit:
                return FeedPage(entries=items, next_after=last, log_size=size)
            last = seq
            if agency_id in agencies or subjects & visible:
                items.append({**entry, "seq": seq})
    return FeedPage(entries=items, next_after=max(last, end - 1), log_size=size)

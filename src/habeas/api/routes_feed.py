"""The pull feed per agency: every entry about what the caller's agency may see, in log order, after a seq.

An integration that missed messages asks again from the last seq it processed (``after``) and catches up; the
answer says where to continue (``next_after``) even when a stretch of the log held nothing for it. Entries
are the public ledger entries (no personal data: names and documents are only in the private payloads).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy import Connection, and_, select

from habeas.api.context import Caller, require
from habeas.domain.errors import DomainError
from habeas.domain.events import event_from
from habeas.ledger.entry import parse_leaf
from habeas.services.access import Permission
from habeas.storage import ledger_store
from habeas.storage.projections_scope import scope, subjects_and_agencies

router = APIRouter(tags=["feed"])

# How much of the log one request may read before it answers, whatever it found: keeps a request short when
# an agency's entries are sparse, at the cost of a few more round trips for the client.
SCAN_LIMIT = 5_000


class FeedActor(BaseModel):
    officer: str
    agency: str


class FeedEntry(BaseModel):
    seq: int
    type: str
    stream: str
    occurred_at: str
    recorded_at: str
    actor: FeedActor
    body: dict[str, Any]
    private: str | None  # the commitment to the private payload, not the payload


class FeedPage(BaseModel):
    items: list[FeedEntry]
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


def _page(conn: Connection, agency_id: str, after: int, limit: int) -> FeedPage:
    size = ledger_store.read_head(conn)[0]
    start = after + 1
    end = min(size, start + SCAN_LIMIT)
    items: list[FeedEntry] = []
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
                return FeedPage(items=items, next_after=last, log_size=size)
            last = seq
            if agency_id in agencies or subjects & visible:
                items.append(
                    FeedEntry(
                        seq=seq, type=entry["type"], stream=entry["stream"], occurred_at=entry["occurred_at"],
                        recorded_at=entry["recorded_at"], actor=FeedActor(**entry["actor"]), body=entry["body"],
                        private=entry["private"],
                    )
                )
    return FeedPage(items=items, next_after=max(last, end - 1), log_size=size)


@router.get("/feed", response_model=FeedPage)
def feed(
    caller: Annotated[Caller, Depends(require(Permission.FEED_READ))],
    after: Annotated[int, Query(ge=-1, description="the last seq already processed; -1 for the start")] = -1,
    limit: Annotated[int, Query(ge=1, le=1000, description="entries per page")] = 100,
) -> FeedPage:
    """Entries about people, manifests, handoffs and incidents the caller's agency may see, after ``after``."""
    return caller.read(lambda conn: _page(conn, caller.agency_id, after, limit))

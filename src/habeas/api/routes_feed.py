"""The pull feed per agency: every entry about what the caller's agency may see, in log order, after a seq.

An integration that missed messages asks again from the last seq it processed (``after``) and catches up; the
answer says where to continue (``next_after``) even when a stretch of the log held nothing for it. Entries
are the public ledger entries (no personal data: names and documents are only in the private payloads).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from habeas.api.context import Caller, require
from habeas.domain.values import MAX_BIGINT
from habeas.services import feed as feed_service
from habeas.services.permissions import Permission

router = APIRouter(tags=["feed"])

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


@router.get("/feed", response_model=FeedPage)
def feed(
    caller: Annotated[Caller, Depends(require(Permission.FEED_READ))],
    after: Annotated[
        int, Query(ge=-1, le=MAX_BIGINT, description="the last seq already processed; -1 for the start")
    ] = -1,
    limit: Annotated[int, Query(ge=1, le=1000, description="entries per page")] = 100,
) -> FeedPage:
    """Entries about people, manifests, handoffs and incidents the caller's agency may see, after ``after``."""
    page = caller.read(feed_service.feed_page, caller.principal.caller, after=after, limit=limit)
    items = [
        FeedEntry(
            seq=e["seq"], type=e["type"], stream=e["stream"], occurred_at=e["occurred_at"],
            recorded_at=e["recorded_at"], actor=FeedActor(**e["actor"]), body=e["body"], private=e["private"],
        )
        for e in page.entries
    ]
    return FeedPage(items=items, next_after=page.next_after, log_size=page.log_size)

"""Cursor pagination for every list: ``?limit=&cursor=``, and ``next_cursor`` in the answer (None at the end).

The cursor is the sort key of the last item returned, base64url-encoded: opaque to clients, stable while the
list grows (a new record sorts into place instead of shifting every later page, as an offset would).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable
from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from habeas.api.problems import ApiProblem

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 500

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="items per page")]
Cursor = Annotated[str | None, Query(max_length=400, description="next_cursor of the previous page")]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        key = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        key = None
    # The decoder skips characters outside the alphabet; only a cursor that encodes back to itself is ours.
    if key is None or not key or encode_cursor(key) != cursor:
        raise ApiProblem(
            422, "invalid-input", "Invalid input", "cursor: not a cursor this API gave out",
            errors=[{"detail": "not a cursor this API gave out", "parameter": "cursor"}],
        )
    return key


def paginate(items: Iterable[T], *, key: Callable[[T], str], limit: int, cursor: str | None) -> Page[T]:
    """One page of ``items`` in key order, after the cursor's key."""
    after = None if cursor is None else decode_cursor(cursor)
    ordered = sorted(items, key=key)
    if after is not None:
        ordered = [i for i in ordered if key(i) > after]
    page = ordered[:limit]
    more = len(ordered) > limit
    return Page[T](items=page, next_cursor=encode_cursor(key(page[-1])) if more and page else None)

"""The entries every system appends: the same ~200-byte canonical custody entries, made deterministically.

Entry ``k`` of a log belongs to person ``k // 4`` and is that person's ``k % 4``-th event, so the stream and
version pair is unique in every log (eventsourcing's primary key needs that) and streams have a realistic few
events each. Entries are prepared before any timing starts; :func:`time_prepare` measures the encoding alone.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from habeas.domain.actors import Actor
from habeas.ledger.entry import PreparedEntry, prepare_entry

EVENTS_PER_STREAM = 4
TYPES = ("custody.admitted", "custody.transferred", "custody.hearing", "custody.released")
_T0 = datetime(2025, 1, 1, tzinfo=UTC)


def entry_kwargs(k: int) -> dict[str, Any]:
    t = _T0 + timedelta(seconds=k)
    return {
        "type": TYPES[k % EVENTS_PER_STREAM],
        "stream": stream_of(k),
        "occurred_at": t,
        "recorded_at": t,
        "actor": Actor(officer=f"o{k % 997:04d}", agency=f"a{k % 31:02d}"),
        "body": {"site": f"f-{k % 211:03d}"},
    }


def stream_of(k: int) -> str:
    return f"p-{k // EVENTS_PER_STREAM:07d}"


def version_of(k: int) -> int:
    return k % EVENTS_PER_STREAM


def entries(start: int, count: int) -> list[PreparedEntry]:
    """Entries ``start .. start + count - 1``."""
    return [prepare_entry(**entry_kwargs(k)) for k in range(start, start + count)]


def chunks(start: int, end: int, size: int) -> Iterator[tuple[int, list[PreparedEntry]]]:
    """``(first k, entries)`` in chunks of ``size``, so a million entries never sit in memory at once."""
    for first in range(start, end, size):
        yield first, entries(first, min(size, end - first))


def time_prepare(count: int) -> dict[str, float]:
    """prepare_entry (RFC 8785 encoding of the public entry) alone, on arguments built beforehand."""
    args = [entry_kwargs(k) for k in range(count)]
    started = time.perf_counter()
    made = [prepare_entry(**a) for a in args]
    seconds = time.perf_counter() - started
    sizes = sorted(len(p.head) for p in made)
    return {
        "entries": count,
        "seconds": seconds,
        "us_per_entry": seconds / count * 1e6,
        "head_bytes_min": sizes[0],
        "head_bytes_median": sizes[len(sizes) // 2],
        "head_bytes_max": sizes[-1],
    }

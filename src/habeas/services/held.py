"""Where and since when each person is held, for the class criteria of court orders
(:mod:`habeas.domain.class_criteria`): read from their ``custody.changed`` entries and the facilities' registrations.

* the facility: the one holding the person or, in transit, handed over or out of custody, the last one that held
  them (a class "detained at Bluebonnet" still covers a man on the plane that left it);
* its field office and district, as registered (as amended; a retracted registration has none);
* when the person's latest custody began: an admission from release, removal or escape starts a new custody, an
  admission after a handover (the receiving state's intake) continues the one the handover passed on.

Nothing recorded leaves a fact ``None``, and a criterion that needs it unknown (which blocks).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from habeas.domain.custody import CustodyChanged, CustodyStatus, CustodyTransition
from habeas.domain.events import EventType
from habeas.domain.values import parse_utc
from habeas.ledger.entry import parse_leaf
from habeas.storage.projections.schema import KIND, record
from habeas.storage.schema import ledger_entry

_CHUNK = 500  # ids per IN (...): well under SQLite's bound-parameter limit


@dataclass(frozen=True, kw_only=True)
class Held:
    """Where a person is (or was last) held and since when their custody runs, for class criteria."""

    facility_id: str | None = None
    field_office: str | None = None
    district: str | None = None
    detained_since: datetime | None = None


_NEW_CUSTODY = frozenset(c.value for c in (CustodyStatus.NOT_HELD, CustodyStatus.RELEASED, CustodyStatus.REMOVED,
                                            CustodyStatus.ESCAPED))
_ADMIT = CustodyTransition.ADMIT.value


def custody_course(history: Iterable[CustodyChanged]) -> tuple[str | None, datetime | None]:
    """(the facility holding the person, or the last that did; when their latest custody began), from their
    custody entries in log order. An admission from release, removal or escape starts a new custody; an admission
    after a handover (the receiving state's intake) continues the one the handover passed on."""
    return _course((e.transition.value, e.from_status.value, e.facility_id, e.occurred_at) for e in history)


def _course(steps: Iterable[tuple[str, str, str | None, datetime]]) -> tuple[str | None, datetime | None]:
    facility: str | None = None
    since: datetime | None = None
    for transition, from_status, facility_id, at in steps:
        if facility_id is not None:
            facility = facility_id
        if transition == _ADMIT and (from_status in _NEW_CUSTODY or since is None):
            since = at
    return facility, since


def held_facts(conn: Connection, people: Sequence[str]) -> dict[str, Held]:
    """:class:`Held` for each person: two queries a chunk of 500 (their custody entries' public leaves, then the
    facilities' registrations)."""
    # The public body of each entry, read as JSON: the four fields used here are public and plain, and decoding
    # every custody entry of a plane's people into events costs more than the rest of their legal state.
    steps: Steps = {p: [] for p in people}
    for k in range(0, len(people), _CHUNK):
        chunk = list(people[k : k + _CHUNK])
        found = conn.execute(
            select(ledger_entry.c.stream, ledger_entry.c.leaf)
            .where(ledger_entry.c.stream.in_(chunk), ledger_entry.c.type == EventType.CUSTODY_CHANGED.value)
            .order_by(ledger_entry.c.seq)
        )
        for stream, leaf in found:
            body = parse_leaf(bytes(leaf))["body"]
            steps[stream].append(
                (body["transition"], body["from_status"], body.get("facility_id"), parse_utc(body["occurred_at"]))
            )
    return held_from_steps(conn, steps)


Steps = dict[str, list[tuple[str, str, str | None, datetime]]]
"""Each person's custody entries in log order: (transition, from status, facility, when)."""


def held_from_steps(conn: Connection, steps: Steps) -> dict[str, Held]:
    """:class:`Held` for each person from their custody entries, with the facilities' areas read in one go."""
    course = {p: _course(h) for p, h in steps.items()}
    areas = _facility_areas(conn, sorted({f for f, _ in course.values() if f is not None}))
    out = {}
    for p, (facility, since) in course.items():
        office, district = areas.get(facility, (None, None)) if facility is not None else (None, None)
        out[p] = Held(facility_id=facility, field_office=office, district=district, detained_since=since)
    return out


def _facility_areas(conn: Connection, facility_ids: Sequence[str]) -> dict[str, tuple[str | None, str | None]]:
    """Each facility's field office and district as registered (as amended); a retracted registration has none."""
    out: dict[str, tuple[str | None, str | None]] = {}
    for k in range(0, len(facility_ids), _CHUNK):
        found = conn.execute(
            select(record.c.record_id, record.c.body).where(
                record.c.kind == KIND[EventType.FACILITY_REGISTERED], record.c.retracted.is_(False),
                record.c.record_id.in_(facility_ids[k : k + _CHUNK]),
            )
        )
        for r in found:
            body = json.loads(r.body)
            out[r.record_id] = (body.get("field_office"), body.get("district"))
    return out

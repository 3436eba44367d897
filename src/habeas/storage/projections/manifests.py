"""Manifests and their gates: ``p_manifest``, ``p_manifest_person``, ``p_gate_result`` and ``p_alert``.

* ``p_manifest``: one row a manifest, its status and lists, kept by the domain's own projection
  (:func:`habeas.domain.manifest_state.apply_manifest`), so the table holds no rules of its own;
* ``p_manifest_person``: who is aboard, an alternate or struck, for the "which manifest is this person on" look-up;
* ``p_gate_result``: each person's latest gate results on a manifest (the ledger keeps every evaluation);
* ``p_alert``: a return-required alert, one row a person covered: a ``gate.evaluated`` recorded after departure
  whose court-order or stay gate blocks. The alert rests on that entry, so a rebuild raises it again.

A clearance records one ``gate.evaluated`` a person, so that type has a set-wise applier (:class:`Batched`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Index,
    Integer,
    String,
    Table,
    Text,
    bindparam,
    delete,
    select,
    update,
)

from habeas.domain.events import Event, EventType, event_from
from habeas.domain.manifest_events import GateEvaluated, ManifestChanged, ManifestCreated, ManifestStatus
from habeas.domain.manifest_state import Manifest, apply_manifest
from habeas.domain.values import format_utc, parse_utc
from habeas.storage.projections.rows import Applier, Batched, body_json, plain
from habeas.storage.projections.schema import RecordRow, metadata

ABOARD, ALTERNATE, STRUCK = "aboard", "alternate", "struck"
# Gone from the origin and not yet handed over (services/clearance.py's _IN_FLIGHT): where a failed re-check of a
# court order or stay raises a return-required alert.
IN_FLIGHT = frozenset({ManifestStatus.DEPARTED, ManifestStatus.HALTED, ManifestStatus.ARRIVED})
# The gates whose failure after departure means the people must be brought back.
RETURN_GATES = frozenset({"no_court_order_covering", "no_stay_in_force"})

manifest = Table(
    "p_manifest",
    metadata,
    Column("manifest_id", String(100), primary_key=True),
    Column("journey_id", String(100), nullable=False),
    Column("leg_index", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("since", String(40), nullable=False),
    Column("destination_country", String(3), nullable=False),
    Column("scheduled_departure", String(40), nullable=False),
    Column("created_body", Text, nullable=False),  # the manifest.created public body: the leg
    Column("people", Text, nullable=False),  # JSON lists, in order
    Column("alternates", Text, nullable=False),
    Column("struck", Text, nullable=False),
    Column("cleared_at", String(40)),
    Column("seq", BigInteger, nullable=False),  # manifest.created
    Column("updated_seq", BigInteger, nullable=False),
    Index("ix_p_manifest_journey", "journey_id", "leg_index"),
)

manifest_person = Table(
    "p_manifest_person",
    metadata,
    Column("manifest_id", String(100), primary_key=True),
    Column("person_id", String(100), primary_key=True),
    Column("role", String(20), nullable=False),  # aboard | alternate | struck
    Index("ix_p_manifest_person_person", "person_id"),
)

gate_result = Table(
    "p_gate_result",
    metadata,
    Column("manifest_id", String(100), primary_key=True),
    Column("person_id", String(100), primary_key=True),
    Column("policy", String(100), nullable=False),
    Column("evaluated_at", String(40), nullable=False),
    Column("blocks", Integer, nullable=False),  # 0 or 1
    Column("body", Text, nullable=False),  # the gate.evaluated public body
    Column("seq", BigInteger, nullable=False),
)

alert = Table(
    "p_alert",
    metadata,
    Column("manifest_id", String(100), primary_key=True),
    Column("record_id", String(200), primary_key=True),  # the court order or stay
    Column("person_id", String(100), primary_key=True),
    Column("kind", String(40), nullable=False),  # return_required
    Column("gate", String(60), nullable=False),
    Column("outcome", String(20), nullable=False),  # fail: covered; unknown: the facts cannot rule it out
    Column("reason_code", String(100), nullable=False),
    Column("record_seq", BigInteger),
    Column("raised_at", String(40), nullable=False),
    Column("seq", BigInteger, nullable=False),  # the gate.evaluated entry that raised it
    Index("ix_p_alert_seq", "seq"),
)


def load_manifest(conn: Connection, manifest_id: str, *, with_results: bool = True) -> Manifest | None:
    """The domain's :class:`Manifest` from the projection (with each person's latest gate results)."""
    row = conn.execute(select(manifest).where(manifest.c.manifest_id == manifest_id)).first()
    if row is None:
        return None
    created = event_from(EventType.MANIFEST_CREATED.value, manifest_id, json.loads(row.created_body), None)
    assert isinstance(created, ManifestCreated)
    state = apply_manifest(None, created)
    state = Manifest(
        manifest_id=manifest_id,
        journey_id=state.journey_id,
        leg_index=state.leg_index,
        leg=state.leg,
        status=ManifestStatus(row.status),
        since=parse_utc(row.since),
        people=tuple(json.loads(row.people)),
        alternates=tuple(json.loads(row.alternates)),
        struck=tuple(json.loads(row.struck)),
        cleared_at=None if row.cleared_at is None else parse_utc(row.cleared_at),
    )
    if not with_results:
        return state
    for r in conn.execute(
        select(gate_result.c.body).where(gate_result.c.manifest_id == manifest_id).order_by(gate_result.c.seq)
    ):
        state = apply_manifest(state, event_from(EventType.GATE_EVALUATED.value, manifest_id, json.loads(r.body), None))
    return state


def _write_people(conn: Connection, m: Manifest) -> None:
    conn.execute(delete(manifest_person).where(manifest_person.c.manifest_id == m.manifest_id))
    rows = [
        {"manifest_id": m.manifest_id, "person_id": p, "role": role}
        for role, people in ((ABOARD, m.people), (ALTERNATE, m.alternates), (STRUCK, m.struck))
        for p in people
    ]
    if rows:
        conn.execute(manifest_person.insert(), rows)


def _apply_created(conn: Connection, seq: int, event: Event) -> None:
    assert isinstance(event, ManifestCreated)
    m = apply_manifest(None, event)
    conn.execute(
        manifest.insert().values(
            manifest_id=m.manifest_id, journey_id=m.journey_id, leg_index=m.leg_index, status=m.status.value,
            since=format_utc(m.since), destination_country=m.leg.destination_country,
            scheduled_departure=format_utc(m.leg.scheduled_departure),
            created_body=body_json(event.public()), people=plain(m.people), alternates=plain(m.alternates),
            struck=plain(m.struck), cleared_at=None, seq=seq, updated_seq=seq,
        )
    )
    _write_people(conn, m)


def _apply_changed(conn: Connection, seq: int, event: Event) -> None:
    assert isinstance(event, ManifestChanged)
    before = load_manifest(conn, event.stream, with_results=False)
    after = apply_manifest(before, event)
    conn.execute(
        update(manifest)
        .where(manifest.c.manifest_id == after.manifest_id)
        .values(
            status=after.status.value, since=format_utc(after.since), people=plain(after.people),
            alternates=plain(after.alternates), struck=plain(after.struck),
            cleared_at=None if after.cleared_at is None else format_utc(after.cleared_at), updated_seq=seq,
        )
    )
    assert before is not None
    if (before.people, before.alternates, before.struck) != (after.people, after.alternates, after.struck):
        _write_people(conn, after)


def apply_gates_many(conn: Connection, items: Sequence[tuple[int, Event]]) -> None:
    """Apply consecutive ``gate.evaluated`` entries: the rows one applied at a time would leave, in a few statements.

    Each person's ``p_gate_result`` row is the last entry's for that manifest and person (updated if there,
    inserted if not, one executemany each); alerts are raised in entry order, once for each key.
    """
    statuses: dict[str, Any] = {}
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    alerts: dict[tuple[str, str, str], dict[str, Any]] = {}
    for seq, event in items:
        assert isinstance(event, GateEvaluated)
        if event.stream not in statuses:
            status = conn.execute(select(manifest.c.status).where(manifest.c.manifest_id == event.stream)).scalar()
            if status is None:
                raise LookupError(f"gate.evaluated for unknown manifest {event.stream!r}")
            statuses[event.stream] = status
        latest[(event.stream, event.person_id)] = {
            "manifest_id": event.stream,
            "person_id": event.person_id,
            "policy": event.policy,
            "evaluated_at": format_utc(event.occurred_at),
            "blocks": int(not event.checks or any(c.blocks for c in event.checks)),
            "body": body_json(event.public()),
            "seq": seq,
        }
        if ManifestStatus(statuses[event.stream]) not in IN_FLIGHT:
            continue
        for check in event.checks:
            if check.gate in RETURN_GATES and check.blocks and check.rests_on_record is not None:
                alerts.setdefault(
                    (event.stream, check.rests_on_record, event.person_id),
                    {
                        "manifest_id": event.stream, "record_id": check.rests_on_record,
                        "person_id": event.person_id, "kind": "return_required", "gate": check.gate,
                        "outcome": check.outcome.value, "reason_code": check.reason_code,
                        "record_seq": check.rests_on_seq, "raised_at": format_utc(event.occurred_at), "seq": seq,
                    },
                )
    existing: set[tuple[str, str]] = set()
    for manifest_id in statuses:
        people = [p for m, p in latest if m == manifest_id]
        for k in range(0, len(people), _CHUNK):
            existing.update(
                (manifest_id, p)
                for p in conn.execute(
                    select(gate_result.c.person_id).where(
                        gate_result.c.manifest_id == manifest_id, gate_result.c.person_id.in_(people[k : k + _CHUNK])
                    )
                ).scalars()
            )
    values = ("policy", "evaluated_at", "blocks", "body", "seq")
    updates = [
        {"k_manifest": m, "k_person": p, **{f"v_{c}": row[c] for c in values}}
        for (m, p), row in latest.items()
        if (m, p) in existing
    ]
    if updates:
        key = (gate_result.c.manifest_id == bindparam("k_manifest"), gate_result.c.person_id == bindparam("k_person"))
        conn.execute(update(gate_result).where(*key).values({c: bindparam(f"v_{c}") for c in values}), updates)
    inserts = [row for key, row in latest.items() if key not in existing]
    if inserts:
        conn.execute(gate_result.insert(), inserts)
    for (m, r, p), row in alerts.items():
        if conn.execute(
            select(alert.c.seq).where(alert.c.manifest_id == m, alert.c.record_id == r, alert.c.person_id == p)
        ).first() is None:
            conn.execute(alert.insert().values(**row))


_CHUNK = 500  # ids per IN (...): well under SQLite's bound-parameter limit


APPLIERS: dict[EventType, Applier] = {
    EventType.MANIFEST_CREATED: _apply_created,
    EventType.GATE_EVALUATED: Batched(apply_gates_many),
    **{
        t: _apply_changed
        for t in EventType
        if t.value.startswith("manifest.") and t is not EventType.MANIFEST_CREATED
    },
    # An override of a return-required alert: a ``p_record`` row (its body names the order and the people), so a
    # retraction applies to it as to any record; habeas.services.alert_binding reads it beside ``p_alert``.
    EventType.RETURN_REQUIRED_OVERRIDDEN: RecordRow(personal=False),
}

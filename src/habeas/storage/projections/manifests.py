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
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter

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

from habeas.domain.events import EventType, event_from
from habeas.domain.manifest_events import (
    GateEvaluated,
    GateOutcome,
    ManifestChanged,
    ManifestCreated,
    ManifestStatus,
)
from habeas.domain.manifest_state import Manifest, apply_manifest
from habeas.domain.values import format_utc, parse_utc
from habeas.storage.projections.batch import Batch, Row, insert_new, upsert
from habeas.storage.projections.rows import Applier, Batched, Recorded, plain
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


_INSERT_MANIFEST = manifest.insert()
_UPDATE_MANIFEST = (
    update(manifest)
    .where(manifest.c.manifest_id == bindparam("k_id"))
    .values({c: bindparam(f"v_{c}") for c in ("status", "since", "people", "alternates", "struck", "cleared_at",
                                               "updated_seq")})
)
_DROP_PEOPLE = delete(manifest_person).where(manifest_person.c.manifest_id == bindparam("k_id"))
_INSERT_PEOPLE = manifest_person.insert()
_UPSERT_RESULT = upsert(gate_result)
_RAISE_ALERT = insert_new(alert)  # an alert is raised once for each key: the first entry that raises it keeps it
_STATUS = select(manifest.c.status).where(manifest.c.manifest_id == bindparam("k_id"))
_PENDING, _STATUSES = "manifests", "manifest_statuses"


@dataclass
class _Pending:
    """A manifest a batch has changed: its state now, and what its row needs at the flush."""

    state: Manifest
    created: tuple[int, str] | None  # (seq, created_body) when the batch created it: the row is inserted
    people_changed: bool
    updated_seq: int


def _pending(batch: Batch) -> dict[str, _Pending]:
    found: dict[str, _Pending] | None = batch.state.get(_PENDING)
    if found is None:
        found = batch.state[_PENDING] = {}
        batch.before_flush(_PENDING, _write_manifests)
    return found


def _status(batch: Batch, manifest_id: str) -> ManifestStatus:
    """The manifest's status as of the entry being applied: from the batch if it changed it, else its row."""
    pending: _Pending | None = batch.state.get(_PENDING, {}).get(manifest_id)
    if pending is not None:
        return pending.state.status
    statuses: dict[str, ManifestStatus] = batch.state.setdefault(_STATUSES, {})
    if manifest_id not in statuses:
        status = batch.conn.execute(_STATUS, {"k_id": manifest_id}).scalar()
        if status is None:
            raise LookupError(f"gate.evaluated for unknown manifest {manifest_id!r}")
        statuses[manifest_id] = ManifestStatus(status)
    found: ManifestStatus = statuses[manifest_id]
    return found


def _write_manifests(batch: Batch) -> None:
    """Queue each changed manifest's row as its last entry left it, and its people where they changed."""
    pending: dict[str, _Pending] = batch.state.get(_PENDING, {})
    inserts: list[Row] = []
    updates: list[Row] = []
    dropped: list[Row] = []
    people: list[Row] = []
    for manifest_id, p in pending.items():
        m = p.state
        values = {
            "status": m.status.value, "since": format_utc(m.since), "people": plain(m.people),
            "alternates": plain(m.alternates), "struck": plain(m.struck),
            "cleared_at": None if m.cleared_at is None else format_utc(m.cleared_at), "updated_seq": p.updated_seq,
        }
        if p.created is not None:
            seq, created_body = p.created
            inserts.append({
                "manifest_id": manifest_id, "journey_id": m.journey_id, "leg_index": m.leg_index,
                "destination_country": m.leg.destination_country,
                "scheduled_departure": format_utc(m.leg.scheduled_departure), "created_body": created_body,
                "seq": seq, **values,
            })
        else:
            updates.append({"k_id": manifest_id, **{f"v_{c}": v for c, v in values.items()}})
        if p.created is None and p.people_changed:
            dropped.append({"k_id": manifest_id})
        if p.created is not None or p.people_changed:
            people.extend(
                {"manifest_id": manifest_id, "person_id": person, "role": role}
                for role, group in ((ABOARD, m.people), (ALTERNATE, m.alternates), (STRUCK, m.struck))
                for person in group
            )
    batch.add(manifest, _INSERT_MANIFEST, inserts)
    batch.add(manifest, _UPDATE_MANIFEST, updates)
    batch.add(manifest_person, _DROP_PEOPLE, dropped)
    batch.add(manifest_person, _INSERT_PEOPLE, people)


def _apply_created(batch: Batch, items: Sequence[Recorded]) -> None:
    pending = _pending(batch)
    for r in items:
        event = r.event
        assert isinstance(event, ManifestCreated)
        pending[r.stream] = _Pending(apply_manifest(None, event), (r.seq, r.body_json()), True, r.seq)


def _apply_changed(batch: Batch, items: Sequence[Recorded]) -> None:
    pending = _pending(batch)
    for r in items:
        event = r.event
        assert isinstance(event, ManifestChanged)
        p = pending.get(r.stream)
        if p is None:
            before = load_manifest(batch.conn, r.stream, with_results=False)
            after = apply_manifest(before, event)
            assert before is not None
            p = pending[r.stream] = _Pending(after, None, False, r.seq)
        else:
            before, after = p.state, apply_manifest(p.state, event)
            p.state, p.updated_seq = after, r.seq
        if (before.people, before.alternates, before.struck) != (after.people, after.alternates, after.struck):
            p.people_changed = True


def _gate_rows(r: Recorded, times: dict[datetime, str]) -> tuple[Row, list[tuple[str, str, int | None, str, str]]]:
    """The ``p_gate_result`` row of a gate.evaluated and its blocking checks (gate, outcome, record seq, record,
    reason code), from the event when live and from the body otherwise. ``times`` keeps each time's text: a
    clearance records everyone's results at one time."""
    if r.live:
        event = r.event
        assert isinstance(event, GateEvaluated)
        at = times.get(event.occurred_at)
        if at is None:
            at = times[event.occurred_at] = format_utc(event.occurred_at)
        person_id, policy = event.person_id, event.policy
        # GateCheck.blocks, inlined: one pass over the checks, read only where one blocks (seldom)
        blocking = [
            (c.gate, _VALUES[c.outcome], c.rests_on_seq, c.rests_on_record, c.reason_code)
            for c in event.checks
            if c.outcome is not _PASSED
        ]
        blocks = not event.checks or bool(blocking)
    else:
        body = r.body
        person_id, policy, at = body["person_id"], body["policy"], body["occurred_at"]
        checks = [
            (c["gate"], c["outcome"], c.get("rests_on_seq"), c.get("rests_on_record"), c["reason_code"])
            for c in body["checks"]
        ]
        blocking = [c for c in checks if c[1] != _PASS]  # GateCheck.blocks: any outcome but a pass
        blocks = not checks or bool(blocking)
    row = {
        "manifest_id": r.stream, "person_id": person_id, "policy": policy, "evaluated_at": at,
        "blocks": int(blocks), "body": r.body_json(), "seq": r.seq,
    }
    return row, [(g, o, q, rec, code) for g, o, q, rec, code in blocking if rec is not None]


_PASS = GateOutcome.PASS.value
_PASSED = GateOutcome.PASS
_VALUES = {o: o.value for o in GateOutcome}  # ``.value`` of an enum member is a descriptor call: a look-up is less


def apply_gates_many(batch: Batch, items: Sequence[Recorded]) -> None:
    """Apply consecutive ``gate.evaluated`` entries: the rows one applied at a time would leave, in a few statements.

    Each person's ``p_gate_result`` row is the last entry's for that manifest and person (an upsert); a
    return-required alert is raised for a blocking court-order or stay gate recorded while the manifest is in
    flight, once for each key (the first entry keeps it).
    """
    results, alerts = [], []
    times: dict[datetime, str] = {}
    for r in items:
        row, blocking = _gate_rows(r, times)
        results.append(row)
        if _status(batch, r.stream) not in IN_FLIGHT:  # (an unknown manifest is refused here)
            continue
        for gate, outcome, record_seq, record_id, reason_code in blocking:
            if gate in RETURN_GATES:
                alerts.append({
                    "manifest_id": r.stream, "record_id": record_id, "person_id": row["person_id"],
                    "kind": "return_required", "gate": gate, "outcome": outcome, "reason_code": reason_code,
                    "record_seq": record_seq, "raised_at": row["evaluated_at"], "seq": r.seq,
                })
    batch.add(gate_result, _UPSERT_RESULT[batch.dialect], results, key=itemgetter("manifest_id", "person_id"))
    batch.add(
        alert, _RAISE_ALERT[batch.dialect], alerts, key=itemgetter("manifest_id", "record_id", "person_id"),
        keep_first=True,
    )


_CHANGED = Batched(_apply_changed)

APPLIERS: dict[EventType, Applier] = {
    EventType.MANIFEST_CREATED: Batched(_apply_created),
    EventType.GATE_EVALUATED: Batched(apply_gates_many),
    **{
        t: _CHANGED
        for t in EventType
        if t.value.startswith("manifest.") and t is not EventType.MANIFEST_CREATED
    },
    # An override of a return-required alert: a ``p_record`` row (its body names the order and the people), so a
    # retraction applies to it as to any record; habeas.services.alert_binding reads it beside ``p_alert``.
    EventType.RETURN_REQUIRED_OVERRIDDEN: RecordRow(personal=False),
}

"""Custody: ``p_custody``, each person's current custody state (status, place, custodian, authority).

Every custody.changed carries the complete resulting state, so the row is an upsert of the latest entry's
values: one statement for a run of entries, of which only each person's last counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, Column, Index, String, Table

from habeas.domain.custody import CustodyChanged
from habeas.domain.events import EventType
from habeas.domain.values import format_utc
from habeas.storage.projections.batch import Batch, Row, upsert
from habeas.storage.projections.rows import Applier, Batched, Recorded
from habeas.storage.projections.schema import metadata

custody = Table(
    "p_custody",
    metadata,
    Column("person_id", String(100), primary_key=True),
    Column("status", String(40), nullable=False),
    Column("since", String(40)),
    Column("facility_id", String(100)),
    Column("unit_id", String(100)),
    Column("leg_id", String(100)),
    Column("country", String(3)),
    Column("custodian_agency", String(100)),
    Column("custodian_officer", String(100)),
    Column("authority_agency", String(100)),
    Column("authority_basis", String(200)),
    Column("authority_record", String(100)),
    Column("seq", BigInteger, nullable=False),  # the custody.changed entry this state rests on
    Index("ix_p_custody_facility", "facility_id"),
)

_UPSERT = upsert(custody)


def _row(r: Recorded) -> Row:
    if r.live:
        event = r.event
        assert isinstance(event, CustodyChanged)
        custodian, authority = event.custodian, event.authority
        return {
            "person_id": event.stream,
            "status": event.to_status.value,
            "since": format_utc(event.occurred_at),
            "facility_id": event.facility_id,
            "unit_id": event.unit_id,
            "leg_id": event.leg_id,
            "country": event.country,
            "custodian_agency": custodian.agency_id if custodian else None,
            "custodian_officer": custodian.officer_id if custodian else None,
            "authority_agency": authority.agency_id if authority else None,
            "authority_basis": authority.legal_basis if authority else None,
            "authority_record": authority.record_id if authority else None,
            "seq": r.seq,
        }
    body = r.body
    held: dict[str, Any] = body.get("custodian") or {}
    auth: dict[str, Any] = body.get("authority") or {}
    return {
        "person_id": r.stream,
        "status": body["to_status"],
        "since": body["occurred_at"],
        "facility_id": body.get("facility_id"),
        "unit_id": body.get("unit_id"),
        "leg_id": body.get("leg_id"),
        "country": body.get("country"),
        "custodian_agency": held.get("agency_id"),
        "custodian_officer": held.get("officer_id"),
        "authority_agency": auth.get("agency_id"),
        "authority_basis": auth.get("legal_basis"),
        "authority_record": auth.get("record_id"),
        "seq": r.seq,
    }


def _changed(batch: Batch, items: Sequence[Recorded]) -> None:
    batch.add(custody, _UPSERT[batch.dialect], [_row(r) for r in items], key=lambda row: row["person_id"])


APPLIERS: dict[EventType, Applier] = {EventType.CUSTODY_CHANGED: Batched(_changed)}

"""Custody: ``p_custody``, each person's current custody state (status, place, custodian, authority)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Connection, Index, String, Table, update

from habeas.domain.custody import CustodyChanged
from habeas.domain.events import Event, EventType
from habeas.domain.values import format_utc
from habeas.storage.projections.rows import Applier
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


def _changed(conn: Connection, seq: int, event: Event) -> None:
    assert isinstance(event, CustodyChanged)
    values = {
        "status": event.to_status.value,
        "since": format_utc(event.occurred_at),
        "facility_id": event.facility_id,
        "unit_id": event.unit_id,
        "leg_id": event.leg_id,
        "country": event.country,
        "custodian_agency": event.custodian.agency_id if event.custodian else None,
        "custodian_officer": event.custodian.officer_id if event.custodian else None,
        "authority_agency": event.authority.agency_id if event.authority else None,
        "authority_basis": event.authority.legal_basis if event.authority else None,
        "authority_record": event.authority.record_id if event.authority else None,
        "seq": seq,
    }
    done = conn.execute(update(custody).where(custody.c.person_id == event.stream).values(**values))
    if done.rowcount == 0:
        conn.execute(custody.insert().values(person_id=event.stream, **values))


APPLIERS: dict[EventType, Applier] = {EventType.CUSTODY_CHANGED: _changed}

"""Headcounts and incidents: ``p_headcount``, one row a count at a checkpoint; ``p_incident``, one row an
incident, resolved in place. Both are keyed by the record's own id (a manifest has many headcounts)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, String, Table, Text

from habeas.domain.events import EventType
from habeas.domain.headcounts import HeadcountRecorded
from habeas.domain.incidents import IncidentOpened, IncidentResolved
from habeas.storage.projections.rows import Applier, InsertRow, UpdateRow
from habeas.storage.projections.schema import metadata

headcount = Table(
    "p_headcount",
    metadata,
    Column("headcount_id", String(200), primary_key=True),
    Column("manifest_id", String(100), nullable=False),
    Column("checkpoint", String(20), nullable=False),
    Column("occurred_at", String(40), nullable=False),
    Column("expected_count", Integer, nullable=False),
    Column("counted_count", Integer, nullable=False),
    Column("missing", Text, nullable=False),  # JSON list of person ids
    Column("unexpected", Text, nullable=False),
    Column("duplicates", Text, nullable=False),
    Column("incident_id", String(200)),
    Column("seq", BigInteger, nullable=False),
    Index("ix_p_headcount_manifest", "manifest_id"),
)

incident = Table(
    "p_incident",
    metadata,
    Column("incident_id", String(200), primary_key=True),
    Column("kind", String(40), nullable=False),
    Column("person_ids", Text, nullable=False),  # JSON list
    Column("manifest_id", String(100)),
    Column("checkpoint", String(20)),
    Column("facility_id", String(100)),
    Column("leg_id", String(100)),
    Column("serious", Boolean, nullable=False),
    Column("independent_report_required", Boolean, nullable=False),
    Column("opened_at", String(40), nullable=False),
    Column("resolved_at", String(40)),
    Column("resolution", String(100)),
    Column("seq", BigInteger, nullable=False),
    Column("resolved_seq", BigInteger),
    Index("ix_p_incident_manifest", "manifest_id"),
)

APPLIERS: dict[EventType, Applier] = {
    EventType.HEADCOUNT_RECORDED: InsertRow(HeadcountRecorded, headcount, manifest_id="stream"),
    EventType.INCIDENT_OPENED: InsertRow(
        IncidentOpened, incident, incident_id="stream", opened_at="occurred_at",
        later=("resolved_at", "resolution", "resolved_seq"),
    ),
    EventType.INCIDENT_RESOLVED: UpdateRow(
        IncidentResolved, incident, key=("incident_id", "stream"), seq_column="resolved_seq",
        resolved_at="occurred_at", resolution="reason",
    ),
}

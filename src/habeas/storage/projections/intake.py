"""Intake: admissions and overrides of facts not recorded (``p_record`` rows whose parent is the facility) and
``p_capacity_override``, each admission made over a unit's capacity."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text

from habeas.domain.events import EventType
from habeas.domain.intake import IntakeCapacityOverride
from habeas.storage.projections.rows import Applier, InsertRow
from habeas.storage.projections.schema import RecordRow, metadata

capacity_override = Table(
    "p_capacity_override",
    metadata,
    Column("admission_id", String(200), primary_key=True),
    Column("facility_id", String(100), nullable=False),
    Column("unit_id", String(100), nullable=False),
    Column("person_id", String(100), nullable=False),
    Column("occupancy", Integer, nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("standard", String(20), nullable=False),
    Column("reason", Text, nullable=False),
    Column("authorised_by", String(100), nullable=False),
    Column("occurred_at", String(40), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Index("ix_p_capacity_override_facility", "facility_id"),
)

APPLIERS: dict[EventType, Applier] = {
    EventType.PERSON_ADMISSION_RECORDED: RecordRow(parent="facility_id"),
    EventType.INTAKE_CAPACITY_OVERRIDE: InsertRow(IntakeCapacityOverride, capacity_override, facility_id="stream"),
    EventType.INTAKE_UNKNOWN_OVERRIDE: RecordRow(parent="facility_id"),
}

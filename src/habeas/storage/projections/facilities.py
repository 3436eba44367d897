"""Facilities, their units, agencies and officers: one ``p_record`` row each (a unit's parent is its facility,
an officer's their agency)."""

from __future__ import annotations

from habeas.domain.events import EventType
from habeas.storage.projections.rows import Applier
from habeas.storage.projections.schema import RecordRow

APPLIERS: dict[EventType, Applier] = {
    EventType.FACILITY_REGISTERED: RecordRow(personal=False),
    EventType.UNIT_REGISTERED: RecordRow(personal=False, parent="stream"),
    EventType.AGENCY_REGISTERED: RecordRow(personal=False),
    EventType.OFFICER_REGISTERED: RecordRow(personal=False, parent="agency_id"),
}

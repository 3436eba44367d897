"""The projection appliers' tables, read without a database: every event type has exactly one applier, the
named tables are all the projection tables, and a table-driven spec that names a missing column or field fails
when it is made, not when an event arrives."""

from __future__ import annotations

from collections import Counter

import pytest

from habeas.domain.events import EventType
from habeas.domain.incidents import IncidentOpened
from habeas.storage.projections import (
    access,
    agreements,
    corrections,
    custody,
    facilities,
    handoffs,
    incidents,
    intake,
    legal,
    manifests,
    notifications,
    people,
)
from habeas.storage.projections import catalog as projections
from habeas.storage.projections.rows import Batched, InsertRow, UpdateRow

CONCEPTS = (
    access, agreements, corrections, custody, facilities, handoffs, incidents, intake, legal, manifests,
    notifications, people,
)


def test_every_event_type_has_exactly_one_applier() -> None:
    counts = Counter(t for concept in CONCEPTS for t in concept.APPLIERS)
    assert [t for t, n in counts.items() if n > 1] == []
    assert set(EventType) - set(counts) == set()


def test_the_named_tables_are_every_projection_table() -> None:
    assert set(projections.TABLES) == set(projections.metadata.tables.values())
    assert [t.name for t in projections.projection_tables()] == sorted(t.name for t in projections.TABLES)


def test_gate_results_keep_their_set_wise_applier() -> None:
    assert isinstance(manifests.APPLIERS[EventType.GATE_EVALUATED], Batched)


def test_a_spec_naming_a_missing_column_or_field_fails_when_made() -> None:
    with pytest.raises(ValueError, match="no column"):
        InsertRow(IncidentOpened, incidents.incident, not_a_column="stream")
    with pytest.raises(ValueError, match="no field 'opened_at'"):  # p_incident.opened_at is the event's occurred_at
        InsertRow(IncidentOpened, incidents.incident, incident_id="stream", later=("resolved_at", "resolution"))
    with pytest.raises(ValueError, match="no field"):
        UpdateRow(IncidentOpened, incidents.incident, key=("incident_id", "stream"), seq_column="resolved_seq",
                  resolution="nope.reason")

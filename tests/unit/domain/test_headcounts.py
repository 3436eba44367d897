"""Headcount reconciliation at every checkpoint; a discrepancy opens an incident that blocks the manifest."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from habeas.domain.errors import AlreadyExists, InvalidField, UnknownRecord
from habeas.domain.headcounts import (
    Checkpoint,
    HeadcountRecorded,
    RecordHeadcount,
    reconcile,
    record_headcount,
)
from habeas.domain.incidents import (
    IncidentKind,
    IncidentOpened,
    IncidentResolved,
    IncidentState,
    ResolveIncident,
    resolve_incident,
)
from tests.unit.domain.samples import NOW, T0

EXPECTED = ("p-1", "p-2", "p-3", "p-4")


def count(counted: tuple[str, ...], checkpoint: Checkpoint = Checkpoint.ARRIVAL) -> list[object]:
    cmd = RecordHeadcount(
        headcount_id="hc-1",
        manifest_id="mf-1",
        checkpoint=checkpoint,
        occurred_at=T0,
        counted_person_ids=counted,
        leg_id="leg-bus",
    )
    return list(record_headcount(cmd, expected=EXPECTED, already_recorded=False, now=NOW))


def test_all_present_reconciles() -> None:
    r = reconcile(EXPECTED, ("p-4", "p-2", "p-1", "p-3"))
    assert r.ok
    assert (r.missing, r.unexpected, r.duplicates) == ((), (), ())


def test_missing_person() -> None:
    r = reconcile(EXPECTED, ("p-1", "p-2", "p-4"))
    assert not r.ok
    assert r.missing == ("p-3",)
    assert (r.unexpected, r.duplicates) == ((), ())


def test_extra_person() -> None:
    r = reconcile(EXPECTED, ("p-1", "p-2", "p-3", "p-4", "p-9"))
    assert (r.missing, r.unexpected, r.duplicates) == ((), ("p-9",), ())
    assert not r.ok


def test_duplicate_count_of_one_person_hides_a_missing_one() -> None:
    # the numbers match (4 = 4) but p-3 is missing: counting by person is the point
    r = reconcile(EXPECTED, ("p-1", "p-2", "p-2", "p-4"))
    assert (r.missing, r.unexpected, r.duplicates) == (("p-3",), (), ("p-2",))
    assert r.discrepant == ("p-3", "p-2")


def test_expected_list_cannot_repeat_a_person() -> None:
    with pytest.raises(InvalidField, match="expected twice"):
        reconcile(("p-1", "p-1"), ("p-1",))


@given(
    st.lists(st.sampled_from([f"p-{i}" for i in range(8)]), unique=True),
    st.lists(st.sampled_from([f"p-{i}" for i in range(10)])),
)
def test_reconciliation_is_exact(expected: list[str], counted: list[str]) -> None:
    r = reconcile(expected, counted)
    assert set(r.missing) == set(expected) - set(counted)
    assert set(r.unexpected) == set(counted) - set(expected)
    assert set(r.duplicates) == {p for p in counted if counted.count(p) > 1}
    assert r.ok == (sorted(expected) == sorted(counted))


@pytest.mark.parametrize("checkpoint", list(Checkpoint))
def test_a_clean_count_records_one_entry_and_no_incident(checkpoint: Checkpoint) -> None:
    (event,) = count(EXPECTED, checkpoint)
    assert isinstance(event, HeadcountRecorded)
    assert event.stream == "mf-1"
    assert (event.checkpoint, event.expected_count, event.counted_count) == (checkpoint, 4, 4)
    assert event.counted_person_ids == EXPECTED
    assert event.incident_id is None


def test_a_discrepancy_opens_an_incident_naming_checkpoint_and_people() -> None:
    headcount, incident = count(("p-1", "p-2", "p-4", "p-7"))
    assert isinstance(headcount, HeadcountRecorded)
    assert isinstance(incident, IncidentOpened)
    assert (headcount.missing, headcount.unexpected) == (("p-3",), ("p-7",))
    assert headcount.incident_id == incident.stream == "hc-1.discrepancy"
    assert incident.kind is IncidentKind.HEADCOUNT_DISCREPANCY
    assert (incident.manifest_id, incident.checkpoint, incident.leg_id) == ("mf-1", Checkpoint.ARRIVAL, "leg-bus")
    assert incident.person_ids == ("p-3", "p-7")
    assert incident.private() == {"details": None}
    assert set(incident.public()["person_ids"]) == {"p-3", "p-7"}


def test_the_incident_is_resolved_only_with_a_reason_code() -> None:
    _, opened = count(("p-1", "p-2", "p-4"))
    assert isinstance(opened, IncidentOpened)
    state = IncidentState(incident_id=opened.stream, kind=opened.kind, manifest_id=opened.manifest_id)
    with pytest.raises(InvalidField, match="reason"):
        resolve_incident(
            ResolveIncident(incident_id=opened.stream, occurred_at=T0, reason="Found him"), incident=state, now=NOW
        )
    (resolved,) = resolve_incident(
        ResolveIncident(
            incident_id=opened.stream,
            occurred_at=T0 + timedelta(hours=1),
            reason="person_located",
            note="p-3 in the infirmary",
        ),
        incident=state,
        now=NOW,
    )
    assert isinstance(resolved, IncidentResolved)
    assert resolved.public() == {"occurred_at": "2025-03-15T19:30:00Z", "reason": "person_located"}


def test_refusals() -> None:
    cmd = RecordHeadcount(
        headcount_id="hc-1", manifest_id="mf-x", checkpoint=Checkpoint.BOARDING, occurred_at=T0, counted_person_ids=()
    )
    with pytest.raises(UnknownRecord):
        record_headcount(cmd, expected=None, already_recorded=False, now=NOW)
    with pytest.raises(AlreadyExists):
        record_headcount(cmd, expected=(), already_recorded=True, now=NOW)
    with pytest.raises(InvalidField, match="future"):
        record_headcount(
            RecordHeadcount(
                headcount_id="hc-2",
                manifest_id="mf-x",
                checkpoint=Checkpoint.BOARDING,
                occurred_at=NOW + timedelta(seconds=1),
                counted_person_ids=(),
            ),
            expected=(),
            already_recorded=False,
            now=NOW,
        )
    with pytest.raises(InvalidField, match="counted_person_ids"):
        record_headcount(
            RecordHeadcount(
                headcount_id="hc-3",
                manifest_id="mf-x",
                checkpoint=Checkpoint.BOARDING,
                occurred_at=T0,
                counted_person_ids=("Marcos Avalos",),
            ),
            expected=(),
            already_recorded=False,
            now=NOW,
        )

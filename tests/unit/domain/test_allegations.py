"""Allegations and convictions: separate types, and the allegation status table."""

from __future__ import annotations

from datetime import date

import pytest

from habeas.api.problems import status_of
from habeas.domain import commands as c
from habeas.domain.allegations import (
    ALLEGATION_TRANSITIONS,
    AdjudicationOutcome,
    AllegationRecorded,
    AllegationState,
    AllegationStatus,
    AllegationStatusChanged,
    ConvictionRecorded,
    change_allegation_status,
    record_allegation,
    record_conviction,
)
from habeas.domain.errors import AlreadyExists, InvalidField, InvalidStatusChange, UnknownRecord
from habeas.domain.people import PersonState
from tests.unit.domain.samples import NOW, T0

A = AllegationStatus
EXPECTED = {
    (A.ALLEGED, A.CONTESTED),
    (A.ALLEGED, A.ADJUDICATED),
    (A.ALLEGED, A.WITHDRAWN),
    (A.CONTESTED, A.ADJUDICATED),
    (A.CONTESTED, A.WITHDRAWN),
}
PAIRS = [(a, b) for a in AllegationStatus for b in AllegationStatus]


def change(from_status: AllegationStatus, to_status: AllegationStatus) -> list[object]:
    adjudicated = to_status is A.ADJUDICATED
    cmd = c.ChangeAllegationStatus(
        allegation_id="al-1",
        occurred_at=T0,
        to_status=to_status,
        outcome=AdjudicationOutcome.SUSTAINED if adjudicated else None,
        decided_by="Immigration court" if adjudicated else None,
    )
    state = AllegationState(allegation_id="al-1", person_id="p-1", status=from_status)
    return list(change_allegation_status(cmd, allegation=state, now=NOW))


def test_the_table_is_the_documented_one() -> None:
    assert {(a, b) for a, targets in ALLEGATION_TRANSITIONS.items() for b in targets} == EXPECTED


@pytest.mark.parametrize(("from_status", "to_status"), PAIRS)
def test_every_status_pair(from_status: AllegationStatus, to_status: AllegationStatus) -> None:
    if (from_status, to_status) in EXPECTED:
        [event] = change(from_status, to_status)
        assert isinstance(event, AllegationStatusChanged)
        assert (event.stream, event.from_status, event.to_status) == ("p-1", from_status, to_status)
    else:
        with pytest.raises(InvalidStatusChange) as refused:
            change(from_status, to_status)
        assert (refused.value.record_id, refused.value.from_status, refused.value.to_status) == (
            "al-1",
            from_status,
            to_status,
        )
        assert status_of(refused.value) == 409


def test_outcome_only_with_adjudication() -> None:
    state = AllegationState(allegation_id="al-1", person_id="p-1", status=A.ALLEGED)
    with pytest.raises(InvalidField, match="outcome"):
        change_allegation_status(
            c.ChangeAllegationStatus(allegation_id="al-1", occurred_at=T0, to_status=A.ADJUDICATED),
            allegation=state,
            now=NOW,
        )
    with pytest.raises(InvalidField, match="outcome"):
        change_allegation_status(
            c.ChangeAllegationStatus(
                allegation_id="al-1",
                occurred_at=T0,
                to_status=A.WITHDRAWN,
                outcome=AdjudicationOutcome.SUSTAINED,
            ),
            allegation=state,
            now=NOW,
        )
    with pytest.raises(UnknownRecord):
        change_allegation_status(
            c.ChangeAllegationStatus(allegation_id="al-2", occurred_at=T0, to_status=A.WITHDRAWN),
            allegation=state,
            now=NOW,
        )


def test_allegation_and_conviction_are_different_types_with_different_fields() -> None:
    person = PersonState(person_id="p-1")
    [allegation] = record_allegation(
        c.RecordAllegation(
            allegation_id="al-1",
            person_id="p-1",
            occurred_at=T0,
            organisation="Tren de Aragua",
            source="tattoo assessment",
            evidence_reference="form-123",
        ),
        person=person,
        already_recorded=False,
        now=NOW,
    )
    [conviction] = record_conviction(
        c.RecordConviction(
            conviction_id="cv-1",
            person_id="p-1",
            occurred_at=T0,
            court="Harris County",
            jurisdiction="US",
            offence="Driving without a licence",
            convicted_on=date(2021, 5, 1),
        ),
        person=person,
        already_recorded=False,
        now=NOW,
    )
    assert isinstance(allegation, AllegationRecorded)
    assert isinstance(conviction, ConvictionRecorded)
    assert not isinstance(allegation, ConvictionRecorded)
    assert "offence" not in allegation.public()
    assert "organisation" not in conviction.public()


def test_record_refusals() -> None:
    person = PersonState(person_id="p-1")
    cmd = c.RecordAllegation(
        allegation_id="al-1", person_id="p-1", occurred_at=T0, organisation="MS-13", source="x"
    )
    with pytest.raises(AlreadyExists):
        record_allegation(cmd, person=person, already_recorded=True, now=NOW)
    conviction = c.RecordConviction(
        conviction_id="cv-1",
        person_id="p-1",
        occurred_at=T0,
        court="C",
        jurisdiction="US",
        offence="O",
        convicted_on=date(2026, 1, 1),
    )
    with pytest.raises(InvalidField, match="convicted_on"):
        record_conviction(conviction, person=person, already_recorded=False, now=NOW)

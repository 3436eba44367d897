"""Fitness to travel: the decision, and which assessment the gates read."""

from __future__ import annotations

from datetime import timedelta

import pytest

from habeas.domain import commands as c
from habeas.domain.errors import AlreadyExists, InvalidField, PersonWasErased, UnknownRecord
from habeas.domain.events import EventType
from habeas.domain.medical import FitnessToTravelRecorded, record_fitness_to_travel
from habeas.domain.people import PersonState
from tests.unit.domain.samples import NOW, T0

PERSON = PersonState(person_id="p-1")


def assess(**kw: object) -> c.RecordFitnessToTravel:
    fields: dict[str, object] = {
        "assessment_id": "fa-1", "person_id": "p-1", "occurred_at": T0, "fit": True, "assessed_by": "clin-7",
    }
    return c.RecordFitnessToTravel(**(fields | kw))  # type: ignore[arg-type]


def test_a_fitness_assessment_is_recorded_with_its_notes_private() -> None:
    cmd = assess(valid_until=T0 + timedelta(days=3), restrictions="wheelchair", notes="  insulin twice daily ")
    [event] = record_fitness_to_travel(cmd, person=PERSON, already_recorded=False, now=NOW)
    assert isinstance(event, FitnessToTravelRecorded)
    assert event.TYPE is EventType.FITNESS_TO_TRAVEL_RECORDED
    assert (event.stream, event.assessment_id, event.fit, event.assessed_by) == ("p-1", "fa-1", True, "clin-7")
    assert (event.valid_until, event.restrictions) == (T0 + timedelta(days=3), "wheelchair")
    # the finding is health data: private content the gate reads from the payload; only the id is public
    assert event.private() == {
        "notes": "insulin twice daily", "fit": True, "assessed_by": "clin-7",
        "valid_until": "2025-03-18T18:30:00Z", "restrictions": "wheelchair",
    }
    assert set(event.public()) == {"occurred_at", "assessment_id"}
    assert event.valid_at(T0)
    assert event.valid_at(T0 + timedelta(days=3) - timedelta(seconds=1))
    assert not event.valid_at(T0 + timedelta(days=3))  # valid_until is exclusive
    assert not event.valid_at(T0 - timedelta(seconds=1))  # not yet assessed
    private = {"fit", "assessed_by", "valid_until", "restrictions", "notes"}
    assert set(FitnessToTravelRecorded.private_names()) == private
    assert "notes" not in FitnessToTravelRecorded.content_names()  # clinical notes are never shown with the record


def test_an_unfit_assessment_without_expiry_or_notes() -> None:
    [event] = record_fitness_to_travel(assess(fit=False), person=PERSON, already_recorded=False, now=NOW)
    assert isinstance(event, FitnessToTravelRecorded)
    assert (event.fit, event.valid_until, event.restrictions) == (False, None, None)
    assert event.private() == {"fit": False, "assessed_by": "clin-7", "valid_until": None, "restrictions": None,
                               "notes": None}


def test_the_person_must_exist_and_the_id_be_new() -> None:
    with pytest.raises(UnknownRecord):
        record_fitness_to_travel(assess(), person=None, already_recorded=False, now=NOW)
    with pytest.raises(PersonWasErased):
        record_fitness_to_travel(
            assess(), person=PersonState(person_id="p-1", erased=True), already_recorded=False, now=NOW
        )
    with pytest.raises(AlreadyExists):
        record_fitness_to_travel(assess(), person=PERSON, already_recorded=True, now=NOW)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"occurred_at": NOW + timedelta(seconds=1)}, "occurred_at"),
        ({"valid_until": T0}, "valid_until"),
        ({"valid_until": T0 - timedelta(days=1)}, "valid_until"),
        ({"valid_until": (T0 + timedelta(days=1)).replace(tzinfo=None)}, "valid_until"),
        ({"assessed_by": "Dr. Jane Roe"}, "assessed_by"),
        ({"assessment_id": "fa 1"}, "assessment_id"),
        ({"restrictions": "No Stairs"}, "restrictions"),
        ({"notes": "   "}, "notes"),
    ],
)
def test_invalid_assessments_are_refused(change: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidField, match=field):
        record_fitness_to_travel(assess(**change), person=PERSON, already_recorded=False, now=NOW)

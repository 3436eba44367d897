"""Amendments and retractions name the corrected entry; erasure keeps only the id and a reason code public."""

from __future__ import annotations

from datetime import timedelta

import pytest

from habeas.domain import commands as c
from habeas.domain.corrections import (
    CorrectionAction,
    EntryCorrected,
    EntryState,
    ErasureReason,
    PersonErased,
    amend_entry,
    erase_person,
    retract_entry,
)
from habeas.domain.custody import Authority, Custodian, CustodyState, CustodyStatus
from habeas.domain.errors import InvalidField, PersonWasErased, Refused, UnknownRecord
from habeas.domain.events import EventType, event_from
from habeas.domain.people import PersonName, PersonState
from tests.unit.domain.samples import NOW, T0, sample_events

REGISTERED = sample_events()[EventType.PERSON_REGISTERED]
ENTRY = EntryState(seq=7, event=REGISTERED)


def test_amendment_carries_the_replacement_and_keeps_names_private() -> None:
    new_name = PersonName(given_names=("Marcos", "Armando"), surnames=("Avalos", "Garcia"))
    cmd = c.AmendEntry(corrected_seq=7, occurred_at=T0, reason="misspelled_name", changes={"name": new_name})
    [event] = amend_entry(cmd, entry=ENTRY, now=NOW)
    assert isinstance(event, EntryCorrected)
    assert (event.stream, event.corrected_seq, event.action) == ("p-1", 7, CorrectionAction.AMEND)
    assert "Armando" not in str(event.public())
    assert event.replacement_private is not None
    assert event.replacement_private["name"]["given_names"] == ["Marcos", "Armando"]
    replacement = event_from(
        str(event.corrected_type), event.stream, event.replacement_public or {}, event.replacement_private
    )
    assert replacement == REGISTERED.__class__(**{**REGISTERED.__dict__, "name": new_name})


def test_amendment_is_validated_by_the_original_event_type() -> None:
    bad = c.AmendEntry(
        corrected_seq=7, occurred_at=T0, reason="typo", changes={"nationalities": ("El Salvador",)}
    )
    with pytest.raises(InvalidField, match="nationalities"):
        amend_entry(bad, entry=ENTRY, now=NOW)
    with pytest.raises(InvalidField, match="changes"):
        amend_entry(
            c.AmendEntry(corrected_seq=7, occurred_at=T0, reason="typo", changes={"stream": "p-2"}),
            entry=ENTRY,
            now=NOW,
        )
    with pytest.raises(InvalidField, match="change nothing"):
        amend_entry(
            c.AmendEntry(corrected_seq=7, occurred_at=T0, reason="typo", changes={"sex": REGISTERED.sex}),  # type: ignore[attr-defined]
            entry=ENTRY,
            now=NOW,
        )
    with pytest.raises(InvalidField, match="occurred_at"):
        amend_entry(
            c.AmendEntry(
                corrected_seq=7,
                occurred_at=T0,
                reason="typo",
                changes={"occurred_at": T0.replace(tzinfo=None)},
            ),
            entry=ENTRY,
            now=NOW,
        )


def test_retraction_and_its_refusals() -> None:
    cmd = c.RetractEntry(corrected_seq=7, occurred_at=T0, reason="entered_in_error")
    [event] = retract_entry(cmd, entry=ENTRY, now=NOW)
    assert isinstance(event, EntryCorrected)
    assert event.replacement_public is None
    assert event.private() == {"replacement_private": None}
    with pytest.raises(UnknownRecord):
        retract_entry(cmd, entry=None, now=NOW)
    with pytest.raises(UnknownRecord):
        retract_entry(cmd, entry=EntryState(seq=8, event=REGISTERED), now=NOW)
    with pytest.raises(Refused, match="already retracted"):
        retract_entry(cmd, entry=EntryState(seq=7, event=REGISTERED, retracted=True), now=NOW)
    with pytest.raises(Refused, match="correct the original"):
        retract_entry(cmd, entry=EntryState(seq=7, event=event), now=NOW)


NOT_HELD = CustodyState(person_id="p-1")
HELD = CustodyState(
    person_id="p-1",
    status=CustodyStatus.IN_CUSTODY,
    since=T0,
    facility_id="f",
    unit_id="u",
    custodian=Custodian(agency_id="a", officer_id="o"),
    authority=Authority(agency_id="a", legal_basis="ina_241"),
)


def test_erasure_public_part_is_only_id_and_reason() -> None:
    cmd = c.ErasePerson(person_id="p-1", occurred_at=T0, reason=ErasureReason.DATA_SUBJECT_REQUEST)
    released = CustodyState(person_id="p-1", status=CustodyStatus.RELEASED, since=T0 - timedelta(days=1))
    [event] = erase_person(cmd, person=PersonState(person_id="p-1"), custody=released, now=NOW)
    assert isinstance(event, PersonErased)
    assert event.stream == "p-1"
    assert event.public() == {"occurred_at": "2025-03-15T18:30:00Z", "reason": "data_subject_request"}
    assert event.private() is None


def test_erasure_refusals() -> None:
    cmd = c.ErasePerson(person_id="p-1", occurred_at=T0, reason=ErasureReason.COURT_ORDER)
    with pytest.raises(Refused, match="held"):
        erase_person(cmd, person=PersonState(person_id="p-1"), custody=HELD, now=NOW)
    with pytest.raises(PersonWasErased):
        erase_person(cmd, person=PersonState(person_id="p-1", erased=True), custody=NOT_HELD, now=NOW)
    with pytest.raises(UnknownRecord):
        erase_person(cmd, person=None, custody=NOT_HELD, now=NOW)

"""Identifiers, names, partial dates and the Mandela rule 7 admission record."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from habeas.domain import commands as c
from habeas.domain.errors import InvalidField, PersonWasErased, UnknownRecord
from habeas.domain.people import (
    AdmissionRecorded,
    Identifier,
    IdentifierKind,
    PartialDate,
    PersonName,
    PersonState,
    normalize_a_number,
    normalize_document,
    record_admission,
)
from tests.unit.domain.samples import NOW, T0


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        ("A201577119", "A201577119"),
        ("a-201-577-119", "A201577119"),
        ("201577119", "A201577119"),
        ("A 2015 7711 9", "A201577119"),
        ("A12345678", "A012345678"),  # 8 digits: zero-padded to 9
        ("12-345-678", "A012345678"),
    ],
)
def test_a_number_normalization(text: str, normalized: str) -> None:
    assert normalize_a_number(text) == normalized


@pytest.mark.parametrize("text", ["A1234567", "A1234567890", "B123456789", "", "A12345678X", "AA12345678"])
def test_a_number_refused(text: str) -> None:
    with pytest.raises(InvalidField, match="a_number"):
        normalize_a_number(text)


@given(st.integers(min_value=0, max_value=999_999_999))
def test_a_number_normalization_is_idempotent(n: int) -> None:
    once = normalize_a_number(f"{n:09d}")
    assert normalize_a_number(once) == once


def test_identifiers_normalize_on_construction_and_compare_equal() -> None:
    assert Identifier(kind=IdentifierKind.A_NUMBER, value="a-012-345-678", country="US") == Identifier(
        kind=IdentifierKind.A_NUMBER, value="12345678", country="US"
    )
    assert normalize_document("v-12.345.678") == "V12345678"
    with pytest.raises(InvalidField, match="country"):
        Identifier(kind=IdentifierKind.PASSPORT, value="X1", country="usa")
    with pytest.raises(InvalidField, match="ssn"):
        Identifier(kind="ssn", value="1", country="US")  # type: ignore[arg-type]


def test_names_have_at_most_two_surnames_and_are_not_empty() -> None:
    assert PersonName(given_names=("Marcos", "Armando"), surnames=("Avalos", "Garcia")).full() == (
        "Marcos Armando Avalos Garcia"
    )
    assert PersonName(surnames=("Mononym",)).full() == "Mononym"
    with pytest.raises(InvalidField, match="surnames"):
        PersonName(given_names=("A",), surnames=("B", "C", "D"))
    with pytest.raises(InvalidField):
        PersonName()
    with pytest.raises(InvalidField):
        PersonName(given_names=("  ",))


@pytest.mark.parametrize("text", ["1995", "1995-07", "1995-07-26", "2000-02-29"])
def test_partial_dates_round_trip_through_text(text: str) -> None:
    assert str(PartialDate.parse(text)) == text


@pytest.mark.parametrize("text", ["95", "1995-13", "1995-02-30", "1995-7-1", "1995/07/26", "2001-02-29"])
def test_partial_dates_refused(text: str) -> None:
    with pytest.raises(InvalidField):
        PartialDate.parse(text)


def test_day_without_month_refused() -> None:
    with pytest.raises(InvalidField, match="day without a month"):
        PartialDate(year=1995, day=3)


def test_partial_date_compatibility() -> None:
    full = PartialDate.parse("1995-07-26")
    assert PartialDate(year=1995).compatible(full)
    assert PartialDate(year=1995, month=7).compatible(full)
    assert not PartialDate(year=1995, month=8).compatible(full)
    assert not PartialDate(year=1994).compatible(full)


ADMIT = c.RecordAdmission(
    person_id="p-1",
    admission_id="adm-1",
    facility_id="cecot",
    occurred_at=T0,
    commitment_authority="Removal order ro-1",
    arrested_at=T0 - timedelta(days=2),
    visible_injuries="bruised wrists from restraints",
)


def test_admission_record_keeps_injuries_and_the_commitment_authority_private() -> None:
    [event] = record_admission(ADMIT, person=PersonState(person_id="p-1"), facility_exists=True, now=NOW)
    assert isinstance(event, AdmissionRecorded)
    # the public log says a rule 7 record was made, where and when; its authority's wording is private
    assert set(event.public()) == {"occurred_at", "admission_id", "facility_id"}
    private = event.private()
    assert private is not None
    assert private["visible_injuries"] == "bruised wrists from restraints"
    assert private["commitment_authority"] == "Removal order ro-1"


def test_admission_refusals() -> None:
    person = PersonState(person_id="p-1")
    with pytest.raises(UnknownRecord, match="facility"):
        record_admission(ADMIT, person=person, facility_exists=False, now=NOW)
    with pytest.raises(UnknownRecord, match="person"):
        record_admission(ADMIT, person=None, facility_exists=True, now=NOW)
    with pytest.raises(PersonWasErased):
        record_admission(
            ADMIT, person=PersonState(person_id="p-1", erased=True), facility_exists=True, now=NOW
        )
    late_arrest = c.RecordAdmission(**{**ADMIT.__dict__, "arrested_at": T0 + timedelta(hours=1)})
    with pytest.raises(InvalidField, match="arrested_at"):
        record_admission(late_arrest, person=person, facility_exists=True, now=NOW)
    no_authority = c.RecordAdmission(**{**ADMIT.__dict__, "commitment_authority": " "})
    with pytest.raises(InvalidField, match="commitment_authority"):
        record_admission(no_authority, person=person, facility_exists=True, now=NOW)

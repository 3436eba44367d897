"""Name folding and duplicate-identity warnings; registration never merges, merging is an explicit command."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from habeas.domain import commands as c
from habeas.domain.errors import AlreadyExists, InvalidField, PersonWasErased, PersonWasMerged, UnknownRecord
from habeas.domain.identity import (
    IdentityMatch,
    IdentityWarning,
    PersonIdentity,
    PersonMerged,
    find_duplicates,
    fold,
    fold_any,
    merge_persons,
    name_key,
    register_person,
)
from habeas.domain.people import (
    Identifier,
    IdentifierKind,
    PartialDate,
    PersonName,
    PersonRegistered,
    PersonState,
    Sex,
    Transliteration,
)
from tests.unit.domain.samples import NOW, T0


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("García Pérez", "Perez Garcia"),  # accents and surname order
        ("JOSÉ", "jose"),  # case
        ("Ávalos-García", "Avalos Garcia"),  # hyphen
        ("  Avalos   García ", "avalos garcia"),  # spaces
        ("O'Brien", "OBRIEN"),  # apostrophes join
        ("Muñoz", "Munoz"),
        ("Straße", "STRASSE"),  # case folding, not lower()
        ("Ｊｏｓｅ", "Jose"),  # NFKD compatibility forms
    ],
)
def test_names_that_fold_together(a: str, b: str) -> None:
    assert name_key(a) == name_key(b)


@pytest.mark.parametrize(("a", "b"), [("Garcia", "Garza"), ("Jose Luis", "Jose"), ("Ana Maria", "Mariana")])
def test_names_that_stay_apart(a: str, b: str) -> None:
    assert name_key(a) != name_key(b)


@given(st.text())
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


def ident(
    person_id: str,
    given: str,
    *surnames: str,
    dob: str | None = None,
    ids: tuple[Identifier, ...] = (),
    aliases: tuple[str, ...] = (),
) -> PersonIdentity:
    return PersonIdentity(
        person_id=person_id,
        name=PersonName(given_names=(given,), surnames=surnames),
        date_of_birth=None if dob is None else PartialDate.parse(dob),
        identifiers=ids,
        aliases=aliases,
    )


A_NUMBER = Identifier(kind=IdentifierKind.A_NUMBER, value="A-201-577-119", country="US")


def test_same_identifier_warns_whatever_the_name() -> None:
    new = ident(
        "p-new",
        "Someone",
        "Else",
        ids=(Identifier(kind=IdentifierKind.A_NUMBER, value="201577119", country="US"),),
    )
    old = ident("p-old", "Marcos", "Avalos", ids=(A_NUMBER,))
    assert find_duplicates(new, [old]) == [
        IdentityWarning(other_person_id="p-old", reason=IdentityMatch.SAME_IDENTIFIER)
    ]


def test_same_document_number_in_another_country_is_not_the_same_identifier() -> None:
    new = ident("p-new", "A", ids=(Identifier(kind=IdentifierKind.PASSPORT, value="123456", country="SV"),))
    old = ident("p-old", "B", ids=(Identifier(kind=IdentifierKind.PASSPORT, value="123456", country="VE"),))
    assert find_duplicates(new, [old]) == []


def test_same_folded_name_and_birth_date_warns() -> None:
    new = ident("p-new", "Marcos", "Avalos", "Garcia", dob="1995-07-26")
    old = ident("p-old", "MARCOS", "García", "Ávalos", dob="1995-07-26")
    assert find_duplicates(new, [old]) == [
        IdentityWarning(other_person_id="p-old", reason=IdentityMatch.SAME_NAME_AND_BIRTH_DATE)
    ]


@pytest.mark.parametrize(
    ("dob_new", "dob_old"), [("1995", "1995-07-26"), ("1995-07", "1995-07-26"), ("1995-07-26", "1995")]
)
def test_partial_birth_dates_that_agree_warn_as_compatible(dob_new: str, dob_old: str) -> None:
    new = ident("p-new", "Marcos", "Avalos", dob=dob_new)
    old = ident("p-old", "Marcos", "Avalos", dob=dob_old)
    [warning] = find_duplicates(new, [old])
    assert warning.reason is IdentityMatch.SAME_NAME_AND_COMPATIBLE_BIRTH_DATE


@pytest.mark.parametrize(
    ("dob_new", "dob_old"), [("1995", "1996"), ("1995-07", "1995-08-01"), (None, "1995"), (None, None)]
)
def test_names_alone_or_disagreeing_birth_dates_do_not_warn(dob_new: str | None, dob_old: str | None) -> None:
    assert (
        find_duplicates(
            ident("p-new", "Jose", "Garcia", dob=dob_new), [ident("p-old", "Jose", "Garcia", dob=dob_old)]
        )
        == []
    )


def test_aliases_and_transliterations_are_compared_too() -> None:
    new = PersonIdentity(
        person_id="p-new", aliases=("Marcos Avalos Garcia",), date_of_birth=PartialDate(year=1995)
    )
    old = PersonIdentity(
        person_id="p-old",
        date_of_birth=PartialDate(year=1995),
        transliterations=(
            Transliteration(
                script="Latn", name=PersonName(given_names=("Marcos",), surnames=("García", "Ávalos"))
            ),
        ),
    )
    assert [w.other_person_id for w in find_duplicates(new, [old])] == ["p-old"]


def test_register_person_returns_event_and_warnings_but_never_merges() -> None:
    cmd = c.RegisterPerson(
        person_id="p-new",
        occurred_at=T0,
        name=PersonName(given_names=("Marcos",), surnames=("Avalos", "Garcia")),
        date_of_birth=PartialDate.parse("1995-07-26"),
        sex=Sex.MALE,
        nationalities=("SV",),
        country_of_birth="SV",
        languages=("es",),
        identifiers=(A_NUMBER,),
    )
    existing = [ident("p-old", "Marcos", "García", "Ávalos", dob="1995-07-26", ids=(A_NUMBER,))]
    events, warnings = register_person(cmd, existing=existing, now=NOW)
    [event] = events
    assert isinstance(event, PersonRegistered)
    assert event.stream == "p-new"
    assert {w.reason for w in warnings} == {
        IdentityMatch.SAME_IDENTIFIER,
        IdentityMatch.SAME_NAME_AND_BIRTH_DATE,
    }
    assert {w.other_person_id for w in warnings} == {"p-old"}


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"person_id": "p-old"}, AlreadyExists),
        ({"nationalities": ("sv",)}, InvalidField),
        ({"country_of_birth": "Salvador"}, InvalidField),
        ({"languages": ("Spanish",)}, InvalidField),
        ({"identifiers": (A_NUMBER, A_NUMBER)}, InvalidField),
        ({"occurred_at": NOW.replace(year=2030)}, InvalidField),
    ],
)
def test_register_person_refusals(changes: dict[str, object], error: type[Exception]) -> None:
    base: dict[str, object] = {"person_id": "p-new", "occurred_at": T0}
    with pytest.raises(error):
        register_person(
            c.RegisterPerson(**(base | changes)),  # type: ignore[arg-type]
            existing=[ident("p-old", "X")],
            now=NOW,
        )


def test_merge_is_an_explicit_event_on_the_duplicate_stream() -> None:
    cmd = c.MergePersons(
        person_id="p-1", duplicate_id="p-2", occurred_at=T0, basis=IdentityMatch.MANUAL_REVIEW
    )
    [event] = merge_persons(
        cmd, survivor=PersonState(person_id="p-1"), duplicate=PersonState(person_id="p-2"), now=NOW
    )
    assert isinstance(event, PersonMerged)
    assert (event.stream, event.into_person_id) == ("p-2", "p-1")


def test_merge_refusals() -> None:
    cmd = c.MergePersons(
        person_id="p-1", duplicate_id="p-2", occurred_at=T0, basis=IdentityMatch.MANUAL_REVIEW
    )
    live1, live2 = PersonState(person_id="p-1"), PersonState(person_id="p-2")
    with pytest.raises(InvalidField):
        merge_persons(
            c.MergePersons(
                person_id="p-1", duplicate_id="p-1", occurred_at=T0, basis=IdentityMatch.MANUAL_REVIEW
            ),
            survivor=live1,
            duplicate=live1,
            now=NOW,
        )
    with pytest.raises(UnknownRecord):
        merge_persons(cmd, survivor=live1, duplicate=None, now=NOW)
    with pytest.raises(PersonWasMerged) as merged:
        merge_persons(cmd, survivor=live1, duplicate=PersonState(person_id="p-2", merged_into="p-9"), now=NOW)
    assert merged.value.into_person_id == "p-9"
    with pytest.raises(PersonWasErased):
        merge_persons(cmd, survivor=PersonState(person_id="p-1", erased=True), duplicate=live2, now=NOW)


@given(st.text(st.characters(max_codepoint=127)))
def test_ascii_text_folds_by_its_table_as_the_long_way_folds_it(text: str) -> None:
    assert fold(text) == fold_any(text)


@given(st.text())
def test_any_text_folds_the_long_way(text: str) -> None:
    assert fold(text) == fold_any(text)

"""The public locator's keys: exact on every name and the full birth date, folded for accents, case and the order
of the names (as `habeas person find` folds them)."""

from __future__ import annotations

from habeas.domain.identity import PersonIdentity, locator_a_number_key, locator_keys, locator_name_key
from habeas.domain.people import Identifier, IdentifierKind, PartialDate, PersonName, Transliteration
from habeas.storage.projections.people import identity_keys

JOSE = PersonName(given_names=("José", "Ángel"), surnames=("Pérez", "García"))
BORN = PartialDate(year=1990, month=5, day=17)


def _identity(**changes: object) -> PersonIdentity:
    fields: dict[str, object] = {
        "person_id": "p-1", "name": JOSE, "date_of_birth": BORN,
        "identifiers": (
            Identifier(kind=IdentifierKind.A_NUMBER, value="A-123-456-789", country="US"),
            Identifier(kind=IdentifierKind.PASSPORT, value="SV123", country="SV"),
        ),
    }
    fields.update(changes)
    return PersonIdentity(**fields)  # type: ignore[arg-type]


def test_the_name_key_folds_accents_case_hyphens_and_spacing() -> None:
    key = locator_name_key("José Ángel", "Pérez García", "1990-05-17")
    assert locator_name_key("jose  angel", "PEREZ-GARCIA", "1990-05-17") == key
    # issue 11: surnames (and given names) in the other order are the same names
    assert locator_name_key("Ángel José", "García Pérez", "1990-05-17") == key
    assert key.startswith("name:")
    assert len(key) == len("name:") + 64


def test_the_name_key_is_exact_otherwise() -> None:
    key = locator_name_key("José Ángel", "Pérez García", "1990-05-17")
    assert locator_name_key("José", "Pérez García", "1990-05-17") != key
    assert locator_name_key("José Ángel", "García", "1990-05-17") != key
    assert locator_name_key("José Ángel", "Pérez García García", "1990-05-17") != key
    assert locator_name_key("José Ángel", "Pérez García", "1990-05-18") != key
    # the split between given names and surnames counts
    assert locator_name_key("José Ángel Pérez", "García", "1990-05-17") != key
    assert locator_name_key("Pérez García", "José Ángel", "1990-05-17") != key


def test_a_person_has_a_key_for_each_a_number_and_name_with_a_full_birth_date() -> None:
    latin = Transliteration(script="Latn", name=PersonName(given_names=("Yusuf",), surnames=("Haddad",)))
    keys = locator_keys(_identity(transliterations=(latin,)))
    assert keys == {
        locator_a_number_key("A123456789"),
        locator_name_key("José Ángel", "Pérez García", "1990-05-17"),
        locator_name_key("Yusuf", "Haddad", "1990-05-17"),
    }


def test_a_birth_date_not_known_to_the_day_gives_no_name_key() -> None:
    keys = locator_keys(_identity(date_of_birth=PartialDate(year=1990, month=5)))
    assert keys == {locator_a_number_key("A123456789")}
    assert locator_keys(_identity(date_of_birth=None, identifiers=())) == frozenset()


def test_the_projection_keeps_them_as_locator_keys() -> None:
    keys = identity_keys(_identity())
    assert {k for kind, k in keys if kind == "locator"} == locator_keys(_identity())
    assert {kind for kind, _ in keys} == {"identifier", "name", "locator"}

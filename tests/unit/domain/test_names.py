"""Names as the ledger keeps them (habeas.domain.names): NFC, nothing invisible or direction-changing, one script
per word (Unicode TR 39 5.1), each refusal naming the character and the field. No database: pure functions, with
the script data fontTools carries passed in (habeas.services.scripts), as the services pass it."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from habeas.domain import commands as c
from habeas.domain.errors import InvalidField, shown
from habeas.domain.identity import register_person
from habeas.domain.names import _mixed, mixed_any, require_name, require_name_any, require_one_script
from habeas.domain.people import PartialDate, PersonName, Transliteration, check_scripts, require_born_by
from habeas.services.scripts import script_extensions

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def refused(field: str, text: str) -> str:
    with pytest.raises(InvalidField) as caught:
        require_name(field, text)
    assert caught.value.field == field
    return caught.value.reason


# -- NFC and invisible characters ------------------------------------------------------------------------------


def test_a_name_is_stored_in_nfc_with_plain_spaces() -> None:
    assert require_name("given_names", "Jose\u0301") == "José"
    assert unicodedata.is_normalized("NFC", require_name("surnames", "Garci\u0301a Pe\u0301rez"))
    assert require_name("surnames", "山田\u3000太郎") == "山田 太郎"  # an ideographic space, as Japanese is typed
    assert require_name("surnames", "  Ana\u00a0María ") == "Ana María"


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("Ali\u202e", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("\u202dAli", "U+202D LEFT-TO-RIGHT OVERRIDE"),
        ("Ali\u2067x", "U+2067 RIGHT-TO-LEFT ISOLATE"),
        ("Ali\u200f", "U+200F RIGHT-TO-LEFT MARK"),
        ("Ali\u061c", "U+061C ARABIC LETTER MARK"),
        ("Jo\u200bsé", "U+200B ZERO WIDTH SPACE"),
        ("Jo\u200dsé", "U+200D ZERO WIDTH JOINER"),
        ("Jo\u200csé", "U+200C ZERO WIDTH NON-JOINER"),
        ("Jo\u2060sé", "U+2060 WORD JOINER"),
        ("\ufeffJosé", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
        ("Jo\u00adsé", "U+00AD SOFT HYPHEN"),
        ("Kim\u3164", "U+3164 HANGUL FILLER"),
        ("Jo\x07sé", "U+0007"),
        ("Jo\nsé", "U+000A"),
        ("Jo\u2028sé", "U+2028 LINE SEPARATOR"),
        ("Jo\ue000sé", "U+E000"),
    ],
)
def test_invisible_and_direction_changing_characters_are_refused_by_name(text: str, named: str) -> None:
    reason = refused("given_names", text)
    assert named in reason
    assert "remove it" in reason


def test_joiners_stay_where_writing_systems_need_them() -> None:
    assert require_name("given_names", "علی\u200cرضا") == "علی\u200cرضا"  # Persian: ZWNJ between Arabic letters
    assert require_name("given_names", "क्\u200dष") == "क्\u200dष"  # Devanagari: ZWJ after a virama


def test_blank_overlong_and_non_text_names_are_refused() -> None:
    assert refused("surnames", "   ") == "blank"
    assert "longer than 100" in refused("surnames", "x" * 101)
    with pytest.raises(InvalidField, match="not text"):
        require_name("surnames", 42)


# -- one script per word ---------------------------------------------------------------------------------------


def mixed(text: str) -> str:
    with pytest.raises(InvalidField) as caught:
        require_one_script("surnames", [text], script_extensions)
    return caught.value.reason


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("P\u0430vel", "U+0430 CYRILLIC SMALL LETTER A"),  # Latin word, Cyrillic а
        ("Пaвел", "U+0061 LATIN SMALL LETTER A"),  # Cyrillic word, Latin a
        ("\u0391lex", "U+0391 GREEK CAPITAL LETTER ALPHA"),
        ("Garcia Pаvel", "U+0430 CYRILLIC SMALL LETTER A"),  # the second word is judged on its own
        ("Ali\u0639", "U+0639 ARABIC LETTER AIN"),
    ],
)
def test_a_word_that_mixes_scripts_is_refused_naming_the_odd_letter(text: str, named: str) -> None:
    reason = mixed(text)
    assert named in reason
    assert "mixes scripts" in reason


@pytest.mark.parametrize(
    "text",
    [
        "García Pérez", "O'Brien", "Jean-Luc", "Хосе", "Мария Garcia", "محمد", "علی\u200cرضا",
        "山田たろう", "ヤマダ・タロウ", "김민준", "金民俊", "張偉", "Γιώργος", "Nguyễn", "Ana2", "كوفي‌عنان",
    ],
)
def test_words_in_one_script_are_accepted(text: str) -> None:
    require_one_script("surnames", [text], script_extensions)


def test_every_name_of_a_person_is_checked() -> None:
    latin = PersonName(given_names=("Ana",), surnames=("Ruiz",))
    bad = PersonName(given_names=("P\u0430vel",))
    check_scripts(latin, ("Anita",), (Transliteration(script="Cyrl", name=PersonName(given_names=("Анна",))),),
                  scripts=script_extensions)
    for name, aliases, transliterations, field in (
        (bad, (), (), "given_names"),
        (latin, ("El P\u0430vo",), (), "aliases"),
        (latin, (), (Transliteration(script="Latn", name=PersonName(surnames=("Rоdríguez",))),), "surnames"),
    ):
        with pytest.raises(InvalidField) as caught:
            check_scripts(name, aliases, transliterations, scripts=script_extensions)
        assert caught.value.field == field


def test_a_person_name_is_checked_when_it_is_made() -> None:
    assert PersonName(given_names=("Jose\u0301",)).given_names == ("José",)
    with pytest.raises(InvalidField, match="U\\+202E RIGHT-TO-LEFT OVERRIDE") as caught:
        PersonName(surnames=("Ruiz\u202e",))
    assert caught.value.field == "surnames"


# -- birth dates and what errors echo ---------------------------------------------------------------------------


def test_a_birth_date_after_the_record_is_refused() -> None:
    require_born_by("date_of_birth", PartialDate.parse("2025-03-02"), T0)  # already the 2nd somewhere (UTC+14)
    require_born_by("date_of_birth", PartialDate.parse("2025"), T0)
    for text in ("2025-03-03", "2025-04", "2026", "2099-01-01"):
        with pytest.raises(InvalidField, match="future") as caught:
            require_born_by("date_of_birth", PartialDate.parse(text), T0)
        assert text in str(caught.value)


def test_registration_refuses_a_future_birth_date_and_normalises_aliases() -> None:
    base = {"person_id": "p-1", "occurred_at": T0, "name": PersonName(given_names=("Ana",))}
    with pytest.raises(InvalidField, match=r"date_of_birth '?2099-01-01'?"):
        register_person(c.RegisterPerson(**base, date_of_birth=PartialDate.parse("2099-01-01")), existing=[], now=T0)
    with pytest.raises(InvalidField, match="U\\+200B ZERO WIDTH SPACE"):
        register_person(c.RegisterPerson(**base, aliases=("El\u200bFlaco",)), existing=[], now=T0)
    [event], _ = register_person(c.RegisterPerson(**base, aliases=("Pe\u0301pe",)), existing=[], now=T0)
    assert event.aliases == ("Pépe",)  # type: ignore[attr-defined]


def test_an_impossible_date_is_shown_as_written() -> None:
    with pytest.raises(InvalidField) as caught:
        PartialDate.parse("2023-02-30", "date_of_birth")
    assert str(caught.value) == "invalid date_of_birth '2023-02-30': not a calendar date"
    with pytest.raises(InvalidField) as direct:
        PartialDate(year=2023, month=2, day=30)
    assert "PartialDate(" not in str(direct.value)
    assert "2023-02-30" in str(direct.value)


def test_errors_echo_at_most_80_characters_of_a_value() -> None:
    long = "x" * 100_000
    assert shown(long) == repr("x" * 79 + "…")
    assert len(str(InvalidField("given_names", long, "too long"))) < 120
    assert shown(10**100).endswith("…")
    assert len(shown(10**100)) == 80
    assert shown(PartialDate(year=1990, month=5)) == "1990-05"
    assert shown(datetime(2025, 3, 1, tzinfo=UTC)) == "2025-03-01T00:00:00+00:00"
    assert shown("Ali\u202e") == "'Ali\\u202e'"  # never the control itself


# -- the ASCII shortcuts answer as the long way does -------------------------------------------------------------

ASCII = st.text(st.characters(max_codepoint=127), max_size=90)


def outcome(check: object, *args: object, **kwargs: object) -> object:
    try:
        return check(*args, **kwargs)  # type: ignore[operator]
    except InvalidField as e:
        return ("refused", e.field, e.reason)


@given(ASCII, st.integers(1, 80))
def test_ascii_names_are_checked_as_any_text_is(text: str, max_len: int) -> None:
    assert outcome(require_name, "n", text, max_len=max_len) == outcome(require_name_any, "n", text, max_len=max_len)


@given(ASCII)
def test_an_ascii_word_is_in_one_script_as_the_long_way_finds(word: str) -> None:
    assert _mixed(word, script_extensions) == mixed_any(word, script_extensions)

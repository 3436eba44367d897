"""People's names as the ledger keeps them: NFC, nothing invisible, one script per word.

A name is searched for by families and counsel (the public locator folds it and matches exactly), so a name
that looks right but is not what it looks like is a person who cannot be found:

- every name is stored in Unicode normalisation form C, so "José" typed with a combining accent and "José"
  typed precomposed are one name, and with plain spaces;
- a name may not carry bidirectional controls (U+202E RIGHT-TO-LEFT OVERRIDE shows "Ali" for "ilA") nor
  zero-width or other invisible characters (U+200B ZERO WIDTH SPACE splits a word no one sees split). Zero
  width non-joiner and joiner stay allowed where writing systems need them (UAX #31, section 2.3): after a
  virama, and the non-joiner between two Arabic-type letters, as Persian names are written;
- a word may not mix scripts (Unicode TR 39, section 5.1): "Pаvel" with a Cyrillic "а" is refused, naming
  the letter. Each word is judged apart, because a person may give one name in Latin and another in Cyrillic.

Pure: the Unicode script data (the Script_Extensions property) is not in the standard library, so the
mixed-script rule takes it as an argument, as decisions take the time; :mod:`habeas.services.scripts` gives
fontTools' table of it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Collection, Iterable

from habeas.domain.errors import InvalidField

ScriptsOf = Callable[[str], Collection[str]]
"""A character's Script_Extensions as ISO 15924 codes: ``{"Latn"}``, ``{"Zyyy"}`` (Common), ``{"Zinh"}``
(Inherited), ``{"Zzzz"}`` (unknown)."""

MAX_NAME = 100
ZWNJ, ZWJ = "\u200c", "\u200d"
# Explicit embeddings, overrides and isolates, and the marks: every bidirectional class that is a control.
_BIDI_CONTROLS = frozenset({"LRE", "RLE", "PDF", "LRO", "RLO", "LRI", "RLI", "FSI", "PDI"})
_BIDI_MARKS = frozenset({"\u200e", "\u200f", "\u061c"})  # LEFT-TO-RIGHT, RIGHT-TO-LEFT and ARABIC LETTER MARK
# Letters that render as nothing (Default_Ignorable_Code_Point, though not format characters): Hangul fillers.
_BLANK_LETTERS = frozenset({"\u115f", "\u1160", "\u3164", "\uffa0"})
_VIRAMA = 9  # canonical combining class of a virama
# TR 39 5.1: writing Japanese mixes Han, Hiragana and Katakana; Korean, Han and Hangul; Chinese, Han and Bopomofo.
_AUGMENTED = {
    "Hani": ("Hanb", "Jpan", "Kore"), "Hira": ("Jpan",), "Kana": ("Jpan",), "Hang": ("Kore",), "Bopo": ("Hanb",),
}
_ANY_SCRIPT = frozenset({"Zyyy", "Zinh"})  # Common and Inherited: they go with every script


def character(ch: str) -> str:
    """``U+202E RIGHT-TO-LEFT OVERRIDE``: how an error names a character."""
    return f"U+{ord(ch):04X} {unicodedata.name(ch, 'an unnamed character')}"


def require_name(field: str, value: object, *, max_len: int = MAX_NAME) -> str:
    """A name (one given name, one surname, an alias): NFC, outer spaces stripped, at most ``max_len``
    characters, nothing invisible or direction-changing; :class:`InvalidField` naming the character otherwise."""
    if not isinstance(value, str):
        raise InvalidField(field, value, "not text")
    if value.isascii() and value.isprintable():
        # Printable ASCII is already NFC, its only space is U+0020, and none of it is invisible or a control: the
        # checks below would pass every character (most names are such text).
        text = value.strip()
        if text and len(text) <= max_len:
            return text
    return require_name_any(field, value, max_len=max_len)


def require_name_any(field: str, value: str, *, max_len: int = MAX_NAME) -> str:
    """:func:`require_name` the long way, for any text (what its ASCII shortcut is checked against)."""
    # Any visible space (no-break, ideographic: Japanese names are often typed with U+3000) is a plain space.
    nfc = unicodedata.normalize("NFC", value)
    text = "".join(" " if unicodedata.category(ch) == "Zs" else ch for ch in nfc).strip()
    if not text:
        raise InvalidField(field, value, "blank")
    if len(text) > max_len:
        raise InvalidField(field, value, f"longer than {max_len} characters")
    for i, ch in enumerate(text):
        problem = _invisible(text, i)
        if problem is not None:
            raise InvalidField(field, value, f"contains {character(ch)}, {problem}: remove it")
    return text


def _invisible(text: str, i: int) -> str | None:
    """What is wrong with ``text[i]`` in a name, if anything."""
    ch = text[i]
    category = unicodedata.category(ch)
    if unicodedata.bidirectional(ch) in _BIDI_CONTROLS or ch in _BIDI_MARKS:
        return "a bidirectional control (it reorders how the name is shown)"
    if ch in (ZWNJ, ZWJ) and _joiner_allowed(text, i):
        return None
    if category == "Cf" or ch in _BLANK_LETTERS:
        return "an invisible character"
    if category == "Cc":
        return "a control character"
    if category in ("Co", "Cn", "Cs"):
        return "not an assigned character (private use, unassigned or a lone surrogate)"
    if category in ("Zl", "Zp"):
        return "a line break"
    return None


def _joiner_allowed(text: str, i: int) -> bool:
    """UAX #31 2.3: a joiner after a virama (Indic scripts); a non-joiner between two Arabic-type letters
    (bidirectional class AL stands in for the joining types the standard library does not carry)."""
    before = text[i - 1] if i > 0 else ""
    after = text[i + 1] if i + 1 < len(text) else ""
    if before and unicodedata.combining(before) == _VIRAMA:
        return True
    return (
        text[i] == ZWNJ and bool(before) and bool(after)
        and all(unicodedata.bidirectional(c) == "AL" and unicodedata.category(c).startswith("L")
                for c in (before, after))
    )


def require_one_script(field: str, names: Iterable[str], scripts: ScriptsOf) -> None:
    """No word of ``names`` mixes scripts (TR 39 5.1: its resolved script set is empty); :class:`InvalidField`
    naming the first letter that is not of the word's main script otherwise."""
    for name in names:
        for word in name.split():
            mixed = _mixed(word, scripts)
            if mixed is not None:
                letter, main = mixed
                raise InvalidField(
                    field, name,
                    f"the word {word!r} mixes scripts: {character(letter)} is not {main} like the rest of it; "
                    "write each word in one script (a look-alike letter from another alphabet makes the name "
                    "unfindable)",
                )


def _augmented(ch: str, scripts: ScriptsOf) -> frozenset[str] | None:
    """The character's augmented script set (TR 39 5.1); None for Common and Inherited (every script)."""
    found = set(scripts(ch))
    if not found or found <= _ANY_SCRIPT:
        return None
    for script in list(found):
        found.update(_AUGMENTED.get(script, ()))
    return frozenset(found)


def _mixed(word: str, scripts: ScriptsOf) -> tuple[str, str] | None:
    """``(letter, main script)`` when ``word``'s resolved script set is empty, else None. The main script is
    the one most of its letters belong to (the first met on a tie), so the odd one out is named."""
    if word.isascii():  # Latin letters, and digits and signs common to every script: one script
        return None
    return mixed_any(word, scripts)


def mixed_any(word: str, scripts: ScriptsOf) -> tuple[str, str] | None:
    """:func:`_mixed` the long way, for any word (what its ASCII shortcut is checked against)."""
    sets = [(ch, s) for ch in word if (s := _augmented(ch, scripts)) is not None]
    if not sets:
        return None
    resolved = frozenset.intersection(*(s for _, s in sets))
    if resolved:
        return None
    counts: dict[str, int] = {}
    for _, s in sets:
        for script in sorted(s):
            counts[script] = counts.get(script, 0) + 1
    main = max(counts, key=lambda script: counts[script])  # max keeps the first of equals: insertion order
    letter = next(ch for ch, s in sets if main not in s)
    return letter, main

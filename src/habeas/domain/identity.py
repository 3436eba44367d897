"""Name folding, duplicate-identity warnings, registration and explicit merges.

Registration never merges: it returns warnings naming the records that look like the same person, and a person
is merged only by an explicit :class:`MergePersons`, which is itself an entry.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from habeas.domain.command import Command
from habeas.domain.errors import AlreadyExists, InvalidField
from habeas.domain.events import PRIVATE, Event, EventType
from habeas.domain.people import (
    Identifier,
    IdentifierKind,
    PartialDate,
    PersonName,
    PersonRegistered,
    PersonState,
    Sex,
    Transliteration,
    check_codes,
    require_person,
)
from habeas.domain.values import require_id, require_not_future

_DROPPED = {"'", "\u2019", "\u02bc", "`"}  # apostrophes join: O'Brien == OBrien


# ASCII text folds by one table lookup a character: NFKD leaves it as it is, no ASCII character combines, and
# casefold() is lower() on it. Most names reach fold() as ASCII (a registration folds seven or so texts).
_ASCII_FOLD = {c: (None if chr(c) in _DROPPED else " ") for c in range(128) if not chr(c).isalnum()}


def fold(text: str) -> str:
    """Accents stripped (NFKD), case folded, punctuation and hyphens as spaces, spaces collapsed."""
    if text.isascii():
        return " ".join(text.translate(_ASCII_FOLD).lower().split())
    return fold_any(text)


def fold_any(text: str) -> str:
    """:func:`fold` the long way, for any text (what the ASCII table is checked against)."""
    decomposed = unicodedata.normalize("NFKD", text)
    kept = []
    for ch in decomposed:
        if unicodedata.combining(ch) or ch in _DROPPED:
            continue
        kept.append(ch if ch.isalnum() else " ")
    return " ".join("".join(kept).casefold().split())


def name_key(text: str) -> tuple[str, ...]:
    """Folded tokens in sorted order, so surname order does not matter: "García Pérez" == "Perez Garcia"."""
    return tuple(sorted(fold(text).split()))


class IdentityMatch(StrEnum):
    SAME_IDENTIFIER = "same_identifier"
    SAME_NAME_AND_BIRTH_DATE = "same_name_and_birth_date"
    SAME_NAME_AND_COMPATIBLE_BIRTH_DATE = "same_name_and_compatible_birth_date"
    MANUAL_REVIEW = "manual_review"


@dataclass(frozen=True, kw_only=True)
class PersonIdentity:
    """The identifying facts of a registered person that duplicate detection compares."""

    person_id: str
    name: PersonName | None = None
    aliases: tuple[str, ...] = ()
    transliterations: tuple[Transliteration, ...] = ()
    date_of_birth: PartialDate | None = None
    identifiers: tuple[Identifier, ...] = ()

    @classmethod
    def of(cls, event: PersonRegistered) -> PersonIdentity:
        return cls(
            person_id=event.stream,
            name=event.name,
            aliases=event.aliases,
            transliterations=event.transliterations,
            date_of_birth=event.date_of_birth,
            identifiers=event.identifiers,
        )

    def name_keys(self) -> frozenset[tuple[str, ...]]:
        texts = [*self.aliases, *(t.name.full() for t in self.transliterations)]
        if self.name is not None:
            texts.append(self.name.full())
        return frozenset(k for k in map(name_key, texts) if k)


def locator_name_key(given_names: str, surnames: str, date_of_birth: str) -> str:
    """The public locator's exact-match key: every given name and every surname, each part folded by
    :func:`name_key` (accents, case, punctuation and word order, as `habeas person find` folds a name: "García
    Pérez" is "Pérez García"), and the full birth date (``YYYY-MM-DD``). Exact otherwise: a name missing, extra or
    one letter off, or the given names given as surnames, is no match. Hashed so every key has one length,
    whatever the names; "|" cannot occur in a folded name, so the parts cannot run into each other."""
    canonical = f"{' '.join(name_key(given_names))}|{' '.join(name_key(surnames))}|{date_of_birth}"
    return "name:" + hashlib.sha256(canonical.encode()).hexdigest()


def locator_a_number_key(a_number: str) -> str:
    """The public locator's key for a normalised A-number, whatever country issued it."""
    return f"a_number:{a_number}"


def locator_keys(identity: PersonIdentity) -> frozenset[str]:
    """The keys the public locator finds a person by: each A-number, and the name (and each transliteration)
    with the birth date, only when the date is known to the day (the locator asks for an exact date)."""
    keys = {locator_a_number_key(i.value) for i in identity.identifiers if i.kind is IdentifierKind.A_NUMBER}
    born = identity.date_of_birth
    if born is not None and born.day is not None:
        names = [t.name for t in identity.transliterations]
        if identity.name is not None:
            names.append(identity.name)
        keys |= {locator_name_key(" ".join(n.given_names), " ".join(n.surnames), str(born)) for n in names}
    return frozenset(keys)


@dataclass(frozen=True, kw_only=True)
class IdentityWarning:
    """Not an error: the new record may be the same person as ``other_person_id``."""

    other_person_id: str
    reason: IdentityMatch


def find_duplicates(new: PersonIdentity, existing: Iterable[PersonIdentity]) -> list[IdentityWarning]:
    """Warnings for every existing record sharing an identifier, or a folded name and a compatible birth date.

    A birth date known on one side only does not count: a common name alone is not a warning.
    """
    warnings: list[IdentityWarning] = []
    ids = set(new.identifiers)
    keys = new.name_keys()
    for other in existing:
        if other.person_id == new.person_id:
            continue
        if ids & set(other.identifiers):
            warnings.append(
                IdentityWarning(other_person_id=other.person_id, reason=IdentityMatch.SAME_IDENTIFIER)
            )
        a, b = new.date_of_birth, other.date_of_birth
        if a is None or b is None or not keys & other.name_keys() or not a.compatible(b):
            continue
        reason = (
            IdentityMatch.SAME_NAME_AND_BIRTH_DATE
            if a == b
            else IdentityMatch.SAME_NAME_AND_COMPATIBLE_BIRTH_DATE
        )
        warnings.append(IdentityWarning(other_person_id=other.person_id, reason=reason))
    return sorted(warnings, key=lambda w: (w.other_person_id, w.reason))


# -- commands --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RegisterPerson(Command):
    person_id: str
    occurred_at: datetime
    name: PersonName | None = None
    aliases: tuple[str, ...] = ()
    transliterations: tuple[Transliteration, ...] = ()
    date_of_birth: PartialDate | None = None
    sex: Sex = Sex.UNKNOWN
    nationalities: tuple[str, ...] = ()
    country_of_birth: str | None = None
    languages: tuple[str, ...] = ()
    identifiers: tuple[Identifier, ...] = ()


@dataclass(frozen=True, kw_only=True)
class MergePersons(Command):
    """``duplicate_id`` is merged into ``person_id``, which survives."""

    person_id: str
    duplicate_id: str
    occurred_at: datetime
    basis: IdentityMatch
    note: str | None = None


def register_person(
    cmd: RegisterPerson, *, existing: Sequence[PersonIdentity], now: datetime
) -> tuple[list[Event], list[IdentityWarning]]:
    """Register a person; ``existing`` are the candidates the services found (by identifier or name)."""
    person_id = require_id("person_id", cmd.person_id)
    if any(p.person_id == person_id for p in existing):
        raise AlreadyExists("person", person_id)
    check_codes(cmd.nationalities, cmd.country_of_birth, cmd.languages)
    if len(set(cmd.identifiers)) != len(cmd.identifiers):
        raise InvalidField("identifiers", cmd.identifiers, "the same identifier twice")
    event = PersonRegistered(
        stream=person_id,
        occurred_at=require_not_future("occurred_at", cmd.occurred_at, now),
        sex=cmd.sex,
        nationalities=cmd.nationalities,
        country_of_birth=cmd.country_of_birth,
        languages=cmd.languages,
        name=cmd.name,
        aliases=cmd.aliases,
        transliterations=cmd.transliterations,
        date_of_birth=cmd.date_of_birth,
        identifiers=cmd.identifiers,
    )
    return [event], find_duplicates(PersonIdentity.of(event), existing)


@dataclass(frozen=True, kw_only=True)
class PersonMerged(Event):
    """``stream`` (the duplicate record) is the same person as ``into_person_id``, which survives."""

    TYPE: ClassVar[EventType] = EventType.PERSON_MERGED

    into_person_id: str
    basis: IdentityMatch
    note: str | None = field(default=None, metadata=PRIVATE)


def merge_persons(
    cmd: MergePersons, *, survivor: PersonState | None, duplicate: PersonState | None, now: datetime
) -> list[Event]:
    if cmd.person_id == cmd.duplicate_id:
        raise InvalidField("duplicate_id", cmd.duplicate_id, "a person cannot be merged into itself")
    require_person(survivor, cmd.person_id)
    require_person(duplicate, cmd.duplicate_id)
    return [
        PersonMerged(
            stream=cmd.duplicate_id,
            occurred_at=require_not_future("occurred_at", cmd.occurred_at, now),
            into_person_id=cmd.person_id,
            basis=cmd.basis,
            note=cmd.note,
        )
    ]

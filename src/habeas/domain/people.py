"""People: identifiers, names, partial birth dates, and the Mandela rule 7 admission record.

Names, birth dates, identifiers and everything in the admission record but its id, facility and time are
private fields of the events (the commitment authority too: the public log tells custody, not its wording).
Nationality, country of birth, sex and languages stay public because the transparency reports (counts by
nationality) and the separation rules (Mandela rule 11) need them (``docs/public-log.md``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import ClassVar

from habeas.domain.command import Command
from habeas.domain.errors import AlreadyExists, InvalidField, PersonWasErased, PersonWasMerged, UnknownRecord
from habeas.domain.events import CONTENT, PRIVATE, Event, EventType
from habeas.domain.names import ScriptsOf, require_name, require_one_script
from habeas.domain.values import (
    require_aware,
    require_country,
    require_id,
    require_language,
    require_not_future,
    require_text,
)

_A_NUMBER = re.compile(r"A?(\d{8,9})")
_DOCUMENT = re.compile(r"[A-Z0-9]{1,24}")
_SCRIPT = re.compile(r"[A-Z][a-z]{3}")
MAX_SURNAMES = 2
MAX_QUANTITY = 1_000_000  # of one property item
MAX_ALIAS = 200


class IdentifierKind(StrEnum):
    A_NUMBER = "a_number"
    NATIONAL_ID = "national_id"
    PASSPORT = "passport"


def normalize_a_number(text: str) -> str:
    """``A-123-456-789``, ``a123456789`` → ``A123456789``; ``12345678`` → ``A012345678`` (9 digits)."""
    compact = re.sub(r"[\s-]", "", text).upper()
    match = _A_NUMBER.fullmatch(compact)
    if match is None:
        raise InvalidField("a_number", text, "not an A-number (A followed by 8 or 9 digits)")
    return "A" + match.group(1).zfill(9)


def normalize_document(text: str) -> str:
    """Passport and national-id numbers: upper case, without spaces, dashes, dots or slashes."""
    compact = re.sub(r"[\s./-]", "", text).upper()
    if not _DOCUMENT.fullmatch(compact):
        raise InvalidField("document_number", text, "not 1-24 letters and digits")
    return compact


@dataclass(frozen=True, kw_only=True)
class Identifier:
    """A document identifier; ``value`` is normalised on construction, so equal documents compare equal."""

    kind: IdentifierKind
    value: str
    country: str

    def __post_init__(self) -> None:
        try:
            kind = IdentifierKind(self.kind)
        except ValueError as e:
            raise InvalidField("kind", self.kind, "not a_number, national_id or passport") from e
        normalize = normalize_a_number if kind is IdentifierKind.A_NUMBER else normalize_document
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "value", normalize(self.value))
        require_country("country", self.country)


@dataclass(frozen=True, kw_only=True)
class PersonName:
    """Given names in order and up to two surnames (paternal, maternal) in the order the person uses."""

    given_names: tuple[str, ...] = ()
    surnames: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if len(self.surnames) > MAX_SURNAMES:
            raise InvalidField("surnames", self.surnames, "more than two surnames")
        if not self.given_names and not self.surnames:
            raise InvalidField("name", self, "neither given names nor surnames")
        object.__setattr__(self, "given_names", tuple(require_name("given_names", n) for n in self.given_names))
        object.__setattr__(self, "surnames", tuple(require_name("surnames", n) for n in self.surnames))

    def full(self) -> str:
        return " ".join((*self.given_names, *self.surnames))


@dataclass(frozen=True, kw_only=True)
class Transliteration:
    """The name as written in another script (ISO 15924 code such as ``Arab``, ``Cyrl``, ``Latn``)."""

    script: str
    name: PersonName

    def __post_init__(self) -> None:
        if not _SCRIPT.fullmatch(self.script):
            raise InvalidField("script", self.script, "not an ISO 15924 code such as Latn")


@dataclass(frozen=True, kw_only=True)
class PartialDate:
    """A date known to the year, the month or the day."""

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        if self.day is not None and self.month is None:
            raise InvalidField("date", self, "a day without a month")
        try:
            date(self.year, self.month or 1, self.day or 1)
        except (TypeError, ValueError) as e:
            raise InvalidField("date", self, "not a calendar date") from e

    @classmethod
    def parse(cls, text: str, field: str = "date") -> PartialDate:
        """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; an error names ``field``."""
        match = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", text.strip())
        if match is None:
            raise InvalidField(field, text, "not YYYY, YYYY-MM or YYYY-MM-DD")
        year, month, day = (int(g) if g else None for g in match.groups())
        assert year is not None  # the pattern requires it
        try:
            return cls(year=year, month=month, day=day)
        except InvalidField as e:
            raise InvalidField(field, text, e.reason) from None  # shown as written: 2023-02-30

    def earliest(self) -> date:
        """The first day the date can mean (``1990`` -> 1990-01-01)."""
        return date(self.year, self.month or 1, self.day or 1)

    def __str__(self) -> str:
        parts = [f"{self.year:04d}", *(f"{p:02d}" for p in (self.month, self.day) if p is not None)]
        return "-".join(parts)

    def compatible(self, other: PartialDate) -> bool:
        """True when no part known in both dates differs (``1990`` is compatible with ``1990-05-17``)."""
        pairs = ((self.year, other.year), (self.month, other.month), (self.day, other.day))
        return all(a == b for a, b in pairs if a is not None and b is not None)


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"


@dataclass(frozen=True, kw_only=True)
class Contact:
    """Next of kin or emergency contact (Mandela rule 7(f))."""

    name: str
    relationship: str
    details: str | None = None


@dataclass(frozen=True, kw_only=True)
class Dependant:
    """A child or other dependant: age, location and who has custody of them (Mandela rule 7(f))."""

    name: str
    birth_date: PartialDate | None = None
    location: str | None = None
    cared_for_by: str | None = None


@dataclass(frozen=True, kw_only=True)
class PropertyItem:
    description: str
    quantity: int = 1
    receipt_number: str | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.quantity <= MAX_QUANTITY:
            raise InvalidField("quantity", self.quantity, f"not between 1 and {MAX_QUANTITY:,}")


@dataclass(frozen=True, kw_only=True)
class PersonState:
    """What the other decisions need to know about a person record."""

    person_id: str
    merged_into: str | None = None
    erased: bool = False


def require_person(person: PersonState | None, person_id: str) -> PersonState:
    """The person exists and can take new records: not merged away, not erased."""
    if person is None or person.person_id != person_id:
        raise UnknownRecord("person", person_id)
    if person.merged_into is not None:
        raise PersonWasMerged(person_id, person.merged_into)
    if person.erased:
        raise PersonWasErased(person_id)
    return person


@dataclass(frozen=True, kw_only=True)
class PersonRegistered(Event):
    TYPE: ClassVar[EventType] = EventType.PERSON_REGISTERED

    sex: Sex = Sex.UNKNOWN
    nationalities: tuple[str, ...] = ()
    country_of_birth: str | None = None
    languages: tuple[str, ...] = ()
    name: PersonName | None = field(default=None, metadata=PRIVATE)
    aliases: tuple[str, ...] = field(default=(), metadata=PRIVATE)
    transliterations: tuple[Transliteration, ...] = field(default=(), metadata=PRIVATE)
    date_of_birth: PartialDate | None = field(default=None, metadata=PRIVATE)
    identifiers: tuple[Identifier, ...] = field(default=(), metadata=PRIVATE)

    def __post_init__(self) -> None:
        super().__post_init__()
        check_codes(self.nationalities, self.country_of_birth, self.languages)
        object.__setattr__(self, "aliases", tuple(require_name("aliases", a, max_len=MAX_ALIAS) for a in self.aliases))
        require_born_by("date_of_birth", self.date_of_birth, self.occurred_at)


@dataclass(frozen=True, kw_only=True)
class AdmissionRecorded(Event):
    """Mandela rule 7 admission at a facility; ``occurred_at`` is the day and hour of admission."""

    TYPE: ClassVar[EventType] = EventType.PERSON_ADMISSION_RECORDED

    admission_id: str
    facility_id: str
    commitment_authority: str | None = field(default=None, metadata=CONTENT)
    commitment_record_id: str | None = field(default=None, metadata=CONTENT)
    arrested_at: datetime | None = field(default=None, metadata=PRIVATE)
    arrest_place: str | None = field(default=None, metadata=PRIVATE)
    visible_injuries: str | None = field(default=None, metadata=PRIVATE)
    ill_treatment_complaints: str | None = field(default=None, metadata=PRIVATE)
    property_items: tuple[PropertyItem, ...] = field(default=(), metadata=PRIVATE)
    next_of_kin: tuple[Contact, ...] = field(default=(), metadata=PRIVATE)
    dependants: tuple[Dependant, ...] = field(default=(), metadata=PRIVATE)


# -- commands --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RecordAdmission(Command):
    person_id: str
    admission_id: str
    facility_id: str
    occurred_at: datetime
    commitment_authority: str
    commitment_record_id: str | None = None
    arrested_at: datetime | None = None
    arrest_place: str | None = None
    visible_injuries: str | None = None
    ill_treatment_complaints: str | None = None
    property_items: tuple[PropertyItem, ...] = ()
    next_of_kin: tuple[Contact, ...] = ()
    dependants: tuple[Dependant, ...] = ()


def record_admission(
    cmd: RecordAdmission,
    *,
    person: PersonState | None,
    facility_exists: bool,
    now: datetime,
    already_recorded: bool = False,
) -> list[Event]:
    """Rule 7: no one is received without a commitment authority; arrest precedes admission."""
    require_person(person, cmd.person_id)
    if already_recorded:
        raise AlreadyExists("admission", cmd.admission_id)
    if not facility_exists:
        raise UnknownRecord("facility", cmd.facility_id)
    admitted_at = require_not_future("occurred_at", cmd.occurred_at, now)
    for dependant in cmd.dependants:
        require_born_by("dependants", dependant.birth_date, admitted_at)
    arrested_at = None if cmd.arrested_at is None else require_aware("arrested_at", cmd.arrested_at)
    if arrested_at is not None and arrested_at > admitted_at:
        raise InvalidField("arrested_at", cmd.arrested_at, "after admission")
    return [
        AdmissionRecorded(
            stream=cmd.person_id,
            occurred_at=admitted_at,
            admission_id=require_id("admission_id", cmd.admission_id),
            facility_id=cmd.facility_id,
            commitment_authority=require_text("commitment_authority", cmd.commitment_authority),
            commitment_record_id=cmd.commitment_record_id,
            arrested_at=arrested_at,
            arrest_place=cmd.arrest_place,
            visible_injuries=cmd.visible_injuries,
            ill_treatment_complaints=cmd.ill_treatment_complaints,
            property_items=cmd.property_items,
            next_of_kin=cmd.next_of_kin,
            dependants=cmd.dependants,
        )
    ]


def check_codes(nationalities: Sequence[str], country_of_birth: str | None, languages: Sequence[str]) -> None:
    for c in nationalities:
        require_country("nationalities", c)
    if country_of_birth is not None:
        require_country("country_of_birth", country_of_birth)
    for lang in languages:
        require_language("languages", lang)


def require_born_by(field: str, born: PartialDate | None, at: datetime) -> None:
    """A birth date no later than the day ``at`` (the record's time) falls on anywhere: a birth date is a civil
    date where the person was born, up to UTC+14, so a child born "today" there is not refused."""
    if born is None:
        return
    latest = (require_aware("occurred_at", at) + timedelta(hours=14)).date()
    if born.earliest() > latest:
        raise InvalidField(field, born, f"after the record's date ({latest}): a birth date cannot be in the future")


def check_scripts(
    name: PersonName | None, aliases: Sequence[str], transliterations: Sequence[Transliteration], *,
    scripts: ScriptsOf,
) -> None:
    """Unicode TR 39's mixed-script rule (:func:`habeas.domain.names.require_one_script`) over every name of a
    person, with the script data passed in."""
    for n in (name, *(t.name for t in transliterations)):
        if n is not None:
            require_one_script("given_names", n.given_names, scripts)
            require_one_script("surnames", n.surnames, scripts)
    require_one_script("aliases", aliases, scripts)

"""Request and response bodies for people: registration, admission, merge, erasure, and the person's view.

The shared field types are in :mod:`habeas.api.fields`; the patterns repeat the domain's format checks so the
OpenAPI document states them, and the domain still decides.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from habeas.api.fields import Country, Id, Instant, Language, Text
from habeas.api.models import RequestModel
from habeas.domain.corrections import ErasureReason
from habeas.domain.identity import IdentityMatch
from habeas.domain.people import (
    Contact,
    Dependant,
    Identifier,
    IdentifierKind,
    PartialDate,
    PersonName,
    PropertyItem,
    Sex,
    Transliteration,
)
from habeas.services.custody import CustodyAnswer
from habeas.services.people import PersonMatch, PersonView
from habeas.services.records import RecordView

# -- field types of people's bodies ---------------------------------------------------------------------------

Name = Annotated[str, Field(min_length=1, max_length=100)]
BirthDate = Annotated[
    str, Field(pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$", description="YYYY, YYYY-MM or YYYY-MM-DD", examples=["1990-05"]),
]


# -- requests --------------------------------------------------------------------------------------------------


class NameIn(RequestModel):
    given_names: list[Name] = Field(default=[], max_length=20)
    surnames: list[Name] = Field(default=[], max_length=2, description="at most two, in the order used")

    def domain(self) -> PersonName:
        return PersonName(given_names=tuple(self.given_names), surnames=tuple(self.surnames))


class TransliterationIn(RequestModel):
    script: str = Field(pattern=r"^[A-Z][a-z]{3}$", description="ISO 15924 code such as Arab, Cyrl")
    name: NameIn

    def domain(self) -> Transliteration:
        return Transliteration(script=self.script, name=self.name.domain())


class IdentifierIn(RequestModel):
    kind: IdentifierKind
    value: str = Field(min_length=1, max_length=40, examples=["A-123-456-789"])
    country: Country | None = Field(default=None, description="the issuer; US by default for an a_number")

    @model_validator(mode="after")
    def _issuer(self) -> IdentifierIn:
        if self.country is None and self.kind is not IdentifierKind.A_NUMBER:
            raise ValueError("a passport or national_id needs its issuing country")
        return self

    def domain(self) -> Identifier:
        return Identifier(kind=self.kind, value=self.value, country=self.country or "US")


class PersonIn(RequestModel):
    """A person to register; names, birth date and documents go to the private payload, never the public log."""

    person_id: Id | None = Field(default=None, description="default: generated")
    occurred_at: Instant | None = Field(default=None, description="default: now")
    name: NameIn | None = None
    aliases: list[Name] = Field(default=[], max_length=50)
    transliterations: list[TransliterationIn] = Field(default=[], max_length=20)
    date_of_birth: BirthDate | None = None
    sex: Sex = Sex.UNKNOWN
    nationalities: list[Country] = Field(default=[], max_length=10)
    country_of_birth: Country | None = None
    languages: list[Language] = Field(default=[], max_length=20)
    identifiers: list[IdentifierIn] = Field(default=[], max_length=20)

    @model_validator(mode="after")
    def _someone(self) -> PersonIn:
        # An empty body is a mistake, not a person: at least something the person can be told apart by.
        if not (self.name or self.aliases or self.transliterations or self.identifiers or self.date_of_birth
                or self.nationalities or self.country_of_birth):
            raise ValueError(
                "says nothing about the person: give at least a name, an alias, an identifier, a date of birth, "
                "a nationality or a country of birth"
            )
        return self

    def birth_date(self) -> PartialDate | None:
        return None if self.date_of_birth is None else PartialDate.parse(self.date_of_birth, "date_of_birth")


class PropertyItemIn(RequestModel):
    description: Text
    quantity: int = Field(default=1, ge=1, le=1_000_000)
    receipt_number: Text | None = None

    def domain(self) -> PropertyItem:
        return PropertyItem(description=self.description, quantity=self.quantity, receipt_number=self.receipt_number)


class ContactIn(RequestModel):
    name: Text
    relationship: Text
    details: Text | None = None

    def domain(self) -> Contact:
        return Contact(name=self.name, relationship=self.relationship, details=self.details)


class DependantIn(RequestModel):
    name: Text
    birth_date: BirthDate | None = None
    location: Text | None = None
    cared_for_by: Text | None = None

    def domain(self) -> Dependant:
        born = None if self.birth_date is None else PartialDate.parse(self.birth_date, "dependants")
        return Dependant(name=self.name, birth_date=born, location=self.location, cared_for_by=self.cared_for_by)


class AdmissionIn(RequestModel):
    """The admission record of Mandela rule 7; only its id, facility and time are public (docs/public-log.md)."""

    admission_id: Id | None = Field(default=None, description="default: generated")
    facility_id: Id
    occurred_at: Instant | None = Field(default=None, description="day and hour of admission; default now")
    commitment_authority: Text
    commitment_record_id: Id | None = None
    arrested_at: Instant | None = None
    arrest_place: Text | None = None
    visible_injuries: Text | None = None
    ill_treatment_complaints: Text | None = None
    property_items: list[PropertyItemIn] = Field(default=[], max_length=200)
    next_of_kin: list[ContactIn] = Field(default=[], max_length=20)
    dependants: list[DependantIn] = Field(default=[], max_length=50)


class MergeIn(RequestModel):
    duplicate_id: str = Field(min_length=1, max_length=200, description="the record merged into this one")
    basis: IdentityMatch
    note: Text | None = Field(default=None, description="free text (private)")
    occurred_at: Instant | None = None


class EraseIn(RequestModel):
    reason: ErasureReason = Field(description="the lawful ground; erasure cannot be undone")
    occurred_at: Instant | None = None


# -- responses -------------------------------------------------------------------------------------------------


class IdentityWarningOut(BaseModel):
    """Not an error: the new record may be the same person as another; nothing was merged."""

    other_person_id: str | None = Field(description="null when the other record is outside your agency's view")
    reason: IdentityMatch
    detail: str


class PersonWritten(BaseModel):
    id: str
    seqs: list[int]
    warnings: list[IdentityWarningOut] = []


class RecordOut(BaseModel):
    """A legal record, allegation, conviction or admission; ``body`` is its fields as amended: the public ones
    and what the record says (private in the log, docs/public-log.md), never personal details such as names."""

    model_config = ConfigDict(from_attributes=True)

    kind: str
    record_id: str
    seq: int
    person_id: str | None
    parent_id: str | None
    status: str | None
    active_from: str | None
    active_to: str | None
    retracted: bool
    body: dict[str, Any]

    @classmethod
    def many(cls, views: tuple[RecordView, ...]) -> list[RecordOut]:
        return [cls.model_validate(v) for v in views]


class AnswerOut(BaseModel):
    question: str
    answer: str
    seq: int | None = Field(description="the entry the answer rests on; null when there is none")


class ProofOut(BaseModel):
    """A c2sp.org/tlog-proof of the entry the custody answer rests on, against the latest signed checkpoint."""

    seq: int
    tree_size: int
    leaf: str = Field(description="the entry's leaf (its public canonical JSON), standard base64")
    tlog_proof: str


class CustodyOut(BaseModel):
    """Who holds the person, where, since when, under what authority, each with the entry it rests on."""

    model_config = ConfigDict(from_attributes=True)

    person_id: str
    status: str
    since: str | None
    seq: int | None
    custodian_agency: str | None
    custodian_officer: str | None
    facility_id: str | None
    facility_name: str | None
    unit_id: str | None
    unit_label: str | None
    leg_id: str | None
    country: str | None
    authority_agency: str | None
    authority_basis: str | None
    authority_record: str | None
    authority_record_kind: str | None
    authority_seq: int | None
    merged_into: str | None
    answers: list[AnswerOut]
    proof: ProofOut | None = Field(default=None, description="with ?proof=true; null when never in custody")

    @classmethod
    def of(cls, answer: CustodyAnswer, proof: ProofOut | None = None) -> CustodyOut:
        answers = [AnswerOut(question=a.question, answer=a.answer, seq=a.seq) for a in answer.answers()]
        return cls.model_validate({**vars(answer), "answers": answers, "proof": proof})


class PersonOut(BaseModel):
    """Everything on record about a person. Allegations and convictions are apart: a claim is not a judgment."""

    model_config = ConfigDict(from_attributes=True)

    person_id: str
    seq: int = Field(description="the registration entry")
    sex: str
    nationalities: list[str]
    country_of_birth: str | None
    languages: list[str]
    erased: bool
    merged_into: str | None
    merged_from: list[str]
    name: str | None = Field(description="null when erased (or never given)")
    aliases: list[str]
    transliterations: list[str]
    date_of_birth: str | None
    identifiers: list[str]
    custody: CustodyOut
    admissions: list[RecordOut]
    legal: list[RecordOut]
    allegations: list[RecordOut]
    convictions: list[RecordOut]
    medical: list[RecordOut]

    @classmethod
    def of(cls, v: PersonView) -> PersonOut:
        return cls.model_validate({
            **vars(v), "custody": CustodyOut.of(v.custody), "admissions": RecordOut.many(v.admissions),
            "legal": RecordOut.many(v.legal), "allegations": RecordOut.many(v.allegations),
            "convictions": RecordOut.many(v.convictions), "medical": RecordOut.many(v.medical),
        })


class PersonSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    person_id: str
    seq: int
    name: str | None = Field(description="null when erased (or never given)")
    date_of_birth: str | None
    nationalities: list[str]
    merged_into: str | None
    matched_on: list[str]

    @classmethod
    def of(cls, m: PersonMatch) -> PersonSummary:
        return cls.model_validate(m)

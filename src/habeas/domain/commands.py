"""Commands: what a caller asks the domain to decide. Imperative names, frozen, keyword-only.

Ids of new records are chosen by the caller (the services), so deciding stays pure. ``occurred_at`` is when
the thing happened in the world (aware datetime); the decision refuses a time later than its ``now``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from habeas.domain.allegations import AdjudicationOutcome, AllegationStatus
from habeas.domain.corrections import ErasureReason
from habeas.domain.court_orders import CourtOrderDirective, CourtOrderScope, OrderForm
from habeas.domain.custody import Authority, Custodian
from habeas.domain.facilities import Separation
from habeas.domain.identity import IdentityMatch
from habeas.domain.legal import NoticeContent, ProtectionKind
from habeas.domain.people import (
    Contact,
    Dependant,
    Identifier,
    PartialDate,
    PersonName,
    PropertyItem,
    Sex,
    Transliteration,
)
from habeas.domain.periods import Period


@dataclass(frozen=True, kw_only=True)
class Command:
    pass


# people


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


@dataclass(frozen=True, kw_only=True)
class MergePersons(Command):
    """``duplicate_id`` is merged into ``person_id``, which survives."""

    person_id: str
    duplicate_id: str
    occurred_at: datetime
    basis: IdentityMatch
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class ErasePerson(Command):
    person_id: str
    occurred_at: datetime
    reason: ErasureReason


# allegations and convictions


@dataclass(frozen=True, kw_only=True)
class RecordAllegation(Command):
    allegation_id: str
    person_id: str
    occurred_at: datetime
    organisation: str
    source: str
    evidence_reference: str | None = None


@dataclass(frozen=True, kw_only=True)
class ChangeAllegationStatus(Command):
    allegation_id: str
    occurred_at: datetime
    to_status: AllegationStatus
    outcome: AdjudicationOutcome | None = None
    decided_by: str | None = None


@dataclass(frozen=True, kw_only=True)
class RecordConviction(Command):
    conviction_id: str
    person_id: str
    occurred_at: datetime
    court: str
    jurisdiction: str
    offence: str
    convicted_on: date


# legal records


@dataclass(frozen=True, kw_only=True)
class RecordRemovalOrder(Command):
    order_id: str
    person_id: str
    occurred_at: datetime
    authority: str
    legal_basis: str
    destination_country: str
    final: bool
    period: Period


@dataclass(frozen=True, kw_only=True)
class RecordProtection(Command):
    protection_id: str
    person_id: str
    occurred_at: datetime
    kind: ProtectionKind
    country: str
    granted_by: str
    period: Period


@dataclass(frozen=True, kw_only=True)
class RecordStay(Command):
    stay_id: str
    person_id: str
    occurred_at: datetime
    granted_by: str
    period: Period
    country: str | None = None


@dataclass(frozen=True, kw_only=True)
class RecordCourtOrder(Command):
    order_id: str
    issued_at: datetime
    court: str
    docket: str
    form: OrderForm
    directive: CourtOrderDirective
    scope: CourtOrderScope
    period: Period
    confirms_order_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class RecordNotice(Command):
    notice_id: str
    person_id: str
    served_at: datetime
    language: str
    content_type: NoticeContent
    copy_to_counsel: bool
    served_by_officer_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class RecordCounsel(Command):
    counsel_id: str
    person_id: str
    occurred_at: datetime
    name: str
    appearance_filed: bool
    period: Period
    bar_number: str | None = None
    contact: str | None = None


@dataclass(frozen=True, kw_only=True)
class RecordConsularNotification(Command):
    notification_id: str
    person_id: str
    country: str
    mandatory: bool = False
    offered_at: datetime | None = None
    requested_at: datetime | None = None
    sent_at: datetime | None = None


# medical


@dataclass(frozen=True, kw_only=True)
class RecordFitnessToTravel(Command):
    """An assessment of fitness to travel by ``assessed_by`` (a clinician's or officer's id); ``notes`` private."""

    assessment_id: str
    person_id: str
    occurred_at: datetime
    fit: bool
    assessed_by: str
    valid_until: datetime | None = None
    restrictions: str | None = None
    notes: str | None = None


# facilities, agencies, officers


@dataclass(frozen=True, kw_only=True)
class RegisterFacility(Command):
    facility_id: str
    occurred_at: datetime
    name: str
    country: str
    facility_type: str
    operating_agency_id: str | None = None
    operator_name: str | None = None
    code: str | None = None
    address: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    declared_capacity: int | None = None
    contact: str | None = None  # how families and counsel reach it (phone, e-mail): the locator shows it


@dataclass(frozen=True, kw_only=True)
class RegisterUnit(Command):
    unit_id: str
    facility_id: str
    occurred_at: datetime
    label: str
    floor_area_m2: Decimal
    declared_beds: int
    separation: Separation = field(default_factory=Separation)
    parent_unit_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class RegisterAgency(Command):
    agency_id: str
    occurred_at: datetime
    name: str
    country: str
    kind: str


@dataclass(frozen=True, kw_only=True)
class RegisterOfficer(Command):
    officer_id: str
    agency_id: str
    occurred_at: datetime
    name: str
    role: str
    public_key: bytes
    badge_number: str | None = None


# custody


@dataclass(frozen=True, kw_only=True)
class AdmitToCustody(Command):
    person_id: str
    occurred_at: datetime
    facility_id: str
    unit_id: str
    custodian: Custodian
    authority: Authority


@dataclass(frozen=True, kw_only=True)
class DepartOnLeg(Command):
    person_id: str
    occurred_at: datetime
    leg_id: str
    custodian: Custodian
    authority: Authority | None = None  # None keeps the current authority
    receipt_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class ArriveAtFacility(Command):
    person_id: str
    occurred_at: datetime
    facility_id: str
    unit_id: str
    custodian: Custodian
    authority: Authority | None = None
    receipt_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class Rehouse(Command):
    person_id: str
    occurred_at: datetime
    unit_id: str
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class HandOver(Command):
    person_id: str
    occurred_at: datetime
    country: str
    custodian: Custodian
    authority: Authority
    receipt_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class Release(Command):
    person_id: str
    occurred_at: datetime
    reason: str


@dataclass(frozen=True, kw_only=True)
class Remove(Command):
    person_id: str
    occurred_at: datetime
    country: str
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class RecordEscape(Command):
    person_id: str
    occurred_at: datetime
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class RecordDeath(Command):
    person_id: str
    occurred_at: datetime
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class ReassignCustodian(Command):
    person_id: str
    occurred_at: datetime
    custodian: Custodian
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class ChangeAuthority(Command):
    person_id: str
    occurred_at: datetime
    authority: Authority
    reason: str | None = None


# corrections


@dataclass(frozen=True, kw_only=True)
class AmendEntry(Command):
    corrected_seq: int
    occurred_at: datetime
    reason: str
    changes: Mapping[str, Any]


@dataclass(frozen=True, kw_only=True)
class RetractEntry(Command):
    corrected_seq: int
    occurred_at: datetime
    reason: str

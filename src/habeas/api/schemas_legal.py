"""Request bodies for legal records, allegations, convictions, court orders and corrections.

Ids of new records are optional (generated when absent). Periods are half-open: ``active_from`` (default: when
the record was made) and ``active_to`` (exclusive, open when absent).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import Field

from habeas.api.fields import Country, Id, Instant, Language, Slug, Text
from habeas.api.models import RequestModel
from habeas.domain.allegations import AdjudicationOutcome, AllegationStatus
from habeas.domain.court_orders import ClassCriteria, CourtOrderDirective, OrderForm
from habeas.domain.errors import InvalidField
from habeas.domain.legal import NoticeContent, ProtectionKind
from habeas.domain.periods import Period

Short = Annotated[str, Field(min_length=1, max_length=300)]
AreaCode = Annotated[str, Field(min_length=1, max_length=32, examples=["HOU", "TXSD"])]  # the domain checks it


class _Dated(RequestModel):
    occurred_at: Instant | None = Field(default=None, description="when it happened; default now")


class _Periodic(_Dated):
    active_from: Instant | None = Field(default=None, description="start of the period; default occurred_at")
    active_to: Instant | None = Field(default=None, description="end of the period, exclusive; default open")

    def period(self, at: datetime) -> Period:
        return Period(active_from=self.active_from or at, active_to=self.active_to)


class AllegationIn(_Dated):
    """A claim (e.g. gang affiliation), never a conviction."""

    allegation_id: Id | None = None
    organisation: Short
    source: str = Field(min_length=1, max_length=300, description="who alleges it")
    evidence_reference: str | None = Field(default=None, min_length=1, max_length=300)


class AllegationStatusIn(_Dated):
    to_status: AllegationStatus
    outcome: AdjudicationOutcome | None = Field(default=None, description="for an adjudication")
    decided_by: str | None = Field(default=None, min_length=1, max_length=300, description="for an adjudication")


class ConvictionIn(_Dated):
    """A conviction by a court."""

    conviction_id: Id | None = None
    court: Short
    jurisdiction: Country
    offence: Short
    convicted_on: date


class RemovalOrderIn(_Periodic):
    order_id: Id | None = None
    authority: str = Field(min_length=1, max_length=300, description="who ordered it, e.g. 'IJ Krome'")
    legal_basis: Slug
    destination_country: Country
    final: bool = Field(default=False, description="administratively final?")


class ProtectionIn(_Periodic):
    """A protection from removal to one country."""

    protection_id: Id | None = None
    kind: ProtectionKind
    country: Country = Field(description="the country removal to which is barred")
    granted_by: Short


class StayIn(_Periodic):
    stay_id: Id | None = None
    granted_by: Short
    country: Country | None = Field(default=None, description="stays removal to this country only; default any")


class NoticeIn(RequestModel):
    notice_id: Id | None = None
    served_at: Instant | None = Field(default=None, description="when served; default now")
    language: Language
    content_type: NoticeContent
    copy_to_counsel: bool = False
    served_by_officer_id: Id | None = None


class CounselIn(_Periodic):
    """Counsel of record; name, bar number and contact are private."""

    counsel_id: Id | None = None
    name: Short
    appearance_filed: bool = False
    bar_number: str | None = Field(default=None, min_length=1, max_length=100)
    contact: Text | None = None


class ConsularIn(RequestModel):
    """Consular notification (Vienna Convention art. 36)."""

    notification_id: Id | None = None
    country: Country = Field(description="the consulate's country")
    mandatory: bool = False
    offered_at: Instant | None = None
    requested_at: Instant | None = None
    sent_at: Instant | None = None


class FitnessIn(_Dated):
    """An assessment of fitness to travel (the fit_to_travel gate rests on the latest one)."""

    assessment_id: Id | None = None
    fit: bool
    assessed_by: Id = Field(description="the clinician's or officer's id")
    valid_until: Instant | None = Field(default=None, description="exclusive; default open")
    restrictions: Slug | None = Field(default=None, description="a restriction code, e.g. wheelchair")
    notes: Text | None = Field(default=None, description="clinical notes (private)")


class ClassCriteriaIn(RequestModel):
    """A class defined by the criteria courts use; a person belongs when every criterion set holds.

    The destination is one criterion: a country in ``destination_in``, or any third country (none of the
    person's nationalities, and not the country moving them). Detention dates bound when the person's custody
    began: ``detained_from`` inclusive, ``detained_before`` exclusive. A criterion whose fact is not recorded for a
    person (no nationality, no field office for their facility) is unknown, and blocks. The class is public.
    """

    nationality_in: list[Country] = Field(default=[], max_length=50)
    destination_in: list[Country] = Field(default=[], max_length=50, description="removal to one of these")
    any_third_country: bool = Field(default=False, description="removal to a country of none of their nationalities")
    legal_basis_in: list[Slug] = Field(default=[], max_length=50)
    detained_at_facility_in: list[Id] = Field(default=[], max_length=200)
    field_office_in: list[AreaCode] = Field(default=[], max_length=50, description="ICE field office (AOR), e.g. HOU")
    district_in: list[AreaCode] = Field(default=[], max_length=100, description="judicial district, e.g. TXSD")
    detained_from: Instant | None = Field(default=None, description="custody began at or after (inclusive)")
    detained_before: Instant | None = Field(default=None, description="custody began before (exclusive)")
    designation_in: list[Slug] = Field(default=[], max_length=50)

    def domain(self) -> ClassCriteria:
        try:
            return ClassCriteria(
                nationality_in=tuple(self.nationality_in), destination_in=tuple(self.destination_in),
                any_third_country=self.any_third_country, legal_basis_in=tuple(self.legal_basis_in),
                detained_at_facility_in=tuple(self.detained_at_facility_in),
                field_office_in=tuple(self.field_office_in), district_in=tuple(self.district_in),
                detained_from=self.detained_from, detained_before=self.detained_before,
                designation_in=tuple(self.designation_in),
            )
        except InvalidField as e:  # point into the criteria object, where the field is
            if e.field == "criteria":
                raise
            raise InvalidField(f"criteria/{e.field}", e.value, e.reason) from None


class CourtOrderIn(RequestModel):
    """A court order naming people (``person_ids``, each in your agency's view) or a class (``criteria``)."""

    order_id: Id | None = None
    issued_at: Instant | None = Field(default=None, description="when issued (oral orders bind at once)")
    court: Short
    docket: str = Field(min_length=1, max_length=100)
    form: OrderForm = OrderForm.WRITTEN
    directive: CourtOrderDirective
    person_ids: list[Id] = Field(default=[], max_length=1000)
    criteria: ClassCriteriaIn | None = None
    confirms_order_id: Id | None = Field(default=None, description="the oral order this confirms")
    active_from: Instant | None = Field(default=None, description="default issued_at")
    active_to: Instant | None = None


class AmendIn(_Dated):
    """A correction: the corrected entry's fields with their right values, encoded as in the entry."""

    reason: Slug
    changes: dict[str, Any] = Field(min_length=1, max_length=50)


class RetractIn(_Dated):
    reason: Slug

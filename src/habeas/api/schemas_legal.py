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
from habeas.domain.legal import NoticeContent, ProtectionKind
from habeas.domain.periods import Period

Short = Annotated[str, Field(min_length=1, max_length=300)]


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
    """A class defined by machine-checkable criteria; a person belongs when every non-empty list matches."""

    nationality_in: list[Country] = Field(default=[], max_length=50)
    legal_basis_in: list[Slug] = Field(default=[], max_length=50)
    detained_at_facility_in: list[Id] = Field(default=[], max_length=200)
    designation_in: list[Slug] = Field(default=[], max_length=50)

    def domain(self) -> ClassCriteria:
        return ClassCriteria(
            nationality_in=tuple(self.nationality_in), legal_basis_in=tuple(self.legal_basis_in),
            detained_at_facility_in=tuple(self.detained_at_facility_in), designation_in=tuple(self.designation_in),
        )


class CourtOrderIn(RequestModel):
    """A court order naming people (``person_ids``, each in your agency's view) or a class (``criteria``)."""

    order_id: Id | None = None
    issued_at: Instant | None = Field(default=None, description="when issued (oral orders bind at once)")
    court: Short
    docket: str = Field(min_length=1, max_length=100)
    form: OrderForm = OrderForm.WRITTEN
    directive: CourtOrderDirective
    person_ids: list[str] = Field(default=[], max_length=1000)
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

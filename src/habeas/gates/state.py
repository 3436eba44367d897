"""What the gates look at: one person's legal state and the destination's, as plain frozen values.

The services load these from the projections; the gates never read anything else. Every record carries the
``seq`` of the ledger entry it comes from, so a gate result can say which entry it rests on.

A collection that is ``None`` was **not loaded or not checked**; an empty tuple means "checked, there are none".
The gates answer ``unknown`` for the first and may pass on the second: missing data is not consent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from habeas.domain.court_orders import CourtOrderScope, OrderForm, PersonFacts
from habeas.domain.errors import InvalidField
from habeas.domain.legal import NoticeContent, ProtectionKind
from habeas.domain.periods import Period
from habeas.domain.values import require_aware


@dataclass(frozen=True, kw_only=True)
class RemovalOrderRecord:
    order_id: str
    destination_country: str
    legal_basis: str
    final: bool
    period: Period
    seq: int


@dataclass(frozen=True, kw_only=True)
class ProtectionRecord:
    """Bars removal to ``country`` only (INA 241(b)(3); 8 CFR 1208.16, 1208.17)."""

    protection_id: str
    kind: ProtectionKind
    country: str
    period: Period
    seq: int


@dataclass(frozen=True, kw_only=True)
class StayRecord:
    """A stay of removal to ``country``, or anywhere when ``country`` is ``None``."""

    stay_id: str
    person_id: str
    country: str | None
    period: Period
    seq: int

    def in_force_since(self, t: datetime) -> bool:
        """In force at some moment at or after ``t`` (for an alert after departure)."""
        return self.period.active_to is None or self.period.active_to > t


@dataclass(frozen=True, kw_only=True)
class CourtOrderRecord:
    """An order counts from ``issued_at`` (an oral order included), or its period's start if that is earlier."""

    order_id: str
    scope: CourtOrderScope
    form: OrderForm
    issued_at: datetime
    period: Period
    seq: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "issued_at", require_aware("issued_at", self.issued_at))

    @property
    def starts(self) -> datetime:
        return min(self.issued_at, self.period.active_from)

    def in_force(self, t: datetime) -> bool:
        at = require_aware("t", t)
        return self.starts <= at and (self.period.active_to is None or at < self.period.active_to)

    def in_force_since(self, t: datetime) -> bool:
        return self.period.active_to is None or self.period.active_to > t


@dataclass(frozen=True, kw_only=True)
class NoticeRecord:
    notice_id: str
    served_at: datetime
    language: str
    content_type: NoticeContent
    copy_to_counsel: bool
    seq: int


@dataclass(frozen=True, kw_only=True)
class CounselRecord:
    """Counsel of record (a G-28 on file) for the period."""

    counsel_id: str
    period: Period
    seq: int


@dataclass(frozen=True, kw_only=True)
class ConsularRecord:
    """Vienna Convention art. 36(1)(b): the right offered, the person's request, the notification sent."""

    notification_id: str
    country: str
    offered_at: datetime | None
    requested_at: datetime | None
    sent_at: datetime | None
    seq: int


@dataclass(frozen=True, kw_only=True)
class MedicalClearance:
    fit: bool
    assessed_at: datetime
    seq: int


@dataclass(frozen=True, kw_only=True)
class AgreementRecord:
    """An agreement between states: ``parties`` are countries; ``quota_remaining`` ``None`` means no quota."""

    agreement_id: str
    parties: tuple[str, ...]
    period: Period
    categories: tuple[str, ...]
    quota_remaining: int | None
    seq: int


@dataclass(frozen=True, kw_only=True)
class CapacitySnapshot:
    """The receiving facility's floor area and how many people it holds now."""

    facility_id: str
    floor_area_m2: Decimal
    occupancy: int
    declared_capacity: int | None = None
    seq: int | None = None


@dataclass(frozen=True, kw_only=True)
class DestinationState:
    """The receiving side of a leg; ``incoming`` is the number of people on the manifest."""

    country: str
    agreement: AgreementRecord | None
    capacity: CapacitySnapshot | None
    incoming: int

    def __post_init__(self) -> None:
        if self.incoming < 0:
            raise InvalidField("incoming", self.incoming, "negative")


@dataclass(frozen=True, kw_only=True)
class PersonLegalState:
    """Everything the gates know about one person at one time.

    ``facts`` are what class criteria are checked against (nationalities, legal bases, facility,
    designations). ``languages`` empty means not known. ``categories`` are the agreement categories the person
    falls in (e.g. ``ina_removal``), empty when not known. ``identity_verified`` ``None`` means not checked.
    """

    person_id: str
    facts: PersonFacts
    languages: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    identity_verified: bool | None = None
    identity_seq: int | None = None
    removal_orders: tuple[RemovalOrderRecord, ...] | None = None
    protections: tuple[ProtectionRecord, ...] | None = None
    stays: tuple[StayRecord, ...] | None = None
    court_orders: tuple[CourtOrderRecord, ...] | None = None
    notices: tuple[NoticeRecord, ...] | None = None
    counsel: tuple[CounselRecord, ...] | None = None
    consular: tuple[ConsularRecord, ...] | None = None
    medical: MedicalClearance | None = None
    destination: DestinationState | None = None

    def __post_init__(self) -> None:
        if self.facts.person_id != self.person_id:
            raise InvalidField("facts.person_id", self.facts.person_id, f"not the person {self.person_id!r}")
        for stay in self.stays or ():
            if stay.person_id != self.person_id:
                raise InvalidField("stays", stay.stay_id, f"a stay of another person ({stay.person_id!r})")

    @property
    def nationalities(self) -> frozenset[str]:
        return self.facts.nationalities

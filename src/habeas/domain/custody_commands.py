"""Custody commands and the two values they carry: who holds the person and under what authority.

Decided by :mod:`habeas.domain.custody` (which re-exports :class:`Custodian` and :class:`Authority`).
``custodian`` is the physical custodian (agency and the responsible officer); ``authority`` is the legal basis
and the agency legally responsible, recorded separately because they can differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from habeas.domain.command import Command
from habeas.domain.values import require_id, require_slug


@dataclass(frozen=True, kw_only=True)
class Custodian:
    agency_id: str
    officer_id: str


@dataclass(frozen=True, kw_only=True)
class Authority:
    """The legal basis (a code such as ``ina_241``), the agency legally responsible, the record behind it."""

    agency_id: str
    legal_basis: str
    record_id: str | None = None

    def __post_init__(self) -> None:
        require_id("authority.agency_id", self.agency_id)
        require_slug("authority.legal_basis", self.legal_basis)


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

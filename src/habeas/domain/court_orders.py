"""Court orders: oral or written, naming people or defining a class by machine-checkable criteria.

A court order is its own stream (it may bind many people). Whether it covers a person is the pure
:meth:`CourtOrderScope.covers` over :class:`PersonFacts`, so the gates can re-check it at every moment (at
wheels-up, in flight) against the facts of that moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from habeas.domain.command import Command
from habeas.domain.errors import AlreadyExists, InvalidField
from habeas.domain.events import Event, EventType
from habeas.domain.periods import Period
from habeas.domain.values import require_country, require_id, require_not_future, require_slug, require_text


class OrderForm(StrEnum):
    ORAL = "oral"
    WRITTEN = "written"


class CourtOrderDirective(StrEnum):
    HALT_REMOVAL = "halt_removal"
    RETURN = "return"
    RELEASE = "release"
    PRODUCE = "produce"
    OTHER = "other"


@dataclass(frozen=True, kw_only=True)
class PersonFacts:
    """The facts about one person that a class criterion is checked against, at one time."""

    person_id: str
    nationalities: frozenset[str] = frozenset()
    legal_bases: frozenset[str] = frozenset()
    facility_id: str | None = None
    designations: frozenset[str] = frozenset()


@dataclass(frozen=True, kw_only=True)
class ClassCriteria:
    """A class: every criterion set must hold; an empty one is not checked, but one must be set."""

    nationality_in: tuple[str, ...] = ()
    legal_basis_in: tuple[str, ...] = ()
    detained_at_facility_in: tuple[str, ...] = ()
    designation_in: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not (
            self.nationality_in or self.legal_basis_in or self.detained_at_facility_in or self.designation_in
        ):
            raise InvalidField("criteria", self, "no criterion: a class must be defined by at least one")
        for c in self.nationality_in:
            require_country("nationality_in", c)
        for b in (*self.legal_basis_in, *self.designation_in):
            require_slug("legal_basis_in/designation_in", b)
        for f in self.detained_at_facility_in:
            require_id("detained_at_facility_in", f)

    def covers(self, facts: PersonFacts) -> bool:
        return (
            (not self.nationality_in or bool(facts.nationalities & set(self.nationality_in)))
            and (not self.legal_basis_in or bool(facts.legal_bases & set(self.legal_basis_in)))
            and (not self.detained_at_facility_in or facts.facility_id in self.detained_at_facility_in)
            and (not self.designation_in or bool(facts.designations & set(self.designation_in)))
        )


@dataclass(frozen=True, kw_only=True)
class CourtOrderScope:
    """Exactly one of: the people named (opaque ids), or a class."""

    person_ids: tuple[str, ...] = ()
    criteria: ClassCriteria | None = None

    def __post_init__(self) -> None:
        if bool(self.person_ids) == (self.criteria is not None):
            raise InvalidField("scope", self, "name people or define a class, not both or neither")
        for p in self.person_ids:
            require_id("person_ids", p)

    def covers(self, facts: PersonFacts) -> bool:
        if self.criteria is not None:
            return self.criteria.covers(facts)
        return facts.person_id in self.person_ids


@dataclass(frozen=True, kw_only=True)
class CourtOrderRecorded(Event):
    """``stream`` is the order's own id; ``occurred_at`` is when it was issued (oral orders included)."""

    TYPE: ClassVar[EventType] = EventType.COURT_ORDER_RECORDED

    court: str
    docket: str
    form: OrderForm
    directive: CourtOrderDirective
    scope: CourtOrderScope
    period: Period
    confirms_order_id: str | None = None


# -- commands --------------------------------------------------------------------------------------------------


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


def record_court_order(cmd: RecordCourtOrder, *, already_recorded: bool, now: datetime) -> list[Event]:
    """Named people are not checked to exist here: an order binds whoever it names; the services may warn."""
    if already_recorded:
        raise AlreadyExists("court_order", cmd.order_id)
    return [
        CourtOrderRecorded(
            stream=require_id("order_id", cmd.order_id),
            occurred_at=require_not_future("issued_at", cmd.issued_at, now),
            court=require_text("court", cmd.court, max_len=300),
            docket=require_text("docket", cmd.docket, max_len=100),
            form=OrderForm(cmd.form),
            directive=CourtOrderDirective(cmd.directive),
            scope=cmd.scope,
            period=cmd.period,
            confirms_order_id=cmd.confirms_order_id,
        )
    ]

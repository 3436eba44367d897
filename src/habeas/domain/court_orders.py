"""Court orders: oral or written, naming people or defining a class by the criteria courts use.

A court order is its own stream (it may bind many people). Its class is :class:`ClassCriteria`
(:mod:`habeas.domain.class_criteria`: nationality, destination or any third country, legal basis, facility,
field office, district, detention dates, designation), checked purely against :class:`PersonFacts` and the move
in question, so the gates can re-check it at every moment (at clearance, at wheels-up, in flight) against the
facts of that moment. The scope, criteria included, is public: a class order is public law about a class.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from habeas.domain.class_criteria import ClassCriteria, Criterion, CriterionMatch, Match, Move, PersonFacts
from habeas.domain.command import Command
from habeas.domain.errors import AlreadyExists, InvalidField
from habeas.domain.events import Event, EventType
from habeas.domain.periods import Period
from habeas.domain.values import require_id, require_not_future, require_text

__all__ = [  # the class and its facts live in class_criteria and are re-exported with the order they belong to
    "ClassCriteria",
    "CourtOrderDirective",
    "CourtOrderRecorded",
    "CourtOrderScope",
    "Criterion",
    "CriterionMatch",
    "Match",
    "Move",
    "OrderForm",
    "PersonFacts",
    "RecordCourtOrder",
    "record_court_order",
]


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
class CourtOrderScope:
    """Exactly one of: the people named (opaque ids), or a class."""

    person_ids: tuple[str, ...] = ()
    criteria: ClassCriteria | None = None

    def __post_init__(self) -> None:
        if bool(self.person_ids) == (self.criteria is not None):
            raise InvalidField("scope", self, "name people or define a class, not both or neither")
        for p in self.person_ids:
            require_id("person_ids", p)

    def covers(self, facts: PersonFacts, move: Move | None = None) -> bool:
        """Whether every criterion holds (unknown counts as no here: :mod:`habeas.gates.coverage` tells them
        apart for the gates)."""
        if self.criteria is not None:
            return self.criteria.covers(facts, move)
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

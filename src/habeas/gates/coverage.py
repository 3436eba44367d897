"""Whether a court order covers a person: covered, not covered, or not decidable from the facts known, and the
criterion that decided.

Each criterion of a class answers holds / fails / unknown (:mod:`habeas.domain.class_criteria`). A class covers
a person when every criterion holds; one that fails rules the person out, even if another fact is missing (the
person cannot be in the class whatever it says); otherwise a missing fact leaves it undetermined, which the gates
treat as blocking. The decision names the criterion that made it: the first that fails, or the first unknown, in
:class:`~habeas.domain.class_criteria.Criterion` order.

The move is the leg the person is on (its origin and destination countries): the gate at clearance, the re-check
in flight and the after-departure alert all pass theirs, so a class of "any third country" is judged the same way
by each.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from habeas.domain.court_orders import CourtOrderScope, Criterion, Match, Move, PersonFacts
from habeas.domain.moves import Leg


class Coverage(StrEnum):
    COVERED = "covered"
    NOT_COVERED = "not_covered"
    UNDETERMINED = "undetermined"


@dataclass(frozen=True, kw_only=True)
class CoverageAnswer:
    """``criterion`` is the one that decided: ``None`` when the order names people or every criterion held (then
    ``text`` lists them)."""

    coverage: Coverage
    criterion: Criterion | None
    text: str


def move_of(leg: Leg | None) -> Move | None:
    return None if leg is None else Move(origin_country=leg.origin_country, destination_country=leg.destination_country)


def answer(scope: CourtOrderScope, facts: PersonFacts, *, leg: Leg | None) -> CoverageAnswer:
    """Whether ``scope`` covers the person on ``leg`` (``None``: no move in question), and why."""
    criteria = scope.criteria
    if criteria is None:
        named = facts.person_id in scope.person_ids
        return CoverageAnswer(
            coverage=Coverage.COVERED if named else Coverage.NOT_COVERED, criterion=None,
            text="names the person" if named else "does not name the person",
        )
    matches = criteria.matches(facts, move_of(leg))
    for m in matches:
        if m.match is Match.FAILS:
            return CoverageAnswer(coverage=Coverage.NOT_COVERED, criterion=m.criterion, text=m.text)
    for m in matches:
        if m.match is Match.UNKNOWN:
            return CoverageAnswer(coverage=Coverage.UNDETERMINED, criterion=m.criterion, text=m.text)
    return CoverageAnswer(coverage=Coverage.COVERED, criterion=None, text="; ".join(m.text for m in matches))


def coverage(scope: CourtOrderScope, facts: PersonFacts, *, leg: Leg | None) -> Coverage:
    """:func:`answer` without the why."""
    return answer(scope, facts, leg=leg).coverage

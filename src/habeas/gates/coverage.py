"""Whether a court order's class covers a person: covered, not covered, or not decidable from the facts known."""

from __future__ import annotations

from enum import StrEnum

from habeas.domain.court_orders import CourtOrderScope, PersonFacts


class Coverage(StrEnum):
    COVERED = "covered"
    NOT_COVERED = "not_covered"
    UNDETERMINED = "undetermined"


def coverage(scope: CourtOrderScope, facts: PersonFacts) -> Coverage:
    """Whether ``scope`` covers the person, telling a "no" apart from "the facts to decide are missing".

    Nationalities, legal bases and the facility are facts every held person has: when one that a class
    criterion needs is empty, the answer is undetermined. Designations are recorded explicitly, so having none
    is a fact.
    """
    if scope.covers(facts):
        return Coverage.COVERED
    criteria = scope.criteria
    if criteria is None:
        return Coverage.NOT_COVERED
    known_no = (
        (criteria.nationality_in and facts.nationalities and not facts.nationalities & set(criteria.nationality_in))
        or (criteria.legal_basis_in and facts.legal_bases and not facts.legal_bases & set(criteria.legal_basis_in))
        or (
            criteria.detained_at_facility_in
            and facts.facility_id is not None
            and facts.facility_id not in criteria.detained_at_facility_in
        )
        or (criteria.designation_in and not facts.designations & set(criteria.designation_in))
    )
    return Coverage.NOT_COVERED if known_no else Coverage.UNDETERMINED

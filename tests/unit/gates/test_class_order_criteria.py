"""Class orders with the criteria courts use: nationality, destination (a country, or any third country), legal
basis, facility, field office (AOR), district, detained before / from a date, designation.

Each criterion is evaluated as the gates are: the person is outside the class (the gate passes), inside it
(fails), or a fact it needs is not recorded (unknown, which blocks). The gate's answer names the criterion that
decided it, and the after-departure alert uses the same coverage.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from habeas.domain.court_orders import ClassCriteria, CourtOrderScope, Criterion, OrderForm, PersonFacts
from habeas.domain.custody import CustodyChanged, CustodyStatus, CustodyTransition
from habeas.domain.errors import InvalidField
from habeas.domain.manifests import GateOutcome
from habeas.domain.periods import Period
from habeas.gates.coverage import Coverage, answer
from habeas.gates.evaluate import after_departure_alert, evaluate
from habeas.gates.rules import no_court_order_covering
from habeas.gates.state import CourtOrderRecord
from habeas.services.held import custody_course
from tests.unit.gates.builders import AT, LEG, US_FEDERAL, person

PASS, FAIL, UNKNOWN = GateOutcome.PASS, GateOutcome.FAIL, GateOutcome.UNKNOWN
C = Criterion
CUTOFF = datetime(2025, 3, 14, 0, 0, tzinfo=UTC)  # "detained before 14 March"
AEA = "aea_proclamation_2025"

# A Venezuelan held under the wartime-powers basis at Harlingen (field office HOU, S.D. Tex.) since 1 February:
# everything a class below may ask about is recorded.
FACTS = PersonFacts(
    person_id="p-1",
    nationalities=frozenset({"VE"}),
    legal_bases=frozenset({AEA}),
    facility_id="f-harlingen",
    field_office="HOU",
    district="TXSD",
    detained_since=datetime(2025, 2, 1, 9, 0, tzinfo=UTC),
)


def order(criteria: ClassCriteria, order_id: str = "co-1", seq: int = 40) -> CourtOrderRecord:
    return CourtOrderRecord(
        order_id=order_id, scope=CourtOrderScope(criteria=criteria), form=OrderForm.WRITTEN,
        issued_at=AT - timedelta(hours=1), period=Period(active_from=AT - timedelta(hours=1)), seq=seq,
    )


def gate(criteria: ClassCriteria, leg: Any = LEG, **facts: Any) -> Any:
    state = person(facts=dataclasses.replace(FACTS, **facts), court_orders=(order(criteria),))
    return no_court_order_covering(state, leg, US_FEDERAL, AT)


DOMESTIC = dataclasses.replace(LEG, destination="KELP", destination_country="US")  # a transfer, not a removal
TO_VENEZUELA = dataclasses.replace(LEG, destination="SVMI", destination_country="VE")

# (criterion, the class, the facts changed, the leg, outcome, the criterion the result names)
CASES: list[tuple[str, ClassCriteria, dict[str, Any], Any, GateOutcome, Criterion | None]] = [
    ("nationality in", ClassCriteria(nationality_in=("VE",)), {}, LEG, FAIL, None),
    ("nationality out", ClassCriteria(nationality_in=("VE",)), {"nationalities": frozenset({"SV"})}, LEG, PASS,
     C.NATIONALITY),
    ("nationality one of two", ClassCriteria(nationality_in=("VE",)), {"nationalities": frozenset({"CO", "VE"})},
     LEG, FAIL, None),
    ("nationality unknown", ClassCriteria(nationality_in=("VE",)), {"nationalities": frozenset()}, LEG, UNKNOWN,
     C.NATIONALITY),
    ("destination named", ClassCriteria(destination_in=("SV",)), {}, LEG, FAIL, None),
    ("destination another", ClassCriteria(destination_in=("MX", "HN")), {}, LEG, PASS, C.DESTINATION),
    # any third country: a country that is none of the person's nationalities, and not the one moving them
    ("third country", ClassCriteria(any_third_country=True), {}, LEG, FAIL, None),
    ("third country: home", ClassCriteria(any_third_country=True), {}, TO_VENEZUELA, PASS, C.DESTINATION),
    ("third country: a Salvadoran to SV", ClassCriteria(any_third_country=True),
     {"nationalities": frozenset({"SV"})}, LEG, PASS, C.DESTINATION),
    ("third country: a dual national's other home", ClassCriteria(any_third_country=True),
     {"nationalities": frozenset({"VE", "SV"})}, LEG, PASS, C.DESTINATION),
    ("third country: a transfer inside the country", ClassCriteria(any_third_country=True), {}, DOMESTIC, PASS,
     C.DESTINATION),
    ("third country: nationality unknown", ClassCriteria(any_third_country=True),
     {"nationalities": frozenset()}, LEG, UNKNOWN, C.DESTINATION),
    ("named country or any third", ClassCriteria(destination_in=("VE",), any_third_country=True), {},
     TO_VENEZUELA, FAIL, None),
    ("legal basis in", ClassCriteria(legal_basis_in=(AEA,)), {}, LEG, FAIL, None),
    ("legal basis out", ClassCriteria(legal_basis_in=(AEA,)), {"legal_bases": frozenset({"ina_241"})}, LEG, PASS,
     C.LEGAL_BASIS),
    ("legal basis unknown", ClassCriteria(legal_basis_in=(AEA,)), {"legal_bases": frozenset()}, LEG, UNKNOWN,
     C.LEGAL_BASIS),
    ("facility in", ClassCriteria(detained_at_facility_in=("f-harlingen",)), {}, LEG, FAIL, None),
    ("facility out", ClassCriteria(detained_at_facility_in=("f-willacy",)), {}, LEG, PASS, C.FACILITY),
    ("facility unknown", ClassCriteria(detained_at_facility_in=("f-willacy",)), {"facility_id": None}, LEG,
     UNKNOWN, C.FACILITY),
    ("field office in", ClassCriteria(field_office_in=("HOU",)), {}, LEG, FAIL, None),
    ("field office, any case", ClassCriteria(field_office_in=("hou",)), {}, LEG, FAIL, None),
    ("field office out", ClassCriteria(field_office_in=("DAL", "SNA")), {}, LEG, PASS, C.FIELD_OFFICE),
    ("field office not recorded for the facility", ClassCriteria(field_office_in=("HOU",)),
     {"field_office": None}, LEG, UNKNOWN, C.FIELD_OFFICE),
    ("field office: no facility", ClassCriteria(field_office_in=("HOU",)),
     {"facility_id": None, "field_office": None}, LEG, UNKNOWN, C.FIELD_OFFICE),
    ("district in", ClassCriteria(district_in=("TXSD",)), {}, LEG, FAIL, None),
    ("district out", ClassCriteria(district_in=("TXND",)), {}, LEG, PASS, C.DISTRICT),
    ("district unknown", ClassCriteria(district_in=("TXND",)), {"district": None}, LEG, UNKNOWN, C.DISTRICT),
    ("detained before", ClassCriteria(detained_before=CUTOFF), {}, LEG, FAIL, None),
    ("detained before: at the cutoff is not before", ClassCriteria(detained_before=CUTOFF),
     {"detained_since": CUTOFF}, LEG, PASS, C.DETAINED_BEFORE),
    ("detained before: unknown", ClassCriteria(detained_before=CUTOFF), {"detained_since": None}, LEG, UNKNOWN,
     C.DETAINED_BEFORE),
    ("detained from: at the date", ClassCriteria(detained_from=CUTOFF), {"detained_since": CUTOFF}, LEG, FAIL,
     None),
    ("detained from: earlier", ClassCriteria(detained_from=CUTOFF), {}, LEG, PASS, C.DETAINED_FROM),
    ("detained from: unknown", ClassCriteria(detained_from=CUTOFF), {"detained_since": None}, LEG, UNKNOWN,
     C.DETAINED_FROM),
    ("designation in", ClassCriteria(designation_in=("aea_designation",)),
     {"designations": frozenset({"aea_designation"})}, LEG, FAIL, None),
    ("designation: none recorded is a fact", ClassCriteria(designation_in=("aea_designation",)), {}, LEG, PASS,
     C.DESIGNATION),
]


@pytest.mark.parametrize(("criteria", "facts", "leg", "outcome", "decided"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_each_criterion_passes_fails_or_is_unknown_and_the_gate_names_it(
    criteria: ClassCriteria, facts: dict[str, Any], leg: Any, outcome: GateOutcome, decided: Criterion | None
) -> None:
    result = gate(criteria, leg, **facts)
    assert (result.outcome, result.criterion) == (outcome, decided), result.reason.text
    assert result.rests_on_record == ("co-1" if outcome is not PASS else None) or outcome is PASS
    if decided is not None:
        assert decided.value.replace("_", " ") in result.reason.text
    expected_code = {PASS: "no-court-order-covering", FAIL: "court-order-covers",
                     UNKNOWN: "class-coverage-undetermined"}[outcome]
    assert result.reason.code == expected_code
    assert result.blocks is (outcome is not PASS)


def test_every_criterion_is_exercised() -> None:
    assert {case[5] for case in CASES} - {None} == set(Criterion)


JGG_LIKE = ClassCriteria(  # Venezuelans held under the AEA basis, any third country, detained before X, in HOU
    nationality_in=("VE",), legal_basis_in=(AEA,), any_third_country=True, detained_before=CUTOFF,
    field_office_in=("HOU",),
)


def test_a_class_covers_only_when_every_criterion_holds() -> None:
    assert gate(JGG_LIKE).outcome is FAIL
    assert "nationality" in gate(JGG_LIKE).reason.text  # the covering answer lists what matched
    assert gate(JGG_LIKE, detained_since=CUTOFF + timedelta(days=1)).criterion is C.DETAINED_BEFORE
    assert gate(JGG_LIKE, TO_VENEZUELA).criterion is C.DESTINATION


def test_a_known_no_rules_the_person_out_even_when_another_fact_is_missing() -> None:
    result = gate(JGG_LIKE, nationalities=frozenset({"SV"}), detained_since=None, field_office=None)
    assert (result.outcome, result.criterion) == (PASS, C.NATIONALITY)


def test_the_first_missing_fact_in_the_order_of_the_criteria_is_named() -> None:
    result = gate(JGG_LIKE, detained_since=None, field_office=None)
    assert (result.outcome, result.criterion) == (UNKNOWN, C.FIELD_OFFICE)
    assert "HOU" in result.reason.text or "field office" in result.reason.text


def test_coverage_answers_with_the_deciding_criterion() -> None:
    scope = CourtOrderScope(criteria=JGG_LIKE)
    covered = answer(scope, FACTS, leg=LEG)
    assert (covered.coverage, covered.criterion) == (Coverage.COVERED, None)
    missing = answer(scope, dataclasses.replace(FACTS, detained_since=None), leg=LEG)
    assert (missing.coverage, missing.criterion) == (Coverage.UNDETERMINED, C.DETAINED_BEFORE)
    out = answer(scope, FACTS, leg=TO_VENEZUELA)
    assert (out.coverage, out.criterion) == (Coverage.NOT_COVERED, C.DESTINATION)
    named = answer(CourtOrderScope(person_ids=("p-1",)), FACTS, leg=LEG)
    assert (named.coverage, named.criterion) == (Coverage.COVERED, None)


def test_an_undetermined_person_blocks_the_whole_evaluation_like_a_failed_gate() -> None:
    state = person(facts=dataclasses.replace(FACTS, detained_since=None), court_orders=(order(JGG_LIKE),))
    [blocking] = [r for r in evaluate(state, LEG, US_FEDERAL, AT) if r.blocks]
    assert (blocking.outcome, blocking.criterion) == (UNKNOWN, C.DETAINED_BEFORE)


def test_the_after_departure_alert_uses_the_same_criteria() -> None:
    wheels_up = AT
    late = order(JGG_LIKE, order_id="co-late", seq=91)
    aboard = [
        dataclasses.replace(FACTS, person_id="p-covered"),
        dataclasses.replace(FACTS, person_id="p-dallas", field_office="DAL"),
        dataclasses.replace(FACTS, person_id="p-late", detained_since=CUTOFF + timedelta(hours=1)),
        dataclasses.replace(FACTS, person_id="p-unknown", field_office=None),
    ]
    alert = after_departure_alert(late, aboard, manifest_id="m-1", leg=LEG, departed_at=wheels_up)
    assert alert is not None
    assert (alert.person_ids, alert.undetermined_ids) == (("p-covered",), ("p-unknown",))
    home = after_departure_alert(late, aboard, manifest_id="m-1", leg=TO_VENEZUELA, departed_at=wheels_up)
    assert home is None  # going home is not a third country: nobody aboard is in the class


@pytest.mark.parametrize(("criteria", "field"), [
    ({}, "criteria"),
    ({"destination_in": ("El Salvador",)}, "destination_in"),
    ({"field_office_in": ("H OU",)}, "field_office_in"),
    ({"district_in": ("",)}, "district_in"),
    ({"detained_before": datetime(2025, 3, 14)}, "detained_before"),  # no zone
    ({"detained_from": CUTOFF, "detained_before": CUTOFF}, "detained_from"),  # an empty period
])
def test_a_class_refuses_what_no_court_could_mean(criteria: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidField) as refused:
        ClassCriteria(**criteria)
    assert refused.value.field == field


def test_codes_are_kept_in_upper_case_so_a_class_and_a_facility_compare_equal() -> None:
    c = ClassCriteria(field_office_in=("hou",), district_in=("txsd",), any_third_country=False)
    assert (c.field_office_in, c.district_in) == (("HOU",), ("TXSD",))
    assert ClassCriteria(any_third_country=True).criteria() == (C.DESTINATION,)
    assert JGG_LIKE.criteria() == (C.NATIONALITY, C.DESTINATION, C.LEGAL_BASIS, C.FIELD_OFFICE, C.DETAINED_BEFORE)


def _custody(transition: str, from_status: str, to_status: str, day: int, facility: str | None = None
             ) -> CustodyChanged:
    return CustodyChanged(
        stream="p-1", occurred_at=datetime(2025, 3, day, tzinfo=UTC), transition=CustodyTransition(transition),
        from_status=CustodyStatus(from_status), to_status=CustodyStatus(to_status), facility_id=facility,
    )


def test_custody_began_at_the_admission_a_transfer_or_handover_continues_and_a_release_ends() -> None:
    admitted = _custody("admit", "not_held", "in_custody", 1, "f-dal")
    moved = [_custody("depart", "in_custody", "in_transit", 9), _custody("arrive", "in_transit", "in_custody", 9,
                                                                          "f-hou")]
    assert custody_course([admitted, *moved]) == ("f-hou", admitted.occurred_at)
    assert custody_course([admitted, moved[0]]) == ("f-dal", admitted.occurred_at)  # in the air: the place he left
    handed = [_custody("hand_over", "in_transit", "handed_over", 10),
              _custody("admit", "handed_over", "in_custody", 11, "f-cecot")]
    assert custody_course([admitted, moved[0], *handed]) == ("f-cecot", admitted.occurred_at)
    again = [_custody("release", "in_custody", "released", 12), _custody("admit", "released", "in_custody", 20,
                                                                         "f-hou")]
    assert custody_course([admitted, *moved, *again]) == ("f-hou", again[1].occurred_at)
    assert custody_course([]) == (None, None)

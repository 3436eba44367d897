"""Every gate: pass, fail and unknown, each with its reason code and the record it rests on."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from habeas.domain.court_orders import ClassCriteria, CourtOrderScope, OrderForm, PersonFacts
from habeas.domain.errors import InvalidField
from habeas.domain.facilities import CapacityStandard
from habeas.domain.legal import NoticeContent
from habeas.domain.manifests import GateOutcome
from habeas.domain.periods import Period
from habeas.gates.evaluate import blocking, evaluate, evaluate_manifest
from habeas.gates.policy import GateName, Policy
from habeas.gates.rules import GATES, GateResult
from habeas.gates.state import (
    AgreementRecord,
    CapacitySnapshot,
    ConsularRecord,
    CourtOrderRecord,
    MedicalClearance,
    NoticeRecord,
    PersonLegalState,
    RemovalOrderRecord,
    StayRecord,
)
from tests.unit.gates.builders import (
    AT,
    DEPARTURE,
    EVER,
    LEG,
    STRICT,
    US_FEDERAL,
    counsel_of_record,
    destination,
    person,
    policy,
    withholding_to,
)

G = GateName
PASS, FAIL, UNKNOWN = GateOutcome.PASS, GateOutcome.FAIL, GateOutcome.UNKNOWN


def court_order(scope: CourtOrderScope, **changes: Any) -> CourtOrderRecord:
    base = CourtOrderRecord(
        order_id="tro-1",
        scope=scope,
        form=OrderForm.WRITTEN,
        issued_at=AT - timedelta(hours=1),
        period=Period(active_from=AT - timedelta(hours=1)),
        seq=40,
    )
    return dataclasses.replace(base, **changes)


AEA_CLASS = CourtOrderScope(criteria=ClassCriteria(designation_in=("aea_designation",)))
VE_CLASS = CourtOrderScope(criteria=ClassCriteria(nationality_in=("VE",)))


def notice(**changes: Any) -> NoticeRecord:
    base = person().notices
    assert base is not None
    return dataclasses.replace(base[0], **changes)


def consular(**changes: Any) -> ConsularRecord:
    base = person().consular
    assert base is not None
    return dataclasses.replace(base[0], **changes)


def agreement(**changes: Any) -> AgreementRecord:
    base = destination().agreement
    assert base is not None
    return dataclasses.replace(base, **changes)


Case = tuple[GateName, str, Callable[[], PersonLegalState], Policy, GateOutcome, str]

CASES: list[Case] = [
    # identity
    (G.IDENTITY_VERIFIED, "verified", person, US_FEDERAL, PASS, "identity-verified"),
    (
        G.IDENTITY_VERIFIED,
        "unresolved",
        lambda: person(identity_verified=False),
        US_FEDERAL,
        FAIL,
        "identity-unresolved",
    ),
    (
        G.IDENTITY_VERIFIED,
        "not checked",
        lambda: person(identity_verified=None),
        US_FEDERAL,
        UNKNOWN,
        "identity-not-checked",
    ),
    # removal authority
    (
        G.REMOVAL_AUTHORITY_VALID_FOR_DESTINATION,
        "final order to SV",
        person,
        US_FEDERAL,
        PASS,
        "order-valid-for-destination",
    ),
    (
        G.REMOVAL_AUTHORITY_VALID_FOR_DESTINATION,
        "order names VE only",
        lambda: person(
            removal_orders=(
                RemovalOrderRecord(
                    order_id="ro-ve", destination_country="VE", legal_basis="ina_241", final=True, period=EVER, seq=2
                ),
            )
        ),
        US_FEDERAL,
        FAIL,
        "order-for-other-country",
    ),
    (
        G.REMOVAL_AUTHORITY_VALID_FOR_DESTINATION,
        "no order",
        lambda: person(removal_orders=()),
        US_FEDERAL,
        FAIL,
        "no-removal-order-in-force",
    ),
    (
        G.REMOVAL_AUTHORITY_VALID_FOR_DESTINATION,
        "expired order",
        lambda: person(
            removal_orders=(
                RemovalOrderRecord(
                    order_id="ro-1",
                    destination_country="SV",
                    legal_basis="ina_241",
                    final=True,
                    period=Period(active_from=EVER.active_from, active_to=AT - timedelta(days=1)),
                    seq=2,
                ),
            )
        ),
        US_FEDERAL,
        FAIL,
        "no-removal-order-in-force",
    ),
    (
        G.REMOVAL_AUTHORITY_VALID_FOR_DESTINATION,
        "not final",
        lambda: person(
            removal_orders=(
                RemovalOrderRecord(
                    order_id="ro-1", destination_country="SV", legal_basis="ina_241", final=False, period=EVER, seq=2
                ),
            )
        ),
        US_FEDERAL,
        FAIL,
        "order-not-final",
    ),
    (
        G.REMOVAL_AUTHORITY_VALID_FOR_DESTINATION,
        "not loaded",
        lambda: person(removal_orders=None),
        US_FEDERAL,
        UNKNOWN,
        "removal-orders-not-loaded",
    ),
    # protection
    (G.NO_PROTECTION_AGAINST_DESTINATION, "none", person, US_FEDERAL, PASS, "no-protection-against-destination"),
    (
        G.NO_PROTECTION_AGAINST_DESTINATION,
        "to a third country",
        lambda: person(protections=(withholding_to("VE"),)),
        US_FEDERAL,
        PASS,
        "no-protection-against-destination",
    ),
    (
        G.NO_PROTECTION_AGAINST_DESTINATION,
        "withholding to SV",
        lambda: person(protections=(withholding_to("SV"),)),
        US_FEDERAL,
        FAIL,
        "protection-against-destination",
    ),
    (
        G.NO_PROTECTION_AGAINST_DESTINATION,
        "not loaded",
        lambda: person(protections=None),
        US_FEDERAL,
        UNKNOWN,
        "protections-not-loaded",
    ),
    # stays
    (G.NO_STAY_IN_FORCE, "none", person, US_FEDERAL, PASS, "no-stay-in-force"),
    (
        G.NO_STAY_IN_FORCE,
        "stay limited to VE",
        lambda: person(stays=(StayRecord(stay_id="s-1", person_id="p-1", country="VE", period=EVER, seq=11),)),
        US_FEDERAL,
        PASS,
        "no-stay-in-force",
    ),
    (
        G.NO_STAY_IN_FORCE,
        "stay anywhere",
        lambda: person(stays=(StayRecord(stay_id="s-1", person_id="p-1", country=None, period=EVER, seq=11),)),
        US_FEDERAL,
        FAIL,
        "stay-in-force",
    ),
    (
        G.NO_STAY_IN_FORCE,
        "stay starts after t",
        lambda: person(
            stays=(
                StayRecord(
                    stay_id="s-1",
                    person_id="p-1",
                    country=None,
                    period=Period(active_from=AT + timedelta(hours=1)),
                    seq=11,
                ),
            )
        ),
        US_FEDERAL,
        PASS,
        "no-stay-in-force",
    ),
    (G.NO_STAY_IN_FORCE, "not loaded", lambda: person(stays=None), US_FEDERAL, UNKNOWN, "stays-not-loaded"),
    # court orders
    (G.NO_COURT_ORDER_COVERING, "none", person, US_FEDERAL, PASS, "no-court-order-covering"),
    (
        G.NO_COURT_ORDER_COVERING,
        "names the person",
        lambda: person(court_orders=(court_order(CourtOrderScope(person_ids=("p-1",))),)),
        US_FEDERAL,
        FAIL,
        "court-order-covers",
    ),
    (
        G.NO_COURT_ORDER_COVERING,
        "names someone else",
        lambda: person(court_orders=(court_order(CourtOrderScope(person_ids=("p-2",))),)),
        US_FEDERAL,
        PASS,
        "no-court-order-covering",
    ),
    (
        G.NO_COURT_ORDER_COVERING,
        "class covers",
        lambda: person(court_orders=(court_order(VE_CLASS),)),
        US_FEDERAL,
        FAIL,
        "court-order-covers",
    ),
    (
        G.NO_COURT_ORDER_COVERING,
        "oral order counts from issue, before its written period",
        lambda: person(
            court_orders=(
                court_order(
                    VE_CLASS,
                    form=OrderForm.ORAL,
                    issued_at=AT - timedelta(minutes=30),
                    period=Period(active_from=AT + timedelta(hours=5)),
                ),
            )
        ),
        US_FEDERAL,
        FAIL,
        "court-order-covers",
    ),
    (
        G.NO_COURT_ORDER_COVERING,
        "expired order",
        lambda: person(
            court_orders=(
                court_order(
                    VE_CLASS, period=Period(active_from=AT - timedelta(days=3), active_to=AT - timedelta(days=1))
                ),
            )
        ),
        US_FEDERAL,
        PASS,
        "no-court-order-covering",
    ),
    (
        G.NO_COURT_ORDER_COVERING,
        "class needs a nationality not recorded",
        lambda: person(
            facts=PersonFacts(person_id="p-1", legal_bases=frozenset({"ina_241"})),
            court_orders=(court_order(VE_CLASS),),
        ),
        US_FEDERAL,
        UNKNOWN,
        "class-coverage-undetermined",
    ),
    (
        G.NO_COURT_ORDER_COVERING,
        "not loaded",
        lambda: person(court_orders=None),
        US_FEDERAL,
        UNKNOWN,
        "court-orders-not-loaded",
    ),
    # notice
    (G.NOTICE_SERVED_IN_TIME, "ten days ahead in Spanish", person, US_FEDERAL, PASS, "notice-served-in-time"),
    (
        G.NOTICE_SERVED_IN_TIME,
        "12 hours ahead (ICE practice)",
        lambda: person(notices=(notice(served_at=DEPARTURE - timedelta(hours=12)),)),
        US_FEDERAL,
        FAIL,
        "notice-too-late",
    ),
    (
        G.NOTICE_SERVED_IN_TIME,
        "English only",
        lambda: person(notices=(notice(language="en"),)),
        US_FEDERAL,
        FAIL,
        "notice-language-not-understood",
    ),
    (
        G.NOTICE_SERVED_IN_TIME,
        "English accepted by a pack that lists it",
        lambda: person(notices=(notice(language="en"),)),
        policy(notice_languages=("en",)),
        PASS,
        "notice-served-in-time",
    ),
    (
        G.NOTICE_SERVED_IN_TIME,
        "Spanish refused by an English-only pack",
        person,
        policy(notice_languages=("en",)),
        FAIL,
        "notice-language-not-accepted",
    ),
    (
        G.NOTICE_SERVED_IN_TIME,
        "not copied to counsel of record",
        lambda: person(notices=(notice(copy_to_counsel=False),), counsel=(counsel_of_record(),)),
        US_FEDERAL,
        FAIL,
        "notice-not-copied-to-counsel",
    ),
    (
        G.NOTICE_SERVED_IN_TIME,
        "not copied, but no counsel of record",
        lambda: person(notices=(notice(copy_to_counsel=False),)),
        US_FEDERAL,
        PASS,
        "notice-served-in-time",
    ),
    (
        G.NOTICE_SERVED_IN_TIME,
        "a transfer notice is not a removal notice",
        lambda: person(notices=(notice(content_type=NoticeContent.TRANSFER),)),
        US_FEDERAL,
        FAIL,
        "no-notice",
    ),
    (
        G.NOTICE_SERVED_IN_TIME,
        "languages unknown",
        lambda: person(languages=frozenset()),
        US_FEDERAL,
        UNKNOWN,
        "languages-unknown",
    ),
    (G.NOTICE_SERVED_IN_TIME, "not loaded", lambda: person(notices=None), US_FEDERAL, UNKNOWN, "notices-not-loaded"),
    (
        G.NOTICE_SERVED_IN_TIME,
        "counsel not loaded",
        lambda: person(counsel=None),
        US_FEDERAL,
        UNKNOWN,
        "counsel-not-loaded",
    ),
    # consular
    (G.CONSULAR_NOTIFICATION, "offered", person, US_FEDERAL, PASS, "consular-offered"),
    (
        G.CONSULAR_NOTIFICATION,
        "never offered",
        lambda: person(consular=()),
        US_FEDERAL,
        FAIL,
        "consular-right-not-offered",
    ),
    (
        G.CONSULAR_NOTIFICATION,
        "requested, not sent",
        lambda: person(consular=(consular(requested_at=AT - timedelta(days=11)),)),
        US_FEDERAL,
        FAIL,
        "consular-requested-not-sent",
    ),
    (
        G.CONSULAR_NOTIFICATION,
        "requested and sent",
        lambda: person(consular=(consular(requested_at=AT - timedelta(days=11), sent_at=AT - timedelta(days=10)),)),
        US_FEDERAL,
        PASS,
        "consular-offered",
    ),
    (G.CONSULAR_NOTIFICATION, "mandatory for all, only offered", person, STRICT, FAIL, "consular-mandatory-not-sent"),
    (
        G.CONSULAR_NOTIFICATION,
        "mandatory for VE, sent",
        lambda: person(consular=(consular(sent_at=AT - timedelta(days=10)),)),
        policy(consular_mandatory_nationalities=frozenset({"VE"})),
        PASS,
        "consular-sent",
    ),
    (
        G.CONSULAR_NOTIFICATION,
        "mandatory list, nationality unknown",
        lambda: person(facts=PersonFacts(person_id="p-1")),
        policy(consular_mandatory_nationalities=frozenset({"VE"})),
        UNKNOWN,
        "nationality-unknown",
    ),
    (
        G.CONSULAR_NOTIFICATION,
        "not loaded",
        lambda: person(consular=None),
        US_FEDERAL,
        UNKNOWN,
        "consular-notifications-not-loaded",
    ),
    # fit to travel
    (G.FIT_TO_TRAVEL, "fit", person, US_FEDERAL, PASS, "fit-to-travel"),
    (
        G.FIT_TO_TRAVEL,
        "not fit",
        lambda: person(medical=MedicalClearance(fit=False, assessed_at=AT - timedelta(hours=1), seq=7)),
        US_FEDERAL,
        FAIL,
        "not-fit-to-travel",
    ),
    (G.FIT_TO_TRAVEL, "no assessment", lambda: person(medical=None), US_FEDERAL, UNKNOWN, "no-medical-clearance"),
    # agreement
    (G.AGREEMENT_COVERS, "covers", person, US_FEDERAL, PASS, "agreement-covers"),
    (
        G.AGREEMENT_COVERS,
        "none, required",
        lambda: person(destination=destination(agreement=None)),
        US_FEDERAL,
        FAIL,
        "no-agreement",
    ),
    (
        G.AGREEMENT_COVERS,
        "none, not required",
        lambda: person(destination=destination(agreement=None)),
        policy(agreement_required=False),
        PASS,
        "agreement-not-required",
    ),
    (
        G.AGREEMENT_COVERS,
        "expired",
        lambda: person(
            destination=destination(
                agreement=agreement(period=Period(active_from=EVER.active_from, active_to=AT - timedelta(days=1)))
            )
        ),
        US_FEDERAL,
        FAIL,
        "agreement-not-in-force",
    ),
    (
        G.AGREEMENT_COVERS,
        "other parties",
        lambda: person(destination=destination(agreement=agreement(parties=("US", "GT")))),
        US_FEDERAL,
        FAIL,
        "agreement-not-with-destination",
    ),
    (
        G.AGREEMENT_COVERS,
        "category not accepted",
        lambda: person(categories=frozenset({"asylum_seeker"})),
        US_FEDERAL,
        FAIL,
        "category-not-accepted",
    ),
    (
        G.AGREEMENT_COVERS,
        "quota exhausted",
        lambda: person(destination=destination(agreement=agreement(quota_remaining=100))),
        US_FEDERAL,
        FAIL,
        "quota-exhausted",
    ),
    (
        G.AGREEMENT_COVERS,
        "category unknown",
        lambda: person(categories=frozenset()),
        US_FEDERAL,
        UNKNOWN,
        "category-unknown",
    ),
    (
        G.AGREEMENT_COVERS,
        "destination not loaded",
        lambda: person(destination=None),
        US_FEDERAL,
        UNKNOWN,
        "destination-not-loaded",
    ),
    # capacity: 25,600 m² is 7,529 people at ICRC 3.4 m², 6,400 at CPT 4 m²
    (G.DESTINATION_CAPACITY, "within ICRC", person, US_FEDERAL, PASS, "within-capacity"),
    (
        G.DESTINATION_CAPACITY,
        "7,000 held: within ICRC",
        lambda: person(
            destination=destination(
                capacity=CapacitySnapshot(facility_id="cecot", floor_area_m2=Decimal(25600), occupancy=7000)
            )
        ),
        US_FEDERAL,
        PASS,
        "within-capacity",
    ),
    (
        G.DESTINATION_CAPACITY,
        "7,000 held: over CPT",
        lambda: person(
            destination=destination(
                capacity=CapacitySnapshot(facility_id="cecot", floor_area_m2=Decimal(25600), occupancy=7000)
            )
        ),
        STRICT,
        FAIL,
        "over-capacity",
    ),
    (
        G.DESTINATION_CAPACITY,
        "declared 40,000 does not count",
        lambda: person(
            destination=destination(
                capacity=CapacitySnapshot(
                    facility_id="cecot", floor_area_m2=Decimal(25600), occupancy=12000, declared_capacity=40000
                )
            )
        ),
        US_FEDERAL,
        FAIL,
        "over-capacity",
    ),
    (
        G.DESTINATION_CAPACITY,
        "capacity unknown",
        lambda: person(destination=destination(capacity=None)),
        US_FEDERAL,
        UNKNOWN,
        "destination-capacity-not-loaded",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_gate(case: Case) -> None:
    gate, _, state, pack, outcome, code = case
    result = GATES[gate](state(), LEG, pack, AT)
    assert (result.gate, result.outcome, result.reason.code) == (gate, outcome, code), result.reason.text
    assert result.reason.text
    assert result.blocks is (outcome is not PASS)


def test_every_gate_has_a_pass_a_fail_and_an_unknown_case() -> None:
    seen = {(g, o) for g, _, _, _, o, _ in CASES}
    assert seen == {(g, o) for g in GateName for o in GateOutcome}


def test_results_rest_on_the_record_behind_them() -> None:
    sv = withholding_to("SV", seq=77)
    result = GATES[G.NO_PROTECTION_AGAINST_DESTINATION](person(protections=(sv,)), LEG, US_FEDERAL, AT)
    assert (result.rests_on_seq, result.rests_on_record) == (77, "wh-sv")
    check = result.check()
    assert (check.gate, check.outcome, check.reason_code, check.rests_on_seq) == (
        "no_protection_against_destination",
        FAIL,
        "protection-against-destination",
        77,
    )


def test_evaluate_runs_the_packs_gates_in_order_and_everything_passes_for_the_baseline() -> None:
    results = evaluate(person(), LEG, US_FEDERAL, AT)
    assert [r.gate for r in results] == list(US_FEDERAL.gates)
    assert blocking(results) == []


def test_a_pack_with_fewer_gates_runs_only_those() -> None:
    results = evaluate(person(medical=None), LEG, policy(gates=(G.IDENTITY_VERIFIED,)), AT)
    assert [r.gate for r in results] == [G.IDENTITY_VERIFIED]


def test_blocking_counts_unknown_like_fail() -> None:
    results = evaluate(person(medical=None, protections=(withholding_to("SV"),)), LEG, US_FEDERAL, AT)
    assert {(r.gate, r.outcome) for r in blocking(results)} == {
        (G.FIT_TO_TRAVEL, UNKNOWN),
        (G.NO_PROTECTION_AGAINST_DESTINATION, FAIL),
    }


def test_evaluate_refuses_a_destination_of_another_leg() -> None:
    with pytest.raises(InvalidField, match="destination"):
        evaluate(person(destination=destination(country="GT")), LEG, US_FEDERAL, AT)


def test_evaluate_manifest_gives_public_checks_per_person() -> None:
    people = {"p-1": person("p-1"), "p-2": person("p-2", identity_verified=None)}
    checks = evaluate_manifest(people, LEG, US_FEDERAL, AT)
    assert not any(c.blocks for c in checks["p-1"])
    assert [c.gate for c in checks["p-2"] if c.blocks] == ["identity_verified"]
    with pytest.raises(InvalidField):
        evaluate_manifest({"p-9": person("p-1")}, LEG, US_FEDERAL, AT)


@given(hours_before=st.integers(min_value=0, max_value=24 * 40), required=st.integers(min_value=0, max_value=24 * 30))
def test_notice_passes_exactly_when_served_at_least_the_required_hours_before(hours_before: int, required: int) -> None:
    served = DEPARTURE - timedelta(hours=hours_before)
    state = person(notices=(notice(served_at=min(served, AT)),))
    result: GateResult = GATES[G.NOTICE_SERVED_IN_TIME](state, LEG, policy(min_notice_hours=required), AT)
    on_time = min(served, AT) <= DEPARTURE - timedelta(hours=required)
    assert result.outcome is (PASS if on_time else FAIL)


@given(
    occupancy=st.integers(min_value=0, max_value=10_000),
    incoming=st.integers(min_value=0, max_value=500),
    area=st.integers(min_value=1, max_value=30_000),
    standard=st.sampled_from(CapacityStandard),
)
def test_capacity_fails_exactly_when_the_floor_area_is_exceeded(
    occupancy: int, incoming: int, area: int, standard: CapacityStandard
) -> None:
    snapshot = CapacitySnapshot(facility_id="f", floor_area_m2=Decimal(area), occupancy=occupancy)
    state = person(destination=destination(capacity=snapshot, incoming=incoming))
    result = GATES[G.DESTINATION_CAPACITY](state, LEG, policy(capacity_standard=standard), AT)
    per_person = Decimal("4.0") if standard is CapacityStandard.CPT else Decimal("3.4")
    assert (result.outcome is FAIL) == ((occupancy + incoming) * per_person > area)


@given(st.sampled_from(["SV", "VE", "GT", "MX", "US"]), st.sampled_from(["SV", "VE", "GT", "MX"]))
def test_protection_bars_its_own_country_only(protected: str, destination_country: str) -> None:
    leg = dataclasses.replace(LEG, destination_country=destination_country)
    state = person(protections=(withholding_to(protected),), destination=destination(country=destination_country))
    result = GATES[G.NO_PROTECTION_AGAINST_DESTINATION](state, leg, US_FEDERAL, AT)
    assert (result.outcome is FAIL) == (protected == destination_country)

"""The seed operation's failures, each caught: gates and the manifest state machine together."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import timedelta

import pytest

from habeas.domain import manifests as mf
from habeas.domain.court_orders import ClassCriteria, CourtOrderScope, OrderForm, PersonFacts
from habeas.domain.events import Event
from habeas.domain.manifests import DepartureBlocked, GateCheck, Manifest, ManifestStatus, apply_manifest
from habeas.domain.periods import Period
from habeas.gates.evaluate import after_departure_alert, evaluate, evaluate_manifest
from habeas.gates.policy import GateName
from habeas.gates.state import CourtOrderRecord, PersonLegalState, StayRecord
from tests.unit.gates.builders import AT, DEPARTURE, LEG, US_FEDERAL, person, withholding_to

M = "mf-1"
NOW = DEPARTURE + timedelta(days=2)
WHEELS_UP = DEPARTURE + timedelta(minutes=5)
AEA = "aea_designation"


def replay(events: Sequence[Event], state: Manifest | None = None) -> Manifest:
    for e in events:
        state = apply_manifest(state, e)
    assert state is not None
    return state


def manifest(people: tuple[str, ...], alternates: tuple[str, ...] = ()) -> Manifest:
    cmd = mf.CreateManifest(
        manifest_id=M,
        journey_id="j-1",
        leg_index=0,
        leg=LEG,
        people=people,
        alternates=alternates,
        occurred_at=AT - timedelta(hours=1),
    )
    return replay(mf.create_manifest(cmd, already_exists=False, now=NOW))


def checks(states: Mapping[str, PersonLegalState], m: Manifest) -> dict[str, tuple[GateCheck, ...]]:
    return evaluate_manifest({p: states[p] for p in m.people}, LEG, US_FEDERAL, AT)


def clear(m: Manifest, states: Mapping[str, PersonLegalState]) -> Manifest:
    cmd = mf.ClearManifest(manifest_id=M, occurred_at=AT, policy=US_FEDERAL.name)
    return replay(mf.clear_manifest(cmd, manifest=m, results=checks(states, m), now=NOW), m)


def board(m: Manifest) -> Manifest:
    return replay(mf.begin_boarding(mf.BeginBoarding(manifest_id=M, occurred_at=AT), manifest=m, now=NOW), m)


def depart(m: Manifest) -> list[Event]:
    return mf.depart(mf.Depart(manifest_id=M, occurred_at=WHEELS_UP), manifest=m, now=NOW)


def test_avalos_an_alternate_protected_against_el_salvador_moves_up_the_list_and_is_stopped() -> None:
    states = {
        "p-1": person("p-1"),
        "p-2": person("p-2"),
        "avalos": person("avalos", protections=(withholding_to("SV", seq=19),)),
    }
    m = board(clear(manifest(("p-1", "p-2"), alternates=("avalos",)), states))
    # "as others were removed from the flight for various reasons, he moved up the list"
    strike = mf.StrikeFromManifest(manifest_id=M, occurred_at=AT, person_id="p-2", reason=mf.StrikeReason.MEDICAL)
    m = replay(mf.strike_from_manifest(strike, manifest=m, now=NOW), m)
    assert m.status is ManifestStatus.BOARDING  # striking keeps the clearance
    m = replay(mf.promote_alternate(mf.PromoteAlternate(manifest_id=M, occurred_at=AT), manifest=m, now=NOW), m)
    assert m.people == ("p-1", "avalos")
    assert m.status is ManifestStatus.DRAFT  # needs re-clearance
    with pytest.raises(mf.ManifestTransitionRefused):
        depart(m)
    # re-clearance runs every gate for him: the withholding to SV fails, the manifest stays in draft
    cleared = mf.clear_manifest(
        mf.ClearManifest(manifest_id=M, occurred_at=AT, policy=US_FEDERAL.name),
        manifest=m,
        results=checks(states, m),
        now=NOW,
    )
    assert mf.blocking_people(cleared) == ("avalos",)
    m = replay(cleared, m)
    assert m.status is ManifestStatus.DRAFT
    failing = [c for c in m.results["avalos"].checks if c.blocks]
    assert [(c.gate, c.reason_code, c.rests_on_seq) for c in failing] == [
        ("no_protection_against_destination", "protection-against-destination", 19)
    ]
    # even a manifest forced through to boarding could not depart with him aboard
    forced = dataclasses.replace(m, status=ManifestStatus.BOARDING, cleared_at=AT)
    with pytest.raises(DepartureBlocked) as info:
        depart(forced)
    assert info.value.person_ids == ("avalos",)
    # struck with a reason, the others are cleared and leave
    strike_him = mf.StrikeFromManifest(
        manifest_id=M, occurred_at=AT, person_id="avalos", reason=mf.StrikeReason.PROTECTION
    )
    m = replay(mf.strike_from_manifest(strike_him, manifest=m, now=NOW), m)
    m = board(clear(m, states))
    assert replay(depart(m), m).status is ManifestStatus.DEPARTED


def test_the_same_protection_does_not_bar_a_third_country() -> None:
    state = person("p-1", protections=(withholding_to("VE"),))
    assert not [r for r in evaluate(state, LEG, US_FEDERAL, AT) if r.blocks]


def aea_class_order(period: Period | None = None, *, seq: int = 50) -> CourtOrderRecord:
    """An oral class order (people designated under the wartime-powers proclamation), issued as its period starts."""
    period = period or Period(active_from=AT - timedelta(hours=1))
    return CourtOrderRecord(
        order_id="jgg-tro",
        scope=CourtOrderScope(criteria=ClassCriteria(designation_in=(AEA,))),
        form=OrderForm.ORAL,
        issued_at=period.active_from,
        period=period,
        seq=seq,
    )


def test_a_class_order_before_departure_blocks_the_people_it_covers_and_no_one_else() -> None:
    order = aea_class_order()
    designated = PersonFacts(person_id="p-aea", nationalities=frozenset({"VE"}), designations=frozenset({AEA}))
    ordinary = PersonFacts(person_id="p-ina", nationalities=frozenset({"VE"}), legal_bases=frozenset({"ina_241"}))
    states = {
        "p-aea": person("p-aea", facts=designated, court_orders=(order,)),
        "p-ina": person("p-ina", facts=ordinary, court_orders=(order,)),
        "p-sv": person("p-sv", court_orders=(order,)),
    }
    m = manifest(("p-aea", "p-ina", "p-sv"))
    events = mf.clear_manifest(
        mf.ClearManifest(manifest_id=M, occurred_at=AT, policy=US_FEDERAL.name),
        manifest=m,
        results=checks(states, m),
        now=NOW,
    )
    assert mf.blocking_people(events) == ("p-aea",)
    by_person = {e.person_id: e for e in events if isinstance(e, mf.GateEvaluated)}
    (blocked,) = [c for c in by_person["p-aea"].checks if c.blocks]
    assert (blocked.gate, blocked.reason_code, blocked.rests_on_record) == (
        GateName.NO_COURT_ORDER_COVERING,
        "court-order-covers",
        "jgg-tro",
    )
    # strike the covered person with the court order as the reason: the rest can go
    m = replay(events, m)
    strike = mf.StrikeFromManifest(manifest_id=M, occurred_at=AT, person_id="p-aea", reason=mf.StrikeReason.COURT_ORDER)
    m = board(clear(replay(mf.strike_from_manifest(strike, manifest=m, now=NOW), m), states))
    assert replay(depart(m), m).status is ManifestStatus.DEPARTED


def test_an_order_recorded_at_wheels_up_blocks_departure_through_a_recheck() -> None:
    designated = PersonFacts(person_id="p-aea", designations=frozenset({AEA}), nationalities=frozenset({"VE"}))
    states = {"p-aea": person("p-aea", facts=designated), "p-2": person("p-2")}
    m = board(clear(manifest(("p-aea", "p-2")), states))
    order = aea_class_order(Period(active_from=WHEELS_UP - timedelta(minutes=2)))
    later = {p: dataclasses.replace(s, court_orders=(order,)) for p, s in states.items()}
    recheck = evaluate_manifest(later, LEG, US_FEDERAL, WHEELS_UP)
    cmd = mf.RecordGateResults(manifest_id=M, occurred_at=WHEELS_UP, policy=US_FEDERAL.name)
    m = replay(mf.record_gate_results(cmd, manifest=m, results=recheck, now=NOW), m)
    with pytest.raises(DepartureBlocked) as info:
        depart(m)
    assert info.value.person_ids == ("p-aea",)


def test_an_order_after_departure_requires_return_of_the_people_it_covers() -> None:
    aboard = [
        PersonFacts(person_id="p-1", nationalities=frozenset({"VE"}), designations=frozenset({AEA})),
        PersonFacts(person_id="p-2", nationalities=frozenset({"VE"}), designations=frozenset({AEA})),
        PersonFacts(person_id="p-3", nationalities=frozenset({"SV"}), legal_bases=frozenset({"ina_241"})),
    ]
    order = aea_class_order(Period(active_from=WHEELS_UP + timedelta(hours=1)), seq=88)
    alert = after_departure_alert(order, aboard, manifest_id=M, leg=LEG, departed_at=WHEELS_UP)
    assert alert is not None
    assert (alert.manifest_id, alert.record_kind, alert.record_id, alert.seq) == (M, "court_order", "jgg-tro", 88)
    assert alert.person_ids == ("p-1", "p-2")
    assert alert.undetermined_ids == ()


def test_an_order_issued_before_departure_but_learned_of_after_also_requires_return() -> None:
    aboard = [PersonFacts(person_id="p-1", designations=frozenset({AEA}), nationalities=frozenset({"VE"}))]
    order = aea_class_order(Period(active_from=WHEELS_UP - timedelta(hours=3)))
    alert = after_departure_alert(order, aboard, manifest_id=M, leg=LEG, departed_at=WHEELS_UP)
    assert alert is not None
    assert alert.person_ids == ("p-1",)


def test_no_alert_for_an_order_covering_nobody_aboard_or_expired_before_departure() -> None:
    aboard = [PersonFacts(person_id="p-3", nationalities=frozenset({"SV"}), legal_bases=frozenset({"ina_241"}))]
    assert after_departure_alert(aea_class_order(), aboard, manifest_id=M, leg=LEG, departed_at=WHEELS_UP) is None
    expired = aea_class_order(Period(active_from=AT - timedelta(days=3), active_to=AT - timedelta(days=1)))
    covered = [PersonFacts(person_id="p-1", designations=frozenset({AEA}))]
    assert after_departure_alert(expired, covered, manifest_id=M, leg=LEG, departed_at=WHEELS_UP) is None


def test_a_class_that_cannot_be_decided_from_the_facts_is_named_as_undetermined() -> None:
    order = CourtOrderRecord(
        order_id="ve-class",
        scope=CourtOrderScope(criteria=ClassCriteria(nationality_in=("VE",))),
        form=OrderForm.WRITTEN,
        issued_at=WHEELS_UP + timedelta(hours=1),
        period=Period(active_from=WHEELS_UP + timedelta(hours=1)),
        seq=90,
    )
    aboard = [PersonFacts(person_id="p-1", nationalities=frozenset({"VE"})), PersonFacts(person_id="p-x")]
    alert = after_departure_alert(order, aboard, manifest_id=M, leg=LEG, departed_at=WHEELS_UP)
    assert alert is not None
    assert (alert.person_ids, alert.undetermined_ids) == (("p-1",), ("p-x",))


def test_a_stay_after_departure_requires_return_of_that_person_only() -> None:
    aboard = [PersonFacts(person_id="p-1"), PersonFacts(person_id="p-2")]
    stay = StayRecord(
        stay_id="s-1", person_id="p-2", country=None, period=Period(active_from=WHEELS_UP + timedelta(hours=2)), seq=91
    )
    alert = after_departure_alert(stay, aboard, manifest_id=M, leg=LEG, departed_at=WHEELS_UP)
    assert alert is not None
    assert (alert.record_kind, alert.person_ids) == ("stay", ("p-2",))
    elsewhere = StayRecord(stay_id="s-2", person_id="p-2", country="GT", period=stay.period, seq=92)
    assert after_departure_alert(elsewhere, aboard, manifest_id=M, leg=LEG, departed_at=WHEELS_UP) is None
    not_aboard = StayRecord(stay_id="s-3", person_id="p-9", country=None, period=stay.period, seq=93)
    assert after_departure_alert(not_aboard, aboard, manifest_id=M, leg=LEG, departed_at=WHEELS_UP) is None

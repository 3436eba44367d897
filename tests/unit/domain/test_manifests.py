"""The manifest state machine: every transition from every state, allowed or refused; re-clearance; departure."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from habeas.api.problems import status_of
from habeas.domain import manifests as mf
from habeas.domain.errors import AlreadyExists, InvalidField, Refused, UnknownRecord
from habeas.domain.events import Event, EventType, event_from
from habeas.domain.manifests import (
    TRANSITIONS,
    DepartureBlocked,
    GateCheck,
    GateEvaluated,
    GateOutcome,
    Manifest,
    ManifestStatus,
    ManifestTransition,
    ManifestTransitionRefused,
    apply_manifest,
)
from habeas.domain.moves import Leg, TransportMode, check_journey
from tests.unit.domain.manifest_samples import LEG, T0, manifest_sample_events

S = ManifestStatus
T = ManifestTransition
M = "mf-1"
NOW = T0 + timedelta(days=1)
AT = T0 + timedelta(minutes=10)
PASSING = (GateCheck(gate="identity_verified", outcome=GateOutcome.PASS, reason_code="identity-verified"),)
FAILING = (GateCheck(gate="fit_to_travel", outcome=GateOutcome.FAIL, reason_code="not-fit-to-travel", rests_on_seq=7),)
UNKNOWN = (GateCheck(gate="fit_to_travel", outcome=GateOutcome.UNKNOWN, reason_code="no-medical-clearance"),)


def replay(events: Sequence[Event], state: Manifest | None = None) -> Manifest:
    for e in events:
        state = apply_manifest(state, e)
    assert state is not None
    return state


def created(people: tuple[str, ...] = ("p-1", "p-2"), alternates: tuple[str, ...] = ("p-3", "p-4")) -> Manifest:
    cmd = mf.CreateManifest(
        manifest_id=M, journey_id="j-1", leg_index=0, leg=LEG, people=people, alternates=alternates, occurred_at=T0
    )
    return replay(mf.create_manifest(cmd, already_exists=False, now=NOW))


def passing(m: Manifest) -> dict[str, tuple[GateCheck, ...]]:
    return dict.fromkeys(m.people, PASSING)


def clear(m: Manifest, results: dict[str, tuple[GateCheck, ...]] | None = None) -> Manifest:
    cmd = mf.ClearManifest(manifest_id=M, occurred_at=AT, policy="us-federal")
    return replay(mf.clear_manifest(cmd, manifest=m, results=results or passing(m), now=NOW), m)


def at_status(status: ManifestStatus) -> Manifest:
    """A manifest brought to ``status`` through the transitions themselves."""
    m = created()
    path: dict[ManifestStatus, list[Callable[[Manifest], list[Event]]]] = {
        S.DRAFT: [],
        S.CLEARED: [_do(T.CLEAR)],
        S.BOARDING: [_do(T.CLEAR), _do(T.BEGIN_BOARDING)],
        S.DEPARTED: [_do(T.CLEAR), _do(T.BEGIN_BOARDING), _do(T.DEPART)],
        S.ARRIVED: [_do(T.CLEAR), _do(T.BEGIN_BOARDING), _do(T.DEPART), _do(T.ARRIVE)],
        S.HANDED_OVER: [_do(T.CLEAR), _do(T.BEGIN_BOARDING), _do(T.DEPART), _do(T.ARRIVE), _do(T.HAND_OVER)],
        S.CLOSED: [_do(t) for t in (T.CLEAR, T.BEGIN_BOARDING, T.DEPART, T.ARRIVE, T.HAND_OVER, T.CLOSE)],
        S.HALTED: [_do(T.HALT)],
        S.RETURNED: [_do(T.CLEAR), _do(T.BEGIN_BOARDING), _do(T.DEPART), _do(T.RETURN)],
        S.CANCELLED: [_do(T.CANCEL)],
    }
    for step in path[status]:
        m = replay(step(m), m)
    assert m.status is status
    return m


def _do(transition: ManifestTransition) -> Callable[[Manifest], list[Event]]:
    """The decision for ``transition`` on a manifest, with valid arguments for it."""
    base: dict[str, Any] = {"manifest_id": M, "occurred_at": AT}

    def run(m: Manifest) -> list[Event]:
        match transition:
            case T.ADD:
                return mf.add_to_manifest(mf.AddToManifest(**base, person_id="p-9"), manifest=m, now=NOW)
            case T.STRIKE:
                return mf.strike_from_manifest(
                    mf.StrikeFromManifest(**base, person_id=m.people[0], reason=mf.StrikeReason.MEDICAL),
                    manifest=m,
                    now=NOW,
                )
            case T.PROMOTE:
                return mf.promote_alternate(mf.PromoteAlternate(**base), manifest=m, now=NOW)
            case T.RECORD_GATES:
                return mf.record_gate_results(
                    mf.RecordGateResults(**base, policy="us-federal"), manifest=m, results=passing(m), now=NOW
                )
            case T.CLEAR:
                return mf.clear_manifest(
                    mf.ClearManifest(**base, policy="us-federal"), manifest=m, results=passing(m), now=NOW
                )
            case T.LAPSE:
                return mf.require_reclearance(
                    mf.RequireReclearance(**base, cause=mf.LapseCause.LEGAL_RECORD, person_id="p-1", record_id="s-1"),
                    manifest=m,
                    now=NOW,
                )
            case T.BEGIN_BOARDING:
                return mf.begin_boarding(mf.BeginBoarding(**base), manifest=m, now=NOW)
            case T.DEPART:
                return mf.depart(mf.Depart(**base), manifest=m, now=NOW)
            case T.ARRIVE:
                return mf.arrive(mf.Arrive(**base), manifest=m, now=NOW)
            case T.HAND_OVER:
                return mf.hand_over_manifest(mf.HandOverManifest(**base, receipt_id="r-1"), manifest=m, now=NOW)
            case T.CLOSE:
                return mf.close_manifest(mf.CloseManifest(**base), manifest=m, open_incidents=0, now=NOW)
            case T.HALT:
                return mf.halt_manifest(
                    mf.HaltManifest(**base, reason=mf.HaltReason.COURT_ORDER, record_id="tro-1"), manifest=m, now=NOW
                )
            case T.RETURN:
                return mf.return_manifest(mf.ReturnManifest(**base, reason=mf.ReturnReason.STAY), manifest=m, now=NOW)
            case T.CANCEL:
                return mf.cancel_manifest(
                    mf.CancelManifest(**base, reason=mf.CancelReason.OPERATIONAL), manifest=m, now=NOW
                )
        raise AssertionError(transition)

    return run


ALL = [(t, s) for t in ManifestTransition for s in ManifestStatus]


@pytest.mark.parametrize(("transition", "status"), ALL, ids=[f"{t}-from-{s}" for t, s in ALL])
def test_every_transition_from_every_state(transition: ManifestTransition, status: ManifestStatus) -> None:
    m = at_status(status)
    sources, target = TRANSITIONS[transition]
    if status in sources:
        events = _do(transition)(m)
        after = replay(events, m)
        assert after.status is (status if target is None else target)
        for e in events:
            assert e.stream == M
            if isinstance(e, mf.ManifestChanged):
                assert (e.from_status, e.to_status) == (status, after.status)
    else:
        with pytest.raises(ManifestTransitionRefused) as info:
            _do(transition)(m)
        assert (info.value.manifest_id, info.value.from_state) == (M, status)
        assert info.value.code == "invalid-transition"
        assert status_of(info.value) == 409


def test_terminal_states() -> None:
    for status in (S.CLOSED, S.CANCELLED):
        assert not any(status in sources for sources, _ in TRANSITIONS.values())


def test_the_happy_path_in_order() -> None:
    m = at_status(S.CLOSED)
    assert m.cleared_at == AT
    assert m.people == ("p-1", "p-2")


def test_unknown_manifest_and_time_checks() -> None:
    m = created()
    with pytest.raises(UnknownRecord):
        mf.begin_boarding(mf.BeginBoarding(manifest_id="mf-x", occurred_at=AT), manifest=m, now=NOW)
    with pytest.raises(UnknownRecord):
        mf.begin_boarding(mf.BeginBoarding(manifest_id=M, occurred_at=AT), manifest=None, now=NOW)
    with pytest.raises(InvalidField, match="future"):
        mf.halt_manifest(
            mf.HaltManifest(manifest_id=M, occurred_at=NOW + timedelta(1), reason=mf.HaltReason.SAFETY),
            manifest=m,
            now=NOW,
        )
    with pytest.raises(InvalidField, match="before the manifest's last change"):
        mf.halt_manifest(
            mf.HaltManifest(manifest_id=M, occurred_at=T0 - timedelta(1), reason=mf.HaltReason.SAFETY),
            manifest=m,
            now=NOW,
        )


def test_create_refuses_duplicates_and_people_on_both_lists() -> None:
    base: dict[str, Any] = {"manifest_id": M, "journey_id": "j-1", "leg_index": 0, "leg": LEG, "occurred_at": T0}
    with pytest.raises(AlreadyExists):
        mf.create_manifest(mf.CreateManifest(**base), already_exists=True, now=NOW)
    with pytest.raises(InvalidField, match="listed twice"):
        mf.create_manifest(mf.CreateManifest(**base, people=("p-1", "p-1")), already_exists=False, now=NOW)
    with pytest.raises(InvalidField, match="also on the manifest"):
        mf.create_manifest(
            mf.CreateManifest(**base, people=("p-1",), alternates=("p-1",)), already_exists=False, now=NOW
        )


def test_plan_journey_one_manifest_per_chained_leg() -> None:
    ground = dataclasses.replace(
        LEG,
        leg_id="leg-2",
        mode=TransportMode.GROUND,
        carrier="DGCP",
        vehicle="BUS-7",
        origin="SAL",
        origin_country="SV",
        destination="cecot",
        scheduled_departure=LEG.scheduled_arrival + timedelta(hours=1),
        scheduled_arrival=LEG.scheduled_arrival + timedelta(hours=3),
    )
    cmd = mf.PlanJourney(
        journey_id="j-1", legs=(LEG, ground), manifest_ids=("mf-a", "mf-b"), people=("p-1",), occurred_at=T0
    )
    events = mf.plan_journey(cmd, existing_manifest_ids=frozenset(), now=NOW)
    assert [(e.stream, e.leg_index, e.leg.leg_id) for e in events if isinstance(e, mf.ManifestCreated)] == [
        ("mf-a", 0, "leg-1"),
        ("mf-b", 1, "leg-2"),
    ]
    with pytest.raises(InvalidField, match="one distinct manifest id per leg"):
        mf.plan_journey(dataclasses.replace(cmd, manifest_ids=("mf-a",)), existing_manifest_ids=frozenset(), now=NOW)
    with pytest.raises(AlreadyExists):
        mf.plan_journey(cmd, existing_manifest_ids=frozenset({"mf-b"}), now=NOW)
    broken = dataclasses.replace(ground, origin="SAP")
    with pytest.raises(InvalidField, match="does not start where"):
        check_journey([LEG, broken])
    early = dataclasses.replace(ground, scheduled_departure=LEG.scheduled_arrival - timedelta(hours=1))
    with pytest.raises(InvalidField, match="departs before"):
        check_journey([LEG, early])


def test_leg_validation() -> None:
    with pytest.raises(InvalidField, match="not after the scheduled departure"):
        dataclasses.replace(LEG, scheduled_arrival=LEG.scheduled_departure)
    with pytest.raises(InvalidField, match="same place"):
        dataclasses.replace(LEG, destination=LEG.origin)
    with pytest.raises(InvalidField, match="listed twice"):
        dataclasses.replace(LEG, escort_officer_ids=("o-1", "o-1"))
    assert isinstance(LEG, Leg)


# --- re-clearance ---------------------------------------------------------------------------------------------


def test_promoting_an_alternate_after_clearance_needs_re_clearance() -> None:
    m = clear(created())
    assert m.status is S.CLEARED
    events = mf.promote_alternate(mf.PromoteAlternate(manifest_id=M, occurred_at=AT), manifest=m, now=NOW)
    m = replay(events, m)
    assert (m.status, m.cleared_at) == (S.DRAFT, None)
    assert m.people == ("p-1", "p-2", "p-3")  # the first alternate, in order
    assert m.alternates == ("p-4",)
    assert m.blocked() == ("p-3",)  # never evaluated: blocks until cleared
    with pytest.raises(ManifestTransitionRefused):
        mf.begin_boarding(mf.BeginBoarding(manifest_id=M, occurred_at=AT), manifest=m, now=NOW)


def test_adding_a_person_during_boarding_needs_re_clearance() -> None:
    m = at_status(S.BOARDING)
    m = replay(
        mf.add_to_manifest(mf.AddToManifest(manifest_id=M, occurred_at=AT, person_id="p-9"), manifest=m, now=NOW), m
    )
    assert m.status is S.DRAFT
    with pytest.raises(ManifestTransitionRefused):
        mf.depart(mf.Depart(manifest_id=M, occurred_at=AT), manifest=m, now=NOW)


def test_a_new_legal_record_lapses_the_clearance() -> None:
    m = at_status(S.CLEARED)
    cmd = mf.RequireReclearance(manifest_id=M, occurred_at=AT, cause=mf.LapseCause.LEGAL_RECORD, person_id="p-1")
    m = replay(mf.require_reclearance(cmd, manifest=m, now=NOW), m)
    assert (m.status, m.cleared_at) == (S.DRAFT, None)


def test_striking_keeps_the_clearance_and_needs_a_reason_code() -> None:
    m = at_status(S.CLEARED)
    cmd = mf.StrikeFromManifest(
        manifest_id=M, occurred_at=AT, person_id="p-2", reason=mf.StrikeReason.LEGAL_HOLD, note="habeas petition filed"
    )
    events = mf.strike_from_manifest(cmd, manifest=m, now=NOW)
    struck = events[0]
    assert isinstance(struck, mf.ManifestPersonStruck)
    assert "habeas petition" not in json.dumps(struck.public())
    assert struck.private() == {"note": "habeas petition filed"}
    m = replay(events, m)
    assert (m.status, m.people, m.struck) == (S.CLEARED, ("p-1",), ("p-2",))
    with pytest.raises(ValueError, match="not_a_reason"):
        mf.strike_from_manifest(dataclasses.replace(cmd, person_id="p-1", reason="not_a_reason"), manifest=m, now=NOW)  # type: ignore[arg-type]
    with pytest.raises(UnknownRecord):
        mf.strike_from_manifest(dataclasses.replace(cmd, person_id="p-77"), manifest=m, now=NOW)


def test_add_and_promote_refusals() -> None:
    m = created(alternates=())
    with pytest.raises(AlreadyExists):
        mf.add_to_manifest(mf.AddToManifest(manifest_id=M, occurred_at=AT, person_id="p-1"), manifest=m, now=NOW)
    with pytest.raises(Refused, match="no-alternates"):
        mf.promote_alternate(mf.PromoteAlternate(manifest_id=M, occurred_at=AT), manifest=m, now=NOW)
    with pytest.raises(UnknownRecord):
        mf.promote_alternate(mf.PromoteAlternate(manifest_id=M, occurred_at=AT, person_id="p-1"), manifest=m, now=NOW)
    m = replay(
        mf.add_to_manifest(
            mf.AddToManifest(manifest_id=M, occurred_at=AT, person_id="p-5", alternate=True), manifest=m, now=NOW
        ),
        m,
    )
    assert (m.people, m.alternates) == (("p-1", "p-2"), ("p-5",))


# --- clearance and departure ----------------------------------------------------------------------------------


def test_clearance_with_a_failing_gate_records_the_results_and_stays_draft() -> None:
    m = created()
    cmd = mf.ClearManifest(manifest_id=M, occurred_at=AT, policy="us-federal")
    events = mf.clear_manifest(cmd, manifest=m, results={"p-1": PASSING, "p-2": FAILING}, now=NOW)
    assert [type(e) for e in events] == [GateEvaluated, GateEvaluated]
    assert mf.blocking_people(events) == ("p-2",)
    m = replay(events, m)
    assert m.status is S.DRAFT
    assert m.blocked() == ("p-2",)


def test_clearance_needs_results_for_everyone_aboard_and_someone_aboard() -> None:
    m = created()
    cmd = mf.ClearManifest(manifest_id=M, occurred_at=AT, policy="us-federal")
    with pytest.raises(InvalidField, match="no gate results"):
        mf.clear_manifest(cmd, manifest=m, results={"p-1": PASSING}, now=NOW)
    with pytest.raises(UnknownRecord):
        mf.clear_manifest(cmd, manifest=m, results={**passing(m), "p-3": PASSING}, now=NOW)
    with pytest.raises(Refused, match="nobody-aboard"):
        mf.clear_manifest(cmd, manifest=created(people=()), results={}, now=NOW)


@pytest.mark.parametrize("checks", [FAILING, UNKNOWN, ()], ids=["fail", "unknown", "no-checks"])
def test_depart_refused_while_a_gate_blocks_someone_aboard(checks: tuple[GateCheck, ...]) -> None:
    m = at_status(S.BOARDING)
    recheck = mf.RecordGateResults(manifest_id=M, occurred_at=AT, policy="us-federal")
    m = replay(mf.record_gate_results(recheck, manifest=m, results={"p-2": checks}, now=NOW), m)
    assert m.status is S.BOARDING  # a re-check is an observation; it is the departure that refuses
    with pytest.raises(DepartureBlocked) as info:
        mf.depart(mf.Depart(manifest_id=M, occurred_at=AT), manifest=m, now=NOW)
    assert (info.value.manifest_id, info.value.person_ids) == (M, ("p-2",))
    assert status_of(info.value) == 409
    # a passing re-check lifts it
    m = replay(mf.record_gate_results(recheck, manifest=m, results={"p-2": PASSING}, now=NOW), m)
    assert replay(mf.depart(mf.Depart(manifest_id=M, occurred_at=AT), manifest=m, now=NOW), m).status is S.DEPARTED


def test_boarding_refused_after_a_failing_recheck() -> None:
    m = at_status(S.CLEARED)
    recheck = mf.RecordGateResults(manifest_id=M, occurred_at=AT, policy="us-federal")
    m = replay(mf.record_gate_results(recheck, manifest=m, results={"p-1": UNKNOWN}, now=NOW), m)
    with pytest.raises(DepartureBlocked):
        mf.begin_boarding(mf.BeginBoarding(manifest_id=M, occurred_at=AT), manifest=m, now=NOW)


def test_close_refused_while_an_incident_is_open() -> None:
    m = at_status(S.HANDED_OVER)
    with pytest.raises(Refused, match="incidents-open"):
        mf.close_manifest(mf.CloseManifest(manifest_id=M, occurred_at=AT), manifest=m, open_incidents=1, now=NOW)
    with pytest.raises(InvalidField):
        mf.close_manifest(mf.CloseManifest(manifest_id=M, occurred_at=AT), manifest=m, open_incidents=-1, now=NOW)


def test_projection_refuses_an_event_from_another_state() -> None:
    m = created()
    departed = manifest_sample_events()[EventType.MANIFEST_DEPARTED]
    with pytest.raises(ManifestTransitionRefused):
        apply_manifest(m, departed)
    with pytest.raises(AlreadyExists):
        apply_manifest(m, manifest_sample_events()[EventType.MANIFEST_CREATED])


def test_manifest_events_round_trip_through_stored_form() -> None:
    for e in manifest_sample_events().values():
        private = e.private()
        public = json.loads(json.dumps(e.public()))
        assert (
            event_from(str(e.TYPE), e.stream, public, None if private is None else json.loads(json.dumps(private))) == e
        )
        assert "Cicatriz" not in json.dumps(public)


@given(st.lists(st.sampled_from(list(ManifestTransition)), max_size=25))
def test_any_sequence_keeps_the_lists_disjoint_and_departs_only_when_every_result_passes(
    steps: list[ManifestTransition],
) -> None:
    m = created()
    for transition in steps:
        try:
            events = _do(transition)(m)
        except (
            ManifestTransitionRefused,
            DepartureBlocked,
            Refused,
            AlreadyExists,
            UnknownRecord,
            InvalidField,
            IndexError,
        ):
            continue
        before = m
        m = replay(events, m)
        assert not set(m.people) & set(m.alternates)
        assert not set(m.people) & set(m.struck)
        if m.status is S.DEPARTED and before.status is not S.DEPARTED:
            assert m.cleared_at is not None
            assert all(p in m.results and not m.results[p].blocks for p in m.people)

"""The custody state machine: every transition from every state, allowed or refused, and the invariants."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from habeas.api.problems import status_of
from habeas.domain import commands as c
from habeas.domain import custody
from habeas.domain.custody import (
    TRANSITIONS,
    Authority,
    Custodian,
    CustodyChanged,
    CustodyState,
    CustodyStatus,
    CustodyTransition,
    apply_custody,
)
from habeas.domain.errors import InvalidField, InvalidTransition, UnknownRecord
from habeas.domain.events import Event
from habeas.domain.facilities import OfficerRef, UnitRef
from tests.unit.domain.samples import NOW, T0

S = CustodyStatus
T = CustodyTransition
P = "p-1"
ICE = Custodian(agency_id="ice", officer_id="o-ice")
CECOT = Custodian(agency_id="dgcp", officer_id="o-sv")
DHS = Authority(agency_id="dhs", legal_basis="ina_241", record_id="ro-1")
AEA = Authority(agency_id="dhs", legal_basis="aea_proclamation")
OFFICERS = {
    o.officer_id: o
    for o in (
        OfficerRef(officer_id="o-ice", agency_id="ice"),
        OfficerRef(officer_id="o-sv", agency_id="dgcp"),
    )
}
UNITS = {
    ("f-1", "u-1"): UnitRef(unit_id="u-1", facility_id="f-1"),
    ("f-1", "u-2"): UnitRef(unit_id="u-2", facility_id="f-1"),
    ("f-2", "u-9"): UnitRef(unit_id="u-9", facility_id="f-2"),
}

STATES: dict[CustodyStatus, CustodyState] = {
    S.NOT_HELD: CustodyState(person_id=P),
    S.IN_CUSTODY: CustodyState(
        person_id=P,
        status=S.IN_CUSTODY,
        since=T0,
        facility_id="f-1",
        unit_id="u-1",
        custodian=ICE,
        authority=DHS,
    ),
    S.IN_TRANSIT: CustodyState(
        person_id=P, status=S.IN_TRANSIT, since=T0, leg_id="leg-1", custodian=ICE, authority=DHS
    ),
    S.HANDED_OVER: CustodyState(
        person_id=P, status=S.HANDED_OVER, since=T0, country="SV", custodian=CECOT, authority=DHS
    ),
    S.RELEASED: CustodyState(person_id=P, status=S.RELEASED, since=T0),
    S.REMOVED: CustodyState(person_id=P, status=S.REMOVED, since=T0, country="SV"),
    S.ESCAPED: CustodyState(person_id=P, status=S.ESCAPED, since=T0),
    S.DECEASED: CustodyState(person_id=P, status=S.DECEASED, since=T0),
}
AT = T0 + timedelta(hours=2)


def attempt(transition: CustodyTransition, state: CustodyState) -> list[Event]:
    """Run the transition's function with a valid command and valid references."""
    officer = OFFICERS.get
    runs: dict[CustodyTransition, Callable[[], list[Event]]] = {
        T.ADMIT: lambda: custody.admit(
            c.AdmitToCustody(
                person_id=P, occurred_at=AT, facility_id="f-2", unit_id="u-9", custodian=ICE, authority=DHS
            ),
            state=state,
            unit=UNITS["f-2", "u-9"],
            officer=officer("o-ice"),
            now=NOW,
        ),
        T.DEPART: lambda: custody.depart(
            c.DepartOnLeg(person_id=P, occurred_at=AT, leg_id="leg-2", custodian=ICE),
            state=state,
            officer=officer("o-ice"),
            now=NOW,
        ),
        T.ARRIVE: lambda: custody.arrive(
            c.ArriveAtFacility(
                person_id=P, occurred_at=AT, facility_id="f-2", unit_id="u-9", custodian=CECOT
            ),
            state=state,
            unit=UNITS["f-2", "u-9"],
            officer=officer("o-sv"),
            now=NOW,
        ),
        T.REHOUSE: lambda: custody.rehouse(
            c.Rehouse(person_id=P, occurred_at=AT, unit_id="u-2", reason="separation"),
            state=state,
            unit=UNITS["f-1", "u-2"],
            now=NOW,
        ),
        T.HAND_OVER: lambda: custody.hand_over(
            c.HandOver(
                person_id=P, occurred_at=AT, country="SV", custodian=CECOT, authority=DHS, receipt_id="r-1"
            ),
            state=state,
            officer=officer("o-sv"),
            now=NOW,
        ),
        T.RELEASE: lambda: custody.release(
            c.Release(person_id=P, occurred_at=AT, reason="bond"), state=state, now=NOW
        ),
        T.REMOVE: lambda: custody.remove(
            c.Remove(person_id=P, occurred_at=AT, country="VE"), state=state, now=NOW
        ),
        T.ESCAPE: lambda: custody.record_escape(
            c.RecordEscape(person_id=P, occurred_at=AT), state=state, now=NOW
        ),
        T.DIE: lambda: custody.record_death(c.RecordDeath(person_id=P, occurred_at=AT), state=state, now=NOW),
        T.REASSIGN_CUSTODIAN: lambda: custody.reassign_custodian(
            c.ReassignCustodian(person_id=P, occurred_at=AT, custodian=ICE, reason="shift_change"),
            state=state,
            officer=officer("o-ice"),
            now=NOW,
        ),
        T.CHANGE_AUTHORITY: lambda: custody.change_authority(
            c.ChangeAuthority(person_id=P, occurred_at=AT, authority=AEA), state=state, now=NOW
        ),
    }
    return runs[transition]()


def test_the_table_covers_every_transition_and_no_transition_leaves_deceased() -> None:
    assert set(TRANSITIONS) == set(CustodyTransition)
    assert all(S.DECEASED not in sources for sources, _ in TRANSITIONS.values())


ALLOWED = [(t, s) for t in CustodyTransition for s in CustodyStatus if s in TRANSITIONS[t][0]]
REFUSED = [(t, s) for t in CustodyTransition for s in CustodyStatus if s not in TRANSITIONS[t][0]]


@pytest.mark.parametrize(("transition", "status"), ALLOWED)
def test_allowed_transition(transition: CustodyTransition, status: CustodyStatus) -> None:
    state = STATES[status]
    [event] = attempt(transition, state)
    assert isinstance(event, CustodyChanged)
    target = TRANSITIONS[transition][1] or status
    assert (event.transition, event.from_status, event.to_status) == (transition, status, target)
    after = apply_custody(state, event)
    assert after.status is target
    assert after.since == AT
    held = target in (S.IN_CUSTODY, S.IN_TRANSIT, S.HANDED_OVER)
    assert (after.custodian is not None) == held
    assert (after.authority is not None) == held


@pytest.mark.parametrize(("transition", "status"), REFUSED)
def test_refused_transition_names_person_and_both_states(
    transition: CustodyTransition, status: CustodyStatus
) -> None:
    with pytest.raises(InvalidTransition) as refused:
        attempt(transition, STATES[status])
    error = refused.value
    assert error.person_id == P
    assert error.from_state == status
    assert error.to_state == (TRANSITIONS[transition][1] or status)
    assert P in str(error)
    assert str(status) in str(error)
    assert (error.code, status_of(error)) == ("invalid-transition", 409)


def test_authority_and_physical_custodian_are_recorded_separately() -> None:
    [event] = attempt(T.HAND_OVER, STATES[S.IN_TRANSIT])
    after = apply_custody(STATES[S.IN_TRANSIT], event)  # type: ignore[arg-type]
    assert after.custodian == CECOT  # El Salvador holds the person...
    assert after.authority == DHS  # ...under the sending state's legal authority
    assert after.country == "SV"


def test_depart_keeps_authority_unless_given_and_rehouse_keeps_custodian() -> None:
    [event] = attempt(T.DEPART, STATES[S.IN_CUSTODY])
    assert isinstance(event, CustodyChanged)
    assert event.authority == DHS
    assert event.leg_id == "leg-2"
    [moved] = attempt(T.REHOUSE, STATES[S.IN_CUSTODY])
    assert isinstance(moved, CustodyChanged)
    assert (moved.facility_id, moved.unit_id, moved.custodian) == ("f-1", "u-2", ICE)


def test_officer_must_exist_and_belong_to_the_custodian_agency() -> None:
    cmd = c.DepartOnLeg(
        person_id=P, occurred_at=AT, leg_id="leg-2", custodian=Custodian(agency_id="ice", officer_id="o-sv")
    )
    with pytest.raises(InvalidField, match="belongs to agency 'dgcp'"):
        custody.depart(cmd, state=STATES[S.IN_CUSTODY], officer=OFFICERS["o-sv"], now=NOW)
    with pytest.raises(UnknownRecord, match="officer"):
        custody.depart(cmd, state=STATES[S.IN_CUSTODY], officer=None, now=NOW)


def test_unit_must_belong_to_the_facility_and_rehouse_stays_in_the_facility() -> None:
    cmd = c.AdmitToCustody(
        person_id=P, occurred_at=AT, facility_id="f-1", unit_id="u-9", custodian=ICE, authority=DHS
    )
    with pytest.raises(UnknownRecord, match="f-1/u-9"):
        custody.admit(
            cmd, state=STATES[S.NOT_HELD], unit=UNITS["f-2", "u-9"], officer=OFFICERS["o-ice"], now=NOW
        )
    with pytest.raises(UnknownRecord, match="unit"):
        custody.rehouse(
            c.Rehouse(person_id=P, occurred_at=AT, unit_id="u-9"),
            state=STATES[S.IN_CUSTODY],
            unit=UNITS["f-2", "u-9"],
            now=NOW,
        )


def test_times_must_not_be_in_the_future_nor_before_the_current_state() -> None:
    with pytest.raises(InvalidField, match="in the future"):
        custody.release(
            c.Release(person_id=P, occurred_at=NOW + timedelta(seconds=1), reason="bond"),
            state=STATES[S.IN_CUSTODY],
            now=NOW,
        )
    with pytest.raises(InvalidField, match="before the current state"):
        custody.release(
            c.Release(person_id=P, occurred_at=T0 - timedelta(seconds=1), reason="bond"),
            state=STATES[S.IN_CUSTODY],
            now=NOW,
        )


def test_command_for_another_person_is_refused() -> None:
    with pytest.raises(UnknownRecord):
        custody.release(
            c.Release(person_id="p-2", occurred_at=AT, reason="bond"), state=STATES[S.IN_CUSTODY], now=NOW
        )


@pytest.mark.parametrize("status", list(CustodyStatus))
def test_state_shape_is_checked(status: CustodyStatus) -> None:
    good = STATES[status]
    assert good.status is status
    with pytest.raises(InvalidField, match="since"):
        dataclasses.replace(good, since=T0 if status is S.NOT_HELD else None)
    with pytest.raises(InvalidField, match="country"):  # a place it cannot have, or lacks one it needs
        dataclasses.replace(good, country="XX" if good.country is None else None)


def test_apply_refuses_an_event_from_another_state() -> None:
    [event] = attempt(T.RELEASE, STATES[S.IN_CUSTODY])
    assert isinstance(event, CustodyChanged)
    with pytest.raises(InvalidTransition):
        apply_custody(STATES[S.IN_TRANSIT], event)


@given(st.lists(st.sampled_from(list(CustodyTransition)), max_size=30))
def test_any_sequence_keeps_exactly_one_state_custodian_and_place(walk: list[CustodyTransition]) -> None:
    state = STATES[S.NOT_HELD]
    for transition in walk:
        try:
            [event] = attempt(transition, state)
        except InvalidTransition:
            assert state.status not in TRANSITIONS[transition][0]
            continue
        except UnknownRecord:  # the helper rehouses within f-1 only
            assert transition is T.REHOUSE
            assert state.facility_id != "f-1"
            continue
        assert isinstance(event, CustodyChanged)
        state = apply_custody(state, event)
        held = state.status in (S.IN_CUSTODY, S.IN_TRANSIT)
        assert not held or (state.custodian is not None and state.authority is not None)
        assert held == (state.facility_id is not None or state.leg_id is not None)

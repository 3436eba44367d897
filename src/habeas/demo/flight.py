"""The air leg: the charter's manifest, its clearances against the us-federal pack, boarding, departure, the
court orders before and after wheels-up, and the arrival count in San Salvador. Catches (1) to (4) happen here."""

from __future__ import annotations

from datetime import datetime, timedelta

from habeas.demo import world as w
from habeas.demo.cases import Case
from habeas.demo.records import custodian
from habeas.demo.runner import Item, Runner, blocking
from habeas.domain import commands as c
from habeas.domain import manifests as mf
from habeas.domain.court_orders import ClassCriteria, CourtOrderDirective, CourtOrderScope, OrderForm
from habeas.domain.incidents import Checkpoint
from habeas.domain.manifest_events import StrikeReason
from habeas.domain.moves import Leg, TransportMode
from habeas.domain.periods import Period
from habeas.services.clearance import Clearance, ClearanceLapsed
from habeas.services.incidents import RecordHeadcount
from habeas.services.manifests import alerts

POLICY_PACK = "us-federal"  # the shipped pack, unchanged: every gate, 168 hours of notice


def air_leg() -> Leg:
    return Leg(
        leg_id=w.AIR_LEG, mode=TransportMode.AIR, carrier="charter (synthetic)", vehicle="CHARTER-0315",
        origin="KHRL", origin_country="US", destination="MSLP", destination_country="SV",
        scheduled_departure=w.DEPARTS_AT, scheduled_arrival=w.ARRIVES_AT,
        escort_officer_ids=(w.ESCORT.officer_id,), destination_facility_id=w.MEGA_PRISON.facility_id,
    )


def departure(case: Case) -> list[Item]:
    return [(
        c.DepartOnLeg(person_id=case.pid, occurred_at=w.DEPARTS_AT, leg_id=w.AIR_LEG, custodian=custodian(w.ESCORT)),
        w.ESCORT.actor,
    )]


def district_order() -> c.RecordCourtOrder:
    """Before departure: a class of wartime designees detained in one district (here, at Willacy County)."""
    return c.RecordCourtOrder(
        order_id="co-district", issued_at=w.DISTRICT_ORDER_AT, court=w.DISTRICT_COURT, docket=w.DISTRICT_DOCKET,
        form=OrderForm.WRITTEN, directive=CourtOrderDirective.HALT_REMOVAL,
        scope=CourtOrderScope(criteria=ClassCriteria(
            legal_basis_in=(w.WARTIME_BASIS,), detained_at_facility_in=(w.WILLACY.facility_id,)
        )),
        period=Period(active_from=w.DISTRICT_ORDER_AT, active_to=w.DISTRICT_ORDER_AT + timedelta(days=14)),
    )


def court_orders() -> list[Item]:
    scope = CourtOrderScope(criteria=ClassCriteria(legal_basis_in=(w.WARTIME_BASIS,)))
    oral = c.RecordCourtOrder(
        order_id="co-tro-oral", issued_at=w.ORAL_TRO_AT, court=w.COURT, docket=w.DOCKET, form=OrderForm.ORAL,
        directive=CourtOrderDirective.RETURN, scope=scope,
        period=Period(active_from=w.ORAL_TRO_AT, active_to=w.ORAL_TRO_AT + timedelta(days=14)),
    )
    written = c.RecordCourtOrder(
        order_id="co-tro-written", issued_at=w.WRITTEN_TRO_AT, court=w.COURT, docket=w.DOCKET,
        form=OrderForm.WRITTEN, directive=CourtOrderDirective.HALT_REMOVAL, scope=scope,
        period=Period(active_from=w.WRITTEN_TRO_AT, active_to=w.WRITTEN_TRO_AT + timedelta(days=14)),
        confirms_order_id="co-tro-oral",
    )
    return [(oral, w.LEGAL.actor), (written, w.LEGAL.actor)]


def clear(r: Runner, label: str, at: datetime) -> Clearance:
    """Clear the air manifest against the pack; the gate table comes back as the command's value."""
    result = r.one(label, mf.ClearManifest(manifest_id=w.MANIFEST, occurred_at=at), w.LEGAL.actor)
    assert isinstance(result.value, Clearance)
    return result.value


def draw_up(r: Runner, people: list[Case]) -> tuple[list[Case], Case]:
    """The manifest with everyone aboard but the protected alternate, and its first clearance: all pass."""
    alternate = next(k for k in people if k.protected)
    aboard = [k for k in people if not k.protected]
    r.one(f"draw up manifest {w.MANIFEST} ({len(aboard)} aboard, 1 alternate)", mf.CreateManifest(
        manifest_id=w.MANIFEST, occurred_at=w.MANIFEST_AT, journey_id=w.JOURNEY, leg_index=0, leg=air_leg(),
        people=tuple(k.pid for k in aboard), alternates=(alternate.pid,),
    ), w.COORDINATOR.actor)
    first = clear(r, f"clear the manifest (policy pack {POLICY_PACK})", w.CLEAR_AT)
    if first.blocked:
        raise AssertionError(f"the demo's own records fail the gates: {first.blocked[:3]} "
                             f"{blocking(first, first.blocked[0])}")
    return aboard, alternate


def promote_the_alternate(r: Runner, alternate: Case) -> None:
    """(1) The protected alternate moves up the list: blocked, boarding refused, struck."""
    r.one(f"promote the alternate {alternate.pid}", mf.PromoteAlternate(
        manifest_id=w.MANIFEST, occurred_at=w.CLEAR_AT + timedelta(hours=1), person_id=alternate.pid),
        w.COORDINATOR.actor)
    second = clear(r, "re-clear after the promotion", w.CLEAR_AT + timedelta(hours=1, minutes=15))
    blocked_boarding = r.refused("begin boarding", mf.BeginBoarding(
        manifest_id=w.MANIFEST, occurred_at=w.CLEAR_AT + timedelta(hours=1, minutes=30)), w.COORDINATOR.actor)
    r.one(f"strike {alternate.pid} (reason: protection)", mf.StrikeFromManifest(
        manifest_id=w.MANIFEST, occurred_at=w.CLEAR_AT + timedelta(hours=2), person_id=alternate.pid,
        reason=StrikeReason.PROTECTION, note="withholding of removal to SV in force"), w.LEGAL.actor)
    third = clear(r, "re-clear the rest", w.CLEAR_AT + timedelta(hours=2, minutes=15))
    r.caught(
        "(1) the protected alternate, promoted onto the manifest, is blocked",
        f"clearance after promotion: {len(second.results)} evaluated, blocked {', '.join(second.blocked)}",
        *(f"gate table row {alternate.pid}: {row}" for row in blocking(second, alternate.pid)),
        f"boarding refused: {blocked_boarding}",
        f"struck with reason code {StrikeReason.PROTECTION.value}; re-cleared: {len(third.results)} evaluated, "
        f"{len(third.blocked)} blocked, cleared={third.cleared}",
    )


def order_before_departure(r: Runner, aboard: list[Case]) -> list[Case]:
    """(2) A class order before departure: those it covers blocked, struck and held in Texas; the rest fly."""
    landed = r.one("record a district court's class order (before departure)", district_order(), w.LEGAL.actor)
    lapses = [note for note in landed.warnings if isinstance(note, ClearanceLapsed)]
    fourth = clear(r, "re-clear after the order", w.DISTRICT_ORDER_AT + timedelta(minutes=30))
    district = [k.pid for k in aboard if k.district]
    r.step(f"strike the {len(fourth.blocked)} it covers (reason: court_order)", [[(mf.StrikeFromManifest(
        manifest_id=w.MANIFEST, occurred_at=w.DISTRICT_ORDER_AT + timedelta(hours=1), person_id=pid,
        reason=StrikeReason.COURT_ORDER, note="held in Texas under co-district"), w.LEGAL.actor)]
        for pid in fourth.blocked], together=True)
    fifth = clear(r, "re-clear the rest", w.DISTRICT_ORDER_AT + timedelta(hours=1, minutes=15))
    if not fifth.cleared:
        raise AssertionError(f"still blocked: {fifth.blocked}")
    r.caught(
        "(2) a class court order issued before departure blocks the people it covers",
        f"co-district ({w.DISTRICT_COURT}): wartime designees detained at {w.WILLACY.facility_id}",
        *(f"the order's answer: {lapse}" for lapse in lapses),
        f"clearance: {len(fourth.blocked)} blocked ({', '.join(fourth.blocked)})",
        f"gate table row {fourth.blocked[0]}: {'; '.join(blocking(fourth, fourth.blocked[0]))}",
        f"struck with reason code {StrikeReason.COURT_ORDER.value} and held in Texas; re-cleared: "
        f"{len(fifth.results)} evaluated, {len(fifth.blocked)} blocked, cleared={fifth.cleared}",
    )
    assert sorted(fourth.blocked) == sorted(district), (fourth.blocked, district)
    held = set(fourth.blocked)
    return [k for k in aboard if k.pid not in held]


def depart(r: Runner, flying: list[Case]) -> None:
    """Boarding, counted; each person departs on the air leg in the escort officer's custody; wheels up."""
    flying_ids = tuple(k.pid for k in flying)
    r.one("begin boarding", mf.BeginBoarding(manifest_id=w.MANIFEST, occurred_at=w.BOARDING_AT), w.COORDINATOR.actor)
    r.one("boarding headcount", RecordHeadcount(
        headcount_id="hc-boarding", manifest_id=w.MANIFEST, checkpoint=Checkpoint.BOARDING,
        occurred_at=w.BOARDING_AT + timedelta(minutes=30), counted_person_ids=flying_ids), w.ESCORT.actor)
    r.step("depart on the air leg (custodian: the escort officer)", [departure(k) for k in flying],
           together=True, snapshot=True)
    r.one("depart (the manifest)", mf.Depart(manifest_id=w.MANIFEST, occurred_at=w.DEPARTS_AT), w.ESCORT.actor)
    r.one("departure headcount", RecordHeadcount(
        headcount_id="hc-departure", manifest_id=w.MANIFEST, checkpoint=Checkpoint.DEPARTURE,
        occurred_at=w.DEPARTS_AT, counted_person_ids=flying_ids), w.ESCORT.actor)


def order_in_the_air(r: Runner) -> None:
    """(3) The class TRO after departure raises a return-required alert: it holds the people it covers (the
    handoff on the apron is refused for them, :mod:`~habeas.demo.handover`)."""
    r.step("record the class TRO, oral then written, flight in the air", [court_orders()], shared=True)
    raised = [a for a in r.services.read(alerts) if a.manifest_id == w.MANIFEST]
    r.caught(
        "(3) a class court order issued after departure raises a return-required alert",
        *(f"alert {a.kind} on {a.record_id}: {len(a.person_ids)} people aboard covered "
          f"({', '.join(a.person_ids[:3])}, ... {a.person_ids[-1]}); {len(a.undetermined_ids)} undetermined"
          for a in raised),
        "it binds: no handoff, onward leg or intake abroad for them while it is open (see (3, continued))",
    )


def arrive(r: Runner, flying: list[Case]) -> list[Case]:
    """(4) On the apron, one person is missing at the count: an incident opens. Returns those who arrived."""
    r.one("arrive (the manifest)", mf.Arrive(manifest_id=w.MANIFEST, occurred_at=w.ARRIVES_AT), w.ESCORT.actor)
    arrived = [k for k in flying if not k.missing]
    missing = [k.pid for k in flying if k.missing]
    count = r.one("arrival headcount", RecordHeadcount(
        headcount_id="hc-arrival", manifest_id=w.MANIFEST, checkpoint=Checkpoint.ARRIVAL,
        occurred_at=w.ARRIVES_AT + timedelta(minutes=10), counted_person_ids=tuple(k.pid for k in arrived)),
        w.ESCORT.actor)
    r.caught(
        "(4) one person missing at the arrival count opens an incident",
        f"arrival: expected {len(flying)}, counted {len(arrived)}, missing {', '.join(missing)}; "
        f"incident {getattr(count.value, 'incident_id', None)} opened",
    )
    return arrived

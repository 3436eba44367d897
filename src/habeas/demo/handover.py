"""The handover on the apron in San Salvador: the order that landed in the air stops it for the people it covers
(catch (3, continued)); the others go on a receipt both officers sign (catch (5)) and the receiving agency takes
them into its airport holding area; the plane returns with the people the order covers."""

from __future__ import annotations

from datetime import timedelta

from habeas.demo import world as w
from habeas.demo.cases import Case
from habeas.demo.records import TRANSFER_AUTHORITY, custodian
from habeas.demo.runner import Item, Runner
from habeas.domain import commands as c
from habeas.domain import manifests as mf
from habeas.domain.handoffs import HandoffReceipt, sign
from habeas.domain.incidents import Checkpoint
from habeas.domain.manifest_events import ReturnReason
from habeas.domain.return_overrides import ReturnRequiredOpen
from habeas.services.handoffs import CompleteHandoff, IssueHandoff
from habeas.services.incidents import RecordHeadcount
from habeas.services.keys import OfficerKey

RECEIPT = "hr-sal-0316"


def _sign_receipt(r: Runner, receipt: HandoffReceipt, keys: dict[str, OfficerKey]) -> None:
    """Each officer signs with their own key; custody changes only once both signatures verify."""
    r.one("complete the handoff (both signatures verified)", CompleteHandoff(
        receipt_id=receipt.receipt_id, releasing_signature=sign(receipt, keys[w.ESCORT.officer_id].sign),
        receiving_signature=sign(receipt, keys[w.SV_ESCORT.officer_id].sign)), w.SV_ESCORT.actor)
    label = "hand over on the apron, San Salvador (dual-signed receipt)"
    r.steps[-1].label = label
    r.snapshot(label)


def _receipt(people: tuple[str, ...]) -> IssueHandoff:
    return IssueHandoff(
        receipt_id=RECEIPT, person_ids=people, releasing=custodian(w.ESCORT), receiving=custodian(w.SV_ESCORT),
        place_id="mslp-apron", country="SV", at=w.HANDOVER_AT, authority=TRANSFER_AUTHORITY, manifest_id=w.MANIFEST,
    )


def hand_over(r: Runner, arrived: list[Case], keys: dict[str, OfficerKey]) -> list[Case]:
    """(3, continued) The order in the air stops the handoff of the people it covers; (5) the escort officer
    releases the others to the receiving agency's officer on a dual-signed receipt. Returns those handed over."""
    stopped = r.refused("issue the handoff receipt for everyone on the apron", _receipt(tuple(k.pid for k in arrived)),
                        w.ESCORT.actor)
    if not isinstance(stopped, ReturnRequiredOpen):
        raise stopped  # refused for another reason than the order: the demo's own records are wrong
    held = set(stopped.person_ids)
    going = [k for k in arrived if k.pid not in held]
    going_ids = tuple(k.pid for k in going)
    r.caught(
        "(3, continued) the order stops the handoff of the people it covers",
        f"receipt for all {len(arrived)} on the apron refused: {stopped}",
        f"{len(held)} stay in US custody ({stopped.order_id} requires their return); the {len(going)} it does not "
        "cover are handed over; going ahead for the others would take a recorded override naming the order and the "
        "deciding officer, telling the court and their counsel at once (`habeas legal override`)",
    )
    issued = r.one("issue the handoff receipt (those the order does not cover)", _receipt(going_ids), w.ESCORT.actor)
    receipt = issued.value
    assert isinstance(receipt, HandoffReceipt)
    _sign_receipt(r, receipt, keys)
    r.one("handoff headcount", RecordHeadcount(
        headcount_id="hc-handoff", manifest_id=w.MANIFEST, checkpoint=Checkpoint.HANDOFF,
        occurred_at=w.HANDOVER_AT + timedelta(minutes=30), counted_person_ids=going_ids,
        expected_person_ids=going_ids), w.SV_ESCORT.actor)
    r.caught(
        "(5) custody passes only on a receipt signed by both officers",
        f"receipt {receipt.receipt_id}: {len(receipt.person_ids)} people, released by {w.ESCORT.officer_id} and "
        f"received by {w.SV_ESCORT.officer_id}, each signing with their own Ed25519 key; both verified against "
        "the registered keys before custody changed",
    )
    return going


def return_the_rest(r: Runner, arrived: list[Case], going: list[Case]) -> None:
    """The plane turns back with the people the order covers; their arrival at Port Isabel is recorded (a step
    back to the country they were removed from is what the order asks, so the alert does not refuse it)."""
    handed = {k.pid for k in going}
    back = [k for k in arrived if k.pid not in handed]
    r.one(f"return (the manifest), with the {len(back)} the order covers", mf.ReturnManifest(
        manifest_id=w.MANIFEST, occurred_at=w.HANDOVER_AT + timedelta(minutes=45), reason=ReturnReason.COURT_ORDER,
        record_id="co-tro-oral"), w.ESCORT.actor)
    pic = w.PORT_ISABEL
    r.step(f"arrive back at {pic.name} ({pic.code}; custodian {w.ESCORT.officer_id})", [[(
        c.ArriveAtFacility(person_id=k.pid, occurred_at=w.RETURNED_AT, facility_id=pic.facility_id,
                           unit_id=pic.units[k.index % len(pic.units)].unit_id, custodian=custodian(w.ESCORT)),
        w.ESCORT.actor,
    )] for k in back], together=True, snapshot=True)


def holding_admission(case: Case) -> list[Item]:
    """From handed over (on the receipt) into the receiving agency's custody at the airport holding area: the
    custody table lets a handed-over person be admitted, not depart, so the buses leave from a facility."""
    return [(
        c.AdmitToCustody(
            person_id=case.pid, occurred_at=w.HOLDING_AT, facility_id=w.AIRPORT_HOLDING.facility_id,
            unit_id=w.AIRPORT_HOLDING.units[0].unit_id, custodian=custodian(w.SV_ESCORT),
            authority=TRANSFER_AUTHORITY,
        ),
        w.SV_ESCORT.actor,
    )]


def admit_to_holding(r: Runner, arrived: list[Case]) -> None:
    r.step(f"admit to the airport holding area ({w.AIRPORT_HOLDING.facility_id}; custodian {w.SV_ESCORT.officer_id})",
           [holding_admission(k) for k in arrived], together=True, snapshot=True)

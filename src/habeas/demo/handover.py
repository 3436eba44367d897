"""The handover on the apron in San Salvador, on a receipt both officers sign (catch (5)), and the receiving
agency taking the people into its airport holding area."""

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


def hand_over(r: Runner, arrived: list[Case], keys: dict[str, OfficerKey]) -> None:
    """(5) The escort officer releases the people to the receiving agency's officer on a dual-signed receipt."""
    arrived_ids = tuple(k.pid for k in arrived)
    issued = r.one("issue the handoff receipt", IssueHandoff(
        receipt_id=RECEIPT, person_ids=arrived_ids, releasing=custodian(w.ESCORT),
        receiving=custodian(w.SV_ESCORT), place_id="mslp-apron", country="SV", at=w.HANDOVER_AT,
        authority=TRANSFER_AUTHORITY, manifest_id=w.MANIFEST), w.ESCORT.actor)
    receipt = issued.value
    assert isinstance(receipt, HandoffReceipt)
    _sign_receipt(r, receipt, keys)
    r.one("hand over (the manifest)", mf.HandOverManifest(
        manifest_id=w.MANIFEST, occurred_at=w.HANDOVER_AT + timedelta(minutes=30), receipt_id=receipt.receipt_id),
        w.ESCORT.actor)
    r.one("handoff headcount", RecordHeadcount(
        headcount_id="hc-handoff", manifest_id=w.MANIFEST, checkpoint=Checkpoint.HANDOFF,
        occurred_at=w.HANDOVER_AT + timedelta(minutes=30), counted_person_ids=arrived_ids,
        expected_person_ids=arrived_ids), w.SV_ESCORT.actor)
    r.caught(
        "(5) custody passes only on a receipt signed by both officers",
        f"receipt {receipt.receipt_id}: {len(receipt.person_ids)} people, released by {w.ESCORT.officer_id} and "
        f"received by {w.SV_ESCORT.officer_id}, each signing with their own Ed25519 key; both verified against "
        "the registered keys before custody changed",
    )


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

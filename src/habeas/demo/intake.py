"""Intake at the mega-prison: each person admitted on a rule 7 record into a unit within its computed capacity
and separation; each bus handed over and closed; the air manifest stays open on its incident."""

from __future__ import annotations

from datetime import datetime, timedelta

from habeas.demo import world as w
from habeas.demo.cases import Case
from habeas.demo.records import TRANSFER_AUTHORITY, custodian
from habeas.demo.runner import Item, Runner
from habeas.domain import commands as c
from habeas.domain import manifests as mf
from habeas.domain.incidents import Checkpoint
from habeas.services.incidents import RecordHeadcount
from habeas.services.intake import AdmitAtIntake


def _block(case: Case) -> str:
    if case.person.nationality == "VE":
        return "block-3"  # held for migration reasons; Tren de Aragua apart from MS-13
    return "block-5" if case.convicted else "block-4"


def intake(case: Case) -> list[Item]:
    at = w.INTAKE_AT + timedelta(seconds=30 * case.index)
    return [(
        AdmitAtIntake(
            admission=c.RecordAdmission(
                person_id=case.pid, admission_id=f"adm-cecot-{case.pid}", facility_id=w.MEGA_PRISON.facility_id,
                occurred_at=at, commitment_authority="Transfer from U.S. custody under the 2025 US-El Salvador "
                "arrangement (synthetic reference)",
            ),
            custodian=custodian(w.INTAKE), unit_id=_block(case), authority=TRANSFER_AUTHORITY,
        ),
        w.INTAKE.actor,
    )]



def _close_bus(r: Runner, b: int, load: list[Case], handed_over_at: datetime) -> None:
    manifest = w.BUS_MANIFESTS[b]
    r.one(f"hand over bus {b + 1} at intake (within the agency: escort to intake officer)", mf.HandOverManifest(
        manifest_id=manifest, occurred_at=handed_over_at), w.BUS_ESCORTS[b].actor)
    r.one(f"bus {b + 1} intake headcount", RecordHeadcount(
        headcount_id=f"hc-bus-{b + 1}-intake", manifest_id=manifest, checkpoint=Checkpoint.INTAKE,
        occurred_at=w.INTAKE_AT + timedelta(hours=3), counted_person_ids=tuple(k.pid for k in load),
        facility_id=w.MEGA_PRISON.facility_id), w.INTAKE.actor)
    r.one(f"close bus {b + 1}", mf.CloseManifest(
        manifest_id=manifest, occurred_at=w.INTAKE_AT + timedelta(hours=3, minutes=30)), w.INTAKE.actor)


def admit(r: Runner, arrived: list[Case], loads: list[list[Case]]) -> tuple[str, ...]:
    """Admit everyone at CECOT, close each bus; (4, continued) the open incident blocks closing the air
    manifest. Returns the bus manifests closed."""
    r.step("admit at CECOT (rule 7 record; unit within computed capacity and separation)",
           [intake(k) for k in arrived], together=True, snapshot=True)
    last = max(w.INTAKE_AT + timedelta(seconds=30 * k.index) for k in arrived)
    for b, load in enumerate(loads):
        _close_bus(r, b, load, last)
    closing = r.refused("close the manifest", mf.CloseManifest(
        manifest_id=w.MANIFEST, occurred_at=w.INTAKE_AT + timedelta(hours=4)), w.COORDINATOR.actor)
    r.caught("(4, continued) the open incident blocks closing the manifest", f"close refused: {closing}")
    return w.BUS_MANIFESTS[: len(loads)]

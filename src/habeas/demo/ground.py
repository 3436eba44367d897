"""The ground legs: the receiving agency drives the people from the airport to the mega-prison in armoured buses,
one manifest a bus, cleared against a domestic pack the demo writes into its folder (identity and capacity only),
and counted at boarding and arrival against each bus's manifest."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from habeas.demo import world as w
from habeas.demo.cases import Case
from habeas.demo.records import custodian
from habeas.demo.runner import Item, Runner, blocking
from habeas.domain import commands as c
from habeas.domain import manifests as mf
from habeas.domain.incidents import Checkpoint
from habeas.domain.moves import Leg, TransportMode
from habeas.services.clearance import Clearance
from habeas.services.incidents import RecordHeadcount

GROUND_PACK_TEXT = f"""\
# Policy pack: the receiving state's domestic ground leg (written by `habeas demo`; not shipped).
# The people were handed over to {w.SV_AGENCY.name} at the airport on a dual-signed receipt; the bus
# ride to the prison is a transfer inside El Salvador, so no US removal gate applies to it (the removal gates
# ran on the air leg under us-federal). Only the gates that make sense for a domestic prison transfer run here.
name: {w.GROUND_PACK}
jurisdictions: [SV]  # the deployment clears legs departing El Salvador with this pack, every other leg with its first
description: >-
  Domestic ground transfer by the receiving agency from the airport to the prison: identity and the
  destination's capacity only (demo pack, synthetic).

gates:
  - identity_verified     # Mandela rule 7: no one received without a record of identity and authority
  - destination_capacity  # LEGAL.md "capacity": ICRC 3.4 m² per person, as at intake

parameters:
  # The parameters below belong to gates this pack does not run; every pack states them all.
  min_notice_hours: 0
  notice_languages: understood
  notice_content_types: [removal_order]
  copy_notice_to_counsel: false
  consular_mandatory_nationalities: []
  capacity_standard: icrc  # the standard intake places people by (us-federal's, the demo's deployment pack)
  agreement_required: false
  require_final_order: false
"""


def write_ground_pack(folder: Path) -> Path:
    """The pack the ground legs are cleared against, as a file in the demo folder."""
    path = folder / f"{w.GROUND_PACK}.yaml"
    path.write_text(GROUND_PACK_TEXT, encoding="utf-8")
    return path


def buses(arrived: Sequence[Case]) -> list[list[Case]]:
    """The people, in order, split as evenly as possible over the buses."""
    size, extra = divmod(len(arrived), w.BUSES)
    out, start = [], 0
    for b in range(w.BUSES):
        end = start + size + (1 if b < extra else 0)
        out.append(list(arrived[start:end]))
        start = end
    return out


def ground_leg(bus: int) -> Leg:
    return Leg(
        leg_id=w.BUS_LEGS[bus], mode=TransportMode.GROUND, carrier=f"{w.SV_AGENCY.name}, armoured buses",
        vehicle=f"BUS-DGCP-{bus + 1:02d} (synthetic)", origin="MSLP", origin_country="SV",
        destination=w.MEGA_PRISON.facility_id, destination_country="SV",
        scheduled_departure=w.BUSES_DEPART_AT, scheduled_arrival=w.BUSES_ARRIVE_AT,
        escort_officer_ids=(w.BUS_ESCORTS[bus].officer_id,), destination_facility_id=w.MEGA_PRISON.facility_id,
    )


def bus_departure(case: Case, bus: int) -> list[Item]:
    escort = w.BUS_ESCORTS[bus]
    return [(
        c.DepartOnLeg(person_id=case.pid, occurred_at=w.BUSES_DEPART_AT, leg_id=w.BUS_LEGS[bus],
                      custodian=custodian(escort)),
        escort.actor,
    )]


def _load_bus(r: Runner, b: int, load: list[Case]) -> None:
    """Bus ``b``'s manifest, cleared against the ground pack, boarded and counted."""
    manifest, escort = w.BUS_MANIFESTS[b], w.BUS_ESCORTS[b].actor
    r.one(f"draw up ground-leg manifest {manifest} (bus {b + 1}, {len(load)} aboard)", mf.CreateManifest(
        manifest_id=manifest, occurred_at=w.BUSES_MANIFEST_AT, journey_id=w.JOURNEY, leg_index=1,
        leg=ground_leg(b), people=tuple(k.pid for k in load)), w.SV_ESCORT.actor)
    cleared = r.one(f"clear bus {b + 1} (pack {w.GROUND_PACK}: identity, capacity)", mf.ClearManifest(
        manifest_id=manifest, occurred_at=w.BUSES_CLEAR_AT), w.SV_ESCORT.actor).value
    assert isinstance(cleared, Clearance)
    if not cleared.cleared:
        raise AssertionError(f"bus {b + 1} blocked: {cleared.blocked[:3]} {blocking(cleared, cleared.blocked[0])}")
    r.one(f"begin boarding bus {b + 1}", mf.BeginBoarding(manifest_id=manifest, occurred_at=w.BUSES_BOARDING_AT),
          escort)
    r.one(f"bus {b + 1} boarding headcount", RecordHeadcount(
        headcount_id=f"hc-bus-{b + 1}-boarding", manifest_id=manifest, checkpoint=Checkpoint.BOARDING,
        occurred_at=w.BUSES_BOARDING_AT + timedelta(minutes=5), counted_person_ids=tuple(k.pid for k in load),
        leg_id=w.BUS_LEGS[b]), escort)


def drive(r: Runner, arrived: list[Case]) -> list[list[Case]]:
    """Load the buses, drive the convoy to CECOT and count each bus on arrival; returns the buses' loads. The
    deployment clears them with the ground pack (its second pack, for legs departing El Salvador)."""
    loads = buses(arrived)
    for b, load in enumerate(loads):
        _load_bus(r, b, load)
    r.step(f"depart on the ground legs ({w.BUSES} armoured buses; custodians: the Salvadoran escort officers)",
           [bus_departure(k, b) for b, load in enumerate(loads) for k in load], together=True, snapshot=True)
    for b in range(w.BUSES):
        r.one(f"depart (bus {b + 1})", mf.Depart(manifest_id=w.BUS_MANIFESTS[b], occurred_at=w.BUSES_DEPART_AT),
              w.BUS_ESCORTS[b].actor)
    for b, load in enumerate(loads):
        r.one(f"arrive at CECOT (bus {b + 1})", mf.Arrive(
            manifest_id=w.BUS_MANIFESTS[b], occurred_at=w.BUSES_ARRIVE_AT), w.BUS_ESCORTS[b].actor)
        r.one(f"bus {b + 1} arrival headcount", RecordHeadcount(
            headcount_id=f"hc-bus-{b + 1}-arrival", manifest_id=w.BUS_MANIFESTS[b], checkpoint=Checkpoint.ARRIVAL,
            occurred_at=w.BUSES_ARRIVE_AT + timedelta(minutes=5), counted_person_ids=tuple(k.pid for k in load),
            facility_id=w.MEGA_PRISON.facility_id, leg_id=w.BUS_LEGS[b]), w.BUS_ESCORTS[b].actor)
    return loads

"""A small operation for the bulk tests (tests/integration/test_bulk_intake.py, tests/e2e/api/test_bulk_api.py,
tests/e2e/test_cli_intake_manifest.py): ICE flies synthetic people to El Salvador on a manifest whose leg names the
prison as its destination; at the arrival count one of them is missing; the rest are handed over to DGCP on a
dual-signed receipt. Everything is recorded through the door, as the commands would record it.

The pack is a ground-leg pack (identity and capacity only), so no per-person legal record is needed to clear.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from habeas.domain import commands as c
from habeas.domain import manifests as mf
from habeas.domain.actors import Caller
from habeas.domain.custody import Authority, Custodian
from habeas.domain.handoffs import HandoffReceipt, sign
from habeas.domain.incidents import Checkpoint
from habeas.domain.moves import Leg, TransportMode
from habeas.domain.people import Identifier, IdentifierKind, PersonName, Sex
from habeas.ledger.note import generate_signer
from habeas.services.door import Services
from habeas.services.handoffs import CompleteHandoff, IssueHandoff
from habeas.services.incidents import RecordHeadcount

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)  # before every clock the tests use
DEPARTS = datetime(2025, 3, 5, 9, 0, tzinfo=UTC)
ICE_OFFICER = Custodian(agency_id="ice", officer_id="o-us")
SV_OFFICER = Custodian(agency_id="dgcp", officer_id="o-sv")
ICE = Caller(agency="ice", officer="o-us")
DGCP = Caller(agency="dgcp", officer="o-sv")
DHS = Authority(agency_id="dhs", legal_basis="ina_241")
MANIFEST = "m-1"
RECEIPT = "hr-1"

PACK = """\
name: bulk-test
jurisdictions: [US]
description: identity and the destination's capacity only (tests, synthetic).
gates:
  - identity_verified
  - destination_capacity
parameters:
  min_notice_hours: 0
  notice_languages: understood
  notice_content_types: [removal_order]
  copy_notice_to_counsel: false
  consular_mandatory_nationalities: []
  capacity_standard: icrc
  agreement_required: false
  require_final_order: false
"""


def write_pack(folder: Path) -> str:
    path = folder / "bulk-test.yaml"
    path.write_text(PACK, encoding="utf-8")
    return str(path)


def at(minutes: int) -> datetime:
    return DEPARTS + timedelta(minutes=minutes)


def people(n: int) -> tuple[str, ...]:
    return tuple(f"p-{i:03d}" for i in range(1, n + 1))


def world(services: Services, n: int, *, cells: int = 3, cell_m2: str = "14") -> tuple[str, ...]:
    """Two agencies with an officer each (real keys), a US facility and a Salvadoran prison of ``cells`` cells of
    ``cell_m2`` m² (ICRC 3.4 m² a person: 14 m² holds four), and ``n`` synthetic men held by ICE."""
    run = services.execute
    run(c.RegisterAgency(agency_id="ice", occurred_at=T0, name="ICE", country="US", kind="immigration"))
    run(c.RegisterAgency(agency_id="dgcp", occurred_at=T0, name="DGCP", country="SV", kind="prisons"))
    for who, caller in ((ICE_OFFICER, ICE), (SV_OFFICER, DGCP)):
        run(c.RegisterOfficer(officer_id=who.officer_id, agency_id=who.agency_id, occurred_at=T0, role="escort",
                              name="Officer (synthetic)", public_key=SIGNERS[who.officer_id].public_key), caller)
    run(c.RegisterFacility(facility_id="f-us", occurred_at=T0, name="SPC", country="US", facility_type="spc",
                           operating_agency_id="ice"), ICE)
    run(c.RegisterUnit(unit_id="b1", facility_id="f-us", occurred_at=T0, label="B1", floor_area_m2=Decimal(400),
                       declared_beds=100), ICE)
    run(c.RegisterFacility(facility_id="f-sv", occurred_at=T0, name="Prison", country="SV", facility_type="prison",
                           operating_agency_id="dgcp"), DGCP)
    for k in range(1, cells + 1):
        run(c.RegisterUnit(unit_id=f"c-{k}", facility_id="f-sv", occurred_at=T0, label=f"Cell {k}",
                           floor_area_m2=Decimal(cell_m2), declared_beds=10), DGCP)
    ids = people(n)
    for i, pid in enumerate(ids, start=1):
        run(c.RegisterPerson(
            person_id=pid, occurred_at=T0, sex=Sex.MALE, nationalities=("VE",), languages=("es",),
            name=PersonName(given_names=("Sintético",), surnames=(f"Prueba{i}",)),
            identifiers=(Identifier(kind=IdentifierKind.PASSPORT, value=f"V{i:08d}", country="VE"),),
        ), ICE)
        run(c.AdmitToCustody(person_id=pid, occurred_at=T0, facility_id="f-us", unit_id="b1", custodian=ICE_OFFICER,
                             authority=DHS), ICE)
    return ids


SIGNERS = {"o-us": generate_signer("o-us"), "o-sv": generate_signer("o-sv")}


def leg() -> Leg:
    return Leg(
        leg_id="l-1", mode=TransportMode.AIR, carrier="charter (synthetic)", vehicle="CH-1", origin="KHRL",
        origin_country="US", destination="MSLP", destination_country="SV", scheduled_departure=DEPARTS,
        scheduled_arrival=DEPARTS + timedelta(hours=4), escort_officer_ids=("o-us",), destination_facility_id="f-sv",
    )


def fly(services: Services, ids: Sequence[str], *, missing: Sequence[str] = ()) -> None:
    """The manifest drawn up, cleared, boarded, flown and landed; ``missing`` are not there at the arrival count."""
    run = services.execute
    run(mf.CreateManifest(manifest_id=MANIFEST, occurred_at=at(-120), journey_id="j-1", leg_index=0, leg=leg(),
                          people=tuple(ids)), ICE)
    cleared = run(mf.ClearManifest(manifest_id=MANIFEST, occurred_at=at(-90)), ICE).value
    assert getattr(cleared, "cleared", False), cleared
    run(mf.BeginBoarding(manifest_id=MANIFEST, occurred_at=at(-60)), ICE)
    services.execute_many([
        c.DepartOnLeg(person_id=p, occurred_at=at(0), leg_id="l-1", custodian=ICE_OFFICER) for p in ids
    ], ICE)
    run(mf.Depart(manifest_id=MANIFEST, occurred_at=at(0)), ICE)
    run(mf.Arrive(manifest_id=MANIFEST, occurred_at=at(240)), ICE)
    found = tuple(p for p in ids if p not in missing)
    run(RecordHeadcount(headcount_id="hc-arrival", manifest_id=MANIFEST, checkpoint=Checkpoint.ARRIVAL,
                        occurred_at=at(250), counted_person_ids=found), ICE)


def hand_over(services: Services, ids: Sequence[str]) -> None:
    """ICE hands ``ids`` over to DGCP on a receipt both officers sign; the manifest is marked handed over."""
    receipt = services.execute(IssueHandoff(
        receipt_id=RECEIPT, person_ids=tuple(ids), releasing=ICE_OFFICER, receiving=SV_OFFICER, place_id="mslp",
        country="SV", at=at(260), authority=DHS, manifest_id=MANIFEST,
    ), ICE).value
    assert isinstance(receipt, HandoffReceipt)
    services.execute(CompleteHandoff(
        receipt_id=RECEIPT, releasing_signature=sign(receipt, SIGNERS["o-us"].sign),
        receiving_signature=sign(receipt, SIGNERS["o-sv"].sign),
    ), ICE)
    services.execute(mf.HandOverManifest(manifest_id=MANIFEST, occurred_at=at(270), receipt_id=RECEIPT), ICE)

"""DESIGN.md's invariants 1, 4 and 5 hold on every path a person moves by, because the door checks them, on
SQLite and PostgreSQL: the side paths issue 11 found, each refused by name with nothing recorded.

- a man struck from a manifest (a protection forbids the destination) cannot be moved with `custody depart` on
  the manifest's leg, nor can an alternate or someone not on it; a person aboard departs only while the
  manifest boards and no gate blocks them;
- a manifest does not depart while someone aboard is still recorded at the facility, and nobody gets off its leg
  while it is in the air;
- a receipt names only people the last count found and no open discrepancy names; custody never passes for a
  man a count says is missing, neither at the receipt, nor at its completion, nor by a direct hand-over.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import pytest
import yaml

from habeas.domain import commands as c
from habeas.domain import manifests as mf
from habeas.domain.court_orders import ClassCriteria, CourtOrderDirective, CourtOrderScope, OrderForm
from habeas.domain.custody import Authority, Custodian, CustodyStatus
from habeas.domain.errors import DomainError
from habeas.domain.handoffs import HandoffReceipt, sign
from habeas.domain.incidents import Checkpoint, ResolveIncident
from habeas.domain.invariants import (
    DiscrepancyOpen,
    GateBlocksPerson,
    ManifestNotReady,
    NotAboard,
    NotBoarded,
    NotCounted,
)
from habeas.domain.manifest_events import StrikeReason
from habeas.domain.periods import Period
from habeas.gates.policy import load_pack
from habeas.ledger.note import Signer, generate_signer
from habeas.services.custody import custody_state
from habeas.services.door import Services
from habeas.services.handoffs import CompleteHandoff, IssueHandoff
from habeas.services.incidents import RecordHeadcount
from tests.integration.test_manifests_services import (
    DEPARTS,
    PROTECTED,
    SALVADORANS,
    VENEZUELANS,
    MakeServices,
    at,
    person,
)
from tests.integration.test_manifests_services import world as manifest_world
from tests.integration.test_services import assert_rebuild_equal, verify

US = Custodian(agency_id="ice", officer_id="o-us")
SV = Custodian(agency_id="dgcp", officer_id="o-sv")
DHS = Authority(agency_id="ice", legal_basis="ina_241")
E = TypeVar("E", bound=DomainError)
ABOARD = (*VENEZUELANS, *SALVADORANS)  # p-ve-1, p-ve-2, p-sv-1 on m-1 (leg l-1); PROTECTED its alternate
STRANGER = "p-stranger"  # held at the same facility, on no manifest


def on_day(minutes: float) -> datetime:
    """On the day of the flight (scheduled 09:00; the services' clock reads 12:00 and on)."""
    return DEPARTS + timedelta(minutes=minutes)


@pytest.fixture
def pack(tmp_path: Path) -> str:
    """us-federal without the two gates no records are set up for here (fitness to travel, agreements)."""
    data = yaml.safe_load(
        (Path(__file__).parents[2] / "src/habeas/gates/packs/us-federal.yaml").read_text(encoding="utf-8")
    )
    data["name"] = "test-pack"
    data["gates"] = [g for g in data["gates"] if g not in ("fit_to_travel", "agreement_covers")]
    path = tmp_path / "test-pack.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert load_pack(str(path)).name == "test-pack"
    return str(path)


def held_world(services: Services) -> dict[str, Signer]:
    """The manifests' world (m-1 on leg l-1: three aboard, PROTECTED its alternate) with ICE and DGCP, an officer
    of each with a key, and everyone held by ICE at its facility f-us."""
    manifest_world(services)
    run = services.execute
    signers = {o: generate_signer(o) for o in ("o-us", "o-sv")}
    run(c.RegisterAgency(agency_id="ice", occurred_at=at(0), name="ICE", country="US", kind="immigration"))
    run(c.RegisterAgency(agency_id="dgcp", occurred_at=at(0), name="DGCP", country="SV", kind="prisons"))
    for who in (US, SV):
        run(c.RegisterOfficer(officer_id=who.officer_id, agency_id=who.agency_id, occurred_at=at(0), role="escort",
                              name="Officer", public_key=signers[who.officer_id].public_key))
    run(c.RegisterFacility(facility_id="f-us", occurred_at=at(0), name="SPC", country="US", facility_type="spc"))
    run(c.RegisterUnit(unit_id="b1", facility_id="f-us", occurred_at=at(0), label="B1", floor_area_m2=Decimal("400"),
                       declared_beds=100))
    person(services, STRANGER, "SV", "ina_241")
    for p in (*ABOARD, PROTECTED, STRANGER):
        run(c.AdmitToCustody(person_id=p, occurred_at=at(2.5), facility_id="f-us", unit_id="b1", custodian=US,
                             authority=DHS))
    return signers


def depart(person_id: str, minutes: float = -60, leg_id: str = "l-1") -> c.DepartOnLeg:
    return c.DepartOnLeg(person_id=person_id, occurred_at=on_day(minutes), leg_id=leg_id, custodian=US)


def clear_and_board(services: Services) -> None:
    assert services.execute(mf.ClearManifest(manifest_id="m-1", occurred_at=at(4))).value.cleared
    services.execute(mf.BeginBoarding(manifest_id="m-1", occurred_at=at(5)))


def strike_the_protected_and_board(services: Services) -> None:
    """The seed case's catch (1): the protected alternate promoted, blocked, struck (protection); boarding."""
    services.execute(mf.PromoteAlternate(manifest_id="m-1", occurred_at=at(4)))
    assert not services.execute(mf.ClearManifest(manifest_id="m-1", occurred_at=at(5))).value.cleared
    services.execute(mf.StrikeFromManifest(manifest_id="m-1", occurred_at=at(6), person_id=PROTECTED,
                                           reason=StrikeReason.PROTECTION, note="withholding of removal to SV"))
    assert services.execute(mf.ClearManifest(manifest_id="m-1", occurred_at=at(7))).value.cleared
    services.execute(mf.BeginBoarding(manifest_id="m-1", occurred_at=at(8)))


def fly(services: Services) -> None:
    """Clear, board, everyone aboard onto the leg, wheels-up and arrival in San Salvador."""
    clear_and_board(services)
    for p in ABOARD:
        services.execute(depart(p))
    services.execute(mf.Depart(manifest_id="m-1", occurred_at=on_day(0)))
    services.execute(mf.Arrive(manifest_id="m-1", occurred_at=on_day(60)))


def count(services: Services, headcount_id: str, counted: tuple[str, ...], minutes: float = 70) -> None:
    services.execute(RecordHeadcount(headcount_id=headcount_id, manifest_id="m-1", checkpoint=Checkpoint.HANDOFF,
                                     occurred_at=on_day(minutes), counted_person_ids=counted))


def receipt(receipt_id: str, people: tuple[str, ...], manifest_id: str | None = "m-1") -> IssueHandoff:
    return IssueHandoff(receipt_id=receipt_id, person_ids=people, releasing=US, receiving=SV, place_id="mslp-apron",
                        country="SV", at=on_day(80), authority=DHS, manifest_id=manifest_id)


def refused(services: Services, cmd: c.Command, kind: type[E]) -> E:
    """The command is refused with the named error, and nothing at all is recorded."""
    size = services.ledger.size()
    with pytest.raises(kind) as caught:
        services.execute(cmd)
    assert services.ledger.size() == size
    return caught.value


def status(services: Services, person_id: str) -> CustodyStatus:
    with services.ledger.engine.connect() as conn:
        return custody_state(conn, person_id).status


def finish(services: Services) -> None:
    assert_rebuild_equal(services)
    assert verify(services).ok


# -- invariant 4: a departure on a manifest's leg goes through the manifest ---------------------------------------


def test_a_man_struck_for_a_protection_cannot_be_moved_on_the_leg_by_custody_depart(
    make_services: MakeServices, pack: str
) -> None:
    services = make_services(pack=pack)
    held_world(services)
    strike_the_protected_and_board(services)

    struck = refused(services, depart(PROTECTED), NotAboard)
    assert (struck.person_id, struck.manifest_id, struck.listed, struck.reason) == (
        PROTECTED, "m-1", "struck", "protection")
    assert "struck from manifest 'm-1', which carries leg 'l-1' (reason protection)" in str(struck)
    assert "invariant 4" in str(struck)
    stranger = refused(services, depart(STRANGER), NotAboard)
    assert stranger.listed == "not_listed"
    assert "add them (manifest add)" in str(stranger)
    assert status(services, PROTECTED) is CustodyStatus.IN_CUSTODY

    services.execute(depart(VENEZUELANS[0]))  # the manifest's own people board as before
    # a leg no manifest carries is the custody record's own business
    services.execute(depart(STRANGER, leg_id="l-van"))
    finish(services)


def test_an_alternate_departs_only_once_promoted_and_cleared(make_services: MakeServices, pack: str) -> None:
    services = make_services(pack=pack)
    held_world(services)
    clear_and_board(services)
    alternate = refused(services, depart(PROTECTED), NotAboard)
    assert alternate.listed == "alternate"
    assert "promote them" in str(alternate)


def test_a_person_aboard_departs_only_while_the_manifest_boards_and_no_gate_blocks_him(
    make_services: MakeServices, pack: str
) -> None:
    services = make_services(pack=pack)
    held_world(services)
    draft = refused(services, depart(SALVADORANS[0]), ManifestNotReady)
    assert draft.manifest_status == "draft"
    assert "manifest clear, manifest board" in str(draft)

    # a class order issued an hour after the scheduled departure: the clearance (judged at the scheduled
    # departure) passes, the re-check at the gate, once boarding ran late, does not
    late = on_day(60)
    services.execute(c.RecordCourtOrder(
        order_id="co-late", issued_at=late, court="D.D.C.", docket="25-cv-766", form=OrderForm.WRITTEN,
        directive=CourtOrderDirective.HALT_REMOVAL,
        scope=CourtOrderScope(criteria=ClassCriteria(nationality_in=("VE",), legal_basis_in=("aea_designation",))),
        period=Period(active_from=late, active_to=None),
    ))
    assert services.execute(mf.ClearManifest(manifest_id="m-1", occurred_at=at(4))).value.cleared
    cleared = refused(services, depart(SALVADORANS[0]), ManifestNotReady)
    assert "begin boarding first" in str(cleared)
    services.execute(mf.BeginBoarding(manifest_id="m-1", occurred_at=at(5)))
    services.execute(depart(SALVADORANS[0], minutes=-30))
    recheck = services.execute(mf.RecordGateResults(manifest_id="m-1", occurred_at=on_day(90))).value
    assert set(recheck.blocked) == set(VENEZUELANS)
    blocked = refused(services, depart(VENEZUELANS[0], minutes=95), GateBlocksPerson)
    assert blocked.gates == ("no_court_order_covering (fail)",)
    assert status(services, VENEZUELANS[0]) is CustodyStatus.IN_CUSTODY
    finish(services)


# -- invariant 1: the manifest departs with everyone aboard on its leg; nobody leaves it in the air --------------


def test_a_manifest_does_not_depart_while_someone_aboard_is_still_at_the_facility(
    make_services: MakeServices, pack: str
) -> None:
    services = make_services(pack=pack)
    held_world(services)
    clear_and_board(services)
    for p in VENEZUELANS:
        services.execute(depart(p))
    behind = refused(services, mf.Depart(manifest_id="m-1", occurred_at=on_day(0)), NotBoarded)
    assert behind.person_ids == SALVADORANS
    assert "p-sv-1 in custody at f-us" in str(behind)

    services.execute(depart(SALVADORANS[0]))
    services.execute(mf.Depart(manifest_id="m-1", occurred_at=on_day(0)))
    arrival = c.ArriveAtFacility(person_id=VENEZUELANS[0], occurred_at=on_day(30), facility_id="f-cecot",
                                 unit_id="b-1", custodian=SV, authority=DHS)
    in_the_air = refused(services, arrival, ManifestNotReady)
    assert (in_the_air.manifest_status, in_the_air.move) == ("departed", "arrival")
    assert "record its arrival or return first" in str(in_the_air)
    handed = c.HandOver(person_id=VENEZUELANS[0], occurred_at=on_day(30), country="SV", custodian=SV, authority=DHS)
    refused(services, handed, ManifestNotReady)
    refused(services, depart(VENEZUELANS[0], minutes=30, leg_id="l-bus"), ManifestNotReady)

    services.execute(mf.Arrive(manifest_id="m-1", occurred_at=on_day(60)))
    services.execute(c.ArriveAtFacility(person_id=VENEZUELANS[0], occurred_at=on_day(65), facility_id="f-cecot",
                                        unit_id="b-1", custodian=SV, authority=DHS))
    finish(services)


# -- invariant 5: custody passes only for the people counted ------------------------------------------------------


def test_a_receipt_never_names_a_man_the_count_at_the_handoff_says_is_missing(
    make_services: MakeServices, pack: str
) -> None:
    services = make_services(pack=pack)
    held_world(services)
    fly(services)
    uncounted = refused(services, receipt("hr-0", ABOARD), NotCounted)
    assert (uncounted.manifest_id, uncounted.headcount_id) == ("m-1", None)

    missing = VENEZUELANS[1]
    count(services, "hc-handoff", (VENEZUELANS[0], SALVADORANS[0]))  # one fewer than expected: incident opened
    everyone = refused(services, receipt("hr-1", ABOARD), DiscrepancyOpen)
    assert (everyone.person_ids, everyone.incident_ids) == (
        (missing,), ("hc-handoff.discrepancy",))
    assert "incident resolve" in str(everyone)
    refused(services, receipt("hr-1", (missing,), manifest_id=None), DiscrepancyOpen)  # naming no manifest
    refused(services, c.HandOver(person_id=missing, occurred_at=on_day(80), country="SV", custodian=SV,
                                 authority=DHS), DiscrepancyOpen)
    refused(services, c.Remove(person_id=missing, occurred_at=on_day(80), country="SV"), DiscrepancyOpen)

    # resolved without a new count: the last count still did not find him
    services.execute(ResolveIncident(incident_id="hc-handoff.discrepancy", occurred_at=on_day(75),
                                     reason="person_located"))
    stale = refused(services, receipt("hr-1", ABOARD), NotCounted)
    assert (stale.person_ids, stale.headcount_id) == ((missing,), "hc-handoff")
    assert "did not find them" in str(stale)
    count(services, "hc-recount", ABOARD, minutes=76)
    services.execute(receipt("hr-1", ABOARD))
    assert status(services, missing) is CustodyStatus.IN_TRANSIT
    finish(services)


def test_custody_does_not_pass_at_completion_for_a_man_a_later_count_misses(
    make_services: MakeServices, pack: str
) -> None:
    services = make_services(pack=pack)
    signers = held_world(services)
    fly(services)
    count(services, "hc-arrival", ABOARD)
    issued = services.execute(receipt("hr-1", ABOARD)).value
    assert isinstance(issued, HandoffReceipt)
    count(services, "hc-handoff", ABOARD[:2], minutes=85)  # at the aircraft door p-sv-1 is not there
    complete = CompleteHandoff(receipt_id="hr-1", releasing_signature=sign(issued, signers["o-us"].sign),
                               receiving_signature=sign(issued, signers["o-sv"].sign))
    gone = refused(services, complete, DiscrepancyOpen)
    assert (gone.person_ids, gone.receipt_id) == (SALVADORANS, "hr-1")
    assert {status(services, p) for p in ABOARD} == {CustodyStatus.IN_TRANSIT}
    finish(services)

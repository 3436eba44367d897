"""Issue 11: a return-required alert binds, and a record that lapses a clearance says so. SQLite and PostgreSQL.

A class order lands while the plane is in the air. Before this, the alert it raised bound nothing: the handoff,
the buses and the intake went ahead for the people it covers. Now every step that takes them further (a
handoff, an onward leg, a boarding or departure of a manifest carrying them, an admission or intake abroad, a
removal) is refused naming the order and the person, on every path; the way back stays open; and going ahead
takes an override by an officer of the agency holding them, recorded as its own entry, telling the court and
counsel at once, counted in the public report.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from habeas.domain import commands as c
from habeas.domain import manifests as mf
from habeas.domain.actors import Caller, Role
from habeas.domain.authority import Forbidden, NotTheCustodian
from habeas.domain.court_orders import ClassCriteria, CourtOrderDirective, CourtOrderScope, OrderForm
from habeas.domain.custody import Authority, Custodian
from habeas.domain.errors import AlreadyExists, InvalidField, Refused, UnknownRecord
from habeas.domain.handoffs import HandoffReceipt, sign
from habeas.domain.incidents import Checkpoint
from habeas.domain.moves import Leg, TransportMode
from habeas.domain.periods import Period
from habeas.domain.return_overrides import OverrideReturnRequired, ReturnRequiredOpen
from habeas.ledger.entry import parse_leaf
from habeas.ledger.note import Signer, generate_signer
from habeas.services import reports
from habeas.services.clearance import Clearance, ClearanceLapsed
from habeas.services.door import Services
from habeas.services.handoffs import CompleteHandoff, IssueHandoff
from habeas.services.incidents import RecordHeadcount
from habeas.services.intake import AdmitAtIntake
from habeas.services.manifests import manifest_view
from habeas.services.notifications import missed_notifications, notification_list
from habeas.storage import ledger_store
from tests.integration.test_services import assert_rebuild_equal, verify

MakeServices = Callable[..., Services]
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)  # the TickingClock starts on 15 March: every time here is past
DEPARTS = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
YEAR = Period(active_from=T0 - timedelta(days=30), active_to=T0 + timedelta(days=365))
US = Custodian(agency_id="ice", officer_id="o-us")
SV = Custodian(agency_id="dgcp", officer_id="o-sv")
US_AUTH = Authority(agency_id="ice", legal_basis="ina_241")
SV_AUTH = Authority(agency_id="dgcp", legal_basis="us_sv_arrangement")
COVERED, UNCOVERED = ("p-1", "p-2"), "p-3"  # the class order covers the two Venezuelans

PACK = """\
name: test-return
description: the court-order and stay gates only (a test pack)
gates: [no_stay_in_force, no_court_order_covering]
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


def flight(hours: float) -> datetime:
    return DEPARTS + timedelta(hours=hours)


@pytest.fixture
def pack(tmp_path: Path) -> str:
    path = tmp_path / "test-return.yaml"
    path.write_text(PACK, encoding="utf-8")
    return str(path)


def leg(leg_id: str = "l-1", origin: str = "US", destination: str = "SV") -> Leg:
    return Leg(
        leg_id=leg_id, mode=TransportMode.AIR, carrier="charter", vehicle="N-1", origin="KHRL",
        origin_country=origin, destination="MSLP", destination_country=destination, scheduled_departure=DEPARTS,
        scheduled_arrival=flight(4), destination_facility_id="f-sv",
    )


def class_order(order_id: str = "co-1", at: datetime | None = None) -> c.RecordCourtOrder:
    at = at or flight(1)
    return c.RecordCourtOrder(
        order_id=order_id, issued_at=at, court="D.D.C.", docket="25-cv-766", form=OrderForm.ORAL,
        directive=CourtOrderDirective.RETURN, scope=CourtOrderScope(criteria=ClassCriteria(nationality_in=("VE",))),
        period=Period(active_from=at, active_to=None),
    )


def world(services: Services, *, us: str = "ice", sv: str = "dgcp", actor: Caller | None = None) -> dict[str, Signer]:
    """ICE (US) and DGCP (SV), an escort and a legal officer of ICE and an officer of DGCP (with real keys), a
    facility in each country, three people held by ICE (p-1 with counsel of record) on manifest m-1 (US to SV),
    cleared."""
    def run(cmd: c.Command) -> None:
        services.execute(cmd, *(() if actor is None else (actor,)))

    signers = {o: generate_signer(o) for o in ("o-us", "o-legal", "o-sv")}
    for agency, country in ((us, "US"), (sv, "SV")):
        if agency in ("ice", "dgcp"):  # the API's world registers its own agencies
            run(c.RegisterAgency(agency_id=agency, occurred_at=T0, name=agency, country=country, kind="police"))
    for officer, agency, role in (("o-us", us, "escort"), ("o-legal", us, "legal"), ("o-sv", sv, "warden")):
        run(c.RegisterOfficer(officer_id=officer, agency_id=agency, occurred_at=T0, name="Officer", role=role,
                              public_key=signers[officer].public_key))
    for facility, country, agency in (("f-us", "US", us), ("f-sv", "SV", sv)):
        run(c.RegisterFacility(facility_id=facility, occurred_at=T0, name=facility, country=country,
                               facility_type="detention", operating_agency_id=agency))
        run(c.RegisterUnit(unit_id="u-1", facility_id=facility, occurred_at=T0, label="Unit 1",
                           floor_area_m2=Decimal("400"), declared_beds=100))
    for person, nationality in (("p-1", "VE"), ("p-2", "VE"), ("p-3", "SV")):
        run(c.RegisterPerson(person_id=person, occurred_at=T0, nationalities=(nationality,)))
        run(c.AdmitToCustody(person_id=person, occurred_at=T0 + timedelta(hours=1), facility_id="f-us", unit_id="u-1",
                             custodian=Custodian(agency_id=us, officer_id="o-us"),
                             authority=Authority(agency_id=us, legal_basis="ina_241")))
    run(c.RecordCounsel(counsel_id="cn-1", person_id="p-1", occurred_at=T0, name="A. Lawyer", appearance_filed=True,
                        period=YEAR))
    run(mf.CreateManifest(manifest_id="m-1", occurred_at=T0 + timedelta(hours=2), journey_id="j-1", leg_index=0,
                          leg=leg(), people=("p-1", "p-2", "p-3")))
    cleared = services.execute(mf.ClearManifest(manifest_id="m-1", occurred_at=T0 + timedelta(hours=3)),
                               *(() if actor is None else (actor,)))
    assert isinstance(cleared.value, Clearance)
    assert cleared.value.cleared, cleared.value
    return signers


def fly(services: Services, *, us: str = "ice", actor: Caller | None = None, order: bool = True) -> None:
    """Boarding, everyone departs on the leg with the escort, wheels up; the class order lands in the air."""
    def run(cmd: c.Command) -> None:
        services.execute(cmd, *(() if actor is None else (actor,)))

    run(mf.BeginBoarding(manifest_id="m-1", occurred_at=flight(-1)))
    for person in ("p-1", "p-2", "p-3"):
        run(c.DepartOnLeg(person_id=person, occurred_at=flight(0), leg_id="l-1",
                          custodian=Custodian(agency_id=us, officer_id="o-us")))
    run(mf.Depart(manifest_id="m-1", occurred_at=flight(0)))
    if order:
        run(class_order())


def land(services: Services, actor: Caller | None = None) -> None:
    """The plane lands; everyone aboard is counted at the handoff (custody passes only for people counted)."""
    everyone = ("p-1", "p-2", "p-3")
    for cmd in (mf.Arrive(manifest_id="m-1", occurred_at=flight(4)),
                RecordHeadcount(headcount_id="hc-handoff", manifest_id="m-1", checkpoint=Checkpoint.HANDOFF,
                                occurred_at=flight(4.2), counted_person_ids=everyone, expected_person_ids=everyone)):
        services.execute(cmd, *(() if actor is None else (actor,)))


def handoff(receipt_id: str, *people: str, hours: float = 5) -> IssueHandoff:
    return IssueHandoff(receipt_id=receipt_id, person_ids=people, releasing=US, receiving=SV, place_id="apron",
                        country="SV", at=flight(hours), authority=SV_AUTH, manifest_id="m-1")


def complete(services: Services, receipt: HandoffReceipt, signers: dict[str, Signer]) -> None:
    services.execute(CompleteHandoff(
        receipt_id=receipt.receipt_id, releasing_signature=sign(receipt, signers["o-us"].sign),
        receiving_signature=sign(receipt, signers["o-sv"].sign)))


def override(override_id: str = "ov-1", *people: str, officer: str = "o-legal", order: str = "co-1",
             hours: float = 4.5) -> OverrideReturnRequired:
    return OverrideReturnRequired(
        override_id=override_id, order_id=order, person_ids=people or ("p-1",), officer_id=officer,
        reason="the order was stayed on appeal at 13:02 (docket entry 41)", occurred_at=flight(hours))


def onward(person: str) -> list[c.Command]:
    """Every step that would take ``person`` further from the US than the apron in San Salvador."""
    return [
        handoff("hr-x", person),
        c.AdmitToCustody(person_id=person, occurred_at=flight(6), facility_id="f-sv", unit_id="u-1", custodian=SV,
                         authority=SV_AUTH),
        c.ArriveAtFacility(person_id=person, occurred_at=flight(6), facility_id="f-sv", unit_id="u-1", custodian=US),
        AdmitAtIntake(admission=c.RecordAdmission(person_id=person, admission_id=f"adm-{person}", facility_id="f-sv",
                                                  occurred_at=flight(6), commitment_authority="DGCP"),
                      custodian=SV, unit_id="u-1", authority=SV_AUTH),
        c.HandOver(person_id=person, occurred_at=flight(6), country="SV", custodian=SV, authority=SV_AUTH),
        c.Remove(person_id=person, occurred_at=flight(6), country="SV"),
        c.DepartOnLeg(person_id=person, occurred_at=flight(6), leg_id="l-bus", custodian=US),
    ]


def size(services: Services) -> int:
    return services.size()


def test_an_open_alert_refuses_the_handoff_and_every_onward_step_of_the_people_it_covers(
    make_services: MakeServices, pack: str
) -> None:
    services = make_services(pack=pack)
    signers = world(services)
    fly(services)
    land(services)
    before = size(services)

    with pytest.raises(ReturnRequiredOpen) as refused:
        services.execute(handoff("hr-1", "p-1", "p-2", "p-3"))
    assert (refused.value.order_id, refused.value.person_id, refused.value.person_ids) == ("co-1", "p-1", COVERED)
    assert (refused.value.manifest_id, refused.value.command, refused.value.code) == ("m-1", "IssueHandoff",
                                                                                     "return-required")
    for word in ("co-1", "p-1", "override"):
        assert word in str(refused.value)
    assert size(services) == before  # nothing recorded

    # every other way onward is refused too, alone or in a batch (which then records nothing at all)
    for cmd in onward("p-2"):
        with pytest.raises(ReturnRequiredOpen, match="co-1 requires the return of p-2"):
            services.execute(cmd)
    with pytest.raises(ReturnRequiredOpen):
        services.execute_many([handoff("hr-3", UNCOVERED), *onward("p-2")[1:2]])
    assert size(services) == before

    # a bus manifest carrying a covered person neither boards nor departs
    services.execute(mf.CreateManifest(manifest_id="m-bus", occurred_at=flight(5), journey_id="j-1", leg_index=1,
                                       leg=leg("l-bus", "SV", "SV"), people=("p-2",)))
    for step in (mf.BeginBoarding(manifest_id="m-bus", occurred_at=flight(6)),
                 mf.Depart(manifest_id="m-bus", occurred_at=flight(6))):
        with pytest.raises(ReturnRequiredOpen) as bus:
            services.execute(step)
        assert (bus.value.order_id, bus.value.person_id) == ("co-1", "p-2")

    # the person the order does not cover goes on; the way back is open for those it covers
    receipt = services.execute(handoff("hr-3", UNCOVERED)).value
    assert isinstance(receipt, HandoffReceipt)
    complete(services, receipt, signers)
    services.execute(c.AdmitToCustody(person_id=UNCOVERED, occurred_at=flight(6), facility_id="f-sv", unit_id="u-1",
                                      custodian=SV, authority=SV_AUTH))
    services.execute(mf.ReturnManifest(manifest_id="m-1", occurred_at=flight(7), reason=mf.ReturnReason.COURT_ORDER,
                                       record_id="co-1"))
    for person in COVERED:
        services.execute(c.ArriveAtFacility(person_id=person, occurred_at=flight(12), facility_id="f-us",
                                            unit_id="u-1", custodian=US))
    assert_rebuild_equal(services)
    assert verify(services).ok


def test_a_retracted_override_binds_again_and_a_receipt_under_it_is_not_completed(
    make_services: MakeServices, pack: str
) -> None:
    services = make_services(pack=pack)
    signers = world(services)
    fly(services)
    land(services)
    first = services.execute(override("ov-1", "p-1"))
    receipt = services.execute(handoff("hr-1", "p-1", UNCOVERED)).value
    assert isinstance(receipt, HandoffReceipt)
    # the override was recorded in error: retracted, it no longer counts, and the alert binds p-1 again
    services.execute(c.RetractEntry(corrected_seq=first.seqs[0], occurred_at=flight(5.2), reason="entered_in_error"))
    assert services.read(reports.return_overrides) == []
    with pytest.raises(ReturnRequiredOpen) as refused:
        complete(services, receipt, signers)
    assert (refused.value.command, refused.value.order_id, refused.value.person_ids) == (
        "CompleteHandoff", "co-1", ("p-1",))
    services.execute(override("ov-2", "p-1", hours=5.3))
    complete(services, receipt, signers)
    assert_rebuild_equal(services)


def test_an_override_lets_the_people_it_names_go_and_tells_the_court_and_counsel_at_once(
    make_services: MakeServices, pack: str
) -> None:
    services = make_services(pack=pack)
    signers = world(services)
    fly(services)
    land(services)

    result = services.execute(override("ov-1", "p-1"))
    assert len(result.seqs) == 3  # the override, the court's notification and counsel's (p-1 has counsel)
    [entry] = [parse_leaf(services.leaf(s)) for s in result.seqs[:1]]
    assert entry["type"] == "return_required.overridden"
    assert entry["body"] == {"occurred_at": "2025-03-10T13:30:00Z", "order_id": "co-1", "person_ids": ["p-1"],
                             "manifest_ids": ["m-1"], "officer_id": "o-legal", "agency_id": "ice"}
    private = services.read(ledger_store.read_private, result.seqs[0], result.seqs[0] + 1)
    assert b"stayed on appeal" in next(iter(private.values()))[1]
    due = {(n.recipient, n.reason, n.due_at) for n in services.read(notification_list, "p-1")
           if n.notification_id.startswith("ov-1.")}
    at = "2025-03-10T13:30:00Z"
    assert due == {("court", "return_override", at), ("counsel", "return_override", at)}
    missed = {o.notification_id for o in services.read(missed_notifications, flight(4.6))}
    assert {"ov-1.court.p-1", "ov-1.counsel.p-1"} <= missed

    # p-1 goes ahead with the one the order does not cover; p-2 is still held to the order
    receipt = services.execute(handoff("hr-1", "p-1", UNCOVERED)).value
    assert isinstance(receipt, HandoffReceipt)
    complete(services, receipt, signers)
    services.execute(c.AdmitToCustody(person_id="p-1", occurred_at=flight(6), facility_id="f-sv", unit_id="u-1",
                                      custodian=SV, authority=SV_AUTH))
    with pytest.raises(ReturnRequiredOpen, match="p-2"):
        services.execute(handoff("hr-2", "p-2"))

    # the public report counts it
    assert services.read(reports.return_overrides) == [
        reports.ReturnOverrideCount(order_id="co-1", overrides=1, people=1)]

    # what an override must name, and who decides
    for bad, error, text in (
        (override("ov-2", "p-2", order="co-none"), UnknownRecord, "co-none"),
        (override("ov-2", UNCOVERED), InvalidField, "no open return-required alert on co-1 covers them"),
        (override("ov-2", "p-1"), Refused, "already_overridden"),
        (override("ov-2", "p-2", officer="o-sv"), InvalidField, "p-2 is held by ice"),
        (override("ov-2", "p-2", officer="o-nobody"), UnknownRecord, "o-nobody"),
        (override("ov-1", "p-2"), AlreadyExists, "ov-1"),
        (override("ov-2", "p-2", hours=24 * 30), InvalidField, "in the future"),
    ):
        with pytest.raises(error, match=text):
            services.execute(bad)
    # an agency that does not hold the person may not decide (p-1, handed over, is DGCP's now; p-2 it never saw);
    # nor may a role without legal.write
    with pytest.raises(NotTheCustodian):
        services.execute(override("ov-2", "p-1", "p-2"), Caller(agency="ice", officer="o-legal", role=Role.LEGAL))
    with pytest.raises(UnknownRecord, match="p-2"):
        services.execute(override("ov-2", "p-2"), Caller(agency="dgcp", officer="o-sv", role=Role.LEGAL))
    with pytest.raises(Forbidden):
        services.execute(override("ov-2", "p-2"), Caller(agency="ice", officer="o-us", role=Role.ESCORT))
    services.execute(override("ov-2", "p-2"), Caller(agency="ice", officer="o-legal", role=Role.LEGAL))
    services.execute(handoff("hr-2", "p-2"))
    assert services.read(reports.return_overrides) == [
        reports.ReturnOverrideCount(order_id="co-1", overrides=2, people=2)]
    assert_rebuild_equal(services)
    assert verify(services).ok


def test_a_record_that_lapses_a_clearance_names_the_manifest_in_its_answer(
    make_services: MakeServices, pack: str
) -> None:
    services = make_services(pack=pack)
    world(services)
    stay = services.execute(c.RecordStay(stay_id="st-1", person_id="p-3", occurred_at=T0 + timedelta(hours=4),
                                         granted_by="4th Cir.", period=YEAR))
    assert stay.warnings == [ClearanceLapsed(manifest_id="m-1", person_id="p-3", record_id="st-1",
                                             seq=stay.seq + 1)]
    text = str(stay.warnings[0])
    for word in ("m-1", "lapsed", "p-3", "st-1"):
        assert word in text
    assert services.read(manifest_view, "m-1").status == "draft"

    again = services.execute(c.RecordStay(stay_id="st-0", person_id="p-3", occurred_at=T0 + timedelta(hours=4.5),
                                          granted_by="4th Cir.", period=YEAR))
    assert again.warnings == []  # the manifest is in draft already: nothing lapses
    services.execute(mf.StrikeFromManifest(manifest_id="m-1", occurred_at=T0 + timedelta(hours=5), person_id="p-3",
                                           reason=mf.StrikeReason.COURT_ORDER))
    assert services.execute(mf.ClearManifest(manifest_id="m-1", occurred_at=T0 + timedelta(hours=6))).value.cleared
    # a class order lands on the cleared manifest: in a batch too, each answer names what it lapsed
    [order] = services.execute_many([class_order("co-2", T0 + timedelta(hours=7))])
    assert [(w.manifest_id, w.person_id, w.record_id) for w in order.warnings] == [("m-1", "p-1", "co-2")]
    assert "clear it again" in str(order.warnings[0])
    assert_rebuild_equal(services)



def test_an_order_that_lands_after_the_plane_and_before_the_handoff_binds_too(
    make_services: MakeServices, pack: str
) -> None:
    # The window between wheels-down and the signatures on the apron: the people are still the sending state's,
    # and an order that reaches them then must stop the handoff as one in the air does (found reading the
    # invariants helper's note: alerts were raised for departed or halted manifests only).
    services = make_services(pack=pack)
    world(services)
    fly(services, order=False)
    land(services)
    services.execute(class_order(at=flight(4.5)))
    with pytest.raises(ReturnRequiredOpen) as refused:
        services.execute(handoff("hr-1", "p-1", "p-2", "p-3"))
    assert (refused.value.order_id, refused.value.person_ids) == ("co-1", COVERED)
    assert_rebuild_equal(services)

"""The operation through the services on a real database (SQLite and PostgreSQL): headcounts and incidents,
dual-signed handoffs, intake within computed capacity and separation, deaths and missed notifications,
agreement invoices. Each test ends with `rebuild --check` equal and the log verified."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from habeas.domain import commands as c
from habeas.domain.agreements import Agreement, InvoiceIssued, RecordAgreement
from habeas.domain.custody import Authority, Custodian, CustodyStatus
from habeas.domain.errors import AlreadyExists, Refused, UnknownRecord
from habeas.domain.facilities import CapacityStandard
from habeas.domain.handoff_events import ItemKind
from habeas.domain.handoffs import HandoffReceipt, HandoffSignatureInvalid, ReceiptItem, sign
from habeas.domain.incidents import AccessPurpose, Checkpoint, IncidentKind, LogAccess
from habeas.domain.intake import CapacityExceeded, CapacityOverride, NoUnitAvailable, SeparationViolation
from habeas.domain.manifest_commands import CreateManifest
from habeas.domain.moves import Leg, TransportMode
from habeas.domain.notifications import RecordNotificationSent
from habeas.domain.people import Sex
from habeas.domain.periods import Period
from habeas.ledger.note import Signer, generate_signer
from habeas.services.agreements import IssueInvoice
from habeas.services.alerts import operation_alerts
from habeas.services.custody import custody_state
from habeas.services.door import Services
from habeas.services.facilities import capacity
from habeas.services.handoffs import CompleteHandoff, IssueHandoff, handoff_view
from habeas.services.incidents import (
    RecordHeadcount,
    RecordIncident,
    ResolveIncident,
    incident_list,
    open_incident_count,
)
from habeas.services.intake import AdmitAtIntake
from habeas.services.notifications import missed_notifications
from tests.integration.test_services import MakeServices, assert_rebuild_equal, leaves, verify

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)  # the TickingClock starts on 15 March: every time here is past
US_OFFICER = Custodian(agency_id="ice", officer_id="o-us")
SV_OFFICER = Custodian(agency_id="dgcp", officer_id="o-sv")
DHS = Authority(agency_id="dhs", legal_basis="ina_241", record_id="ro-1")
PEOPLE = ("p-1", "p-2", "p-3", "p-4", "p-5", "p-6", "p-7")


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def world(services: Services) -> dict[str, Signer]:
    """ICE (US) and DGCP (SV), an officer of each with a real key, a US facility and a Salvadoran one whose
    two cells of 7 m² hold two people each under ICRC (3.4 m²) and one under CPT (4 m²); seven men."""
    run = services.execute
    signers = {"o-us": generate_signer("o-us"), "o-sv": generate_signer("o-sv")}
    run(c.RegisterAgency(agency_id="ice", occurred_at=T0, name="ICE", country="US", kind="immigration"))
    run(c.RegisterAgency(agency_id="dgcp", occurred_at=T0, name="DGCP", country="SV", kind="prisons"))
    for who in (US_OFFICER, SV_OFFICER):
        run(
            c.RegisterOfficer(
                officer_id=who.officer_id, agency_id=who.agency_id, occurred_at=T0, role="escort", name="Officer",
                public_key=signers[who.officer_id].public_key,
            )
        )
    run(c.RegisterFacility(facility_id="f-us", occurred_at=T0, name="SPC", country="US", facility_type="spc"))
    run(c.RegisterUnit(unit_id="b1", facility_id="f-us", occurred_at=T0, label="B1", floor_area_m2=Decimal("400"),
                       declared_beds=100))
    run(c.RegisterFacility(facility_id="f-sv", occurred_at=T0, name="Prison", country="SV", facility_type="prison",
                           declared_capacity=40))
    run(c.RegisterUnit(unit_id="blk", facility_id="f-sv", occurred_at=T0, label="Block", floor_area_m2=Decimal("14"),
                       declared_beds=40))
    for cell in ("c-1", "c-2"):
        run(c.RegisterUnit(unit_id=cell, facility_id="f-sv", occurred_at=T0, label=cell, parent_unit_id="blk",
                           floor_area_m2=Decimal("7"), declared_beds=20))
    for p in PEOPLE:
        run(c.RegisterPerson(person_id=p, occurred_at=T0, sex=Sex.MALE, nationalities=("VE",)))
    return signers


def admit_us(services: Services, *people: str) -> None:
    for p in people:
        services.execute(
            c.AdmitToCustody(person_id=p, occurred_at=at(1), facility_id="f-us", unit_id="b1", custodian=US_OFFICER,
                             authority=DHS)
        )


def finish(services: Services) -> None:
    assert_rebuild_equal(services)
    assert verify(services).ok


# -- headcounts and incidents ----------------------------------------------------------------------------------


def test_a_headcount_with_someone_missing_opens_an_incident_open_until_resolved(make_services: MakeServices) -> None:
    services = make_services()
    world(services)
    result = services.execute(
        RecordHeadcount(headcount_id="hc-1", manifest_id="m-1", checkpoint=Checkpoint.ARRIVAL, occurred_at=at(5),
                        counted_person_ids=("p-1", "p-3"), expected_person_ids=("p-1", "p-2", "p-3"))
    )
    assert len(result.seqs) == 2  # the count and the incident, in one transaction
    with services.ledger.engine.connect() as conn:
        (opened,) = incident_list(conn, open_only=True)
        assert (opened.incident_id, opened.kind, opened.person_ids) == ("hc-1.discrepancy", "headcount_discrepancy",
                                                                       ("p-2",))
        assert open_incident_count(conn, "m-1") == 1
        alerts = operation_alerts(conn, at(6))
    assert [(a.kind, a.subject_id) for a in alerts] == [("incident.open", "hc-1.discrepancy")]

    # a count that reconciles opens nothing; the same headcount id twice is refused
    ok = services.execute(
        RecordHeadcount(headcount_id="hc-2", manifest_id="m-1", checkpoint=Checkpoint.HANDOFF, occurred_at=at(6),
                        counted_person_ids=("p-1", "p-3"), expected_person_ids=("p-1", "p-3"))
    )
    assert len(ok.seqs) == 1
    with pytest.raises(AlreadyExists):
        services.execute(
            RecordHeadcount(headcount_id="hc-2", manifest_id="m-1", checkpoint=Checkpoint.HANDOFF,
                            occurred_at=at(6), counted_person_ids=(), expected_person_ids=("p-1",))
        )

    services.execute(ResolveIncident(incident_id="hc-1.discrepancy", occurred_at=at(9), reason="person_located",
                                     note="found in the infirmary"))
    with services.ledger.engine.connect() as conn:
        assert incident_list(conn, open_only=True) == []
        assert open_incident_count(conn, "m-1") == 0
        (closed,) = incident_list(conn)
        assert closed.resolution == "person_located"
    with pytest.raises(Refused, match="already_resolved"):
        services.execute(ResolveIncident(incident_id="hc-1.discrepancy", occurred_at=at(10), reason="again"))

    # every access to a person is an entry; the visitor's name stays out of the public leaf
    services.execute(LogAccess(access_id="acc-1", person_id="p-1", occurred_at=at(11),
                               purpose=AccessPurpose.LEGAL_VISIT, visitor_name="Ana Quintero Lozano"))
    with pytest.raises(AlreadyExists):
        services.execute(LogAccess(access_id="acc-1", person_id="p-1", occurred_at=at(12),
                                   purpose=AccessPurpose.INTERVIEW, officer_id="o-us", agency_id="ice"))
    assert not any(b"Quintero" in leaf for _, leaf in leaves(services))
    finish(services)


# -- handoffs --------------------------------------------------------------------------------------------------


def issue(services: Services) -> HandoffReceipt:
    # A receipt naming a manifest names people its last count found (invariant 5): count them at the handoff.
    services.execute(RecordHeadcount(headcount_id="hc-hr-1", manifest_id="m-1", checkpoint=Checkpoint.HANDOFF,
                                     occurred_at=at(29), counted_person_ids=("p-1", "p-2"),
                                     expected_person_ids=("p-1", "p-2")))
    receipt = services.execute(
        IssueHandoff(
            receipt_id="hr-1", person_ids=("p-1", "p-2"), releasing=US_OFFICER, receiving=SV_OFFICER,
            place_id="sal-airport", country="SV", at=at(30), authority=DHS, manifest_id="m-1",
            items=(
                ReceiptItem(item_id="it-1", person_id="p-1", kind=ItemKind.MEDICINE, description="insulin, 3 pens"),
                ReceiptItem(item_id="it-2", person_id="p-2", kind=ItemKind.DOCUMENT, description="passport"),
            ),
        )
    ).value
    assert isinstance(receipt, HandoffReceipt)
    return receipt


def test_a_handoff_completes_only_when_both_officers_signatures_verify(make_services: MakeServices) -> None:
    services = make_services()
    signers = world(services)
    admit_us(services, "p-1", "p-2")
    receipt = issue(services)
    good_us, good_sv = sign(receipt, signers["o-us"].sign), sign(receipt, signers["o-sv"].sign)
    forged = sign(receipt, generate_signer("o-sv").sign)  # same name, another key: not the registered one

    size = services.ledger.size()
    for releasing, receiving, which in (
        (good_us, forged, "receiving"),
        (forged, good_sv, "releasing"),
        (good_sv, good_us, "both"),  # each officer's signature in the other's place
    ):
        with pytest.raises(HandoffSignatureInvalid) as refused:
            services.execute(CompleteHandoff(receipt_id="hr-1", releasing_signature=releasing,
                                             receiving_signature=receiving))
        assert refused.value.which == which
        assert services.ledger.size() == size  # nothing recorded...
        with services.ledger.engine.connect() as conn:  # ...and custody unchanged
            assert {custody_state(conn, p).status for p in ("p-1", "p-2")} == {CustodyStatus.IN_CUSTODY}
            assert handoff_view(conn, "hr-1").status == "issued"

    done = services.execute(CompleteHandoff(receipt_id="hr-1", releasing_signature=good_us,
                                            receiving_signature=good_sv))
    with services.ledger.engine.connect() as conn:
        for p in ("p-1", "p-2"):
            after = custody_state(conn, p)
            assert after.status is CustodyStatus.HANDED_OVER
            assert after.custodian == SV_OFFICER  # the physical custodian: the receiving officer...
            assert after.authority == DHS  # ...and, recorded separately, the legal authority
            assert after.country == "SV"
        view = handoff_view(conn, "hr-1")
        assert view.status == "completed"
        assert view.completed_seq in done.seqs
        assert [(role, who) for role, who, _ in view.signatures] == [("releasing", "o-us@ice"),
                                                                      ("receiving", "o-sv@dgcp")]
        # family must be told of the transfer at once (Mandela rule 68): missed a second later
        missed = {o.notification_id for o in missed_notifications(conn, at(30) + timedelta(seconds=1))}
        assert missed == {"hr-1.family.p-1", "hr-1.family.p-2"}
    with pytest.raises(Refused, match="already_completed"):
        services.execute(CompleteHandoff(receipt_id="hr-1", releasing_signature=good_us,
                                         receiving_signature=good_sv))
    # the private descriptions and the nonce stay out of the public leaves
    public = b"".join(leaf for _, leaf in leaves(services))
    assert b"insulin" not in public
    assert receipt.nonce.encode() not in public
    finish(services)


def test_a_receipt_lists_only_people_the_releasing_agency_holds(make_services: MakeServices) -> None:
    services = make_services()
    world(services)
    admit_us(services, "p-1")
    with pytest.raises(Refused, match="not_held"):
        services.execute(IssueHandoff(receipt_id="hr-9", person_ids=("p-1", "p-2"), releasing=US_OFFICER,
                                      receiving=SV_OFFICER, place_id="x", country="SV", at=at(30), authority=DHS))
    finish(services)


# -- intake ----------------------------------------------------------------------------------------------------


def intake(person_id: str, minutes: int, **kwargs: object) -> AdmitAtIntake:
    return AdmitAtIntake(
        admission=c.RecordAdmission(person_id=person_id, admission_id=f"adm-{person_id}", facility_id="f-sv",
                                    occurred_at=at(minutes), commitment_authority="DGCP"),
        custodian=SV_OFFICER, authority=DHS, **kwargs,  # type: ignore[arg-type]
    )


def test_intake_assigns_a_unit_within_computed_capacity_and_separation(make_services: MakeServices) -> None:
    services = make_services()
    world(services)
    services.execute(c.RecordAllegation(allegation_id="al-1", person_id="p-1", occurred_at=T0,
                                        organisation="Tren de Aragua", source="ice_i213"))
    services.execute(c.RecordAllegation(allegation_id="al-6", person_id="p-6", occurred_at=T0,
                                        organisation="MS-13", source="pnc"))
    services.execute(c.RecordConviction(conviction_id="cv-7", person_id="p-7", occurred_at=T0, court="Juzgado",
                                        jurisdiction="SV", offence="extortion", convicted_on=date(2020, 1, 1)))
    # us-federal (ICRC, 3.4 m²): 7 m² cells hold two each; the block that contains them houses no one itself
    units = [services.execute(intake(p, 40 + i)).value for i, p in enumerate(("p-1", "p-2", "p-3", "p-4"))]
    assert units == ["c-1", "c-1", "c-2", "c-2"]

    size = services.ledger.size()
    with pytest.raises(NoUnitAvailable) as full:
        services.execute(intake("p-5", 50))
    assert {type(r) for r in full.value.reasons} == {CapacityExceeded}
    with pytest.raises(CapacityExceeded):
        services.execute(intake("p-5", 50, unit_id="c-2"))
    assert services.ledger.size() == size

    # over capacity with an override: recorded, and reported
    over = services.execute(
        intake("p-5", 50, unit_id="c-2", override=CapacityOverride(reason="arrival surge", authorised_by="o-sv"))
    )
    assert over.value == "c-2"
    assert len(over.warnings) == 1
    with services.ledger.engine.connect() as conn:
        assert custody_state(conn, "p-5").unit_id == "c-2"
        alerts = [(a.kind, a.subject_id) for a in operation_alerts(conn, at(60), CapacityStandard.ICRC)]
        assert ("intake.capacity_override", "adm-p-5") in alerts
        assert ("facility.over_capacity", "f-sv") in alerts
        (sv,) = capacity(conn, CapacityStandard.ICRC, "f-sv")
        assert (sv.computed_capacity, sv.declared_capacity, sv.occupancy, sv.overrides) == (4, 40, 5, 1)
        (cpt,) = capacity(conn, CapacityStandard.CPT, "f-sv")
        assert cpt.computed_capacity == 2

    # separation is never overridable: an alleged rival, a convicted prisoner beside people held for migration
    override = CapacityOverride(reason="surge", authorised_by="o-sv")
    with pytest.raises(SeparationViolation, match="rival_organisation"):
        services.execute(intake("p-6", 55, unit_id="c-1", override=override))
    with pytest.raises(SeparationViolation, match="category"):
        services.execute(intake("p-7", 55, unit_id="c-1", override=override))
    with pytest.raises(AlreadyExists):  # the same admission id twice
        services.execute(intake("p-1", 56, unit_id="c-1", override=override))
    finish(services)


def test_intake_after_a_handoff_takes_the_person_into_the_receiving_custody(make_services: MakeServices) -> None:
    services = make_services()
    signers = world(services)
    admit_us(services, "p-1", "p-2")
    receipt = issue(services)
    services.execute(CompleteHandoff(receipt_id="hr-1", releasing_signature=sign(receipt, signers["o-us"].sign),
                                     receiving_signature=sign(receipt, signers["o-sv"].sign)))
    services.execute(intake("p-1", 90, receipt_id="hr-1"))
    with services.ledger.engine.connect() as conn:
        after = custody_state(conn, "p-1")
    assert (after.status, after.facility_id, after.unit_id, after.custodian) == (
        CustodyStatus.IN_CUSTODY, "f-sv", "c-1", SV_OFFICER)
    finish(services)


# -- deaths and notifications ----------------------------------------------------------------------------------


def test_a_death_makes_next_of_kin_due_at_once_and_missed_afterwards(make_services: MakeServices) -> None:
    services = make_services()
    world(services)
    admit_us(services, "p-1")
    death = at(100)
    services.execute(RecordIncident(incident_id="inc-1", kind=IncidentKind.DEATH, person_ids=("p-1",),
                                    occurred_at=death, facility_id="f-us", details="found unresponsive"))
    with services.ledger.engine.connect() as conn:
        assert custody_state(conn, "p-1").status is CustodyStatus.DECEASED
        assert missed_notifications(conn, death) == []  # due at once: not yet missed at the instant itself
        later = death + timedelta(minutes=1)
        missed = {(o.notification_id, o.recipient.value) for o in missed_notifications(conn, later)}
        assert missed == {("inc-1.nok.p-1", "next_of_kin"), ("inc-1.ia.p-1", "independent_authority")}
        kinds = {(a.kind, a.subject_id) for a in operation_alerts(conn, later)}
        assert {("notification.missed", "inc-1.nok.p-1"), ("incident.open", "inc-1")} <= kinds
        (opened,) = incident_list(conn)
        assert opened.independent_report_required

    services.execute(RecordNotificationSent(notification_id="inc-1.nok.p-1", person_id="p-1",
                                            occurred_at=death + timedelta(hours=2), channel="phone",
                                            contact="+58 212 555 0101"))
    with services.ledger.engine.connect() as conn:
        now = death + timedelta(hours=3)
        assert [o.notification_id for o in missed_notifications(conn, now)] == ["inc-1.ia.p-1"]
        late = {o.notification_id: o.overdue_by for o in missed_notifications(conn, now, include_late=True)}
        assert late["inc-1.nok.p-1"] == timedelta(hours=2)
    with pytest.raises(Refused, match="already_sent"):
        services.execute(RecordNotificationSent(notification_id="inc-1.nok.p-1", person_id="p-1",
                                                occurred_at=now, channel="phone"))
    assert not any(b"555 0101" in leaf or b"unresponsive" in leaf for _, leaf in leaves(services))
    finish(services)


# -- agreements ------------------------------------------------------------------------------------------------


def test_an_agreement_invoice_counts_person_days_at_midnight(make_services: MakeServices) -> None:
    services = make_services()
    world(services)
    term = Period(active_from=datetime(2025, 1, 1, tzinfo=UTC), active_to=datetime(2026, 1, 1, tzinfo=UTC))
    services.execute(RecordAgreement(occurred_at=T0, agreement=Agreement(
        agreement_id="ag-1", sending_state="US", receiving_state="SV", term=term, categories=("migration",),
        per_diem=Decimal("20.50"), currency="USD", quota=300)))
    services.execute(intake("p-1", 0))  # 1 March 08:00
    services.execute(intake("p-2", 2 * 24 * 60))  # 3 March 08:00
    services.execute(c.Release(person_id="p-2", occurred_at=datetime(2025, 3, 6, 12, tzinfo=UTC), reason="court_order"))
    admit_us(services, "p-3")  # held in the US: not billed under this agreement

    period = Period(active_from=datetime(2025, 3, 1, tzinfo=UTC), active_to=datetime(2025, 3, 11, tzinfo=UTC))
    issued = services.execute(IssueInvoice(agreement_id="ag-1", invoice_id="inv-1", period=period)).value
    assert isinstance(issued, InvoiceIssued)
    # p-1: the midnights of 2 to 10 March (9); p-2: 4, 5 and 6 March (3)
    assert {line.person_id: line.person_days for line in issued.lines} == {"p-1": 9, "p-2": 3}
    assert (issued.person_days, issued.amount, issued.currency) == (12, Decimal("246.00"), "USD")
    with pytest.raises(AlreadyExists):
        services.execute(IssueInvoice(agreement_id="ag-1", invoice_id="inv-1", period=period))
    with services.ledger.engine.connect() as conn:
        row = conn.execute(text("SELECT person_days, amount FROM p_invoice WHERE invoice_id = 'inv-1'")).one()
    assert (row.person_days, row.amount) == (12, "246.00")
    finish(services)


def test_a_headcount_expects_the_people_on_the_manifest(make_services: MakeServices) -> None:
    services = make_services()
    world(services)
    leg = Leg(leg_id="leg-1", mode=TransportMode.AIR, carrier="GlobalX", vehicle="GXA 6143", origin="HRL",
              origin_country="US", destination="SAL", destination_country="SV",
              scheduled_departure=at(60), scheduled_arrival=at(300))
    services.execute(CreateManifest(manifest_id="m-1", occurred_at=at(3), journey_id="j-1", leg_index=0, leg=leg,
                                    people=("p-1", "p-2", "p-3"), alternates=("p-4",)))
    count = services.execute(
        RecordHeadcount(headcount_id="hc-1", manifest_id="m-1", checkpoint=Checkpoint.BOARDING, occurred_at=at(50),
                        counted_person_ids=("p-1", "p-3", "p-4", "p-4"))
    ).value
    assert (count.expected_count, count.missing, count.unexpected, count.duplicates) == (3, ("p-2",), ("p-4",),
                                                                                         ("p-4",))
    with pytest.raises(UnknownRecord):
        services.execute(RecordHeadcount(headcount_id="hc-2", manifest_id="m-404", checkpoint=Checkpoint.BOARDING,
                                         occurred_at=at(50), counted_person_ids=("p-1",)))
    finish(services)

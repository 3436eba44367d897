"""A class order with the criteria courts use, at clearance and after departure, on SQLite and PostgreSQL.

The class: Venezuelans held under the wartime-powers basis, removed to any third country, detained before 8 March,
in field office HOU. At clearance it blocks exactly the people it covers (a man transferred into HOU after the
date is covered: his custody began before it), passes the others with the criterion that rules each out, and
blocks the man held where no field office is recorded until the facility's registration says which it is. A man
sent home is not sent to a third country. After departure, an order with the same kind of criteria raises a
return-required alert on exactly the man it covers in the air, judged by the facility he left.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from habeas.domain import commands as c
from habeas.domain import manifests as mf
from habeas.domain.court_orders import ClassCriteria, CourtOrderDirective, CourtOrderScope, Criterion, OrderForm
from habeas.domain.custody import Authority, Custodian
from habeas.domain.legal import NoticeContent
from habeas.domain.manifest_events import GateOutcome
from habeas.domain.moves import Leg, TransportMode
from habeas.domain.people import Identifier, IdentifierKind
from habeas.domain.periods import Period
from habeas.ledger.verify import verify_log
from habeas.services.clearance import Clearance
from habeas.services.door import Services
from habeas.services.manifests import alerts
from habeas.storage.projections.schema import record

MakeServices = Callable[..., Services]
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)  # the TickingClock starts on 15 March: every time here is past
CUTOFF = datetime(2025, 3, 8, 0, 0, tzinfo=UTC)
DEPARTS = datetime(2025, 3, 15, 9, 0, tzinfo=UTC)
YEAR = Period(active_from=T0 - timedelta(days=30), active_to=T0 + timedelta(days=365))
AEA, INA = "aea_proclamation_2025", "ina_241"
ICE = Custodian(agency_id="ice", officer_id="o-1")
ESCORT = Custodian(agency_id="ice", officer_id="o-2")

# person -> (nationality, basis, facility admitted to, admitted at)
PEOPLE = {
    "p-covered": ("VE", AEA, "f-hou", T0),
    "p-salvadoran": ("SV", AEA, "f-hou", T0),
    "p-ina": ("VE", INA, "f-hou", T0),
    "p-late": ("VE", AEA, "f-hou", CUTOFF + timedelta(days=1)),
    "p-dallas": ("VE", AEA, "f-dal", T0),
    "p-unknown": ("VE", AEA, "f-nofo", T0),
    "p-moved": ("VE", AEA, "f-dal", T0),  # moved to f-hou after the cutoff, below
}
HOME = "p-home"  # VE, AEA, f-hou, before the cutoff: on a flight to Venezuela


def at(hours: float) -> datetime:
    return CUTOFF + timedelta(days=2, hours=hours)  # 10 March, after everyone's admission


@pytest.fixture
def pack(tmp_path: Path) -> str:
    """us-federal without the two gates these tests set up no records for (fitness to travel, agreements)."""
    data = yaml.safe_load(
        (Path(__file__).parents[2] / "src/habeas/gates/packs/us-federal.yaml").read_text(encoding="utf-8")
    )
    data["name"] = "class-orders-pack"
    data["gates"] = [g for g in data["gates"] if g not in ("fit_to_travel", "agreement_covers")]
    path = tmp_path / "class-orders-pack.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return str(path)


def leg(leg_id: str, to: str) -> Leg:
    return Leg(
        leg_id=leg_id, mode=TransportMode.AIR, carrier="GlobalX", vehicle="GXA-6143", origin="KHRL",
        origin_country="US", destination="MSLP" if to == "SV" else "SVMI", destination_country=to,
        scheduled_departure=DEPARTS, scheduled_arrival=DEPARTS + timedelta(hours=4), destination_facility_id="f-dest",
    )


def person(services: Services, pid: str, nationality: str, basis: str, *, facility: str, admitted: datetime,
           to: str = "SV") -> None:
    run = services.execute
    run(c.RegisterPerson(
        person_id=pid, occurred_at=T0, nationalities=(nationality,), languages=("es",),
        identifiers=(Identifier(kind=IdentifierKind.PASSPORT, value=f"X{pid.upper().replace('-', '')}",
                                country=nationality),),
    ))
    run(c.RecordRemovalOrder(order_id=f"ro-{pid}", person_id=pid, occurred_at=T0, authority="DHS", legal_basis=basis,
                             destination_country=to, final=True, period=YEAR))
    run(c.RecordNotice(notice_id=f"n-{pid}", person_id=pid, served_at=T0 + timedelta(hours=1), language="es",
                       content_type=NoticeContent.REMOVAL_ORDER, copy_to_counsel=True))
    run(c.RecordConsularNotification(notification_id=f"cn-{pid}", person_id=pid, country=nationality,
                                     offered_at=T0 + timedelta(hours=1)))
    run(c.AdmitToCustody(person_id=pid, occurred_at=admitted, facility_id=facility, unit_id="u-1", custodian=ICE,
                         authority=Authority(agency_id="ice", legal_basis=basis, record_id=f"ro-{pid}")))


def world(services: Services) -> None:
    run = services.execute
    run(c.RegisterAgency(agency_id="ice", occurred_at=T0, name="ICE", country="US", kind="immigration"))
    for officer in ("o-1", "o-2"):
        run(c.RegisterOfficer(officer_id=officer, agency_id="ice", occurred_at=T0, name=officer, role="officer",
                              public_key=bytes(32)))
    for fid, office, district in (("f-hou", "HOU", "TXSD"), ("f-dal", "dal", "txnd"), ("f-nofo", None, None)):
        run(c.RegisterFacility(facility_id=fid, occurred_at=T0, name=fid, country="US", facility_type="SPC",
                               field_office=office, district=district))
        run(c.RegisterUnit(unit_id="u-1", facility_id=fid, occurred_at=T0, label="Block 1",
                           floor_area_m2=Decimal("800"), declared_beds=200))
    run(c.RegisterFacility(facility_id="f-dest", occurred_at=T0, name="Destination", country="SV",
                           facility_type="prison"))
    run(c.RegisterUnit(unit_id="b-1", facility_id="f-dest", occurred_at=T0, label="Block 1",
                       floor_area_m2=Decimal("3200"), declared_beds=2560))
    for pid, (nationality, basis, facility, admitted) in PEOPLE.items():
        person(services, pid, nationality, basis, facility=facility, admitted=admitted)
    person(services, HOME, "VE", AEA, facility="f-hou", admitted=T0, to="VE")
    # the transfer: out of Dallas and into Houston after the cutoff; his custody began on 1 March all the same
    run(c.DepartOnLeg(person_id="p-moved", occurred_at=CUTOFF + timedelta(days=1), leg_id="l-transfer",
                      custodian=ESCORT))
    run(c.ArriveAtFacility(person_id="p-moved", occurred_at=CUTOFF + timedelta(days=1, hours=4), facility_id="f-hou",
                           unit_id="u-1", custodian=ICE))
    run(mf.CreateManifest(manifest_id="m-sv", occurred_at=at(0), journey_id="j-sv", leg_index=0, leg=leg("l-sv", "SV"),
                          people=tuple(PEOPLE)))
    run(mf.CreateManifest(manifest_id="m-ve", occurred_at=at(0), journey_id="j-ve", leg_index=0, leg=leg("l-ve", "VE"),
                          people=(HOME,)))


def class_order(order_id: str, issued: datetime, criteria: ClassCriteria) -> c.RecordCourtOrder:
    return c.RecordCourtOrder(
        order_id=order_id, issued_at=issued, court="S.D. Tex.", docket="25-cv-59", form=OrderForm.WRITTEN,
        directive=CourtOrderDirective.HALT_REMOVAL, scope=CourtOrderScope(criteria=criteria),
        period=Period(active_from=issued),
    )


CLASS = ClassCriteria(nationality_in=("VE",), legal_basis_in=(AEA,), any_third_country=True,
                      detained_before=CUTOFF, field_office_in=("HOU",))


def clear(services: Services, manifest_id: str, hours: float) -> Clearance:
    result = services.execute(mf.ClearManifest(manifest_id=manifest_id, occurred_at=at(hours)))
    assert isinstance(result.value, Clearance)
    return result.value


def court_gate(clearance: Clearance, pid: str) -> tuple[GateOutcome, str, str | None, Criterion | None]:
    [r] = [r for r in clearance.results[pid] if r.gate.value == "no_court_order_covering"]
    return r.outcome, r.reason.code, r.rests_on_record, r.criterion


def test_a_class_order_blocks_exactly_those_its_criteria_cover(make_services: MakeServices, pack: str) -> None:
    services = make_services(pack=pack)
    world(services)
    assert clear(services, "m-sv", 1).cleared
    services.execute(class_order("co-class", at(2), CLASS))

    sv = clear(services, "m-sv", 3)
    assert sv.blocked == ("p-covered", "p-unknown", "p-moved")  # manifest order
    fail, unknown, ok = GateOutcome.FAIL, GateOutcome.UNKNOWN, GateOutcome.PASS
    assert {p: court_gate(sv, p) for p in PEOPLE} == {
        "p-covered": (fail, "court-order-covers", "co-class", None),
        "p-moved": (fail, "court-order-covers", "co-class", None),
        "p-unknown": (unknown, "class-coverage-undetermined", "co-class", Criterion.FIELD_OFFICE),
        "p-salvadoran": (ok, "no-court-order-covering", None, Criterion.NATIONALITY),
        "p-ina": (ok, "no-court-order-covering", None, Criterion.LEGAL_BASIS),
        "p-late": (ok, "no-court-order-covering", None, Criterion.DETAINED_BEFORE),
        "p-dallas": (ok, "no-court-order-covering", None, Criterion.FIELD_OFFICE),
    }
    for p in sv.blocked:  # the court order is all that blocks them
        assert [r.gate.value for r in sv.results[p] if r.blocks] == ["no_court_order_covering"]

    home = clear(services, "m-ve", 3)  # home to Venezuela is not a third country
    assert home.cleared
    assert court_gate(home, HOME) == (ok, "no-court-order-covering", None, Criterion.DESTINATION)

    # the unknown is a fact to record, not a pass: once the facility's field office is registered, it decides
    seq = services.read(lambda conn: int(conn.execute(
        record.select().where(record.c.kind == "facility", record.c.record_id == "f-nofo")).first().seq))
    services.execute(c.AmendEntry(corrected_seq=seq, occurred_at=at(4), reason="field_office_added",
                                  changes={"field_office": "HOU"}))
    assert court_gate(clear(services, "m-sv", 5), "p-unknown")[:2] == (fail, "court-order-covers")
    assert_log_and_projections_clean(services)


def test_after_departure_the_alert_judges_the_same_criteria_by_the_facility_left(
    make_services: MakeServices, pack: str
) -> None:
    services = make_services(pack=pack)
    world(services)
    services.execute(class_order("co-class", at(2), CLASS))
    blocked = clear(services, "m-sv", 3).blocked
    for p in blocked:
        services.execute(mf.StrikeFromManifest(manifest_id="m-sv", occurred_at=at(4), person_id=p,
                                               reason=mf.StrikeReason.COURT_ORDER))
    assert clear(services, "m-sv", 5).cleared
    services.execute(mf.BeginBoarding(manifest_id="m-sv", occurred_at=at(6)))
    flying = [p for p in PEOPLE if p not in blocked]
    for p in flying:
        services.execute(c.DepartOnLeg(person_id=p, occurred_at=at(7), leg_id="l-sv", custodian=ESCORT))
    services.execute(mf.Depart(manifest_id="m-sv", occurred_at=at(7)))

    # in the air: Venezuelans held in the Dallas field office, removed to any third country
    services.execute(class_order("co-dallas", at(8), ClassCriteria(
        nationality_in=("VE",), any_third_country=True, field_office_in=("DAL",))))
    [alert] = services.read(alerts)
    assert (alert.manifest_id, alert.record_id, alert.person_ids, alert.undetermined_ids) == (
        "m-sv", "co-dallas", ("p-dallas",), ()
    )
    assert_log_and_projections_clean(services)


def assert_log_and_projections_clean(services: Services) -> None:
    report = services.rebuild_check()
    assert report.ok, [str(d) for d in report.differences]
    signer = services.ledger.signer
    with services.ledger.engine.connect() as conn:
        assert verify_log(conn, signer.verifier(), origin=signer.name).ok

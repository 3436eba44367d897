"""Manifests and gates through the services over a real database (SQLite and PostgreSQL, the `db` fixture):
clearance, the promoted alternate protected against the destination, class court orders before and after
departure, lapses, and a clean rebuild and log verification at the end."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from habeas.domain import commands as c
from habeas.domain import manifests as mf
from habeas.domain.agreements import Agreement, RecordAgreement
from habeas.domain.court_orders import ClassCriteria, CourtOrderDirective, CourtOrderScope, OrderForm
from habeas.domain.legal import NoticeContent, ProtectionKind
from habeas.domain.moves import Leg, TransportMode
from habeas.domain.people import Identifier, IdentifierKind
from habeas.domain.periods import Period
from habeas.gates.policy import load_pack
from habeas.ledger.verify import verify_log
from habeas.services.clearance import Clearance
from habeas.services.door import Services
from habeas.services.manifests import alerts, manifest_view

MakeServices = Callable[..., Services]
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)  # the TickingClock starts on 15 March: every time here is past
DEPARTS = datetime(2025, 3, 15, 9, 0, tzinfo=UTC)
YEAR = Period(active_from=T0 - timedelta(days=30), active_to=T0 + timedelta(days=365))
VENEZUELANS = ("p-ve-1", "p-ve-2")
SALVADORANS = ("p-sv-1",)
PROTECTED = "p-avalos"  # the alternate with withholding of removal to El Salvador


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


@pytest.fixture
def pack(tmp_path: Path) -> str:
    """us-federal without the two gates these tests set up no records for (fitness to travel, agreements)."""
    data = yaml.safe_load(
        (Path(__file__).parents[2] / "src/habeas/gates/packs/us-federal.yaml").read_text(encoding="utf-8")
    )
    data["name"] = "test-pack"
    data["gates"] = [g for g in data["gates"] if g not in ("fit_to_travel", "agreement_covers")]
    path = tmp_path / "test-pack.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert load_pack(str(path)).name == "test-pack"
    return str(path)


def leg(leg_id: str = "l-1") -> Leg:
    return Leg(
        leg_id=leg_id, mode=TransportMode.AIR, carrier="GlobalX", vehicle="GXA-6143", origin="KHRL",
        origin_country="US", destination="MSLP", destination_country="SV", scheduled_departure=DEPARTS,
        scheduled_arrival=DEPARTS + timedelta(hours=4), destination_facility_id="f-cecot",
    )


def person(services: Services, person_id: str, nationality: str, basis: str) -> None:
    run = services.execute
    run(
        c.RegisterPerson(
            person_id=person_id, occurred_at=T0, nationalities=(nationality,), languages=("es",),
            identifiers=(Identifier(kind=IdentifierKind.PASSPORT, value=f"X{person_id.upper().replace('-', '')}",
                                    country=nationality),),
        )
    )
    run(
        c.RecordRemovalOrder(
            order_id=f"ro-{person_id}", person_id=person_id, occurred_at=T0, authority="DHS", legal_basis=basis,
            destination_country="SV", final=True, period=YEAR,
        )
    )
    run(
        c.RecordNotice(
            notice_id=f"n-{person_id}", person_id=person_id, served_at=at(1), language="es",
            content_type=NoticeContent.REMOVAL_ORDER, copy_to_counsel=True,
        )
    )
    run(c.RecordConsularNotification(notification_id=f"cn-{person_id}", person_id=person_id, country=nationality,
                                     offered_at=at(1)))


def world(services: Services) -> None:
    run = services.execute
    run(c.RegisterFacility(facility_id="f-cecot", occurred_at=T0, name="CECOT", country="SV", facility_type="prison",
                           declared_capacity=40000))
    run(c.RegisterUnit(unit_id="b-1", facility_id="f-cecot", occurred_at=T0, label="Block 1",
                       floor_area_m2=Decimal("3200"), declared_beds=2560))
    for p in VENEZUELANS:
        person(services, p, "VE", "aea_designation")
    for p in SALVADORANS:
        person(services, p, "SV", "ina_241")
    person(services, PROTECTED, "SV", "ina_241")
    run(
        c.RecordProtection(
            protection_id="wr-avalos", person_id=PROTECTED, occurred_at=at(2),
            kind=ProtectionKind.WITHHOLDING_OF_REMOVAL, country="SV", granted_by="IJ Baltimore", period=YEAR,
        )
    )
    run(
        mf.CreateManifest(
            manifest_id="m-1", occurred_at=at(3), journey_id="j-1", leg_index=0, leg=leg(),
            people=(*VENEZUELANS, *SALVADORANS), alternates=(PROTECTED,),
        )
    )


def clear(services: Services, pack: str, hours: float) -> Clearance:
    # The deployment's pack (make_services(pack=...)) clears the leg: the command names none.
    result = services.execute(mf.ClearManifest(manifest_id="m-1", occurred_at=at(hours)))
    assert isinstance(result.value, Clearance)
    assert result.value.policy == load_pack(pack).name
    return result.value


def class_order(order_id: str, issued: datetime) -> c.RecordCourtOrder:
    """Like J.G.G.: a class of Venezuelans held under the wartime-powers designation."""
    return c.RecordCourtOrder(
        order_id=order_id, issued_at=issued, court="D.D.C.", docket="25-cv-766", form=OrderForm.ORAL,
        directive=CourtOrderDirective.HALT_REMOVAL,
        scope=CourtOrderScope(criteria=ClassCriteria(nationality_in=("VE",), legal_basis_in=("aea_designation",))),
        period=Period(active_from=issued, active_to=None),
    )


def assert_log_and_projections_clean(services: Services) -> None:
    report = services.rebuild_check()
    assert report.ok, [str(d) for d in report.differences]
    signer = services.ledger.signer
    with services.ledger.engine.connect() as conn:
        assert verify_log(conn, signer.verifier(), origin=signer.name).ok


def test_everyone_passes_then_the_promoted_alternate_blocks_departure(make_services: MakeServices, pack: str) -> None:
    services = make_services(pack=pack)
    world(services)
    first = clear(services, pack, 4)
    assert first.cleared
    assert first.blocked == ()
    assert set(first.results) == {*VENEZUELANS, *SALVADORANS}

    services.execute(mf.PromoteAlternate(manifest_id="m-1", occurred_at=at(5)))  # he moved up the list
    with services.ledger.engine.connect() as conn:
        assert manifest_view(conn, "m-1").status == "draft"  # promoting lapses the clearance
    second = clear(services, pack, 6)
    assert not second.cleared
    assert second.blocked == (PROTECTED,)
    failed = [r for r in second.results[PROTECTED] if r.blocks]
    assert [(r.gate.value, r.reason.code, r.rests_on_record) for r in failed] == [
        ("no_protection_against_destination", "protection-against-destination", "wr-avalos")
    ]
    with pytest.raises(mf.DepartureBlocked) as refused:
        services.execute(mf.Depart(manifest_id="m-1", occurred_at=at(7)))
    assert refused.value.person_ids == (PROTECTED,)
    assert PROTECTED in str(refused.value)

    # Struck with a reason, the others clear again and go.
    services.execute(mf.StrikeFromManifest(manifest_id="m-1", occurred_at=at(8), person_id=PROTECTED,
                                           reason=mf.StrikeReason.PROTECTION))
    assert clear(services, pack, 9).cleared
    services.execute(mf.BeginBoarding(manifest_id="m-1", occurred_at=at(10)))
    services.execute(mf.Depart(manifest_id="m-1", occurred_at=at(11)))
    with services.ledger.engine.connect() as conn:
        view = manifest_view(conn, "m-1")
        assert view.status == "departed"
        assert view.struck == (PROTECTED,)
        assert alerts(conn) == []
    assert_log_and_projections_clean(services)


def test_a_class_order_before_departure_blocks_only_those_it_covers(make_services: MakeServices, pack: str) -> None:
    services = make_services(pack=pack)
    world(services)
    assert clear(services, pack, 4).cleared
    services.execute(class_order("co-jgg", at(5)))  # recorded after clearance: the clearance lapses
    with services.ledger.engine.connect() as conn:
        assert manifest_view(conn, "m-1").status == "draft"
    with pytest.raises(mf.ManifestTransitionRefused):
        services.execute(mf.BeginBoarding(manifest_id="m-1", occurred_at=at(6)))

    again = clear(services, pack, 6)
    assert not again.cleared
    assert again.blocked == VENEZUELANS  # the Salvadoran is not in the class
    for p in VENEZUELANS:
        [blocking] = [r for r in again.results[p] if r.blocks]
        assert (blocking.gate.value, blocking.reason.code, blocking.rests_on_record) == (
            "no_court_order_covering", "court-order-covers", "co-jgg"
        )
    with pytest.raises(mf.DepartureBlocked) as refused:
        services.execute(mf.Depart(manifest_id="m-1", occurred_at=at(7)))
    assert refused.value.person_ids == VENEZUELANS
    assert_log_and_projections_clean(services)


def test_a_new_legal_record_about_someone_aboard_lapses_the_clearance(make_services: MakeServices, pack: str) -> None:
    services = make_services(pack=pack)
    world(services)
    assert clear(services, pack, 4).cleared
    services.execute(
        c.RecordStay(stay_id="st-1", person_id="p-sv-1", occurred_at=at(5), granted_by="4th Cir.", period=YEAR)
    )
    with services.ledger.engine.connect() as conn:
        assert manifest_view(conn, "m-1").status == "draft"
    assert clear(services, pack, 6).blocked == ("p-sv-1",)
    assert_log_and_projections_clean(services)


def test_an_order_after_departure_raises_a_return_required_alert(make_services: MakeServices, pack: str) -> None:
    services = make_services(pack=pack)
    world(services)
    assert clear(services, pack, 4).cleared
    services.execute(mf.BeginBoarding(manifest_id="m-1", occurred_at=at(5)))
    services.execute(mf.Depart(manifest_id="m-1", occurred_at=at(6)))
    services.execute(class_order("co-late", at(7)))
    with services.ledger.engine.connect() as conn:
        [alert] = alerts(conn)
        assert (alert.manifest_id, alert.record_id, alert.person_ids) == ("m-1", "co-late", VENEZUELANS)
        assert alert.undetermined_ids == ()
        assert manifest_view(conn, "m-1").status == "departed"
    # The people are brought back on the order.
    services.execute(mf.ReturnManifest(manifest_id="m-1", occurred_at=at(8), reason=mf.ReturnReason.COURT_ORDER,
                                       record_id="co-late"))
    services.execute(mf.CloseManifest(manifest_id="m-1", occurred_at=at(9)))
    assert_log_and_projections_clean(services)


# -- fitness to travel, with the shipped pack unchanged ------------------------------------------------------------

SHIPPED = "us-federal"


def fully_documented(services: Services) -> None:
    """The world, plus what the shipped pack needs beyond it: an agreement with El Salvador."""
    world(services)
    services.execute(RecordAgreement(occurred_at=T0, agreement=Agreement(
        agreement_id="ag-sv", sending_state="US", receiving_state="SV", term=YEAR,
        categories=("aea_designation", "ina_241"), per_diem=Decimal("20.00"), currency="USD", quota=300)))


def fitness(services: Services, person_id: str, hours: float, *, fit: bool = True,
            valid_until: datetime | None = None, assessment_id: str | None = None) -> int:
    return services.execute(c.RecordFitnessToTravel(
        assessment_id=assessment_id or f"fa-{person_id}", person_id=person_id, occurred_at=at(hours), fit=fit,
        assessed_by="clin-7", valid_until=valid_until, notes="cleared by the facility clinician",
    )).seq


def fit_result(clearance: Clearance, person_id: str) -> tuple[str, str, int | None]:
    [r] = [r for r in clearance.results[person_id] if r.gate.value == "fit_to_travel"]
    return r.outcome.value, r.reason.code, r.rests_on_seq


def test_fitness_records_clear_the_shipped_pack_and_an_unfit_finding_blocks(make_services: MakeServices) -> None:
    services = make_services()
    fully_documented(services)
    without = clear(services, SHIPPED, 3.5)  # no fitness record: missing data is not consent
    assert without.blocked == (*VENEZUELANS, *SALVADORANS)
    assert {fit_result(without, p) for p in without.blocked} == {("unknown", "no-medical-clearance", None)}
    assert {r.gate.value for p in without.blocked for r in without.results[p] if r.blocks} == {"fit_to_travel"}

    seqs = {p: fitness(services, p, 3.6, valid_until=DEPARTS + timedelta(days=1)) for p in (*VENEZUELANS, *SALVADORANS)}
    first = clear(services, SHIPPED, 4)
    blocking = {p: [(r.gate.value, r.reason.code) for r in rs if r.blocks] for p, rs in first.results.items()}
    assert first.cleared, blocking
    assert first.blocked == ()
    for p, seq in seqs.items():
        assert fit_result(first, p) == ("pass", "fit-to-travel", seq)

    # Assessed again, unfit: the clearance lapses and only that person is blocked, on that record.
    unfit = fitness(services, "p-sv-1", 5, fit=False, assessment_id="fa-p-sv-1-2")
    with services.ledger.engine.connect() as conn:
        assert manifest_view(conn, "m-1").status == "draft"
    second = clear(services, SHIPPED, 6)
    assert not second.cleared
    assert second.blocked == ("p-sv-1",)
    failed = [(r.gate.value, r.reason.code, r.rests_on_seq) for r in second.results["p-sv-1"] if r.blocks]
    assert failed == [("fit_to_travel", "not-fit-to-travel", unfit)]
    with pytest.raises(mf.DepartureBlocked) as refused:
        services.execute(mf.Depart(manifest_id="m-1", occurred_at=at(7)))
    assert refused.value.person_ids == ("p-sv-1",)
    assert_log_and_projections_clean(services)


def test_an_expired_fitness_assessment_is_unknown_until_renewed(make_services: MakeServices) -> None:
    services = make_services()
    fully_documented(services)
    for p in (*VENEZUELANS, *SALVADORANS):
        fitness(services, p, 3.5)  # open-ended
    fitness(services, "p-ve-2", 3.6, valid_until=DEPARTS, assessment_id="fa-p-ve-2-short")  # expires at wheels-up
    first = clear(services, SHIPPED, 4)
    assert first.blocked == ("p-ve-2",)
    assert fit_result(first, "p-ve-2") == ("unknown", "no-medical-clearance", None)  # the latest has expired

    renewed = fitness(services, "p-ve-2", 5, valid_until=DEPARTS + timedelta(hours=12), assessment_id="fa-p-ve-2-3")
    second = clear(services, SHIPPED, 6)
    assert second.cleared
    assert fit_result(second, "p-ve-2") == ("pass", "fit-to-travel", renewed)
    assert_log_and_projections_clean(services)

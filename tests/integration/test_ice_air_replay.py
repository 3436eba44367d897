"""The ICE Air replay's code (benchmarks/ice_air*.py), not its speed, on a tiny slice of the real file (SQLite and
PostgreSQL): every person ends admitted at the drop-off with custody passed on a completed dual-signed receipt,
each manifest closed, the log verifies and the projections rebuild from it; a removal abroad is cleared by the
shipped us-federal pack, a transfer inside the US by the domestic pack, a pick-up abroad by the returns pack; and
yesterday's arrivals leave before today's come."""

from __future__ import annotations

from pathlib import Path

import pytest
from benchmarks import ice_air_people as ip
from benchmarks import ice_air_world as iw
from benchmarks.ice_air_data import RouteDay, Selection, by_date, load_airports, peaks, route_days
from benchmarks.ice_air_replay import Flight, Replay
from benchmarks.ice_air_run import open_doors
from sqlalchemy import select

from habeas.domain.custody import CustodyStatus
from habeas.domain.manifest_events import ManifestStatus
from habeas.services.custody import custody_state
from habeas.services.door import Services
from habeas.services.handoffs import handoff_view
from habeas.storage.projections.manifests import gate_result, load_manifest
from tests.conftest import Db

KAEX_KHRL_R, KAEX_MGGT_R, KCSG_KAEX_T = 9958, 9960, 9977  # 2012-04-19: removal staged in Texas, abroad, transfer
KSAT_MSLP_R, MSLP_KSAT_T, KIWA_KIWA_T = 8494, 8512, 8529  # 2012-02-02 (a pick-up abroad), 2012-02-03 (by road)


def _days(day: str, rows: set[int], cap: int) -> list[RouteDay]:
    return [d for d in route_days(Selection(day=day, cap=cap)) if d.row in rows]


def _replay(db: Db, tmp_path: Path, days: list[RouteDay]) -> tuple[Services, list[list[Flight]], Replay]:
    world = iw.make_world(load_airports(), peaks(days))
    services, domestic = open_doors(db.settings, db.schema, tmp_path, world)
    services.execute_many(iw.setup_commands(world))
    run = Replay(services, domestic, world, ip.Roster(2012))
    flown = []
    for group in by_date(days):
        run.date(group)
        flown.append(run.arrived)
    return services, flown, run


def _packs(services: Services, manifest_id: str) -> set[str]:
    """The packs whose gates cleared the manifest (each result records its pack)."""
    with services.ledger.engine.connect() as conn:
        return set(conn.execute(select(gate_result.c.policy).where(gate_result.c.manifest_id == manifest_id))
                   .scalars())


def _admitted_with_custody_passed(services: Services, f: Flight) -> None:
    intake = iw.intake_officer(f.destination)
    with services.ledger.engine.connect() as conn:
        for p in f.ids:
            state = custody_state(conn, p)
            assert (state.status, state.facility_id) == (CustodyStatus.IN_CUSTODY, iw.receiving_facility(f.destination))
            assert state.custodian is not None
            assert (state.custodian.agency_id, state.custodian.officer_id) == (intake.agency, intake.officer)
        receipt = handoff_view(conn, f.receipt_id)
        assert receipt.completed_seq is not None
        assert receipt.person_ids == f.ids
        assert receipt.releasing == f"{iw.escort(f.origin).officer}@{iw.agency_id(f.origin.country)}"
        assert receipt.receiving == f"{f.receiver().officer}@{iw.agency_id(f.destination.country)}"
        assert {role for role, _, _ in receipt.signatures} == {"releasing", "receiving"}
        manifest = load_manifest(conn, f.manifest_id, with_results=False)
        assert manifest is not None
        assert manifest.status is ManifestStatus.CLOSED


def _log_is_sound(services: Services) -> None:
    assert services.verify().ok
    rebuilt = services.rebuild_check()
    assert rebuilt.ok, [str(d) for d in rebuilt.differences]
    assert rebuilt.entries == services.size()


def test_every_person_of_a_day_ends_admitted_at_the_drop_off(db: Db, tmp_path: Path) -> None:
    days = _days("2012-04-19", {KAEX_KHRL_R, KAEX_MGGT_R, KCSG_KAEX_T}, cap=3)
    services, (flights,), run = _replay(db, tmp_path, days)
    try:
        assert [f.day.row for f in flights] == [KAEX_KHRL_R, KAEX_MGGT_R, KCSG_KAEX_T]
        assert [len(f.people) for f in flights] == [3, 3, 3]
        assert [(f.domestic, f.abroad, f.removal) for f in flights] == [
            (True, False, True), (False, True, True), (True, False, False)]
        # the people removed to Guatemala are Guatemalan: their order names the country the leg goes to
        assert {p.nationality for p in flights[1].people} == {"GT"}
        for f in flights:
            _admitted_with_custody_passed(services, f)
        assert [_packs(services, f.manifest_id) for f in flights] == [
            {iw.DOMESTIC_PACK}, {"us-federal"}, {iw.DOMESTIC_PACK}]
        assert run.people == 9
        assert run.route_days == 3
        steps = run.profile.steps
        assert steps["register"].commands == 9
        assert steps["depart"].commands == 9 + 3 * 2  # each person, each manifest, each departure count
        assert steps["admit"].commands == 9 + 3 * 2  # each person, each intake count, each close
        assert run.profile.entries == services.size() - len(iw.setup_commands(run.world))
        _log_is_sound(services)
    finally:
        services.close()


def test_a_pick_up_abroad_a_move_by_road_and_yesterdays_arrivals_released(db: Db, tmp_path: Path) -> None:
    days = [*_days("2012-02-02", {KSAT_MSLP_R, MSLP_KSAT_T}, cap=2), *_days("2012-02-03", {KIWA_KIWA_T}, cap=2)]
    services, (first, second), run = _replay(db, tmp_path, days)
    try:
        assert [f.day.row for f in first] == [KSAT_MSLP_R, MSLP_KSAT_T]
        back = first[1]
        assert (back.origin.country, back.destination.country, len(back.people)) == ("SV", "US", 1)
        assert _packs(services, back.manifest_id) == {iw.RETURNS_PACK}
        (road,) = second
        assert road.by_road
        assert _packs(services, road.manifest_id) == {iw.DOMESTIC_PACK}
        _admitted_with_custody_passed(services, road)
        with services.ledger.engine.connect() as conn:
            for f in first:  # admitted at the drop-off on the first date, and gone from it on the next
                assert handoff_view(conn, f.receipt_id).completed_seq is not None
                assert {custody_state(conn, p).status for p in f.ids} == {CustodyStatus.RELEASED}
        assert run.profile.steps["release"].commands == 3
        _log_is_sound(services)
    finally:
        services.close()


@pytest.mark.parametrize("row", [KAEX_MGGT_R])
def test_the_world_names_a_country_for_every_airport_of_the_file(row: int) -> None:
    airports = load_airports()
    every = route_days(Selection())
    assert {d.origin for d in every} | {d.destination for d in every} <= set(airports)
    assert {a.country for a in airports.values()} >= {"US", "GT", "SV", "HN", "MX"}
    assert airports["TJSJ"].country == "US"  # San Juan: a domestic move
    assert next(d for d in every if d.row == row).destination == "MGGT"

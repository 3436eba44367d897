"""The departure of a whole boarding manifest through the services (SQLite and PostgreSQL): everyone aboard departs
on its leg and the manifest departs, in ONE transaction; the struck stay behind; one refusal records nothing; the
log verifies and the projections rebuild. And the intake's commands built for a plan, as admit_manifest records
them."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from habeas.domain import manifests as mf
from habeas.domain.custody import CustodyStatus
from habeas.domain.errors import UnknownRecord
from habeas.domain.invariants import ManifestNotReady
from habeas.domain.manifest_events import ManifestStatus, StrikeReason
from habeas.services.bulk import BatchRefused, depart_manifest, departure, intake_commands, manifest_intake_plan
from habeas.services.custody import custody_state
from habeas.services.door import Services
from habeas.services.intake import AdmitAtIntake
from habeas.storage.projections.manifests import load_manifest
from tests.integration import bulk_world as bw
from tests.integration.test_services import MakeServices, assert_rebuild_equal, verify


def _checkpoints(services: Services) -> int:
    with services.ledger.engine.connect() as conn:
        return int(conn.execute(text("SELECT COUNT(*) FROM ledger_checkpoint")).scalar_one())


def _cleared(services: Services, ids: tuple[str, ...], *, board: bool = True) -> None:
    """The manifest drawn up and cleared (and boarding begun), as bulk_world.fly does before departure."""
    services.execute(mf.CreateManifest(manifest_id=bw.MANIFEST, occurred_at=bw.at(-120), journey_id="j-1",
                                       leg_index=0, leg=bw.leg(), people=ids), bw.ICE)
    cleared = services.execute(mf.ClearManifest(manifest_id=bw.MANIFEST, occurred_at=bw.at(-90)), bw.ICE).value
    assert getattr(cleared, "cleared", False), cleared
    if board:
        services.execute(mf.BeginBoarding(manifest_id=bw.MANIFEST, occurred_at=bw.at(-60)), bw.ICE)


def _status(services: Services) -> ManifestStatus:
    with services.ledger.engine.connect() as conn:
        m = load_manifest(conn, bw.MANIFEST, with_results=False)
    assert m is not None
    return m.status


def test_everyone_aboard_departs_with_the_manifest_in_one_transaction(
    make_services: MakeServices, tmp_path: Path
) -> None:
    services = make_services(bw.write_pack(tmp_path))
    ids = bw.world(services, 6)
    _cleared(services, ids)
    checkpoints, size = _checkpoints(services), services.ledger.size()

    results = depart_manifest(services, bw.MANIFEST, bw.ICE, custodian=bw.ICE_OFFICER, occurred_at=bw.at(0))

    assert len(results) == len(ids) + 1  # each person, then the manifest
    assert services.ledger.size() == size + sum(len(r.seqs) for r in results)
    assert _checkpoints(services) == checkpoints + 1  # one transaction: one signed checkpoint
    assert _status(services) is ManifestStatus.DEPARTED
    with services.ledger.engine.connect() as conn:
        for p in ids:
            state = custody_state(conn, p)
            assert (state.status, state.leg_id, state.custodian) == (CustodyStatus.IN_TRANSIT, "l-1", bw.ICE_OFFICER)
    assert_rebuild_equal(services)
    assert verify(services).ok


def test_the_struck_stay_behind_and_the_rest_depart(make_services: MakeServices, tmp_path: Path) -> None:
    services = make_services(bw.write_pack(tmp_path))
    ids = bw.world(services, 4)
    _cleared(services, ids, board=False)
    services.execute(mf.StrikeFromManifest(manifest_id=bw.MANIFEST, occurred_at=bw.at(-80), person_id="p-002",
                                           reason=StrikeReason.PROTECTION), bw.ICE)
    services.execute(mf.BeginBoarding(manifest_id=bw.MANIFEST, occurred_at=bw.at(-60)), bw.ICE)

    commands = services.read(departure, bw.MANIFEST, custodian=bw.ICE_OFFICER, occurred_at=bw.at(0))
    assert [getattr(cmd, "person_id", None) for cmd in commands] == ["p-001", "p-003", "p-004", None]
    depart_manifest(services, bw.MANIFEST, bw.ICE, custodian=bw.ICE_OFFICER, occurred_at=bw.at(0))
    with services.ledger.engine.connect() as conn:
        assert custody_state(conn, "p-002").status is CustodyStatus.IN_CUSTODY
        assert {custody_state(conn, p).status for p in ("p-001", "p-003", "p-004")} == {CustodyStatus.IN_TRANSIT}
    assert_rebuild_equal(services)


def test_a_manifest_not_boarding_departs_nobody(make_services: MakeServices, tmp_path: Path) -> None:
    services = make_services(bw.write_pack(tmp_path))
    ids = bw.world(services, 3)
    _cleared(services, ids, board=False)
    size = services.ledger.size()
    with pytest.raises(BatchRefused) as refused:
        depart_manifest(services, bw.MANIFEST, bw.ICE, custodian=bw.ICE_OFFICER, occurred_at=bw.at(0))
    assert refused.value.index == 0
    assert isinstance(refused.value.cause, ManifestNotReady)
    assert str(refused.value).startswith("person p-001: ")
    assert services.ledger.size() == size
    assert _status(services) is ManifestStatus.CLEARED
    with pytest.raises(UnknownRecord):
        services.read(departure, "m-9", custodian=bw.ICE_OFFICER, occurred_at=bw.at(0))


def test_intake_commands_are_what_admit_manifest_records(make_services: MakeServices, tmp_path: Path) -> None:
    services = make_services(bw.write_pack(tmp_path))
    ids = bw.world(services, 3)
    bw.fly(services, ids)
    bw.hand_over(services, ids)
    plan = services.read(manifest_intake_plan, bw.MANIFEST)
    commands = intake_commands(plan, custodian=bw.SV_OFFICER, commitment_authority="DGCP", occurred_at=bw.at(300),
                               receipt_id=bw.RECEIPT)
    assert [type(cmd) for cmd in commands] == [AdmitAtIntake] * 3
    assert [(cmd.admission.person_id, cmd.admission.admission_id, cmd.receipt_id) for cmd in commands] == [
        (p, f"adm-{bw.MANIFEST}-{p}", bw.RECEIPT) for p in ids]
    services.execute_many(list(commands), bw.DGCP)
    with services.ledger.engine.connect() as conn:
        assert {custody_state(conn, p).facility_id for p in ids} == {"f-sv"}
    assert_rebuild_equal(services)

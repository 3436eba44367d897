"""The intake of a whole arrived manifest through the services (SQLite and PostgreSQL): everyone the manifest lists
is admitted at the leg's destination, each into a unit the rules choose, in ONE transaction; whoever a count did
not find is left out and named; one refusal records nothing; the log verifies and the projections rebuild."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import text

from habeas.domain import commands as c
from habeas.domain.custody import CustodyStatus
from habeas.domain.intake import NoUnitAvailable
from habeas.domain.manifest_intake import ManifestNotArrived, NobodyToAdmit
from habeas.domain.people import Sex
from habeas.services.bulk import BatchRefused, admit_manifest, manifest_intake_plan
from habeas.services.custody import custody_state
from habeas.services.door import Services
from tests.integration import bulk_world as bw
from tests.integration.test_services import MakeServices, assert_rebuild_equal, verify


def _checkpoints(services: Services) -> int:
    with services.ledger.engine.connect() as conn:
        return int(conn.execute(text("SELECT COUNT(*) FROM ledger_checkpoint")).scalar_one())


def _admit(services: Services, manifest: str = bw.MANIFEST) -> list[object]:
    plan = services.read(manifest_intake_plan, manifest)
    return list(admit_manifest(services, plan, bw.DGCP, custodian=bw.SV_OFFICER, commitment_authority="DGCP",
                               occurred_at=bw.at(300), receipt_id=bw.RECEIPT))


def test_everyone_found_on_an_arrived_manifest_is_admitted_in_one_transaction(
    make_services: MakeServices, tmp_path: Path
) -> None:
    services = make_services(bw.write_pack(tmp_path))
    ids = bw.world(services, 10)
    bw.fly(services, ids, missing=("p-004",))
    found = [p for p in ids if p != "p-004"]
    bw.hand_over(services, found)

    plan = services.read(manifest_intake_plan, bw.MANIFEST)
    assert (plan.facility_id, plan.admit, dict(plan.missing)) == (
        "f-sv", tuple(found), {"p-004": "hc-arrival.discrepancy"}
    )
    checkpoints, size = _checkpoints(services), services.ledger.size()
    admitted = admit_manifest(services, plan, bw.DGCP, custodian=bw.SV_OFFICER, commitment_authority="DGCP",
                              occurred_at=bw.at(300), receipt_id=bw.RECEIPT)
    assert [a.person_id for a in admitted] == found
    # ICRC, 3.4 m² a person: a 14 m² cell takes four; the rules fill them in registration order
    assert Counter(a.unit_id for a in admitted) == {"c-1": 4, "c-2": 4, "c-3": 1}
    assert services.ledger.size() == size + sum(len(a.seqs) for a in admitted)
    assert _checkpoints(services) == checkpoints + 1  # one transaction: one signed checkpoint
    with services.ledger.engine.connect() as conn:
        for a in admitted:
            state = custody_state(conn, a.person_id)
            assert (state.status, state.facility_id, state.unit_id, state.custodian) == (
                CustodyStatus.IN_CUSTODY, "f-sv", a.unit_id, bw.SV_OFFICER)
        # the man the arrival count did not find is not admitted: still in transit, the incident open
        assert custody_state(conn, "p-004").status is CustodyStatus.IN_TRANSIT

    # a second intake has no one left to admit, and says why
    with pytest.raises(NobodyToAdmit, match=r"9 already held at the destination, 1 not found at a count"):
        _admit(services)
    assert_rebuild_equal(services)
    assert verify(services).ok


def test_one_person_refused_refuses_the_whole_manifest_and_names_him(
    make_services: MakeServices, tmp_path: Path
) -> None:
    # Three cells of 7 m² hold two people each (ICRC): room for the five aboard when the flight was cleared, but
    # two local prisoners were put in the third cell since, so the fifth man has no unit: no one is admitted.
    services = make_services(bw.write_pack(tmp_path))
    ids = bw.world(services, 5, cells=3, cell_m2="7")
    bw.fly(services, ids)
    bw.hand_over(services, ids)
    for local in ("p-local-1", "p-local-2"):
        services.execute(c.RegisterPerson(person_id=local, occurred_at=bw.T0, sex=Sex.MALE), bw.DGCP)
        services.execute(c.AdmitToCustody(person_id=local, occurred_at=bw.at(280), facility_id="f-sv", unit_id="c-3",
                                          custodian=bw.SV_OFFICER, authority=bw.DHS), bw.DGCP)
    size = services.ledger.size()
    with pytest.raises(BatchRefused) as refused:
        _admit(services)
    assert refused.value.index == 4
    assert isinstance(refused.value.cause, NoUnitAvailable)
    assert str(refused.value).startswith("person p-005: ")
    assert "nothing of the batch was recorded" in str(refused.value)
    assert services.ledger.size() == size
    with services.ledger.engine.connect() as conn:
        assert {custody_state(conn, p).status for p in ids} == {CustodyStatus.HANDED_OVER}
    assert_rebuild_equal(services)


def test_a_manifest_still_in_the_air_is_not_admitted(make_services: MakeServices, tmp_path: Path) -> None:
    services = make_services(bw.write_pack(tmp_path))
    ids = bw.world(services, 2)
    bw.fly(services, ids)
    from habeas.domain import manifests as mf

    # a second manifest, drawn up but never flown
    services.execute(mf.CreateManifest(manifest_id="m-2", occurred_at=bw.at(-100), journey_id="j-2", leg_index=0,
                                       leg=bw.leg(), people=ids), bw.ICE)
    with pytest.raises(ManifestNotArrived, match=r"manifest 'm-2' is draft, not arrived"):
        _admit(services, "m-2")
    with pytest.raises(Exception, match=r"unknown manifest 'm-9'"):
        _admit(services, "m-9")

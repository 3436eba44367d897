"""Issue 10's findings 1, 2, 3 and 9, replayed over HTTP as the agencies' officers would, on SQLite and PostgreSQL.

Each was a hole that reopened a failure of the March 2025 operation: the gates bypassed by choosing the pack,
custody steps by an agency that does not hold the person (the dual-signed handoff sidestepped), a death that
notified nobody when reported through the custody route, and one agency writing another's reference data.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from habeas.domain import commands as c
from habeas.domain.actors import Role
from habeas.domain.custody import CustodyStatus
from habeas.ledger.entry import parse_leaf
from habeas.storage.projections.notifications import notification
from tests.e2e.api.conftest import AGENCY_A, AGENCY_B, T0, ApiWorld
from tests.e2e.api.test_handoff_api import RECEIPT, arrange, custody_of, sign
from tests.e2e.api.test_operation_api import OFFICER_A, problem

PACKS = Path(__file__).parents[3] / "src/habeas/gates/packs"


def _types(world: ApiWorld, seqs: list[int]) -> list[str]:
    return [parse_leaf(world.services.leaf(s))["type"] for s in seqs]


def test_an_agency_cannot_step_custody_of_someone_it_does_not_hold(api_world: ApiWorld) -> None:
    # Finding 2: ICE recorded the death of, released and reassigned people held by the Salvadoran agency; the
    # Salvadoran agency released a man ICE held after ICE had only issued an (unsigned) handoff receipt.
    signers = arrange(api_world)  # p-1 and p-2 held by A
    a, b = api_world.client(Role.COORDINATOR, AGENCY_A), api_world.client(Role.COORDINATOR, AGENCY_B)
    assert a.post("/handoffs", json=RECEIPT).status_code == 201  # B now sees p-1 and p-2, but A holds them
    steps: list[tuple[str, dict[str, Any]]] = [
        ("release", {"reason": "bond"}), ("death", {"reason": "medical"}), ("escape", {}),
        ("reassign", {"custodian": {"agency_id": AGENCY_B, "officer_id": "o-b"}}),
        ("remove", {"country": "VE"}), ("rehouse", {"unit_id": "b1"}),
    ]
    size = api_world.services.size()
    for step, body in steps:
        refused = problem(b.post(f"/people/p-1/custody/{step}", json=body), 403, "not-the-custodian")
        assert (refused["person_id"], refused["agency"], refused["holder"]) == ("p-1", AGENCY_B, AGENCY_A)
    # not even A may hand its custody to B's officer other than by the completed handoff
    problem(a.post("/people/p-1/custody/reassign", json={"custodian": {"agency_id": AGENCY_B, "officer_id": "o-b"}}),
            403, "not-the-custodian")
    assert api_world.services.size() == size
    assert custody_of(api_world, "p-1").custodian == OFFICER_A

    # Both officers sign: custody passes to B, and now A is the one refused.
    receipt = api_world.client(Role.ESCORT, AGENCY_A).get("/handoffs/hr-1/receipt").content
    signed = {"releasing_signature": sign(signers["o-a"], receipt),
              "receiving_signature": sign(signers["o-b"], receipt)}
    done = api_world.client(Role.INTAKE, AGENCY_B).post("/handoffs/hr-1/signatures", json=signed)
    assert done.status_code in (200, 201), done.text
    assert custody_of(api_world, "p-1").custodian.agency_id == AGENCY_B
    for step, body in steps[:3]:
        problem(a.post(f"/people/p-1/custody/{step}", json=body), 403, "not-the-custodian")
    held = custody_of(api_world, "p-1")  # handed over to B on the apron, and nothing A tried changed it
    assert (held.status, held.custodian.agency_id) == (CustodyStatus.HANDED_OVER, AGENCY_B)


def test_a_death_through_the_custody_route_notifies_as_through_incidents(api_world: ApiWorld) -> None:
    # Finding 3: POST /incidents (death) made next of kin and the independent authority due; the custody route
    # recorded the same death and notified nobody. Now both are the one incident command.
    arrange(api_world)
    escort = api_world.client(Role.ESCORT, AGENCY_A)
    by_route = escort.post("/people/p-1/custody/death", json={"reason": "medical"})
    assert by_route.status_code == 200, by_route.text
    by_incident = escort.post("/incidents", json={"kind": "death", "person_ids": ["p-2"]})
    assert by_incident.status_code == 201, by_incident.text
    assert _types(api_world, by_route.json()["seqs"]) == _types(api_world, by_incident.json()["seqs"]) == [
        "incident.opened", "notification.due", "notification.due", "custody.changed"]
    with api_world.services.ledger.engine.connect() as conn:
        due = sorted((r.person_id, r.recipient) for r in conn.execute(select(notification)))
    assert due == [("p-1", "independent_authority"), ("p-1", "next_of_kin"),
                   ("p-2", "independent_authority"), ("p-2", "next_of_kin")]
    for pid in ("p-1", "p-2"):
        assert custody_of(api_world, pid).status is CustodyStatus.DECEASED


def test_a_request_cannot_choose_the_policy_pack(api_world: ApiWorld, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # Finding 1: {"policy": "weak.yaml"} loaded a file from the server's working directory and the manifest
    # cleared a man protected against the destination; a missing file told the caller whether a path existed.
    weak = tmp_path / "weak.yaml"
    weak.write_text((PACKS / "us-federal.yaml").read_text(encoding="utf-8").replace(
        "name: us-federal", "name: weak").replace("  - no_protection_against_destination", ""), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    arrange(api_world)
    coord = api_world.client(Role.COORDINATOR, AGENCY_A)
    legal = api_world.client(Role.LEGAL, AGENCY_A)
    r = legal.post("/people/p-1/protections", json={
        "kind": "withholding_of_removal", "country": "SV", "granted_by": "IJ", "active_from": "2024-01-01T00:00:00Z"})
    assert r.status_code == 201, r.text
    made = coord.post("/manifests", json={
        "id": "m-1", "journey_id": "j-1", "people": ["p-1"], "leg_id": "l-1", "mode": "air", "carrier": "GlobalX",
        "vehicle": "GXA-1", "origin": "KHRL", "origin_country": "US", "destination": "MSLP",
        "destination_country": "SV", "scheduled_departure": "2025-03-15T21:00:00Z",
        "scheduled_arrival": "2025-03-16T03:00:00Z"})
    assert made.status_code == 201, made.text
    size = api_world.services.size()
    answers = [coord.post("/manifests/m-1/clear", json={"policy": name}) for name in ("weak.yaml", "nowhere.yaml")]
    for answer in answers:
        problem(answer, 422, "invalid-input")
    # the same answer whether or not the file exists: nothing about the server's disk
    assert answers[0].json()["detail"] == answers[1].json()["detail"]
    assert api_world.services.size() == size
    cleared = coord.post("/manifests/m-1/clear", json={})
    assert cleared.status_code == 200, cleared.text
    assert (cleared.json()["cleared"], cleared.json()["blocked"]) == (False, ["p-1"])
    # every gate result names the pack and the hash of its bytes
    shipped = hashlib.sha256((PACKS / "us-federal.yaml").read_bytes()).hexdigest()
    gates = [parse_leaf(api_world.services.leaf(s)) for s in cleared.json()["seqs"]]
    evaluated = [g for g in gates if g["type"] == "gate.evaluated"]
    assert evaluated
    assert {(json.dumps(g["body"]["policy"]), g["body"]["pack_sha256"]) for g in evaluated} == {
        ('"us-federal"', shipped)}


def test_an_agency_writes_only_its_own_reference_data(api_world: ApiWorld) -> None:
    # Finding 9: the Salvadoran coordinator added a 100,000 m² unit to ICE's facility (floor area feeds the
    # capacity gate); a Salvadoran admin created an agency claiming country US.
    api_world.services.execute(c.RegisterFacility(facility_id="f-a", occurred_at=T0, name="SPC", country="US",
                                                  facility_type="spc", operating_agency_id=AGENCY_A),
                               api_world.actor(AGENCY_A))
    b_coord, b_admin = api_world.client(Role.COORDINATOR, AGENCY_B), api_world.client(Role.ADMIN, AGENCY_B)
    unit = {"label": "Hangar", "floor_area_m2": 100_000, "declared_beds": 5_000}
    refused = problem(b_coord.post("/facilities/f-a/units", json=unit), 403, "not-yours")
    assert (refused["owner"], refused["agency"]) == (AGENCY_A, AGENCY_B)
    problem(b_admin.post("/agencies", json={"id": "ag-us", "name": "ICE", "country": "US", "kind": "immigration"}),
            403, "not-yours")
    problem(b_admin.post(f"/agencies/{AGENCY_A}/officers", json={
        "id": "o-x", "name": "X", "role": "escort", "public_key": "A" * 43 + "="}), 403, "not-yours")  # its key
    # would sign custody away
    problem(b_coord.post("/facilities", json={"name": "X", "country": "US", "facility_type": "spc",
                                              "operating_agency_id": AGENCY_A}), 403, "not-yours")
    ok = api_world.client(Role.COORDINATOR, AGENCY_A).post("/facilities/f-a/units", json={**unit, "floor_area_m2": 400})
    assert ok.status_code == 201, ok.text

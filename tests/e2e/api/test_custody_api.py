"""Custody over HTTP, on SQLite and PostgreSQL: the four answers with their entries and a proof anyone can
check, every transition, refused transitions as 409 problems with the ids, and the 403/404/422 refusals."""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import select

from habeas.domain import commands as c
from habeas.domain.actors import Role
from habeas.ledger.tlog_proof import parse_tlog_proof, verify_tlog_proof
from habeas.storage.access import access_log
from tests.e2e.api.conftest import AGENCY_A, AGENCY_B, T0, ApiWorld

CUSTODIAN = {"agency_id": AGENCY_A, "officer_id": "o-a"}
AUTHORITY = {"agency_id": AGENCY_A, "legal_basis": "ina_236"}
ADMIT = {"facility_id": "f-1", "unit_id": "u-1", "custodian": CUSTODIAN, "authority": AUTHORITY}


def arrange(world: ApiWorld) -> str:
    """Officers of both agencies, a facility of agency A with two units, and a person A registered."""
    run, actor = world.services.execute, world.actor(AGENCY_A)
    for officer, agency in (("o-a", AGENCY_A), ("o-a2", AGENCY_A), ("o-b", AGENCY_B)):
        run(c.RegisterOfficer(officer_id=officer, agency_id=agency, occurred_at=T0, name=officer, role="escort",
                              public_key=bytes(32)), world.actor(agency))  # an agency registers its own officers
    run(c.RegisterFacility(facility_id="f-1", occurred_at=T0, name="Krome", country="US", facility_type="spc"), actor)
    for unit in ("u-1", "u-2"):
        run(c.RegisterUnit(unit_id=unit, facility_id="f-1", occurred_at=T0, label=unit.upper(),
                           floor_area_m2=Decimal(40), declared_beds=10), actor)
    r = world.client(Role.COORDINATOR).post("/people", json={"name": {"given_names": ["Luis"]}})
    assert r.status_code == 201, r.text
    pid: str = r.json()["id"]
    return pid


def post(client: httpx.Client, pid: str, transition: str, body: dict[str, Any]) -> httpx.Response:
    return client.post(f"/people/{pid}/custody/{transition}", json=body)


def test_admit_then_custody_answers_with_the_entries_and_a_proof(api_world: ApiWorld) -> None:
    pid = arrange(api_world)
    r = post(api_world.client(Role.INTAKE), pid, "admit", {
        **ADMIT, "authority": {**AUTHORITY, "record_id": "ro-9"}, "occurred_at": "2025-03-02T09:00:00-05:00"})
    assert r.status_code == 200, r.text
    (seq,) = r.json()["seqs"]
    assert r.json()["id"] == pid

    auditor = api_world.client(Role.AUDITOR)
    got = auditor.get(f"/people/{pid}/custody")
    assert got.status_code == 200, got.text
    v = got.json()
    assert (v["status"], v["since"], v["seq"]) == ("in_custody", "2025-03-02T14:00:00Z", seq)
    assert (v["custodian_agency"], v["custodian_officer"]) == (AGENCY_A, "o-a")
    assert (v["facility_id"], v["facility_name"], v["unit_id"], v["unit_label"]) == ("f-1", "Krome", "u-1", "U-1")
    assert (v["authority_agency"], v["authority_basis"], v["authority_record"]) == (AGENCY_A, "ina_236", "ro-9")
    assert v["authority_seq"] == seq  # ro-9 is not on record here: the custody entry is what the answer rests on
    assert [(a["question"], a["seq"]) for a in v["answers"]] == [
        ("who holds", seq), ("where", seq), ("since when", seq), ("under what authority", seq)]
    assert "Krome (f-1), unit U-1 (u-1)" in v["answers"][1]["answer"]
    assert v["proof"] is None

    proved = auditor.get(f"/people/{pid}/custody", params={"proof": "true"}).json()["proof"]
    assert proved["seq"] == seq
    leaf = base64.b64decode(proved["leaf"])
    assert leaf == api_world.services.ledger.leaf(seq)
    checkpoint = verify_tlog_proof(
        parse_tlog_proof(proved["tlog_proof"]), leaf, [api_world.services.ledger.signer.verifier()]
    )
    assert checkpoint.size == proved["tree_size"] > seq

    with api_world.services.ledger.engine.connect() as conn:
        rows = list(conn.execute(select(access_log).where(access_log.c.user_id == "ag-a-auditor")))
    assert [(r.subject_id, r.request) for r in rows] == [(pid, f"GET /people/{pid}/custody")] * 2


def test_every_transition_over_http(api_world: ApiWorld) -> None:
    pid = arrange(api_world)
    escort = api_world.client(Role.ESCORT)
    walk: list[tuple[str, dict[str, Any], str]] = [
        ("admit", ADMIT, "in_custody"),
        ("rehouse", {"unit_id": "u-2", "reason": "separation"}, "in_custody"),
        ("reassign", {"custodian": {"agency_id": AGENCY_A, "officer_id": "o-a2"}}, "in_custody"),
        ("authority", {"authority": {"agency_id": AGENCY_A, "legal_basis": "ina_241"}}, "in_custody"),
        ("depart", {"leg_id": "flt-1", "custodian": CUSTODIAN}, "in_transit"),
        ("arrive", {"facility_id": "f-1", "unit_id": "u-1", "custodian": CUSTODIAN}, "in_custody"),
        ("hand-over", {"country": "sv", "custodian": {"agency_id": AGENCY_A, "officer_id": "o-a"},
                       "authority": {"agency_id": AGENCY_A, "legal_basis": "ina_241"}}, "handed_over"),
        ("admit", ADMIT, "in_custody"),
        ("release", {"reason": "court_order"}, "released"),
        ("admit", ADMIT, "in_custody"),
        ("remove", {"country": "MX"}, "removed"),
        ("admit", ADMIT, "in_custody"),
        ("escape", {}, "escaped"),
        ("admit", ADMIT, "in_custody"),
        ("death", {"reason": "medical"}, "deceased"),
    ]
    seqs = []
    for transition, body, status in walk:
        r = post(escort, pid, transition, body)
        assert r.status_code == 200, (transition, r.text)
        seqs += r.json()["seqs"]
        v = escort.get(f"/people/{pid}/custody").json()
        assert (v["status"], v["seq"]) == (status, seqs[-1]), transition
        if transition == "hand-over":
            assert (v["country"], v["custodian_agency"]) == ("SV", AGENCY_A)
    assert seqs == sorted(seqs)


def test_refused_transition_is_a_409_naming_the_person_and_the_states(api_world: ApiWorld) -> None:
    pid = arrange(api_world)
    escort = api_world.client(Role.ESCORT)
    r = post(escort, pid, "release", {"reason": "bond"})
    assert r.status_code == 409
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert (body["type"], body["person_id"], body["from_state"], body["to_state"]) == (
        "urn:habeas:problem:invalid-transition", pid, "not_held", "released")
    assert escort.get(f"/people/{pid}/custody").json()["status"] == "not_held"


def test_custody_refuses_bad_input_wrong_roles_and_other_agencies(api_world: ApiWorld) -> None:
    pid = arrange(api_world)
    intake = api_world.client(Role.INTAKE)
    naive = post(intake, pid, "admit", {**ADMIT, "occurred_at": "2025-03-02T09:00:00"})
    assert naive.status_code == 422
    assert naive.json()["type"] == "urn:habeas:problem:invalid-input"
    assert naive.json()["errors"][0]["pointer"] == "#/occurred_at"
    basis = post(intake, pid, "admit", {**ADMIT, "authority": {"agency_id": AGENCY_A, "legal_basis": "INA 236"}})
    assert (basis.status_code, basis.json()["errors"][0]["pointer"]) == (422, "#/authority/legal_basis")
    unit = post(intake, pid, "admit", {**ADMIT, "unit_id": "u-9"})
    assert unit.status_code == 404
    stranger = post(intake, pid, "admit", {**ADMIT, "custodian": {"agency_id": AGENCY_A, "officer_id": "o-b"}})
    assert stranger.status_code == 422  # o-b is an officer of agency B

    forbidden = post(api_world.client(Role.LEGAL), pid, "admit", ADMIT)
    assert (forbidden.status_code, forbidden.json()["permission"]) == (403, "custody.write")
    other = api_world.client(Role.ADMIN, AGENCY_B)
    assert post(other, pid, "admit", {**ADMIT, "custodian": {"agency_id": AGENCY_B, "officer_id": "o-b"}}
                ).status_code == 404
    assert other.get(f"/people/{pid}/custody").status_code == 404
    assert intake.get("/people/p-nobody/custody").status_code == 404
    assert intake.get(f"/people/{pid}/custody", params={"proof": "true"}).json()["proof"] is None  # never held

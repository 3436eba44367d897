"""Agreements and invoices over HTTP: recorded by a party's coordinator, read only by agencies of the two
states, billed by person-days of people held in the receiving state. SQLite and PostgreSQL."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx

from habeas.domain import commands as c
from habeas.domain.actors import Caller, Role
from habeas.domain.custody import Authority, Custodian
from habeas.ledger.note import generate_signer
from tests.e2e.api.conftest import AGENCY_A, AGENCY_B, ApiWorld
from tests.e2e.api.test_reference_api import pointers, problem, walk

T0 = datetime(2025, 3, 1, 0, 0, tzinfo=UTC)  # ag-a is a US agency, ag-b a Salvadoran one


def terms(agreement_id: str, sending: str = "US", receiving: str = "SV", **over: Any) -> dict[str, Any]:
    return {
        "id": agreement_id, "sending_state": sending, "receiving_state": receiving,
        "active_from": "2025-02-01T00:00:00Z", "active_to": "2026-02-01T00:00:00Z",
        "categories": ["ina_241"], "per_diem": "20.00", "currency": "usd", "guaranteed_minimum": "100",
        "quota": 300, "occurred_at": T0.isoformat(),
    } | over


def held_in_cecot(w: ApiWorld, person_id: str, since: datetime) -> None:
    """Someone in Salvadoran custody since ``since``: what the receiving state bills for."""
    b = w.actor(AGENCY_B)
    w.services.execute(c.RegisterPerson(person_id=person_id, occurred_at=T0, nationalities=("VE",)), Caller.of(b))
    w.services.execute(c.AdmitToCustody(
        person_id=person_id, occurred_at=since, facility_id="f-cecot", unit_id="b-1",
        custodian=Custodian(agency_id=AGENCY_B, officer_id="o-sv"),
        authority=Authority(agency_id=AGENCY_B, legal_basis="ina_241"),
    ), Caller.of(b))


def ok(resp: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    body: dict[str, Any] = resp.json()
    return body


def test_agreements_are_seen_by_their_parties_only(api_world: ApiWorld) -> None:
    us = api_world.client(Role.COORDINATOR, AGENCY_A)
    assert ok(us.post("/agreements", json=terms("agr-sv")), 201)["id"] == "agr-sv"
    ok(us.post("/agreements", json=terms("agr-mx", receiving="MX", quota=None, active_to=None)), 201)

    assert walk(api_world.client(Role.AUDITOR, AGENCY_A), "/agreements", "agreement_id", limit=1) == [
        "agr-mx", "agr-sv"
    ]
    sv = api_world.client(Role.AUDITOR, AGENCY_B)
    [seen] = ok(sv.get("/agreements"))["items"]
    assert seen == {
        "agreement_id": "agr-sv", "sending_state": "US", "receiving_state": "SV", "active_from": "2025-02-01T00:00:00Z",
        "active_to": "2026-02-01T00:00:00Z", "categories": ["ina_241"], "per_diem": "20.00", "currency": "USD",
        "guaranteed_minimum": "100", "quota": 300, "seq": seen["seq"],
    }
    assert ok(sv.get("/agreements/agr-sv"))["receiving_state"] == "SV"
    # The US-Mexico agreement is none of El Salvador's business: unknown to its agencies, even to invoice.
    assert problem(sv.get("/agreements/agr-mx"), 404, "unknown-record")["record_id"] == "agr-mx"
    problem(sv.get("/agreements/agr-mx/invoices"), 404, "unknown-record")
    sv_coord = api_world.client(Role.COORDINATOR, AGENCY_B)
    problem(sv_coord.post("/agreements/agr-mx/invoices", json={"active_from": "2025-03-01T00:00:00Z",
                                                               "active_to": "2025-03-02T00:00:00Z"}),
            404, "unknown-record")
    outsider = sv_coord.post("/agreements", json=terms("agr-gt", sending="MX", receiving="GT"))
    assert problem(outsider, 403, "not-a-party")["agency_id"] == AGENCY_B

    for role in (Role.ESCORT, Role.INTAKE, Role.LEGAL):
        assert problem(api_world.client(role).get("/agreements"), 403, "forbidden")["permission"] == "agreement.read"
    for role in (Role.AUDITOR, Role.LEGAL):
        denied = api_world.client(role).post("/agreements", json=terms("agr-x"))
        assert problem(denied, 403, "forbidden")["permission"] == "agreement.write"
    problem(api_world.client().get("/agreements"), 401, "unauthenticated")
    problem(us.post("/agreements", json=terms("agr-sv")), 409, "already-exists")


def test_invalid_terms_point_at_the_field(api_world: ApiWorld) -> None:
    us = api_world.client(Role.ADMIN, AGENCY_A)
    for over, field, code in (
        ({"receiving": "US"}, "receiving_state", "invalid-field"),
        ({"active_to": "2025-01-01T00:00:00Z"}, "active_to", "invalid-field"),
        ({"per_diem": "-1"}, "per_diem", "invalid-input"),
        ({"categories": []}, "categories", "invalid-input"),
        ({"active_from": "2025-02-01T00:00:00"}, "active_from", "invalid-input"),
    ):
        resp = us.post("/agreements", json=terms("agr-bad", **over))
        assert [p.rsplit("/", 1)[-1] for p in pointers(problem(resp, 422, code))] == [field], over
    assert ok(us.get("/agreements"))["items"] == []


def test_an_invoice_bills_person_days_in_the_receiving_state(api_world: ApiWorld) -> None:
    run = api_world.services.execute
    b = api_world.actor(AGENCY_B)
    run(c.RegisterFacility(facility_id="f-cecot", occurred_at=T0, name="CECOT", country="SV",
                           facility_type="prison"), b)
    run(c.RegisterUnit(unit_id="b-1", facility_id="f-cecot", occurred_at=T0, label="Block 1",
                       floor_area_m2=Decimal("3200"), declared_beds=2560), b)
    key = base64.b64encode(generate_signer("o-sv").public_key).decode()
    ok(api_world.client(Role.ADMIN, AGENCY_B).post(f"/agencies/{AGENCY_B}/officers", json={
        "id": "o-sv", "name": "J. Pérez", "role": "custodian", "public_key": key, "occurred_at": T0.isoformat()}), 201)
    held_in_cecot(api_world, "p-1", datetime(2025, 3, 2, 12, 0, tzinfo=UTC))
    held_in_cecot(api_world, "p-2", datetime(2025, 3, 9, 12, 0, tzinfo=UTC))
    us = api_world.client(Role.COORDINATOR, AGENCY_A)
    ok(us.post("/agreements", json=terms("agr-sv")), 201)

    march = {"id": "inv-1", "active_from": "2025-03-01T00:00:00Z", "active_to": "2025-03-11T00:00:00Z"}
    issued = ok(us.post("/agreements/agr-sv/invoices", json=march), 201)
    # p-1: the midnights of 3 to 10 March (8); p-2: 10 March (1); 9 person-days at 20.00.
    assert {k: issued[k] for k in ("invoice_id", "person_days", "people", "amount", "currency", "minimum_applied")} == {
        "invoice_id": "inv-1", "person_days": 9, "people": 2, "amount": "180.00", "currency": "USD",
        "minimum_applied": False,
    }
    assert issued["seqs"] == [issued["seq"]]
    short = ok(api_world.client(Role.ADMIN, AGENCY_B).post(
        "/agreements/agr-sv/invoices", json={"id": "inv-0", "active_from": "2025-03-01T00:00:00Z",
                                             "active_to": "2025-03-03T00:00:00Z"}), 201)
    assert (short["person_days"], short["amount"], short["minimum_applied"]) == (0, "100", True)

    listed = walk(api_world.client(Role.AUDITOR, AGENCY_B), "/agreements/agr-sv/invoices", "invoice_id", limit=1)
    assert listed == ["inv-0", "inv-1"]
    [first] = [i for i in ok(us.get("/agreements/agr-sv/invoices"))["items"] if i["invoice_id"] == "inv-1"]
    assert (first["period_from"], first["period_to"], first["amount"]) == (
        "2025-03-01T00:00:00Z", "2025-03-11T00:00:00Z", "180.00"
    )
    problem(us.post("/agreements/agr-sv/invoices", json=march), 409, "already-exists")
    future = us.post("/agreements/agr-sv/invoices", json={"active_from": "2025-03-01T00:00:00Z",
                                                          "active_to": "2030-01-01T00:00:00Z"})
    problem(future, 422, "invalid-field")
    problem(us.post("/agreements/agr-nowhere/invoices", json=march), 404, "unknown-record")
    denied = api_world.client(Role.AUDITOR, AGENCY_A).post("/agreements/agr-sv/invoices", json=march)
    assert problem(denied, 403, "forbidden")["permission"] == "agreement.write"

"""A custody handoff over HTTP, on SQLite and PostgreSQL, with two real officer Ed25519 keys: agency A
issues the receipt, each officer fetches the exact bytes and signs them where their key is, and custody passes
to agency B only when both signatures verify; then B admits the person at intake."""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, select

from habeas.domain import commands as c
from habeas.domain.actors import Role
from habeas.domain.custody import CustodyStatus
from habeas.ledger.canonical import canonical
from habeas.ledger.note import Signer
from habeas.services.custody import custody_state
from habeas.storage.access import access_log
from tests.e2e.api.conftest import AGENCY_A, AGENCY_B, T0, ApiWorld
from tests.e2e.api.test_operation_api import OFFICER_A, OFFICER_B, arrange_officers, arrange_people, problem

RECEIPT = {
    "id": "hr-1", "person_ids": ["p-1", "p-2"],
    "releasing": {"agency_id": AGENCY_A, "officer_id": "o-a"},
    "receiving": {"agency_id": AGENCY_B, "officer_id": "o-b"},
    "place_id": "sal-airport", "country": "sv", "authority": {"agency_id": AGENCY_A, "legal_basis": "ina_241"},
    "items": [{"person_id": "p-1", "kind": "medicine", "description": "insulin, 3 pens"}],
}


def sign(signer: Signer, message: bytes) -> str:
    return base64.b64encode(signer.sign(message)).decode()


def custody_of(world: ApiWorld, person_id: str) -> Any:
    with world.services.ledger.engine.connect() as conn:
        return custody_state(conn, person_id)


def arrange(world: ApiWorld) -> dict[str, Signer]:
    """Both officers with keys, p-1 and p-2 held by A, and B's prison with a cell of 7 m² (two under ICRC)."""
    signers = arrange_officers(world)
    arrange_people(world, "p-1", "p-2")
    run, actor = world.services.execute, world.actor(AGENCY_B)
    run(c.RegisterFacility(facility_id="f-b", occurred_at=T0, name="Prison", country="SV", facility_type="prison",
                           declared_capacity=40), actor)
    run(c.RegisterUnit(unit_id="c-1", facility_id="f-b", occurred_at=T0, label="Cell 1", floor_area_m2=Decimal("7"),
                       declared_beds=20), actor)
    return signers


def test_custody_passes_only_when_both_officers_signatures_verify(api_world: ApiWorld) -> None:
    signers = arrange(api_world)
    coordinator, escort = api_world.client(Role.COORDINATOR, AGENCY_A), api_world.client(Role.ESCORT, AGENCY_A)
    b_intake = api_world.client(Role.INTAKE, AGENCY_B)

    # who may issue: not an auditor, not an agency that cannot see the people
    problem(api_world.client(Role.AUDITOR, AGENCY_A).post("/handoffs", json=RECEIPT), 403, "forbidden")
    problem(api_world.client(Role.COORDINATOR, AGENCY_B).post("/handoffs", json=RECEIPT), 404, "unknown-record")
    problem(b_intake.get("/handoffs/hr-1"), 404, "unknown-record")

    r = coordinator.post("/handoffs", json=RECEIPT)
    assert r.status_code == 201, r.text
    assert r.json()["id"] == "hr-1"
    problem(coordinator.post("/handoffs", json=RECEIPT), 409, "refused")

    # the receipt names agency B as receiving party, so B sees it now
    for client in (escort, b_intake):
        shown = client.get("/handoffs/hr-1").json()
        assert (shown["status"], shown["person_ids"], shown["signatures"]) == ("issued", ["p-1", "p-2"], [])
        assert shown["receiving"] == {"agency_id": AGENCY_B, "officer_id": "o-b"}
        assert shown["authority"] == {"agency_id": AGENCY_A, "legal_basis": "ina_241", "record_id": None}
        assert shown["items"] == [{"item_id": "item-1", "person_id": "p-1", "kind": "medicine", "quantity": 1}]
        assert shown["country"] == "SV"

    # each officer fetches the exact bytes and signs them where the key is; both get the same canonical bytes
    a_bytes = escort.get("/handoffs/hr-1/receipt")
    assert a_bytes.headers["content-type"] == "application/json"
    b_bytes = b_intake.get("/handoffs/hr-1/receipt").content
    assert a_bytes.content == b_bytes == canonical(json.loads(b_bytes))
    receipt = json.loads(b_bytes)
    assert (receipt["format"], receipt["items"][0]["description"]) == ("habeas.handoff.receipt/v1", "insulin, 3 pens")
    with api_world.services.ledger.engine.connect() as conn:  # reading the private receipt is a logged read
        logged = conn.execute(select(access_log.c.subject_id).where(
            and_(access_log.c.user_id == f"{AGENCY_B}-intake", access_log.c.subject_kind == "person"))).all()
    assert sorted(r.subject_id for r in logged) == ["p-1", "p-2"]
    releasing, receiving = sign(signers["o-a"], a_bytes.content), sign(signers["o-b"], b_bytes)

    # a signature by the wrong key: refused naming which, nothing recorded, custody unchanged
    size = api_world.services.ledger.size()
    swapped = {"releasing_signature": releasing, "receiving_signature": releasing}
    bad = problem(b_intake.post("/handoffs/hr-1/signatures", json=swapped), 422, "handoff-signature-invalid")
    assert (bad["receipt_id"], bad["which"]) == ("hr-1", "receiving")
    both = {"releasing_signature": receiving, "receiving_signature": releasing}
    assert problem(b_intake.post("/handoffs/hr-1/signatures", json=both), 422,
                   "handoff-signature-invalid")["which"] == "both"
    garbled = problem(b_intake.post("/handoffs/hr-1/signatures",
                                    json={"releasing_signature": "abc", "receiving_signature": receiving}),
                      422, "invalid-input")
    assert garbled["errors"][0]["pointer"] == "#/releasing_signature"
    good = {"releasing_signature": releasing, "receiving_signature": receiving}
    problem(api_world.client(Role.COORDINATOR, AGENCY_B).post("/handoffs/hr-1/signatures", json=good), 403,
            "forbidden")
    assert api_world.services.ledger.size() == size
    assert b_intake.get("/handoffs/hr-1").json()["status"] == "issued"
    before = custody_of(api_world, "p-1")
    assert (before.status, before.custodian) == (CustodyStatus.IN_CUSTODY, OFFICER_A)

    # both verify: custody passes to B for everyone on the receipt, the legal authority recorded apart
    done = b_intake.post("/handoffs/hr-1/signatures", json=good)
    assert done.status_code == 201, done.text
    for p in ("p-1", "p-2"):
        after = custody_of(api_world, p)
        assert (after.status, after.custodian, after.authority.agency_id, after.country) == (
            CustodyStatus.HANDED_OVER, OFFICER_B, AGENCY_A, "SV")
    shown = escort.get("/handoffs/hr-1").json()
    assert shown["status"] == "completed"
    assert shown["completed_seq"] in done.json()["seqs"]
    assert [(s["role"], s["agency_id"], s["officer_id"]) for s in shown["signatures"]] == [
        ("releasing", AGENCY_A, "o-a"), ("receiving", AGENCY_B, "o-b")]
    again = problem(escort.post("/handoffs/hr-1/signatures", json=good), 409, "refused")
    assert again["reason"] == "already_completed"
    # family must be told of the transfer at once: B sees the notifications for the people it now holds
    missed = b_intake.get("/notifications/missed").json()["items"]
    assert {"hr-1.family.p-1", "hr-1.family.p-2"} <= {o["notification_id"] for o in missed}

    # B admits p-1 at intake, with the receipt: in B's custody in the cell that has room
    admit = {"person_id": "p-1", "custodian": {"agency_id": AGENCY_B, "officer_id": "o-b"},
             "commitment_authority": "DGCP", "receipt_id": "hr-1"}
    problem(api_world.client(Role.INTAKE, AGENCY_A).post("/facilities/f-b/intake", json=admit), 403, "not-a-party")
    admitted = b_intake.post("/facilities/f-b/intake", json=admit)
    assert admitted.status_code == 201, admitted.text
    assert (admitted.json()["unit_id"], admitted.json()["capacity_override"]) == ("c-1", None)
    after = custody_of(api_world, "p-1")
    assert (after.status, after.facility_id, after.custodian) == (CustodyStatus.IN_CUSTODY, "f-b", OFFICER_B)


def test_a_receipt_is_refused_for_people_the_releasing_agency_does_not_hold(api_world: ApiWorld) -> None:
    arrange(api_world)
    arrange_people(api_world, "p-9", held=False)
    coordinator = api_world.client(Role.COORDINATOR, AGENCY_A)
    size = api_world.services.ledger.size()
    refused = problem(coordinator.post("/handoffs", json=RECEIPT | {"person_ids": ["p-1", "p-9"], "items": []}),
                      409, "refused")
    assert (refused["record_id"], refused["reason"]) == ("p-9", "not_held")
    # an item for someone not on the receipt, and a step the caller's agency is no party to
    stray = problem(coordinator.post("/handoffs", json=RECEIPT | {"person_ids": ["p-2"]}), 422, "invalid-field")
    assert stray["errors"][0]["pointer"] == "#/items"
    elsewhere = RECEIPT | {"releasing": {"agency_id": AGENCY_B, "officer_id": "o-b"},
                           "receiving": {"agency_id": AGENCY_B, "officer_id": "o-x"}}
    problem(coordinator.post("/handoffs", json=elsewhere), 403, "not-a-party")
    problem(coordinator.post("/handoffs", json=RECEIPT | {"at": "2025-03-01T12:00:00"}), 422, "invalid-input")
    problem(coordinator.get("/handoffs/hr-404"), 404, "unknown-record")
    problem(coordinator.get("/handoffs/hr-404/receipt"), 404, "unknown-record")
    assert api_world.services.ledger.size() == size

"""DESIGN.md's invariants over HTTP, on SQLite and PostgreSQL: the side paths of issue 11 answer 409 problems that
name the invariant, the ids and what to do, and record nothing.

- a man struck from the manifest for a protection cannot depart on its leg through `/custody/depart`;
- the manifest cannot depart while a man aboard is still recorded at the facility; nobody arrives off its leg
  while it is in the air;
- a receipt cannot name a man the count at the handoff found missing, nor can he be handed over directly, and
  custody does not pass at the signatures for a man a count between the receipt and them missed.
"""

from __future__ import annotations

import base64
from typing import Any

import httpx

from habeas.domain import commands as c
from habeas.domain.actors import Role
from habeas.ledger.note import Signer
from tests.e2e.api.conftest import AGENCY_A, AGENCY_B, ApiWorld
from tests.e2e.api.test_manifests_api import PROTECTED, SV, VE, at, create, ok, world
from tests.e2e.api.test_operation_api import AUTHORITY_A, OFFICER_A, arrange_officers, problem

ESCORT_A = {"agency_id": AGENCY_A, "officer_id": "o-a"}
OFFICER_B = {"agency_id": AGENCY_B, "officer_id": "o-b"}
AUTHORITY = {"agency_id": AGENCY_A, "legal_basis": "ina_241"}


def arrange(w: ApiWorld) -> tuple[httpx.Client, dict[str, Signer]]:
    """The manifests' world (m-1 on leg l-1: VE and SV aboard, PROTECTED its alternate, all documented for
    us-federal), officers of both agencies with keys, and the three men held by agency A at its facility f-a."""
    coord = world(w)
    signers = arrange_officers(w)
    for p in (VE, SV, PROTECTED):
        w.services.execute(c.AdmitToCustody(person_id=p, occurred_at=at(3), facility_id="f-a", unit_id="b1",
                                            custodian=OFFICER_A, authority=AUTHORITY_A), w.actor(AGENCY_A))
    ok(create(coord), 201)
    return coord, signers


def refused(w: ApiWorld, response: httpx.Response, code: str, invariant: int) -> dict[str, Any]:
    """A 409 problem naming the invariant; nothing recorded (the size is checked by the caller)."""
    body = problem(response, 409, code)
    assert body["invariant"] == invariant
    assert f"(invariant {invariant})" in body["detail"]
    return body


def depart(client: httpx.Client, person_id: str) -> httpx.Response:
    return client.post(f"/people/{person_id}/custody/depart", json={"leg_id": "l-1", "custodian": ESCORT_A})


def fly(coord: httpx.Client, escort: httpx.Client) -> None:
    ok(coord.post("/manifests/m-1/clear"))
    ok(coord.post("/manifests/m-1/boarding", json={}))
    for p in (VE, SV):
        ok(depart(escort, p))
    ok(coord.post("/manifests/m-1/depart", json={}))
    ok(coord.post("/manifests/m-1/arrive", json={}))


def test_a_struck_man_cannot_depart_and_the_manifest_waits_for_everyone_aboard(api_world: ApiWorld) -> None:
    coord, _ = arrange(api_world)
    escort = api_world.client(Role.ESCORT)
    ok(coord.post("/manifests/m-1/promote"))
    assert ok(coord.post("/manifests/m-1/clear"))["blocked"] == [PROTECTED]
    ok(coord.post("/manifests/m-1/strike", json={"person_id": PROTECTED, "reason": "protection"}))
    assert ok(coord.post("/manifests/m-1/clear"))["cleared"]
    ok(coord.post("/manifests/m-1/boarding", json={}))

    size = api_world.services.ledger.size()
    struck = refused(api_world, depart(escort, PROTECTED), "not-aboard", 4)
    assert (struck["person_id"], struck["manifest_id"], struck["leg_id"], struck["listed"], struck["reason"]) == (
        PROTECTED, "m-1", "l-1", "struck", "protection")
    assert api_world.services.ledger.size() == size
    assert escort.get(f"/people/{PROTECTED}/custody").json()["status"] == "in_custody"

    ok(depart(escort, VE))
    size = api_world.services.ledger.size()
    behind = refused(api_world, coord.post("/manifests/m-1/depart", json={}), "not-boarded", 1)
    assert (behind["manifest_id"], behind["person_ids"]) == ("m-1", [SV])
    assert f"{SV} in custody at f-a" in behind["detail"]
    assert api_world.services.ledger.size() == size

    ok(depart(escort, SV))
    ok(coord.post("/manifests/m-1/depart", json={}))
    arrival = {"facility_id": "f-cecot", "unit_id": "b-1", "custodian": ESCORT_A}
    early = refused(api_world, escort.post(f"/people/{VE}/custody/arrive", json=arrival), "manifest-not-ready", 1)
    assert (early["manifest_status"], early["move"]) == ("departed", "arrival")
    ok(coord.post("/manifests/m-1/arrive", json={}))
    ok(escort.post(f"/people/{VE}/custody/arrive", json=arrival))


def _sign(signer: Signer, message: bytes) -> str:
    return base64.b64encode(signer.sign(message)).decode()


def test_custody_never_passes_for_a_man_the_count_says_is_missing(api_world: ApiWorld) -> None:
    coord, signers = arrange(api_world)
    escort, b_intake = api_world.client(Role.ESCORT), api_world.client(Role.INTAKE, AGENCY_B)
    fly(coord, escort)
    receipt = {"id": "hr-1", "person_ids": [VE, SV], "releasing": ESCORT_A, "receiving": OFFICER_B,
               "place_id": "mslp-apron", "country": "sv", "authority": AUTHORITY, "manifest_id": "m-1"}
    never = refused(api_world, coord.post("/handoffs", json=receipt), "not-counted", 5)
    assert (never["manifest_id"], never["headcount_id"]) == ("m-1", None)

    count = ok(escort.post("/manifests/m-1/headcounts", json={"id": "hc-handoff", "checkpoint": "handoff",
                                                              "counted_person_ids": [VE]}), 201)
    assert (count["missing"], count["incident_id"]) == ([SV], "hc-handoff.discrepancy")
    size = api_world.services.ledger.size()
    missing = refused(api_world, coord.post("/handoffs", json=receipt), "discrepancy-open", 5)
    assert (missing["person_ids"], missing["incident_ids"]) == ([SV], ["hc-handoff.discrepancy"])
    direct = {"country": "sv", "custodian": ESCORT_A, "authority": AUTHORITY}  # (to B needs a receipt anyway)
    refused(api_world, escort.post(f"/people/{SV}/custody/hand-over", json=direct), "discrepancy-open", 5)
    assert api_world.services.ledger.size() == size
    assert escort.get(f"/people/{SV}/custody").json()["status"] == "in_transit"

    # the man counted goes on a receipt; a second count before the signatures misses him too: nothing passes
    ok(coord.post("/handoffs", json=receipt | {"person_ids": [VE]}), 201)
    ok(escort.post("/manifests/m-1/headcounts", json={"id": "hc-door", "checkpoint": "handoff",
                                                      "counted_person_ids": []}), 201)
    message = b_intake.get("/handoffs/hr-1/receipt").content
    signatures = {"releasing_signature": _sign(signers["o-a"], message),
                  "receiving_signature": _sign(signers["o-b"], message)}
    size = api_world.services.ledger.size()
    late = refused(api_world, b_intake.post("/handoffs/hr-1/signatures", json=signatures), "discrepancy-open", 5)
    assert (late["person_ids"], late["receipt_id"]) == ([VE], "hr-1")
    assert api_world.services.ledger.size() == size
    assert b_intake.get("/handoffs/hr-1").json()["status"] == "issued"

"""Custody handoffs over HTTP (M7): issue a receipt, fetch the exact bytes both officers sign, then hand in both
signatures; custody passes only when both verify against the officers' registered keys.

The flow, as ``habeas handoff issue|sign|complete``: ``POST /handoffs`` → each officer ``GET
/handoffs/{receipt_id}/receipt`` and signs the response body, byte for byte, with their own Ed25519 key,
where the key is (never here) → ``POST /handoffs/{receipt_id}/signatures`` with both signatures in base64.
The ledger has no entry for one signature alone, so both come in one request, by either party.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from habeas.api.context import Caller, handoff_scope, require
from habeas.api.fields import new_id
from habeas.api.models import Written, written
from habeas.api.problems import ApiProblem, FieldProblem
from habeas.api.routes_operation import acting_for
from habeas.api.schemas_operation import (
    AuthorityBody,
    HandoffIn,
    HandoffOut,
    ItemOut,
    Party,
    ReceiptBody,
    SignatureOut,
    SignaturesIn,
)
from habeas.domain.handoffs import ReceiptItem, receipt_bytes
from habeas.services.access import MANIFEST, PERSON
from habeas.services.handoffs import CompleteHandoff, IssueHandoff, handoff_detail, issued_receipt
from habeas.services.handoffs import handoff_receipt as receipt_of
from habeas.services.permissions import Permission

router = APIRouter(tags=["handoffs"])


@router.post("/handoffs", status_code=201, response_model=Written)
def issue_handoff(body: HandoffIn, caller: Annotated[Caller, Depends(require(Permission.HANDOFF_WRITE))]) -> Any:
    """Issue a receipt for both officers to sign: the people (all held by the releasing agency), what travels
    with each, who releases, who receives (the physical custodian after) and the legal authority after."""
    acting_for(caller, [body.releasing.agency_id, body.receiving.agency_id], pointer="#/releasing")
    caller.require_visible(PERSON, dict.fromkeys(body.person_ids))
    if body.manifest_id is not None:
        caller.require_visible(MANIFEST, [body.manifest_id])
    rid = body.id or new_id("hr")
    items = tuple(
        ReceiptItem(item_id=i.item_id or f"item-{n}", person_id=i.person_id, kind=i.kind, description=i.description,
                    quantity=i.quantity)
        for n, i in enumerate(body.items, 1)
    )
    cmd = IssueHandoff(
        receipt_id=rid, person_ids=tuple(body.person_ids), releasing=body.releasing.custodian(),
        receiving=body.receiving.custodian(), place_id=body.place_id, country=body.country.upper(),
        at=body.at or caller.now(), authority=body.authority.authority(), manifest_id=body.manifest_id, items=items,
    )
    return caller.execute(cmd, respond=written(rid), status=201)


@router.get("/handoffs/{receipt_id}", response_model=HandoffOut)
def show_handoff(receipt_id: str, caller: Annotated[Caller, Depends(handoff_scope(Permission.READ))]) -> HandoffOut:
    """The receipt's public part, its status (``issued``, ``completed``) and the signatures recorded."""
    view, event = caller.read(handoff_detail, receipt_id)
    signatures = []
    for role, who, seq in view.signatures:
        officer, _, agency = who.partition("@")  # ids cannot hold '@'
        signatures.append(SignatureOut(role=role, agency_id=agency, officer_id=officer, seq=seq))
    return HandoffOut(
        receipt_id=receipt_id, status=view.status, person_ids=list(view.person_ids),
        items=[ItemOut(item_id=i.item_id, person_id=i.person_id, kind=i.kind, quantity=i.quantity)
               for i in event.items],
        releasing=Party.of(event.releasing), receiving=Party.of(event.receiving),
        authority=AuthorityBody.of(event.authority), manifest_id=event.manifest_id, place_id=view.place_id,
        country=view.country, at=view.at, signatures=signatures, seq=view.seq, completed_seq=view.completed_seq,
    )


@router.get(
    "/handoffs/{receipt_id}/receipt", response_model=ReceiptBody,
    responses={200: {"description": "the signed message itself: sign these bytes exactly as received"}},
)
def handoff_receipt(
    receipt_id: str, caller: Annotated[Caller, Depends(handoff_scope(Permission.PEOPLE_READ))]
) -> Response:
    """The exact bytes both officers sign: RFC 8785 canonical JSON (UTF-8) of the receipt, private item
    descriptions and nonce included. The body is served as is, so the bytes received are the message; a
    client must not parse and re-encode it before signing. Reading it is logged as a read of each person."""
    receipt = caller.read(receipt_of, receipt_id)
    caller.log_reads(receipt.person_ids)
    return Response(content=receipt_bytes(receipt), media_type="application/json")


def _signature(text: str, field: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ApiProblem(
            422, "invalid-input", "Invalid input", f"#/{field}: not base64",
            errors=[FieldProblem(detail="not base64", pointer=f"#/{field}")],
        ) from None


@router.post("/handoffs/{receipt_id}/signatures", status_code=201, response_model=Written)
def complete_handoff(
    receipt_id: str, body: SignaturesIn, caller: Annotated[Caller, Depends(handoff_scope(Permission.HANDOFF_SIGN))]
) -> Any:
    """Hand in both officers' signatures over the receipt's bytes. Custody passes for everyone on the receipt
    only if both verify against the keys registered for the officers it names (else 422, naming which, and
    nothing is recorded); family (and counsel of record) then become due to be told of the transfer."""
    issued = caller.read(issued_receipt, receipt_id)
    acting_for(caller, [issued.releasing.agency_id, issued.receiving.agency_id], parameter="receipt_id")
    cmd = CompleteHandoff(
        receipt_id=receipt_id,
        releasing_signature=_signature(body.releasing_signature, "releasing_signature"),
        receiving_signature=_signature(body.receiving_signature, "receiving_signature"),
    )
    return caller.execute(cmd, respond=written(receipt_id), status=201)

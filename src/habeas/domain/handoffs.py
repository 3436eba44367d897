"""Custody handoffs: a receipt signed by the releasing and the receiving officer (M7, invariant 5).

The receipt lists the exact people handed over and, for each, the property, medicines and documents that travel
with them; who releases (agency and officer), who receives, where and when; and, separately, the legal
authority the people are held under after the handoff (:class:`~habeas.domain.custody.Authority`) and the
physical custodian (the receiving officer, a :class:`~habeas.domain.custody.Custodian`). Each officer signs
:func:`receipt_bytes` with their own Ed25519 key; custody changes only when *both* signatures verify against
the keys registered for those officers (:func:`complete_handoff`).

The domain does no cryptography: the services pass the verifier in (``habeas.ledger.note.ed25519_verify``).

**The signed bytes.** :func:`receipt_bytes` is RFC 8785 canonical JSON of :func:`receipt_body`, produced with
``json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False)``. For this body that is exactly RFC
8785: every key is one of our ASCII field names (so code-point order is UTF-16 order), every value is a string,
a small non-negative integer or a list or object of those (no floats, so no number formatting to differ), and
``json`` escapes strings with the same ``encode_basestring`` that ``habeas.ledger.canonical`` uses. The unit
tests check the equality against both ``habeas.ledger.canonical`` and the ``rfc8785`` package. The body
starts with a ``format`` tag, so a receipt signature can never be mistaken for a signature over anything else.

**Privacy.** Item descriptions (what the property is, which medicine) and the receipt's ``nonce`` are private;
person and item ids, agencies, officers, place, time and authority are public. The nonce (at least 128 random
bits, chosen by the services) is part of the signed bytes so that the public signatures cannot be used to test
guesses at the private descriptions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from habeas.domain import custody
from habeas.domain.custody import HELD, Authority, Custodian, CustodyState
from habeas.domain.custody_commands import HandOver
from habeas.domain.errors import DomainError, InvalidField, Refused, UnknownRecord
from habeas.domain.events import Event
from habeas.domain.facilities import OfficerRef
from habeas.domain.handoff_events import (
    HandoffCompleted,
    HandoffReceiptIssued,
    HandoffSigned,
    ItemDescription,
    ItemKind,
    ItemRef,
    SignerRole,
)
from habeas.domain.values import (
    format_utc,
    require_aware,
    require_country,
    require_id,
    require_not_future,
    require_text,
)

RECEIPT_FORMAT = "habeas.handoff.receipt/v1"
MAX_QUANTITY = 1_000_000
_NONCE = re.compile(r"[0-9a-f]{32,128}")

SignatureVerifier = Callable[[bytes, bytes, bytes], bool]
"""``(public_key, message, signature) -> bool``; the services pass ``habeas.ledger.note.ed25519_verify``."""

SignerFn = Callable[[bytes], bytes]
"""Signs a message with one officer's private key (``habeas.ledger.note.Signer.sign``)."""


class HandoffSignatureInvalid(DomainError):
    """A handoff signature does not verify; ``which`` is ``releasing``, ``receiving`` or ``both``."""

    code = "handoff-signature-invalid"

    def __init__(self, receipt_id: str, which: str) -> None:
        self.receipt_id = receipt_id
        self.which = which
        super().__init__(f"handoff receipt {receipt_id!r}: the {which} signature does not verify")


@dataclass(frozen=True, kw_only=True)
class ReceiptItem:
    """Something that travels with a person; ``description`` is private (it can reveal health or belongings)."""

    item_id: str
    person_id: str
    kind: ItemKind
    description: str
    quantity: int = 1

    def __post_init__(self) -> None:
        require_id("item_id", self.item_id)
        require_id("item.person_id", self.person_id)
        object.__setattr__(self, "kind", ItemKind(self.kind))
        object.__setattr__(self, "description", require_text("description", self.description, max_len=500))
        if isinstance(self.quantity, bool) or not 1 <= self.quantity <= MAX_QUANTITY:
            raise InvalidField("quantity", self.quantity, f"not 1 to {MAX_QUANTITY}")


@dataclass(frozen=True, kw_only=True)
class HandoffReceipt:
    """What both officers sign. ``receiving`` is the physical custodian after the handoff; ``authority`` the
    legal authority (basis and legally responsible agency), recorded separately because they can differ."""

    receipt_id: str
    person_ids: tuple[str, ...]
    items: tuple[ReceiptItem, ...]
    releasing: Custodian
    receiving: Custodian
    place_id: str
    country: str
    at: datetime
    authority: Authority
    nonce: str
    manifest_id: str | None = None

    def __post_init__(self) -> None:
        require_id("receipt_id", self.receipt_id)
        if not self.person_ids:
            raise InvalidField("person_ids", self.person_ids, "a receipt lists at least one person")
        for p in self.person_ids:
            require_id("person_ids", p)
        if len(set(self.person_ids)) != len(self.person_ids):
            raise InvalidField("person_ids", self.person_ids, "a person is listed twice")
        people = set(self.person_ids)
        seen: set[str] = set()
        for item in self.items:
            if item.person_id not in people:
                raise InvalidField("items", item.item_id, f"belongs to {item.person_id!r}, who is not listed")
            if item.item_id in seen:
                raise InvalidField("items", item.item_id, "an item is listed twice")
            seen.add(item.item_id)
        for who in (self.releasing, self.receiving):
            require_id("agency_id", who.agency_id)
            require_id("officer_id", who.officer_id)
        if self.releasing.officer_id == self.receiving.officer_id:
            raise InvalidField("receiving", self.receiving, "the same officer cannot release and receive")
        require_id("place_id", self.place_id)
        require_country("country", self.country)
        object.__setattr__(self, "at", require_aware("at", self.at))
        if not isinstance(self.nonce, str) or not _NONCE.fullmatch(self.nonce):
            raise InvalidField("nonce", "(not shown)", "not 32 to 128 lower-case hex digits (>= 128 random bits)")
        if self.manifest_id is not None:
            require_id("manifest_id", self.manifest_id)


def _party(who: Custodian) -> dict[str, str]:
    return {"agency_id": who.agency_id, "officer_id": who.officer_id}


def receipt_body(receipt: HandoffReceipt) -> dict[str, Any]:
    """The JSON object both officers sign: strings, small integers, lists and objects only."""
    authority: dict[str, Any] = {
        "agency_id": receipt.authority.agency_id,
        "legal_basis": receipt.authority.legal_basis,
        "record_id": receipt.authority.record_id,
    }
    return {
        "format": RECEIPT_FORMAT,
        "receipt_id": receipt.receipt_id,
        "manifest_id": receipt.manifest_id,
        "person_ids": list(receipt.person_ids),
        "items": [
            {
                "item_id": i.item_id,
                "person_id": i.person_id,
                "kind": str(i.kind),
                "description": i.description,
                "quantity": i.quantity,
            }
            for i in receipt.items
        ],
        "releasing": _party(receipt.releasing),
        "receiving": _party(receipt.receiving),
        "place_id": receipt.place_id,
        "country": receipt.country,
        "at": format_utc(receipt.at),
        "authority": authority,
        "nonce": receipt.nonce,
    }


def receipt_bytes(receipt: HandoffReceipt) -> bytes:
    """RFC 8785 canonical JSON of :func:`receipt_body` (see the module docstring for why ``json`` suffices)."""
    text = json.dumps(receipt_body(receipt), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.encode("utf-8")


def sign(receipt: HandoffReceipt, signer_fn: SignerFn) -> bytes:
    """An officer's signature over the receipt (done where the officer's key is, never in the domain)."""
    return signer_fn(receipt_bytes(receipt))


def receipt_from_event(event: HandoffReceiptIssued) -> HandoffReceipt:
    """The receipt as signed; refused when the private payload (descriptions, nonce) was erased."""
    if event.nonce is None:
        raise Refused("handoff receipt", event.stream, "private_payload_erased")
    descriptions = {d.item_id: d.description for d in event.descriptions}
    missing = [i.item_id for i in event.items if i.item_id not in descriptions]
    if missing:
        raise Refused("handoff receipt", event.stream, "private_payload_erased")
    return HandoffReceipt(
        receipt_id=event.stream,
        person_ids=event.person_ids,
        items=tuple(
            ReceiptItem(
                item_id=i.item_id,
                person_id=i.person_id,
                kind=i.kind,
                description=descriptions[i.item_id],
                quantity=i.quantity,
            )
            for i in event.items
        ),
        releasing=event.releasing,
        receiving=event.receiving,
        place_id=event.place_id,
        country=event.country,
        at=event.occurred_at,
        authority=event.authority,
        nonce=event.nonce,
        manifest_id=event.manifest_id,
    )


# -- decisions -------------------------------------------------------------------------------------------------


def _check_officer(role: str, who: Custodian, officer: OfficerRef | None) -> None:
    if officer is None or officer.officer_id != who.officer_id:
        raise UnknownRecord("officer", who.officer_id)
    if officer.agency_id != who.agency_id:
        raise InvalidField(role, who, f"officer belongs to agency {officer.agency_id!r}")


def _check_held_by_releasing(receipt: HandoffReceipt, states: Mapping[str, CustodyState]) -> None:
    for person_id in receipt.person_ids:
        state = states.get(person_id)
        if state is None:
            raise UnknownRecord("custody state for person", person_id)
        if state.status not in HELD:
            raise Refused("person", person_id, "not_held")
        if state.custodian is None or state.custodian.agency_id != receipt.releasing.agency_id:
            raise Refused("person", person_id, "not_held_by_releasing_agency")


def issue_receipt(
    receipt: HandoffReceipt,
    *,
    releasing_officer: OfficerRef | None,
    receiving_officer: OfficerRef | None,
    states: Mapping[str, CustodyState],
    already_issued: bool,
    now: datetime,
) -> list[Event]:
    """Records the receipt to be signed. Everyone on it must be held by the releasing agency."""
    if already_issued:
        raise Refused("handoff receipt", receipt.receipt_id, "already_issued")
    _check_officer("releasing", receipt.releasing, releasing_officer)
    _check_officer("receiving", receipt.receiving, receiving_officer)
    _check_held_by_releasing(receipt, states)
    return [
        HandoffReceiptIssued(
            stream=receipt.receipt_id,
            occurred_at=require_not_future("at", receipt.at, now),
            person_ids=receipt.person_ids,
            items=tuple(
                ItemRef(item_id=i.item_id, person_id=i.person_id, kind=i.kind, quantity=i.quantity)
                for i in receipt.items
            ),
            releasing=receipt.releasing,
            receiving=receipt.receiving,
            place_id=receipt.place_id,
            country=receipt.country,
            authority=receipt.authority,
            manifest_id=receipt.manifest_id,
            descriptions=tuple(ItemDescription(item_id=i.item_id, description=i.description) for i in receipt.items),
            nonce=receipt.nonce,
        )
    ]


def verify_signatures(
    receipt: HandoffReceipt,
    *,
    releasing_sig: bytes,
    receiving_sig: bytes,
    releasing_key: bytes,
    receiving_key: bytes,
    verify: SignatureVerifier,
) -> None:
    """Raises :class:`HandoffSignatureInvalid` naming which signature (or both) fails."""
    message = receipt_bytes(receipt)
    releasing_ok = verify(releasing_key, message, releasing_sig)
    receiving_ok = verify(receiving_key, message, receiving_sig)
    if not (releasing_ok or receiving_ok):
        raise HandoffSignatureInvalid(receipt.receipt_id, "both")
    if not releasing_ok:
        raise HandoffSignatureInvalid(receipt.receipt_id, SignerRole.RELEASING)
    if not receiving_ok:
        raise HandoffSignatureInvalid(receipt.receipt_id, SignerRole.RECEIVING)


def complete_handoff(
    receipt: HandoffReceipt,
    *,
    releasing_sig: bytes,
    receiving_sig: bytes,
    releasing_key: bytes,
    receiving_key: bytes,
    verify: SignatureVerifier,
    states: Mapping[str, CustodyState],
    receiving_officer: OfficerRef | None,
    already_completed: bool,
    now: datetime,
) -> list[Event]:
    """Both signatures verified → ``handoff.signed`` ×2, ``handoff.completed`` and one ``custody.changed``
    (``hand_over``, carrying the receipt id) per person; otherwise nothing, and a named refusal.

    ``releasing_key`` and ``receiving_key`` are the public keys *registered* for the receipt's officers (the
    services look them up by officer id; a key supplied with the signature proves nothing).
    """
    if already_completed:
        raise Refused("handoff receipt", receipt.receipt_id, "already_completed")
    verify_signatures(
        receipt,
        releasing_sig=releasing_sig,
        receiving_sig=receiving_sig,
        releasing_key=releasing_key,
        receiving_key=receiving_key,
        verify=verify,
    )
    at = require_not_future("at", receipt.at, now)
    _check_held_by_releasing(receipt, states)
    events: list[Event] = [
        HandoffSigned(
            stream=receipt.receipt_id,
            occurred_at=at,
            role=SignerRole.RELEASING,
            officer_id=receipt.releasing.officer_id,
            agency_id=receipt.releasing.agency_id,
            signature=releasing_sig,
        ),
        HandoffSigned(
            stream=receipt.receipt_id,
            occurred_at=at,
            role=SignerRole.RECEIVING,
            officer_id=receipt.receiving.officer_id,
            agency_id=receipt.receiving.agency_id,
            signature=receiving_sig,
        ),
        HandoffCompleted(
            stream=receipt.receipt_id,
            occurred_at=at,
            person_ids=receipt.person_ids,
            releasing=receipt.releasing,
            receiving=receipt.receiving,
            authority=receipt.authority,
            country=receipt.country,
            place_id=receipt.place_id,
        ),
    ]
    for person_id in receipt.person_ids:
        events += custody.hand_over(
            HandOver(
                person_id=person_id,
                occurred_at=at,
                country=receipt.country,
                custodian=receipt.receiving,
                authority=receipt.authority,
                receipt_id=receipt.receipt_id,
            ),
            state=states[person_id],
            officer=receiving_officer,
            now=now,
        )
    return events

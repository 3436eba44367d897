"""Dual-signed handoff receipts: custody passes only when both officers' signatures verify (real Ed25519)."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from habeas.domain.custody import HELD, Authority, Custodian, CustodyChanged, CustodyState, CustodyStatus
from habeas.domain.errors import InvalidField, Refused, UnknownRecord
from habeas.domain.events import event_from
from habeas.domain.facilities import OfficerRef
from habeas.domain.handoff_events import HandoffCompleted, HandoffReceiptIssued, HandoffSigned, ItemKind, SignerRole
from habeas.domain.handoffs import (
    RECEIPT_FORMAT,
    HandoffReceipt,
    HandoffSignatureInvalid,
    ReceiptItem,
    complete_handoff,
    issue_receipt,
    receipt_body,
    receipt_bytes,
    receipt_from_event,
    sign,
)
from habeas.ledger.canonical import canonical
from habeas.ledger.note import Signer, ed25519_verify, generate_signer
from tests.unit.domain.samples import NOW, T0

US_ESCORT = Custodian(agency_id="ice", officer_id="o-ice")
SV_OFFICER = Custodian(agency_id="pnc", officer_id="o-sv")
SV_AUTHORITY = Authority(agency_id="dgcp", legal_basis="bilateral_2025", record_id="ag-1")
RELEASING = generate_signer("o-ice")
RECEIVING = generate_signer("o-sv")
OFFICERS = {
    "o-ice": OfficerRef(officer_id="o-ice", agency_id="ice"),
    "o-sv": OfficerRef(officer_id="o-sv", agency_id="pnc"),
}
PEOPLE = ("p-1", "p-2", "p-3")
NONCE = "5f" * 16
AT = T0 + timedelta(hours=3)
SECRET_DESCRIPTION = "Insulina glargina 100 U/ml, Marcos"


def held(person_id: str) -> CustodyState:
    return CustodyState(
        person_id=person_id,
        status=CustodyStatus.IN_TRANSIT,
        since=T0,
        leg_id="leg-air",
        custodian=US_ESCORT,
        authority=Authority(agency_id="dhs", legal_basis="aea_proclamation"),
    )


STATES = {p: held(p) for p in PEOPLE}


def make_receipt(**changes: object) -> HandoffReceipt:
    receipt = HandoffReceipt(
        receipt_id="r-1",
        manifest_id="mf-1",
        person_ids=PEOPLE,
        items=(
            ReceiptItem(item_id="it-1", person_id="p-1", kind=ItemKind.MEDICINE, description=SECRET_DESCRIPTION),
            ReceiptItem(item_id="it-2", person_id="p-1", kind=ItemKind.PROPERTY, description="Wallet", quantity=1),
            ReceiptItem(item_id="it-3", person_id="p-2", kind=ItemKind.DOCUMENT, description="Passport VE1234567"),
        ),
        releasing=US_ESCORT,
        receiving=SV_OFFICER,
        place_id="sal-apron",
        country="SV",
        at=AT,
        authority=SV_AUTHORITY,
        nonce=NONCE,
    )
    return dataclasses.replace(receipt, **changes) if changes else receipt  # type: ignore[arg-type]


def complete(
    receipt: HandoffReceipt,
    releasing_sig: bytes,
    receiving_sig: bytes,
    releasing_key: bytes = RELEASING.public_key,
    receiving_key: bytes = RECEIVING.public_key,
) -> list[object]:
    return list(
        complete_handoff(
            receipt,
            releasing_sig=releasing_sig,
            receiving_sig=receiving_sig,
            releasing_key=releasing_key,
            receiving_key=receiving_key,
            verify=ed25519_verify,
            states=STATES,
            receiving_officer=OFFICERS["o-sv"],
            already_completed=False,
            now=NOW,
        )
    )


def signatures(receipt: HandoffReceipt, a: Signer = RELEASING, b: Signer = RECEIVING) -> tuple[bytes, bytes]:
    return sign(receipt, a.sign), sign(receipt, b.sign)


def test_both_signatures_valid_completes_and_hands_every_person_over() -> None:
    receipt = make_receipt()
    events = complete(receipt, *signatures(receipt))
    signed = [e for e in events if isinstance(e, HandoffSigned)]
    assert [(s.role, s.officer_id) for s in signed] == [(SignerRole.RELEASING, "o-ice"), (SignerRole.RECEIVING, "o-sv")]
    assert all(
        ed25519_verify(k, receipt_bytes(receipt), s.signature)
        for k, s in zip((RELEASING.public_key, RECEIVING.public_key), signed, strict=True)
    )
    completed = [e for e in events if isinstance(e, HandoffCompleted)]
    assert len(completed) == 1
    assert completed[0].person_ids == PEOPLE
    changes = [e for e in events if isinstance(e, CustodyChanged)]
    assert [e.stream for e in changes] == list(PEOPLE)
    for change in changes:
        assert change.to_status is CustodyStatus.HANDED_OVER
        assert change.custodian == SV_OFFICER  # the physical custodian
        assert change.authority == SV_AUTHORITY  # the legal authority, recorded separately
        assert change.receipt_id == "r-1"
        assert change.occurred_at == AT
    assert signed[0].public()["signature"] == __import__("base64").b64encode(signed[0].signature).decode()


@pytest.mark.parametrize(
    ("which", "forge"),
    [
        ("releasing", lambda r, a, b: (sign(r, generate_signer("x").sign), b)),  # forged by another key
        ("receiving", lambda r, a, b: (a, sign(r, generate_signer("x").sign))),
        ("receiving", lambda r, a, b: (a, a)),  # the releasing officer signed twice
        ("releasing", lambda r, a, b: (bytes(64), b)),
        ("both", lambda r, a, b: (b, a)),  # swapped
    ],
)
def test_a_forged_signature_is_refused_naming_which(which: str, forge: object) -> None:
    receipt = make_receipt()
    a, b = signatures(receipt)
    bad_a, bad_b = forge(receipt, a, b)  # type: ignore[operator]
    with pytest.raises(HandoffSignatureInvalid) as e:
        complete(receipt, bad_a, bad_b)
    assert (e.value.receipt_id, e.value.which) == ("r-1", which)


def test_a_signature_checked_against_the_wrong_registered_key_is_refused() -> None:
    receipt = make_receipt()
    a, b = signatures(receipt)
    with pytest.raises(HandoffSignatureInvalid) as e:
        complete(receipt, a, b, receiving_key=generate_signer("impostor").public_key)
    assert e.value.which == "receiving"
    with pytest.raises(HandoffSignatureInvalid) as e:
        complete(receipt, a, b, releasing_key=RECEIVING.public_key)
    assert e.value.which == "releasing"


@pytest.mark.parametrize(
    "tampered",
    [
        {"person_ids": ("p-1", "p-2")},  # someone dropped from the list after signing
        {"country": "HN"},
        {"at": AT + timedelta(minutes=1)},
        {"authority": Authority(agency_id="dhs", legal_basis="aea_proclamation")},
        {"items": ()},  # the medicines vanish
    ],
)
def test_a_receipt_changed_after_signing_is_refused(tampered: dict[str, object]) -> None:
    a, b = signatures(make_receipt())
    with pytest.raises(HandoffSignatureInvalid) as e:
        complete(make_receipt(**tampered), a, b)
    assert e.value.which == "both"


def test_flipping_any_byte_of_the_signed_receipt_breaks_both_signatures() -> None:
    receipt = make_receipt()
    message = receipt_bytes(receipt)
    a, b = signatures(receipt)
    for i in range(0, len(message), 7):
        tampered = message[:i] + bytes([message[i] ^ 0x01]) + message[i + 1 :]
        assert not ed25519_verify(RELEASING.public_key, tampered, a)
        assert not ed25519_verify(RECEIVING.public_key, tampered, b)


def test_flipping_one_signature_bit_names_that_signature() -> None:
    receipt = make_receipt()
    a, b = signatures(receipt)
    with pytest.raises(HandoffSignatureInvalid) as e:
        complete(receipt, a, b[:10] + bytes([b[10] ^ 0x80]) + b[11:])
    assert e.value.which == "receiving"


def test_custody_does_not_change_without_a_complete_receipt() -> None:
    receipt = make_receipt()
    a, _ = signatures(receipt)
    with pytest.raises(HandoffSignatureInvalid):
        complete(receipt, a, b"")
    # only complete_handoff produces custody.changed from a receipt, and issuing one changes nothing
    issued = issue_receipt(
        receipt,
        releasing_officer=OFFICERS["o-ice"],
        receiving_officer=OFFICERS["o-sv"],
        states=STATES,
        already_issued=False,
        now=NOW,
    )
    assert [type(e) for e in issued] == [HandoffReceiptIssued]


def test_completion_refuses_people_not_held_by_the_releasing_agency_and_double_completion() -> None:
    receipt = make_receipt()
    a, b = signatures(receipt)
    elsewhere = dataclasses.replace(held("p-2"), custodian=Custodian(agency_id="cbp", officer_id="o-cbp"))
    with pytest.raises(Refused, match="not_held_by_releasing_agency"):
        complete_handoff(
            receipt,
            releasing_sig=a,
            receiving_sig=b,
            releasing_key=RELEASING.public_key,
            receiving_key=RECEIVING.public_key,
            verify=ed25519_verify,
            states={**STATES, "p-2": elsewhere},
            receiving_officer=OFFICERS["o-sv"],
            already_completed=False,
            now=NOW,
        )
    with pytest.raises(Refused, match="already_completed"):
        complete_handoff(
            receipt,
            releasing_sig=a,
            receiving_sig=b,
            releasing_key=RELEASING.public_key,
            receiving_key=RECEIVING.public_key,
            verify=ed25519_verify,
            states=STATES,
            receiving_officer=OFFICERS["o-sv"],
            already_completed=True,
            now=NOW,
        )
    with pytest.raises(UnknownRecord):
        complete_handoff(
            receipt,
            releasing_sig=a,
            receiving_sig=b,
            releasing_key=RELEASING.public_key,
            receiving_key=RECEIVING.public_key,
            verify=ed25519_verify,
            states=STATES,
            receiving_officer=None,
            already_completed=False,
            now=NOW,
        )


def test_issue_receipt_checks_officers_and_custody() -> None:
    receipt = make_receipt()
    kwargs = {"states": STATES, "already_issued": False, "now": NOW}
    with pytest.raises(UnknownRecord):
        issue_receipt(receipt, releasing_officer=None, receiving_officer=OFFICERS["o-sv"], **kwargs)  # type: ignore[arg-type]
    wrong_agency = OfficerRef(officer_id="o-sv", agency_id="ice")
    with pytest.raises(InvalidField, match="receiving"):
        issue_receipt(receipt, releasing_officer=OFFICERS["o-ice"], receiving_officer=wrong_agency, **kwargs)  # type: ignore[arg-type]
    released = CustodyState(person_id="p-3", status=CustodyStatus.RELEASED, since=T0)
    assert released.status not in HELD
    with pytest.raises(Refused, match="not_held"):
        issue_receipt(
            receipt,
            releasing_officer=OFFICERS["o-ice"],
            receiving_officer=OFFICERS["o-sv"],
            states={**STATES, "p-3": released},
            already_issued=False,
            now=NOW,
        )
    with pytest.raises(Refused, match="already_issued"):
        issue_receipt(
            receipt,
            releasing_officer=OFFICERS["o-ice"],
            receiving_officer=OFFICERS["o-sv"],
            states=STATES,
            already_issued=True,
            now=NOW,
        )


def test_receipt_validation() -> None:
    with pytest.raises(InvalidField, match="listed twice"):
        make_receipt(person_ids=("p-1", "p-1"))
    with pytest.raises(InvalidField, match="not listed"):
        make_receipt(person_ids=("p-2", "p-3"))
    with pytest.raises(InvalidField, match="nonce"):
        make_receipt(nonce="short")
    with pytest.raises(InvalidField, match="same officer"):
        make_receipt(receiving=US_ESCORT)
    with pytest.raises(InvalidField, match="quantity"):
        ReceiptItem(item_id="i", person_id="p-1", kind=ItemKind.PROPERTY, description="x", quantity=0)


def test_the_issued_event_rebuilds_the_exact_signed_receipt_so_the_log_can_be_audited() -> None:
    receipt = make_receipt()
    (issued,) = issue_receipt(
        receipt,
        releasing_officer=OFFICERS["o-ice"],
        receiving_officer=OFFICERS["o-sv"],
        states=STATES,
        already_issued=False,
        now=NOW,
    )
    stored = event_from(
        str(issued.TYPE),
        issued.stream,
        json.loads(json.dumps(issued.public())),
        json.loads(json.dumps(issued.private())),
    )
    assert isinstance(stored, HandoffReceiptIssued)
    rebuilt = receipt_from_event(stored)
    assert rebuilt == receipt
    assert receipt_bytes(rebuilt) == receipt_bytes(receipt)
    erased = event_from(str(issued.TYPE), issued.stream, issued.public(), None)
    assert isinstance(erased, HandoffReceiptIssued)
    with pytest.raises(Refused, match="private_payload_erased"):
        receipt_from_event(erased)


def test_receipt_privacy_descriptions_and_nonce_are_private_ids_are_public() -> None:
    receipt = make_receipt()
    a, b = signatures(receipt)
    (issued,) = issue_receipt(
        receipt,
        releasing_officer=OFFICERS["o-ice"],
        receiving_officer=OFFICERS["o-sv"],
        states=STATES,
        already_issued=False,
        now=NOW,
    )
    events = [issued, *complete(receipt, a, b)]
    public = json.dumps([e.public() for e in events], ensure_ascii=False)  # type: ignore[attr-defined]
    for secret in (SECRET_DESCRIPTION, "Wallet", "VE1234567", NONCE):
        assert secret not in public
    assert "p-1" in public
    assert "it-1" in public
    assert "medicine" in public
    private = json.dumps(issued.private(), ensure_ascii=False)
    assert SECRET_DESCRIPTION in private
    assert NONCE in private


def test_receipt_bytes_start_with_the_format_tag_and_sign_uses_them() -> None:
    receipt = make_receipt()
    assert json.loads(receipt_bytes(receipt))["format"] == RECEIPT_FORMAT
    seen: list[bytes] = []
    assert sign(receipt, lambda m: seen.append(m) or b"sig") == b"sig"  # type: ignore[func-returns-value]
    assert seen == [receipt_bytes(receipt)]


# -- the json.dumps form of a receipt is RFC 8785 ----------------------------------------------------------------

text = st.text(st.characters(codec="utf-8"), min_size=1, max_size=30).filter(
    lambda s: s.strip() and all(ord(c) >= 32 or c in "\n\t" for c in s.strip())
)
ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,20}", fullmatch=True)


@st.composite
def receipts(draw: st.DrawFn) -> HandoffReceipt:
    people = draw(st.lists(ids, min_size=1, max_size=4, unique=True))
    items = tuple(
        ReceiptItem(
            item_id=f"i{n}",
            person_id=draw(st.sampled_from(people)),
            kind=draw(st.sampled_from(list(ItemKind))),
            description=draw(text),
            quantity=draw(st.integers(1, 1_000_000)),
        )
        for n in range(draw(st.integers(0, 4)))
    )
    return make_receipt(
        receipt_id=draw(ids),
        manifest_id=draw(st.none() | ids),
        person_ids=tuple(people),
        items=items,
        place_id=draw(ids),
        authority=Authority(agency_id=draw(ids), legal_basis="bilateral_2025", record_id=draw(st.none() | ids)),
        at=AT + timedelta(microseconds=draw(st.integers(0, 10**9))),
    )


@given(receipts())
def test_receipt_bytes_equal_rfc8785_canonical_json(receipt: HandoffReceipt) -> None:
    body = receipt_body(receipt)
    assert receipt_bytes(receipt) == canonical(body) == rfc8785.dumps(body)


def test_receipt_bytes_equal_rfc8785_on_awkward_strings() -> None:
    for description in (
        'quote " backslash \\ tab \t newline \n',
        "\u007f del",
        "\u2028\u2029 separators",
        "emoji 😀 and \ue000 private use",
        "ñ á ü 漢字",
        "</script>",
    ):
        receipt = make_receipt(
            items=(ReceiptItem(item_id="i", person_id="p-1", kind=ItemKind.PROPERTY, description=description),)
        )
        body = receipt_body(receipt)
        assert receipt_bytes(receipt) == canonical(body) == rfc8785.dumps(body), description

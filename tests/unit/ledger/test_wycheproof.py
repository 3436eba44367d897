"""Every Wycheproof Ed25519 case through the one verifier that checkpoints, cosignatures and receipts use."""

from __future__ import annotations

import json
from typing import Any

import pytest

from habeas.ledger.note import Verifier, ed25519_verify
from tests.paths import VECTORS

_DATA: dict[str, Any] = json.loads(
    (VECTORS / "wycheproof-ed25519" / "ed25519_test.json").read_text(encoding="utf-8")
)
CASES = [(group["publicKey"]["pk"], test) for group in _DATA["testGroups"] for test in group["tests"]]
_ED25519_L = 2**252 + 27742317777372353535851937790883648493


def test_there_are_151_cases_88_valid() -> None:
    assert len(CASES) == 151 == _DATA["numberOfTests"]
    assert sum(test["result"] == "valid" for _, test in CASES) == 88
    assert {test["result"] for _, test in CASES} == {"valid", "invalid"}


@pytest.mark.parametrize(("pk", "test"), CASES, ids=[f"tc{t['tcId']}" for _, t in CASES])
def test_case(pk: str, test: dict[str, Any]) -> None:
    public_key, message, signature = bytes.fromhex(pk), bytes.fromhex(test["msg"]), bytes.fromhex(test["sig"])
    expected = test["result"] == "valid"
    assert ed25519_verify(public_key, message, signature) is expected
    # The note verifier (type 0x01) is the same function behind a key name.
    assert Verifier("wycheproof", public_key).verify(message, signature) is expected


def test_adding_the_group_order_to_s_is_refused() -> None:
    """S + L verifies in the group equation; only the S < L check stands between it and a second signature."""
    pk, test = next((pk, t) for pk, t in CASES if t["result"] == "valid" and t["msg"])
    public_key, message, signature = bytes.fromhex(pk), bytes.fromhex(test["msg"]), bytes.fromhex(test["sig"])
    s = int.from_bytes(signature[32:], "little")
    malleated = signature[:32] + (s + _ED25519_L).to_bytes(32, "little")
    assert ed25519_verify(public_key, message, signature)
    assert not ed25519_verify(public_key, message, malleated)


@pytest.mark.parametrize("length", [0, 31, 33, 63, 65])
def test_wrong_lengths_are_refused_not_raised(length: int) -> None:
    pk, test = CASES[0]
    public_key, message, signature = bytes.fromhex(pk), bytes.fromhex(test["msg"]), bytes.fromhex(test["sig"])
    assert ed25519_verify(public_key, message, signature)
    assert not ed25519_verify(public_key, message, (signature + b"\x00")[:length])
    assert not ed25519_verify((public_key + b"\x00")[:length], message, signature)


class _AcceptsEverything:
    """A backend that checks nothing, to show the strict checks stand on their own."""

    @staticmethod
    def from_public_bytes(data: bytes) -> _AcceptsEverything:
        return _AcceptsEverything()

    def verify(self, signature: bytes, data: bytes) -> None:
        return None


def test_strict_checks_hold_whatever_the_backend_accepts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("habeas.ledger.note.Ed25519PublicKey", _AcceptsEverything)
    pk, test = CASES[0]
    public_key, message, signature = bytes.fromhex(pk), bytes.fromhex(test["msg"]), bytes.fromhex(test["sig"])
    assert ed25519_verify(public_key, message, signature)
    s = int.from_bytes(signature[32:], "little")
    p = 2**255 - 19
    assert not ed25519_verify(public_key, message, signature[:32] + (s + _ED25519_L).to_bytes(32, "little"))
    assert not ed25519_verify(public_key, message, signature[:32] + _ED25519_L.to_bytes(32, "little"))
    assert not ed25519_verify(public_key, message, p.to_bytes(32, "little") + signature[32:])  # R: y = p
    assert not ed25519_verify((p + 1).to_bytes(32, "little"), message, signature)  # A: y = p + 1
    assert not ed25519_verify(public_key, message, signature[:63])
    assert not ed25519_verify(public_key[:31], message, signature)

"""Signed notes, keys, checkpoints, cosignatures and tlog-proofs, against the published vectors and specs."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from habeas.ledger.checkpoint import Checkpoint, parse_checkpoint
from habeas.ledger.merkle import MemoryTree, ProofError, inclusion_proof, leaf_hash
from habeas.ledger.note import (
    MAX_SIGNATURES,
    SIG_COSIGNATURE_V1,
    Note,
    NoteError,
    Signature,
    Signer,
    UnverifiedNoteError,
    Verifier,
    cosignature_message,
    ed25519_verify,
    format_skey,
    format_vkey,
    generate_signer,
    key_id,
    open_note,
    parse_skey,
    parse_vkey,
    sign_note,
)
from habeas.ledger.tlog_proof import TlogProof, format_tlog_proof, parse_tlog_proof, verify_tlog_proof
from tests.paths import VECTORS

NOTES = VECTORS / "signed-note"
VECTOR_DATA: dict[str, Any] = json.loads((NOTES / "signed-note-vectors.json").read_text(encoding="utf-8"))
PROOF_FILE = NOTES / "sumdb-real-tlog-proof" / "go.sum-database-tree-43930254.tlog-proof"
LEAF_FILE = NOTES / "sumdb-real-tlog-proof" / "go.sum-database-tree-43930254.raw"
SUMDB_VKEY = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"
PETER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
QUOTE = (
    "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
)
ROOT = bytes(range(32))


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def _ids(cases: list[dict[str, Any]]) -> list[str]:
    return [c["id"] for c in cases]


def _verifiers(case: dict[str, Any]) -> list[Verifier]:
    return [parse_vkey(k) for k in [case["vkey"], *case.get("other_vkeys", [])]]


def _unverified(note: Note) -> list[Signature]:
    """The signatures by keys the reader does not know: kept, not verified."""
    return [s for s in note.signatures if s.verifier is None]


# --- the published vectors ---


def test_vector_file_has_the_expected_cases() -> None:
    assert len(VECTOR_DATA["valid"]) == 7
    assert len(VECTOR_DATA["invalid"]) == 3
    assert len(VECTOR_DATA["keypairs"]) == 5


@pytest.mark.parametrize("case", VECTOR_DATA["valid"], ids=_ids(VECTOR_DATA["valid"]))
def test_valid_note_is_accepted(case: dict[str, Any]) -> None:
    verifiers = _verifiers(case)
    note = open_note(case["note"], verifiers)
    assert note.text == case["text"]
    assert set(note.verified_by) == set(verifiers)
    assert _unverified(note) == []
    # The signature lines survive a parse unchanged.
    assert note.text + "\n" + "".join(s.line for s in note.signatures) == case["note"]


@pytest.mark.parametrize("case", VECTOR_DATA["invalid"], ids=_ids(VECTOR_DATA["invalid"]))
def test_invalid_note_is_rejected(case: dict[str, Any]) -> None:
    assert case["expect_valid"] is False
    with pytest.raises(NoteError):
        open_note(case["note"], _verifiers(case))


@pytest.mark.parametrize("pair", VECTOR_DATA["keypairs"], ids=lambda p: p["vkey"].split("+")[0])
def test_skey_gives_its_vkey_and_both_round_trip(pair: dict[str, str]) -> None:
    signer = parse_skey(pair["skey"])
    assert format_vkey(signer.verifier()) == pair["vkey"]
    assert format_skey(signer) == pair["skey"]
    assert format_vkey(parse_vkey(pair["vkey"])) == pair["vkey"]
    assert parse_vkey(pair["vkey"]).key_id == int(pair["vkey"].split("+")[1], 16)


def test_signing_reproduces_the_published_signature_byte_for_byte() -> None:
    case = VECTOR_DATA["deterministic_sign_check"]
    note = sign_note(case["text"], [parse_skey(case["skey"])])
    assert note == case["text"] + "\n" + case["expected_signature_line"] + "\n"


def test_two_signers_and_an_unknown_signature_is_kept_but_does_not_count() -> None:
    case = next(c for c in VECTOR_DATA["valid"] if c["id"] == "xmod-note-two-sigs")
    note = open_note(case["note"], [parse_vkey(case["vkey"])])
    assert [v.name for v in note.verified_by] == ["PeterNeumann"]
    assert [(s.name, s.key_id) for s in _unverified(note)] == [("EnochRoot", 0xAF0CFE78)]


def test_sumdb_tree_format_vector() -> None:
    case = VECTOR_DATA["sumdb_tree_format"]
    checkpoint = parse_checkpoint(case["formatted"])
    assert checkpoint.size == case["tree_size"]
    assert checkpoint.root == leaf_hash(b"hello world")
    assert checkpoint.body() == case["formatted"]


def test_spec_example_with_a_cosignature_parses_and_its_timestamp_is_the_spec_one() -> None:
    example = VECTOR_DATA["spec_examples_unverifiable"][0]["note"]
    with pytest.raises(UnverifiedNoteError) as caught:
        open_note(example, [])
    log_sig, witness_sig = caught.value.note.signatures
    assert log_sig.name == "example.com/behind-the-sofa"
    assert len(log_sig.signature) == 64
    assert witness_sig.name == "witness.example.com/w1"
    assert len(witness_sig.signature) == 8 + 64
    # tlog-cosignature's example message is "time 1679315147": the first 8 bytes carry it, big-endian.
    assert int.from_bytes(witness_sig.signature[:8], "big") == 1679315147


# --- the real sum.golang.org tlog-proof ---


def _real_proof() -> TlogProof:
    return parse_tlog_proof(_read(PROOF_FILE))


def test_real_sumdb_tlog_proof_verifies() -> None:
    proof = _real_proof()
    assert proof.index == 43930254
    assert len(proof.hashes) == 26
    assert proof.extra is None
    leaf = LEAF_FILE.read_bytes()
    assert leaf_hash(leaf).hex() == "0fa57c511c3b2ffcc0a05ad63172568d265aaf9844e9b636a0978795396f2ab1"
    checkpoint = verify_tlog_proof(proof, leaf, [parse_vkey(SUMDB_VKEY)], origin="go.sum database tree")
    assert (checkpoint.origin, checkpoint.size) == ("go.sum database tree", 58253265)


def test_real_sumdb_tlog_proof_formats_back_byte_for_byte() -> None:
    proof = _real_proof()
    assert format_tlog_proof(proof.index, proof.hashes, proof.checkpoint) == _read(PROOF_FILE)


@pytest.mark.parametrize("position", [0, 1, 12, 25])
def test_real_sumdb_tlog_proof_fails_with_one_flipped_hash(position: int) -> None:
    proof = _real_proof()
    hashes = list(proof.hashes)
    hashes[position] = bytes([hashes[position][0] ^ 1]) + hashes[position][1:]
    bad = TlogProof(proof.index, tuple(hashes), proof.checkpoint)
    with pytest.raises(ProofError):
        verify_tlog_proof(bad, LEAF_FILE.read_bytes(), [parse_vkey(SUMDB_VKEY)])


@pytest.mark.parametrize("index", [43930253, 43930255, 0, 58253264])
def test_real_sumdb_tlog_proof_fails_at_a_wrong_index(index: int) -> None:
    proof = _real_proof()
    moved = TlogProof(index, proof.hashes, proof.checkpoint)
    with pytest.raises(ProofError):
        verify_tlog_proof(moved, LEAF_FILE.read_bytes(), [parse_vkey(SUMDB_VKEY)])


def test_real_sumdb_tlog_proof_fails_for_a_wrong_leaf() -> None:
    leaf = LEAF_FILE.read_bytes().replace(b"v1.0.0", b"v1.0.1", 1)
    with pytest.raises(ProofError):
        verify_tlog_proof(_real_proof(), leaf, [parse_vkey(SUMDB_VKEY)])


def test_real_sumdb_tlog_proof_needs_the_log_key_and_origin() -> None:
    proof, leaf = _real_proof(), LEAF_FILE.read_bytes()
    with pytest.raises(UnverifiedNoteError):
        verify_tlog_proof(proof, leaf, [generate_signer("sum.golang.org").verifier()])
    with pytest.raises(NoteError, match="origin"):
        verify_tlog_proof(proof, leaf, [parse_vkey(SUMDB_VKEY)], origin="example.com/other")


def test_real_sumdb_tlog_proof_with_a_truncated_proof_fails() -> None:
    proof = _real_proof()
    short = TlogProof(proof.index, proof.hashes[:-1], proof.checkpoint)
    with pytest.raises(ProofError):
        verify_tlog_proof(short, LEAF_FILE.read_bytes(), [parse_vkey(SUMDB_VKEY)])


# --- our own proofs, end to end ---


def test_every_leaf_of_a_small_log_proves_through_a_tlog_proof_with_extra_data() -> None:
    log = generate_signer("example.com/habeas-test")
    leaves = [f"entry {i}".encode() for i in range(13)]
    tree = MemoryTree([leaf_hash(x) for x in leaves])
    body = Checkpoint("example.com/habeas-test", len(leaves), tree.root()).body()
    signed = sign_note(body, [log])
    for index, leaf in enumerate(leaves):
        text = format_tlog_proof(index, inclusion_proof(tree, index, len(leaves)), signed, extra=b"ctx")
        proof = parse_tlog_proof(text)
        assert proof.extra == b"ctx"
        assert text.split("\n")[1:3] == [f"extra {base64.b64encode(b'ctx').decode()}", f"index {index}"]
        assert verify_tlog_proof(proof, leaf, [log.verifier()]).size == len(leaves)
        with pytest.raises(ProofError):
            verify_tlog_proof(proof, leaves[(index + 1) % len(leaves)], [log.verifier()])


CP_NOTE = f"o\n1\n{base64.b64encode(ROOT).decode()}\n\n— k AAAAAAA=\n"
HEAD = "c2sp.org/tlog-proof@v1\n"
HASH_LINE = base64.b64encode(ROOT).decode() + "\n"
BAD_PROOFS = {
    "wrong-header": "c2sp.org/tlog-proof@v2\nindex 1\n\n" + CP_NOTE,
    "no-index": HEAD + "\n" + CP_NOTE,
    "index-leading-zero": HEAD + "index 01\n\n" + CP_NOTE,
    "index-negative": HEAD + "index -1\n\n" + CP_NOTE,
    "index-two-spaces": HEAD + "index  1\n\n" + CP_NOTE,
    "index-too-big": HEAD + f"index {1 << 63}\n\n" + CP_NOTE,
    "extra-after-index": HEAD + "index 1\nextra YQ==\n\n" + CP_NOTE,
    "extra-empty": HEAD + "extra \nindex 1\n\n" + CP_NOTE,
    "short-hash": HEAD + "index 1\nAAAA\n\n" + CP_NOTE,
    "hash-not-base64": HEAD + "index 1\n" + "!" * 44 + "\n\n" + CP_NOTE,
    "too-many-hashes": HEAD + "index 1\n" + HASH_LINE * 64 + "\n" + CP_NOTE,
    "no-blank-line": HEAD + "index 1\n",
    "no-checkpoint": HEAD + "index 1\n\n",
}


def test_the_base_case_of_the_bad_proofs_is_valid() -> None:
    proof = parse_tlog_proof(HEAD + "extra YQ==\nindex 1\n" + HASH_LINE * 63 + "\n" + CP_NOTE)
    assert (proof.index, len(proof.hashes), proof.extra, proof.checkpoint) == (1, 63, b"a", CP_NOTE)


@pytest.mark.parametrize("text", BAD_PROOFS.values(), ids=BAD_PROOFS.keys())
def test_malformed_tlog_proof_is_rejected(text: str) -> None:
    with pytest.raises(NoteError):
        parse_tlog_proof(text)


def test_format_tlog_proof_refuses_bad_input() -> None:
    with pytest.raises(NoteError):
        format_tlog_proof(-1, [], "x\n")
    with pytest.raises(NoteError):
        format_tlog_proof(0, [b"short"], "x\n")
    with pytest.raises(NoteError):
        format_tlog_proof(0, [], "x\n", extra=b"")


# --- notes we build ourselves ---


def _peter() -> Signer:
    return parse_skey(PETER)


def test_generated_signer_signs_and_its_note_opens() -> None:
    signer = generate_signer("example.com/log")
    note = sign_note("hello\n", [signer])
    assert open_note(note, [signer.verifier()]).text == "hello\n"
    assert parse_skey(format_skey(signer)) == signer
    assert parse_vkey(format_vkey(signer.verifier())) == signer.verifier()
    assert repr(signer.seed) not in repr(signer)


def test_note_text_may_hold_blank_lines() -> None:
    text = "first\n\nsecond\n\n"
    note = sign_note(text, [_peter()])
    assert open_note(note, [_peter().verifier()]).text == text


def test_a_known_key_whose_signature_fails_rejects_the_whole_note() -> None:
    peter = _peter()
    same_name = generate_signer("PeterNeumann")  # same name, another key id: unknown, so kept and ignored
    good = sign_note(QUOTE, [peter, same_name])
    assert [s.name for s in _unverified(open_note(good, [peter.verifier()]))] == ["PeterNeumann"]
    # A line with Peter's name and key id over another text: it must be checked, and it fails.
    other_line = sign_note("another text\n", [peter]).split("\n\n")[1]
    with pytest.raises(NoteError, match="does not verify"):
        open_note(good + other_line, [peter.verifier()])


def test_repeated_signature_lines_are_dropped() -> None:
    note = sign_note(QUOTE, [_peter()])
    line = note.split("\n\n", 1)[1]
    opened = open_note(note + line, [_peter().verifier()])
    assert len(opened.signatures) == 1
    unknown = open_note(note + line + "— Someone AAAAAAA=\n" * 2, [_peter().verifier()])
    assert [s.name for s in _unverified(unknown)] == ["Someone"]


def test_the_same_verifier_twice_is_fine_but_two_keys_with_one_name_and_id_are_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a, b = generate_signer("same"), generate_signer("same")
    note = sign_note("x\n", [a])
    assert open_note(note, [a.verifier(), a.verifier()]).verified_by == (a.verifier(),)
    # A real collision costs 2**32 tries; pretend the key ids collide.
    monkeypatch.setattr("habeas.ledger.note.key_id", lambda *_: 7)
    with pytest.raises(NoteError, match="share the name and key id"):
        open_note(note, [a.verifier(), b.verifier()])


def _note_with(sig_line: str) -> str:
    return QUOTE + "\n" + sig_line


PETER_SIG = "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
MALFORMED_NOTES = {
    "no-blank-line": (QUOTE + f"— PeterNeumann {PETER_SIG}\n", "no blank line"),
    "no-signatures": (QUOTE + "\n", "must end with a signature line"),
    "hyphen-not-em-dash": (_note_with(f"- PeterNeumann {PETER_SIG}\n"), "em dash"),
    "en-dash": (_note_with(f"\u2013 PeterNeumann {PETER_SIG}\n"), "em dash"),
    "no-space-after-dash": (_note_with(f"—PeterNeumann {PETER_SIG}\n"), "em dash"),
    "no-signature": (_note_with("— PeterNeumann\n"), "too short"),
    "empty-signature": (_note_with("— PeterNeumann \n"), "too short"),
    "empty-name": (_note_with(f"—  {PETER_SIG}\n"), "invalid key name"),
    "plus-in-name": (_note_with(f"— Peter+Neumann {PETER_SIG}\n"), "invalid key name"),
    "two-spaces": (_note_with(f"— PeterNeumann  {PETER_SIG}\n"), "not valid base64"),
    "trailing-space": (_note_with(f"— PeterNeumann {PETER_SIG} \n"), "not valid base64"),
    "unpadded-base64": (_note_with(f"— PeterNeumann {PETER_SIG.rstrip('=')}\n"), "not valid base64"),
    "non-canonical-base64": (_note_with(f"— PeterNeumann {PETER_SIG[:-2]}N=\n"), "not canonical"),
    "signature-too-short": (_note_with("— PeterNeumann x08goA==\n"), "too short"),
    "blank-line-between-signatures": (
        _note_with(f"— PeterNeumann {PETER_SIG}\n\n— PeterNeumann {PETER_SIG}\n"),
        "does not verify",
    ),
    "carriage-return": (_note_with(f"— PeterNeumann {PETER_SIG}\r\n"), "control character"),
    "control-char-in-text": ("tab\there\n\n" + f"— PeterNeumann {PETER_SIG}\n", "control character"),
    "nul-in-text": ("nul\x00\n\n" + f"— PeterNeumann {PETER_SIG}\n", "control character"),
    "lone-surrogate": ("bad \ud800\n\n" + f"— PeterNeumann {PETER_SIG}\n", "UTF-8"),
    "too-many-signatures": (
        _note_with(f"— PeterNeumann {PETER_SIG}\n" * (MAX_SIGNATURES + 1)),
        "more than 100",
    ),
    "oversize": ("a" * (1 << 20) + "\n\n" + f"— PeterNeumann {PETER_SIG}\n", "more than 1048576"),
    "text-changed": (
        _note_with(f"— PeterNeumann {PETER_SIG}\n").replace("problem,", "problem;"),
        "does not verify",
    ),
}


@pytest.mark.parametrize(("note", "reason"), MALFORMED_NOTES.values(), ids=MALFORMED_NOTES.keys())
def test_malformed_note_is_rejected_for_its_reason(note: str, reason: str) -> None:
    with pytest.raises(NoteError, match=reason):
        open_note(note, [_peter().verifier()])


def test_the_base_case_of_the_malformed_notes_is_valid() -> None:
    assert open_note(_note_with(f"— PeterNeumann {PETER_SIG}\n"), [_peter().verifier()]).text == QUOTE
    assert (
        len(_note_with(f"— PeterNeumann {PETER_SIG}\n" * MAX_SIGNATURES).split("\n— ")) == MAX_SIGNATURES + 1
    )
    assert open_note(_note_with(f"— PeterNeumann {PETER_SIG}\n" * MAX_SIGNATURES), [_peter().verifier()])


@pytest.mark.parametrize(
    ("text", "signers"), [("no newline", [_peter()]), ("x\n", []), ("a\tb\n", [_peter()])]
)
def test_sign_note_refuses(text: str, signers: list[Signer]) -> None:
    with pytest.raises(NoteError):
        sign_note(text, signers)


# --- keys ---

PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
BAD_VKEYS = {
    "wrong-key-id": "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    "short-key-id": "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    "uppercase-key-id": "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    "renamed": "PeterNeuman+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    "space-in-name": "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    "empty-name": "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    "unknown-type": "PeterNeumann+c74f20a3+Ahpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    "short-key": "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10Q=",
    "missing-part": "PeterNeumann+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    "not-base64": "PeterNeumann+c74f20a3+!Rpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
}


def test_the_base_case_of_the_bad_vkeys_is_valid() -> None:
    assert parse_vkey(PETER_VKEY) == _peter().verifier()


@pytest.mark.parametrize("vkey", BAD_VKEYS.values(), ids=BAD_VKEYS.keys())
def test_bad_vkey_is_rejected(vkey: str) -> None:
    with pytest.raises(NoteError):
        parse_vkey(vkey)


BAD_SKEYS = {
    "no-prefix": PETER.removeprefix("PRIVATE+KEY+"),
    "lowercase-prefix": PETER.replace("PRIVATE+KEY", "private+key"),
    "wrong-key-id": PETER.replace("c74f20a3", "c74f20a4"),
    "renamed": PETER.replace("PeterNeumann", "EnochRoot"),
    "cosigner-type": PETER.replace("+AYEK", "+BIEK"),
    "short-seed": "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKA==",
}


@pytest.mark.parametrize("skey", BAD_SKEYS.values(), ids=BAD_SKEYS.keys())
def test_bad_skey_is_rejected(skey: str) -> None:
    with pytest.raises(NoteError):
        parse_skey(skey)


@pytest.mark.parametrize("name", ["", "a b", "a+b", "a\tb", "a\u00a0b", "a\u2003b", "a\nb", "a\ud800"])
def test_invalid_key_names_are_refused(name: str) -> None:
    with pytest.raises(NoteError):
        Signer(name, bytes(32))


def test_key_id_is_the_spec_derivation() -> None:
    vkey = VECTOR_DATA["valid"][0]["vkey"]  # the C2SP example key
    verifier = parse_vkey(vkey)
    assert verifier.key_id == 0x530D903A == key_id("example.com/foo", 0x01, verifier.public_key)


# --- checkpoints ---

ROOT64 = base64.b64encode(ROOT).decode()


@pytest.mark.parametrize(
    "checkpoint",
    [
        Checkpoint("example.com/log", 0, ROOT),
        Checkpoint("example.com/log", 1, ROOT),
        Checkpoint("a log with spaces", (1 << 63) - 1, ROOT),
        Checkpoint("example.com/log", 42, ROOT, ("ext one", "ext two")),
    ],
)
def test_checkpoint_round_trips(checkpoint: Checkpoint) -> None:
    body = checkpoint.body()
    assert body.endswith("\n")
    assert body.split("\n")[:3] == [checkpoint.origin, str(checkpoint.size), ROOT64]
    assert parse_checkpoint(body) == checkpoint


BAD_CHECKPOINTS = {
    "no-final-newline": f"o\n1\n{ROOT64}",
    "two-lines": "o\n1\n",
    "empty-origin": f"\n1\n{ROOT64}\n",
    "leading-zero": f"o\n01\n{ROOT64}\n",
    "double-zero": f"o\n00\n{ROOT64}\n",
    "plus-sign": f"o\n+1\n{ROOT64}\n",
    "minus-sign": f"o\n-1\n{ROOT64}\n",
    "space-in-size": f"o\n 1\n{ROOT64}\n",
    "hex-size": f"o\n0x1\n{ROOT64}\n",
    "underscore-size": f"o\n1_000\n{ROOT64}\n",
    "arabic-digit": f"o\n\u0661\n{ROOT64}\n",
    "size-too-big": f"o\n{1 << 63}\n{ROOT64}\n",
    "size-five-thousand-digits": f"o\n{'9' * 5000}\n{ROOT64}\n",
    "empty-size": f"o\n\n{ROOT64}\n",
    "short-root": "o\n1\nAAAA\n",
    "long-root": f"o\n1\n{base64.b64encode(ROOT + b'x').decode()}\n",
    "unpadded-root": f"o\n1\n{ROOT64.rstrip('=')}\n",
    "non-canonical-root": f"o\n1\n{ROOT64[:-2]}9=\n",
    "url-safe-root": "o\n1\n" + base64.urlsafe_b64encode(b"\xff" * 32).decode() + "\n",
    "empty-extension": f"o\n1\n{ROOT64}\n\n",
    "crlf": f"o\r\n1\r\n{ROOT64}\r\n",
    "control-char-origin": f"o\x01\n1\n{ROOT64}\n",
}


def test_the_base_case_of_the_bad_checkpoints_is_valid() -> None:
    assert parse_checkpoint(f"o\n1\n{ROOT64}\n") == Checkpoint("o", 1, ROOT)
    assert base64.b64decode(f"{ROOT64[:-2]}9=") == ROOT  # the non-canonical case really decodes to the root


@pytest.mark.parametrize("text", BAD_CHECKPOINTS.values(), ids=BAD_CHECKPOINTS.keys())
def test_bad_checkpoint_is_rejected(text: str) -> None:
    with pytest.raises(NoteError):
        parse_checkpoint(text)


@pytest.mark.parametrize(
    "args",
    [
        ("", 1, ROOT),
        ("o\np", 1, ROOT),
        ("o", -1, ROOT),
        ("o", 1 << 63, ROOT),
        ("o", 1, ROOT[:31]),
        ("o", 1, ROOT, ("",)),
    ],
)
def test_checkpoint_constructor_refuses(args: tuple[Any, ...]) -> None:
    with pytest.raises(NoteError):
        Checkpoint(*args)


# --- witness cosignatures ---


def _witness() -> tuple[Signer, Verifier]:
    signer = generate_signer("witness.example.com/w1")
    return signer, signer.verifier(SIG_COSIGNATURE_V1)


def _cosign(witness: Signer, body: str, timestamp: int) -> str:
    """A cosignature/v1 line as a witness makes it (c2sp.org/tlog-cosignature): habeas only verifies them."""
    kid = key_id(witness.name, SIG_COSIGNATURE_V1, witness.public_key)
    signature = witness.sign(cosignature_message(timestamp, body.encode()))
    raw = kid.to_bytes(4, "big") + timestamp.to_bytes(8, "big") + signature
    return f"— {witness.name} {base64.b64encode(raw).decode()}\n"


def test_cosignature_message_format_and_verification() -> None:
    log = generate_signer("example.com/log")
    witness, wv = _witness()
    body = Checkpoint("example.com/log", 5, ROOT).body()
    line = _cosign(witness, body, 1679315147)
    raw = base64.b64decode(line.split(" ")[2])
    assert int.from_bytes(raw[:4], "big") == wv.key_id != witness.key_id
    message = b"cosignature/v1\ntime 1679315147\n" + body.encode()
    assert ed25519_verify(witness.public_key, message, raw[12:])
    # Appended to the log's signed checkpoint, the note opens with both keys and reports the time.
    note = open_note(sign_note(body, [log]) + line, [log.verifier(), wv])
    assert [s.timestamp for s in note.signatures] == [None, 1679315147]
    assert format_vkey(wv).split("+")[2].startswith(base64.b64encode(b"\x04").decode()[:1])
    assert parse_vkey(format_vkey(wv)) == wv


def test_cosignature_is_rejected_when_anything_changes() -> None:
    log = generate_signer("example.com/log")
    witness, wv = _witness()
    body = Checkpoint("example.com/log", 5, ROOT).body()
    line = _cosign(witness, body, 1000)
    other = Checkpoint("example.com/log", 6, ROOT).body()
    with pytest.raises(NoteError, match="does not verify"):
        open_note(sign_note(other, [log]) + line, [log.verifier(), wv])
    raw = bytearray(base64.b64decode(line.split(" ")[2]))
    raw[11] ^= 1  # the timestamp
    tampered = f"— witness.example.com/w1 {base64.b64encode(bytes(raw)).decode()}\n"
    with pytest.raises(NoteError, match="does not verify"):
        open_note(sign_note(body, [log]) + tampered, [log.verifier(), wv])
    # A log signature (type 0x01) is not a cosignature, even from the same key: the cosigner key ignores it.
    plain = sign_note(body, [witness]).split("\n\n")[1]
    with pytest.raises(NoteError):
        open_note(body + "\n" + plain, [wv])

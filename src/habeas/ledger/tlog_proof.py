"""C2SP tlog-proofs (c2sp.org/tlog-proof@v1): a leaf index, its inclusion proof and the signed checkpoint it is
proved against, in one text a client can check offline with the log's verifier key."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from habeas.ledger.checkpoint import Checkpoint, parse_checkpoint
from habeas.ledger.merkle import HASH_SIZE, leaf_hash, verify_inclusion
from habeas.ledger.note import MAX_INT63, NoteError, Verifier, decode_b64, encode_b64, open_note, parse_decimal

TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1"


@dataclass(frozen=True)
class TlogProof:
    """A c2sp.org/tlog-proof@v1: leaf index, inclusion proof and the signed checkpoint note, verbatim."""

    index: int
    hashes: tuple[bytes, ...]
    checkpoint: str
    extra: bytes | None = None


def format_tlog_proof(
    index: int, proof_hashes: Sequence[bytes], signed_checkpoint_note: str, extra: bytes | None = None
) -> str:
    if isinstance(index, bool) or not 0 <= index <= MAX_INT63:
        raise NoteError(f"tlog-proof index {index} is out of range")
    if extra == b"":
        raise NoteError("tlog-proof extra data is empty: omit it instead")
    if any(len(h) != HASH_SIZE for h in proof_hashes):
        raise NoteError(f"tlog-proof hashes must be {HASH_SIZE} bytes")
    lines = [TLOG_PROOF_HEADER, *([] if extra is None else [f"extra {encode_b64(extra)}"]), f"index {index}"]
    lines += [encode_b64(h) for h in proof_hashes]
    return "\n".join(lines) + "\n\n" + signed_checkpoint_note


def parse_tlog_proof(text: str) -> TlogProof:
    # Proof lines are never empty, so the first blank line ends them.
    head, sep, checkpoint = text.partition("\n\n")
    if not sep or not checkpoint:
        raise NoteError("tlog-proof has no blank line followed by a checkpoint")
    lines = head.split("\n")
    if lines[0] != TLOG_PROOF_HEADER:
        raise NoteError(f"tlog-proof does not start with {TLOG_PROOF_HEADER}")
    pos, extra = 1, None
    if len(lines) > pos and lines[pos].startswith("extra "):
        extra = decode_b64(lines[pos].removeprefix("extra "), "tlog-proof extra data")
        if not extra:
            raise NoteError("tlog-proof extra line is empty")
        pos += 1
    if len(lines) <= pos or not lines[pos].startswith("index "):
        raise NoteError("tlog-proof has no index line")
    index = parse_decimal(lines[pos].removeprefix("index "), "tlog-proof index")
    hashes = tuple(decode_b64(h, "tlog-proof hash") for h in lines[pos + 1 :])
    if any(len(h) != HASH_SIZE for h in hashes):
        raise NoteError(f"tlog-proof hashes must be {HASH_SIZE} bytes")
    if len(hashes) > 63:
        raise NoteError(f"tlog-proof has {len(hashes)} hashes, more than a tree below 2**63 needs")
    return TlogProof(index, hashes, checkpoint, extra)


def verify_tlog_proof(
    proof: TlogProof, leaf_bytes: bytes, verifiers: Iterable[Verifier], *, origin: str | None = None
) -> Checkpoint:
    """Open the checkpoint with trusted keys, then prove the leaf is in it; raises NoteError or ProofError."""
    checkpoint = parse_checkpoint(open_note(proof.checkpoint, verifiers).text)
    if origin is not None and checkpoint.origin != origin:
        raise NoteError(f"checkpoint origin {checkpoint.origin!r} is not {origin!r}")
    verify_inclusion(proof.index, checkpoint.size, leaf_hash(leaf_bytes), proof.hashes, checkpoint.root)
    return checkpoint

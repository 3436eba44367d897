"""C2SP signed notes, checkpoints, witness cosignatures and tlog-proofs, with Ed25519.

Formats, as the specs say (c2sp.org/signed-note, tlog-checkpoint, tlog-cosignature, tlog-proof) and as
golang.org/x/mod/sumdb/note behaves, whose accept/reject decisions the test vectors pin:

- a signed note is a text ending in a newline, one blank line, then one or more lines
  ``— <key name> base64(4-byte key id || signature)``, each ending in a newline;
- an Ed25519 key id is ``SHA-256(name || "\\n" || 0x01 || public key)[:4]`` (0x04 for a cosigner key);
- a checkpoint is a note whose text is origin, decimal size and base64 root, one a line;
- a cosignature (type 0x04) signs ``cosignature/v1\\ntime <t>\\n`` + the checkpoint text, and carries the
  8-byte big-endian timestamp before the 64-byte signature.

We are stricter than x/mod in two places, on purpose: base64 must be canonical (one encoding per value, so a
signature line cannot be re-encoded into a second line that also verifies), and every signature from a known
key is verified, repeats included, as the spec says verifiers MUST.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from habeas.ledger.merkle import HASH_SIZE, leaf_hash, verify_inclusion

SIG_ED25519 = 0x01
SIG_COSIGNATURE_V1 = 0x04
MAX_SIGNATURES = 100  # x/mod's limit; the spec demands at least 16
MAX_NOTE_BYTES = 1 << 20  # ours: the spec asks verifiers to bound a note's size
MAX_INT63 = (1 << 63) - 1  # sizes, indexes and timestamps are u64 on the wire but must fit int64 (tlog, spec)
SIG_PREFIX = "\u2014 "  # em dash, space
TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1"

_ED25519_L = 2**252 + 27742317777372353535851937790883648493
_ED25519_P = 2**255 - 19
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_HEX_KEY_ID = re.compile(r"[0-9a-f]{8}")


class NoteError(ValueError):
    """A key, note, checkpoint, cosignature or tlog-proof that is malformed or does not verify."""


class UnverifiedNoteError(NoteError):
    """A well-formed note that no known key signed; ``note`` holds what was parsed, for diagnosis only."""

    def __init__(self, note: Note) -> None:
        super().__init__("signed note has no signature from a known key")
        self.note = note


def ed25519_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """RFC 8032 verification with the strict checks spelled out, whatever the backend tolerates.

    S >= L is refused (otherwise S + L is a second valid signature for the same message), and so are
    non-canonical encodings of A and R (y >= p), so one message has one signature per key.
    """
    if len(public_key) != 32 or len(signature) != 64:
        return False
    if int.from_bytes(signature[32:], "little") >= _ED25519_L:
        return False
    for point in (public_key, signature[:32]):
        if int.from_bytes(point, "little") & ((1 << 255) - 1) >= _ED25519_P:
            return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def _b64decode(text: str, what: str) -> bytes:
    """Standard base64, padded and canonical (re-encoding gives back the same text)."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise NoteError(f"{what} is not valid base64") from None
    if base64.b64encode(raw).decode() != text:
        raise NoteError(f"{what} is not canonical base64")
    return raw


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _check_name(name: str) -> None:
    if not name or "+" in name or any(c.isspace() or c < " " or "\ud800" <= c <= "\udfff" for c in name):
        raise NoteError(f"invalid key name {name!r}: must be non-empty, without spaces or '+'")


def _check_text(text: str, what: str) -> None:
    """UTF-8 (no lone surrogates) and no ASCII control character other than newline."""
    if any(c < " " and c != "\n" for c in text):
        raise NoteError(f"{what} contains a control character")
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise NoteError(f"{what} is not valid UTF-8") from None
    if size > MAX_NOTE_BYTES:
        raise NoteError(f"{what} is {size} bytes, more than {MAX_NOTE_BYTES}")


def _decimal(text: str, what: str) -> int:
    # The length bound comes first: int() of a very long string is slow, then refused by Python itself.
    if len(text) > 19 or not _DECIMAL.fullmatch(text) or int(text) > MAX_INT63:
        raise NoteError(f"{what} {text[:40]!r} is not a decimal without leading zeros below 2**63")
    return int(text)


def key_id(name: str, sig_type: int, public_key: bytes) -> int:
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([sig_type]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


# --- keys ---


@dataclass(frozen=True)
class Verifier:
    """A trusted public key: ``sig_type`` 0x01 verifies note signatures, 0x04 verifies cosignature/v1."""

    name: str
    public_key: bytes
    sig_type: int = SIG_ED25519

    def __post_init__(self) -> None:
        _check_name(self.name)
        if len(self.public_key) != 32:
            raise NoteError(f"Ed25519 public key for {self.name} is {len(self.public_key)} bytes, not 32")
        if self.sig_type not in (SIG_ED25519, SIG_COSIGNATURE_V1):
            raise NoteError(f"unsupported signature type {self.sig_type:#04x} for {self.name}")

    @property
    def key_id(self) -> int:
        return key_id(self.name, self.sig_type, self.public_key)

    def verify(self, text: bytes, signature: bytes) -> bool:
        if self.sig_type == SIG_ED25519:
            return ed25519_verify(self.public_key, text, signature)
        if len(signature) != 72:
            return False
        timestamp = int.from_bytes(signature[:8], "big")
        if timestamp > MAX_INT63:
            return False
        return ed25519_verify(self.public_key, cosignature_message(timestamp, text), signature[8:])


@dataclass(frozen=True)
class Signer:
    """An Ed25519 private key (held as its 32-byte seed) and the key name it signs under."""

    name: str
    seed: bytes = field(repr=False)

    def __post_init__(self) -> None:
        _check_name(self.name)
        if len(self.seed) != 32:
            raise NoteError(f"Ed25519 seed for {self.name} is {len(self.seed)} bytes, not 32")

    @cached_property  # loading the key costs more than signing a checkpoint; the writer signs one a batch
    def private_key(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.seed)

    @property
    def public_key(self) -> bytes:
        return self.private_key.public_key().public_bytes_raw()

    @property
    def key_id(self) -> int:
        return key_id(self.name, SIG_ED25519, self.public_key)

    def verifier(self, sig_type: int = SIG_ED25519) -> Verifier:
        return Verifier(self.name, self.public_key, sig_type)

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)


def generate_signer(name: str) -> Signer:
    return Signer(name, Ed25519PrivateKey.generate().private_bytes_raw())


def format_skey(signer: Signer) -> str:
    return f"PRIVATE+KEY+{signer.name}+{signer.key_id:08x}+{_b64(bytes([SIG_ED25519]) + signer.seed)}"


def _split_key(text: str, what: str) -> tuple[str, int, int, bytes]:
    """``name+hex key id+base64(type || key)`` -> (name, key id, type, key)."""
    parts = text.split("+", 2)  # names hold no '+', base64 may
    if len(parts) != 3 or not _HEX_KEY_ID.fullmatch(parts[1]):
        raise NoteError(f"{what} is not name+keyid+key")
    name, hex_id, key64 = parts
    _check_name(name)
    raw = _b64decode(key64, f"{what} material")
    if len(raw) != 33:
        raise NoteError(f"{what} material is {len(raw)} bytes, not 1 + 32")
    return name, int(hex_id, 16), raw[0], raw[1:]


def parse_skey(text: str) -> Signer:
    if not text.startswith("PRIVATE+KEY+"):
        raise NoteError("signer key does not start with PRIVATE+KEY+")
    name, kid, sig_type, seed = _split_key(text.removeprefix("PRIVATE+KEY+"), "signer key")
    if sig_type != SIG_ED25519:
        raise NoteError(f"signer key type {sig_type:#04x} is not Ed25519 (0x01)")
    signer = Signer(name, seed)
    if signer.key_id != kid:
        raise NoteError(f"signer key id {kid:08x} does not match the key of {name}")
    return signer


def format_vkey(verifier: Verifier) -> str:
    material = _b64(bytes([verifier.sig_type]) + verifier.public_key)
    return f"{verifier.name}+{verifier.key_id:08x}+{material}"


def parse_vkey(text: str) -> Verifier:
    name, kid, sig_type, public_key = _split_key(text, "verifier key")
    verifier = Verifier(name, public_key, sig_type)
    if verifier.key_id != kid:
        raise NoteError(f"verifier key id {kid:08x} does not match the key of {name}")
    return verifier


# --- notes ---


@dataclass(frozen=True)
class Signature:
    """One signature line; ``verifier`` is the known key that verified it, or None for an unknown key."""

    name: str
    key_id: int
    signature: bytes
    verifier: Verifier | None = None

    @property
    def line(self) -> str:
        return f"{SIG_PREFIX}{self.name} {_b64(self.key_id.to_bytes(4, 'big') + self.signature)}\n"

    @property
    def timestamp(self) -> int | None:
        """The cosignature's time (POSIX seconds) when a cosigner key verified it."""
        if self.verifier is None or self.verifier.sig_type != SIG_COSIGNATURE_V1:
            return None
        return int.from_bytes(self.signature[:8], "big")


@dataclass(frozen=True)
class Note:
    text: str
    signatures: tuple[Signature, ...]

    @property
    def verified_by(self) -> tuple[Verifier, ...]:
        return tuple(s.verifier for s in self.signatures if s.verifier is not None)

    @property
    def unverified(self) -> tuple[Signature, ...]:
        return tuple(s for s in self.signatures if s.verifier is None)


def _signature_line(signer: Signer, kid: int, signature: bytes) -> str:
    return Signature(signer.name, kid, signature).line


def sign_note(text: str, signers: Sequence[Signer]) -> str:
    if not text.endswith("\n"):
        raise NoteError("note text must end in a newline")
    _check_text(text, "note text")
    if not signers:
        raise NoteError("a note needs at least one signer")
    data = text.encode()
    return text + "\n" + "".join(_signature_line(s, s.key_id, s.sign(data)) for s in signers)


def _parse_signature_line(line: str) -> Signature:
    if not line.startswith(SIG_PREFIX):
        raise NoteError("signature line does not start with an em dash and a space")
    name, _, b64 = line.removeprefix(SIG_PREFIX).partition(" ")
    _check_name(name)
    raw = _b64decode(b64, f"signature by {name}")
    if len(raw) < 5:
        raise NoteError(f"signature by {name} is {len(raw)} bytes, too short for a key id and a signature")
    return Signature(name, int.from_bytes(raw[:4], "big"), raw[4:])


def _known(verifiers: Iterable[Verifier]) -> dict[tuple[str, int], Verifier]:
    known: dict[tuple[str, int], Verifier] = {}
    for v in verifiers:
        other = known.setdefault((v.name, v.key_id), v)
        if other != v:
            raise NoteError(f"two different keys share the name and key id {v.name}+{v.key_id:08x}")
    return known


def open_note(note: str, verifiers: Iterable[Verifier]) -> Note:
    """Parse a signed note and verify it: at least one known key must have signed, and none may fail."""
    _check_text(note, "signed note")
    split = note.rfind("\n\n")  # the text may hold blank lines: the last one separates the signatures
    if split < 0:
        raise NoteError("signed note has no blank line before its signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block.endswith("\n"):
        raise NoteError("signed note must end with a signature line and a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"signed note has {len(lines)} signatures, more than {MAX_SIGNATURES}")
    known = _known(verifiers)
    data = text.encode()
    out: list[Signature] = []
    seen: set[str | tuple[str, int]] = set()
    for line in lines:
        sig = _parse_signature_line(line)
        verifier = known.get((sig.name, sig.key_id))
        if verifier is not None and not verifier.verify(data, sig.signature):
            # The spec says SHOULD reject the note: a bad signature by a trusted key is an attack or a bug.
            raise NoteError(f"signature by {sig.name}+{sig.key_id:08x} does not verify")
        key: str | tuple[str, int] = line if verifier is None else (sig.name, sig.key_id)
        if key not in seen:  # repeats are dropped, as x/mod does
            seen.add(key)
            out.append(Signature(sig.name, sig.key_id, sig.signature, verifier))
    result = Note(text, tuple(out))
    if not result.verified_by:
        raise UnverifiedNoteError(result)
    return result


# --- checkpoints ---


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for what, line in (("origin", self.origin), *(("extension line", e) for e in self.extensions)):
            if not line or "\n" in line:
                raise NoteError(f"checkpoint {what} must be one non-empty line")
            _check_text(line, f"checkpoint {what}")
        if isinstance(self.size, bool) or not 0 <= self.size <= MAX_INT63:
            raise NoteError(f"checkpoint size {self.size} is out of range")
        if len(self.root) != HASH_SIZE:
            raise NoteError(f"checkpoint root is {len(self.root)} bytes, not {HASH_SIZE}")

    def body(self) -> str:
        lines = (self.origin, str(self.size), _b64(self.root), *self.extensions)
        return "".join(f"{line}\n" for line in lines)


def parse_checkpoint(text: str) -> Checkpoint:
    if not text.endswith("\n"):
        raise NoteError("checkpoint must end in a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise NoteError(f"checkpoint has {len(lines)} lines, fewer than 3")
    origin, size, root, *extensions = lines
    root_hash = _b64decode(root, "checkpoint root")
    return Checkpoint(origin, _decimal(size, "checkpoint size"), root_hash, tuple(extensions))


# --- witness cosignatures ---


def cosignature_message(timestamp: int, checkpoint_body: bytes) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n".encode() + checkpoint_body


def cosign(signer: Signer, checkpoint_body: str, timestamp: int) -> str:
    """A cosignature/v1 line (ending in a newline) to append to the signed checkpoint."""
    parse_checkpoint(checkpoint_body)
    if isinstance(timestamp, bool) or not 0 <= timestamp <= MAX_INT63:
        raise NoteError(f"cosignature timestamp {timestamp} is out of range")
    kid = key_id(signer.name, SIG_COSIGNATURE_V1, signer.public_key)
    signature = signer.sign(cosignature_message(timestamp, checkpoint_body.encode()))
    return _signature_line(signer, kid, timestamp.to_bytes(8, "big") + signature)


def verify_cosignature(line: str, checkpoint_body: str, verifier: Verifier) -> int:
    """Verify one cosignature line against a checkpoint body; returns its timestamp."""
    if verifier.sig_type != SIG_COSIGNATURE_V1:
        raise NoteError(f"key {verifier.name} is not a cosignature/v1 (0x04) key")
    sig = _parse_signature_line(line.removesuffix("\n"))
    if (sig.name, sig.key_id) != (verifier.name, verifier.key_id):
        raise NoteError(f"cosignature is by {sig.name}+{sig.key_id:08x}, not {verifier.name}")
    if not verifier.verify(checkpoint_body.encode(), sig.signature):
        raise NoteError(f"cosignature by {sig.name}+{sig.key_id:08x} does not verify")
    return int.from_bytes(sig.signature[:8], "big")


# --- tlog-proof ---


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
    lines = [TLOG_PROOF_HEADER, *([] if extra is None else [f"extra {_b64(extra)}"]), f"index {index}"]
    lines += [_b64(h) for h in proof_hashes]
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
        extra = _b64decode(lines[pos].removeprefix("extra "), "tlog-proof extra data")
        if not extra:
            raise NoteError("tlog-proof extra line is empty")
        pos += 1
    if len(lines) <= pos or not lines[pos].startswith("index "):
        raise NoteError("tlog-proof has no index line")
    index = _decimal(lines[pos].removeprefix("index "), "tlog-proof index")
    hashes = tuple(_b64decode(h, "tlog-proof hash") for h in lines[pos + 1 :])
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

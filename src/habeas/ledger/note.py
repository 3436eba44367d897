"""C2SP signed notes with Ed25519: keys, signing, opening, and the verification of witness cosignatures.

Checkpoints are in :mod:`habeas.ledger.checkpoint`, tlog-proofs in :mod:`habeas.ledger.tlog_proof`.

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

from habeas.domain.errors import HabeasError

SIG_ED25519 = 0x01
SIG_COSIGNATURE_V1 = 0x04
MAX_SIGNATURES = 100  # x/mod's limit; the spec demands at least 16
MAX_NOTE_BYTES = 1 << 20  # ours: the spec asks verifiers to bound a note's size
MAX_INT63 = (1 << 63) - 1  # sizes, indexes and timestamps are u64 on the wire but must fit int64 (tlog, spec)
SIG_PREFIX = "\u2014 "  # em dash, space

_ED25519_L = 2**252 + 27742317777372353535851937790883648493
_ED25519_P = 2**255 - 19
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_HEX_KEY_ID = re.compile(r"[0-9a-f]{8}")


class NoteError(HabeasError, ValueError):
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


def decode_b64(text: str, what: str) -> bytes:
    """Standard base64, padded and canonical (re-encoding gives back the same text)."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise NoteError(f"{what} is not valid base64") from None
    if base64.b64encode(raw).decode() != text:
        raise NoteError(f"{what} is not canonical base64")
    return raw


def encode_b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _check_name(name: str) -> None:
    if not name or "+" in name or any(c.isspace() or c < " " or "\ud800" <= c <= "\udfff" for c in name):
        raise NoteError(f"invalid key name {name!r}: must be non-empty, without spaces or '+'")


def check_text(text: str, what: str) -> None:
    """UTF-8 (no lone surrogates) and no ASCII control character other than newline."""
    if any(c < " " and c != "\n" for c in text):
        raise NoteError(f"{what} contains a control character")
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise NoteError(f"{what} is not valid UTF-8") from None
    if size > MAX_NOTE_BYTES:
        raise NoteError(f"{what} is {size} bytes, more than {MAX_NOTE_BYTES}")


def parse_decimal(text: str, what: str) -> int:
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

    @cached_property  # the writer names the key in the signature of every checkpoint: derived once, not a batch
    def public_key(self) -> bytes:
        return self.private_key.public_key().public_bytes_raw()

    @cached_property
    def key_id(self) -> int:
        return key_id(self.name, SIG_ED25519, self.public_key)

    def verifier(self, sig_type: int = SIG_ED25519) -> Verifier:
        return Verifier(self.name, self.public_key, sig_type)

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)


def generate_signer(name: str) -> Signer:
    return Signer(name, Ed25519PrivateKey.generate().private_bytes_raw())


def format_skey(signer: Signer) -> str:
    return f"PRIVATE+KEY+{signer.name}+{signer.key_id:08x}+{encode_b64(bytes([SIG_ED25519]) + signer.seed)}"


def _split_key(text: str, what: str) -> tuple[str, int, int, bytes]:
    """``name+hex key id+base64(type || key)`` -> (name, key id, type, key)."""
    parts = text.split("+", 2)  # names hold no '+', base64 may
    if len(parts) != 3 or not _HEX_KEY_ID.fullmatch(parts[1]):
        raise NoteError(f"{what} is not name+keyid+key")
    name, hex_id, key64 = parts
    _check_name(name)
    raw = decode_b64(key64, f"{what} material")
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
    material = encode_b64(bytes([verifier.sig_type]) + verifier.public_key)
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
        return f"{SIG_PREFIX}{self.name} {encode_b64(self.key_id.to_bytes(4, 'big') + self.signature)}\n"

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


def _signature_line(signer: Signer, kid: int, signature: bytes) -> str:
    return Signature(signer.name, kid, signature).line


def sign_note(text: str, signers: Sequence[Signer]) -> str:
    if not text.endswith("\n"):
        raise NoteError("note text must end in a newline")
    check_text(text, "note text")
    if not signers:
        raise NoteError("a note needs at least one signer")
    data = text.encode()
    return text + "\n" + "".join(_signature_line(s, s.key_id, s.sign(data)) for s in signers)


def _parse_signature_line(line: str) -> Signature:
    if not line.startswith(SIG_PREFIX):
        raise NoteError("signature line does not start with an em dash and a space")
    name, _, b64 = line.removeprefix(SIG_PREFIX).partition(" ")
    _check_name(name)
    raw = decode_b64(b64, f"signature by {name}")
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
    check_text(note, "signed note")
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


# --- witness cosignatures ---


def cosignature_message(timestamp: int, checkpoint_body: bytes) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n".encode() + checkpoint_body

"""C2SP checkpoints (c2sp.org/tlog-checkpoint): the text of the note that signs a tree head, one a line:
origin, decimal size, base64 root hash, then any extension lines."""

from __future__ import annotations

from dataclasses import dataclass

from habeas.ledger.merkle import HASH_SIZE
from habeas.ledger.note import MAX_INT63, NoteError, check_text, decode_b64, encode_b64, parse_decimal


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
            check_text(line, f"checkpoint {what}")
        if isinstance(self.size, bool) or not 0 <= self.size <= MAX_INT63:
            raise NoteError(f"checkpoint size {self.size} is out of range")
        if len(self.root) != HASH_SIZE:
            raise NoteError(f"checkpoint root is {len(self.root)} bytes, not {HASH_SIZE}")

    def body(self) -> str:
        lines = (self.origin, str(self.size), encode_b64(self.root), *self.extensions)
        return "".join(f"{line}\n" for line in lines)


def parse_checkpoint(text: str) -> Checkpoint:
    if not text.endswith("\n"):
        raise NoteError("checkpoint must end in a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise NoteError(f"checkpoint has {len(lines)} lines, fewer than 3")
    origin, size, root, *extensions = lines
    root_hash = decode_b64(root, "checkpoint root")
    return Checkpoint(origin, parse_decimal(size, "checkpoint size"), root_hash, tuple(extensions))

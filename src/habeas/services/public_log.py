"""The public log (no login): checkpoint, verifier key, leaves, proofs and the C2SP tlog-tiles.

Tiles and entry bundles are served for the tree of the latest checkpoint, so a client that fetched it finds
every tile it needs, and nothing beyond (c2sp.org/tlog-tiles). :func:`prove` is the one place a
c2sp.org/tlog-proof is formatted.
"""

from __future__ import annotations

from sqlalchemy import Connection

from habeas.domain.errors import HabeasError
from habeas.ledger.log import Ledger
from habeas.ledger.note import NoteError, Signer, Verifier, format_vkey, parse_vkey
from habeas.ledger.tiles import TILE_WIDTH, parse_tile_path, tile_width_at
from habeas.ledger.tlog_proof import format_tlog_proof
from habeas.storage import ledger_store
from habeas.storage.ledger_store import StoredCheckpoint

MAX_ENTRY = 0xFFFF  # an entry bundle's uint16 length prefix


class BeyondCheckpoint(HabeasError):
    """A tile or bundle the latest checkpoint's tree does not (yet) hold."""


class EntryTooLarge(HabeasError):
    """An entry longer than an entry bundle's length prefix can say."""

    def __init__(self, seq: int, size: int) -> None:
        super().__init__(f"entry {seq} is {size} bytes, more than an entry bundle can hold ({MAX_ENTRY})")
        self.seq = seq


def prove(ledger: Ledger, seq: int, size: int | None = None) -> str:
    """The c2sp.org/tlog-proof of entry ``seq`` against the checkpoint at ``size`` (default: the latest)."""
    cp = ledger.checkpoint(size)
    return proof_against(ledger, seq, cp)


def proof_against(ledger: Ledger, seq: int, cp: StoredCheckpoint) -> str:
    return format_tlog_proof(seq, ledger.inclusion_proof(seq, cp.size), cp.note)


def checkpoint(ledger: Ledger, size: int | None = None) -> str:
    """The latest signed checkpoint note (or the one signed at ``size``); refuses while the log has none."""
    return ledger.checkpoint(size).note


def vkey(ledger: Ledger) -> str:
    """The verifier key (``<name>+<key id>+<key>``) that checks the checkpoints' signature."""
    return format_vkey(ledger.signer.verifier())


def _tree_size(conn: Connection) -> int:
    cp = ledger_store.read_checkpoint(conn)
    return 0 if cp is None else cp.size


def tile(ledger: Ledger, level: int, index: int, width: int) -> bytes:
    """Hashes ``256 N`` to ``256 N + W - 1`` of tree level ``8 L``, concatenated."""
    with ledger.engine.connect() as conn:
        if tile_width_at(level, index, _tree_size(conn)) < width:
            raise BeyondCheckpoint(f"tile {level}/{index} of width {width} is beyond the latest checkpoint")
        hashes = ledger_store.read_tile_hashes(conn, level, index * TILE_WIDTH, width)
    if len(hashes) != width:  # the checkpoint covers them; a gap is a damaged store, not a client's error
        raise RuntimeError(f"tile {level}/{index}: {len(hashes)} hashes stored, {width} expected")
    return b"".join(hashes)


def entries_tile(ledger: Ledger, index: int, width: int) -> bytes:
    """Leaves ``256 N`` to ``256 N + W - 1``, each as a big-endian uint16 length and the bytes."""
    start = index * TILE_WIDTH
    with ledger.engine.connect() as conn:
        if tile_width_at(0, index, _tree_size(conn)) < width:
            raise BeyondCheckpoint(f"entry bundle {index} of width {width} is beyond the latest checkpoint")
        leaves = [
            leaf for rows in ledger_store.iter_entries(conn, start, start + width, chunk=width) for _, leaf, _ in rows
        ]
    if len(leaves) != width:
        raise RuntimeError(f"entry bundle {index}: {len(leaves)} leaves stored, {width} expected")
    out = bytearray()
    for seq, leaf in enumerate(leaves, start):
        if len(leaf) > MAX_ENTRY:
            raise EntryTooLarge(seq, len(leaf))
        out += len(leaf).to_bytes(2, "big") + leaf
    return bytes(out)


class BadVerifierKey(HabeasError):
    """Text given as a verifier key that is not one."""


class BadTrustedCheckpoint(HabeasError):
    """A checkpoint given as trusted that is not a well-formed note signed by the verifier key."""


def parse_verifier(text: str) -> Verifier:
    try:
        return parse_vkey(text)
    except NoteError as e:
        raise BadVerifierKey(str(e)) from e


def vkey_of(signer: Signer) -> str:
    """The verifier key line of a signing key (what ``habeas log key`` prints and ``habeas init`` writes)."""
    return format_vkey(signer.verifier())


def prove_consistency(ledger: Ledger, old: int, new: int | None = None) -> list[bytes]:
    """The RFC 9162 consistency proof from tree size ``old`` to ``new`` (default: the latest checkpoint's)."""
    return ledger.consistency_proof(old, ledger.checkpoint().size if new is None else new)


def checkpoints(conn: Connection) -> list[StoredCheckpoint]:
    """Every stored checkpoint, oldest first."""
    return list(ledger_store.iter_checkpoints(conn))


FULL_WIDTH = TILE_WIDTH
"""The width of a full tile (one that never changes once served)."""


def tile_coordinates(path: str) -> tuple[int, int, int]:
    """``(level, index, width)`` of a c2sp.org/tlog-tiles path ``tile/<L>/<N>[.p/<W>]``; refuses anything else
    with TilePathError (a ValueError)."""
    return parse_tile_path(path)


def latest_checkpoint(conn: Connection) -> str | None:
    """The latest signed checkpoint note, or None while the log has none."""
    cp = ledger_store.read_checkpoint(conn)
    return None if cp is None else cp.note

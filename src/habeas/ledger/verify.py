"""Verification of a stored log: recompute everything from the leaves, or extend a trusted checkpoint.

It reads only the append-only tables and trusts nothing but the verifier key (and, incrementally, one
checkpoint the caller already trusts): every leaf hash, every stored tile hash, every signed checkpoint and
every private payload that has not been erased are recomputed and compared. The first disagreement is named by
its index.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Connection

from habeas.ledger import merkle
from habeas.ledger.checkpoint import Checkpoint, parse_checkpoint
from habeas.ledger.entry import leaf_commitment
from habeas.ledger.note import NoteError, Verifier, open_note
from habeas.ledger.tiles import TILE_HEIGHT, Frontier, TileReader
from habeas.storage import ledger_store as store

Progress = Callable[[int], None]  # called with the number of entries checked so far, counting from 0


@dataclass
class Problem:
    index: int | None
    message: str

    def __str__(self) -> str:
        return self.message if self.index is None else f"index {self.index}: {self.message}"


@dataclass
class VerifyReport:
    size: int = 0
    start: int = 0
    entries_checked: int = 0
    checkpoints_checked: int = 0
    private_checked: int = 0
    private_erased: int = 0
    problems: list[Problem] = field(default_factory=list)
    kept: list[tuple[int, bytes]] = field(default_factory=list)  # (seq, leaf) of verified leaves ending in `keep`
    access_rows_checked: int = 0  # filled in by the services (services/access_chain.py), not here

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_bad_index(self) -> int | None:
        indexes = [p.index for p in self.problems if p.index is not None]
        return min(indexes) if indexes else None


def _open_checkpoint(note: str, verifier: Verifier, origin: str | None) -> Checkpoint:
    opened = open_note(note, [verifier])
    cp = parse_checkpoint(opened.text)
    if origin is not None and cp.origin != origin:
        raise NoteError(f"checkpoint origin {cp.origin!r} is not the log's origin {origin!r}")
    return cp


def verify_log(
    conn: Connection,
    verifier: Verifier,
    *,
    origin: str | None = None,
    trusted: str | None = None,
    progress: Progress | None = None,
    chunk: int = 20_000,
    keep: bytes | None = None,
) -> VerifyReport:
    """Verify the log in ``conn``; with ``trusted`` (a signed checkpoint note), only what came after it.

    ``keep``: the verified leaves that end with these bytes are handed back in ``report.kept`` (one stream's
    entries of one type: canonical JSON puts ``stream`` and ``type`` last), found by the bytes just verified.
    """
    report = VerifyReport()
    problems = report.problems

    # Every stored checkpoint must be signed by the log's key and say what its row says.
    roots: dict[int, bytes] = {}
    for cp in store.iter_checkpoints(conn):
        try:
            body = _open_checkpoint(cp.note, verifier, origin)
        except (NoteError, ValueError) as e:
            problems.append(Problem(None, f"checkpoint at size {cp.size}: {e}"))
            continue
        if body.size != cp.size or body.root != cp.root:
            problems.append(Problem(None, f"checkpoint at size {cp.size}: the signed note says otherwise"))
            continue
        roots[cp.size] = cp.root
    report.checkpoints_checked = len(roots)
    latest = max(roots, default=0)

    start = 0
    frontier = Frontier()
    if trusted is not None:
        trusted_cp = _open_checkpoint(trusted, verifier, origin)
        start = trusted_cp.size
        reader = TileReader(lambda lvl, s, n: store.read_tile_hashes(conn, lvl, s, n))
        try:
            frontier = Frontier.load(reader, start)
        except merkle.ProofError as e:
            problems.append(Problem(None, f"the log no longer holds the trusted size {start}: {e}"))
            return report
        if frontier.root() != trusted_cp.root:
            problems.append(Problem(None, f"the stored tree at the trusted size {start} has another root"))
            return report
    report.start = start

    stored_tiles = {
        level: dict(store.iter_tile_level(conn, level))
        for level in range(1, store.max_tile_level(conn) + 1)
    }
    made: list[tuple[int, int, bytes]] = []
    expected = start
    checkpoint_sizes = sorted(size for size in roots if size > start)
    for rows in store.iter_entries(conn, start, None, chunk):
        hashes, bad = _check_entries(conn, rows, expected, report, keep)
        if bad is not None:
            problems.append(bad)
            return _done(report, bad.index if bad.index is not None else expected)
        # Grow the tree in segments that end at each signed size inside this chunk, and compare roots there.
        chunk_end = expected + len(hashes)
        offset = 0
        for size in (s for s in checkpoint_sizes if expected < s <= chunk_end):
            frontier.extend(hashes[offset : size - expected], made)
            offset = size - expected
            if frontier.root() != roots[size]:
                problems.append(
                    Problem(size - 1, f"the signed checkpoint at size {size} has another root than the entries")
                )
                return _done(report, size)
        frontier.extend(hashes[offset:], made)
        expected = chunk_end
        for level, idx, th in made:
            if stored_tiles.get(level, {}).get(idx) != th:
                problems.append(
                    Problem(idx << (TILE_HEIGHT * level), f"stored tile hash {level}/{idx} does not match")
                )
                return _done(report, expected)
        made.clear()
        if progress is not None:
            progress(expected)
    if latest > expected:
        problems.append(
            Problem(expected, f"the signed checkpoint at size {latest} covers entries the log no longer has")
        )
    head, head_root = store.read_head(conn)
    if head != expected or head_root != frontier.root():
        problems.append(Problem(None, f"the head says size {head}, the entries make {expected}"))
    return _done(report, expected)


def _check_entries(
    conn: Connection, rows: list[tuple[int, bytes, bytes]], expected: int, report: VerifyReport,
    keep: bytes | None = None,
) -> tuple[list[bytes], Problem | None]:
    """Leaf hashes of a chunk of entries, checking each entry on its own; the first problem stops it.

    The hot loop of verification: the seq and commitment fields are found by position, not by parsing the JSON
    (see entry.py for why the last `,"seq":` and the last `,"private":` are the top-level ones).
    """
    sha256 = hashlib.sha256
    private: dict[int, tuple[bytes, bytes]] | None = None
    hashes: list[bytes] = []
    append = hashes.append
    for seq, leaf, stored_hash in rows:
        if seq != expected:
            return hashes, Problem(expected, f"entry missing (next stored entry is {seq})")
        h = sha256(b"\x00" + leaf).digest()
        if h != stored_hash:
            return hashes, Problem(seq, "the entry's bytes do not match its stored leaf hash")
        at = leaf.rfind(b',"seq":')
        if at < 0 or not leaf.startswith(b'%d,"stream":' % seq, at + 7):
            return hashes, Problem(seq, "the entry's own seq field says another index")
        p = leaf.rfind(b',"private":', 0, at)
        if p < 0:
            return hashes, Problem(seq, "the entry has no private field")
        if leaf[p + 11] == 0x22:  # a quoted commitment, not null
            try:
                commit = leaf_commitment(leaf)
            except ValueError as e:
                return hashes, Problem(seq, str(e))
            if private is None:
                private = store.read_private(conn, rows[0][0], rows[-1][0] + 1)
            held = private.get(seq)
            if held is None:
                report.private_erased += 1
            elif sha256(held[0] + held[1]).digest() != commit:
                return hashes, Problem(seq, "the private payload does not match the leaf's commitment")
            else:
                report.private_checked += 1
        if keep is not None and leaf.endswith(keep):
            report.kept.append((seq, leaf))
        append(h)
        expected += 1
    return hashes, None


def _done(report: VerifyReport, size: int) -> VerifyReport:
    report.size = size
    report.entries_checked = size - report.start
    return report

"""RFC 9162 Merkle tree hashing, proofs and their verification.

Proof *generation* reads hashes of complete subtrees through a :class:`NodeReader`, so the same code serves a
plain in-memory tree (tests, vectors) and the tiled store (production): a node at ``(level, index)`` is the root
of leaves ``[index * 2**level, (index + 1) * 2**level)``. The right edge of a tree that is not a power of two is
never stored; it is folded here from complete subtrees, which is what RFC 9162 section 2.1.1 defines.

Verification follows RFC 9162 sections 2.1.3.2 and 2.1.4.2 literally, including the check that the proof is used
up exactly: a verifier that stops early accepts padded proofs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Protocol

from habeas.domain.errors import HabeasError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(HabeasError, ValueError):
    """A proof does not verify, or was asked for outside the tree."""


class NodeReader(Protocol):
    """Reads the hash of the complete subtree at ``(level, index)``; ``level`` 0 is a leaf hash."""

    def node(self, level: int, index: int) -> bytes: ...


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_of(hashes: Sequence[bytes]) -> bytes:
    """MTH over a list of leaf hashes (a plain reference; the store folds from tiles instead)."""
    if not hashes:
        return EMPTY_ROOT
    level = list(hashes)
    # Bottom-up pairing with an odd node carried up unchanged gives the same root as the recursive
    # definition, because the split point is always the largest power of two below n.
    while len(level) > 1:
        nxt = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def range_hash(reader: NodeReader, start: int, end: int) -> bytes:
    """MTH(D[start:end]) where ``start`` is aligned to the largest power of two that fits the range.

    Every range a proof needs has that shape: it is a complete subtree, or the right edge of one.
    """
    if end <= start:
        raise ProofError(f"empty range [{start}, {end})")
    # Decompose [start, end) into complete subtrees, largest first, then fold from the right.
    parts: list[bytes] = []
    pos = start
    while pos < end:
        size = 1 << ((end - pos).bit_length() - 1)
        while pos % size:
            size >>= 1
        parts.append(reader.node(size.bit_length() - 1, pos // size))
        pos += size
    acc = parts[-1]
    for h in reversed(parts[:-1]):
        acc = node_hash(h, acc)
    return acc


def tree_root(reader: NodeReader, size: int) -> bytes:
    return EMPTY_ROOT if size == 0 else range_hash(reader, 0, size)


def inclusion_proof(reader: NodeReader, index: int, size: int) -> list[bytes]:
    """PATH(index, D[0:size]) of RFC 9162 section 2.1.3.1, leaf to root."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    path: list[bytes] = []
    start, end, m = 0, size, index
    # Walk down from the root, collecting the sibling of each subtree that holds the leaf; reversed at the end.
    while end - start > 1:
        k = _split(end - start)
        if m < k:
            path.append(range_hash(reader, start + k, end))
            end = start + k
        else:
            path.append(range_hash(reader, start, start + k))
            start, m = start + k, m - k
    path.reverse()
    return path


def consistency_proof(reader: NodeReader, old: int, new: int) -> list[bytes]:
    """PROOF(old, D[0:new]) of RFC 9162 section 2.1.4.1."""
    if not 0 <= old <= new:
        raise ProofError(f"no consistency proof from size {old} to size {new}")
    if old in (0, new):
        return []
    out: list[bytes] = []
    start, end, m, complete = 0, new, old, True
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            out.append(range_hash(reader, start + k, end))
            end = start + k
        else:
            out.append(range_hash(reader, start, start + k))
            start, m, complete = start + k, m - k, False
    if not complete:
        out.append(range_hash(reader, start, end))
    out.reverse()
    return out


def _check_hash(name: str, value: bytes) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(f"{name} is {len(value)} bytes, not {HASH_SIZE}")


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root a valid inclusion proof implies (RFC 9162 section 2.1.3.2); raises if the proof is malformed."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    _check_hash("leaf hash", leaf)
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        _check_hash("proof hash", p)
        if sn == 0:
            raise ProofError("inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is shorter than the tree is deep")
    return r


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> None:
    _check_hash("root", root)
    if root_from_inclusion(index, size, leaf, proof) != root:
        raise ProofError(f"inclusion proof for leaf {index} does not lead to the root of size {size}")


def verify_consistency(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """RFC 9162 section 2.1.4.2.

    Equal sizes are decided by comparing the roots alone (the transparency-dev probes accept any bytes there).
    RFC 9162 leaves size 0 undefined; we accept it only from the empty tree's root, with an empty proof.
    """
    if not 0 <= old <= new:
        raise ProofError(f"size {old} cannot be consistent with a smaller size {new}")
    if old == 0:
        # Every tree extends the empty one, but only if the "old root" really is the empty tree's root.
        if old_root != EMPTY_ROOT:
            raise ProofError("the root of the empty tree is SHA-256 of nothing")
        _check_hash("new root", new_root)
    if old == new:
        if proof:
            raise ProofError("a proof between equal sizes must be empty")
        if old_root != new_root:
            raise ProofError(f"two different roots for size {old}")
        return
    if old == 0:
        if proof:
            raise ProofError("a proof from the empty tree must be empty")
        return
    if not proof:
        raise ProofError("empty consistency proof")
    _check_hash("old root", old_root)
    _check_hash("new root", new_root)
    for p in proof:
        _check_hash("proof hash", p)
    path = list(proof)
    # If old is an exact power of two, the old root itself is the first node of the path.
    if old & (old - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof is too short")
    if fr != old_root:
        raise ProofError(f"consistency proof does not lead to the root of size {old}")
    if sr != new_root:
        raise ProofError(f"consistency proof does not lead to the root of size {new}")


class MemoryTree:
    """A plain tree of leaf hashes held in memory: the reference the tiled store is tested against."""

    def __init__(self, leaf_hashes: Sequence[bytes] = ()) -> None:
        self.leaves: list[bytes] = list(leaf_hashes)

    def append(self, h: bytes) -> None:
        self.leaves.append(h)

    def node(self, level: int, index: int) -> bytes:
        width = 1 << level
        lo = index * width
        if lo + width > len(self.leaves):
            raise ProofError(f"node ({level}, {index}) is not complete in a tree of size {len(self.leaves)}")
        return root_of(self.leaves[lo : lo + width])

    def root(self, size: int | None = None) -> bytes:
        return tree_root(self, len(self.leaves) if size is None else size)

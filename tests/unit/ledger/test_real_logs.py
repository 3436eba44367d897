"""Two logs written by other people's tooling: our Merkle tree, notes and tile layout must agree with both.

``serverless-log-15`` is the transparency-dev serverless test log (15 leaves, a signed checkpoint after
each append); ``armory-drive-log`` is a production firmware-transparency log whose leaves are signed notes.
Both store tiles in the legacy serverless layout (``tile/<level hex>/<index hex, split>.<width hex>``, a text
file: hash size, leaf count, then every node of the tile's subtree in in-order, an empty line for a node not
yet complete), not C2SP tlog-tiles; the tests read that layout, compare every hash with ours, and map each
tile to its C2SP path with our :mod:`tiles`.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from habeas.ledger.checkpoint import Checkpoint, parse_checkpoint
from habeas.ledger.merkle import (
    EMPTY_ROOT,
    MemoryTree,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)
from habeas.ledger.note import NoteError, UnverifiedNoteError, Verifier, open_note, parse_skey, parse_vkey, sign_note
from habeas.ledger.tiles import parse_tile_path, tile_path
from tests.paths import VECTORS

SERVERLESS = VECTORS / "serverless-log-15"
SERVERLESS_LOG = SERVERLESS / "testdata" / "log"
ARMORY = VECTORS / "armory-drive-log"
ARMORY_LOG = ARMORY / "log"


def _text(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def _seq_path(root: Path, index: int) -> Path:
    """serverless: leaf N is at seq/<5 bytes of N in hex, one directory a byte>."""
    digits = f"{index:010x}"
    return root.joinpath("seq", *(digits[i : i + 2] for i in range(0, 10, 2)))


def _leaves(root: Path, count: int) -> list[bytes]:
    stored = sorted(p for p in (root / "seq").rglob("*") if p.is_file())
    assert stored == [_seq_path(root, i) for i in range(count)]
    return [p.read_bytes() for p in stored]


def _serverless_keys() -> tuple[Verifier, str]:
    """The test key pair is given in SOURCE.txt (from the log's build script; the log has no key file)."""
    source = _text(SERVERLESS / "SOURCE.txt")
    vkey = re.search(r"^\s*vkey (\S+)$", source, re.MULTILINE)
    skey = re.search(r"^\s*skey (\S+)$", source, re.MULTILINE)
    assert vkey is not None
    assert skey is not None
    return parse_vkey(vkey.group(1)), skey.group(1)


def _open_checkpoint(path: Path, verifiers: list[Verifier], origin: str) -> Checkpoint:
    checkpoint = parse_checkpoint(open_note(_text(path), verifiers).text)
    assert checkpoint.origin == origin
    return checkpoint


def _verify_consistency(old: int, new: int, old_root: bytes, new_root: bytes, proof: list[bytes]) -> None:
    """Consistency, with size 0 decided here: the proof is empty and the old root is SHA-256 of nothing.

    Whether merkle.verify_consistency accepts or refuses an old size of 0 is pinned in test_merkle, not here.
    """
    if old == 0:
        assert proof == []
        assert old_root == EMPTY_ROOT
        return
    verify_consistency(old, new, old_root, new_root, proof)


def _flip(h: bytes) -> bytes:
    return bytes([h[0] ^ 0x80]) + h[1:]


# --- the legacy serverless tile layout ---


@dataclass(frozen=True)
class LegacyTile:
    level: int
    index: int
    width: int
    nodes: list[bytes | None]  # in-order over the tile's subtree; None where the node is not complete yet


_LEGACY_PATH = re.compile(
    r"tile/([0-9a-f]{2})/([0-9a-f]{4})/([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{2})(?:\.([0-9a-f]{2}))?"
)


def _legacy_tiles(root: Path) -> Iterator[tuple[str, LegacyTile]]:
    for path in sorted(p for p in (root / "tile").rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        match = _LEGACY_PATH.fullmatch(rel)
        assert match is not None, rel
        level_hex, *index_hex, width_hex = match.groups()
        width = 256 if width_hex is None else int(width_hex, 16)
        size_line, count_line, *lines = _text(path).split("\n")
        assert lines.pop() == ""  # every line ends in a newline
        assert (int(size_line), int(count_line)) == (32, width), rel
        nodes = [base64.b64decode(x, validate=True) if x else None for x in lines]
        assert len(nodes) == 2 * width - 1, rel
        yield rel, LegacyTile(int(level_hex, 16), int("".join(index_hex), 16), width, nodes)


def _check_tile_against_tree(rel: str, tile: LegacyTile, tree: MemoryTree) -> int:
    """Every stored node equals ours; every missing one is really incomplete. Returns the hashes compared."""
    compared = 0
    for position, stored in enumerate(tile.nodes):
        # In-order position of node (h, i) in a subtree is 2**(h+1) * i + 2**h - 1.
        h = ((position + 1) & -(position + 1)).bit_length() - 1
        i = (position + 1 - (1 << h)) >> (h + 1)
        complete = (i + 1) << h <= tile.width
        assert (stored is not None) == complete, (rel, position)
        if stored is not None:
            assert stored == tree.node(8 * tile.level + h, (tile.index << (8 - h)) + i), (rel, position)
            compared += 1
    # Our C2SP layout holds only the bottom row of the same tile, at the path tile_path gives.
    bottom = tile.nodes[0::2]
    assert bottom == [tree.node(8 * tile.level, tile.index * 256 + j) for j in range(tile.width)]
    c2sp = tile_path(tile.level, tile.index, tile.width)
    assert parse_tile_path(c2sp) == (tile.level, tile.index, tile.width)
    return compared


def test_legacy_in_order_positions_are_decoded_right() -> None:
    """The position arithmetic the tile checks rely on, pinned for a 4-leaf subtree: l0 n1 l1 n2 l2 n1' l3."""
    decoded = []
    for position in range(7):
        h = ((position + 1) & -(position + 1)).bit_length() - 1
        decoded.append((h, (position + 1 - (1 << h)) >> (h + 1)))
    assert decoded == [(0, 0), (1, 0), (0, 1), (2, 0), (0, 2), (1, 1), (0, 3)]


# --- serverless-log-15 ---


def test_serverless_every_signed_root_is_our_root() -> None:
    verifier, _ = _serverless_keys()
    leaves = _leaves(SERVERLESS_LOG, 15)
    assert leaves[0] == b"one"
    assert leaves[-1] == b"fivten"
    tree = MemoryTree([leaf_hash(x) for x in leaves])
    for size in range(16):
        checkpoint = _open_checkpoint(
            SERVERLESS_LOG / f"checkpoint.{size}", [verifier], "example.com/testdata"
        )
        assert checkpoint.size == size
        assert checkpoint.root == tree.root(size), size
    assert _text(SERVERLESS_LOG / "checkpoint") == _text(SERVERLESS_LOG / "checkpoint.15")


def test_serverless_checkpoints_fail_under_another_key_or_with_a_changed_root() -> None:
    verifier, _ = _serverless_keys()
    note = _text(SERVERLESS_LOG / "checkpoint.7")
    other_key = parse_skey("PRIVATE+KEY+Log+2271c621+AdEIq9FLRQni54Wg68T96VJO+iayOaulswav2DUMKgvQ")
    for stranger in (Verifier("astra", other_key.public_key), Verifier("astra2", verifier.public_key)):
        with pytest.raises(UnverifiedNoteError):
            open_note(note, [stranger])
    body, sigs = note.split("\n\n", 1)
    changed = body.replace("\n7\n", "\n8\n") + "\n\n" + sigs
    with pytest.raises(NoteError, match="does not verify"):
        open_note(changed, [verifier])


def test_serverless_skey_derives_the_vkey_and_resigns_the_last_checkpoint_byte_for_byte() -> None:
    verifier, skey = _serverless_keys()
    signer = parse_skey(skey)
    assert signer.verifier() == verifier
    note = _text(SERVERLESS_LOG / "checkpoint.15")
    text = open_note(note, [verifier]).text
    assert sign_note(text, [signer]) == note


def test_serverless_consistency_and_inclusion_between_every_pair_of_signed_sizes() -> None:
    verifier, _ = _serverless_keys()
    tree = MemoryTree([leaf_hash(x) for x in _leaves(SERVERLESS_LOG, 15)])
    roots = [
        _open_checkpoint(SERVERLESS_LOG / f"checkpoint.{n}", [verifier], "example.com/testdata").root
        for n in range(16)
    ]
    assert roots[0] == EMPTY_ROOT
    pairs = 0
    for new in range(16):
        for old in range(new + 1):
            proof = consistency_proof(tree, old, new)
            _verify_consistency(old, new, roots[old], roots[new], proof)
            pairs += 1
            if proof:
                with pytest.raises(ProofError):
                    verify_consistency(old, new, roots[old], roots[new], [*proof[:-1], _flip(proof[-1])])
            if 0 < old < new:
                with pytest.raises(ProofError):
                    verify_consistency(old, new, _flip(roots[old]), roots[new], proof)
        for index in range(new):
            verify_inclusion(index, new, tree.leaves[index], inclusion_proof(tree, index, new), roots[new])
    assert pairs == 136


def test_serverless_leaf_index_maps_every_leaf_hash_to_its_sequence_number() -> None:
    leaves = _leaves(SERVERLESS_LOG, 15)
    index = {
        "".join(p.relative_to(SERVERLESS_LOG / "leaves").parts): int(_text(p), 16)
        for p in (SERVERLESS_LOG / "leaves").rglob("*")
        if p.is_file()
    }
    assert index == {leaf_hash(x).hex(): i for i, x in enumerate(leaves)}


def test_serverless_tiles_hold_our_hashes_and_map_to_our_tile_paths() -> None:
    tree = MemoryTree([leaf_hash(x) for x in _leaves(SERVERLESS_LOG, 15)])
    tiles = list(_legacy_tiles(SERVERLESS_LOG))
    # One partial tile per tree size 1..15 (the log kept every one), all at tile level 0, index 0.
    assert sorted(t.width for _, t in tiles) == list(range(1, 16))
    compared = sum(_check_tile_against_tree(rel, tile, tree) for rel, tile in tiles)
    assert compared == sum(2 * w - w.bit_count() for w in range(1, 16))
    assert [tile_path(0, 0, t.width) for _, t in tiles[:2]] == ["tile/0/000.p/1", "tile/0/000.p/2"]


# --- armory-drive-log ---


def _armory_keys() -> tuple[Verifier, Verifier]:
    log = parse_vkey(_text(ARMORY / "keys" / "armory-drive-log.pub").strip())
    release = parse_vkey(_text(ARMORY / "keys" / "armory-drive.pub").strip())
    assert (log.name, release.name) == ("armory-drive-log", "armory-drive")
    return log, release


def _armory_checkpoints() -> dict[int, Checkpoint]:
    log, _ = _armory_keys()
    found = {}
    for path in sorted((ARMORY / "checkpoint-history").iterdir()):
        checkpoint = _open_checkpoint(path, [log], "Armory Drive Prod 2")
        found[checkpoint.size] = checkpoint
    assert sorted(found) == [0, 1, 2]
    return found


def test_armory_every_signed_root_is_our_root() -> None:
    leaves = _leaves(ARMORY_LOG, 2)
    tree = MemoryTree([leaf_hash(x) for x in leaves])
    checkpoints = _armory_checkpoints()
    for size, checkpoint in checkpoints.items():
        assert checkpoint.root == tree.root(size)
    log, _ = _armory_keys()
    assert _open_checkpoint(ARMORY_LOG / "checkpoint", [log], "Armory Drive Prod 2") == checkpoints[2]


def test_armory_leaves_are_release_manifests_signed_by_the_release_key_only() -> None:
    log, release = _armory_keys()
    for leaf in _leaves(ARMORY_LOG, 2):
        note = open_note(leaf.decode("utf-8"), [release])
        assert note.verified_by == (release,)
        manifest = json.loads(note.text)
        assert manifest["platform_id"] == "UA-MKII-ULZ"
        assert manifest["revision"].startswith("v")
        with pytest.raises(UnverifiedNoteError):
            open_note(leaf.decode("utf-8"), [log])  # the log key does not sign releases
        tampered = leaf.decode("utf-8").replace(manifest["revision"], manifest["revision"] + "x", 1)
        with pytest.raises(NoteError, match="does not verify"):
            open_note(tampered, [release])


def test_armory_consistency_0_1_2() -> None:
    tree = MemoryTree([leaf_hash(x) for x in _leaves(ARMORY_LOG, 2)])
    roots = {size: c.root for size, c in _armory_checkpoints().items()}
    assert roots[0] == EMPTY_ROOT
    for old, new in [(0, 1), (1, 2), (0, 2), (2, 2)]:
        _verify_consistency(old, new, roots[old], roots[new], consistency_proof(tree, old, new))
    proof = consistency_proof(tree, 1, 2)
    assert proof == [tree.leaves[1]]
    with pytest.raises(ProofError):
        verify_consistency(1, 2, roots[1], roots[2], [_flip(proof[0])])
    with pytest.raises(ProofError):
        verify_consistency(1, 2, roots[1], _flip(roots[2]), proof)


def test_armory_leaf_index_and_tiles() -> None:
    leaves = _leaves(ARMORY_LOG, 2)
    tree = MemoryTree([leaf_hash(x) for x in leaves])
    index = {
        "".join(p.relative_to(ARMORY_LOG / "leaves").parts): int(_text(p), 16)
        for p in (ARMORY_LOG / "leaves").rglob("*")
        if p.is_file()
    }
    assert index == {leaf_hash(x).hex(): i for i, x in enumerate(leaves)}
    tiles = list(_legacy_tiles(ARMORY_LOG))
    assert sorted(t.width for _, t in tiles) == [1, 2]
    assert sum(_check_tile_against_tree(rel, tile, tree) for rel, tile in tiles) == 1 + 3

"""RFC 9162 Merkle trees against transparency-dev/merkle's probes and reference tree, and against the RFC's
recursive definitions written out here independently of the code under test."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from habeas.ledger.merkle import (
    EMPTY_ROOT,
    MemoryTree,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_of,
    verify_consistency,
    verify_inclusion,
)
from tests.paths import VECTORS

MERKLE = VECTORS / "rfc9162-merkle"
REFERENCE: dict[str, Any] = json.loads((MERKLE / "reference-tree-8-leaves.json").read_text(encoding="utf-8"))
REF_LEAVES = [bytes.fromhex(x) for x in REFERENCE["leaf_inputs_hex"]]


# --- RFC 9162 section 2.1 definitions, recursive and literal, sharing nothing with the code under test ---


def _sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> int:
    """The largest power of two strictly smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(data: Sequence[bytes]) -> bytes:
    n = len(data)
    if n == 0:
        return _sha(b"")
    if n == 1:
        return _sha(b"\x00" + data[0])
    k = _k(n)
    return _sha(b"\x01" + mth(data[:k]) + mth(data[k:]))


def path(m: int, data: Sequence[bytes]) -> list[bytes]:
    n = len(data)
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return [*path(m, data[:k]), mth(data[k:])]
    return [*path(m - k, data[k:]), mth(data[:k])]


def subproof(m: int, data: Sequence[bytes], b: bool) -> list[bytes]:
    n = len(data)
    if m == n:
        return [] if b else [mth(data)]
    k = _k(n)
    if m <= k:
        return [*subproof(m, data[:k], b), mth(data[k:])]
    return [*subproof(m - k, data[k:], False), mth(data[:k])]


def proof(m: int, data: Sequence[bytes]) -> list[bytes]:
    return [] if m == 0 else subproof(m, data, True)


def _tree(data: Sequence[bytes]) -> MemoryTree:
    return MemoryTree([leaf_hash(d) for d in data])


def _data(n: int) -> list[bytes]:
    return [i.to_bytes(4, "big") + b"leaf" for i in range(n)]


# --- transparency-dev/merkle testdata probes ---


def _probes(kind: str) -> list[Any]:
    files = sorted((MERKLE / kind).rglob("*.json"))
    return [pytest.param(f, id=str(f.relative_to(MERKLE))) for f in files]


INCLUSION = _probes("inclusion")
CONSISTENCY = _probes("consistency")


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value or "", validate=True)


def _accepted(check: Any) -> bool:
    try:
        check()
    except ProofError:
        return False
    return True


def test_probe_folders_are_complete() -> None:
    # The upstream counts (SOURCE.txt): 98 + 98 files, of which 6 + 6 are happy paths and the rest mutants.
    # Counted here so that a missing or emptied folder cannot pass by parametrizing nothing.
    assert len(INCLUSION) == 98
    assert len(CONSISTENCY) == 98
    mutants = 0
    for p in [*INCLUSION, *CONSISTENCY]:
        mutants += json.loads(p.values[0].read_text(encoding="utf-8"))["wantErr"] is True
    assert mutants > 150


@pytest.mark.parametrize("probe", INCLUSION)
def test_inclusion_probe(probe: Any) -> None:
    v = json.loads(probe.read_text(encoding="utf-8"))
    proof_hashes = [_b64(p) for p in v["proof"] or []]

    def check() -> None:
        verify_inclusion(v["leafIdx"], v["treeSize"], _b64(v["leafHash"]), proof_hashes, _b64(v["root"]))

    assert _accepted(check) is not v["wantErr"], v["desc"]


@pytest.mark.parametrize("probe", CONSISTENCY)
def test_consistency_probe(probe: Any) -> None:
    v = json.loads(probe.read_text(encoding="utf-8"))
    proof_hashes = [_b64(p) for p in v["proof"] or []]

    def check() -> None:
        verify_consistency(v["size1"], v["size2"], _b64(v["root1"]), _b64(v["root2"]), proof_hashes)

    assert _accepted(check) is not v["wantErr"], v["desc"]


# --- reference-tree-8-leaves.json ---


def test_reference_tree_every_node() -> None:
    tree = _tree(REF_LEAVES)
    levels = REFERENCE["node_hashes_by_level"]
    assert [len(level) for level in levels] == [8, 4, 2, 1]
    for level, hashes in enumerate(levels):
        for index, want in enumerate(hashes):
            assert tree.node(level, index).hex() == want, (level, index)


@pytest.mark.parametrize("size", range(9))
def test_reference_tree_roots(size: int) -> None:
    want = REFERENCE["root_by_tree_size"][str(size)]
    assert root_of([leaf_hash(d) for d in REF_LEAVES[:size]]).hex() == want
    assert _tree(REF_LEAVES[:size]).root().hex() == want
    assert _tree(REF_LEAVES).root(size).hex() == want
    assert mth(REF_LEAVES[:size]).hex() == want


def test_reference_roots_cover_sizes_0_to_8() -> None:
    assert sorted(REFERENCE["root_by_tree_size"], key=int) == [str(n) for n in range(9)]


@pytest.mark.parametrize(
    "case",
    REFERENCE["inclusion_proofs_0_based_leaf_index"],
    ids=lambda c: f"{c['leaf_index']}-of-{c['tree_size']}",
)
def test_reference_inclusion_proof(case: dict[str, Any]) -> None:
    tree = _tree(REF_LEAVES)
    index, size = case["leaf_index"], case["tree_size"]
    got = inclusion_proof(tree, index, size)
    assert [h.hex() for h in got] == case["proof"]
    verify_inclusion(index, size, tree.leaves[index], got, tree.root(size))


@pytest.mark.parametrize(
    "case", REFERENCE["consistency_proofs"], ids=lambda c: f"{c['size1']}-to-{c['size2']}"
)
def test_reference_consistency_proof(case: dict[str, Any]) -> None:
    tree = _tree(REF_LEAVES)
    old, new = case["size1"], case["size2"]
    got = consistency_proof(tree, old, new)
    assert [h.hex() for h in got] == case["proof"]
    verify_consistency(old, new, tree.root(old), tree.root(new), got)


def test_reference_lists_are_not_empty() -> None:
    assert len(REFERENCE["inclusion_proofs_0_based_leaf_index"]) >= 5
    assert len(REFERENCE["consistency_proofs"]) >= 5


def test_hasher_vectors() -> None:
    checked = 0
    for case in REFERENCE["hasher_vectors"]:
        want = bytes.fromhex(case["want"])
        if "left_ascii" in case:
            got = node_hash(case["left_ascii"].encode("ascii"), case["right_ascii"].encode("ascii"))
        elif "leaf_hex" in case:
            got = leaf_hash(bytes.fromhex(case["leaf_hex"]))
        elif "leaf_ascii" in case:
            got = leaf_hash(case["leaf_ascii"].encode("ascii"))
        else:
            got = EMPTY_ROOT
            assert root_of([]) == want
            assert MemoryTree().root() == want
        assert got == want, case["desc"]
        checked += 1
    assert checked == 4


# --- exhaustive over small trees, against the recursive definitions ---


def test_every_proof_in_trees_up_to_33_leaves_matches_the_rfc_definitions() -> None:
    data = _data(33)
    tree = _tree(data)
    roots = [mth(data[:n]) for n in range(34)]
    for n in range(34):
        assert tree.root(n) == roots[n], n
        for m in range(n):
            got = inclusion_proof(tree, m, n)
            assert got == path(m, data[:n]), (m, n)
            verify_inclusion(m, n, tree.leaves[m], got, roots[n])
        for m in range(n + 1):
            got = consistency_proof(tree, m, n)
            assert got == proof(m, data[:n]), (m, n)
            verify_consistency(m, n, roots[m], roots[n], got)


# --- properties over larger random trees ---


@st.composite
def tree_and_index(draw: st.DrawFn) -> tuple[list[bytes], int]:
    n = draw(st.integers(min_value=1, max_value=300))
    leaves = draw(st.lists(st.binary(max_size=8), min_size=n, max_size=n))
    return leaves, draw(st.integers(min_value=0, max_value=n - 1))


@st.composite
def tree_and_sizes(draw: st.DrawFn) -> tuple[list[bytes], int, int]:
    n = draw(st.integers(min_value=1, max_value=300))
    leaves = draw(st.lists(st.binary(max_size=8), min_size=n, max_size=n))
    new = draw(st.integers(min_value=0, max_value=n))
    return leaves, draw(st.integers(min_value=0, max_value=new)), new


@settings(deadline=None)  # trees of up to 300 leaves: timing varies with machine load, not a property
@given(st.lists(st.binary(max_size=16), max_size=300))
def test_root_of_equals_the_recursive_mth(data: list[bytes]) -> None:
    assert root_of([leaf_hash(d) for d in data]) == mth(data)
    assert _tree(data).root() == mth(data)


@settings(deadline=None)  # trees of up to 300 leaves: timing varies with machine load, not a property
@given(tree_and_index(), st.data())
def test_inclusion_proofs_verify_at_every_size_that_holds_the_leaf(
    case: tuple[list[bytes], int], draw: st.DataObject
) -> None:
    data, index = case
    tree = _tree(data)
    size = draw.draw(st.integers(min_value=index + 1, max_value=len(data)), label="size")
    got = inclusion_proof(tree, index, size)
    assert got == path(index, data[:size])
    verify_inclusion(index, size, leaf_hash(data[index]), got, mth(data[:size]))


@settings(deadline=None)  # trees of up to 300 leaves: timing varies with machine load, not a property
@given(tree_and_sizes())
def test_consistency_proofs_verify(case: tuple[list[bytes], int, int]) -> None:
    data, old, new = case
    tree = _tree(data)
    got = consistency_proof(tree, old, new)
    assert got == proof(old, data[:new])
    verify_consistency(old, new, mth(data[:old]), mth(data[:new]), got)


def _flip(h: bytes, byte: int, bit: int) -> bytes:
    return h[:byte] + bytes([h[byte] ^ (1 << bit)]) + h[byte + 1 :]


@settings(deadline=None)  # trees of up to 300 leaves: timing varies with machine load, not a property
@given(tree_and_index(), st.data())
def test_a_flipped_bit_in_an_inclusion_proof_is_refused(
    case: tuple[list[bytes], int], draw: st.DataObject
) -> None:
    data, index = case
    tree = _tree(data)
    size = len(data)
    got = inclusion_proof(tree, index, size)
    root, leaf = tree.root(size), tree.leaves[index]
    verify_inclusion(index, size, leaf, got, root)
    byte = draw.draw(st.integers(min_value=0, max_value=31), label="byte")
    bit = draw.draw(st.integers(min_value=0, max_value=7), label="bit")
    with pytest.raises(ProofError):
        verify_inclusion(index, size, _flip(leaf, byte, bit), got, root)
    with pytest.raises(ProofError):
        verify_inclusion(index, size, leaf, got, _flip(root, byte, bit))
    assume(got)
    which = draw.draw(st.integers(min_value=0, max_value=len(got) - 1), label="which")
    bad = [*got[:which], _flip(got[which], byte, bit), *got[which + 1 :]]
    with pytest.raises(ProofError):
        verify_inclusion(index, size, leaf, bad, root)


@settings(deadline=None)  # trees of up to 300 leaves: timing varies with machine load, not a property
@given(tree_and_sizes(), st.data())
def test_a_flipped_bit_in_a_consistency_proof_is_refused(
    case: tuple[list[bytes], int, int], draw: st.DataObject
) -> None:
    data, old, new = case
    assume(0 < old < new)
    tree = _tree(data)
    got = consistency_proof(tree, old, new)
    old_root, new_root = tree.root(old), tree.root(new)
    verify_consistency(old, new, old_root, new_root, got)
    byte = draw.draw(st.integers(min_value=0, max_value=31), label="byte")
    bit = draw.draw(st.integers(min_value=0, max_value=7), label="bit")
    which = draw.draw(st.integers(min_value=0, max_value=len(got) - 1), label="which")
    bad = [*got[:which], _flip(got[which], byte, bit), *got[which + 1 :]]
    with pytest.raises(ProofError):
        verify_consistency(old, new, old_root, new_root, bad)
    with pytest.raises(ProofError):
        verify_consistency(old, new, _flip(old_root, byte, bit), new_root, got)
    with pytest.raises(ProofError):
        verify_consistency(old, new, old_root, _flip(new_root, byte, bit), got)


@settings(deadline=None)  # trees of up to 300 leaves: timing varies with machine load, not a property
@given(tree_and_sizes(), st.binary(min_size=32, max_size=32))
def test_a_padded_or_truncated_consistency_proof_is_refused(
    case: tuple[list[bytes], int, int], extra: bytes
) -> None:
    data, old, new = case
    assume(0 < old < new)
    tree = _tree(data)
    got = consistency_proof(tree, old, new)
    old_root, new_root = tree.root(old), tree.root(new)
    with pytest.raises(ProofError):
        verify_consistency(old, new, old_root, new_root, [*got, extra])
    with pytest.raises(ProofError):
        verify_consistency(old, new, old_root, new_root, got[:-1])


@settings(deadline=None)  # trees of up to 300 leaves: timing varies with machine load, not a property
@given(tree_and_index(), st.binary(min_size=32, max_size=32))
def test_a_padded_or_truncated_inclusion_proof_is_refused(
    case: tuple[list[bytes], int], extra: bytes
) -> None:
    data, index = case
    tree = _tree(data)
    size = len(data)
    got = inclusion_proof(tree, index, size)
    root, leaf = tree.root(size), tree.leaves[index]
    with pytest.raises(ProofError):
        verify_inclusion(index, size, leaf, [*got, extra], root)
    if got:
        with pytest.raises(ProofError):
            verify_inclusion(index, size, leaf, got[:-1], root)


# --- refusals when asked for something outside the tree ---


@pytest.mark.parametrize("new", [0, 1, 5, 8])
def test_from_size_zero_only_the_empty_root_is_accepted(new: int) -> None:
    # Probes consistency/additional/size1-is-zero-and-does-not-equal-size2.json and
    # sizes-are-equal-zero-and-proof-is-empty.json: a tree of size 0 has exactly one root, SHA-256 of nothing.
    tree = _tree(REF_LEAVES)
    fake = hashlib.sha256(b"not the empty tree").digest()
    with pytest.raises(ProofError):
        verify_consistency(0, new, fake, fake if new == 0 else tree.root(new), [])


@pytest.mark.parametrize("new_root", [b"", b"don't care 2", bytes(33)])
def test_from_size_zero_the_new_root_must_still_be_a_hash(new_root: bytes) -> None:
    # Probe consistency/additional/size1-is-zero-and-size2-is-not-zero.json.
    with pytest.raises(ProofError):
        verify_consistency(0, 1, EMPTY_ROOT, new_root, [])


def test_equal_sizes_need_equal_roots_and_an_empty_proof() -> None:
    tree = _tree(REF_LEAVES)
    verify_consistency(5, 5, tree.root(5), tree.root(5), [])
    with pytest.raises(ProofError):
        verify_consistency(5, 5, tree.root(5), tree.root(6), [])
    with pytest.raises(ProofError):
        verify_consistency(5, 5, tree.root(5), tree.root(5), [tree.root(5)])


@pytest.mark.parametrize(("index", "size"), [(0, 0), (3, 3), (-1, 3), (8, 8)])
def test_inclusion_proof_outside_the_tree_is_refused(index: int, size: int) -> None:
    with pytest.raises(ProofError, match=f"leaf index {index} is outside a tree of size {size}"):
        inclusion_proof(_tree(REF_LEAVES), index, size)


@pytest.mark.parametrize(("old", "new"), [(3, 2), (-1, 2)])
def test_consistency_proof_backwards_is_refused(old: int, new: int) -> None:
    with pytest.raises(ProofError):
        consistency_proof(_tree(REF_LEAVES), old, new)


def test_a_node_past_the_end_of_the_tree_is_refused() -> None:
    tree = _tree(REF_LEAVES[:5])
    with pytest.raises(ProofError, match="not complete"):
        tree.node(1, 2)
    with pytest.raises(ProofError, match="not complete"):
        tree.node(3, 0)

"""The tree kept as C2SP tlog-tiles: 256 hashes a tile, one tile level for every eight tree levels.

A tile at tile level ``L`` and index ``N`` holds the hashes of tree level ``8 * L`` at indexes ``256 N`` to
``256 N + 255``. Only those levels are stored; a node at a level in between is folded from at most 128 hashes of
the tile level below it, and the right edge of a tree that is not a power of two is folded by :mod:`merkle`.
So a proof reads one tile per tile level, O(log n), and full tiles never change, so they may be cached forever.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from habeas.domain.errors import HabeasError
from habeas.ledger.merkle import EMPTY_ROOT, HASH_SIZE, ProofError, node_hash

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT

_INDEX_PART = re.compile(r"^(x\d{3}/)*\d{3}$")


class TilePathError(HabeasError, ValueError):
    """A tile path that is not in the C2SP tlog-tiles form."""


def _encode_index(index: int) -> str:
    # C2SP: the index is split into groups of three zero-padded digits, every group but the last prefixed "x".
    groups = []
    n = index
    while True:
        groups.append(f"{n % 1000:03d}")
        n //= 1000
        if n == 0:
            break
    groups.reverse()
    return "/".join([*(f"x{g}" for g in groups[:-1]), groups[-1]])


def tile_path(level: int, index: int, width: int = TILE_WIDTH) -> str:
    """``tile/<L>/<N>[.p/<W>]`` for a hash tile; ``level`` is the tile level, not the tree level."""
    if not 0 <= level <= 63 or index < 0 or not 1 <= width <= TILE_WIDTH:
        raise TilePathError(f"no tile at level {level}, index {index}, width {width}")
    path = f"tile/{level}/{_encode_index(index)}"
    return path if width == TILE_WIDTH else f"{path}.p/{width}"


def entries_path(index: int, width: int = TILE_WIDTH) -> str:
    """``tile/entries/<N>[.p/<W>]`` for an entry bundle."""
    path = f"tile/entries/{_encode_index(index)}"
    return path if width == TILE_WIDTH else f"{path}.p/{width}"


def parse_tile_path(path: str) -> tuple[int, int, int]:
    """``(tile level, index, width)`` from a tile path; refuses anything the spec does not allow."""
    rest = path.removeprefix("tile/")
    if rest == path or "/" not in rest:
        raise TilePathError(f"not a tile path: {path!r}")
    level_s, _, rest = rest.partition("/")
    if not level_s.isdigit() or (len(level_s) > 1 and level_s[0] == "0"):
        raise TilePathError(f"bad tile level in {path!r}")
    width = TILE_WIDTH
    if ".p/" in rest:
        rest, _, width_s = rest.partition(".p/")
        if not width_s.isdigit() or width_s[0] == "0" or not 1 <= int(width_s) < TILE_WIDTH:
            raise TilePathError(f"bad partial width in {path!r}")
        width = int(width_s)
    if not _INDEX_PART.match(rest):
        raise TilePathError(f"bad tile index in {path!r}")
    digits = rest.replace("x", "").replace("/", "")
    return int(level_s), int(digits), width


def tile_width_at(tile_level: int, index: int, size: int) -> int:
    """How many hashes tile ``(tile_level, index)`` holds in a tree of ``size`` leaves (0 if none)."""
    hashes_at_level = size >> (TILE_HEIGHT * tile_level)
    return max(0, min(TILE_WIDTH, hashes_at_level - index * TILE_WIDTH))


TileSource = Callable[[int, int, int], Sequence[bytes]]
"""``(tile level, first index, count) -> hashes``: the storage's range read of one tile level."""


@dataclass
class TileReader:
    """A :class:`merkle.NodeReader` over stored tiles.

    Each tile read is kept with the tree levels folded inside it (up to 255 more hashes), so the nodes between
    tile levels are looked up rather than folded again. Stored hashes never change, so a cached tile stays true;
    a partial tile is read again only when a node beyond what was cached is asked for.
    """

    source: TileSource
    cache_tiles: int = 1024
    reads: int = 0
    _cache: OrderedDict[tuple[int, int], list[list[bytes]]] = field(default_factory=OrderedDict)

    def levels(self, tile_level: int, index: int, need: int) -> list[list[bytes]]:
        """The tile's stored hashes (``[0]``) and every level folded from them (``[k]``, 2**k leaves a node)."""
        key = (tile_level, index)
        hit = self._cache.get(key)
        if hit is not None and len(hit[0]) >= need:
            # The cache is shared by the threads of the HTTP server. Each OrderedDict operation is atomic (C
            # code under the GIL), so the only race is another thread evicting this key in between: harmless.
            with contextlib.suppress(KeyError):
                self._cache.move_to_end(key)
            return hit
        self.reads += 1
        got = list(self.source(tile_level, index * TILE_WIDTH, TILE_WIDTH))
        if len(got) < need:
            raise ProofError(f"tile {tile_path(tile_level, index)} holds {len(got)} hashes, {need} are needed")
        folded = [got]
        sha256 = hashlib.sha256
        while len(folded[-1]) > 1:
            below = folded[-1]
            folded.append([sha256(b"\x01" + below[i] + below[i + 1]).digest() for i in range(0, len(below) - 1, 2)])
        self._cache[key] = folded
        if len(self._cache) > self.cache_tiles:
            with contextlib.suppress(KeyError):
                self._cache.popitem(last=False)
        return folded

    def tile(self, tile_level: int, index: int, need: int) -> Sequence[bytes]:
        return self.levels(tile_level, index, need)[0]

    def node(self, level: int, index: int) -> bytes:
        tile_level, sub = divmod(level, TILE_HEIGHT)
        span = 1 << sub
        first = index * span  # index at the stored level
        tile_index, offset = divmod(first, TILE_WIDTH)
        return self.levels(tile_level, tile_index, offset + span)[sub][offset >> sub]


@dataclass
class Frontier:
    """The compact range of a tree: the roots of its maximal complete subtrees, left to right.

    Appending a leaf merges equal-sized neighbours, about one hash a leaf. Each merge that lands on a tile level
    (8, 16, ...) yields a hash the store must keep; :meth:`push` returns those as ``(tile level, index, hash)``.
    The frontier is derived state: it can always be rebuilt from stored tiles with :meth:`load`.
    """

    size: int = 0
    nodes: list[tuple[int, bytes]] = field(default_factory=list)  # (tree level, hash), levels strictly falling

    def push(self, leaf: bytes, out: list[tuple[int, int, bytes]]) -> None:
        self.extend((leaf,), out)

    def extend(self, leaves: Iterable[bytes], out: list[tuple[int, int, bytes]]) -> None:
        """Append leaf hashes; the hot loop of every append, so it is written for speed."""
        nodes, size, sha256 = self.nodes, self.size, hashlib.sha256
        pop, push, emit = nodes.pop, nodes.append, out.append
        for leaf in leaves:
            size += 1
            h = leaf
            # The new leaf closes one complete subtree per trailing zero bit of the new size.
            merges = (size & -size).bit_length() - 1
            for level in range(1, merges + 1):
                h = sha256(b"\x01" + pop()[1] + h).digest()
                if not level & 7:
                    emit((level >> 3, (size >> level) - 1, h))
            push((merges, h))
        self.size = size

    def root(self) -> bytes:
        if not self.nodes:
            return EMPTY_ROOT
        acc = self.nodes[-1][1]
        for _, h in reversed(self.nodes[:-1]):
            acc = node_hash(h, acc)
        return acc

    @classmethod
    def load(cls, reader: TileReader, size: int) -> Frontier:
        nodes: list[tuple[int, bytes]] = []
        pos = 0
        for level in range(size.bit_length() - 1, -1, -1):
            if size >> level & 1:
                nodes.append((level, reader.node(level, pos >> level)))
                pos += 1 << level
        return cls(size=size, nodes=nodes)

    def copy(self) -> Frontier:
        return Frontier(size=self.size, nodes=list(self.nodes))


def split_hashes(blob: bytes) -> list[bytes]:
    if len(blob) % HASH_SIZE:
        raise ProofError(f"a tile of {len(blob)} bytes is not a whole number of hashes")
    return [blob[i : i + HASH_SIZE] for i in range(0, len(blob), HASH_SIZE)]

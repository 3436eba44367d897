"""The public log over HTTP, anonymous, at the C2SP tlog-tiles paths: a client that trusts only the log's
key fetches the checkpoint, the tiles and the entry bundles and recomputes the root; no personal data in them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx

from habeas.domain import commands as c
from habeas.domain.actors import Caller
from habeas.domain.people import PartialDate, PersonName
from habeas.ledger import merkle
from habeas.ledger.checkpoint import Checkpoint, parse_checkpoint
from habeas.ledger.note import open_note, parse_vkey
from habeas.ledger.tiles import TILE_WIDTH, entries_path, split_hashes, tile_path
from tests.e2e.api.conftest import AGENCY_A, ApiWorld

T1 = datetime(2025, 3, 2, 8, 0, tzinfo=UTC)
PEOPLE = 300  # with the world's two agencies: one full tile of 256 leaves and a partial one
IMMUTABLE = "public, max-age=31536000, immutable"


def _checkpoint(client: httpx.Client) -> Checkpoint:
    verifier = parse_vkey(client.get("/log/vkey").text.strip())
    return parse_checkpoint(open_note(client.get("/log/checkpoint").text, [verifier]).text)


def _bundle(blob: bytes) -> list[bytes]:
    """C2SP tlog-tiles entry bundle: each entry as a big-endian uint16 length, then the bytes."""
    out, pos = [], 0
    while pos < len(blob):
        n = int.from_bytes(blob[pos : pos + 2], "big")
        out.append(blob[pos + 2 : pos + 2 + n])
        pos += 2 + n
    assert pos == len(blob)
    return out


def _get(client: httpx.Client, path: str) -> httpx.Response:
    r = client.get(f"/log/{path}")
    assert r.status_code == 200, (path, r.text)
    return r


def test_the_checkpoint_verifies_with_the_published_key_without_a_token(api_world: ApiWorld) -> None:
    client = api_world.client()  # anonymous
    r = client.get("/log/checkpoint")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    assert r.headers["cache-control"] == "public, max-age=5"
    vkey = client.get("/log/vkey")
    assert vkey.headers["content-type"].startswith("text/plain")
    verifier = parse_vkey(vkey.text.strip())
    assert verifier.public_key == api_world.services.ledger.signer.verifier().public_key
    checkpoint = parse_checkpoint(open_note(r.text, [verifier]).text)
    ledger = api_world.services.ledger
    assert (checkpoint.origin, checkpoint.size, checkpoint.root) == (ledger.origin, ledger.size(), ledger.root(2))


def test_tiles_and_entry_bundles_rebuild_the_checkpoint_root_without_personal_data(api_world: ApiWorld) -> None:
    for i in range(PEOPLE):
        api_world.services.execute(
            c.RegisterPerson(
                person_id=f"p-{i}", occurred_at=T1, name=PersonName(given_names=(f"Qxgiven{i}",), surnames=("Qxsur",)),
                date_of_birth=PartialDate(year=1980, month=1, day=1 + i % 28), country_of_birth="SV",
            ),
            Caller.of(api_world.actor(AGENCY_A)),
        )
    client = api_world.client()
    checkpoint = _checkpoint(client)
    size = checkpoint.size
    assert size == PEOPLE + 2
    rest = size - TILE_WIDTH

    full = _get(client, tile_path(0, 0))
    assert full.headers["content-type"] == "application/octet-stream"
    assert full.headers["cache-control"] == IMMUTABLE
    partial = _get(client, tile_path(0, 1, rest))
    assert partial.headers["cache-control"] == "public, max-age=5"
    level0 = split_hashes(full.content) + split_hashes(partial.content)

    bundles = [_get(client, entries_path(0)), _get(client, entries_path(1, rest))]
    assert bundles[0].headers["cache-control"] == IMMUTABLE
    leaves = _bundle(bundles[0].content) + _bundle(bundles[1].content)
    assert [json.loads(leaf)["seq"] for leaf in leaves] == list(range(size))
    # The entries are the leaves the tree commits to: recompute everything from them.
    assert [merkle.leaf_hash(leaf) for leaf in leaves] == level0
    assert merkle.root_of(level0) == checkpoint.root
    # Level 1 holds the root of each full tile below: with the partial tile's leaves, the same root.
    level1 = split_hashes(_get(client, tile_path(1, 0, 1)).content)
    assert level1 == [merkle.root_of(level0[:TILE_WIDTH])]
    assert merkle.node_hash(level1[0], merkle.root_of(level0[TILE_WIDTH:])) == checkpoint.root
    # A narrower partial of a full tile is its prefix.
    assert _get(client, tile_path(0, 0, 10)).content == full.content[: 10 * merkle.HASH_SIZE]

    everything = b"".join(b.content for b in bundles).lower()
    assert b"qxgiven" not in everything
    assert b"qxsur" not in everything
    assert b"1980-01-" not in everything
    assert b'"type":"person.registered"' in everything  # the test can fail: the registrations are there


MISSING = [
    # beyond the tree (the world holds two entries)
    "tile/0/000", "tile/0/000.p/3", "tile/0/001.p/1", "tile/1/000.p/1", "tile/entries/000",
    "tile/entries/000.p/3", "tile/entries/x001/000.p/1",
    # not tile paths
    "tile/0/0", "tile/0/000.p/0", "tile/0/000.p/256", "tile/0/000.p/02", "tile/00/000", "tile/x/000",
    "tile/0/x000", "tile/entries/abc", "tile/entries/000.p/", "tile/64/000", "tile/0/000/extra",
]


def test_a_tile_beyond_the_tree_or_a_malformed_path_is_a_404_problem(api_world: ApiWorld) -> None:
    client = api_world.client()
    for path in MISSING:
        r = client.get(f"/log/{path}")
        assert r.status_code == 404, (path, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["type"] == "urn:habeas:problem:not-found"


def test_what_exists_in_the_small_log_is_served(api_world: ApiWorld) -> None:
    client = api_world.client()
    hashes = split_hashes(_get(client, "tile/0/000.p/2").content)
    leaves = _bundle(_get(client, "tile/entries/000.p/2").content)
    assert [merkle.leaf_hash(leaf) for leaf in leaves] == hashes
    assert merkle.root_of(hashes) == _checkpoint(client).root

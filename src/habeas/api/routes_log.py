"""The public log (no login) at the C2SP tlog-tiles paths, so standard tooling can audit it without names.

- ``/log/checkpoint``: the latest signed checkpoint note;
- ``/log/tile/<L>/<N>[.p/<W>]``: hash tiles, the 32-byte hashes of tree level 8L, concatenated;
- ``/log/tile/entries/<N>[.p/<W>]``: entry bundles, each leaf (the public, redacted entry) as a big-endian
  uint16 length and the bytes (c2sp.org/tlog-tiles);
- ``/log/vkey``: the key that signs the checkpoints, as a note verifier key.

Everything is served for the tree of the latest checkpoint, so a client that fetched it finds every tile it
needs, and nothing beyond. Full tiles never change and may be cached for ever.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from sqlalchemy import Connection

from habeas.api.context import state_of
from habeas.api.problems import ApiProblem
from habeas.ledger.note import format_vkey
from habeas.ledger.tiles import TILE_WIDTH, TilePathError, parse_tile_path, tile_width_at
from habeas.storage import ledger_store

router = APIRouter(prefix="/log", tags=["public log"])

IMMUTABLE = "public, max-age=31536000, immutable"
# The checkpoint moves with every write; a partial tile is replaced by a wider one as the log grows.
SHORT = "public, max-age=5"
MAX_ENTRY = 0xFFFF  # the bundle's uint16 length prefix


class OctetStream(Response):
    media_type = "application/octet-stream"


def _content(media_type: str, schema: dict[str, Any], description: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"description": description, "content": {media_type: {"schema": schema}}}}


_BINARY = {"type": "string", "format": "binary"}


def _not_found(detail: str, path: str) -> ApiProblem:
    return ApiProblem(404, "not-found", "Not found", detail, path=path)


def _tree_size(conn: Connection) -> int:
    cp = ledger_store.read_checkpoint(conn)
    return 0 if cp is None else cp.size


def _parse(path: str, what: str) -> tuple[int, int, int]:
    try:
        return parse_tile_path(path)
    except TilePathError as e:
        raise _not_found(f"not a {what} path: {e}", path) from e


def _cache(width: int) -> str:
    return IMMUTABLE if width == TILE_WIDTH else SHORT


@router.get(
    "/checkpoint", response_class=PlainTextResponse,
    responses=_content("text/plain", {"type": "string"}, "the latest signed checkpoint (c2sp.org/tlog-checkpoint)"),
)
def checkpoint(request: Request) -> PlainTextResponse:
    """The latest checkpoint: origin, size and root hash, signed (c2sp.org/signed-note)."""
    with state_of(request).services.ledger.engine.connect() as conn:
        cp = ledger_store.read_checkpoint(conn)
    if cp is None:
        raise _not_found("the log has no checkpoint yet", "checkpoint")
    return PlainTextResponse(cp.note, headers={"Cache-Control": SHORT})


@router.get(
    "/vkey", response_class=PlainTextResponse,
    responses=_content("text/plain", {"type": "string"}, "the checkpoint signer's verifier key"),
)
def vkey(request: Request) -> PlainTextResponse:
    """The verifier key (``<name>+<key id>+<key>``) that checks the checkpoints' signature."""
    verifier = state_of(request).services.ledger.signer.verifier()
    return PlainTextResponse(format_vkey(verifier) + "\n", headers={"Cache-Control": "public, max-age=300"})


@router.get(
    "/tile/entries/{bundle:path}", response_class=OctetStream,
    responses=_content("application/octet-stream", _BINARY, "an entry bundle: each leaf as uint16 length + bytes"),
)
def entry_bundle(bundle: str, request: Request) -> Response:
    """Leaves ``256 N`` to ``256 N + W - 1``: the public entries, redacted (no personal data)."""
    path = f"tile/entries/{bundle}"
    # Bundles are numbered as level-0 tiles are: parse the index and width with the same rules.
    _, index, width = _parse(f"tile/0/{bundle}", "entry bundle")
    start = index * TILE_WIDTH
    with state_of(request).services.ledger.engine.connect() as conn:
        if tile_width_at(0, index, _tree_size(conn)) < width:
            raise _not_found(f"{path} is beyond the tree of the latest checkpoint", path)
        leaves = [leaf for rows in ledger_store.iter_entries(conn, start, start + width, chunk=width)
                  for _, leaf, _ in rows]
    if len(leaves) != width:  # the checkpoint covers them; a gap is a damaged store, not a client's error
        raise RuntimeError(f"{path}: {len(leaves)} leaves stored, {width} expected")
    out = bytearray()
    for seq, leaf in enumerate(leaves, start):
        if len(leaf) > MAX_ENTRY:
            raise ApiProblem(
                409, "entry-too-large", "Conflict",
                f"entry {seq} is {len(leaf)} bytes, more than an entry bundle can hold ({MAX_ENTRY})",
                seq=seq, path=path,
            )
        out += len(leaf).to_bytes(2, "big") + leaf
    return OctetStream(bytes(out), headers={"Cache-Control": _cache(width)})


@router.get(
    "/tile/{tile:path}", response_class=OctetStream,
    responses=_content("application/octet-stream", _BINARY, "a hash tile: W 32-byte hashes of tree level 8L"),
)
def hash_tile(tile: str, request: Request) -> Response:
    """Hashes ``256 N`` to ``256 N + W - 1`` of tree level ``8 L`` (level 0: the leaf hashes)."""
    path = f"tile/{tile}"
    level, index, width = _parse(path, "tile")
    with state_of(request).services.ledger.engine.connect() as conn:
        if tile_width_at(level, index, _tree_size(conn)) < width:
            raise _not_found(f"{path} is beyond the tree of the latest checkpoint", path)
        hashes = ledger_store.read_tile_hashes(conn, level, index * TILE_WIDTH, width)
    if len(hashes) != width:
        raise RuntimeError(f"{path}: {len(hashes)} hashes stored, {width} expected")
    return OctetStream(b"".join(hashes), headers={"Cache-Control": _cache(width)})

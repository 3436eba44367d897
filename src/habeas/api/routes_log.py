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

from habeas.api.context import state_of
from habeas.api.problems import ApiProblem
from habeas.services import public_log

router = APIRouter(prefix="/log", tags=["public log"])

IMMUTABLE = "public, max-age=31536000, immutable"
# The checkpoint moves with every write; a partial tile is replaced by a wider one as the log grows.
SHORT = "public, max-age=5"


class OctetStream(Response):
    media_type = "application/octet-stream"


def _content(media_type: str, schema: dict[str, Any], description: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"description": description, "content": {media_type: {"schema": schema}}}}


_BINARY = {"type": "string", "format": "binary"}


def _not_found(detail: str, path: str) -> ApiProblem:
    return ApiProblem(404, "not-found", "Not found", detail, path=path)


def _parse(path: str, what: str) -> tuple[int, int, int]:
    try:
        return public_log.tile_coordinates(path)
    except ValueError as e:
        raise _not_found(f"not a {what} path: {e}", path) from e


def _cache(width: int) -> str:
    return IMMUTABLE if width == public_log.FULL_WIDTH else SHORT


@router.get(
    "/checkpoint", response_class=PlainTextResponse,
    responses=_content("text/plain", {"type": "string"}, "the latest signed checkpoint (c2sp.org/tlog-checkpoint)"),
)
def checkpoint(request: Request) -> PlainTextResponse:
    """The latest checkpoint: origin, size and root hash, signed (c2sp.org/signed-note)."""
    note = state_of(request).services.read(public_log.latest_checkpoint)
    if note is None:
        raise _not_found("the log has no checkpoint yet", "checkpoint")
    return PlainTextResponse(note, headers={"Cache-Control": SHORT})


@router.get(
    "/vkey", response_class=PlainTextResponse,
    responses=_content("text/plain", {"type": "string"}, "the checkpoint signer's verifier key"),
)
def vkey(request: Request) -> PlainTextResponse:
    """The verifier key (``<name>+<key id>+<key>``) that checks the checkpoints' signature."""
    text = state_of(request).services.vkey()
    return PlainTextResponse(text + "\n", headers={"Cache-Control": "public, max-age=300"})


@router.get(
    "/tile/entries/{bundle:path}", response_class=OctetStream,
    responses=_content("application/octet-stream", _BINARY, "an entry bundle: each leaf as uint16 length + bytes"),
)
def entry_bundle(bundle: str, request: Request) -> Response:
    """Leaves ``256 N`` to ``256 N + W - 1``: the public entries, redacted (no personal data)."""
    path = f"tile/entries/{bundle}"
    # Bundles are numbered as level-0 tiles are: parse the index and width with the same rules.
    _, index, width = _parse(f"tile/0/{bundle}", "entry bundle")
    try:
        content = state_of(request).services.entries_tile(index, width)
    except public_log.BeyondCheckpoint as e:
        raise _not_found(f"{path} is beyond the tree of the latest checkpoint", path) from e
    except public_log.EntryTooLarge as e:
        raise ApiProblem(409, "entry-too-large", "Conflict", str(e), seq=e.seq, path=path) from e
    return OctetStream(content, headers={"Cache-Control": _cache(width)})


@router.get(
    "/tile/{tile:path}", response_class=OctetStream,
    responses=_content("application/octet-stream", _BINARY, "a hash tile: W 32-byte hashes of tree level 8L"),
)
def hash_tile(tile: str, request: Request) -> Response:
    """Hashes ``256 N`` to ``256 N + W - 1`` of tree level ``8 L`` (level 0: the leaf hashes)."""
    path = f"tile/{tile}"
    level, index, width = _parse(path, "tile")
    try:
        content = state_of(request).services.tile(level, index, width)
    except public_log.BeyondCheckpoint as e:
        raise _not_found(f"{path} is beyond the tree of the latest checkpoint", path) from e
    return OctetStream(content, headers={"Cache-Control": _cache(width)})

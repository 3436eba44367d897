"""The one way new record ids are minted: ``<prefix>-<12 hex digits>`` (48 random bits)."""

from __future__ import annotations

import uuid


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"

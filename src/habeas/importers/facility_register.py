"""Registering a parsed facility register: stable ids, one command a row, all in ONE ledger write.

The rows come from :func:`habeas.importers.facilities.load_facilities`, which has already refused a fatal
file or any row that cannot become a facility. Each row is registered by the ordinary handler, all in one
:meth:`~habeas.services.door.Services.execute_many`, so a refusal half-way (a facility already registered) rolls
back all of them.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime

from habeas.domain.actors import SYSTEM_CALLER, Caller
from habeas.domain.commands import RegisterFacility
from habeas.importers.facilities import FacilityRow
from habeas.services.door import Services

REDACTED_PREFIX = "ice-redacted-"
_REDACTED = "redacted"


def facility_ids(rows: Sequence[FacilityRow]) -> list[str]:
    """``ice-<detloc>``; a row whose DETLOC was redacted gets ``ice-redacted-<hash>`` of its other cells.

    The hash covers every cell that is not "Redacted" (column names included), so the same register gives the
    same ids on every import; rows identical in every such cell (two in the 2017 register) are told apart by
    their order in the file (``-2``, ``-3``).
    """
    ids: list[str] = []
    seen: Counter[str] = Counter()
    for row in rows:
        if row.code is not None:
            ids.append(f"ice-{row.code.lower()}")
            continue
        kept = sorted((k, v.strip()) for k, v in row.raw.items() if v.strip().casefold() != _REDACTED)
        digest = hashlib.sha256(json.dumps(kept, ensure_ascii=False).encode()).hexdigest()[:12]
        base = REDACTED_PREFIX + digest
        seen[base] += 1
        ids.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return ids


def register_command(row: FacilityRow, facility_id: str, at: datetime) -> RegisterFacility:
    kind = row.type_detailed or row.type
    name = row.name or f"Redacted {kind + ' ' if kind else ''}facility (AOR {row.aor or 'unknown'})"
    return RegisterFacility(
        facility_id=facility_id, occurred_at=at, name=name, country=row.country, facility_type=kind or "unknown",
        operator_name=row.operator, code=row.code, address=row.address, city=row.city, region=row.state,
        postal_code=row.zip, declared_capacity=row.capacity, field_office=row.aor,
    )


def register_facilities(
    services: Services,
    rows: Sequence[FacilityRow],
    *,
    occurred_at: datetime,
    caller: Caller = SYSTEM_CALLER,
    progress: Callable[[int], None] | None = None,
) -> list[int]:
    """Register every row in one transaction and return the seqs; any refusal appends nothing. ``progress``
    hears how many rows are decided so far."""
    commands = [register_command(row, fid, occurred_at) for row, fid in zip(rows, facility_ids(rows), strict=True)]
    results = services.execute_many(commands, caller, progress=progress)
    return [seq for result in results for seq in result.seqs]

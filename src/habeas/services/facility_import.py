"""Registering a parsed facility register: stable ids, one command a row, all in ONE ledger write.

The rows come from :func:`habeas.importers.facilities.load_facilities`, which has already refused a fatal
file or any row that cannot become a facility. Each row is registered by the ordinary handler, inside one
batch transaction, so a refusal half-way (a facility already registered) rolls back all of them.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import Connection

from habeas.domain.actors import SYSTEM, Actor
from habeas.domain.commands import RegisterFacility
from habeas.importers.facilities import FacilityRow
from habeas.ledger.log import Appender, Ledger
from habeas.services import handlers
from habeas.services.unit_of_work import UnitOfWork

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
        postal_code=row.zip, declared_capacity=row.capacity,
    )


def register_facilities(
    ledger: Ledger,
    rows: Sequence[FacilityRow],
    *,
    occurred_at: datetime,
    now: datetime,
    actor: Actor = SYSTEM,
    progress: Callable[[int], None] | None = None,
) -> list[int]:
    """Register every row in one transaction and return the seqs; any refusal appends nothing."""
    ids = facility_ids(rows)

    def job(conn: Connection, appender: Appender) -> list[int]:
        uow = UnitOfWork(conn, appender, actor, now)
        seqs: list[int] = []
        for done, (row, fid) in enumerate(zip(rows, ids, strict=True), start=1):
            seqs.extend(handlers.register_facility(register_command(row, fid, occurred_at), uow=uow).seqs)
            if progress is not None and (done % 50 == 0 or done == len(rows)):
                progress(done)
        return seqs

    return ledger.write(job)

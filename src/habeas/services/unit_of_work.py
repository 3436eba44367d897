"""The unit of work: one command, one transaction, in which the ledger appends and the projections apply."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from habeas.domain.actors import Actor
from habeas.domain.events import Event
from habeas.ledger.entry import prepare_entry
from habeas.ledger.log import Appender
from habeas.services.codes import check_codes
from habeas.storage import projections
from habeas.storage.projections_scope import apply_scope


@dataclass
class Result:
    """What a handler tells its caller: the seqs it appended, and warnings where there are some."""

    seqs: list[int]
    warnings: list[Any] = field(default_factory=list)
    value: Any = None  # anything else the command produced (gate results, a receipt...)

    @property
    def seq(self) -> int:
        return self.seqs[-1]


@dataclass
class UnitOfWork:
    """Handed to a handler inside the batch transaction (see :meth:`habeas.ledger.log.Ledger.write`)."""

    conn: Connection
    appender: Appender
    actor: Actor
    now: datetime

    def record(self, events: Sequence[Event]) -> list[int]:
        """Append the events to the log and apply them to the projections; returns their seqs."""
        prepared = []
        for e in events:
            body = e.public()
            check_codes(body)
            prepared.append(
                prepare_entry(
                    type=e.TYPE.value, stream=e.stream, occurred_at=e.occurred_at, recorded_at=self.now,
                    actor=self.actor, body=body, private=e.private(),
                )
            )
        seqs = self.appender.append(prepared)
        projections.apply_many(self.conn, seqs, events)
        apply_scope(self.conn, zip(seqs, events, strict=True), self.actor.agency)
        return seqs

"""The unit of work: one command, one transaction, in which the ledger appends and the projections apply.

What the unit of work does after recording is wiring, not code here: the projector (the projection appliers,
merged in :mod:`habeas.bootstrap`) and the reactions (follow-ups between concepts, keyed by event type).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from habeas.domain.actors import Actor, Caller
from habeas.domain.events import Event, EventType
from habeas.ledger.canonical import canonical
from habeas.ledger.entry import prepare_entry
from habeas.services import facts
from habeas.services.codes import check_codes

if TYPE_CHECKING:
    from habeas.ledger.log import Appender

Projector = Callable[[Connection, Sequence[int], Sequence[Event]], None]
"""Brings the projections up to date with events just appended (seqs and events in log order)."""


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
    caller: Caller
    now: datetime
    project: Projector
    reactions: Mapping[EventType, Sequence[Reaction]] = field(default_factory=dict)
    # What the reactions have to tell the caller (a clearance they lapsed): the door adds it to the command's
    # warnings, since a reaction's entries are not the handler's and it builds no answer of its own.
    notes: list[Any] = field(default_factory=list)

    @property
    def actor(self) -> Actor:
        return self.caller.actor

    def record(self, events: Sequence[Event]) -> list[int]:
        """Append the events to the log, apply them to the projections, then run the reactions to them.

        Returns the seqs of ``events`` only: entries a reaction records are its own.
        """
        from habeas.storage.projections.scope import apply_scope  # here: a module that only reads never needs it

        facts.forget()  # what the decision read is about to change
        prepared = []
        actor = self.actor
        for e in events:
            body = e.public()  # encoded once: the event keeps it for the projections (domain/events.py)
            check_codes(body)
            prepared.append(
                prepare_entry(
                    type=e.TYPE.value, stream=e.stream, occurred_at=e.occurred_at, recorded_at=self.now,
                    actor=actor, body=body, private=e.private(), body_json=e.public_encoded(canonical),
                )
            )
        seqs = self.appender.append(prepared)
        self.project(self.conn, seqs, events)
        apply_scope(self.conn, zip(seqs, events, strict=True), self.actor.agency)
        for event, seq in zip(events, seqs, strict=True):
            for react in self.reactions.get(event.TYPE, ()):
                react(event, seq, uow=self)
        return seqs


Handler = Callable[..., Result]
"""``handle(cmd, *, uow, **dependencies) -> Result``: the dependencies are injected by parameter name."""

Reaction = Callable[..., Any]
"""``react(event, seq, *, uow, **dependencies)``: a follow-up to an event, in the same unit of work."""



def as_domain(cls: type[Any], cmd: Any) -> Any:
    """The domain command a service command extends (same fields; the service's extras dropped)."""
    return cls(**{f.name: getattr(cmd, f.name) for f in fields(cls)})

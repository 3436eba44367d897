"""The service facade the entry points call: execute a command, or ask a query."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Connection

from habeas.domain.actors import SYSTEM, Actor
from habeas.domain.commands import Command
from habeas.ledger.log import Appender, Ledger
from habeas.services.handlers import HANDLERS
from habeas.services.unit_of_work import Result, UnitOfWork


class Services:
    def __init__(self, ledger: Ledger, clock: Callable[[], datetime]) -> None:
        self.ledger = ledger
        self.clock = clock

    def execute(
        self, cmd: Command, actor: Actor = SYSTEM, *, after: Callable[[Connection, Result], None] | None = None
    ) -> Result:
        """Decide and record one command in one transaction; raises the domain's error if refused.

        ``after`` runs in the same transaction once the command is recorded (the HTTP layer stores the answer to
        an idempotent request there, so the answer exists exactly when the write does).
        """
        handler = HANDLERS.get(type(cmd))
        if handler is None:
            raise TypeError(f"no handler for {type(cmd).__name__}")
        now = self.clock()

        def job(conn: Connection, appender: Appender) -> Result:
            result = handler(cmd, uow=UnitOfWork(conn, appender, actor, now))
            if after is not None:
                after(conn, result)
            return result

        return self.ledger.write(job)

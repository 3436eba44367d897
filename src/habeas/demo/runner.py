"""How the demo records its commands: in batches through the door, timed and counted step by step.

Each group of commands runs as one batch (one database transaction and one signed checkpoint) through
:meth:`habeas.services.door.Services.execute_many`: each handler loads its state from the projections (which
earlier commands of the same batch have already updated), lets the domain decide, appends the events and applies
them. A refused command rolls its whole batch back. :class:`Grouping` chooses the batches;
the default gives each person's registration and records one transaction, and each step in which the group
moves together (admission, notices, departure, handover, intake) one transaction for everyone.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from habeas.domain import commands as c
from habeas.domain.actors import Actor, Caller
from habeas.domain.errors import DomainError
from habeas.domain.identity import IdentityWarning
from habeas.services import reports
from habeas.services.clearance import Clearance, ClearanceLapsed
from habeas.services.door import Services
from habeas.services.unit_of_work import Result

Item = tuple[c.Command, Actor]


class Grouping(StrEnum):
    """How many commands a transaction (and so a signed checkpoint) carries."""

    MIXED = "mixed"  # a person's records per person; a step in which the group moves together, at once
    COMMAND = "command"  # one command, one transaction: what Services.execute does
    PERSON = "person"  # one person's commands of a step, one transaction
    STEP = "step"  # a whole step (every person), one transaction


@dataclass
class StepLog:
    label: str
    people: int
    commands: int
    entries: int
    transactions: int
    seconds: float


@dataclass(frozen=True)
class Catch:
    """One thing the system stopped or flagged, as the demo prints it."""

    title: str
    lines: tuple[str, ...]


@dataclass
class Runner:
    """Records the scenario's steps, and keeps what the demo prints of them: steps, custody snapshots, catches."""

    services: Services
    grouping: Grouping = Grouping.MIXED
    on_step: Callable[[StepLog], None] | None = None
    on_catch: Callable[[Catch], None] | None = None
    steps: list[StepLog] = field(default_factory=list)
    warnings: list[IdentityWarning] = field(default_factory=list)
    snapshots: list[tuple[str, list[reports.CustodyRow]]] = field(default_factory=list)  # after each custody step
    catches: list[Catch] = field(default_factory=list)

    def batch(self, items: Sequence[Item]) -> list[Result]:
        """Run the commands in one ledger batch: one transaction, one signed checkpoint."""
        return self.services.execute_many([(cmd, Caller.of(actor)) for cmd, actor in items])

    def _size(self) -> int:
        # the entries the handlers' reactions add (re-checks, alerts) included
        return self.services.read(reports.log_size)

    def _log(self, log: StepLog) -> StepLog:
        self.steps.append(log)
        if self.on_step is not None:
            self.on_step(log)
        return log

    def _transactions(self, groups: Sequence[Sequence[Item]], together: bool) -> list[list[Item]]:
        if self.grouping is Grouping.COMMAND:
            return [[item] for group in groups for item in group]
        if self.grouping is Grouping.STEP or (together and self.grouping is Grouping.MIXED):
            return [[item for group in groups for item in group]]
        return [list(g) for g in groups]

    def step(
        self, label: str, groups: Sequence[Sequence[Item]], *, together: bool = False, shared: bool = False,
        snapshot: bool = False,
    ) -> StepLog:
        """Run one step: ``groups`` are the commands per person, or (``shared``) one group of shared records.

        ``together`` marks a step in which the whole group moves at once (a flight departs, a handover on the
        apron): under :attr:`Grouping.MIXED` it is one transaction, so it is recorded for all or for none.
        ``snapshot`` keeps the custody summary after it.
        """
        started, before = time.perf_counter(), self._size()
        transactions = self._transactions(groups, together)
        results = [result for items in transactions for result in self.batch(items)]
        self.warnings.extend(w for result in results for w in result.warnings if isinstance(w, IdentityWarning))
        log = self._log(StepLog(
            label=label + lapsed(results), people=0 if shared else len(groups), commands=sum(len(g) for g in groups),
            entries=self._size() - before, transactions=len(transactions), seconds=time.perf_counter() - started,
        ))
        if snapshot:
            self.snapshot(log.label)
        return log

    def one(self, label: str, cmd: c.Command, actor: Actor) -> Result:
        """Run one command as a step of its own."""
        started, before = time.perf_counter(), self._size()
        [result] = self.batch([(cmd, actor)])
        self._log(StepLog(label + lapsed([result]), 0, 1, self._size() - before, 1, time.perf_counter() - started))
        return result

    def refused(self, label: str, cmd: c.Command, actor: Actor) -> DomainError:
        """Run a command the domain must refuse; the refusal is the step (nothing recorded)."""
        try:
            self.batch([(cmd, actor)])
        except DomainError as e:
            self._log(StepLog(label + " (refused, nothing recorded)", 0, 1, 0, 0, 0.0))
            return e
        raise AssertionError(f"{label}: not refused")

    def snapshot(self, label: str) -> None:
        """Keep the custody summary, read back from the projections, under the step's label."""
        self.snapshots.append((label, self.services.read(reports.custody_summary)))

    def caught(self, title: str, *lines: str) -> None:
        self.catches.append(Catch(title, lines))
        if self.on_catch is not None:
            self.on_catch(self.catches[-1])


def lapsed(results: Sequence[Result]) -> str:
    """What a step's label adds when its records lapsed a clearance (an order landing on a cleared manifest)."""
    found = sorted({w.manifest_id for r in results for w in r.warnings if isinstance(w, ClearanceLapsed)})
    return f"; clearance lapsed: {', '.join(found)} back to draft" if found else ""


def blocking(clearance: Clearance, person_id: str) -> list[str]:
    """The rows of the gate table that block the person, as the demo prints them."""
    return [
        f"{r.gate.value} {r.outcome.value} ({r.reason.code}: {r.reason.text}), rests on "
        f"{r.rests_on_record or '-'} (entry {r.rests_on_seq if r.rests_on_seq is not None else '-'})"
        for r in clearance.results[person_id] if r.blocks
    ]

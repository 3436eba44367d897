"""Bilateral agreements between states, and billing per person-day that anyone can recompute (M10).

An agreement has two parties (the sending and the receiving state), a half-open term, an optional quota of
people, the categories of people the receiving state accepts, a per-diem fee and a guaranteed minimum per
invoice. Money is ``Decimal`` and is written into the ledger as a string, never a float.

**Person-days** are counted as in a prison's midnight count: one person-day for each midnight (00:00 UTC)
at which the person was held, within both the invoice period and the agreement's term (all half-open). The
count is exact and additive: invoices for consecutive periods bill each midnight once, overlapping stays of
one person are counted once, and a stay that crosses no midnight bills nothing. So an invoice is checkable
against the log: rebuild each person's stays from the ``custody.changed`` entries and call :func:`invoice`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import ClassVar

from habeas.domain.command import Command
from habeas.domain.errors import AlreadyExists, InvalidField
from habeas.domain.events import Event, EventType
from habeas.domain.periods import Period
from habeas.domain.values import require_aware, require_country, require_id, require_not_future, require_slug

_CURRENCY = re.compile(r"[A-Z]{3}")
_DAY = timedelta(days=1)

Stay = tuple[str, datetime, datetime | None]
"""``(person_id, held_from, held_to)``; ``held_to`` ``None`` while still held. Half-open."""


@dataclass(frozen=True, kw_only=True)
class Agreement:
    agreement_id: str
    sending_state: str
    receiving_state: str
    term: Period
    categories: tuple[str, ...]
    per_diem: Decimal
    currency: str
    guaranteed_minimum: Decimal = Decimal(0)
    quota: int | None = None

    def __post_init__(self) -> None:
        require_id("agreement_id", self.agreement_id)
        require_country("sending_state", self.sending_state)
        require_country("receiving_state", self.receiving_state)
        if self.sending_state == self.receiving_state:
            raise InvalidField("receiving_state", self.receiving_state, "the same state as the sending state")
        if not self.categories:
            raise InvalidField("categories", self.categories, "an agreement accepts at least one category")
        for cat in self.categories:
            require_slug("categories", cat)
        for name in ("per_diem", "guaranteed_minimum"):
            amount = getattr(self, name)
            if not isinstance(amount, Decimal) or not amount.is_finite() or amount < 0:
                raise InvalidField(name, amount, "not a non-negative finite Decimal")
        if not _CURRENCY.fullmatch(self.currency):
            raise InvalidField("currency", self.currency, "not an ISO 4217 code")
        if self.quota is not None and (isinstance(self.quota, bool) or self.quota < 0):
            raise InvalidField("quota", self.quota, "negative")


@dataclass(frozen=True, kw_only=True)
class Coverage:
    """Whether an agreement covers one more person; ``reason`` names why not."""

    covered: bool
    reason: str | None = None

    def __bool__(self) -> bool:
        return self.covered


def covers(agreement: Agreement, person_category: str, at: datetime, used_quota: int) -> Coverage:
    """In force at ``at``, accepting ``person_category``, with room in the quota for one more person."""
    if not agreement.term.contains(at):
        return Coverage(covered=False, reason="outside_term")
    if person_category not in agreement.categories:
        return Coverage(covered=False, reason="category_not_accepted")
    if used_quota < 0:
        raise InvalidField("used_quota", used_quota, "negative")
    if agreement.quota is not None and used_quota >= agreement.quota:
        return Coverage(covered=False, reason="quota_exhausted")
    return Coverage(covered=True)


@dataclass(frozen=True, kw_only=True)
class InvoiceLine:
    person_id: str
    person_days: int
    amount: Decimal


@dataclass(frozen=True, kw_only=True)
class Invoice:
    """``amount`` is the larger of the per-diem total and the guaranteed minimum (then ``minimum_applied``)."""

    lines: tuple[InvoiceLine, ...]
    person_days: int
    amount: Decimal
    minimum_applied: bool


def _midnights(start: datetime, end: datetime) -> int:
    """How many instants 00:00 UTC lie in ``[start, end)``."""
    if end <= start:
        return 0
    first = datetime.combine(start.date(), time(0), tzinfo=UTC)
    if first < start:
        first += _DAY
    if first >= end:
        return 0
    whole, rest = divmod(end - first, _DAY)
    return whole + (1 if rest else 0)


def _merged(intervals: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Overlapping stays of one person merged, so no midnight is billed twice."""
    out: list[tuple[datetime, datetime]] = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def invoice(agreement: Agreement, stays: Iterable[Stay], period: Period) -> Invoice:
    """Bill ``stays`` for ``period`` (bounded), by the midnight count, within the agreement's term."""
    if period.active_to is None:
        raise InvalidField("period", period, "an invoice period has an end")
    start = max(period.active_from, agreement.term.active_from)
    ends = [e for e in (period.active_to, agreement.term.active_to) if e is not None]
    end = min(ends)
    held: dict[str, list[tuple[datetime, datetime]]] = {}
    for person_id, held_from, held_to in stays:
        require_id("person_id", person_id)
        begin = require_aware("held_from", held_from)
        finish = end if held_to is None else require_aware("held_to", held_to)
        if held_to is not None and finish < begin:
            raise InvalidField("held_to", held_to, "before held_from")
        clipped = (max(begin, start), min(finish, end))
        if clipped[0] < clipped[1]:
            held.setdefault(person_id, []).append(clipped)
    days = {p: sum(_midnights(a, b) for a, b in _merged(spans)) for p, spans in held.items()}
    lines = tuple(
        InvoiceLine(person_id=p, person_days=n, amount=agreement.per_diem * n) for p, n in sorted(days.items()) if n
    )
    person_days = sum(line.person_days for line in lines)
    total = sum((line.amount for line in lines), Decimal(0))
    in_term = start < end  # no minimum is owed for a period wholly outside the term
    minimum_applied = in_term and total < agreement.guaranteed_minimum
    return Invoice(
        lines=lines,
        person_days=person_days,
        amount=agreement.guaranteed_minimum if minimum_applied else total,
        minimum_applied=minimum_applied,
    )


# -- events and decisions --------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class AgreementRecorded(Event):
    """``stream`` is the agreement id."""

    TYPE: ClassVar[EventType] = EventType.AGREEMENT_RECORDED

    agreement: Agreement


@dataclass(frozen=True, kw_only=True)
class InvoiceIssued(Event):
    """``stream`` is the agreement id; everything needed to recompute the invoice from the log is public."""

    TYPE: ClassVar[EventType] = EventType.AGREEMENT_INVOICE_ISSUED

    invoice_id: str
    period: Period
    lines: tuple[InvoiceLine, ...]
    person_days: int
    amount: Decimal
    currency: str
    minimum_applied: bool


@dataclass(frozen=True, kw_only=True)
class RecordAgreement(Command):
    agreement: Agreement
    occurred_at: datetime


def record_agreement(cmd: RecordAgreement, *, already_recorded: bool, now: datetime) -> list[Event]:
    if already_recorded:
        raise AlreadyExists("agreement", cmd.agreement.agreement_id)
    return [
        AgreementRecorded(
            stream=cmd.agreement.agreement_id,
            occurred_at=require_not_future("occurred_at", cmd.occurred_at, now),
            agreement=cmd.agreement,
        )
    ]


def issue_invoice(
    agreement: Agreement,
    stays: Iterable[Stay],
    period: Period,
    *,
    invoice_id: str,
    already_issued: bool,
    now: datetime,
) -> list[Event]:
    """The invoice for a closed period (its end not after ``now``), as an entry anyone can recompute."""
    if already_issued:
        raise AlreadyExists("invoice", invoice_id)
    if period.active_to is None:
        raise InvalidField("period", period, "an invoice period has an end")
    at = require_not_future("period.active_to", period.active_to, now)
    result = invoice(agreement, stays, period)
    return [
        InvoiceIssued(
            stream=agreement.agreement_id,
            occurred_at=at,
            invoice_id=require_id("invoice_id", invoice_id),
            period=period,
            lines=result.lines,
            person_days=result.person_days,
            amount=result.amount,
            currency=agreement.currency,
            minimum_applied=result.minimum_applied,
        )
    ]

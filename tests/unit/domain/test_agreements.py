"""Bilateral agreements: coverage (term, category, quota) and per-person-day invoices with a minimum."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from habeas.domain.agreements import (
    Agreement,
    AgreementRecorded,
    InvoiceIssued,
    RecordAgreement,
    covers,
    invoice,
    issue_invoice,
    record_agreement,
)
from habeas.domain.errors import AlreadyExists, InvalidField
from habeas.domain.events import event_from
from habeas.domain.periods import Period

START = datetime(2025, 3, 1, tzinfo=UTC)
MARCH = Period(active_from=START, active_to=datetime(2025, 4, 1, tzinfo=UTC))
APRIL = Period(active_from=datetime(2025, 4, 1, tzinfo=UTC), active_to=datetime(2025, 5, 1, tzinfo=UTC))
NOW = datetime(2025, 6, 1, tzinfo=UTC)


def agreement(**kw: object) -> Agreement:
    base: dict[str, object] = {
        "agreement_id": "ag-1",
        "sending_state": "US",
        "receiving_state": "SV",
        "term": Period(active_from=START, active_to=datetime(2026, 3, 1, tzinfo=UTC)),
        "categories": ("migration", "alleged_gang_member"),
        "per_diem": Decimal("54.79"),
        "currency": "USD",
        "guaranteed_minimum": Decimal("0"),
        "quota": 300,
    }
    return Agreement(**(base | kw))  # type: ignore[arg-type]


def day(d: int, h: int = 0, month: int = 3) -> datetime:
    return datetime(2025, month, d, h, tzinfo=UTC)


def test_covers_within_term_category_and_quota() -> None:
    ag = agreement()
    assert covers(ag, "migration", day(16), used_quota=299)
    assert covers(ag, "convicted", day(16), 0).reason == "category_not_accepted"
    assert covers(ag, "migration", day(16), used_quota=300).reason == "quota_exhausted"
    assert covers(ag, "migration", START - timedelta(seconds=1), 0).reason == "outside_term"
    assert covers(ag, "migration", datetime(2026, 3, 1, tzinfo=UTC), 0).reason == "outside_term"  # half-open
    assert covers(agreement(quota=None), "migration", day(16), used_quota=10**6)
    with pytest.raises(InvalidField):
        covers(ag, "migration", day(16), used_quota=-1)


def test_person_days_are_midnights_held() -> None:
    ag = agreement()
    inv = invoice(
        ag,
        [
            ("p-1", day(16, 2), None),  # arrives 16 March 02:00, still held: midnights 17..31 = 15
            ("p-2", day(16, 2), day(18, 10)),  # midnights of the 17th and 18th = 2
            ("p-3", day(20, 1), day(20, 23)),  # no midnight crossed = 0, no line
            ("p-4", day(10), day(11)),  # [00:00 on the 10th, 00:00 on the 11th) = 1
        ],
        MARCH,
    )
    assert [(line.person_id, line.person_days) for line in inv.lines] == [("p-1", 15), ("p-2", 2), ("p-4", 1)]
    assert inv.person_days == 18
    assert inv.amount == Decimal("54.79") * 18 == Decimal("986.22")
    assert inv.lines[0].amount == Decimal("821.85")
    assert not inv.minimum_applied


def test_overlapping_stays_of_one_person_are_billed_once() -> None:
    inv = invoice(agreement(), [("p-1", day(1), day(11)), ("p-1", day(5), day(15)), ("p-1", day(15), day(16))], MARCH)
    assert inv.person_days == 15


def test_guaranteed_minimum_applies_when_the_days_fall_short() -> None:
    ag = agreement(guaranteed_minimum=Decimal("500000.00"))
    inv = invoice(ag, [("p-1", day(16), None)], MARCH)
    assert inv.person_days == 16
    assert inv.minimum_applied
    assert inv.amount == Decimal("500000.00")
    assert sum(line.amount for line in inv.lines) == Decimal("876.64")  # the lines still show what was used
    big = invoice(agreement(guaranteed_minimum=Decimal("100")), [("p-1", day(16), None)], MARCH)
    assert not big.minimum_applied
    assert big.amount == Decimal("876.64")


def test_billing_stops_at_the_end_of_the_term_and_nothing_is_owed_outside_it() -> None:
    ag = agreement(term=Period(active_from=START, active_to=day(20)), guaranteed_minimum=Decimal("1000"))
    inv = invoice(ag, [("p-1", day(16), None)], MARCH)
    assert inv.person_days == 4  # 16, 17, 18, 19
    after = invoice(ag, [("p-1", day(16), None)], APRIL)
    assert (after.person_days, after.amount, after.minimum_applied) == (0, Decimal(0), False)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["p-1", "p-2", "p-3"]),
            st.integers(0, 60 * 24 * 70),
            st.integers(1, 60 * 24 * 30),
        ),
        max_size=8,
    ),
    st.integers(60 * 24 * 5, 60 * 24 * 50),
)
def test_consecutive_periods_bill_each_midnight_exactly_once(
    raw: list[tuple[str, int, int]], split_minutes: int
) -> None:
    ag = agreement()
    stays = [(p, START + timedelta(minutes=a), START + timedelta(minutes=a + n)) for p, a, n in raw]
    end = START + timedelta(days=80)
    split = START + timedelta(minutes=split_minutes)
    whole = invoice(ag, stays, Period(active_from=START, active_to=end))
    first = invoice(ag, stays, Period(active_from=START, active_to=split))
    second = invoice(ag, stays, Period(active_from=split, active_to=end))
    assert whole.person_days == first.person_days + second.person_days
    assert whole.amount == first.amount + second.amount


def test_invoice_refusals() -> None:
    with pytest.raises(InvalidField, match="has an end"):
        invoice(agreement(), [], Period(active_from=START))
    with pytest.raises(InvalidField, match="before held_from"):
        invoice(agreement(), [("p-1", day(5), day(4))], MARCH)
    with pytest.raises(InvalidField, match="person_id"):
        invoice(agreement(), [("Marcos Avalos", day(4), day(5))], MARCH)


def test_agreement_validation() -> None:
    with pytest.raises(InvalidField, match="receiving_state"):
        agreement(receiving_state="US")
    with pytest.raises(InvalidField, match="categories"):
        agreement(categories=())
    with pytest.raises(InvalidField, match="per_diem"):
        agreement(per_diem=Decimal("-1"))
    with pytest.raises(InvalidField, match="per_diem"):
        agreement(per_diem=Decimal("NaN"))
    with pytest.raises(InvalidField, match="currency"):
        agreement(currency="usd")


def test_money_is_stored_as_strings_and_the_invoice_entry_can_be_recomputed() -> None:
    ag = agreement(guaranteed_minimum=Decimal("6000000.00"))
    (recorded,) = record_agreement(RecordAgreement(agreement=ag, occurred_at=START), already_recorded=False, now=NOW)
    assert isinstance(recorded, AgreementRecorded)
    body = recorded.public()
    assert body["agreement"]["per_diem"] == "54.79"
    assert body["agreement"]["guaranteed_minimum"] == "6000000.00"
    assert "e" not in json.dumps(body["agreement"]["per_diem"])
    rebuilt = event_from(str(recorded.TYPE), recorded.stream, json.loads(json.dumps(body)), None)
    assert rebuilt == recorded

    stays = [("p-1", day(16, 2), None), ("p-2", day(16, 2), day(18, 10))]
    (issued,) = issue_invoice(ag, stays, MARCH, invoice_id="inv-2025-03", already_issued=False, now=NOW)
    assert isinstance(issued, InvoiceIssued)
    assert issued.stream == "ag-1"
    assert issued.public()["amount"] == "6000000.00"
    assert issued.minimum_applied
    assert issued.public()["lines"] == [
        {"person_id": "p-1", "person_days": 15, "amount": "821.85"},
        {"person_id": "p-2", "person_days": 2, "amount": "109.58"},
    ]
    again = invoice(ag, stays, issued.period)  # an auditor recomputes from the log
    assert (again.lines, again.amount, again.person_days) == (issued.lines, issued.amount, issued.person_days)
    with pytest.raises(AlreadyExists):
        issue_invoice(ag, stays, MARCH, invoice_id="inv-2025-03", already_issued=True, now=NOW)
    with pytest.raises(InvalidField, match="future"):
        issue_invoice(ag, stays, MARCH, invoice_id="inv-x", already_issued=False, now=day(20))
    with pytest.raises(AlreadyExists):
        record_agreement(RecordAgreement(agreement=ag, occurred_at=START), already_recorded=True, now=NOW)

"""Notifications with deadlines: family (Mandela 68), counsel (ICE 2004), consulate (VCCR 36), missed ones."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from habeas.domain.errors import InvalidField, Refused, UnknownRecord
from habeas.domain.events import Event
from habeas.domain.notifications import (
    NotificationDue,
    NotificationPolicy,
    NotificationReason,
    NotificationSent,
    NotificationStatus,
    Recipient,
    RecordNotificationSent,
    consular_notification,
    missed,
    notification_statuses,
    record_notification_sent,
    transfer_notifications,
)
from tests.unit.domain.samples import NOW, T0


def test_transfer_makes_family_due_immediately_and_counsel_within_24_hours_by_default() -> None:
    family, counsel = transfer_notifications(
        "p-1", transferred_at=T0, related_id="r-1", has_counsel=True, policy=NotificationPolicy()
    )
    assert isinstance(family, NotificationDue)
    assert isinstance(counsel, NotificationDue)
    assert (family.recipient, family.due_at, family.legal_source) == (Recipient.FAMILY, T0, "mandela_68")
    assert (counsel.recipient, counsel.due_at) == (Recipient.COUNSEL, T0 + timedelta(hours=24))
    assert (family.notification_id, counsel.notification_id) == ("r-1.family.p-1", "r-1.counsel.p-1")
    assert [
        e.recipient  # type: ignore[attr-defined]
        for e in transfer_notifications(
            "p-1", transferred_at=T0, related_id="r-1", has_counsel=False, policy=NotificationPolicy()
        )
    ] == [Recipient.FAMILY]


def test_policy_parameters_set_the_deadlines() -> None:
    policy = NotificationPolicy(family_within=timedelta(hours=6), counsel_within=timedelta(hours=12))
    family, counsel = transfer_notifications(
        "p-1", transferred_at=T0, related_id="r-1", has_counsel=True, policy=policy
    )
    assert isinstance(family, NotificationDue)
    assert isinstance(counsel, NotificationDue)
    assert (family.due_at - T0, counsel.due_at - T0) == (timedelta(hours=6), timedelta(hours=12))
    with pytest.raises(InvalidField):
        NotificationPolicy(counsel_within=timedelta(hours=-1))


def test_consulate_is_due_without_delay_when_requested() -> None:
    (due,) = consular_notification("p-1", requested_at=T0, notification_id="cn-1", policy=NotificationPolicy())
    assert isinstance(due, NotificationDue)
    assert (due.recipient, due.due_at, due.legal_source) == (Recipient.CONSULATE, T0, "vccr_36_1_b")


def test_missed_lists_unsent_notifications_past_their_deadline_most_overdue_first() -> None:
    events: list[Event] = [
        *transfer_notifications(
            "p-1", transferred_at=T0, related_id="r-1", has_counsel=True, policy=NotificationPolicy()
        ),
        *transfer_notifications(
            "p-2", transferred_at=T0, related_id="r-1", has_counsel=True, policy=NotificationPolicy()
        ),
        *consular_notification(
            "p-2", requested_at=T0 + timedelta(hours=1), notification_id="cn-2", policy=NotificationPolicy()
        ),
    ]
    statuses = {n.notification_id: n for n in notification_statuses(events)}
    (sent,) = record_notification_sent(
        RecordNotificationSent(
            notification_id="r-1.family.p-2",
            person_id="p-2",
            occurred_at=T0 + timedelta(minutes=30),
            channel="phone",
            contact="Maria, +58 412 000 0000",
        ),
        notification=statuses["r-1.family.p-2"],
        now=NOW,
    )
    (counsel_sent,) = record_notification_sent(
        RecordNotificationSent(
            notification_id="r-1.counsel.p-1", person_id="p-1", occurred_at=T0 + timedelta(hours=2), channel="email"
        ),
        notification=statuses["r-1.counsel.p-1"],
        now=NOW,
    )
    assert isinstance(sent, NotificationSent)
    assert "Maria" not in json.dumps(sent.public())
    statuses_now = notification_statuses([*events, sent, counsel_sent])

    at_12h = missed(statuses_now, T0 + timedelta(hours=12))
    assert [o.notification_id for o in at_12h] == ["r-1.family.p-1", "cn-2"]
    assert at_12h[0].overdue_by == timedelta(hours=12)
    assert at_12h[0].sent_at is None

    at_25h = missed(statuses_now, T0 + timedelta(hours=25))
    assert [o.notification_id for o in at_25h] == [
        "r-1.family.p-1",
        "cn-2",
        "r-1.counsel.p-2",  # counsel's 24 hours have passed for p-2; p-1's counsel was told in time
    ]
    with_late = missed(statuses_now, T0 + timedelta(hours=25), include_late=True)
    late = [o for o in with_late if o.sent_at is not None]
    assert [(o.notification_id, o.overdue_by) for o in late] == [("r-1.family.p-2", timedelta(minutes=30))]


def test_notification_sent_refusals() -> None:
    status = NotificationStatus(
        notification_id="n-1",
        person_id="p-1",
        recipient=Recipient.FAMILY,
        reason=NotificationReason.TRANSFER,
        due_at=T0,
        sent_at=T0,
    )
    cmd = RecordNotificationSent(notification_id="n-1", person_id="p-1", occurred_at=T0, channel="phone")
    with pytest.raises(Refused, match="already_sent"):
        record_notification_sent(cmd, notification=status, now=NOW)
    with pytest.raises(UnknownRecord):
        record_notification_sent(cmd, notification=None, now=NOW)
    with pytest.raises(InvalidField, match="person_id"):
        record_notification_sent(
            RecordNotificationSent(notification_id="n-1", person_id="p-2", occurred_at=T0, channel="phone"),
            notification=status,
            now=NOW,
        )

"""Notifications with deadlines (M11): due by a deadline, sent later, and :func:`missed` for ``habeas alerts``.

The deadlines and their sources (see ../shared/LEGAL.md); each is a :class:`NotificationPolicy` parameter:

- next of kin on a death: at once (Mandela rule 69), and an independent authority without delay (rule 71(1));
  both are made due by :func:`habeas.domain.incidents.record_incident`;
- family on a transfer: the right to inform them immediately (rule 68; Body of Principles 16(1)); default
  immediate;
- counsel of record on a transfer: ICE's 2004 transfer standard, commonly summarised as within 24 hours
  *(unverified)*;
- consulate when the person requests it: without delay (VCCR art. 36(1)(b)); default immediate.

A notification is on the person's stream; whom it reached (a phone number, a name) is private.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import ClassVar

from habeas.domain.command import Command
from habeas.domain.errors import InvalidField, Refused, UnknownRecord
from habeas.domain.events import PRIVATE, Event, EventType
from habeas.domain.values import require_aware, require_id, require_not_future, require_slug, require_text


class Recipient(StrEnum):
    FAMILY = "family"
    NEXT_OF_KIN = "next_of_kin"
    COUNSEL = "counsel"
    CONSULATE = "consulate"
    INDEPENDENT_AUTHORITY = "independent_authority"
    COURT = "court"  # the court that issued an order being departed from (an override of a return-required alert)


class NotificationReason(StrEnum):
    TRANSFER = "transfer"
    DEATH = "death"
    SERIOUS_INJURY = "serious_injury"
    CONSULAR_REQUEST = "consular_request"
    RETURN_OVERRIDE = "return_override"


SOURCE_DEATH_NEXT_OF_KIN = "mandela_69"
SOURCE_INDEPENDENT_AUTHORITY = "mandela_71_1"
SOURCE_FAMILY_TRANSFER = "mandela_68"
SOURCE_COUNSEL_TRANSFER = "ice_transfer_standard_2004"
SOURCE_CONSULAR = "vccr_36_1_b"
SOURCE_RETURN_OVERRIDE = "court_order"  # the order being departed from: its court and the person's counsel, at once


@dataclass(frozen=True, kw_only=True)
class NotificationPolicy:
    """How long after the event each notification may wait; a policy pack sets these."""

    family_within: timedelta = timedelta(0)  # Mandela rule 68: immediately
    counsel_within: timedelta = timedelta(hours=24)  # ICE 2004 transfer standard (unverified wording)
    consulate_within: timedelta = timedelta(0)  # VCCR 36(1)(b): without delay

    def __post_init__(self) -> None:
        for name in ("family_within", "counsel_within", "consulate_within"):
            if getattr(self, name) < timedelta(0):
                raise InvalidField(name, getattr(self, name), "negative")


@dataclass(frozen=True, kw_only=True)
class NotificationDue(Event):
    """``stream`` is the person; ``related_id`` the incident, receipt or move that made it due."""

    TYPE: ClassVar[EventType] = EventType.NOTIFICATION_DUE

    notification_id: str
    recipient: Recipient
    reason: NotificationReason
    due_at: datetime
    legal_source: str
    related_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class NotificationSent(Event):
    """``stream`` is the person; ``occurred_at`` is when it was sent. Whom it reached is private."""

    TYPE: ClassVar[EventType] = EventType.NOTIFICATION_SENT

    notification_id: str
    channel: str
    contact: str | None = field(default=None, metadata=PRIVATE)
    note: str | None = field(default=None, metadata=PRIVATE)


@dataclass(frozen=True, kw_only=True)
class NotificationStatus:
    """A notification as the projections hold it: due, and sent or not."""

    notification_id: str
    person_id: str
    recipient: Recipient
    reason: NotificationReason
    due_at: datetime
    sent_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class Overdue:
    """A notification not sent by its deadline; ``sent_at`` is set when it went out late."""

    notification_id: str
    person_id: str
    recipient: Recipient
    reason: NotificationReason
    due_at: datetime
    overdue_by: timedelta
    sent_at: datetime | None = None


def notification_statuses(events: Iterable[Event]) -> list[NotificationStatus]:
    """Fold ``notification.due`` and ``notification.sent`` entries, in log order, into statuses."""
    due: dict[str, NotificationStatus] = {}
    for e in events:
        if isinstance(e, NotificationDue):
            due[e.notification_id] = NotificationStatus(
                notification_id=e.notification_id,
                person_id=e.stream,
                recipient=e.recipient,
                reason=e.reason,
                due_at=e.due_at,
            )
        elif isinstance(e, NotificationSent) and e.notification_id in due:
            current = due[e.notification_id]
            if current.sent_at is None:
                due[e.notification_id] = NotificationStatus(
                    notification_id=current.notification_id,
                    person_id=current.person_id,
                    recipient=current.recipient,
                    reason=current.reason,
                    due_at=current.due_at,
                    sent_at=e.occurred_at,
                )
    return list(due.values())


def missed(notifications: Iterable[NotificationStatus], now: datetime, *, include_late: bool = False) -> list[Overdue]:
    """Notifications unsent past their deadline at ``now`` (and, with ``include_late``, those sent late).

    A deadline "at once" is ``due_at == occurred_at``: it is missed from the first instant it is not met,
    which is the point. Most overdue first, then by id, so the output is stable.
    """
    at = require_aware("now", now)
    out: list[Overdue] = []
    for n in notifications:
        if n.sent_at is None:
            if at > n.due_at:
                out.append(_overdue(n, at - n.due_at))
        elif include_late and n.sent_at > n.due_at:
            out.append(_overdue(n, n.sent_at - n.due_at))
    return sorted(out, key=lambda o: (-o.overdue_by, o.notification_id))


def _overdue(n: NotificationStatus, by: timedelta) -> Overdue:
    return Overdue(
        notification_id=n.notification_id,
        person_id=n.person_id,
        recipient=n.recipient,
        reason=n.reason,
        due_at=n.due_at,
        overdue_by=by,
        sent_at=n.sent_at,
    )


@dataclass(frozen=True, kw_only=True)
class RecordNotificationSent(Command):
    notification_id: str
    person_id: str
    occurred_at: datetime
    channel: str
    contact: str | None = None
    note: str | None = None


def _optional_text(name: str, value: str | None) -> str | None:
    return None if value is None else require_text(name, value)


def make_due(
    *,
    person_id: str,
    notification_id: str,
    recipient: Recipient,
    reason: NotificationReason,
    at: datetime,
    due_at: datetime,
    source: str,
    related_id: str | None,
) -> NotificationDue:
    return NotificationDue(
        stream=require_id("person_id", person_id),
        occurred_at=at,
        notification_id=require_id("notification_id", notification_id),
        recipient=recipient,
        reason=reason,
        due_at=due_at,
        legal_source=source,
        related_id=related_id,
    )


def transfer_notifications(
    person_id: str,
    *,
    transferred_at: datetime,
    related_id: str,
    has_counsel: bool,
    policy: NotificationPolicy,
) -> list[Event]:
    """What a transfer makes due: family (rule 68) and, when there is counsel of record, counsel.

    Ids are ``<related_id>.family.<person>`` and ``<related_id>.counsel.<person>``: one per transfer and
    person, so recording the same transfer twice gives the same ids and the services refuse the second.
    """
    at = require_aware("transferred_at", transferred_at)
    require_id("person_id", person_id)
    out: list[Event] = [
        make_due(
            person_id=person_id,
            notification_id=f"{related_id}.family.{person_id}",
            recipient=Recipient.FAMILY,
            reason=NotificationReason.TRANSFER,
            at=at,
            due_at=at + policy.family_within,
            source=SOURCE_FAMILY_TRANSFER,
            related_id=related_id,
        )
    ]
    if has_counsel:
        out.append(
            make_due(
                person_id=person_id,
                notification_id=f"{related_id}.counsel.{person_id}",
                recipient=Recipient.COUNSEL,
                reason=NotificationReason.TRANSFER,
                at=at,
                due_at=at + policy.counsel_within,
                source=SOURCE_COUNSEL_TRANSFER,
                related_id=related_id,
            )
        )
    return out


def consular_notification(
    person_id: str, *, requested_at: datetime, notification_id: str, policy: NotificationPolicy
) -> list[Event]:
    """VCCR 36(1)(b): the person asked that their consulate be told; due without delay."""
    at = require_aware("requested_at", requested_at)
    return [
        make_due(
            person_id=person_id,
            notification_id=notification_id,
            recipient=Recipient.CONSULATE,
            reason=NotificationReason.CONSULAR_REQUEST,
            at=at,
            due_at=at + policy.consulate_within,
            source=SOURCE_CONSULAR,
            related_id=None,
        )
    ]


def record_notification_sent(
    cmd: RecordNotificationSent, *, notification: NotificationStatus | None, now: datetime
) -> list[Event]:
    if notification is None or notification.notification_id != cmd.notification_id:
        raise UnknownRecord("notification", cmd.notification_id)
    if notification.person_id != cmd.person_id:
        raise InvalidField("person_id", cmd.person_id, f"notification is about {notification.person_id!r}")
    if notification.sent_at is not None:
        raise Refused("notification", cmd.notification_id, "already_sent")
    return [
        NotificationSent(
            stream=cmd.person_id,
            occurred_at=require_not_future("occurred_at", cmd.occurred_at, now),
            notification_id=cmd.notification_id,
            channel=require_slug("channel", cmd.channel),
            contact=_optional_text("contact", cmd.contact),
            note=_optional_text("note", cmd.note),
        )
    ]

"""Notifications due to family, counsel and consulates: recording one sent, and which are missed or late."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, select

from habeas.domain import notifications
from habeas.domain.actors import Caller
from habeas.domain.command import Command
from habeas.domain.notifications import (
    NotificationReason,
    NotificationStatus,
    Overdue,
    Recipient,
    RecordNotificationSent,
    missed,
)
from habeas.domain.values import parse_utc
from habeas.services.access import PERSON, visible
from habeas.services.unit_of_work import Handler, Result, UnitOfWork, as_domain
from habeas.storage.projections.notifications import notification


def notification_status(conn: Connection, notification_id: str) -> NotificationStatus | None:
    row = conn.execute(select(notification).where(notification.c.notification_id == notification_id)).first()
    return None if row is None else status_of(row)


def status_of(row: Row[Any]) -> NotificationStatus:
    return NotificationStatus(
        notification_id=row.notification_id,
        person_id=row.person_id,
        recipient=Recipient(row.recipient),
        reason=NotificationReason(row.reason),
        due_at=parse_utc(row.due_at),
        sent_at=None if row.sent_at is None else parse_utc(row.sent_at),
    )


def record_notification_sent(cmd: RecordNotificationSent, *, uow: UnitOfWork) -> Result:
    events = notifications.record_notification_sent(
        as_domain(notifications.RecordNotificationSent, cmd),
        notification=notification_status(uow.conn, cmd.notification_id), now=uow.now,
    )
    return Result(uow.record(events))


# -- queries ---------------------------------------------------------------------------------------------------


def missed_notifications(conn: Connection, now: datetime, *, include_late: bool = False) -> list[Overdue]:
    rows = conn.execute(select(notification).order_by(notification.c.seq))
    return missed([status_of(r) for r in rows], now, include_late=include_late)


@dataclass(frozen=True, kw_only=True)
class NotificationRow:
    notification_id: str
    person_id: str
    recipient: str
    reason: str
    due_at: str
    legal_source: str
    sent_at: str | None
    seq: int


def notification_list(conn: Connection, person_id: str | None = None) -> list[NotificationRow]:
    query = select(notification).order_by(notification.c.seq)
    if person_id is not None:
        query = query.where(notification.c.person_id == person_id)
    return [
        NotificationRow(
            notification_id=r.notification_id, person_id=r.person_id, recipient=r.recipient, reason=r.reason,
            due_at=r.due_at, legal_source=r.legal_source, sent_at=r.sent_at, seq=int(r.seq),
        )
        for r in conn.execute(query)
    ]


HANDLERS: dict[type[Command], Handler] = {
    RecordNotificationSent: record_notification_sent,
}


def notifications_in_view(
    conn: Connection, caller: Caller, now: datetime, person_id: str | None = None
) -> list[tuple[NotificationRow, str]]:
    """:func:`notification_list` about people in the caller's agency's view, each with its status at ``now``:
    ``sent``, ``pending`` or ``missed`` (past its deadline, unsent)."""
    rows = notification_list(conn, person_id)
    seen = visible(conn, caller, PERSON, [r.person_id for r in rows])
    missed = {o.notification_id for o in missed_notifications(conn, now)}
    return [
        (r, "missed" if r.notification_id in missed else ("sent" if r.sent_at else "pending"))
        for r in rows
        if r.person_id in seen
    ]


def missed_in_view(conn: Connection, caller: Caller, now: datetime, *, include_late: bool = False) -> list[Overdue]:
    """:func:`missed_notifications` about people in the caller's agency's view."""
    found = missed_notifications(conn, now, include_late=include_late)
    seen = visible(conn, caller, PERSON, [o.person_id for o in found])
    return [o for o in found if o.person_id in seen]

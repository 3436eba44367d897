"""Notifications: ``p_notification``, one row a notification made due, marked when it is sent."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, String, Table

from habeas.domain.events import EventType
from habeas.domain.notifications import NotificationDue, NotificationSent
from habeas.storage.projections.rows import Applier, InsertRow, UpdateRow
from habeas.storage.projections.schema import metadata

notification = Table(
    "p_notification",
    metadata,
    Column("notification_id", String(300), primary_key=True),
    Column("person_id", String(100), nullable=False),
    Column("recipient", String(40), nullable=False),
    Column("reason", String(40), nullable=False),
    Column("made_due_at", String(40), nullable=False),
    Column("due_at", String(40), nullable=False),
    Column("legal_source", String(100), nullable=False),
    Column("related_id", String(200)),
    Column("sent_at", String(40)),
    Column("channel", String(100)),
    Column("seq", BigInteger, nullable=False),
    Column("sent_seq", BigInteger),
    Index("ix_p_notification_person", "person_id"),
)

APPLIERS: dict[EventType, Applier] = {
    EventType.NOTIFICATION_DUE: InsertRow(
        NotificationDue, notification, person_id="stream", made_due_at="occurred_at",
        later=("sent_at", "channel", "sent_seq"),
    ),
    EventType.NOTIFICATION_SENT: UpdateRow(
        NotificationSent, notification, key=("notification_id", "notification_id"), seq_column="sent_seq",
        sent_at="occurred_at", channel="channel",
    ),
}

"""Legal records about one person: removal orders, protections, stays, notices, counsel, consulates.

Every record here is an event on the person's stream (court orders, which may name many people or a class, are
in :mod:`habeas.domain.court_orders`). Records with a duration carry a half-open :class:`Period`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from habeas.domain.command import Command
from habeas.domain.errors import AlreadyExists, InvalidField
from habeas.domain.events import CONTENT, PRIVATE, Event, EventType
from habeas.domain.people import PersonState, require_person
from habeas.domain.periods import Period
from habeas.domain.values import (
    require_aware,
    require_country,
    require_id,
    require_language,
    require_not_future,
    require_slug,
    require_text,
)


class ProtectionKind(StrEnum):
    WITHHOLDING_OF_REMOVAL = "withholding_of_removal"  # INA 241(b)(3)
    CAT_WITHHOLDING = "cat_withholding"  # 8 CFR 1208.16(c)
    CAT_DEFERRAL = "cat_deferral"  # 8 CFR 1208.17
    ASYLUM = "asylum"


class NoticeContent(StrEnum):
    REMOVAL_ORDER = "removal_order"
    THIRD_COUNTRY_REMOVAL = "third_country_removal"
    WARTIME_DESIGNATION = "wartime_designation"
    TRANSFER = "transfer"
    RIGHTS = "rights"
    OTHER = "other"


@dataclass(frozen=True, kw_only=True)
class RemovalOrderRecorded(Event):
    TYPE: ClassVar[EventType] = EventType.REMOVAL_ORDER_RECORDED

    order_id: str
    period: Period
    authority: str | None = field(default=None, metadata=CONTENT)
    legal_basis: str | None = field(default=None, metadata=CONTENT)
    destination_country: str | None = field(default=None, metadata=CONTENT)
    final: bool | None = field(default=None, metadata=CONTENT)


@dataclass(frozen=True, kw_only=True)
class ProtectionRecorded(Event):
    """A protection bars removal to ``country`` only, for the period."""

    TYPE: ClassVar[EventType] = EventType.PROTECTION_RECORDED

    protection_id: str
    period: Period
    kind: ProtectionKind | None = field(default=None, metadata=CONTENT)
    country: str | None = field(default=None, metadata=CONTENT)
    granted_by: str | None = field(default=None, metadata=CONTENT)


@dataclass(frozen=True, kw_only=True)
class StayRecorded(Event):
    """A stay of removal; ``country`` limits it to removal there, ``None`` stays removal anywhere."""

    TYPE: ClassVar[EventType] = EventType.STAY_RECORDED

    stay_id: str
    period: Period
    granted_by: str | None = field(default=None, metadata=CONTENT)
    # erased: None, which reads as "removal anywhere" and so blocks every destination
    country: str | None = field(default=None, metadata=CONTENT)


@dataclass(frozen=True, kw_only=True)
class NoticeServed(Event):
    """``occurred_at`` is the time served."""

    TYPE: ClassVar[EventType] = EventType.NOTICE_SERVED

    notice_id: str
    language: str | None = field(default=None, metadata=CONTENT)
    content_type: NoticeContent | None = field(default=None, metadata=CONTENT)
    copy_to_counsel: bool | None = field(default=None, metadata=CONTENT)
    served_by_officer_id: str | None = field(default=None, metadata=CONTENT)


@dataclass(frozen=True, kw_only=True)
class CounselRecorded(Event):
    TYPE: ClassVar[EventType] = EventType.COUNSEL_RECORDED

    counsel_id: str
    period: Period
    appearance_filed: bool | None = field(default=None, metadata=CONTENT)
    name: str | None = field(default=None, metadata=PRIVATE)
    bar_number: str | None = field(default=None, metadata=PRIVATE)
    contact: str | None = field(default=None, metadata=PRIVATE)


@dataclass(frozen=True, kw_only=True)
class ConsularRecorded(Event):
    """Vienna Convention art. 36: the right offered, the person's request, the notification sent."""

    TYPE: ClassVar[EventType] = EventType.CONSULAR_RECORDED

    notification_id: str
    country: str | None = field(default=None, metadata=CONTENT)
    mandatory: bool | None = field(default=None, metadata=CONTENT)
    offered_at: datetime | None = field(default=None, metadata=CONTENT)
    requested_at: datetime | None = field(default=None, metadata=CONTENT)
    sent_at: datetime | None = field(default=None, metadata=CONTENT)


# -- commands --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RecordRemovalOrder(Command):
    order_id: str
    person_id: str
    occurred_at: datetime
    authority: str
    legal_basis: str
    destination_country: str
    final: bool
    period: Period


@dataclass(frozen=True, kw_only=True)
class RecordProtection(Command):
    protection_id: str
    person_id: str
    occurred_at: datetime
    kind: ProtectionKind
    country: str
    granted_by: str
    period: Period


@dataclass(frozen=True, kw_only=True)
class RecordStay(Command):
    stay_id: str
    person_id: str
    occurred_at: datetime
    granted_by: str
    period: Period
    country: str | None = None


@dataclass(frozen=True, kw_only=True)
class RecordNotice(Command):
    notice_id: str
    person_id: str
    served_at: datetime
    language: str
    content_type: NoticeContent
    copy_to_counsel: bool
    served_by_officer_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class RecordCounsel(Command):
    counsel_id: str
    person_id: str
    occurred_at: datetime
    name: str
    appearance_filed: bool
    period: Period
    bar_number: str | None = None
    contact: str | None = None


@dataclass(frozen=True, kw_only=True)
class RecordConsularNotification(Command):
    notification_id: str
    person_id: str
    country: str
    mandatory: bool = False
    offered_at: datetime | None = None
    requested_at: datetime | None = None
    sent_at: datetime | None = None


def _checked(person: PersonState | None, person_id: str, already_recorded: bool, kind: str, rid: str) -> str:
    require_person(person, person_id)
    if already_recorded:
        raise AlreadyExists(kind, rid)
    return require_id(f"{kind}_id", rid)


def record_removal_order(
    cmd: RecordRemovalOrder, *, person: PersonState | None, already_recorded: bool, now: datetime
) -> list[Event]:
    return [
        RemovalOrderRecorded(
            stream=cmd.person_id,
            occurred_at=require_not_future("occurred_at", cmd.occurred_at, now),
            order_id=_checked(person, cmd.person_id, already_recorded, "removal_order", cmd.order_id),
            authority=require_text("authority", cmd.authority, max_len=300),
            legal_basis=require_slug("legal_basis", cmd.legal_basis),
            destination_country=require_country("destination_country", cmd.destination_country),
            final=cmd.final,
            period=cmd.period,
        )
    ]


def record_protection(
    cmd: RecordProtection, *, person: PersonState | None, already_recorded: bool, now: datetime
) -> list[Event]:
    return [
        ProtectionRecorded(
            stream=cmd.person_id,
            occurred_at=require_not_future("occurred_at", cmd.occurred_at, now),
            protection_id=_checked(person, cmd.person_id, already_recorded, "protection", cmd.protection_id),
            kind=ProtectionKind(cmd.kind),
            country=require_country("country", cmd.country),
            granted_by=require_text("granted_by", cmd.granted_by, max_len=300),
            period=cmd.period,
        )
    ]


def record_stay(
    cmd: RecordStay, *, person: PersonState | None, already_recorded: bool, now: datetime
) -> list[Event]:
    return [
        StayRecorded(
            stream=cmd.person_id,
            occurred_at=require_not_future("occurred_at", cmd.occurred_at, now),
            stay_id=_checked(person, cmd.person_id, already_recorded, "stay", cmd.stay_id),
            granted_by=require_text("granted_by", cmd.granted_by, max_len=300),
            country=None if cmd.country is None else require_country("country", cmd.country),
            period=cmd.period,
        )
    ]


def record_notice(
    cmd: RecordNotice, *, person: PersonState | None, already_recorded: bool, now: datetime
) -> list[Event]:
    return [
        NoticeServed(
            stream=cmd.person_id,
            occurred_at=require_not_future("served_at", cmd.served_at, now),
            notice_id=_checked(person, cmd.person_id, already_recorded, "notice", cmd.notice_id),
            language=require_language("language", cmd.language),
            content_type=NoticeContent(cmd.content_type),
            copy_to_counsel=cmd.copy_to_counsel,
            served_by_officer_id=cmd.served_by_officer_id,
        )
    ]


def record_counsel(
    cmd: RecordCounsel, *, person: PersonState | None, already_recorded: bool, now: datetime
) -> list[Event]:
    return [
        CounselRecorded(
            stream=cmd.person_id,
            occurred_at=require_not_future("occurred_at", cmd.occurred_at, now),
            counsel_id=_checked(person, cmd.person_id, already_recorded, "counsel", cmd.counsel_id),
            appearance_filed=cmd.appearance_filed,
            period=cmd.period,
            name=require_text("name", cmd.name, max_len=200),
            bar_number=cmd.bar_number,
            contact=cmd.contact,
        )
    ]


def record_consular_notification(
    cmd: RecordConsularNotification, *, person: PersonState | None, already_recorded: bool, now: datetime
) -> list[Event]:
    """Times must be in order: offered, then requested, then sent (a mandatory notice needs no request)."""
    times = [
        (n, None if t is None else require_not_future(n, t, now))
        for n, t in (
            ("offered_at", cmd.offered_at),
            ("requested_at", cmd.requested_at),
            ("sent_at", cmd.sent_at),
        )
    ]
    known = [(n, t) for n, t in times if t is not None]
    if not known:
        raise InvalidField("offered_at", None, "none of offered, requested or sent")
    for (_, earlier), (name, later) in itertools.pairwise(known):
        if later < earlier:
            raise InvalidField(name, later, "before the step it follows")
    return [
        ConsularRecorded(
            stream=cmd.person_id,
            occurred_at=require_aware("occurred_at", max(t for _, t in known)),
            notification_id=_checked(
                person, cmd.person_id, already_recorded, "consular_notification", cmd.notification_id
            ),
            country=require_country("country", cmd.country),
            mandatory=cmd.mandatory,
            offered_at=times[0][1],
            requested_at=times[1][1],
            sent_at=times[2][1],
        )
    ]

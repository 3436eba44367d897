"""A return-required alert binds: while it is open, no one it covers is taken further; going on takes an override.

An alert is raised (:mod:`habeas.services.clearance`) when a court order or stay reaches people already departed.
It stays open for a person until an override names that order and that person. While it is open, a step that
would take the person anywhere but back to the country their journey left (a handoff to another state's agency,
an onward leg, a boarding or departure of a manifest carrying them, an admission or intake abroad, a removal) is
refused with :class:`ReturnRequiredOpen`, naming the order and the person. A step back towards that country is
what the order asks for, and goes ahead.

Going ahead anyway is a decision an officer of the agency holding the people makes and answers for: an
:class:`OverrideReturnRequired`, recorded as its own entry. The order, the people and the deciding officer are
public; the reason is the record's content. It makes the issuing court and each person's counsel of record due
to be told at once (``notification.due``, as an incident makes next of kin due).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar

from habeas.domain.command import Command
from habeas.domain.errors import AlreadyExists, DomainError, InvalidField, Refused, UnknownRecord
from habeas.domain.events import CONTENT, Event, EventType
from habeas.domain.notifications import (
    SOURCE_RETURN_OVERRIDE,
    NotificationReason,
    Recipient,
    make_due,
)
from habeas.domain.values import require_id, require_not_future, require_text

ALERT = "return-required alert"


@dataclass(frozen=True, kw_only=True)
class OpenAlert:
    """One person under one order, not overridden: ``origin_country`` is where their journey left from, the
    country the order wants them back in."""

    order_id: str
    manifest_id: str
    person_id: str
    origin_country: str


class ReturnRequiredOpen(Refused):
    """A step that would take a person an open return-required alert covers further from where the order wants
    them. ``person_ids``: everyone the step names that an open alert covers."""

    code = "return-required"

    def __init__(self, command: str, alert: OpenAlert, person_ids: Sequence[str], *, towards: str | None) -> None:
        self.command = command
        self.kind = ALERT
        self.record_id = alert.order_id
        self.reason = "return_required"
        self.order_id = alert.order_id
        self.manifest_id = alert.manifest_id
        self.person_id = alert.person_id
        self.person_ids = tuple(person_ids)
        more = f" (and {len(self.person_ids) - 1} more it names)" if len(self.person_ids) > 1 else ""
        where = "to a country not on record" if towards is None else f"to {towards}"
        DomainError.__init__(
            self,
            f"{command} refused: {alert.order_id} requires the return of {alert.person_id}{more} to "
            f"{alert.origin_country} (return-required alert on manifest {alert.manifest_id}); this step takes them "
            f"{where}. Bring them back, or record an override of {alert.order_id} for them by the deciding officer "
            f"(`habeas legal override {alert.order_id} --person {alert.person_id} --officer ID --reason TEXT`, "
            f"POST /alerts/{alert.order_id}/override)",
        )


def require_unbound(command: str, alerts: Iterable[OpenAlert], *, towards: str | None) -> None:
    """Refuse a step towards ``towards`` (None: not on record, which cannot be shown to be the way back) for
    anyone an open alert covers, unless it takes them back to the country their journey left."""
    binding = [a for a in alerts if towards is None or towards != a.origin_country]
    if binding:
        people = tuple(dict.fromkeys(a.person_id for a in binding))
        raise ReturnRequiredOpen(command, binding[0], people, towards=towards)


# -- the override --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class OverrideReturnRequired(Command):
    """Go ahead with the people named although ``order_id`` (a court order or stay) requires their return:
    decided by ``officer_id``, an officer of the agency holding them, for ``reason``."""

    override_id: str
    order_id: str
    person_ids: tuple[str, ...]
    officer_id: str
    reason: str
    occurred_at: datetime


@dataclass(frozen=True, kw_only=True)
class ReturnRequiredOverridden(Event):
    """``stream`` is the override. Public: the order, the people, the manifests their alerts are on and the
    deciding officer and agency; the reason is the record's content."""

    TYPE: ClassVar[EventType] = EventType.RETURN_REQUIRED_OVERRIDDEN

    order_id: str
    person_ids: tuple[str, ...]
    manifest_ids: tuple[str, ...]
    officer_id: str
    agency_id: str
    reason: str | None = field(default=None, metadata=CONTENT)


def override_return_required(
    cmd: OverrideReturnRequired,
    *,
    alerts: Sequence[OpenAlert],
    overridden: Collection[str],
    already_recorded: bool,
    officer_agency: str | None,
    holders: Mapping[str, str | None],
    counsel: Collection[str],
    now: datetime,
) -> list[Event]:
    """The override and the notifications it makes due at once.

    ``alerts``: the open alerts on ``cmd.order_id``; ``overridden``: people an earlier override of it names;
    ``officer_agency``: the deciding officer's agency (None: no such officer); ``holders``: the agency holding
    each person named (None: no one); ``counsel``: the people named who have counsel of record.
    """
    if already_recorded:
        raise AlreadyExists("override", cmd.override_id)
    override_id = require_id("override_id", cmd.override_id)
    order_id = require_id("order_id", cmd.order_id)
    people = tuple(require_id("person_ids", p) for p in cmd.person_ids)
    if not people:
        raise InvalidField("person_ids", cmd.person_ids, "an override names at least one person")
    if len(set(people)) != len(people):
        raise InvalidField("person_ids", list(cmd.person_ids), "an id appears twice")
    if not alerts and not overridden:
        raise UnknownRecord(ALERT, order_id)
    officer_id = require_id("officer_id", cmd.officer_id)
    if officer_agency is None:
        raise UnknownRecord("officer", officer_id)
    reason = require_text("reason", cmd.reason)
    at = require_not_future("occurred_at", cmd.occurred_at, now)
    on = {a.person_id: a.manifest_id for a in alerts if a.order_id == order_id}
    for p in people:
        if p in overridden:
            raise Refused(ALERT, f"{order_id}/{p}", "already_overridden")
        if p not in on:
            raise InvalidField("person_ids", p, f"no open return-required alert on {order_id} covers them")
        holder = holders.get(p)
        if holder is not None and holder != officer_agency:
            raise InvalidField(
                "officer_id", officer_id,
                f"an officer of {officer_agency}; {p} is held by {holder}, whose officer decides",
            )
    events: list[Event] = [
        ReturnRequiredOverridden(
            stream=override_id, occurred_at=at, order_id=order_id, person_ids=people,
            manifest_ids=tuple(dict.fromkeys(on[p] for p in people)), officer_id=officer_id,
            agency_id=officer_agency, reason=reason,
        )
    ]
    # At once (due when decided): the order is being departed from, and only the court and counsel can act on it.
    for p in people:
        told = [Recipient.COURT] + ([Recipient.COUNSEL] if p in counsel else [])
        events += [
            make_due(
                person_id=p, notification_id=f"{override_id}.{recipient.value}.{p}", recipient=recipient,
                reason=NotificationReason.RETURN_OVERRIDE, at=at, due_at=at, source=SOURCE_RETURN_OVERRIDE,
                related_id=override_id,
            )
            for recipient in told
        ]
    return events

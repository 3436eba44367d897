"""What ``habeas alerts`` adds from the operation: open incidents, missed notifications, capacity overrides,
overrides of return-required alerts and, given a standard, facilities held over their computed capacity.
Return-required alerts are :func:`habeas.services.manifests.alerts`; what they hold is
:mod:`habeas.services.alert_binding`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from habeas.domain.actors import Caller
from habeas.domain.events import EventType
from habeas.domain.facilities import CapacityStandard
from habeas.domain.values import format_utc
from habeas.services.access import INCIDENT, PERSON, visible
from habeas.services.facilities import capacity
from habeas.services.incidents import incident_list
from habeas.services.notifications import missed_notifications
from habeas.storage.projections.intake import capacity_override
from habeas.storage.projections.notifications import notification
from habeas.storage.projections.schema import KIND, record

OVERRIDE = KIND[EventType.RETURN_REQUIRED_OVERRIDDEN]  # an operation that went on despite an order to return


@dataclass(frozen=True, kw_only=True)
class OperationAlert:
    """One line of ``habeas alerts``: ``kind`` is a stable dotted name; ``seq`` the entry it rests on."""

    kind: str
    subject_id: str
    message: str
    seq: int


def operation_alerts(
    conn: Connection, now: datetime, standard: CapacityStandard | None = None
) -> list[OperationAlert]:
    """Open incidents, notifications missed at ``now``, capacity overrides and, given the standard,
    facilities held over their computed capacity."""
    out = [
        OperationAlert(
            kind="incident.open",
            subject_id=i.incident_id,
            message=f"{i.kind.replace('_', ' ')} open since {i.opened_at} concerning {', '.join(i.person_ids)}"
            + (f" (manifest {i.manifest_id})" if i.manifest_id else "")
            + ("; report to an independent authority required" if i.independent_report_required else ""),
            seq=i.seq,
        )
        for i in incident_list(conn, open_only=True)
    ]
    seqs = {
        r.notification_id: int(r.seq)
        for r in conn.execute(select(notification.c.notification_id, notification.c.seq))
    }
    for o in missed_notifications(conn, now):
        out.append(
            OperationAlert(
                kind="notification.missed",
                subject_id=o.notification_id,
                message=f"{o.recipient.value.replace('_', ' ')} of {o.person_id} ({o.reason.value}) due "
                f"{format_utc(o.due_at)}, not sent: overdue by {o.overdue_by}",
                seq=seqs[o.notification_id],
            )
        )
    for r in conn.execute(select(capacity_override).order_by(capacity_override.c.seq)):
        out.append(
            OperationAlert(
                kind="intake.capacity_override",
                subject_id=r.admission_id,
                message=f"{r.person_id} admitted to {r.facility_id}/{r.unit_id} over computed capacity "
                f"({r.occupancy} of {r.capacity}, {r.standard}) on the authority of {r.authorised_by}: {r.reason}",
                seq=int(r.seq),
            )
        )
    for r in conn.execute(select(record).where(record.c.kind == OVERRIDE, record.c.retracted.is_(False))
                          .order_by(record.c.seq)):
        body = json.loads(r.body)
        out.append(
            OperationAlert(
                kind="return_required.override",
                subject_id=r.record_id,
                message=f"{', '.join(body['person_ids'])} taken on although {body['order_id']} requires their "
                f"return, on the decision of {body['officer_id']} ({body['agency_id']}); the court and counsel "
                "are due to be told at once",
                seq=int(r.seq),
            )
        )
    if standard is not None:
        for f in capacity(conn, standard):
            if f.over:
                out.append(
                    OperationAlert(
                        kind="facility.over_capacity",
                        subject_id=f.facility_id,
                        message=f"holds {f.occupancy} people, computed capacity {f.computed_capacity} ({standard})",
                        seq=0,
                    )
                )
    return out


def _overridden_people(conn: Connection, override_id: str) -> list[str]:
    body = conn.execute(select(record.c.body).where(record.c.kind == OVERRIDE, record.c.record_id == override_id))
    found = body.scalar()
    return [] if found is None else list(json.loads(found)["person_ids"])


def _person_of(conn: Connection, alert: OperationAlert) -> str | None:
    """The person an operation alert is about, where it is about one (its subject is a record id)."""
    if alert.kind == "notification.missed":
        query = select(notification.c.person_id).where(notification.c.notification_id == alert.subject_id)
    elif alert.kind == "intake.capacity_override":
        query = select(capacity_override.c.person_id).where(capacity_override.c.admission_id == alert.subject_id)
    else:
        return None
    found = conn.execute(query).scalar()
    return None if found is None else str(found)


def operation_alerts_in_view(
    conn: Connection, caller: Caller, now: datetime, standard: CapacityStandard
) -> list[OperationAlert]:
    """:func:`operation_alerts` the caller's agency may see: a facility over capacity (no one's personal data),
    incidents in its view, and alerts about people in its view."""
    out = []
    for o in operation_alerts(conn, now, standard):
        if o.kind == "facility.over_capacity":
            shown = True
        elif o.kind == "incident.open":
            shown = bool(visible(conn, caller, INCIDENT, [o.subject_id]))
        elif o.kind == "return_required.override":
            shown = bool(visible(conn, caller, PERSON, _overridden_people(conn, o.subject_id)))
        else:
            person = _person_of(conn, o)
            shown = person is not None and bool(visible(conn, caller, PERSON, [person]))
        if shown:
            out.append(o)
    return out

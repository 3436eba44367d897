"""Incidents in transit and in custody, death and serious injury (Mandela 69, 71(1)), access logging."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from habeas.domain.errors import AlreadyExists, InvalidField, Refused, UnknownRecord
from habeas.domain.events import Event
from habeas.domain.incidents import (
    AccessLogged,
    AccessPurpose,
    Checkpoint,
    IncidentKind,
    IncidentOpened,
    IncidentState,
    LogAccess,
    RecordIncident,
    ResolveIncident,
    log_access,
    record_incident,
    resolve_incident,
)
from habeas.domain.notifications import (
    NotificationDue,
    NotificationReason,
    Recipient,
    missed,
    notification_statuses,
)
from tests.unit.domain.samples import NOW, T0

DIED_AT = T0 + timedelta(days=2)


def incident(kind: IncidentKind, **kw: object) -> list[Event]:
    cmd = RecordIncident(
        incident_id="inc-1",
        kind=kind,
        person_ids=("p-1",),
        occurred_at=DIED_AT,
        facility_id="cecot",
        details="Marcos found unresponsive in cell 4",
        **kw,  # type: ignore[arg-type]
    )
    return record_incident(cmd, already_recorded=False, now=NOW)


def test_a_death_makes_next_of_kin_due_at_once_and_flags_an_independent_authority() -> None:
    opened, nok, authority = incident(IncidentKind.DEATH)
    assert isinstance(opened, IncidentOpened)
    assert opened.independent_report_required
    assert opened.serious
    assert isinstance(nok, NotificationDue)
    assert isinstance(authority, NotificationDue)
    assert (nok.recipient, nok.reason, nok.legal_source) == (
        Recipient.NEXT_OF_KIN,
        NotificationReason.DEATH,
        "mandela_69",
    )
    assert nok.due_at == DIED_AT == nok.occurred_at  # at once
    assert (authority.recipient, authority.due_at, authority.legal_source) == (
        Recipient.INDEPENDENT_AUTHORITY,
        DIED_AT,
        "mandela_71_1",
    )
    assert nok.stream == "p-1"
    assert nok.related_id == "inc-1"
    statuses = notification_statuses([nok, authority])
    assert missed(statuses, DIED_AT) == []  # not yet late at the very instant
    late = missed(statuses, DIED_AT + timedelta(seconds=1))
    assert {o.recipient for o in late} == {Recipient.NEXT_OF_KIN, Recipient.INDEPENDENT_AUTHORITY}


@pytest.mark.parametrize(
    ("kind", "serious", "flagged"),
    [
        (IncidentKind.INJURY, True, True),
        (IncidentKind.INJURY, False, False),
        (IncidentKind.USE_OF_FORCE, True, True),
        (IncidentKind.MEDICAL, False, False),
        (IncidentKind.ESCAPE, False, False),
    ],
)
def test_independent_report_flag_for_serious_injury(kind: IncidentKind, serious: bool, flagged: bool) -> None:
    events = incident(kind, serious=serious)
    opened = events[0]
    assert isinstance(opened, IncidentOpened)
    assert opened.independent_report_required is flagged
    dues = [e for e in events if isinstance(e, NotificationDue)]
    assert [d.recipient for d in dues] == ([Recipient.INDEPENDENT_AUTHORITY] if flagged else [])


def test_incidents_in_transit_and_in_custody() -> None:
    in_transit = record_incident(
        RecordIncident(
            incident_id="inc-2",
            kind=IncidentKind.USE_OF_FORCE,
            person_ids=("p-1", "p-2"),
            occurred_at=T0,
            manifest_id="mf-1",
            checkpoint=Checkpoint.ARRIVAL,
            leg_id="leg-bus",
        ),
        already_recorded=False,
        now=NOW,
    )
    opened = in_transit[0]
    assert isinstance(opened, IncidentOpened)
    assert (opened.leg_id, opened.facility_id, opened.manifest_id) == ("leg-bus", None, "mf-1")


def test_incident_refusals() -> None:
    def cmd(**kw: object) -> RecordIncident:
        base: dict[str, object] = {
            "incident_id": "inc-1",
            "kind": IncidentKind.INJURY,
            "person_ids": ("p-1",),
            "occurred_at": T0,
        }
        return RecordIncident(**(base | kw))  # type: ignore[arg-type]

    with pytest.raises(AlreadyExists):
        record_incident(cmd(), already_recorded=True, now=NOW)
    with pytest.raises(InvalidField, match="at least one"):
        record_incident(cmd(person_ids=()), already_recorded=False, now=NOW)
    with pytest.raises(InvalidField, match="twice"):
        record_incident(cmd(person_ids=("p-1", "p-1")), already_recorded=False, now=NOW)
    with pytest.raises(InvalidField, match="checkpoint"):
        record_incident(cmd(checkpoint=Checkpoint.ARRIVAL), already_recorded=False, now=NOW)
    with pytest.raises(InvalidField, match="not both"):
        record_incident(cmd(facility_id="f", leg_id="l"), already_recorded=False, now=NOW)
    state = IncidentState(incident_id="inc-1", kind=IncidentKind.INJURY, resolved=True)
    with pytest.raises(Refused, match="already_resolved"):
        resolve_incident(
            ResolveIncident(incident_id="inc-1", occurred_at=T0, reason="treated"), incident=state, now=NOW
        )
    with pytest.raises(UnknownRecord):
        resolve_incident(ResolveIncident(incident_id="inc-9", occurred_at=T0, reason="treated"), incident=None, now=NOW)


# -- access -----------------------------------------------------------------------------------------------------


def test_every_access_is_logged_with_who_why_and_when() -> None:
    (interview,) = log_access(
        LogAccess(
            access_id="acc-1",
            person_id="p-1",
            occurred_at=T0,
            ended_at=T0 + timedelta(hours=2),
            purpose=AccessPurpose.INTERVIEW,
            facility_id="cecot",
            officer_id="o-intel",
            agency_id="dgcp",
        ),
        now=NOW,
    )
    assert isinstance(interview, AccessLogged)
    assert interview.public() == {
        "occurred_at": "2025-03-15T18:30:00Z",
        "access_id": "acc-1",
        "purpose": "interview",
        "facility_id": "cecot",
        "leg_id": None,
        "officer_id": "o-intel",
        "agency_id": "dgcp",
        "ended_at": "2025-03-15T20:30:00Z",
    }
    (visit,) = log_access(
        LogAccess(
            access_id="acc-2",
            person_id="p-1",
            occurred_at=T0,
            purpose=AccessPurpose.LEGAL_VISIT,
            visitor_name="Sandra Ortiz Esq.",
        ),
        now=NOW,
    )
    assert "Ortiz" not in json.dumps(visit.public())
    assert visit.private() == {"visitor_name": "Sandra Ortiz Esq.", "note": None}


def test_access_refusals() -> None:
    with pytest.raises(InvalidField, match="who"):
        log_access(LogAccess(access_id="a", person_id="p-1", occurred_at=T0, purpose=AccessPurpose.OTHER), now=NOW)
    with pytest.raises(InvalidField, match="go together"):
        log_access(
            LogAccess(access_id="a", person_id="p-1", occurred_at=T0, purpose=AccessPurpose.OTHER, officer_id="o"),
            now=NOW,
        )
    with pytest.raises(InvalidField, match="before"):
        log_access(
            LogAccess(
                access_id="a",
                person_id="p-1",
                occurred_at=T0,
                ended_at=T0 - timedelta(minutes=1),
                purpose=AccessPurpose.OTHER,
                visitor_name="x",
            ),
            now=NOW,
        )

"""Samples of the operation's events (headcounts, incidents, notifications, handoffs, intake, agreements).

Personal data from ``Secrets`` is planted in every private field, so the privacy test in ``test_events`` can
look for it in the public bodies.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from habeas.domain.access_log import ACCESS_LOG_STREAM, AccessLogCommitted
from habeas.domain.agreements import Agreement, AgreementRecorded, InvoiceIssued, InvoiceLine
from habeas.domain.custody import Authority, Custodian
from habeas.domain.events import Event
from habeas.domain.facilities import CapacityStandard
from habeas.domain.handoff_events import (
    HandoffCompleted,
    HandoffReceiptIssued,
    HandoffSigned,
    ItemDescription,
    ItemKind,
    ItemRef,
    SignerRole,
)
from habeas.domain.headcounts import HeadcountRecorded
from habeas.domain.incidents import (
    AccessLogged,
    AccessPurpose,
    Checkpoint,
    IncidentKind,
    IncidentOpened,
    IncidentResolved,
)
from habeas.domain.intake import IntakeCapacityOverride, IntakeUnknownOverride, MissingFact, Unrecorded
from habeas.domain.notifications import (
    NotificationDue,
    NotificationReason,
    NotificationSent,
    Recipient,
)
from habeas.domain.periods import Period
from habeas.domain.return_overrides import ReturnRequiredOverridden

if TYPE_CHECKING:
    from tests.unit.domain.samples import Secrets

NONCE = "00112233445566778899aabbccddeeff"


def operation_samples(s: Secrets, t0: datetime) -> list[Event]:
    us = Custodian(agency_id="ice", officer_id="officer-1")
    sv = Custodian(agency_id="dgcp", officer_id="officer-sv-1")
    authority = Authority(agency_id="dgcp", legal_basis="bilateral_2025", record_id="ag-1")
    term = Period(active_from=t0, active_to=t0 + timedelta(days=365))
    return [
        HeadcountRecorded(
            stream="mf-1",
            occurred_at=t0,
            headcount_id="hc-1",
            checkpoint=Checkpoint.ARRIVAL,
            expected_count=3,
            counted_count=2,
            counted_person_ids=("p-1", "p-2"),
            missing=("p-3",),
            incident_id="hc-1.discrepancy",
        ),
        IncidentOpened(
            stream="inc-1",
            occurred_at=t0,
            kind=IncidentKind.INJURY,
            person_ids=("p-1",),
            manifest_id="mf-1",
            checkpoint=Checkpoint.ARRIVAL,
            leg_id="leg-1",
            serious=True,
            independent_report_required=True,
            details=f"{s.given} {s.surname1}: {s.free_text}",
        ),
        IncidentResolved(stream="inc-1", occurred_at=t0, reason="treated", note=f"{s.alias} {s.free_text}"),
        AccessLogged(
            stream="p-1",
            occurred_at=t0,
            access_id="acc-1",
            purpose=AccessPurpose.LEGAL_VISIT,
            facility_id="cecot",
            ended_at=t0 + timedelta(hours=1),
            visitor_name=f"{s.surname2} Esq.",
            note=s.free_text,
        ),
        AccessLogCommitted(stream=ACCESS_LOG_STREAM, occurred_at=t0, last_id=42, head="ab" * 32),
        NotificationDue(
            stream="p-1",
            occurred_at=t0,
            notification_id="n-1",
            recipient=Recipient.NEXT_OF_KIN,
            reason=NotificationReason.DEATH,
            due_at=t0,
            legal_source="mandela_69",
            related_id="inc-1",
        ),
        NotificationSent(
            stream="p-1",
            occurred_at=t0,
            notification_id="n-1",
            channel="phone",
            contact=f"{s.given} {s.surname2} {s.passport}",
            note=s.free_text,
        ),
        HandoffReceiptIssued(
            stream="r-1",
            occurred_at=t0,
            person_ids=("p-1",),
            items=(ItemRef(item_id="it-1", person_id="p-1", kind=ItemKind.MEDICINE, quantity=2),),
            releasing=us,
            receiving=sv,
            place_id="sal",
            country="SV",
            authority=authority,
            manifest_id="mf-1",
            descriptions=(ItemDescription(item_id="it-1", description=f"{s.free_text} {s.a_number}"),),
            nonce=NONCE,
        ),
        HandoffSigned(
            stream="r-1",
            occurred_at=t0,
            role=SignerRole.RELEASING,
            officer_id="officer-1",
            agency_id="ice",
            signature=bytes(range(64)),
        ),
        HandoffCompleted(
            stream="r-1",
            occurred_at=t0,
            person_ids=("p-1",),
            releasing=us,
            receiving=sv,
            authority=authority,
            country="SV",
            place_id="sal",
        ),
        IntakeCapacityOverride(
            stream="cecot",
            occurred_at=t0,
            admission_id="adm-1",
            unit_id="cell-1",
            person_id="p-1",
            occupancy=26,
            capacity=25,
            standard=CapacityStandard.CPT,
            reason="Arrivals exceed every unit's computed capacity",
            authorised_by="officer-sv-1",
        ),
        IntakeUnknownOverride(
            stream="p-1",
            occurred_at=t0,
            admission_id="adm-1",
            facility_id="cecot",
            unit_id="cell-1",
            missing=(MissingFact(person_id="p-1", fact=Unrecorded.BIRTH_DATE),),
            reason="No document; the officer judges him an adult",
            authorised_by="officer-sv-1",
        ),
        AgreementRecorded(
            stream="ag-1",
            occurred_at=t0,
            agreement=Agreement(
                agreement_id="ag-1",
                sending_state="US",
                receiving_state="SV",
                term=term,
                categories=("migration", "alleged_gang_member"),
                per_diem=Decimal("54.79"),
                currency="USD",
                guaranteed_minimum=Decimal("6000000.00"),
                quota=300,
            ),
        ),
        InvoiceIssued(
            stream="ag-1",
            occurred_at=t0,
            invoice_id="inv-1",
            period=Period(active_from=t0, active_to=t0 + timedelta(days=30)),
            lines=(InvoiceLine(person_id="p-1", person_days=30, amount=Decimal("1643.70")),),
            person_days=30,
            amount=Decimal("1643.70"),
            currency="USD",
            minimum_applied=False,
        ),
        ReturnRequiredOverridden(
            stream="ov-1",
            occurred_at=t0,
            order_id="co-1",
            person_ids=("p-1",),
            manifest_ids=("mf-1",),
            officer_id="officer-1",
            agency_id="ice",
            reason=f"{s.free_text}: the order was stayed on appeal",
        ),
    ]

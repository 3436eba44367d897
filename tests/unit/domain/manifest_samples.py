"""One valid manifest event of every type (for ``samples.sample_events``), with the private note supplied."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from habeas.domain.events import Event, EventType
from habeas.domain.manifests import (
    CancelReason,
    GateCheck,
    GateEvaluated,
    GateOutcome,
    HaltReason,
    LapseCause,
    ManifestAlternatePromoted,
    ManifestArrived,
    ManifestBoardingStarted,
    ManifestCancelled,
    ManifestClearanceLapsed,
    ManifestCleared,
    ManifestClosed,
    ManifestCreated,
    ManifestDeparted,
    ManifestHalted,
    ManifestHandedOver,
    ManifestPersonAdded,
    ManifestPersonStruck,
    ManifestReturned,
    ManifestStatus,
    ReturnReason,
    StrikeReason,
)
from habeas.domain.moves import Leg, TransportMode

T0 = datetime(2025, 3, 15, 18, 30, tzinfo=UTC)
S = ManifestStatus
LEG = Leg(
    leg_id="leg-1",
    mode=TransportMode.AIR,
    carrier="GlobalX",
    vehicle="GXA6143",
    origin="HRL",
    origin_country="US",
    destination="SAL",
    destination_country="SV",
    scheduled_departure=T0 + timedelta(hours=2),
    scheduled_arrival=T0 + timedelta(hours=6),
    escort_officer_ids=("o-1", "o-2"),
    destination_facility_id="cecot",
)


def manifest_sample_events(note: str = "Cicatriz en la frente") -> dict[EventType, Event]:
    m: dict[str, Any] = {"stream": "mf-1", "occurred_at": T0}
    events: list[Event] = [
        ManifestCreated(**m, journey_id="j-1", leg_index=0, leg=LEG, people=("p-1", "p-2"), alternates=("p-3",)),
        ManifestPersonAdded(**m, from_status=S.CLEARED, to_status=S.DRAFT, person_id="p-4", alternate=False),
        ManifestPersonStruck(
            **m, from_status=S.DRAFT, to_status=S.DRAFT, person_id="p-2", reason=StrikeReason.MEDICAL, note=note
        ),
        ManifestAlternatePromoted(**m, from_status=S.CLEARED, to_status=S.DRAFT, person_id="p-3"),
        GateEvaluated(
            **m,
            person_id="p-1",
            policy="us-federal",
            checks=(
                GateCheck(
                    gate="identity_verified", outcome=GateOutcome.PASS, reason_code="identity-verified", rests_on_seq=3
                ),
                GateCheck(
                    gate="no_protection_against_destination",
                    outcome=GateOutcome.FAIL,
                    reason_code="protection-against-destination",
                    rests_on_seq=9,
                    rests_on_record="wh-1",
                ),
            ),
        ),
        ManifestCleared(**m, from_status=S.DRAFT, to_status=S.CLEARED, policy="us-federal", people_count=2),
        ManifestClearanceLapsed(
            **m,
            from_status=S.CLEARED,
            to_status=S.DRAFT,
            cause=LapseCause.LEGAL_RECORD,
            person_id="p-1",
            record_id="s-1",
        ),
        ManifestBoardingStarted(**m, from_status=S.CLEARED, to_status=S.BOARDING),
        ManifestDeparted(**m, from_status=S.BOARDING, to_status=S.DEPARTED),
        ManifestArrived(**m, from_status=S.DEPARTED, to_status=S.ARRIVED),
        ManifestHandedOver(**m, from_status=S.ARRIVED, to_status=S.HANDED_OVER, receipt_id="r-1"),
        ManifestClosed(**m, from_status=S.HANDED_OVER, to_status=S.CLOSED),
        ManifestHalted(
            **m, from_status=S.DEPARTED, to_status=S.HALTED, reason=HaltReason.COURT_ORDER, record_id="tro-1"
        ),
        ManifestReturned(**m, from_status=S.HALTED, to_status=S.RETURNED, reason=ReturnReason.COURT_ORDER),
        ManifestCancelled(**m, from_status=S.DRAFT, to_status=S.CANCELLED, reason=CancelReason.GATES_FAILED),
    ]
    return {e.TYPE: e for e in events}

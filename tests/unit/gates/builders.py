"""A leg to El Salvador, a policy, and a person whose every gate passes: tests change one thing at a time."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from habeas.domain.court_orders import PersonFacts
from habeas.domain.legal import NoticeContent, ProtectionKind
from habeas.domain.moves import Leg, TransportMode
from habeas.domain.periods import Period
from habeas.gates.policy import Policy, load_pack
from habeas.gates.state import (
    AgreementRecord,
    CapacitySnapshot,
    ConsularRecord,
    CounselRecord,
    DestinationState,
    MedicalClearance,
    NoticeRecord,
    PersonLegalState,
    ProtectionRecord,
    RemovalOrderRecord,
)

DEPARTURE = datetime(2025, 3, 15, 18, 30, tzinfo=UTC)
AT = DEPARTURE - timedelta(hours=2)
LONG_AGO = datetime(2019, 1, 1, tzinfo=UTC)
EVER = Period(active_from=LONG_AGO)

LEG = Leg(
    leg_id="leg-1",
    mode=TransportMode.AIR,
    carrier="GlobalX",
    vehicle="GXA6143",
    origin="HRL",
    origin_country="US",
    destination="SAL",
    destination_country="SV",
    scheduled_departure=DEPARTURE,
    scheduled_arrival=DEPARTURE + timedelta(hours=4),
    escort_officer_ids=("o-1", "o-2"),
    destination_facility_id="cecot",
)

US_FEDERAL = load_pack("us-federal")
STRICT = load_pack("strict-international")


def policy(**changes: Any) -> Policy:
    return dataclasses.replace(US_FEDERAL, **changes)


def destination(**changes: Any) -> DestinationState:
    base = DestinationState(
        country="SV",
        agreement=AgreementRecord(
            agreement_id="ag-1",
            parties=("US", "SV"),
            period=EVER,
            categories=("ina_removal", "aea_designation"),
            quota_remaining=300,
            seq=5,
        ),
        capacity=CapacitySnapshot(facility_id="cecot", floor_area_m2=Decimal(25600), occupancy=1000, seq=6),
        incoming=261,
    )
    return dataclasses.replace(base, **changes)


def person(person_id: str = "p-1", **changes: Any) -> PersonLegalState:
    """Passes every us-federal gate at :data:`AT` on :data:`LEG`."""
    base = PersonLegalState(
        person_id=person_id,
        facts=PersonFacts(
            person_id=person_id,
            nationalities=frozenset({"VE"}),
            legal_bases=frozenset({"ina_241"}),
            facility_id="f-harlingen",
        ),
        languages=frozenset({"es"}),
        categories=frozenset({"ina_removal"}),
        identity_verified=True,
        identity_seq=1,
        removal_orders=(
            RemovalOrderRecord(
                order_id="ro-1", destination_country="SV", legal_basis="ina_241", final=True, period=EVER, seq=2
            ),
        ),
        protections=(),
        stays=(),
        court_orders=(),
        notices=(
            NoticeRecord(
                notice_id="n-1",
                served_at=DEPARTURE - timedelta(days=10),
                language="es",
                content_type=NoticeContent.THIRD_COUNTRY_REMOVAL,
                copy_to_counsel=True,
                seq=3,
            ),
        ),
        counsel=(),
        consular=(
            ConsularRecord(
                notification_id="c-1",
                country="VE",
                offered_at=DEPARTURE - timedelta(days=12),
                requested_at=None,
                sent_at=None,
                seq=4,
            ),
        ),
        medical=MedicalClearance(fit=True, assessed_at=AT - timedelta(hours=20), seq=7),
        destination=destination(),
    )
    return dataclasses.replace(base, **changes)


def withholding_to(country: str, seq: int = 9) -> ProtectionRecord:
    return ProtectionRecord(
        protection_id=f"wh-{country.lower()}",
        kind=ProtectionKind.WITHHOLDING_OF_REMOVAL,
        country=country,
        period=Period(active_from=datetime(2019, 10, 10, tzinfo=UTC)),
        seq=seq,
    )


def counsel_of_record(seq: int = 8) -> CounselRecord:
    return CounselRecord(counsel_id="cs-1", period=EVER, seq=seq)

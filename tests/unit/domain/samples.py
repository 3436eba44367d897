"""One valid event of every type, with the personal data supplied by the caller (so tests can look for it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from habeas.domain.allegations import (
    AdjudicationOutcome,
    AllegationRecorded,
    AllegationStatus,
    AllegationStatusChanged,
    ConvictionRecorded,
)
from habeas.domain.corrections import CorrectionAction, EntryCorrected, ErasureReason, PersonErased
from habeas.domain.court_orders import (
    ClassCriteria,
    CourtOrderDirective,
    CourtOrderRecorded,
    CourtOrderScope,
    OrderForm,
)
from habeas.domain.custody import Authority, Custodian, CustodyChanged, CustodyStatus, CustodyTransition
from habeas.domain.events import Event, EventType
from habeas.domain.facilities import (
    AgencyRegistered,
    DetentionCategory,
    FacilityRegistered,
    OfficerRegistered,
    Separation,
    UnitRegistered,
)
from habeas.domain.identity import IdentityMatch, PersonMerged
from habeas.domain.legal import (
    ConsularRecorded,
    CounselRecorded,
    NoticeContent,
    NoticeServed,
    ProtectionKind,
    ProtectionRecorded,
    RemovalOrderRecorded,
    StayRecorded,
)
from habeas.domain.medical import FitnessToTravelRecorded
from habeas.domain.people import (
    AdmissionRecorded,
    Contact,
    Dependant,
    Identifier,
    IdentifierKind,
    PartialDate,
    PersonName,
    PersonRegistered,
    PropertyItem,
    Sex,
    Transliteration,
)
from habeas.domain.periods import Period

T0 = datetime(2025, 3, 15, 18, 30, tzinfo=UTC)
NOW = T0 + timedelta(days=30)
KEY = bytes(range(32))


@dataclass(frozen=True)
class Secrets:
    """Personal data to plant: names, a birth date and document numbers."""

    given: str = "Marcos"
    surname1: str = "Ávalos"
    surname2: str = "García"
    alias: str = "El Flaco"
    birth: PartialDate = PartialDate(year=1995, month=7, day=26)  # noqa: RUF009 (a frozen value)
    a_number: str = "A201577119"
    passport: str = "SV1234567"
    free_text: str = "Cicatriz en la frente"


def sample_events(s: Secrets = Secrets()) -> dict[EventType, Event]:
    name = PersonName(given_names=(s.given,), surnames=(s.surname1, s.surname2))
    period = Period(active_from=T0, active_to=T0 + timedelta(days=365))
    custodian = Custodian(agency_id="ice", officer_id="officer-1")
    authority = Authority(agency_id="dhs", legal_basis="ina_241", record_id="ro-1")
    events: list[Event] = [
        PersonRegistered(
            stream="p-1",
            occurred_at=T0,
            sex=Sex.MALE,
            nationalities=("SV",),
            country_of_birth="SV",
            languages=("es",),
            name=name,
            aliases=(s.alias,),
            transliterations=(Transliteration(script="Latn", name=name),),
            date_of_birth=s.birth,
            identifiers=(
                Identifier(kind=IdentifierKind.A_NUMBER, value=s.a_number, country="US"),
                Identifier(kind=IdentifierKind.PASSPORT, value=s.passport, country="SV"),
            ),
        ),
        AdmissionRecorded(
            stream="p-1",
            occurred_at=T0,
            admission_id="adm-1",
            facility_id="cecot",
            commitment_authority="Agreement of 2025",
            commitment_record_id="ro-1",
            arrested_at=T0 - timedelta(days=3, microseconds=5),
            arrest_place=f"{s.free_text} street",
            visible_injuries=s.free_text,
            ill_treatment_complaints=s.free_text,
            property_items=(PropertyItem(description=s.free_text, quantity=2, receipt_number=s.passport),),
            next_of_kin=(
                Contact(name=f"{s.given} {s.surname2}", relationship="spouse", details=s.free_text),
            ),
            dependants=(
                Dependant(name=s.alias, birth_date=s.birth, location=s.free_text, cared_for_by=s.given),
            ),
        ),
        PersonMerged(
            stream="p-2",
            occurred_at=T0,
            into_person_id="p-1",
            basis=IdentityMatch.SAME_IDENTIFIER,
            note=f"{s.given} {s.a_number}",
        ),
        PersonErased(stream="p-3", occurred_at=T0, reason=ErasureReason.DATA_SUBJECT_REQUEST),
        AllegationRecorded(
            stream="p-1",
            occurred_at=T0,
            allegation_id="al-1",
            organisation="MS-13",
            source="gang database",
            evidence_reference="doc-7",
        ),
        AllegationStatusChanged(
            stream="p-1",
            occurred_at=T0,
            allegation_id="al-1",
            from_status=AllegationStatus.CONTESTED,
            to_status=AllegationStatus.ADJUDICATED,
            outcome=AdjudicationOutcome.NOT_SUSTAINED,
            decided_by="Immigration court",
        ),
        ConvictionRecorded(
            stream="p-1",
            occurred_at=T0,
            conviction_id="cv-1",
            court="Superior Court",
            jurisdiction="USA",
            offence="Traffic",
            convicted_on=date(2020, 1, 2),
        ),
        RemovalOrderRecorded(
            stream="p-1",
            occurred_at=T0,
            order_id="ro-1",
            authority="Immigration judge",
            legal_basis="ina_240",
            destination_country="SV",
            final=True,
            period=Period(active_from=T0),
        ),
        ProtectionRecorded(
            stream="p-1",
            occurred_at=T0,
            protection_id="pr-1",
            kind=ProtectionKind.WITHHOLDING_OF_REMOVAL,
            country="SV",
            granted_by="Immigration judge",
            period=period,
        ),
        StayRecorded(
            stream="p-1", occurred_at=T0, stay_id="st-1", granted_by="Court", country=None, period=period
        ),
        CourtOrderRecorded(
            stream="co-1",
            occurred_at=T0,
            court="D.D.C.",
            docket="1:25-cv-766",
            form=OrderForm.ORAL,
            directive=CourtOrderDirective.RETURN,
            scope=CourtOrderScope(criteria=ClassCriteria(designation_in=("aea_2025",))),
            period=period,
            confirms_order_id=None,
        ),
        NoticeServed(
            stream="p-1",
            occurred_at=T0,
            notice_id="n-1",
            language="es",
            content_type=NoticeContent.WARTIME_DESIGNATION,
            copy_to_counsel=False,
            served_by_officer_id="officer-1",
        ),
        CounselRecorded(
            stream="p-1",
            occurred_at=T0,
            counsel_id="c-1",
            appearance_filed=True,
            period=period,
            name=f"{s.surname1} Esq.",
            bar_number=s.passport,
            contact=s.free_text,
        ),
        ConsularRecorded(
            stream="p-1",
            occurred_at=T0,
            notification_id="cn-1",
            country="SV",
            mandatory=False,
            offered_at=T0,
            requested_at=T0 + timedelta(hours=1),
            sent_at=None,
        ),
        FitnessToTravelRecorded(
            stream="p-1",
            occurred_at=T0,
            assessment_id="fa-1",
            fit=True,
            assessed_by="clinician-1",
            valid_until=T0 + timedelta(days=3),
            restrictions="wheelchair",
            notes=f"{s.given} {s.free_text}",
        ),
        FacilityRegistered(
            stream="cecot",
            occurred_at=T0,
            name="CECOT",
            country="SV",
            facility_type="prison",
            operating_agency_id="dgcp",
            declared_capacity=40000,
        ),
        UnitRegistered(
            stream="cecot",
            occurred_at=T0,
            unit_id="cell-1",
            label="Building 1 cell 1",
            floor_area_m2=Decimal("100.0"),
            declared_beds=80,
            separation=Separation(sex=Sex.MALE, categories=(DetentionCategory.CONVICTED,)),
        ),
        AgencyRegistered(stream="ice", occurred_at=T0, name="ICE", country="US", kind="immigration"),
        OfficerRegistered(
            stream="officer-1",
            occurred_at=T0,
            agency_id="ice",
            role="escort",
            public_key=KEY,
            name=f"{s.given} {s.surname1}",
            badge_number=s.passport,
        ),
        CustodyChanged(
            stream="p-1",
            occurred_at=T0,
            transition=CustodyTransition.DEPART,
            from_status=CustodyStatus.IN_CUSTODY,
            to_status=CustodyStatus.IN_TRANSIT,
            leg_id="leg-1",
            custodian=custodian,
            authority=authority,
            receipt_id="r-1",
        ),
        EntryCorrected(
            stream="p-1",
            occurred_at=T0,
            corrected_seq=7,
            corrected_type=EventType.PERSON_REGISTERED,
            action=CorrectionAction.AMEND,
            reason="typo",
            replacement_public={"sex": "male", "nationalities": ["SV"]},
            replacement_private={
                "name": {"given_names": [s.given], "surnames": [s.surname1]},
                "identifiers": [{"value": s.a_number}],
            },
        ),
    ]
    from tests.unit.domain.manifest_samples import manifest_sample_events
    from tests.unit.domain.samples_operation import operation_samples

    events += operation_samples(s, T0)
    events += manifest_sample_events(s.free_text).values()
    return {e.TYPE: e for e in events}

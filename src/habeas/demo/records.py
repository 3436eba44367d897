"""The world and the people's records as commands: agencies, officers, facilities, the agreement; each person's
registration, allegation, conviction, removal order and protection; staging in Texas; notices and fitness."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from decimal import Decimal

from habeas.demo import world as w
from habeas.demo.cases import Case
from habeas.demo.runner import Item
from habeas.domain import commands as c
from habeas.domain.actors import SYSTEM
from habeas.domain.agreements import Agreement, RecordAgreement
from habeas.domain.custody import Authority, Custodian
from habeas.domain.legal import NoticeContent, ProtectionKind
from habeas.domain.people import Identifier, IdentifierKind, PartialDate, PersonName, Sex
from habeas.domain.periods import Period
from habeas.services.keys import OfficerKey

TRANSFER_AUTHORITY = Authority(agency_id=w.US_AGENCY.agency_id, legal_basis=w.TRANSFER_BASIS)


def custodian(officer: w.OfficerSpec) -> Custodian:
    return Custodian(agency_id=officer.agency.agency_id, officer_id=officer.officer_id)


def per_person(people: Iterable[Case], make: Callable[[Case], list[Item]]) -> list[list[Item]]:
    return [make(case) for case in people]


# -- step 1: the world ---------------------------------------------------------------------------------------


def setup_commands(keys: dict[str, OfficerKey]) -> list[Item]:
    at = w.SETUP_AT
    # The register of agencies is the deployment operator's (the system): an agency cannot enter another, or
    # claim a country, itself. Everything after is recorded by the agencies' own officers.
    items: list[Item] = [
        (c.RegisterAgency(agency_id=a.agency_id, occurred_at=at, name=a.name, country=a.country, kind=a.kind),
         SYSTEM)
        for a in w.AGENCIES
    ]
    items += [
        (
            c.RegisterOfficer(
                officer_id=o.officer_id, agency_id=o.agency.agency_id, occurred_at=at, name=o.name, role=o.role,
                public_key=keys[o.officer_id].public_key,
            ),
            o.actor,
        )
        for o in w.OFFICERS
    ]
    for f in w.FACILITIES:
        actor = w.COORDINATOR.actor if f.agency is w.US_AGENCY else w.INTAKE.actor
        items.append(
            (
                c.RegisterFacility(
                    facility_id=f.facility_id, occurred_at=at, name=f.name, country=f.country,
                    facility_type=f.facility_type, operating_agency_id=f.agency.agency_id, code=f.code,
                    address=f.address, city=f.city, region=f.region, postal_code=f.postal_code,
                    declared_capacity=f.declared_capacity,
                ),
                actor,
            )
        )
        items += [
            (
                c.RegisterUnit(
                    unit_id=u.unit_id, facility_id=f.facility_id, occurred_at=at, label=u.label,
                    floor_area_m2=u.floor_area_m2, declared_beds=u.declared_beds, separation=u.separation,
                ),
                actor,
            )
            for u in f.units
        ]
    items.append((
        RecordAgreement(
            occurred_at=at, agreement=Agreement(
                agreement_id=w.AGREEMENT, sending_state="US", receiving_state="SV",
                term=Period(active_from=at, active_to=at + timedelta(days=365)),
                categories=(w.WARTIME_BASIS, w.ORDINARY_BASIS), per_diem=Decimal("20.00"), currency="USD",
                quota=300,
            ),
        ),
        w.COORDINATOR.actor,
    ))
    return items


# -- step 2: people and their records ------------------------------------------------------------------------


def _first_seen(case: Case) -> datetime:
    return w.utc(2023, 1, 2, 15) + timedelta(days=(case.index * 37) % 700, minutes=case.index)


def _registration(case: Case, seen: datetime) -> c.RegisterPerson:
    p = case.person
    return c.RegisterPerson(
        person_id=case.pid, occurred_at=seen,
        name=PersonName(given_names=tuple(p.given_names.split()), surnames=p.surnames),
        date_of_birth=PartialDate(year=p.date_of_birth.year, month=p.date_of_birth.month, day=p.date_of_birth.day),
        sex=Sex.MALE, nationalities=(p.nationality,), country_of_birth=p.nationality, languages=p.languages,
        identifiers=(
            Identifier(kind=IdentifierKind.A_NUMBER, value=p.a_number, country="US"),
            Identifier(kind=IdentifierKind.PASSPORT, value=p.passport, country=p.nationality),
        ),
    )


def _removal_order(case: Case, seen: datetime) -> c.RecordRemovalOrder:
    """Every order names El Salvador: for the Venezuelans under ordinary orders, as the third country."""
    if case.wartime:
        return c.RecordRemovalOrder(
            order_id=case.order_id, person_id=case.pid, occurred_at=w.DESIGNATED_AT, authority=w.WARTIME_AUTHORITY,
            legal_basis=w.WARTIME_BASIS, destination_country="SV", final=True,
            period=Period(active_from=w.DESIGNATED_AT),
        )
    decided = seen + timedelta(days=30 + case.index % 60)
    return c.RecordRemovalOrder(
        order_id=case.order_id, person_id=case.pid, occurred_at=decided, authority=w.ORDINARY_AUTHORITY,
        legal_basis=w.ORDINARY_BASIS, destination_country="SV", final=True, period=Period(active_from=decided),
    )


def record_commands(case: Case) -> list[Item]:
    """Registration, allegation, conviction, removal order and protection of one person."""
    pid, seen = case.pid, _first_seen(case)
    coordinator, legal = w.COORDINATOR.actor, w.LEGAL.actor
    items: list[Item] = [
        (_registration(case, seen), coordinator),
        (
            c.RecordAllegation(
                allegation_id=f"al-{pid}", person_id=pid, occurred_at=seen + timedelta(days=1),
                organisation=case.organisation, source="field office gang assessment (synthetic)",
                evidence_reference=f"assessment-{case.index + 1:04d} (synthetic)",
            ),
            coordinator,
        ),
    ]
    if case.convicted:
        items.append((
            c.RecordConviction(
                conviction_id=f"cv-{pid}", person_id=pid, occurred_at=seen + timedelta(days=2),
                court="State district court, Texas (synthetic)", jurisdiction="US",
                offence="Unlawful carrying of a weapon (synthetic)", convicted_on=(seen - timedelta(days=400)).date(),
            ),
            legal,
        ))
    items.append((_removal_order(case, seen), legal))
    if case.protected:
        granted = w.utc(2019, 10, 10, 16)
        items.append((
            c.RecordProtection(
                protection_id=f"pr-{pid}", person_id=pid, occurred_at=granted,
                kind=ProtectionKind.WITHHOLDING_OF_REMOVAL, country="SV",
                granted_by="Immigration judge (EOIR) (synthetic)", period=Period(active_from=granted),
            ),
            legal,
        ))
    return items


# -- step 3: staging in Texas, notices, fitness to travel -----------------------------------------------------


def _order_authority(case: Case) -> Authority:
    return Authority(agency_id=w.US_AGENCY.agency_id, legal_basis=case.basis, record_id=case.order_id)


def staging_admission(case: Case) -> list[Item]:
    facility = w.WILLACY if case.district else w.PORT_ISABEL
    unit = facility.units[case.index % len(facility.units)]
    return [(
        c.AdmitToCustody(
            person_id=case.pid, occurred_at=w.STAGED_AT + timedelta(minutes=case.index),
            facility_id=facility.facility_id, unit_id=unit.unit_id, custodian=custodian(w.COORDINATOR),
            authority=_order_authority(case),
        ),
        w.COORDINATOR.actor,
    )]


def _notice_content(case: Case) -> NoticeContent:
    if case.wartime:
        return NoticeContent.WARTIME_DESIGNATION
    if case.person.nationality != "SV":
        return NoticeContent.THIRD_COUNTRY_REMOVAL
    return NoticeContent.REMOVAL_ORDER


def notice(case: Case) -> list[Item]:
    """Notice in Spanish eight days before wheels-up, consular notification offered, then fitness to travel."""
    served = (w.DESIGNATED_AT if case.wartime else w.NOTICES_AT) + timedelta(seconds=20 * case.index)
    return [
        (
            c.RecordNotice(
                notice_id=f"nt-{case.pid}", person_id=case.pid, served_at=served, language="es",
                content_type=_notice_content(case), copy_to_counsel=False, served_by_officer_id=w.LEGAL.officer_id,
            ),
            w.LEGAL.actor,
        ),
        (
            c.RecordConsularNotification(
                notification_id=f"cn-{case.pid}", person_id=case.pid, country=case.person.nationality,
                offered_at=served + timedelta(minutes=30),
            ),
            w.LEGAL.actor,
        ),
        (
            c.RecordFitnessToTravel(
                assessment_id=f"fa-{case.pid}", person_id=case.pid,
                occurred_at=w.FITNESS_AT + timedelta(seconds=20 * case.index), fit=True,
                assessed_by="clinician-tx-01", valid_until=w.FITNESS_AT + timedelta(days=3),
            ),
            w.COORDINATOR.actor,
        ),
    ]


"""The seed operation as commands: every entry is decided by the domain and recorded by the real handlers.

261 synthetic people (238 Venezuelan, 23 Salvadoran) are registered with their identifiers, the allegations
against them, the few convictions, their removal orders and one protection; staged at two Texas facilities,
served notices, put on a manifest that is cleared against the shipped us-federal policy pack, flown to San
Salvador, counted at every checkpoint, handed over on a receipt both officers sign, taken by the receiving
agency into its airport holding area, driven to the mega-prison in armoured buses (one ground leg and manifest
per bus, cleared against a domestic pack the demo writes into its folder: identity and capacity only; counted at
boarding, arrival and intake against each bus's manifest) and admitted there. On the way the system catches,
in order: the protected alternate promoted onto the manifest
(blocked, struck); a district court's class order before departure (those it covers blocked, struck, held); the
class TRO after departure (a return-required alert); one person missing at the arrival count (an incident that
blocks closing the manifest).

Each group of commands runs as one ledger batch (one database transaction and one signed checkpoint) through
:meth:`Runner.batch`, which does for several commands what :meth:`habeas.services.app.Services.execute` does
for one: each handler, inside a :class:`~habeas.services.unit_of_work.UnitOfWork`, loads its state from the
projections (which earlier commands of the same batch have already updated), lets the domain decide, appends
the events and applies them. A refused command rolls its whole batch back. :class:`Grouping` chooses the
batches; the default gives each person's registration and records one transaction, and each step in which
the group moves together (admission, notices, departure, handover, intake) one transaction for everyone.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from pathlib import Path

from sqlalchemy import Connection

from habeas.demo import report
from habeas.demo import world as w
from habeas.demo.synthetic import PeopleFactory, SyntheticPerson
from habeas.domain import commands as c
from habeas.domain import manifests as mf
from habeas.domain.actors import Actor
from habeas.domain.agreements import Agreement
from habeas.domain.court_orders import ClassCriteria, CourtOrderDirective, CourtOrderScope, OrderForm
from habeas.domain.custody import Authority, Custodian
from habeas.domain.errors import DomainError
from habeas.domain.handoffs import HandoffReceipt, sign
from habeas.domain.identity import IdentityWarning
from habeas.domain.incidents import Checkpoint
from habeas.domain.legal import NoticeContent, ProtectionKind
from habeas.domain.manifest_events import StrikeReason
from habeas.domain.moves import Leg, TransportMode
from habeas.domain.people import Identifier, IdentifierKind, PartialDate, PersonName, Sex
from habeas.domain.periods import Period
from habeas.ledger.log import Appender
from habeas.ledger.note import Signer, generate_signer
from habeas.services.app import Services
from habeas.services.handlers import HANDLERS
from habeas.services.handlers_moves import Clearance
from habeas.services.handlers_operation import (
    AdmitAtIntake,
    CompleteHandoff,
    IssueHandoff,
    RecordAgreement,
    RecordHeadcount,
)
from habeas.services.queries_moves import alerts
from habeas.services.unit_of_work import Result, UnitOfWork

VENEZUELANS = 238
WARTIME = 137  # of the Venezuelans, removed under the wartime-powers proclamation; the other 101 ordinary
SALVADORANS = 23
CONVICTED_SV = frozenset({1, 6, 11, 16, 21})  # the few Salvadorans with a conviction (index among them)
DISTRICT = frozenset(range(WARTIME - 12, WARTIME))  # 12 wartime designees staged at Willacy County
MISSING = 200  # an ordinary-order Venezuelan, not there at the arrival count

Item = tuple[c.Command, Actor]


class Grouping(StrEnum):
    """How many commands a transaction (and so a signed checkpoint) carries."""

    MIXED = "mixed"  # a person's records per person; a step in which the group moves together, at once
    COMMAND = "command"  # one command, one transaction: what Services.execute does
    PERSON = "person"  # one person's commands of a step, one transaction
    STEP = "step"  # a whole step (every person), one transaction


@dataclass
class StepLog:
    label: str
    people: int
    commands: int
    entries: int
    transactions: int
    seconds: float


@dataclass
class Runner:
    services: Services
    grouping: Grouping = Grouping.MIXED
    steps: list[StepLog] = field(default_factory=list)
    warnings: list[IdentityWarning] = field(default_factory=list)

    def batch(self, items: Sequence[Item]) -> list[Result]:
        """Run the commands in one ledger batch: one transaction, one signed checkpoint."""
        now = self.services.clock()

        def job(conn: Connection, appender: Appender) -> list[Result]:
            results = []
            for cmd, actor in items:
                handler = HANDLERS[type(cmd)]
                results.append(handler(cmd, uow=UnitOfWork(conn, appender, actor, now)))
            return results

        return self.services.ledger.write(job)

    def step(
        self, label: str, groups: Sequence[Sequence[Item]], *, together: bool = False, shared: bool = False
    ) -> StepLog:
        """Run one step: ``groups`` are the commands per person, or (``shared``) one group of shared records.

        ``together`` marks a step in which the whole group moves at once (a flight departs, a handover on the
        apron): under :attr:`Grouping.MIXED` it is one transaction, so it is recorded for all or for none.
        """
        started = time.perf_counter()
        if self.grouping is Grouping.COMMAND:
            transactions = [[item] for group in groups for item in group]
        elif self.grouping is Grouping.STEP or (together and self.grouping is Grouping.MIXED):
            transactions = [[item for group in groups for item in group]]
        else:
            transactions = [list(g) for g in groups]
        before = self.services.ledger.size()  # the entries the handlers' hooks add (re-checks, alerts) included
        for items in transactions:
            for result in self.batch(items):
                self.warnings.extend(result.warnings)
        entries = self.services.ledger.size() - before
        log = StepLog(
            label=label,
            people=0 if shared else len(groups),
            commands=sum(len(g) for g in groups),
            entries=entries,
            transactions=len(transactions),
            seconds=time.perf_counter() - started,
        )
        self.steps.append(log)
        return log


@dataclass(frozen=True)
class Case:
    """One synthetic person and the role the scenario gives them."""

    person: SyntheticPerson
    index: int
    basis: str
    organisation: str
    convicted: bool = False
    protected: bool = False  # the alternate: withholding of removal to El Salvador
    district: bool = False  # staged at Willacy County, in the district whose court orders before departure
    missing: bool = False  # not there at the arrival count

    @property
    def pid(self) -> str:
        return self.person.person_id

    @property
    def order_id(self) -> str:
        return f"ro-{self.pid}"

    @property
    def wartime(self) -> bool:
        return self.basis == w.WARTIME_BASIS


def cases(seed: int = 2025) -> list[Case]:
    """The 261, in manifest order; the protected alternate, who moved up the list, comes last."""
    factory = PeopleFactory(seed)
    out: list[Case] = []
    for i in range(VENEZUELANS):
        basis = w.WARTIME_BASIS if i < WARTIME else w.ORDINARY_BASIS
        out.append(Case(factory.person("VE"), len(out), basis, "Tren de Aragua", district=i in DISTRICT,
                        missing=i == MISSING))
    for k in range(SALVADORANS):
        out.append(
            Case(
                factory.person("SV"), len(out), w.ORDINARY_BASIS, "MS-13",
                convicted=k in CONVICTED_SV, protected=k == SALVADORANS - 1,
            )
        )
    return out


# -- step 1: the world ---------------------------------------------------------------------------------------


def setup_commands(signers: dict[str, Signer]) -> list[Item]:
    at = w.SETUP_AT
    items: list[Item] = [
        (c.RegisterAgency(agency_id=a.agency_id, occurred_at=at, name=a.name, country=a.country, kind=a.kind),
         w.COORDINATOR.actor)
        for a in w.AGENCIES
    ]
    items += [
        (
            c.RegisterOfficer(
                officer_id=o.officer_id, agency_id=o.agency.agency_id, occurred_at=at, name=o.name, role=o.role,
                public_key=signers[o.officer_id].public_key,
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


def record_commands(case: Case) -> list[Item]:
    """Registration, allegation, conviction, removal order and protection of one person."""
    p, pid = case.person, case.pid
    seen = _first_seen(case)
    coordinator, legal = w.COORDINATOR.actor, w.LEGAL.actor
    items: list[Item] = [
        (
            c.RegisterPerson(
                person_id=pid, occurred_at=seen,
                name=PersonName(given_names=tuple(p.given_names.split()), surnames=p.surnames),
                date_of_birth=PartialDate(
                    year=p.date_of_birth.year, month=p.date_of_birth.month, day=p.date_of_birth.day
                ),
                sex=Sex.MALE, nationalities=(p.nationality,), country_of_birth=p.nationality,
                languages=p.languages,
                identifiers=(
                    Identifier(kind=IdentifierKind.A_NUMBER, value=p.a_number, country="US"),
                    Identifier(kind=IdentifierKind.PASSPORT, value=p.passport, country=p.nationality),
                ),
            ),
            coordinator,
        ),
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
        items.append(
            (
                c.RecordConviction(
                    conviction_id=f"cv-{pid}", person_id=pid, occurred_at=seen + timedelta(days=2), court=(
                        "State district court, Texas (synthetic)"
                    ), jurisdiction="US", offence="Unlawful carrying of a weapon (synthetic)",
                    convicted_on=(seen - timedelta(days=400)).date(),
                ),
                legal,
            )
        )
    # Every order names El Salvador: for the Venezuelans under ordinary orders, as the third country.
    if case.wartime:
        order = c.RecordRemovalOrder(
            order_id=case.order_id, person_id=pid, occurred_at=w.DESIGNATED_AT, authority=w.WARTIME_AUTHORITY,
            legal_basis=w.WARTIME_BASIS, destination_country="SV", final=True,
            period=Period(active_from=w.DESIGNATED_AT),
        )
    else:
        decided = seen + timedelta(days=30 + case.index % 60)
        order = c.RecordRemovalOrder(
            order_id=case.order_id, person_id=pid, occurred_at=decided, authority=w.ORDINARY_AUTHORITY,
            legal_basis=w.ORDINARY_BASIS, destination_country="SV", final=True,
            period=Period(active_from=decided),
        )
    items.append((order, legal))
    if case.protected:
        granted = w.utc(2019, 10, 10, 16)
        items.append(
            (
                c.RecordProtection(
                    protection_id=f"pr-{pid}", person_id=pid, occurred_at=granted,
                    kind=ProtectionKind.WITHHOLDING_OF_REMOVAL, country="SV",
                    granted_by="Immigration judge (EOIR) (synthetic)", period=Period(active_from=granted),
                ),
                legal,
            )
        )
    return items


# -- the custody steps ---------------------------------------------------------------------------------------


def _order_authority(case: Case) -> Authority:
    return Authority(agency_id=w.US_AGENCY.agency_id, legal_basis=case.basis, record_id=case.order_id)


TRANSFER_AUTHORITY = Authority(agency_id=w.US_AGENCY.agency_id, legal_basis=w.TRANSFER_BASIS)
POLICY_PACK = "us-federal"  # the shipped pack, unchanged: every gate, 168 hours of notice


def _custodian(officer: w.OfficerSpec) -> Custodian:
    return Custodian(agency_id=officer.agency.agency_id, officer_id=officer.officer_id)


def staging_admission(case: Case) -> list[Item]:
    facility = w.WILLACY if case.district else w.PORT_ISABEL
    unit = facility.units[case.index % len(facility.units)]
    return [(
        c.AdmitToCustody(
            person_id=case.pid, occurred_at=w.STAGED_AT + timedelta(minutes=case.index),
            facility_id=facility.facility_id, unit_id=unit.unit_id, custodian=_custodian(w.COORDINATOR),
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


def air_leg() -> Leg:
    return Leg(
        leg_id=w.AIR_LEG, mode=TransportMode.AIR, carrier="charter (synthetic)", vehicle="CHARTER-0315",
        origin="KHRL", origin_country="US", destination="MSLP", destination_country="SV",
        scheduled_departure=w.DEPARTS_AT, scheduled_arrival=w.ARRIVES_AT,
        escort_officer_ids=(w.ESCORT.officer_id,), destination_facility_id=w.MEGA_PRISON.facility_id,
    )


def departure(case: Case) -> list[Item]:
    return [(
        c.DepartOnLeg(person_id=case.pid, occurred_at=w.DEPARTS_AT, leg_id=w.AIR_LEG, custodian=_custodian(w.ESCORT)),
        w.ESCORT.actor,
    )]


GROUND_PACK_TEXT = f"""\
# Policy pack: the receiving state's domestic ground leg (written by `habeas demo`; not shipped).
# The people were handed over to {w.SV_AGENCY.name} at the airport on a dual-signed receipt; the bus
# ride to the prison is a transfer inside El Salvador, so no US removal gate applies to it (the removal gates
# ran on the air leg under us-federal). Only the gates that make sense for a domestic prison transfer run here.
name: {w.GROUND_PACK}
description: >-
  Domestic ground transfer by the receiving agency from the airport to the prison: identity and the
  destination's capacity only (demo pack, synthetic).

gates:
  - identity_verified     # Mandela rule 7: no one received without a record of identity and authority
  - destination_capacity  # LEGAL.md "capacity": ICRC 3.4 m² per person, as at intake

parameters:
  # The parameters below belong to gates this pack does not run; every pack states them all.
  min_notice_hours: 0
  notice_languages: understood
  notice_content_types: [removal_order]
  copy_notice_to_counsel: false
  consular_mandatory_nationalities: []
  capacity_standard: icrc  # the standard intake places people by (us-federal's, the demo's deployment pack)
  agreement_required: false
  require_final_order: false
"""


def write_ground_pack(folder: Path) -> Path:
    """The pack the ground legs are cleared against, as a file in the demo folder."""
    path = folder / f"{w.GROUND_PACK}.yaml"
    path.write_text(GROUND_PACK_TEXT, encoding="utf-8")
    return path


def buses(arrived: Sequence[Case]) -> list[list[Case]]:
    """The people, in order, split as evenly as possible over the buses."""
    size, extra = divmod(len(arrived), w.BUSES)
    out, start = [], 0
    for b in range(w.BUSES):
        end = start + size + (1 if b < extra else 0)
        out.append(list(arrived[start:end]))
        start = end
    return out


def ground_leg(bus: int) -> Leg:
    return Leg(
        leg_id=w.BUS_LEGS[bus], mode=TransportMode.GROUND, carrier=f"{w.SV_AGENCY.name}, armoured buses",
        vehicle=f"BUS-DGCP-{bus + 1:02d} (synthetic)", origin="MSLP", origin_country="SV",
        destination=w.MEGA_PRISON.facility_id, destination_country="SV",
        scheduled_departure=w.BUSES_DEPART_AT, scheduled_arrival=w.BUSES_ARRIVE_AT,
        escort_officer_ids=(w.BUS_ESCORTS[bus].officer_id,), destination_facility_id=w.MEGA_PRISON.facility_id,
    )


def holding_admission(case: Case) -> list[Item]:
    """From handed over (on the receipt) into the receiving agency's custody at the airport holding area: the
    custody table lets a handed-over person be admitted, not depart, so the buses leave from a facility."""
    return [(
        c.AdmitToCustody(
            person_id=case.pid, occurred_at=w.HOLDING_AT, facility_id=w.AIRPORT_HOLDING.facility_id,
            unit_id=w.AIRPORT_HOLDING.units[0].unit_id, custodian=_custodian(w.SV_ESCORT),
            authority=TRANSFER_AUTHORITY,
        ),
        w.SV_ESCORT.actor,
    )]


def bus_departure(case: Case, bus: int) -> list[Item]:
    escort = w.BUS_ESCORTS[bus]
    return [(
        c.DepartOnLeg(person_id=case.pid, occurred_at=w.BUSES_DEPART_AT, leg_id=w.BUS_LEGS[bus],
                      custodian=_custodian(escort)),
        escort.actor,
    )]


def district_order() -> c.RecordCourtOrder:
    """Before departure: a class of wartime designees detained in one district (here, at Willacy County)."""
    return c.RecordCourtOrder(
        order_id="co-district", issued_at=w.DISTRICT_ORDER_AT, court=w.DISTRICT_COURT, docket=w.DISTRICT_DOCKET,
        form=OrderForm.WRITTEN, directive=CourtOrderDirective.HALT_REMOVAL,
        scope=CourtOrderScope(criteria=ClassCriteria(
            legal_basis_in=(w.WARTIME_BASIS,), detained_at_facility_in=(w.WILLACY.facility_id,)
        )),
        period=Period(active_from=w.DISTRICT_ORDER_AT, active_to=w.DISTRICT_ORDER_AT + timedelta(days=14)),
    )


def court_orders() -> list[Item]:
    scope = CourtOrderScope(criteria=ClassCriteria(legal_basis_in=(w.WARTIME_BASIS,)))
    oral = c.RecordCourtOrder(
        order_id="co-tro-oral", issued_at=w.ORAL_TRO_AT, court=w.COURT, docket=w.DOCKET, form=OrderForm.ORAL,
        directive=CourtOrderDirective.RETURN, scope=scope,
        period=Period(active_from=w.ORAL_TRO_AT, active_to=w.ORAL_TRO_AT + timedelta(days=14)),
    )
    written = c.RecordCourtOrder(
        order_id="co-tro-written", issued_at=w.WRITTEN_TRO_AT, court=w.COURT, docket=w.DOCKET,
        form=OrderForm.WRITTEN, directive=CourtOrderDirective.HALT_REMOVAL, scope=scope,
        period=Period(active_from=w.WRITTEN_TRO_AT, active_to=w.WRITTEN_TRO_AT + timedelta(days=14)),
        confirms_order_id="co-tro-oral",
    )
    return [(oral, w.LEGAL.actor), (written, w.LEGAL.actor)]


def _block(case: Case) -> str:
    if case.person.nationality == "VE":
        return "block-3"  # held for migration reasons; Tren de Aragua apart from MS-13
    return "block-5" if case.convicted else "block-4"


def intake(case: Case) -> list[Item]:
    at = w.INTAKE_AT + timedelta(seconds=30 * case.index)
    return [(
        AdmitAtIntake(
            admission=c.RecordAdmission(
                person_id=case.pid, admission_id=f"adm-cecot-{case.pid}", facility_id=w.MEGA_PRISON.facility_id,
                occurred_at=at, commitment_authority="Transfer from U.S. custody under the 2025 US-El Salvador "
                "arrangement (synthetic reference)",
            ),
            custodian=_custodian(w.INTAKE), unit_id=_block(case), authority=TRANSFER_AUTHORITY,
        ),
        w.INTAKE.actor,
    )]


def per_person(people: Iterable[Case], make: Callable[[Case], list[Item]]) -> list[list[Item]]:
    return [make(case) for case in people]


# -- the whole operation ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Catch:
    """One thing the system stopped or flagged, as the demo prints it."""

    title: str
    lines: tuple[str, ...]


@dataclass
class Outcome:
    steps: list[StepLog]
    people: int
    warnings: list[IdentityWarning]
    snapshots: list[tuple[str, list[report.CustodyRow]]]  # custody after each custody step
    catches: list[Catch]
    policy: str
    signers: dict[str, Signer]
    ground_pack: str = ""
    ground_manifests: tuple[str, ...] = ()
    ground_closed: tuple[str, ...] = ()


def _blocking(clearance: Clearance, person_id: str) -> list[str]:
    return [
        f"{r.gate.value} {r.outcome.value} ({r.reason.code}: {r.reason.text}), rests on "
        f"{r.rests_on_record or '-'} (entry {r.rests_on_seq if r.rests_on_seq is not None else '-'})"
        for r in clearance.results[person_id] if r.blocks
    ]


def run(
    services: Services, *, ground_pack: Path, grouping: Grouping = Grouping.MIXED, seed: int = 2025,
    on_step: Callable[[StepLog], None] | None = None, on_catch: Callable[[Catch], None] | None = None,
) -> Outcome:
    """Run the seed operation through the command handlers, step by step, in the order things happened."""
    runner = Runner(services, grouping)
    people = cases(seed)
    signers = {o.officer_id: generate_signer(o.officer_id) for o in w.OFFICERS}
    snapshots: list[tuple[str, list[report.CustodyRow]]] = []
    catches: list[Catch] = []

    def step(
        label: str, groups: Sequence[Sequence[Item]], *, together: bool = False, shared: bool = False,
        snapshot: bool = False,
    ) -> StepLog:
        log = runner.step(label, groups, together=together, shared=shared)
        if on_step is not None:
            on_step(log)
        if snapshot:
            with services.ledger.engine.connect() as conn:
                snapshots.append((label, report.custody_summary(conn)))
        return log

    def one(label: str, cmd: c.Command, actor: Actor) -> Result:
        started, before = time.perf_counter(), services.ledger.size()
        [result] = runner.batch([(cmd, actor)])
        log = StepLog(label, 0, 1, services.ledger.size() - before, 1, time.perf_counter() - started)
        runner.steps.append(log)
        if on_step is not None:
            on_step(log)
        return result

    def refused(label: str, cmd: c.Command, actor: Actor) -> DomainError:
        try:
            runner.batch([(cmd, actor)])
        except DomainError as e:
            runner.steps.append(StepLog(label + " (refused, nothing recorded)", 0, 1, 0, 0, 0.0))
            if on_step is not None:
                on_step(runner.steps[-1])
            return e
        raise AssertionError(f"{label}: not refused")

    def caught(title: str, *lines: str) -> None:
        catches.append(Catch(title, lines))
        if on_catch is not None:
            on_catch(catches[-1])

    def clear(label: str, at: datetime) -> Clearance:
        result = one(label, mf.ClearManifest(manifest_id=w.MANIFEST, occurred_at=at, policy=POLICY_PACK),
                     w.LEGAL.actor)
        assert isinstance(result.value, Clearance)
        return result.value

    coordinator, legal = w.COORDINATOR.actor, w.LEGAL.actor
    step("register agencies, officers (Ed25519 keys), facilities, units, the US-SV agreement",
         [setup_commands(signers)], shared=True)
    step("register people, allegations, convictions, orders, protection", per_person(people, record_commands))
    step(f"admit at Port Isabel ({w.PORT_ISABEL.code}) and Willacy County ({w.WILLACY.code}), Texas",
         per_person(people, staging_admission), together=True, snapshot=True)
    step("serve notices (8 days ahead, Spanish), offer consular notification, assess fitness to travel",
         per_person(people, notice), together=True)

    alternate = next(k for k in people if k.protected)
    aboard = [k for k in people if not k.protected]
    one(f"draw up manifest {w.MANIFEST} ({len(aboard)} aboard, 1 alternate)", mf.CreateManifest(
        manifest_id=w.MANIFEST, occurred_at=w.MANIFEST_AT, journey_id=w.JOURNEY, leg_index=0, leg=air_leg(),
        people=tuple(k.pid for k in aboard), alternates=(alternate.pid,),
    ), coordinator)
    first = clear(f"clear the manifest (policy pack {POLICY_PACK})", w.CLEAR_AT)
    if first.blocked:
        raise AssertionError(f"the demo's own records fail the gates: {first.blocked[:3]} "
                             f"{_blocking(first, first.blocked[0])}")

    # (1) the protected alternate moves up the list
    one(f"promote the alternate {alternate.pid}", mf.PromoteAlternate(
        manifest_id=w.MANIFEST, occurred_at=w.CLEAR_AT + timedelta(hours=1), person_id=alternate.pid), coordinator)
    second = clear("re-clear after the promotion", w.CLEAR_AT + timedelta(hours=1, minutes=15))
    blocked_boarding = refused("begin boarding", mf.BeginBoarding(
        manifest_id=w.MANIFEST, occurred_at=w.CLEAR_AT + timedelta(hours=1, minutes=30)), coordinator)
    one(f"strike {alternate.pid} (reason: protection)", mf.StrikeFromManifest(
        manifest_id=w.MANIFEST, occurred_at=w.CLEAR_AT + timedelta(hours=2), person_id=alternate.pid,
        reason=StrikeReason.PROTECTION, note="withholding of removal to SV in force"), legal)
    third = clear("re-clear the rest", w.CLEAR_AT + timedelta(hours=2, minutes=15))
    caught(
        "(1) the protected alternate, promoted onto the manifest, is blocked",
        f"clearance after promotion: {len(second.results)} evaluated, blocked {', '.join(second.blocked)}",
        *(f"gate table row {alternate.pid}: {row}" for row in _blocking(second, alternate.pid)),
        f"boarding refused: {blocked_boarding}",
        f"struck with reason code {StrikeReason.PROTECTION.value}; re-cleared: {len(third.results)} evaluated, "
        f"{len(third.blocked)} blocked, cleared={third.cleared}",
    )

    # (2) a class order before departure
    one("record a district court's class order (before departure)", district_order(), legal)
    fourth = clear("re-clear after the order", w.DISTRICT_ORDER_AT + timedelta(minutes=30))
    district = [k.pid for k in aboard if k.district]
    step(f"strike the {len(fourth.blocked)} it covers (reason: court_order)", [[(mf.StrikeFromManifest(
        manifest_id=w.MANIFEST, occurred_at=w.DISTRICT_ORDER_AT + timedelta(hours=1), person_id=pid,
        reason=StrikeReason.COURT_ORDER, note="held in Texas under co-district"), legal)] for pid in fourth.blocked],
        together=True)
    fifth = clear("re-clear the rest", w.DISTRICT_ORDER_AT + timedelta(hours=1, minutes=15))
    if not fifth.cleared:
        raise AssertionError(f"still blocked: {fifth.blocked}")
    caught(
        "(2) a class court order issued before departure blocks the people it covers",
        f"co-district ({w.DISTRICT_COURT}): wartime designees detained at {w.WILLACY.facility_id}",
        f"clearance: {len(fourth.blocked)} blocked ({', '.join(fourth.blocked)})",
        f"gate table row {fourth.blocked[0]}: {'; '.join(_blocking(fourth, fourth.blocked[0]))}",
        f"struck with reason code {StrikeReason.COURT_ORDER.value} and held in Texas; re-cleared: "
        f"{len(fifth.results)} evaluated, {len(fifth.blocked)} blocked, cleared={fifth.cleared}",
    )
    assert sorted(fourth.blocked) == sorted(district), (fourth.blocked, district)

    flying = [k for k in aboard if k.pid not in set(fourth.blocked)]
    flying_ids = tuple(k.pid for k in flying)
    one("begin boarding", mf.BeginBoarding(manifest_id=w.MANIFEST, occurred_at=w.BOARDING_AT), coordinator)
    one("boarding headcount", RecordHeadcount(
        headcount_id="hc-boarding", manifest_id=w.MANIFEST, checkpoint=Checkpoint.BOARDING,
        occurred_at=w.BOARDING_AT + timedelta(minutes=30), counted_person_ids=flying_ids), w.ESCORT.actor)
    step("depart on the air leg (custodian: the escort officer)", per_person(flying, departure),
         together=True, snapshot=True)
    one("depart (the manifest)", mf.Depart(manifest_id=w.MANIFEST, occurred_at=w.DEPARTS_AT), w.ESCORT.actor)
    one("departure headcount", RecordHeadcount(
        headcount_id="hc-departure", manifest_id=w.MANIFEST, checkpoint=Checkpoint.DEPARTURE,
        occurred_at=w.DEPARTS_AT, counted_person_ids=flying_ids), w.ESCORT.actor)

    # (3) the class order after departure
    step("record the class TRO, oral then written, flight in the air", [court_orders()], shared=True)
    with services.ledger.engine.connect() as conn:
        raised = [a for a in alerts(conn) if a.manifest_id == w.MANIFEST]
    caught(
        "(3) a class court order issued after departure raises a return-required alert",
        *(f"alert {a.kind} on {a.record_id}: {len(a.person_ids)} people aboard covered "
          f"({', '.join(a.person_ids[:3])}, ... {a.person_ids[-1]}); {len(a.undetermined_ids)} undetermined"
          for a in raised),
        "the receiving state's custody follows regardless: recorded below, alert open",
    )

    # (4) one person missing at the arrival count
    one("arrive (the manifest)", mf.Arrive(manifest_id=w.MANIFEST, occurred_at=w.ARRIVES_AT), w.ESCORT.actor)
    arrived = [k for k in flying if not k.missing]
    missing = [k.pid for k in flying if k.missing]
    count = one("arrival headcount", RecordHeadcount(
        headcount_id="hc-arrival", manifest_id=w.MANIFEST, checkpoint=Checkpoint.ARRIVAL,
        occurred_at=w.ARRIVES_AT + timedelta(minutes=10), counted_person_ids=tuple(k.pid for k in arrived)),
        w.ESCORT.actor)
    caught(
        "(4) one person missing at the arrival count opens an incident",
        f"arrival: expected {len(flying)}, counted {len(arrived)}, missing {', '.join(missing)}; "
        f"incident {getattr(count.value, 'incident_id', None)} opened",
    )

    # (5) the handoff on the apron, signed by both officers
    releasing, receiving = _custodian(w.ESCORT), _custodian(w.SV_ESCORT)
    issued = one("issue the handoff receipt", IssueHandoff(
        receipt_id="hr-sal-0316", person_ids=tuple(k.pid for k in arrived), releasing=releasing,
        receiving=receiving, place_id="mslp-apron", country="SV", at=w.HANDOVER_AT, authority=TRANSFER_AUTHORITY,
        manifest_id=w.MANIFEST), w.ESCORT.actor)
    receipt = issued.value
    assert isinstance(receipt, HandoffReceipt)
    one("complete the handoff (both signatures verified)", CompleteHandoff(
        receipt_id=receipt.receipt_id, releasing_signature=sign(receipt, signers[w.ESCORT.officer_id].sign),
        receiving_signature=sign(receipt, signers[w.SV_ESCORT.officer_id].sign)), w.SV_ESCORT.actor)
    snapshot_label = "hand over on the apron, San Salvador (dual-signed receipt)"
    runner.steps[-1].label = snapshot_label
    with services.ledger.engine.connect() as conn:
        snapshots.append((snapshot_label, report.custody_summary(conn)))
    one("hand over (the manifest)", mf.HandOverManifest(
        manifest_id=w.MANIFEST, occurred_at=w.HANDOVER_AT + timedelta(minutes=30), receipt_id=receipt.receipt_id),
        w.ESCORT.actor)
    one("handoff headcount", RecordHeadcount(
        headcount_id="hc-handoff", manifest_id=w.MANIFEST, checkpoint=Checkpoint.HANDOFF,
        occurred_at=w.HANDOVER_AT + timedelta(minutes=30), counted_person_ids=tuple(k.pid for k in arrived),
        expected_person_ids=tuple(k.pid for k in arrived)), w.SV_ESCORT.actor)
    caught(
        "(5) custody passes only on a receipt signed by both officers",
        f"receipt {receipt.receipt_id}: {len(receipt.person_ids)} people, released by {w.ESCORT.officer_id} and "
        f"received by {w.SV_ESCORT.officer_id}, each signing with their own Ed25519 key; both verified against "
        "the registered keys before custody changed",
    )

    # the ground leg: the receiving agency takes them into its airport holding area, then armoured buses
    step(f"admit to the airport holding area ({w.AIRPORT_HOLDING.facility_id}; custodian {w.SV_ESCORT.officer_id})",
         per_person(arrived, holding_admission), together=True, snapshot=True)
    loads = buses(arrived)
    pack = str(ground_pack)
    for b, load in enumerate(loads):
        one(f"draw up ground-leg manifest {w.BUS_MANIFESTS[b]} (bus {b + 1}, {len(load)} aboard)",
            mf.CreateManifest(
                manifest_id=w.BUS_MANIFESTS[b], occurred_at=w.BUSES_MANIFEST_AT, journey_id=w.JOURNEY, leg_index=1,
                leg=ground_leg(b), people=tuple(k.pid for k in load)),
            w.SV_ESCORT.actor)
        cleared = one(f"clear bus {b + 1} (pack {w.GROUND_PACK}: identity, capacity)", mf.ClearManifest(
            manifest_id=w.BUS_MANIFESTS[b], occurred_at=w.BUSES_CLEAR_AT, policy=pack), w.SV_ESCORT.actor).value
        assert isinstance(cleared, Clearance)
        if not cleared.cleared:
            raise AssertionError(f"bus {b + 1} blocked: {cleared.blocked[:3]} {_blocking(cleared, cleared.blocked[0])}")
        one(f"begin boarding bus {b + 1}", mf.BeginBoarding(
            manifest_id=w.BUS_MANIFESTS[b], occurred_at=w.BUSES_BOARDING_AT), w.BUS_ESCORTS[b].actor)
        one(f"bus {b + 1} boarding headcount", RecordHeadcount(
            headcount_id=f"hc-bus-{b + 1}-boarding", manifest_id=w.BUS_MANIFESTS[b], checkpoint=Checkpoint.BOARDING,
            occurred_at=w.BUSES_BOARDING_AT + timedelta(minutes=5), counted_person_ids=tuple(k.pid for k in load),
            leg_id=w.BUS_LEGS[b]), w.BUS_ESCORTS[b].actor)
    step(f"depart on the ground legs ({w.BUSES} armoured buses; custodians: the Salvadoran escort officers)",
         [bus_departure(k, b) for b, load in enumerate(loads) for k in load], together=True, snapshot=True)
    for b in range(w.BUSES):
        one(f"depart (bus {b + 1})", mf.Depart(manifest_id=w.BUS_MANIFESTS[b], occurred_at=w.BUSES_DEPART_AT),
            w.BUS_ESCORTS[b].actor)
    for b, load in enumerate(loads):
        one(f"arrive at CECOT (bus {b + 1})", mf.Arrive(
            manifest_id=w.BUS_MANIFESTS[b], occurred_at=w.BUSES_ARRIVE_AT), w.BUS_ESCORTS[b].actor)
        one(f"bus {b + 1} arrival headcount", RecordHeadcount(
            headcount_id=f"hc-bus-{b + 1}-arrival", manifest_id=w.BUS_MANIFESTS[b], checkpoint=Checkpoint.ARRIVAL,
            occurred_at=w.BUSES_ARRIVE_AT + timedelta(minutes=5), counted_person_ids=tuple(k.pid for k in load),
            facility_id=w.MEGA_PRISON.facility_id, leg_id=w.BUS_LEGS[b]), w.BUS_ESCORTS[b].actor)

    # (6) intake
    step("admit at CECOT (rule 7 record; unit within computed capacity and separation)",
         per_person(arrived, intake), together=True, snapshot=True)
    last = max(w.INTAKE_AT + timedelta(seconds=30 * k.index) for k in arrived)
    closed = []
    for b, load in enumerate(loads):
        one(f"hand over bus {b + 1} at intake (within the agency: escort to intake officer)", mf.HandOverManifest(
            manifest_id=w.BUS_MANIFESTS[b], occurred_at=last), w.BUS_ESCORTS[b].actor)
        one(f"bus {b + 1} intake headcount", RecordHeadcount(
            headcount_id=f"hc-bus-{b + 1}-intake", manifest_id=w.BUS_MANIFESTS[b], checkpoint=Checkpoint.INTAKE,
            occurred_at=w.INTAKE_AT + timedelta(hours=3), counted_person_ids=tuple(k.pid for k in load),
            facility_id=w.MEGA_PRISON.facility_id), w.INTAKE.actor)
        one(f"close bus {b + 1}", mf.CloseManifest(
            manifest_id=w.BUS_MANIFESTS[b], occurred_at=w.INTAKE_AT + timedelta(hours=3, minutes=30)), w.INTAKE.actor)
        closed.append(w.BUS_MANIFESTS[b])
    closing = refused("close the manifest", mf.CloseManifest(
        manifest_id=w.MANIFEST, occurred_at=w.INTAKE_AT + timedelta(hours=4)), coordinator)
    caught(
        "(4, continued) the open incident blocks closing the manifest",
        f"close refused: {closing}",
    )
    return Outcome(runner.steps, len(people), runner.warnings, snapshots, catches, POLICY_PACK, signers,
                   ground_pack=pack, ground_manifests=w.BUS_MANIFESTS, ground_closed=tuple(closed))

"""The seed operation as commands: every entry is decided by the domain and recorded by the real handlers.

261 synthetic people (238 Venezuelan, 23 Salvadoran) are registered with their identifiers, the allegations
against them, the few convictions, their removal orders and one protection; staged at a Texas facility, served
notices, flown to San Salvador, handed to the receiving state's prison directorate on the apron and admitted
at the mega-prison, while a class court order is issued with the flight in the air.

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
from enum import StrEnum

from sqlalchemy import Connection

from habeas.demo import report
from habeas.demo import world as w
from habeas.demo.synthetic import PeopleFactory, SyntheticPerson
from habeas.domain import commands as c
from habeas.domain.court_orders import ClassCriteria, CourtOrderDirective, CourtOrderScope, OrderForm
from habeas.domain.custody import Authority, Custodian
from habeas.domain.identity import IdentityWarning
from habeas.domain.legal import NoticeContent, ProtectionKind
from habeas.domain.people import Identifier, IdentifierKind, PartialDate, PersonName, Sex
from habeas.domain.periods import Period
from habeas.ledger.entry import Actor
from habeas.ledger.log import Appender
from habeas.ledger.note import generate_signer
from habeas.services.app import Services
from habeas.services.handlers import HANDLERS
from habeas.services.unit_of_work import Result, UnitOfWork

VENEZUELANS = 238
WARTIME = 137  # of the Venezuelans, removed under the wartime-powers proclamation; the other 101 ordinary
SALVADORANS = 23
CONVICTED_SV = frozenset({1, 6, 11, 16, 21})  # the few Salvadorans with a conviction (index among them)

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
        entries = 0
        for items in transactions:
            for result in self.batch(items):
                entries += len(result.seqs)
                self.warnings.extend(result.warnings)
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
        out.append(Case(factory.person("VE"), len(out), basis, "Tren de Aragua"))
    for k in range(SALVADORANS):
        out.append(
            Case(
                factory.person("SV"), len(out), w.ORDINARY_BASIS, "MS-13",
                convicted=k in CONVICTED_SV, protected=k == SALVADORANS - 1,
            )
        )
    return out


# -- step 1: the world ---------------------------------------------------------------------------------------


def setup_commands() -> list[Item]:
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
                public_key=generate_signer(o.officer_id).public_key,
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
    if case.wartime:
        order = c.RecordRemovalOrder(
            order_id=case.order_id, person_id=pid, occurred_at=w.DESIGNATED_AT, authority=w.WARTIME_AUTHORITY,
            legal_basis=w.WARTIME_BASIS, destination_country="SV", final=False,
            period=Period(active_from=w.DESIGNATED_AT),
        )
    else:
        decided = seen + timedelta(days=90 + case.index % 200)
        order = c.RecordRemovalOrder(
            order_id=case.order_id, person_id=pid, occurred_at=decided, authority=w.ORDINARY_AUTHORITY,
            legal_basis=w.ORDINARY_BASIS, destination_country=p.nationality, final=True,
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


def _custodian(officer: w.OfficerSpec) -> Custodian:
    return Custodian(agency_id=officer.agency.agency_id, officer_id=officer.officer_id)


def staging_admission(case: Case) -> list[Item]:
    unit = w.PORT_ISABEL.units[case.index % len(w.PORT_ISABEL.units)]
    return [(
        c.AdmitToCustody(
            person_id=case.pid, occurred_at=w.STAGED_AT + timedelta(minutes=case.index),
            facility_id=w.PORT_ISABEL.facility_id, unit_id=unit.unit_id, custodian=_custodian(w.COORDINATOR),
            authority=_order_authority(case),
        ),
        w.COORDINATOR.actor,
    )]


def notice(case: Case) -> list[Item]:
    served = (w.DESIGNATED_AT if case.wartime else w.NOTICES_AT) + timedelta(seconds=20 * case.index)
    content = NoticeContent.WARTIME_DESIGNATION if case.wartime else NoticeContent.REMOVAL_ORDER
    return [(
        c.RecordNotice(
            notice_id=f"nt-{case.pid}", person_id=case.pid, served_at=served, language="es", content_type=content,
            copy_to_counsel=False, served_by_officer_id=w.LEGAL.officer_id,
        ),
        w.LEGAL.actor,
    )]


def departure(case: Case) -> list[Item]:
    return [(
        c.DepartOnLeg(person_id=case.pid, occurred_at=w.DEPARTS_AT, leg_id=w.AIR_LEG, custodian=_custodian(w.ESCORT)),
        w.ESCORT.actor,
    )]


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


def handover(case: Case) -> list[Item]:
    return [(
        c.HandOver(
            person_id=case.pid, occurred_at=w.HANDOVER_AT + timedelta(seconds=15 * case.index), country="SV",
            custodian=_custodian(w.SV_ESCORT), authority=TRANSFER_AUTHORITY,
        ),
        w.ESCORT.actor,
    )]


def intake(case: Case) -> list[Item]:
    at = w.INTAKE_AT + timedelta(seconds=30 * case.index)
    block = "block-3" if case.person.nationality == "VE" else "block-4"
    return [
        (
            c.AdmitToCustody(
                person_id=case.pid, occurred_at=at, facility_id=w.MEGA_PRISON.facility_id, unit_id=block,
                custodian=_custodian(w.INTAKE), authority=TRANSFER_AUTHORITY,
            ),
            w.INTAKE.actor,
        ),
        (
            c.RecordAdmission(
                person_id=case.pid, admission_id=f"adm-cecot-{case.pid}", facility_id=w.MEGA_PRISON.facility_id,
                occurred_at=at, commitment_authority="Transfer from U.S. custody under the 2025 US-El Salvador "
                "arrangement (synthetic reference)",
            ),
            w.INTAKE.actor,
        ),
    ]


def per_person(people: Iterable[Case], make: Callable[[Case], list[Item]]) -> list[list[Item]]:
    return [make(case) for case in people]



# -- the whole operation ---------------------------------------------------------------------------------------


@dataclass
class Outcome:
    steps: list[StepLog]
    people: int
    warnings: list[IdentityWarning]
    snapshots: list[tuple[str, list[report.CustodyRow]]]  # custody after each custody step
    court_order: report.Finding  # whom the class order covered, and where they were, when it was recorded
    handovers_without_receipt: int


def run(
    services: Services, *, grouping: Grouping = Grouping.MIXED, seed: int = 2025,
    on_step: Callable[[StepLog], None] | None = None,
) -> Outcome:
    """Run the seed operation through the command handlers, step by step, in the order things happened."""
    runner = Runner(services, grouping)
    people = cases(seed)
    snapshots: list[tuple[str, list[report.CustodyRow]]] = []

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

    # shared records are one group: one transaction unless grouping is COMMAND
    step("register agencies, officers (Ed25519 keys), facilities, units", [setup_commands()], shared=True)
    step("register people, allegations, convictions, orders, protection", per_person(people, record_commands))
    step(f"admit at Port Isabel ({w.PORT_ISABEL.code}), Texas", per_person(people, staging_admission),
         together=True, snapshot=True)
    step("serve notices (wartime designation or removal order)", per_person(people, notice), together=True)
    step("depart on the air leg (custodian: the escort officer)", per_person(people, departure),
         together=True, snapshot=True)
    step("record the class TRO, oral then written, flight in the air", [court_orders()], shared=True)
    with services.ledger.engine.connect() as conn:
        covered = report.covered_while_held(conn, "co-tro-oral")
    handed = step("hand over on the apron, San Salvador", per_person(people, handover), together=True,
                  snapshot=True)
    step("admit at CECOT, with the rule 7 admission record", per_person(people, intake), together=True,
         snapshot=True)
    return Outcome(runner.steps, len(people), runner.warnings, snapshots, covered, handed.commands)

"""Random sequences of commands through the services, on SQLite and PostgreSQL (the `db` fixture).

A model of what each command should do runs beside the real services: every command is accepted exactly when
the model says it may be, and a refused one is a DomainError that changes nothing. After every step:

- invariant 1: every registered person is in exactly one custody state, with the place, custodian and authority
  that state needs (each p_custody row parses into a CustodyState) and the one the model expects; a person
  without a row is not held; every custodian is a registered officer of that agency;
- invariant 2: the projections equal a replay of the log: into an in-memory SQLite database brought up to date
  every step, and by `rebuild_check` itself (a scratch database or schema, ~0.2 s on PostgreSQL) after every
  erasure and at the end of each run;
- the log verifies, with every payload erased so far reported as erased and none other missing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import Connection, create_engine, select
from sqlalchemy.pool import StaticPool

from habeas.domain import commands as c
from habeas.domain.allegations import ALLEGATION_TRANSITIONS, AdjudicationOutcome, AllegationStatus
from habeas.domain.corrections import ErasureReason
from habeas.domain.court_orders import CourtOrderDirective, CourtOrderScope, OrderForm
from habeas.domain.custody import HELD, OUT_OF_CUSTODY, Authority, Custodian, CustodyStatus
from habeas.domain.errors import DomainError
from habeas.domain.events import event_from
from habeas.domain.identity import IdentityMatch
from habeas.domain.incidents import IncidentKind
from habeas.domain.legal import NoticeContent, ProtectionKind
from habeas.domain.people import Identifier, IdentifierKind, PersonName
from habeas.domain.periods import Period
from habeas.ledger.entry import parse_leaf
from habeas.ledger.verify import verify_log
from habeas.services import rebuild
from habeas.services.custody import custody_state
from habeas.services.door import Services
from habeas.services.facilities import officer_ref, unit_ref
from habeas.services.incidents import RecordIncident
from habeas.services.unit_of_work import Result
from habeas.storage import ledger_store
from habeas.storage.projections import catalog as projections
from habeas.storage.projections.custody import custody
from habeas.storage.projections.people import person
from habeas.wiring import projector

T0 = datetime(2025, 3, 1, tzinfo=UTC)  # before the TickingClock starts; each step is a minute later
AMENDED_AT = T0 - timedelta(days=1)  # an amendment moves an entry's time here: a value no entry has
KEY = bytes(range(32))

PEOPLE = ("p-0", "p-1", "p-2", "p-3")
AGENCIES = ("ag-0", "ag-1")
OFFICERS = ("of-0", "of-1", "of-2")
# Custodians a command may name: mostly officers of their own agency (once registered), one that is not.
CUSTODIANS = (
    Custodian(agency_id="ag-0", officer_id="of-0"),
    Custodian(agency_id="ag-1", officer_id="of-1"),
    Custodian(agency_id="ag-0", officer_id="of-2"),
    Custodian(agency_id="ag-0", officer_id="of-1"),
)
FACILITIES = ("f-0", "f-1")
UNITS = ("u-0", "u-1")
RECORD_IDS = ("r-0", "r-1", "r-2")
PASSPORTS = ("PA1", "PA2", "PA3")
COUNTRIES = ("SV", "VE")
AUTHORITIES = (
    Authority(agency_id="ag-0", legal_basis="ina_241", record_id="ro-1"),
    Authority(agency_id="ag-1", legal_basis="agreement_2025"),
)
PERIOD = Period(active_from=T0, active_to=T0 + timedelta(days=365))
RECORD_KINDS = {  # the model's name for a record kind -> the entry type it makes
    "allegation": "allegation.recorded",
    "conviction": "conviction.recorded",
    "removal_order": "legal.removal_order.recorded",
    "protection": "legal.protection.recorded",
    "stay": "legal.stay.recorded",
    "notice": "legal.notice.served",
    "counsel": "legal.counsel.recorded",
    "consular": "legal.consular.recorded",
    "admission": "person.admission.recorded",
}
ENDINGS = ("release", "remove", "escape", "death")


@dataclass(frozen=True)
class Held:
    """The custody state the model expects (the projection's row, less `since`)."""

    status: CustodyStatus = CustodyStatus.NOT_HELD
    facility_id: str | None = None
    unit_id: str | None = None
    leg_id: str | None = None
    country: str | None = None
    custodian: Custodian | None = None
    authority: Authority | None = None


@dataclass
class Person:
    passport: str
    merged_into: str | None = None
    erased: bool = False
    held: Held = Held()


def _someone(*statuses: CustodyStatus) -> Callable[[CustodyMachine], bool]:
    """A precondition: the rule runs only while someone is in one of these states (it may still pick another)."""
    return lambda m: any(p.held.status in statuses for p in m.people.values())


class CustodyMachine(RuleBasedStateMachine):
    def __init__(self, make_services: Callable[[], Services]) -> None:
        super().__init__()
        self.services = make_services()
        self.step = 0
        self.people: dict[str, Person] = {}
        self.agencies: set[str] = set()
        self.officers: dict[str, str] = {}  # officer -> agency
        self.facilities: set[str] = set()
        self.units: set[tuple[str, str]] = set()
        self.records: set[tuple[str, str]] = set()
        self.allegations: dict[str, AllegationStatus] = {}
        self.entries = 0  # the log's size, as the model counts it
        self.retracted: set[int] = set()
        self.erased_payloads: set[int] = set()  # seqs whose private payload an erasure removed
        self.replay = IncrementalReplay()
        self.full_rebuild_due = False

    def teardown(self) -> None:
        try:
            if self.step:
                report = self.services.rebuild_check()
                assert report.ok, [str(d) for d in report.differences]
        finally:
            self.replay.close()
            self.services.ledger.engine.dispose()

    # -- running a command against the model ------------------------------------------------------------------

    def now(self) -> datetime:
        self.step += 1
        return T0 + timedelta(minutes=self.step)

    def attempt(self, cmd: c.Command, ok: bool, entry_type: str) -> Result | None:
        """Execute ``cmd``; the model says whether it must be accepted (appending one ``entry_type`` entry).

        A refusal must be a DomainError and change nothing.
        """
        name = type(cmd).__name__
        # Only a refusal compares before and after; an unexpected refusal fails anyway.
        before = None if ok else self.dump()
        size = self.services.ledger.size()
        try:
            result = self.services.execute(cmd)
        except DomainError as e:
            refusal: DomainError | None = e
        else:
            refusal = None
        if refusal is not None:
            assert not ok, f"{cmd} was refused: {refusal}"
            event(f"refused {name}")
            assert self.dump() == before
            assert self.services.ledger.size() == size
            return None
        assert ok, f"{cmd} was accepted; the model expected a refusal"
        event(f"accepted {name}")
        assert result.seqs == [size]  # every command here decides exactly one event
        assert parse_leaf(self.services.ledger.leaf(size))["type"] == entry_type
        self.entries += 1
        return result

    def pick(self, data: st.DataObject, *statuses: CustodyStatus) -> str:
        """A person, more often one in these states: uniform picks rarely find someone in transit."""
        fitting = sorted(pid for pid, p in self.people.items() if p.held.status in statuses)
        choice = st.sampled_from(PEOPLE)
        return data.draw(st.sampled_from(fitting) | choice if fitting else choice, label="person_id")

    def dump(self) -> dict[str, list[tuple[object, ...]]]:
        with self.services.ledger.engine.connect() as conn:
            return projections.dump(conn)

    def usable(self, person_id: str) -> bool:
        p = self.people.get(person_id)
        return p is not None and p.merged_into is None and not p.erased

    def officer_ok(self, custodian: Custodian) -> bool:
        return self.officers.get(custodian.officer_id) == custodian.agency_id

    def held(self, person_id: str) -> Held:
        p = self.people.get(person_id)
        return Held() if p is None else p.held

    def custody_change(self, cmd: c.Command, person_id: str, ok: bool, after: Held) -> None:
        if self.attempt(cmd, ok, "custody.changed") is not None:
            self.people[person_id].held = after

    # -- a small world to start from, so custody commands have somewhere to go ---------------------------------

    @initialize(passports=st.lists(st.sampled_from(PASSPORTS), min_size=3, max_size=3))
    def start(self, *, passports: list[str]) -> None:
        """Two agencies with an officer each, two facilities, three people: one held, one in transit."""
        for agency in AGENCIES:
            self.register_agency(agency=agency)
        for officer, agency in zip(OFFICERS, AGENCIES, strict=False):
            self.register_officer(officer=officer, agency=agency)
        self.register_facility(facility="f-0", agency="ag-0")
        self.register_facility(facility="f-1", agency=None)
        for facility, unit in (("f-0", "u-0"), ("f-0", "u-1"), ("f-1", "u-0")):
            self.register_unit(facility=facility, unit=unit)
        for person_id, passport in zip(PEOPLE, passports, strict=False):
            self.register_person(person_id=person_id, passport=passport)
        for person_id in PEOPLE[:2]:
            self.admit(
                person_id=person_id, facility="f-0", unit="u-0", custodian=CUSTODIANS[0], authority=AUTHORITIES[0]
            )
        cmd = c.DepartOnLeg(person_id="p-1", occurred_at=self.now(), leg_id="leg-1", custodian=CUSTODIANS[1])
        after = Held(CustodyStatus.IN_TRANSIT, leg_id="leg-1", custodian=CUSTODIANS[1], authority=AUTHORITIES[0])
        self.custody_change(cmd, "p-1", True, after)

    # -- registers ------------------------------------------------------------------------------------------

    @rule(agency=st.sampled_from(AGENCIES))
    def register_agency(self, *, agency: str) -> None:
        cmd = c.RegisterAgency(agency_id=agency, occurred_at=self.now(), name=agency, country="US", kind="immigration")
        if self.attempt(cmd, agency not in self.agencies, "agency.registered"):
            self.agencies.add(agency)

    @rule(officer=st.sampled_from(OFFICERS), agency=st.sampled_from(AGENCIES))
    def register_officer(self, *, officer: str, agency: str) -> None:
        cmd = c.RegisterOfficer(
            officer_id=officer, agency_id=agency, occurred_at=self.now(), name=f"Officer {officer}", role="escort",
            public_key=KEY, badge_number=f"B{officer[-1]}",
        )
        if self.attempt(cmd, officer not in self.officers and agency in self.agencies, "officer.registered"):
            self.officers[officer] = agency

    @rule(facility=st.sampled_from(FACILITIES), agency=st.none() | st.sampled_from(AGENCIES))
    def register_facility(self, *, facility: str, agency: str | None) -> None:
        cmd = c.RegisterFacility(
            facility_id=facility, occurred_at=self.now(), name=facility, country="US", facility_type="spc",
            operating_agency_id=agency, declared_capacity=10,
        )
        ok = facility not in self.facilities and (agency is None or agency in self.agencies)
        if self.attempt(cmd, ok, "facility.registered"):
            self.facilities.add(facility)

    @rule(facility=st.sampled_from(FACILITIES), unit=st.sampled_from(UNITS))
    def register_unit(self, *, facility: str, unit: str) -> None:
        cmd = c.RegisterUnit(
            unit_id=unit, facility_id=facility, occurred_at=self.now(), label=unit, floor_area_m2=Decimal("34.5"),
            declared_beds=12,
        )
        ok = facility in self.facilities and (facility, unit) not in self.units
        if self.attempt(cmd, ok, "unit.registered"):
            self.units.add((facility, unit))

    # -- people ---------------------------------------------------------------------------------------------

    @rule(person_id=st.sampled_from(PEOPLE), passport=st.sampled_from(PASSPORTS))
    def register_person(self, *, person_id: str, passport: str) -> None:
        cmd = c.RegisterPerson(
            person_id=person_id, occurred_at=self.now(), name=PersonName(given_names=("Ana",), surnames=("Ruiz",)),
            identifiers=(Identifier(kind=IdentifierKind.PASSPORT, value=passport, country="VE"),),
            nationalities=("VE",),
        )
        result = self.attempt(cmd, person_id not in self.people, "person.registered")
        if result is not None:
            # Same passport: a warning naming the other record (an erased one has no passport any more).
            sharing = {q for q, p in self.people.items() if p.passport == passport and not p.erased}
            assert {w.other_person_id for w in result.warnings} == sharing
            self.people[person_id] = Person(passport=passport)

    @rule(survivor=st.sampled_from(PEOPLE), duplicate=st.sampled_from(PEOPLE))
    def merge(self, *, survivor: str, duplicate: str) -> None:
        cmd = c.MergePersons(
            person_id=survivor, duplicate_id=duplicate, occurred_at=self.now(), basis=IdentityMatch.SAME_IDENTIFIER,
            note="same passport",
        )
        ok = survivor != duplicate and self.usable(survivor) and self.usable(duplicate)
        if self.attempt(cmd, ok, "person.merged"):
            self.people[duplicate].merged_into = survivor

    @rule(person_id=st.sampled_from(PEOPLE))
    def erase(self, *, person_id: str) -> None:
        p = self.people.get(person_id)
        with self.services.ledger.engine.connect() as conn:
            payloads = {
                s for s in ledger_store.stream_seqs(conn, person_id) if ledger_store.read_private_one(conn, s)
            }
        cmd = c.ErasePerson(person_id=person_id, occurred_at=self.now(), reason=ErasureReason.DATA_SUBJECT_REQUEST)
        ok = p is not None and not p.erased and p.held.status not in HELD
        if self.attempt(cmd, ok, "person.erased"):
            self.people[person_id].erased = True
            self.full_rebuild_due = True  # the incremental replay cannot see what an erasure changes
            self.erased_payloads |= payloads

    # -- records about a person, allegations, court orders ---------------------------------------------------

    @rule(
        kind=st.sampled_from(sorted(RECORD_KINDS)), record_id=st.sampled_from(RECORD_IDS),
        person_id=st.sampled_from(PEOPLE), facility=st.sampled_from(FACILITIES),
    )
    def record(self, *, kind: str, record_id: str, person_id: str, facility: str) -> None:
        at = self.now()
        cmd: c.Command
        if kind == "allegation":
            cmd = c.RecordAllegation(
                allegation_id=record_id, person_id=person_id, occurred_at=at, organisation="TdA", source="db"
            )
        elif kind == "conviction":
            cmd = c.RecordConviction(
                conviction_id=record_id, person_id=person_id, occurred_at=at, court="Court", jurisdiction="US",
                offence="Traffic", convicted_on=date(2020, 1, 2),
            )
        elif kind == "removal_order":
            cmd = c.RecordRemovalOrder(
                order_id=record_id, person_id=person_id, occurred_at=at, authority="IJ", legal_basis="ina_240",
                destination_country="VE", final=True, period=PERIOD,
            )
        elif kind == "protection":
            cmd = c.RecordProtection(
                protection_id=record_id, person_id=person_id, occurred_at=at,
                kind=ProtectionKind.WITHHOLDING_OF_REMOVAL, country="SV", granted_by="IJ", period=PERIOD,
            )
        elif kind == "stay":
            cmd = c.RecordStay(
                stay_id=record_id, person_id=person_id, occurred_at=at, granted_by="Court", period=PERIOD
            )
        elif kind == "notice":
            cmd = c.RecordNotice(
                notice_id=record_id, person_id=person_id, served_at=at, language="es",
                content_type=NoticeContent.TRANSFER, copy_to_counsel=True,
            )
        elif kind == "counsel":
            cmd = c.RecordCounsel(
                counsel_id=record_id, person_id=person_id, occurred_at=at, name="Counsel Name", appearance_filed=True,
                period=PERIOD, bar_number="BAR1",
            )
        elif kind == "consular":
            cmd = c.RecordConsularNotification(
                notification_id=record_id, person_id=person_id, country="VE", offered_at=at
            )
        else:
            cmd = c.RecordAdmission(
                person_id=person_id, admission_id=record_id, facility_id=facility, occurred_at=at,
                commitment_authority="DHS", arrest_place="Street",
            )
        ok = self.usable(person_id) and (kind, record_id) not in self.records
        ok = ok and (kind != "admission" or facility in self.facilities)
        if self.attempt(cmd, ok, RECORD_KINDS[kind]):
            self.records.add((kind, record_id))
            if kind == "allegation":
                self.allegations[record_id] = AllegationStatus.ALLEGED

    @rule(allegation=st.sampled_from(RECORD_IDS), to_status=st.sampled_from(AllegationStatus))
    def change_allegation_status(self, *, allegation: str, to_status: AllegationStatus) -> None:
        adjudicated = to_status is AllegationStatus.ADJUDICATED
        cmd = c.ChangeAllegationStatus(
            allegation_id=allegation, occurred_at=self.now(), to_status=to_status,
            outcome=AdjudicationOutcome.NOT_SUSTAINED if adjudicated else None,
            decided_by="Immigration court" if adjudicated else None,
        )
        current = self.allegations.get(allegation)
        ok = current is not None and to_status in ALLEGATION_TRANSITIONS[current]
        if self.attempt(cmd, ok, "allegation.status_changed"):
            self.allegations[allegation] = to_status

    @rule(order=st.sampled_from(RECORD_IDS), named=st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=2))
    def court_order(self, *, order: str, named: list[str]) -> None:
        cmd = c.RecordCourtOrder(
            order_id=order, issued_at=self.now(), court="D.D.C.", docket="1:25-cv-766", form=OrderForm.ORAL,
            directive=CourtOrderDirective.HALT_REMOVAL, scope=CourtOrderScope(person_ids=tuple(named)), period=PERIOD,
        )
        if self.attempt(cmd, ("court_order", order) not in self.records, "legal.court_order.recorded"):
            self.records.add(("court_order", order))

    # -- custody --------------------------------------------------------------------------------------------

    @rule(
        person_id=st.sampled_from(PEOPLE), facility=st.sampled_from(FACILITIES), unit=st.sampled_from(UNITS),
        custodian=st.sampled_from(CUSTODIANS), authority=st.sampled_from(AUTHORITIES),
    )
    def admit(
        self, *, person_id: str, facility: str, unit: str, custodian: Custodian, authority: Authority
    ) -> None:
        cmd = c.AdmitToCustody(
            person_id=person_id, occurred_at=self.now(), facility_id=facility, unit_id=unit, custodian=custodian,
            authority=authority,
        )
        ok = (
            self.usable(person_id) and (facility, unit) in self.units and self.officer_ok(custodian)
            and self.held(person_id).status in OUT_OF_CUSTODY
        )
        after = Held(CustodyStatus.IN_CUSTODY, facility, unit, custodian=custodian, authority=authority)
        self.custody_change(cmd, person_id, ok, after)

    @precondition(_someone(*HELD))
    @rule(
        data=st.data(), leg=st.sampled_from(("leg-1", "leg-2")),
        custodian=st.sampled_from(CUSTODIANS), authority=st.none() | st.sampled_from(AUTHORITIES),
    )
    def depart(self, *, data: st.DataObject, leg: str, custodian: Custodian, authority: Authority | None) -> None:
        person_id = self.pick(data, *HELD)
        cmd = c.DepartOnLeg(
            person_id=person_id, occurred_at=self.now(), leg_id=leg, custodian=custodian, authority=authority
        )
        now = self.held(person_id)
        ok = self.usable(person_id) and self.officer_ok(custodian) and now.status in HELD
        after = Held(CustodyStatus.IN_TRANSIT, leg_id=leg, custodian=custodian, authority=authority or now.authority)
        self.custody_change(cmd, person_id, ok, after)

    @precondition(_someone(CustodyStatus.IN_TRANSIT))
    @rule(
        data=st.data(), facility=st.sampled_from(FACILITIES), unit=st.sampled_from(UNITS),
        custodian=st.sampled_from(CUSTODIANS),
        authority=st.none() | st.sampled_from(AUTHORITIES),
    )
    def arrive(
        self, *, data: st.DataObject, facility: str, unit: str, custodian: Custodian, authority: Authority | None
    ) -> None:
        person_id = self.pick(data, CustodyStatus.IN_TRANSIT)
        cmd = c.ArriveAtFacility(
            person_id=person_id, occurred_at=self.now(), facility_id=facility, unit_id=unit, custodian=custodian,
            authority=authority,
        )
        now = self.held(person_id)
        ok = (
            self.usable(person_id) and (facility, unit) in self.units and self.officer_ok(custodian)
            and now.status is CustodyStatus.IN_TRANSIT
        )
        authority = authority or now.authority
        after = Held(CustodyStatus.IN_CUSTODY, facility, unit, custodian=custodian, authority=authority)
        self.custody_change(cmd, person_id, ok, after)

    @precondition(_someone(CustodyStatus.IN_CUSTODY))
    @rule(data=st.data(), unit=st.sampled_from(UNITS))
    def rehouse(self, *, data: st.DataObject, unit: str) -> None:
        person_id = self.pick(data, CustodyStatus.IN_CUSTODY)
        cmd = c.Rehouse(person_id=person_id, occurred_at=self.now(), unit_id=unit, reason="medical")
        now = self.held(person_id)
        ok = (
            self.usable(person_id) and now.status is CustodyStatus.IN_CUSTODY
            and (now.facility_id or "", unit) in self.units
        )
        self.custody_change(cmd, person_id, ok, replace(now, unit_id=unit))

    @precondition(_someone(*HELD))
    @rule(
        data=st.data(), country=st.sampled_from(COUNTRIES), custodian=st.sampled_from(CUSTODIANS),
        authority=st.sampled_from(AUTHORITIES),
    )
    def hand_over(self, *, data: st.DataObject, country: str, custodian: Custodian, authority: Authority) -> None:
        person_id = self.pick(data, *HELD)
        cmd = c.HandOver(
            person_id=person_id, occurred_at=self.now(), country=country, custodian=custodian, authority=authority
        )
        ok = self.usable(person_id) and self.officer_ok(custodian) and self.held(person_id).status in HELD
        after = Held(CustodyStatus.HANDED_OVER, country=country, custodian=custodian, authority=authority)
        self.custody_change(cmd, person_id, ok, after)

    @precondition(_someone(*HELD))
    @rule(data=st.data(), ending=st.sampled_from(ENDINGS), country=st.sampled_from(COUNTRIES))
    def leave_custody(self, *, data: st.DataObject, ending: str, country: str) -> None:
        person_id = self.pick(data, *HELD)
        at = self.now()
        status = self.held(person_id).status
        cmd: c.Command
        if ending == "release":
            cmd = c.Release(person_id=person_id, occurred_at=at, reason="bond")
            ok, after = status is CustodyStatus.IN_CUSTODY, Held(CustodyStatus.RELEASED)
        elif ending == "remove":
            cmd = c.Remove(person_id=person_id, occurred_at=at, country=country)
            ok, after = status in HELD, Held(CustodyStatus.REMOVED, country=country)
        else:
            # A death or an escape is an incident: one command that opens it, changes the custody and (a death)
            # makes next of kin and the independent authority due, whichever route reports it.
            if self.usable(person_id):
                self.incident(person_id, IncidentKind(ending), at)
            return
        self.custody_change(cmd, person_id, ok and self.usable(person_id), after)

    def incident(self, person_id: str, kind: IncidentKind, at: datetime) -> None:
        # Someone not held here (handed over to an agency that keeps no record) still has the incident recorded;
        # only a person held here changes custody.
        held = self.held(person_id).status in HELD
        size = self.services.ledger.size()
        cmd = RecordIncident(incident_id=f"inc-{size}", kind=kind, person_ids=(person_id,), occurred_at=at)
        result = self.services.execute(cmd)
        types = [parse_leaf(self.services.ledger.leaf(seq))["type"] for seq in range(size, size + len(result.seqs))]
        due = ["notification.due", "notification.due"] if kind is IncidentKind.DEATH else []
        assert types == ["incident.opened", *due, *(["custody.changed"] if held else [])]
        event(f"accepted {kind.value} incident")
        self.entries += len(types)
        if held:
            ending = CustodyStatus.DECEASED if kind is IncidentKind.DEATH else CustodyStatus.ESCAPED
            self.people[person_id].held = Held(ending)

    @precondition(_someone(*HELD))
    @rule(data=st.data(), custodian=st.sampled_from(CUSTODIANS))
    def reassign_custodian(self, *, data: st.DataObject, custodian: Custodian) -> None:
        person_id = self.pick(data, *HELD)
        cmd = c.ReassignCustodian(person_id=person_id, occurred_at=self.now(), custodian=custodian)
        now = self.held(person_id)
        ok = self.usable(person_id) and self.officer_ok(custodian) and now.status in HELD
        self.custody_change(cmd, person_id, ok, replace(now, custodian=custodian))

    @rule(data=st.data(), authority=st.sampled_from(AUTHORITIES))
    def change_authority(self, *, data: st.DataObject, authority: Authority) -> None:
        person_id = self.pick(data, *HELD, CustodyStatus.HANDED_OVER)
        cmd = c.ChangeAuthority(person_id=person_id, occurred_at=self.now(), authority=authority)
        now = self.held(person_id)
        ok = self.usable(person_id) and now.status in {*HELD, CustodyStatus.HANDED_OVER}
        self.custody_change(cmd, person_id, ok, replace(now, authority=authority))

    # -- corrections ----------------------------------------------------------------------------------------

    def correctable(self, seq: int) -> bool:
        size = self.services.ledger.size()
        if not 0 <= seq < size or seq in self.retracted:
            return False
        kind = parse_leaf(self.services.ledger.leaf(seq))["type"]
        return kind not in ("entry.corrected", "person.erased")

    @rule(data=st.data())
    def amend(self, *, data: st.DataObject) -> None:
        seq = data.draw(st.integers(0, self.services.ledger.size()), label="seq")
        cmd = c.AmendEntry(corrected_seq=seq, occurred_at=self.now(), reason="wrong_time", changes={
            "occurred_at": AMENDED_AT
        })
        # An amendment would attach a new private payload to the stream: refused once its person is erased.
        self.attempt(cmd, self.correctable(seq) and not self.stream_erased(seq), "entry.corrected")

    def stream_erased(self, seq: int) -> bool:
        p = self.people.get(parse_leaf(self.services.ledger.leaf(seq))["stream"])
        return p is not None and p.erased

    @rule(data=st.data())
    def retract(self, *, data: st.DataObject) -> None:
        seq = data.draw(st.integers(0, self.services.ledger.size()), label="seq")
        cmd = c.RetractEntry(corrected_seq=seq, occurred_at=self.now(), reason="entered_in_error")
        if self.attempt(cmd, self.correctable(seq), "entry.corrected"):
            self.retracted.add(seq)

    # -- invariants -----------------------------------------------------------------------------------------

    @invariant()
    def everyone_is_in_exactly_one_custody_state(self) -> None:
        with self.services.ledger.engine.connect() as conn:
            rows = {r.person_id: r for r in conn.execute(select(custody))}
            registered = {
                r.person_id: (r.merged_into, bool(r.erased)) for r in conn.execute(select(person))
            }
            assert registered == {pid: (p.merged_into, p.erased) for pid, p in self.people.items()}
            assert set(rows) <= set(registered)  # nobody is held without a record
            for pid, p in self.people.items():
                found = custody_state(conn, pid)  # the constructor refuses a state without its place
                assert (pid in rows) == (found.status is not CustodyStatus.NOT_HELD)
                assert (found.since is None) == (pid not in rows)
                got = Held(
                    found.status, found.facility_id, found.unit_id, found.leg_id, found.country, found.custodian,
                    found.authority,
                )
                assert got == p.held, pid
                if found.custodian is not None:
                    officer = officer_ref(conn, found.custodian.officer_id)
                    assert officer is not None
                    assert officer.agency_id == found.custodian.agency_id
                if found.unit_id is not None:
                    assert unit_ref(conn, found.facility_id or "", found.unit_id) is not None

    @invariant()
    def the_log_verifies_and_erased_payloads_stay_gone(self) -> None:
        signer = self.services.ledger.signer
        with self.services.ledger.engine.connect() as conn:
            report = verify_log(conn, signer.verifier(), origin=signer.name)
            assert report.ok, [str(p) for p in report.problems]
            assert report.size == self.entries
            assert report.private_erased == len(self.erased_payloads)
            for seq in self.erased_payloads:
                assert ledger_store.read_private_one(conn, seq) is None

    @invariant()
    def the_projections_equal_a_rebuild_from_the_ledger(self) -> None:
        engine = self.services.ledger.engine
        with engine.connect() as source:
            differences = self.replay.catch_up(source)
        assert not differences, [str(d) for d in differences]
        if self.full_rebuild_due:
            self.full_rebuild_due = False
            report = self.services.rebuild_check()
            assert report.ok, [str(d) for d in report.differences]


class IncrementalReplay:
    """rebuild_check's replay, kept in an in-memory SQLite database and brought up to date with each new entry.

    Cheap enough for every step. It applies each entry once, so it cannot see what a later erasure changes in an
    earlier entry's replay; the full `rebuild_check`, every few steps and at the end, does.
    """

    def __init__(self) -> None:
        self.engine = create_engine("sqlite://", poolclass=StaticPool)
        self.conn = self.engine.connect()
        projections.create_projections(self.conn)
        self.conn.commit()
        self.size = 0

    def catch_up(self, source: Connection) -> list[rebuild.Difference]:
        for rows in ledger_store.iter_entries(source, self.size):
            private = ledger_store.read_private(source, rows[0][0], rows[-1][0] + 1)
            for seq, leaf, _ in rows:
                entry = parse_leaf(leaf)
                held = private.get(seq)
                payload = None if held is None else parse_leaf(held[1])
                event = event_from(entry["type"], entry["stream"], entry["body"], payload)
                rebuild.apply_entry(self.conn, projector(), seq, event, entry["actor"]["agency"])
                self.size = seq + 1
        self.conn.commit()
        return rebuild.compare(projections.dump(source), projections.dump(self.conn))

    def close(self) -> None:
        self.conn.close()
        self.engine.dispose()


def test_random_commands_keep_the_invariants_and_the_rebuild_equal(make_services: Callable[[], Services]) -> None:
    run_state_machine_as_test(
        lambda: CustodyMachine(make_services),
        settings=settings(max_examples=20, stateful_step_count=25, deadline=None),
    )

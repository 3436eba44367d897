"""One mission date of ICE Air through the door: every route-day of the date is a manifest, every step of every
manifest recorded in one transaction per step (:meth:`Services.execute_many`), each step timed.

The steps, in the order things happen (each one transaction for the whole date):

========  ====================================================================================================
release   yesterday's arrivals leave the receiving facilities (released on arrival abroad; transfers move on):
          it keeps each facility at a day's intake, as in life, instead of a year of people in one dormitory
register  each person registered (:func:`habeas.services.bulk.register_people`)
records   removal order, notice, consular notification, fitness to travel: the records the pack asks for
stage     admitted at the staging facility near the pick-up airport
clear     the manifest drawn up and cleared (us-federal for removals abroad; see :mod:`benchmarks.ice_air_world`
          for transfers inside the US)
board     boarding begun and counted
depart    each person departs on the leg, the manifest departs, counted (:func:`habeas.services.bulk.departure`)
arrive    the manifest arrives, counted on the apron
handoff   a receipt issued, signed by both officers' Ed25519 keys, completed; counted; the manifest handed over
admit     each person admitted at the receiving facility (:func:`habeas.services.bulk.intake_commands`), counted,
          the manifest closed
========  ====================================================================================================
"""

from __future__ import annotations

import cProfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time

from benchmarks import ice_air_people as ip
from benchmarks import ice_air_world as iw
from benchmarks.ice_air_data import Airport, RouteDay, flight_minutes
from habeas.domain import commands as c
from habeas.domain import manifests as mf
from habeas.domain.actors import Caller
from habeas.domain.commands import Command
from habeas.domain.custody import Authority
from habeas.domain.handoffs import HandoffReceipt, sign
from habeas.domain.incidents import Checkpoint
from habeas.domain.moves import Leg, TransportMode
from habeas.services import bulk
from habeas.services.clearance import Clearance
from habeas.services.door import Services
from habeas.services.handoffs import CompleteHandoff, IssueHandoff
from habeas.services.incidents import RecordHeadcount

STEPS = ("release", "register", "records", "stage", "clear", "board", "depart", "arrive", "handoff", "admit")
FIRST_DEPARTURE = clock_time(15, 0)  # UTC: mid-morning in the US
SLOT = timedelta(minutes=2)  # between the departures of one date's route-days
Item = tuple[Command, Caller]


class ReplayFailed(AssertionError):
    """A step the data should pass did not (a manifest not cleared, say): the replay's world is wrong."""


@dataclass
class Flight:
    """One route-day as a manifest: who flies, from where to where, when."""

    day: RouteDay
    slot: int
    origin: Airport
    destination: Airport
    people: list[ip.Person]

    @property
    def manifest_id(self) -> str:
        return f"mf-{self.day.row}"

    @property
    def receipt_id(self) -> str:
        return f"hr-{self.day.row}"

    @property
    def domestic(self) -> bool:
        """A transfer between two US facilities (cleared by the domestic pack's door)."""
        return self.origin.country == iw.US and self.destination.country == iw.US

    @property
    def removal(self) -> bool:
        return self.day.kind == "R"

    @property
    def abroad(self) -> bool:
        """A removal from the US to another state: us-federal clears it."""
        return self.origin.country == iw.US and self.destination.country != iw.US

    @property
    def departs(self) -> datetime:
        return datetime.combine(self.day.date, FIRST_DEPARTURE, tzinfo=UTC) + self.slot * SLOT

    @property
    def arrives(self) -> datetime:
        return self.departs + timedelta(minutes=flight_minutes(self.origin, self.destination))

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(p.person_id for p in self.people)

    @property
    def by_road(self) -> bool:
        """Picked up and dropped off at the same airport (39 route-days of 2012): a move by road between the two
        facilities there, since a leg cannot end where it starts."""
        return self.origin.code == self.destination.code

    def receiver(self) -> Caller:
        """Who signs to receive them: the drop-off agency's officer on the apron; on a move by road, the
        receiving facility's intake officer (the escort officer of that airport is the one releasing them)."""
        return iw.intake_officer(self.destination) if self.by_road else iw.escort(self.destination)

    def leg(self) -> Leg:
        origin, destination = self.origin.code, self.destination.code
        if self.by_road:
            origin, destination = iw.staging_facility(self.origin), iw.receiving_facility(self.destination)
        return Leg(
            leg_id=f"leg-{self.day.row}", mode=TransportMode.GROUND if self.by_road else TransportMode.AIR,
            carrier="ICE transport (synthetic)" if self.by_road else "ICE Air charter (synthetic)",
            vehicle=f"ICE{self.day.row}", origin=origin, origin_country=self.origin.country,
            destination=destination, destination_country=self.destination.country,
            scheduled_departure=self.departs, scheduled_arrival=self.arrives,
            escort_officer_ids=(iw.escort(self.origin).officer,),
            destination_facility_id=iw.receiving_facility(self.destination),
        )

    def custody_basis(self) -> str:
        """Why the pick-up agency holds them: for removal, or pending a decision (moved between ICE facilities),
        or, abroad, for the onward flight."""
        if self.origin.country != iw.US:
            return iw.ONWARD_BASIS
        return iw.DETENTION_BASIS if self.removal else iw.TRANSFER_BASIS


@dataclass
class StepTime:
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # this process's CPU: what the wall time is on a quiet machine (SQLite's included)
    commands: int = 0
    entries: int = 0
    transactions: int = 0


@dataclass
class Profile:
    steps: dict[str, StepTime] = field(default_factory=lambda: {s: StepTime() for s in STEPS})

    def add(
        self, step: str, *, seconds: float, cpu: float, commands: int, entries: int, transactions: int = 1
    ) -> None:
        t = self.steps[step]
        t.seconds += seconds
        t.cpu_seconds += cpu
        t.commands += commands
        t.entries += entries
        t.transactions += transactions

    @property
    def seconds(self) -> float:
        return sum(t.seconds for t in self.steps.values())

    @property
    def cpu_seconds(self) -> float:
        return sum(t.cpu_seconds for t in self.steps.values())

    @property
    def entries(self) -> int:
        return sum(t.entries for t in self.steps.values())


class Replay:
    """The run's state across dates: the doors, the world, who arrived yesterday, the profile."""

    def __init__(
        self, services: Services, domestic: Services, world: iw.World, roster: ip.Roster, *, profile: bool = False
    ) -> None:
        self.services = services
        self.domestic = domestic
        self.world = world
        self.roster = roster
        self.profile = Profile()
        self.people = 0
        self.route_days = 0
        self.arrived: list[Flight] = []  # the last date's flights, whose people leave before the next date's come
        # one profiler a step, so the profile says which step spends its time where
        self.profilers = {s: cProfile.Profile() for s in STEPS} if profile else None

    # -- running a step --------------------------------------------------------------------------------------

    def _run(self, step: str, items: Sequence[Item], door: Services | None = None) -> list[object]:
        if not items:
            return []
        door = door or self.services
        before = door.size()
        started, cpu = time.perf_counter(), time.process_time()
        with self._profiling(step):
            results = door.execute_many(list(items))
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        self.profile.add(step, seconds=seconds, cpu=cpu, commands=len(items), entries=door.size() - before)
        return [r.value for r in results]

    @contextmanager
    def _profiling(self, step: str) -> Iterator[None]:
        profiler = None if self.profilers is None else self.profilers[step]
        if profiler is not None:
            profiler.enable()
        try:
            yield
        finally:
            if profiler is not None:
                profiler.disable()

    # -- one date --------------------------------------------------------------------------------------------

    def flights(self, group: Sequence[RouteDay]) -> list[Flight]:
        out = []
        for slot, day in enumerate(group):
            origin, destination = self.world.airports[day.origin], self.world.airports[day.destination]
            out.append(Flight(day, slot, origin, destination,
                              self.roster.people(day.row, day.people, destination.country)))
        return out

    def date(self, group: Sequence[RouteDay]) -> None:
        """Every route-day of one mission date, step by step."""
        flights = [f for f in self.flights(group) if f.people]
        self.release()
        self.register(flights)
        self.records(flights)
        self.stage(flights)
        self.clear(flights)
        self.board(flights)
        self.depart(flights)
        self.arrive(flights)
        self.handoff(flights)
        self.admit(flights)
        self.arrived = flights
        self.people += sum(len(f.people) for f in flights)
        self.route_days += len(flights)

    def warm_up(self, group: Sequence[RouteDay]) -> None:
        """A date recorded and left before the timed ones (imports, statement caches): then forgotten, its people
        released, so the first timed date starts as any other."""
        profilers, self.profilers = self.profilers, None
        self.date(group)
        self.release()
        self.profile, self.people, self.route_days, self.profilers = Profile(), 0, 0, profilers

    def release(self) -> None:
        items: list[Item] = []
        for f in self.arrived:
            reason = "released_on_arrival" if f.destination.country != iw.US else "moved_on_benchmark_steady_state"
            who = iw.intake_officer(f.destination)
            items += [(c.Release(person_id=p, occurred_at=f.arrives + timedelta(hours=6), reason=reason), who)
                      for p in f.ids]
        self._run("release", items)
        self.arrived = []

    def register(self, flights: Sequence[Flight]) -> None:
        """Everyone of the date, in one batch through the bulk path (it names a refused person)."""
        started, cpu, before = time.perf_counter(), time.process_time(), self.services.size()
        n = 0
        for country in sorted({f.origin.country for f in flights}):
            commands = [
                self.roster.registration(p, f.departs - timedelta(days=30, seconds=-k))
                for f in flights if f.origin.country == country for k, p in enumerate(f.people)
            ]
            with self._profiling("register"):
                bulk.register_people(self.services, commands, iw.coordinator(country), item=_person_of(commands))
            n += len(commands)
        self.profile.add("register", seconds=time.perf_counter() - started, cpu=time.process_time() - cpu, commands=n,
                         entries=self.services.size() - before, transactions=len({f.origin.country for f in flights}))

    def records(self, flights: Sequence[Flight]) -> None:
        items: list[Item] = []
        for f in flights:
            legal = iw.coordinator(f.origin.country)
            for p in f.people:
                if f.removal:
                    items.append((ip.removal_order(p, f.departs - timedelta(days=20)), legal))
                if f.abroad:
                    items += [(cmd, legal) for cmd in ip.notice(p, f.departs - timedelta(days=10), legal)]
                items.append((ip.fitness(p, f.departs - timedelta(days=1)), legal))
        self._run("records", items)

    def stage(self, flights: Sequence[Flight]) -> None:
        """Admitted at the staging facility near the pick-up airport, 100 to a dormitory."""
        items: list[Item] = []
        placed: dict[str, int] = {}
        for f in flights:
            officer, facility = iw.escort(f.origin), iw.staging_facility(f.origin)
            for p in f.people:
                n = placed.get(facility, 0)
                placed[facility] = n + 1
                record = f"ro-{p.person_id}" if f.removal and f.origin.country == iw.US else None
                items.append((c.AdmitToCustody(
                    person_id=p.person_id, occurred_at=f.departs - timedelta(days=2), facility_id=facility,
                    unit_id=iw.unit_id(facility, n // iw.UNIT_BEDS), custodian=iw.custodian(officer),
                    authority=Authority(agency_id=officer.agency, legal_basis=f.custody_basis(), record_id=record),
                ), officer))
        self._run("stage", items)

    def clear(self, flights: Sequence[Flight]) -> None:
        """Drawn up by the pick-up agency's coordinator and cleared against the deployment's pack for the leg;
        transfers inside the US through the domestic door (same ledger, same transaction order)."""
        items: list[Item] = []
        domestic: list[Item] = []
        for f in flights:
            who = iw.coordinator(f.origin.country)
            items.append((c.CreateManifest(
                manifest_id=f.manifest_id, occurred_at=f.departs - timedelta(hours=20), journey_id=f"j-{f.day.row}",
                leg_index=0, leg=f.leg(), people=f.ids), who))
            clear = (c.ClearManifest(manifest_id=f.manifest_id, occurred_at=f.departs - timedelta(hours=12)), who)
            (domestic if f.domestic else items).append(clear)
        values = self._run("clear", items) + self._run("clear", domestic, self.domestic)
        blocked = [v for v in values if isinstance(v, Clearance) and not v.cleared]
        if blocked:
            first = blocked[0]
            gates = [str(r.reason.code) for r in first.results[first.blocked[0]] if r.blocks]
            raise ReplayFailed(f"manifest {first.manifest_id} not cleared: {first.blocked[0]} blocked by {gates}")

    def board(self, flights: Sequence[Flight]) -> None:
        items: list[Item] = []
        for f in flights:
            who = iw.escort(f.origin)
            items += [
                (mf.BeginBoarding(manifest_id=f.manifest_id, occurred_at=f.departs - timedelta(minutes=60)), who),
                (self._count(f, Checkpoint.BOARDING, f.departs - timedelta(minutes=30)), who),
            ]
        self._run("board", items)

    def depart(self, flights: Sequence[Flight]) -> None:
        items: list[Item] = []
        for f in flights:
            who = iw.escort(f.origin)
            commands = self.services.read(bulk.departure, f.manifest_id, custodian=iw.custodian(who),
                                          occurred_at=f.departs)
            items += [(cmd, who) for cmd in commands]
            items.append((self._count(f, Checkpoint.DEPARTURE, f.departs), who))
        self._run("depart", items)

    def arrive(self, flights: Sequence[Flight]) -> None:
        items: list[Item] = []
        for f in flights:
            who = iw.escort(f.origin)
            items += [(mf.Arrive(manifest_id=f.manifest_id, occurred_at=f.arrives), who),
                      (self._count(f, Checkpoint.ARRIVAL, f.arrives + timedelta(minutes=10)), who)]
        self._run("arrive", items)

    def handoff(self, flights: Sequence[Flight]) -> None:
        """The escort officer releases everyone counted to the receiving officer on the apron: the receipt is
        issued, both officers sign its bytes with their own keys, and it is completed; then counted."""
        issued: list[Item] = []
        for f in flights:
            releasing, receiving = iw.escort(f.origin), f.receiver()
            issued.append((IssueHandoff(
                receipt_id=f.receipt_id, person_ids=f.ids, releasing=iw.custodian(releasing),
                receiving=iw.custodian(receiving), place_id=f"apron-{f.destination.code.lower()}",
                country=f.destination.country, at=f.arrives + timedelta(minutes=20),
                authority=self._authority(f), manifest_id=f.manifest_id), releasing))
        receipts = self._run("handoff", issued)
        keys = self.world.keys
        completed: list[Item] = []
        for f, receipt in zip(flights, receipts, strict=True):
            assert isinstance(receipt, HandoffReceipt)
            releasing, receiving = iw.escort(f.origin), f.receiver()
            completed += [
                (CompleteHandoff(receipt_id=receipt.receipt_id,
                                 releasing_signature=sign(receipt, keys[releasing.officer].sign),
                                 receiving_signature=sign(receipt, keys[receiving.officer].sign)), receiving),
                (self._count(f, Checkpoint.HANDOFF, f.arrives + timedelta(minutes=30), expected=True), receiving),
                (mf.HandOverManifest(manifest_id=f.manifest_id, occurred_at=f.arrives + timedelta(minutes=35),
                                     receipt_id=f.receipt_id), releasing),
            ]
        self._run("handoff", completed)

    def admit(self, flights: Sequence[Flight]) -> None:
        items: list[Item] = []
        for f in flights:
            who = iw.intake_officer(f.destination)
            plan = self.services.read(bulk.manifest_intake_plan, f.manifest_id)
            if plan.missing or len(plan.admit) != len(f.people):
                raise ReplayFailed(f"manifest {f.manifest_id}: intake plan leaves out {dict(plan.missing)}")
            commands = bulk.intake_commands(
                plan, custodian=iw.custodian(who), occurred_at=f.arrives + timedelta(minutes=60),
                commitment_authority=f"{iw.agency_name(f.destination.country)}: received on receipt {f.receipt_id}",
                receipt_id=f.receipt_id)
            items += [(cmd, who) for cmd in commands]
            items += [
                (RecordHeadcount(headcount_id=f"hc-{f.day.row}-intake", manifest_id=f.manifest_id,
                                 checkpoint=Checkpoint.INTAKE, occurred_at=f.arrives + timedelta(minutes=90),
                                 counted_person_ids=f.ids, facility_id=iw.receiving_facility(f.destination)), who),
                (mf.CloseManifest(manifest_id=f.manifest_id, occurred_at=f.arrives + timedelta(minutes=120)), who),
            ]
        self._run("admit", items)

    # -- pieces --------------------------------------------------------------------------------------------

    @staticmethod
    def _count(f: Flight, checkpoint: Checkpoint, at: datetime, *, expected: bool = False) -> RecordHeadcount:
        return RecordHeadcount(
            headcount_id=f"hc-{f.day.row}-{checkpoint.value}", manifest_id=f.manifest_id, checkpoint=checkpoint,
            occurred_at=at, counted_person_ids=f.ids, expected_person_ids=f.ids if expected else None,
        )

    @staticmethod
    def _authority(f: Flight) -> Authority:
        """Who answers for the people once handed over: the receiving state abroad, ICE on a transfer."""
        if f.destination.country == iw.US:
            basis = f.custody_basis() if f.origin.country == iw.US else iw.TRANSFER_BASIS
            return Authority(agency_id=iw.agency_id(iw.US), legal_basis=basis)
        return Authority(agency_id=iw.agency_id(f.destination.country), legal_basis="reception_of_nationals")


def _person_of(commands: Sequence[c.RegisterPerson]) -> Callable[[int], str]:
    """How a refusal names the item it came from: the person."""
    return lambda i: f"person {commands[i].person_id}"

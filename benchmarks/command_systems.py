"""The two systems the command benchmark compares, each built as its user would build it.

- **habeas**: :class:`~habeas.services.door.Services` over a fresh ledger (every projection, authorisation, the
  invariants, group commit and a signed checkpoint a transaction), the commands issued by an officer of an agency
  (``--as officer@agency``), so the door authorises each one against the state.
- **eventsourcing**: an ``Aggregate`` with the two events (registered, admitted) and an ``Application`` with one
  method a command: ``register`` creates the aggregate and saves it, ``admit`` gets it from the repository,
  admits and saves it (one ``save`` a command); a batch applies its commands to aggregates and saves them all at
  once (``save(*aggregates)``). The library's own SQLite and PostgreSQL persistence, configured by environment.

Both run the same people: synthetic (invented names drawn from Faker's Colombian name lists, labelled as such).
"""

from __future__ import annotations

import functools
import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from psycopg.conninfo import conninfo_to_dict

from benchmarks.systems import Place
from habeas.bootstrap import Settings, init, open_services
from habeas.domain import commands as c
from habeas.domain.actors import Actor, Caller
from habeas.domain.custody import Authority, Custodian
from habeas.domain.people import Identifier, IdentifierKind, PartialDate, PersonName, Sex
from habeas.services.door import Services

SYNTHETIC = "SYNTHETIC"  # every invented person's first given name says so (the log shows no names, but a dump does)
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
AGENCY, OFFICER = "bench-ice", "bench-officer-1"
ACTOR = Actor(officer=OFFICER, agency=AGENCY)
CUSTODIAN = Custodian(agency_id=AGENCY, officer_id=OFFICER)
AUTHORITY = Authority(agency_id=AGENCY, legal_basis="ina_236")
UNITS = 10  # housing units a facility
PER_UNIT = 50  # people a unit holds (its floor area allows a few more under ICRC's 3.4 m2)


@dataclass(frozen=True)
class Person:
    """One invented person: what both systems record about them."""

    person_id: str
    given: tuple[str, ...]
    surnames: tuple[str, str]
    born: tuple[int, int, int]
    nationality: str
    a_number: str
    facility_id: str
    unit_id: str


def people(n: int, *, start: int = 0, seed: int = 12) -> list[Person]:
    """``n`` synthetic people with unique A-numbers, placed 50 a unit, 10 units a facility, from ``start``."""
    from faker.providers.person.es_CO import Provider

    given, last = list(Provider.first_names_male), list(Provider.last_names)
    rng = random.Random(seed + start)
    out = []
    for i in range(start, start + n):
        names = (SYNTHETIC, rng.choice(given), *((rng.choice(given),) if rng.random() < 0.6 else ()))
        slot = i // PER_UNIT
        out.append(Person(
            person_id=f"p-{i:07d}", given=names, surnames=(rng.choice(last), rng.choice(last)),
            born=(rng.randint(1975, 2006), rng.randint(1, 12), rng.randint(1, 28)),
            nationality="SV" if i % 10 == 0 else "VE", a_number=f"A{200_000_000 + i}",
            facility_id=f"bench-f{slot // UNITS:05d}", unit_id=f"u-{slot % UNITS}",
        ))
    return out


def facilities_of(everyone: Sequence[Person]) -> list[str]:
    return sorted({p.facility_id for p in everyone})


# -- habeas ------------------------------------------------------------------------------------------------------


def register(p: Person) -> c.RegisterPerson:
    return c.RegisterPerson(
        person_id=p.person_id, occurred_at=T0,
        name=PersonName(given_names=p.given, surnames=p.surnames),
        date_of_birth=PartialDate(year=p.born[0], month=p.born[1], day=p.born[2]),
        sex=Sex.MALE, nationalities=(p.nationality,), country_of_birth=p.nationality, languages=("es",),
        identifiers=(Identifier(kind=IdentifierKind.A_NUMBER, value=p.a_number, country="US"),),
    )


def admit(p: Person) -> c.AdmitToCustody:
    return c.AdmitToCustody(
        person_id=p.person_id, occurred_at=T0 + timedelta(hours=1), facility_id=p.facility_id, unit_id=p.unit_id,
        custodian=CUSTODIAN, authority=AUTHORITY,
    )


def commands_of(everyone: Sequence[Person]) -> list[c.Command]:
    """Register then admit, person by person: what one caller issues, and what a batch holds."""
    return [cmd for p in everyone for cmd in (register(p), admit(p))]


class HabeasCommands:
    """The door over a fresh ledger in ``place``, its agency, officer and facilities registered."""

    name = "habeas"

    def __init__(self, place: Place) -> None:
        url = f"sqlite:///{place.sqlite_file}" if place.backend == "sqlite" else place.pg_url
        settings = Settings(db_url=url, key_path=place.folder / "habeas.key")
        init(settings, "bench.habeas/commands", schema=place.schema)
        self.services: Services = open_services(settings, schema=place.schema)
        self.caller = Caller.of(ACTOR)
        self._facilities: set[str] = set()
        self.services.execute_many([
            c.RegisterAgency(agency_id=AGENCY, occurred_at=T0, name="SYNTHETIC agency", country="US",
                             kind="immigration"),
            c.RegisterOfficer(officer_id=OFFICER, agency_id=AGENCY, occurred_at=T0, name="SYNTHETIC officer",
                              role="intake", public_key=bytes(range(32))),
        ])

    def prepare(self, everyone: Sequence[Person]) -> None:
        """Register the facilities and units the people go to (not timed)."""
        new = [f for f in facilities_of(everyone) if f not in self._facilities]
        cmds: list[c.Command] = []
        for f in new:
            cmds.append(c.RegisterFacility(
                facility_id=f, occurred_at=T0, name=f"SYNTHETIC facility {f}", country="US", facility_type="spc",
                operating_agency_id=AGENCY, declared_capacity=UNITS * PER_UNIT, contact="+1 555 0100 (synthetic)",
            ))
            cmds += [c.RegisterUnit(unit_id=f"u-{u}", facility_id=f, occurred_at=T0, label=f"Housing {u}",
                                    floor_area_m2=Decimal(PER_UNIT * 4), declared_beds=PER_UNIT) for u in range(UNITS)]
        for k in range(0, len(cmds), 1000):
            self.services.execute_many(cmds[k : k + 1000], self.caller)
        self._facilities.update(new)

    def one(self, everyone: Sequence[Person]) -> None:
        execute, caller = self.services.execute, self.caller
        for cmd in commands_of(everyone):
            execute(cmd, caller)

    def batches(self, everyone: Sequence[Person], size: int) -> None:
        cmds = commands_of(everyone)
        for k in range(0, len(cmds), size):
            self.services.execute_many(cmds[k : k + size], self.caller)

    def close(self) -> None:
        self.services.close()


# -- eventsourcing ---------------------------------------------------------------------------------------------


@functools.cache
def _es_classes() -> tuple[type[Any], type[Any]]:
    """The aggregate and the application, as the library's documentation writes them (imported late: the
    library is the `bench` extra; made once a process, as the library registers each class by its name)."""
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate, event

    class PersonAggregate(Aggregate):  # type: ignore[misc]
        @event("Registered")
        def __init__(self, *, person_id: str, given: list[str], surnames: list[str], born: str, nationality: str,
                     a_number: str) -> None:
            self.person_id, self.given, self.surnames, self.born = person_id, given, surnames, born
            self.nationality, self.a_number = nationality, a_number
            self.facility_id: str | None = None

        @event("Admitted")
        def admit(self, *, facility_id: str, unit_id: str, agency_id: str, officer_id: str, legal_basis: str,
                  at: str) -> None:
            if self.facility_id is not None:
                raise ValueError("already admitted")
            self.facility_id, self.unit_id, self.custodian = facility_id, unit_id, (agency_id, officer_id)
            self.legal_basis, self.since = legal_basis, at

    class CustodyApp(Application):  # type: ignore[misc]
        def register(self, p: Person) -> Any:
            agg = PersonAggregate(**_registered(p))
            self.save(agg)
            return agg.id

        def admit(self, agg_id: Any, p: Person) -> None:
            agg = self.repository.get(agg_id)
            agg.admit(**_admitted(p))
            self.save(agg)

    return PersonAggregate, CustodyApp


def _registered(p: Person) -> dict[str, Any]:
    return {"person_id": p.person_id, "given": list(p.given), "surnames": list(p.surnames),
            "born": "{:04d}-{:02d}-{:02d}".format(*p.born), "nationality": p.nationality, "a_number": p.a_number}


def _admitted(p: Person) -> dict[str, Any]:
    return {"facility_id": p.facility_id, "unit_id": p.unit_id, "agency_id": AGENCY, "officer_id": OFFICER,
            "legal_basis": AUTHORITY.legal_basis, "at": (T0 + timedelta(hours=1)).isoformat()}


def es_env(place: Place) -> dict[str, str]:
    """The library's persistence, configured as its documentation says: by environment variables."""
    if place.backend == "sqlite":
        return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(place.folder / "es.db"),
                "SQLITE_LOCK_TIMEOUT": "60"}
    info = conninfo_to_dict(place.pg_url)
    assert place.schema is not None
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres", "POSTGRES_DBNAME": str(info.get("dbname", "postgres")),
        "POSTGRES_HOST": str(info.get("host", "127.0.0.1")), "POSTGRES_PORT": str(info.get("port", 5432)),
        "POSTGRES_USER": str(info.get("user", "postgres")), "POSTGRES_PASSWORD": str(info.get("password", "")),
        "POSTGRES_SCHEMA": place.schema,
        # enough connections for 32 threads (the default pool holds 5 and 10 more)
        "POSTGRES_POOL_SIZE": "5", "POSTGRES_MAX_OVERFLOW": "32",
    }


class EventsourcingCommands:
    name = "eventsourcing"

    def __init__(self, place: Place) -> None:
        self._aggregate, app_class = _es_classes()
        self.app = app_class(env=es_env(place))

    def prepare(self, everyone: Sequence[Person]) -> None:
        """Nothing to register first: the aggregate checks nothing outside itself."""

    def one(self, everyone: Sequence[Person]) -> None:
        app = self.app
        for p in everyone:
            app.admit(app.register(p), p)

    def batches(self, everyone: Sequence[Person], size: int) -> None:
        per = size // 2  # two commands a person
        for k in range(0, len(everyone), per):
            aggs = []
            for p in everyone[k : k + per]:
                agg = self._aggregate(**_registered(p))
                agg.admit(**_admitted(p))
                aggs.append(agg)
            self.app.save(*aggs)

    def close(self) -> None:
        self.app.close()


System = HabeasCommands | EventsourcingCommands


def threaded(run: Callable[[Sequence[Person]], None], everyone: Sequence[Person], threads: int) -> None:
    """``run`` from ``threads`` threads at once, each with its share of the people; re-raises the first error."""
    shares = [everyone[k::threads] for k in range(threads)]
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def work(share: Sequence[Person]) -> None:
        start.wait()
        try:
            run(share)
        except BaseException as e:
            errors.append(e)

    pool = [threading.Thread(target=work, args=(s,)) for s in shares]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    if errors:
        raise errors[0]

"""Synthetic people for the ICE Air replay, and the records each needs before their flight.

Every person is invented: names drawn from Faker's lists (Mexican Spanish for Spanish-speaking countries, two
surnames; Brazilian Portuguese for Brazil; US English otherwise), birth dates at random, and documents that say
what they are: the passport number starts ``SYN`` (synthetic) and the A-numbers are a counter from
A300000000, a block no real A-number in this data set's years used. Deterministic for a seed.

Records, by route-day kind (the gate each one satisfies in brackets):
- everyone: registration with an A-number and a passport (``identity_verified``), fitness to travel assessed the
  day before and valid three days (``fit_to_travel``);
- a removal (an ``R`` row, wherever it lands): a final removal order to the person's country;
- a removal abroad (cleared by us-federal): also the notice of that order, served ten days before in the
  person's language (``notice_served_in_time``: 168 hours), and consular notification offered
  (``consular_notification``); the order names the drop-off country, so the people of a route-day to
  Guatemala are Guatemalan.
People on a US→US route-day are of the nationalities :data:`TRANSFER_NATIONALITIES` gives (an illustrative mix,
Mexico first, as in ICE's removals of those years).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from faker import Faker

from benchmarks import ice_air_world as iw
from habeas.domain import commands as c
from habeas.domain.actors import Caller
from habeas.domain.legal import NoticeContent
from habeas.domain.people import Identifier, IdentifierKind, PartialDate, PersonName, Sex
from habeas.domain.periods import Period

SYNTHETIC = "SYNTHETIC: invented for a benchmark; not a real person"
A_NUMBER_BASE = 300_000_000
TRANSFER_NATIONALITIES = (("MX", 60), ("GT", 15), ("HN", 12), ("SV", 8), ("DO", 2), ("EC", 2), ("CO", 1))
SPANISH = frozenset({"MX", "GT", "HN", "SV", "NI", "CR", "PA", "CU", "DO", "CO", "EC", "PE", "BO", "CL", "AR", "UY",
                     "PY", "VE", "ES"})
LANGUAGE = {"BR": "pt", "HT": "fr", "FR": "fr", "SN": "fr", "GN": "fr", "ML": "fr", "CI": "fr", "NE": "fr",
            "CM": "fr", "RU": "ru", "UA": "uk", "GE": "ka", "AL": "sq", "PL": "pl", "HU": "hu", "SK": "sk",
            "CZ": "cs", "RO": "ro", "CN": "zh", "VN": "vi", "IN": "hi", "BD": "bn", "LK": "si", "PK": "ur"}
POOL = 400  # names of each kind drawn from Faker per locale; combined at random


def language_of(country: str) -> str:
    return "es" if country in SPANISH else LANGUAGE.get(country, "en")


def _locale(country: str) -> str:
    if country in SPANISH:
        return "es_MX"
    return "pt_BR" if country == "BR" else "en_US"


@dataclass(frozen=True)
class Person:
    person_id: str
    nationality: str
    serial: int  # the person's place in the run: their A-number and passport number


class Namer:
    """Names from Faker's lists, drawn once per locale (Faker per call would dominate a year's replay)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.pools: dict[str, tuple[list[str], list[str]]] = {}

    def _pool(self, locale: str) -> tuple[list[str], list[str]]:
        if locale not in self.pools:
            fake = Faker(locale)
            fake.seed_instance(self.seed)
            given = sorted({fake.first_name_male() for _ in range(POOL)})
            family = sorted({fake.last_name() for _ in range(POOL)})
            self.pools[locale] = (given, family)
        return self.pools[locale]

    def name(self, country: str) -> PersonName:
        given, family = self._pool(_locale(country))
        names = [self.rng.choice(given) for _ in range(1 + (self.rng.random() < 0.6))]
        surnames = (self.rng.choice(family), self.rng.choice(family)) if country in SPANISH else (
            self.rng.choice(family),)
        return PersonName(given_names=tuple(names), surnames=surnames)


class Roster:
    """Who flies on each route-day: new people, numbered across the run."""

    def __init__(self, seed: int = 2012) -> None:
        self.rng = random.Random(seed)
        self.namer = Namer(seed)
        self.serial = 0
        self._mix = [cc for cc, weight in TRANSFER_NATIONALITIES for _ in range(weight)]

    def people(self, row: int, count: int, destination_country: str) -> list[Person]:
        out = []
        for k in range(count):
            self.serial += 1
            nationality = destination_country if destination_country != iw.US else self.rng.choice(self._mix)
            out.append(Person(f"p-{row}-{k:03d}", nationality, self.serial))
        return out

    def registration(self, p: Person, at: datetime) -> c.RegisterPerson:
        year = self.rng.randint(1955, 1990)  # adults on any mission date in the file (2010-2018)
        return c.RegisterPerson(
            person_id=p.person_id, occurred_at=at, name=self.namer.name(p.nationality),
            date_of_birth=PartialDate(year=year, month=self.rng.randint(1, 12), day=self.rng.randint(1, 28)),
            sex=Sex.MALE, nationalities=(p.nationality,), country_of_birth=p.nationality,
            languages=(language_of(p.nationality),),
            identifiers=(
                Identifier(kind=IdentifierKind.A_NUMBER, value=f"A{A_NUMBER_BASE + p.serial}", country=iw.US),
                Identifier(kind=IdentifierKind.PASSPORT, value=f"SYN{p.serial:09d}", country=p.nationality),
            ),
        )


def removal_order(p: Person, at: datetime) -> c.RecordRemovalOrder:
    return c.RecordRemovalOrder(
        order_id=f"ro-{p.person_id}", person_id=p.person_id, occurred_at=at,
        authority="Immigration judge (EOIR) (synthetic)", legal_basis=iw.REMOVAL_BASIS,
        destination_country=p.nationality, final=True, period=Period(active_from=at),
    )


def notice(p: Person, at: datetime, served_by: Caller) -> list[c.Command]:
    """The order's notice in the person's language, and consular notification offered half an hour later."""
    return [
        c.RecordNotice(notice_id=f"nt-{p.person_id}", person_id=p.person_id, served_at=at,
                       language=language_of(p.nationality), content_type=NoticeContent.REMOVAL_ORDER,
                       copy_to_counsel=False, served_by_officer_id=served_by.officer),
        c.RecordConsularNotification(notification_id=f"cn-{p.person_id}", person_id=p.person_id,
                                     country=p.nationality, offered_at=at + timedelta(minutes=30)),
    ]


def fitness(p: Person, at: datetime) -> c.RecordFitnessToTravel:
    return c.RecordFitnessToTravel(
        assessment_id=f"fa-{p.person_id}", person_id=p.person_id, occurred_at=at, fit=True,
        assessed_by="clinician-synthetic", valid_until=at + timedelta(days=3),
    )

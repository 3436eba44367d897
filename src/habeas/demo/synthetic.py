"""Synthetic people for demos and benchmarks. Every record is invented and says so.

Faker ships no Venezuelan (es_VE) or Salvadoran (es_SV) locale; it silently falls back to English for them.
We use its Colombian locale for Venezuelan names (the naming customs and surnames overlap most) and its
Mexican locale for Salvadoran names, both with two surnames as the people themselves would write them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from faker import Faker

SYNTHETIC = "SYNTHETIC: invented for a demonstration; not a real person"
LOCALE_FOR = {"VE": "es_CO", "SV": "es_MX"}


@dataclass(frozen=True)
class SyntheticPerson:
    person_id: str
    given_names: str
    surnames: tuple[str, str]
    date_of_birth: date
    nationality: str  # ISO 3166-1 alpha-2
    a_number: str
    passport: str
    languages: tuple[str, ...]

    def private(self) -> dict[str, object]:
        return {
            "a_number": self.a_number,
            "date_of_birth": self.date_of_birth.isoformat(),
            "given_names": self.given_names,
            "passport": {"country": self.nationality, "number": self.passport},
            "surnames": list(self.surnames),
            "synthetic": SYNTHETIC,
        }


class PeopleFactory:
    """Deterministic for a seed, so a demo and its tests see the same invented people."""

    def __init__(self, seed: int = 2025) -> None:
        self.rng = random.Random(seed)
        self.fakers = {c: Faker(loc) for c, loc in LOCALE_FOR.items()}
        for i, f in enumerate(self.fakers.values()):
            f.seed_instance(seed + i)
        self.count = 0

    def person(self, nationality: str) -> SyntheticPerson:
        f = self.fakers[nationality]
        self.count += 1
        given = f.first_name_male()
        if self.rng.random() < 0.6:
            given = f"{given} {f.first_name_male()}"
        year = self.rng.randint(1975, 2006)
        return SyntheticPerson(
            person_id=f"p-{self.count:06d}",
            given_names=given,
            surnames=(f.last_name(), f.last_name()),
            date_of_birth=date(year, self.rng.randint(1, 12), self.rng.randint(1, 28)),
            nationality=nationality,
            a_number=f"A{self.rng.randint(200_000_000, 249_999_999)}",
            passport=f"{nationality[0]}{self.rng.randint(10_000_000, 99_999_999)}",
            languages=("es",),
        )

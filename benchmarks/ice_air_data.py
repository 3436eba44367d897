"""The ICE Air file (data/ice-air-2010-2018/, see its SOURCE.md) as route-days, and the airports' countries.

A route-day is one row of ``flights.csv``: a mission date, a flight type (R removal, T transfer), a pick-up
airport (``PULOC``) and a drop-off airport (``DropLoc``), and ``AlienMasterID``, which in this aggregate is the
number of passengers on that route that day. The issue's "7,135 route-days" of 2012 are its rows (373 routes flew
both a removal and a transfer row on the same day: two manifests, as ARTS counted them).

Airports are ICAO location indicators, whose first letters name the country (ICAO Doc 7910): ``K`` the
contiguous United States, ``MG`` Guatemala, and so on. :data:`PREFIX` is that table for the prefixes present in
``airports.csv`` and :data:`AIRPORT_COUNTRY` the few airports whose prefix is shared or misleading (``HS`` is
Sudan and South Sudan; ``UT`` Tajikistan and Uzbekistan; ``LY`` Serbia and Montenegro), each checked against the
airport's name in the file. Puerto Rico (``TJ``), the US Virgin Islands (``TI``) and Hawaii (``PH``) are mapped
to ``US``: ICE holds people there under the same federal authority, so a flight from San Juan to Miami is a
domestic move (ISO 3166-1 gives Puerto Rico and the Virgin Islands codes of their own; habeas's question here
is whose jurisdiction, not which territory).
"""

from __future__ import annotations

import csv
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

DATA = Path(__file__).parents[1] / "data" / "ice-air-2010-2018"
FLIGHTS = DATA / "flights.csv"
AIRPORTS = DATA / "airports.csv"

PREFIX = {
    "K": "US", "PH": "US", "TJ": "US", "TI": "US",  # the contiguous US, Hawaii, Puerto Rico, US Virgin Islands
    "MS": "SV", "MG": "GT", "MH": "HN", "MM": "MX", "MN": "NI", "MD": "DO", "MK": "JM", "MT": "HT", "MU": "CU",
    "MY": "BS", "MZ": "BZ", "MP": "PA", "SE": "EC", "SK": "CO", "SB": "BR", "SL": "BO", "SP": "PE", "SY": "GY",
    "SA": "AR", "SU": "UY", "SM": "SR", "TT": "TT", "TX": "BM", "TV": "VC", "TD": "DM", "TK": "KN", "TB": "BB",
    "TG": "GD", "TA": "AG", "TL": "LC", "ED": "DE", "EG": "GB", "EP": "PL", "EY": "LT", "LP": "PT", "LU": "MD",
    "LR": "RO", "LA": "AL", "LW": "MK", "LH": "HU", "LL": "IL", "LZ": "SK", "LK": "CZ", "LT": "TR", "LF": "FR",
    "LI": "IT", "LE": "ES", "LQ": "BA", "BK": "XK", "UG": "GE", "UK": "UA", "UU": "RU", "UW": "RU", "HE": "EG",
    "HK": "KE", "HR": "RW", "HA": "ET", "HT": "TZ", "HU": "UG", "HC": "SO", "HB": "BI", "OJ": "JO", "OY": "YE",
    "OL": "LB", "OR": "IQ", "OA": "AF", "OP": "PK", "OM": "AE", "DN": "NG", "DI": "CI", "DG": "GH", "DR": "NE",
    "DX": "TG", "DA": "DZ", "DF": "BF", "GL": "LR", "GV": "CV", "GU": "GN", "GA": "ML", "GB": "GM", "GQ": "MR",
    "GO": "SN", "GF": "SL", "GM": "MA", "FZ": "CD", "FK": "CM", "FO": "GA", "FL": "ZM", "FW": "MW", "FT": "TD",
    "FG": "GQ", "FV": "ZW", "FA": "ZA", "FC": "CG", "FY": "NA", "VC": "LK", "VV": "VN", "VD": "KH", "VG": "BD",
    "VN": "NP", "VI": "IN", "VY": "MM", "VT": "TH", "RJ": "JP", "RP": "PH", "RC": "TW", "ZB": "CN", "ZS": "CN",
    "YS": "AU", "NZ": "NZ", "NF": "TO", "NS": "WS", "PK": "MH",
}
AIRPORT_COUNTRY = {
    "HSSJ": "SS",  # Juba: South Sudan
    "HSSS": "SD",  # Khartoum: Sudan
    "UTDD": "TJ",  # Dushanbe: Tajikistan
    "UTTT": "UZ",  # Tashkent: Uzbekistan
    "LYBE": "RS",  # Belgrade: Serbia
    "LYPG": "ME",  # Podgorica: Montenegro
    "KKBL": "AF",  # "Hamid Karzai International Airport" (Kabul, OAKB), so coded in the file, without coordinates
}


class UnknownAirport(ValueError):
    """An airport code the country table does not cover (a new prefix in the file: add it to :data:`PREFIX`)."""


def country_of(code: str) -> str:
    """The ISO 3166-1 country of an ICAO airport code (see the module's docstring)."""
    if code in AIRPORT_COUNTRY:
        return AIRPORT_COUNTRY[code]
    for prefix in (code[:2], code[:1]):
        if prefix in PREFIX:
            return PREFIX[prefix]
    raise UnknownAirport(f"no country for airport {code!r}: add its ICAO prefix to benchmarks/ice_air_data.py")


@dataclass(frozen=True)
class Airport:
    code: str
    name: str
    latitude: float | None  # None where the file gives none (KKBL)
    longitude: float | None
    country: str


def load_airports(path: Path = AIRPORTS) -> dict[str, Airport]:
    with path.open(encoding="utf-8") as f:
        return {
            r["AirportCode"]: Airport(r["AirportCode"], r["AirportName"].strip(), _degrees(r["Latitude"]),
                                      _degrees(r["Longitude"]), country_of(r["AirportCode"]))
            for r in csv.DictReader(f)
        }


def _degrees(text: str) -> float | None:
    return float(text) if text.strip() else None


UNKNOWN_BLOCK_MINUTES = 14 * 60  # an airport without coordinates: a long-haul flight


def flight_minutes(a: Airport, b: Airport) -> int:
    """Block time: great-circle distance at 750 km/h, plus 30 minutes on the ground."""
    if a.latitude is None or a.longitude is None or b.latitude is None or b.longitude is None:
        return UNKNOWN_BLOCK_MINUTES
    la, lb = math.radians(a.latitude), math.radians(b.latitude)
    dlon = math.radians(b.longitude - a.longitude)
    cos = math.sin(la) * math.sin(lb) + math.cos(la) * math.cos(lb) * math.cos(dlon)
    km = 6371 * math.acos(max(-1.0, min(1.0, cos)))
    return 30 + round(km / 750 * 60)


@dataclass(frozen=True)
class RouteDay:
    row: int  # the file's own row index (its first, unnamed column): a stable id
    date: date
    kind: str  # R, T (and, in other years, Ineligible or No-show)
    origin: str
    destination: str
    people: int

    @property
    def label(self) -> str:
        return f"{self.date.isoformat()} {self.kind} {self.origin}->{self.destination} ({self.people})"


@dataclass(frozen=True)
class Selection:
    """Which route-days to replay: ``year``, ``month`` (YYYY-MM) or ``day`` (YYYY-MM-DD), at most ``limit`` of
    them (the first in the file's order), each cut to at most ``cap`` people."""

    year: int | None = None
    month: str | None = None
    day: str | None = None
    limit: int | None = None
    cap: int | None = None

    def wants(self, when: str) -> bool:
        if self.day is not None:
            return when == self.day
        if self.month is not None:
            return when.startswith(self.month)
        return self.year is None or when.startswith(f"{self.year:04d}")

    def describe(self) -> str:
        what = self.day or self.month or (str(self.year) if self.year is not None else "the whole file")
        if self.limit is not None:
            what += f", first {self.limit} route-days"
        if self.cap is not None:
            what += f", at most {self.cap} people each"
        return what


def route_days(selection: Selection, path: Path = FLIGHTS) -> list[RouteDay]:
    """The selected route-days in the file's order (by mission date). A year is about 7,000 small tuples; the
    people are made one batch at a time, never all at once."""
    out: list[RouteDay] = []
    with path.open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if not selection.wants(r["MissionDate"]):
                continue
            people = int(r["AlienMasterID"])
            if selection.cap is not None:
                people = min(people, selection.cap)
            out.append(RouteDay(int(r[""]), date.fromisoformat(r["MissionDate"]), r["R-T"], r["PULOC"],
                                r["DropLoc"], people))
            if selection.limit is not None and len(out) >= selection.limit:
                break
    out.sort(key=lambda d: (d.date, d.row))
    return out


def by_date(days: Iterable[RouteDay]) -> Iterator[list[RouteDay]]:
    """The route-days grouped by mission date, in date order."""
    groups: dict[date, list[RouteDay]] = defaultdict(list)
    for d in days:
        groups[d.date].append(d)
    for when in sorted(groups):
        yield groups[when]


@dataclass(frozen=True)
class Peaks:
    """The most people any one day stages at each pick-up airport and receives at each drop-off: what the
    facilities there must hold (every batch is one mission date, and yesterday's arrivals have moved on)."""

    staged: dict[str, int]
    received: dict[str, int]


def peaks(days: Iterable[RouteDay]) -> Peaks:
    staged: Counter[str] = Counter()
    received: Counter[str] = Counter()
    for group in by_date(days):
        out: Counter[str] = Counter()
        into: Counter[str] = Counter()
        for d in group:
            out[d.origin] += d.people
            into[d.destination] += d.people
        for a, n in out.items():
            staged[a] = max(staged[a], n)
        for a, n in into.items():
            received[a] = max(received[a], n)
    return Peaks(dict(staged), dict(received))


def warm_up_days(before: date, count: int = 3, people: int = 2, path: Path = FLIGHTS) -> list[RouteDay]:
    """The first ``count`` route-days of the last mission date before ``before``, ``people`` each: what the
    replay records (untimed) before the slice, so the slice's first date finds imports and caches warm."""
    latest: date | None = None
    rows: list[RouteDay] = []
    with path.open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            when = date.fromisoformat(r["MissionDate"])
            if when >= before:
                continue
            if latest is None or when > latest:
                latest, rows = when, []
            if when == latest and len(rows) < count:
                rows.append(RouteDay(int(r[""]), when, r["R-T"], r["PULOC"], r["DropLoc"],
                                     min(people, int(r["AlienMasterID"]))))
    return rows

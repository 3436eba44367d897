"""The world the ICE Air replay runs in: one agency a country, officers with real Ed25519 keys at every airport,
a staging facility near each pick-up airport and a receiving facility at each drop-off (units sized from the
data), an agreement with every state people are removed to, and the two packs the shipped one does not cover.

Who does what (the same rule for every route-day):
- the pick-up country's agency stages the people near the airport (ICE, for every pick-up in the US), and its
  escort officer at that airport flies with them;
- the drop-off country's agency receives them on the apron (its officer at that airport signs the receipt) and
  admits them at its receiving facility there (its intake officer). A US→US route-day is a transfer inside ICE:
  the escort officer of the pick-up airport hands over to ICE's officer at the drop-off, on the same dual-signed
  receipt a removal gets.

Everything here is synthetic and says so: agencies other than ICE are "the migration authority of <country>",
facilities are named for the airport they serve, officers are numbered, and every unit is 340 m² for 100 beds
(ICRC's 3.4 m² a person, the shipped pack's standard).

Packs. The deployment's pack is the shipped ``us-federal``, unchanged: it clears every removal from the US.
It cannot clear a transfer inside the US: ``agreement_covers`` needs an agreement with the destination state
(an agreement cannot name the same state twice) and ``removal_authority_valid_for_destination`` an order
naming it. A deployment picks a pack by the leg's origin country only (:class:`habeas.gates.policy.Packs`), so
one door cannot clear US→abroad with one pack and US→US with another. The replay therefore clears US→US
manifests through a second door over the same ledger (:func:`habeas.bootstrap.wire`), whose pack is
:data:`DOMESTIC_PACK` (each gate result records which pack and its hash). The few legs that pick people up
abroad (12 of 2012's 7,135 route-days: people flown back to the US) are cleared by :data:`RETURNS_PACK`, a
second pack of the deployment for the countries they depart from, as habeas intends.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pycountry

from benchmarks.ice_air_data import Airport, Peaks
from habeas.domain import commands as c
from habeas.domain.actors import SYSTEM_CALLER, Caller
from habeas.domain.agreements import Agreement, RecordAgreement
from habeas.domain.custody import Custodian
from habeas.domain.facilities import AgeGroup, DetentionCategory, Separation
from habeas.domain.people import Sex
from habeas.domain.periods import Period
from habeas.services.keys import OfficerKey, new_officer_key

US = "US"
SETUP_AT = datetime(2009, 10, 1, tzinfo=UTC)  # before the file's first mission date
AGREEMENTS_END = datetime(2019, 1, 1, tzinfo=UTC)  # after its last
UNIT_AREA_M2 = Decimal(340)  # ICRC: 3.4 m² a person, so 100 people a unit
UNIT_BEDS = 100
SPARE_UNITS = 1
REMOVAL_BASIS = "ina_240_final_order"  # a final order of an immigration judge
DETENTION_BASIS = "ina_241"  # detention for removal
TRANSFER_BASIS = "ina_236"  # detention pending a decision: held, moved between ICE facilities
ONWARD_BASIS = "held_for_onward_flight"  # abroad: held by the pick-up country's agency for the flight
MEN = Separation(sex=Sex.MALE, categories=(DetentionCategory.MIGRATION,), age_group=AgeGroup.ADULT)

_PACK_PARAMETERS = """\
parameters:  # the parameters of gates this pack does not run are stated too: every pack states them all
  min_notice_hours: 0
  notice_languages: understood
  notice_content_types: [removal_order, transfer]
  copy_notice_to_counsel: false
  consular_mandatory_nationalities: []
  capacity_standard: icrc  # as us-federal's: intake places people by the same standard
  agreement_required: false
  require_final_order: false
"""
DOMESTIC_PACK = "ice-air-domestic"
DOMESTIC_PACK_TEXT = f"""\
# Policy pack for the ICE Air benchmark's transfers inside the US (written by benchmarks/ice_air.py; not shipped).
# A transfer between two ICE facilities is not a removal: no order naming a country, no agreement with a
# receiving state. What still holds: who the person is, no court order that covers them, fit to travel, room at
# the destination.
name: {DOMESTIC_PACK}
description: ICE Air benchmark, transfers between US facilities (synthetic).
gates: [identity_verified, no_court_order_covering, fit_to_travel, destination_capacity]
{_PACK_PARAMETERS}"""
RETURNS_PACK = "ice-air-returns"


def returns_pack_text(countries: Iterable[str]) -> str:
    """The pack for legs that pick people up abroad (a return to the US, an onward leg of an escorted removal)."""
    listed = ", ".join(sorted(set(countries)))
    return f"""\
# Policy pack for the ICE Air benchmark's legs that pick people up outside the US (not shipped).
name: {RETURNS_PACK}
jurisdictions: [{listed}]
description: ICE Air benchmark, legs departing from {listed} (synthetic).
gates: [identity_verified, no_court_order_covering, fit_to_travel, destination_capacity]
{_PACK_PARAMETERS}"""


def write_packs(folder: Path, foreign_origins: Iterable[str]) -> tuple[Path, Path | None]:
    """The domestic pack, and the returns pack if any leg departs from abroad."""
    domestic = folder / f"{DOMESTIC_PACK}.yaml"
    domestic.write_text(DOMESTIC_PACK_TEXT, encoding="utf-8")
    origins = sorted(set(foreign_origins))
    if not origins:
        return domestic, None
    returns = folder / f"{RETURNS_PACK}.yaml"
    returns.write_text(returns_pack_text(origins), encoding="utf-8")
    return domestic, returns


# -- who is who ------------------------------------------------------------------------------------------------


def agency_id(country: str) -> str:
    return "agency-us-ice" if country == US else f"agency-{country.lower()}-migration"


def country_name(country: str) -> str:
    found = pycountry.countries.get(alpha_2=country)
    return found.name if found is not None else country  # XK (Kosovo) is not in ISO 3166-1 proper


def agency_name(country: str) -> str:
    if country == US:
        return "U.S. Immigration and Customs Enforcement"
    return f"Migration authority of {country_name(country)} (synthetic)"


def coordinator(country: str) -> Caller:
    """The agency's transfer coordinator: registers people and their records, draws up and clears manifests."""
    return Caller(agency=agency_id(country), officer=f"o-{country.lower()}-coord")


def escort(a: Airport) -> Caller:
    """The agency's officer at an airport: stages and escorts people leaving it, receives people arriving."""
    return Caller(agency=agency_id(a.country), officer=f"o-{a.code.lower()}-esc")


def intake_officer(a: Airport) -> Caller:
    """The intake officer of the receiving facility at an airport."""
    return Caller(agency=agency_id(a.country), officer=f"o-{a.code.lower()}-int")


def custodian(who: Caller) -> Custodian:
    return Custodian(agency_id=who.agency, officer_id=who.officer)


def staging_facility(a: Airport) -> str:
    return f"f-{a.code.lower()}-stage"


def receiving_facility(a: Airport) -> str:
    return f"f-{a.code.lower()}-recv"


def unit_id(facility_id: str, n: int) -> str:
    return f"{facility_id}-u{n:02d}"


def units_for(people: int) -> int:
    return math.ceil(people / UNIT_BEDS) + SPARE_UNITS


def agreement_id(country: str) -> str:
    return f"ag-us-{country.lower()}"


# -- the world as commands ---------------------------------------------------------------------------------


@dataclass
class World:
    """The airports the slice uses and the officers' keys (generated on each run, never stored)."""

    airports: dict[str, Airport]
    peaks: Peaks
    officers: dict[str, tuple[Caller, str]]  # officer id: (the officer as a caller, their role)
    keys: dict[str, OfficerKey]

    @property
    def countries(self) -> list[str]:
        return sorted({a.country for a in self.airports.values()} | {US})

    def removal_destinations(self) -> list[str]:
        """The states people are removed to from the US (each needs an agreement under us-federal)."""
        origins = {self.airports[a].country for a in self.peaks.staged}
        if US not in origins:
            return []
        return sorted({self.airports[a].country for a in self.peaks.received} - {US})


def make_world(airports: dict[str, Airport], peaks: Peaks) -> World:
    used = {code: airports[code] for code in sorted({*peaks.staged, *peaks.received})}
    officers = [(coordinator(cc), "transfer_coordinator") for cc in sorted({a.country for a in used.values()} | {US})]
    for a in used.values():
        officers += [(escort(a), "escort_officer"), (intake_officer(a), "intake_officer")]
    return World(used, peaks, {o.officer: (o, role) for o, role in officers},
                 {o.officer: new_officer_key(o.officer) for o, _ in officers})


def _facility(
    facility_id: str, *, name: str, a: Airport, kind: str, people: int, by: Caller
) -> list[tuple[c.Command, Caller]]:
    items: list[tuple[c.Command, Caller]] = [(c.RegisterFacility(
        facility_id=facility_id, occurred_at=SETUP_AT, name=name, country=a.country, facility_type=kind,
        operating_agency_id=by.agency, code=a.code, declared_capacity=units_for(people) * UNIT_BEDS,
    ), by)]
    items += [(c.RegisterUnit(
        unit_id=unit_id(facility_id, n), facility_id=facility_id, occurred_at=SETUP_AT, label=f"Dormitory {n + 1}",
        floor_area_m2=UNIT_AREA_M2, declared_beds=UNIT_BEDS, separation=MEN,
    ), by) for n in range(units_for(people))]
    return items


def setup_commands(world: World) -> list[tuple[c.Command, Caller]]:
    """Agencies (by the deployment's operator), officers with their public keys, facilities and units, and the
    agreements us-federal asks for: one transaction."""
    items: list[tuple[c.Command, Caller]] = [
        (c.RegisterAgency(agency_id=agency_id(cc), occurred_at=SETUP_AT, name=agency_name(cc), country=cc,
                          kind="immigration"), SYSTEM_CALLER)
        for cc in world.countries
    ]
    for officer_id, (who, role) in world.officers.items():
        items.append((c.RegisterOfficer(
            officer_id=officer_id, agency_id=who.agency, occurred_at=SETUP_AT, role=role,
            name=f"SYNTHETIC {role.replace('_', ' ')} {officer_id}", public_key=world.keys[officer_id].public_key,
        ), who))
    for code, people in sorted(world.peaks.staged.items()):
        a = world.airports[code]
        items += _facility(staging_facility(a), name=f"Staging, near {a.name} (synthetic)", a=a, kind="staging",
                           people=people, by=escort(a))
    for code, people in sorted(world.peaks.received.items()):
        a = world.airports[code]
        items += _facility(receiving_facility(a), name=f"Receiving facility, {a.name} (synthetic)", a=a,
                           kind="reception", people=people, by=intake_officer(a))
    for cc in world.removal_destinations():
        items.append((RecordAgreement(occurred_at=SETUP_AT, agreement=Agreement(
            agreement_id=agreement_id(cc), sending_state=US, receiving_state=cc,
            term=Period(active_from=SETUP_AT, active_to=AGREEMENTS_END),
            categories=(REMOVAL_BASIS, DETENTION_BASIS), per_diem=Decimal(0), currency="USD",
        )), coordinator(US)))
    return items

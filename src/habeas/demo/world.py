"""The fixed world of the seed operation: agencies, officers, facilities and their units, and the timeline.

Public, non-personal figures only, hardcoded so the demo never reads anything at run time:

- the US facility is a real entry of ICE's Facility List Report of 2017-11-06 (released under FOIA, published
  by the National Immigrant Justice Center): DETLOC ``PIC``, Port Isabel Service Processing Center, 27991 Buena
  Vista Boulevard, Los Fresnos, TX 78566, type SPC, capacity 1,175. The register gives no floor areas, so the
  four housing units below (areas and beds adding up to that capacity) are illustrative;
- the mega-prison is modelled from public figures: 8 blocks of 32 cells of about 100 m², 80 bunks a cell,
  declared capacity 40,000. Each block is one unit of 3,200 m² and 2,560 bunks.

Officers and their names are invented (labelled synthetic); their Ed25519 keys are generated on each run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from habeas.domain.actors import Actor
from habeas.domain.facilities import AgeGroup, DetentionCategory, Separation
from habeas.domain.people import Sex


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# -- the timeline (UTC; the flight left Texas on the Saturday evening, local time UTC-5) ------------------------
# The demo serves every notice eight days before wheels-up (the us-federal pack asks for 168 hours), so that the
# gates pass for everyone the records allow to go, and what they block is blocked for a recorded reason.
SETUP_AT = utc(2025, 3, 1, 12)
STAGED_AT = utc(2025, 3, 6, 15)  # admitted at the Texas staging facilities
DESIGNATED_AT = utc(2025, 3, 7, 13)  # wartime-powers designations
NOTICES_AT = utc(2025, 3, 7, 14)  # notices served (in Spanish), consular notification offered
FITNESS_AT = utc(2025, 3, 14, 16)  # fitness to travel assessed at the staging facilities
MANIFEST_AT = utc(2025, 3, 14, 18)  # the charter's manifest drawn up, with one alternate
CLEAR_AT = utc(2025, 3, 15, 12)  # first clearance; the alternate is promoted an hour later
DISTRICT_ORDER_AT = utc(2025, 3, 15, 16)  # a district court's class order, before departure
BOARDING_AT = utc(2025, 3, 15, 20, 30)
DEPARTS_AT = utc(2025, 3, 15, 21, 25)  # wheels up, Harlingen
ORAL_TRO_AT = utc(2025, 3, 15, 22, 45)  # "turn the planes around"
WRITTEN_TRO_AT = utc(2025, 3, 15, 23, 26)
ARRIVES_AT = utc(2025, 3, 16, 3, 30)  # on the apron in San Salvador
HANDOVER_AT = utc(2025, 3, 16, 4, 0)
HOLDING_AT = utc(2025, 3, 16, 4, 30)  # taken into the airport holding area by the receiving agency
BUSES_MANIFEST_AT = utc(2025, 3, 16, 4, 35)  # a ground-leg manifest per armoured bus
BUSES_CLEAR_AT = utc(2025, 3, 16, 4, 40)
BUSES_BOARDING_AT = utc(2025, 3, 16, 4, 45)
BUSES_DEPART_AT = utc(2025, 3, 16, 4, 55)  # the convoy leaves the airport
BUSES_ARRIVE_AT = utc(2025, 3, 16, 5, 50)  # at CECOT, Tecoluca
INTAKE_AT = utc(2025, 3, 16, 6, 0)  # after the armoured buses
RETURNED_AT = utc(2025, 3, 16, 9, 30)  # the people the order covers, flown back: at Port Isabel again

# -- agencies -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgencySpec:
    agency_id: str
    name: str
    country: str
    kind: str


US_AGENCY = AgencySpec("agency-us-ice", "U.S. Immigration and Customs Enforcement", "US", "immigration")
SV_AGENCY = AgencySpec("agency-sv-dgcp", "Dirección General de Centros Penales (El Salvador)", "SV", "prisons")
AGENCIES = (US_AGENCY, SV_AGENCY)

# -- officers (synthetic) -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OfficerSpec:
    officer_id: str
    agency: AgencySpec
    role: str
    name: str

    @property
    def actor(self) -> Actor:
        return Actor(officer=self.officer_id, agency=self.agency.agency_id)


COORDINATOR = OfficerSpec("officer-us-0007", US_AGENCY, "transfer_coordinator", "SYNTHETIC transfer coordinator")
LEGAL = OfficerSpec("officer-us-0012", US_AGENCY, "legal_officer", "SYNTHETIC legal officer")
ESCORT = OfficerSpec("officer-us-0031", US_AGENCY, "escort_officer", "SYNTHETIC flight escort officer")
SV_ESCORT = OfficerSpec("officer-sv-0002", SV_AGENCY, "escort_officer", "SYNTHETIC receiving officer, airport")
INTAKE = OfficerSpec("officer-sv-0004", SV_AGENCY, "intake_officer", "SYNTHETIC intake officer")
BUSES = 5  # armoured buses from the airport to CECOT, each its own ground leg with its own manifest
BUS_ESCORTS = tuple(
    OfficerSpec(f"officer-sv-{11 + b:04d}", SV_AGENCY, "escort_officer", f"SYNTHETIC escort officer, bus {b + 1}")
    for b in range(BUSES)
)
OFFICERS = (COORDINATOR, LEGAL, ESCORT, SV_ESCORT, INTAKE, *BUS_ESCORTS)

# -- facilities and units -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitSpec:
    unit_id: str
    label: str
    floor_area_m2: Decimal
    declared_beds: int
    separation: Separation


@dataclass(frozen=True)
class FacilitySpec:
    facility_id: str
    name: str
    country: str
    facility_type: str
    agency: AgencySpec
    declared_capacity: int | None
    units: tuple[UnitSpec, ...]
    code: str | None = None
    address: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    source: str = ""


_MIGRATION = Separation(sex=Sex.MALE, categories=(DetentionCategory.MIGRATION,), age_group=AgeGroup.ADULT)
_PRISON = Separation(
    sex=Sex.MALE, categories=(DetentionCategory.UNTRIED, DetentionCategory.CONVICTED), age_group=AgeGroup.ADULT
)
# Blocks 3 and 4 are set aside for the people transferred under the arrangement, held for migration reasons and
# apart from convicted prisoners (Mandela rule 11); the rest hold untried and convicted prisoners.
MIGRATION_BLOCKS = frozenset({3, 4})

WILLACY = FacilitySpec(
    facility_id="us-ice-wcrdftx",
    name="Willacy County Regional Detention Facility",
    country="US",
    facility_type="USMS IGA",
    agency=US_AGENCY,
    declared_capacity=None,
    code="WCRDFTX",
    address="1601 Buffalo Drive",
    city="Raymondville",
    region="TX",
    postal_code="78580",
    units=(UnitSpec("housing-w", "Housing W (illustrative area)", Decimal(400), 100, _MIGRATION),),
    source="ICE Facility List Report 2017-11-06: DETLOC WCRDFTX, capacity 'as needed'",
)

PORT_ISABEL = FacilitySpec(
    facility_id="us-ice-pic",
    name="Port Isabel Service Processing Center",
    country="US",
    facility_type="SPC",
    agency=US_AGENCY,
    declared_capacity=1175,
    code="PIC",
    address="27991 Buena Vista Boulevard",
    city="Los Fresnos",
    region="TX",
    postal_code="78566",
    units=tuple(
        UnitSpec(f"housing-{x.lower()}", f"Housing {x} (illustrative area)", Decimal(1200), beds, _MIGRATION)
        for x, beds in (("A", 294), ("B", 294), ("C", 294), ("D", 293))
    ),
    source="ICE Facility List Report 2017-11-06 (FOIA, NIJC): DETLOC PIC, capacity 1,175",
)

BLOCKS = 8
CELLS_PER_BLOCK = 32
CELL_AREA_M2 = Decimal(100)
BUNKS_PER_CELL = 80

MEGA_PRISON = FacilitySpec(
    facility_id="sv-dgcp-cecot",
    name="Centro de Confinamiento del Terrorismo (CECOT)",
    country="SV",
    facility_type="maximum_security_prison",
    agency=SV_AGENCY,
    declared_capacity=40_000,
    city="Tecoluca",
    region="San Vicente",
    units=tuple(
        UnitSpec(
            f"block-{b}",
            f"Block {b} ({CELLS_PER_BLOCK} cells of {CELL_AREA_M2} m²)",
            CELLS_PER_BLOCK * CELL_AREA_M2,
            CELLS_PER_BLOCK * BUNKS_PER_CELL,
            _MIGRATION if b in MIGRATION_BLOCKS else _PRISON,
        )
        for b in range(1, BLOCKS + 1)
    ),
    source="public figures: 8 blocks × 32 cells of about 100 m², 80 bunks a cell, declared 40,000",
)
AIRPORT_HOLDING = FacilitySpec(
    facility_id="sv-dgcp-mslp-hold",
    name="Holding area, San Salvador international airport (MSLP)",
    country="SV",
    facility_type="airport_holding_area",
    agency=SV_AGENCY,
    declared_capacity=None,
    city="San Luis Talpa",
    region="La Paz",
    units=(UnitSpec("apron-hold", "Apron holding area (illustrative area)", Decimal(1000), 290, _MIGRATION),),
    source="illustrative: where the receiving agency holds the people between the handoff and the buses",
)
FACILITIES = (WILLACY, PORT_ISABEL, AIRPORT_HOLDING, MEGA_PRISON)

# -- the legal bases and records the operation rests on ------------------------------------------------------

WARTIME_BASIS = "aea_proclamation_2025"
WARTIME_AUTHORITY = "Presidential proclamation invoking the Alien Enemies Act (50 U.S.C. 21)"
ORDINARY_BASIS = "ina_240_final_order"
ORDINARY_AUTHORITY = "Immigration judge (EOIR), removal proceedings"
TRANSFER_BASIS = "us_sv_arrangement_2025"  # the bilateral arrangement under which the receiving state holds them

AIR_LEG = "leg-hrl-sal-air"  # the charter flight, Harlingen to San Salvador
MANIFEST = "mf-hrl-sal-0315"
BUS_LEGS = tuple(f"leg-mslp-cecot-bus-{b + 1}" for b in range(BUSES))  # the ground legs, one per bus
BUS_MANIFESTS = tuple(f"mf-mslp-cecot-0316-b{b + 1}" for b in range(BUSES))
GROUND_PACK = "sv-dgcp-ground"  # the receiving state's pack for its domestic leg, written into the demo folder
JOURNEY = "jr-us-sv-0315"
AGREEMENT = "ag-us-sv-2025"
COURT = "U.S. District Court for the District of Columbia"
DOCKET = "1:25-cv-00766"
DISTRICT_COURT = "U.S. District Court for the Southern District of Texas (synthetic order)"
DISTRICT_DOCKET = "1:25-cv-00071 (synthetic)"

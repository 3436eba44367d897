"""A small operation for the stateful test of the whole operation (test_operation_state_machine.py) and the
regressions it found (test_operation_regressions.py).

Two agencies (US, SV), four officers with real Ed25519 keys, a staging facility in Texas and a prison in El
Salvador (units small enough that capacity matters), five people with removal orders to SV, held in Texas, three
legs a manifest each may be drawn up for, and a pack with the gates a record can make fail. Every command goes
through the door as the agencies' officers (a :class:`Caller` without a role: the command line acting for an
agency), and the invariants are checked after each step (tests/integration/operation_invariants.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from habeas.domain import commands as c
from habeas.domain.actors import SYSTEM_CALLER, Caller
from habeas.domain.custody import Authority, Custodian
from habeas.domain.errors import DomainError
from habeas.domain.moves import Leg, TransportMode
from habeas.domain.people import Identifier, IdentifierKind, PersonName, Sex
from habeas.domain.periods import Period
from habeas.ledger.note import Signer, generate_signer
from habeas.services.door import Services
from habeas.services.unit_of_work import Result
from tests.integration.operation_invariants import Invariants

T0 = datetime(2025, 3, 1, tzinfo=UTC)  # the world is set up then; each command is a minute after the last
PERIOD = Period(active_from=T0, active_to=T0 + timedelta(days=365))
DEPARTS = T0 + timedelta(days=2)  # every leg's scheduled departure: when clearance evaluates the gates

US, SV = "ag-us", "ag-sv"
LEAD = Caller(agency=US, officer="us-lead")  # drafts and clears manifests, records legal records
ESCORT = Caller(agency=US, officer="us-esc")  # moves people, releases them on a receipt
RECEIVER = Caller(agency=SV, officer="sv-rec")  # receives them on the apron, drives the ground leg
INTAKE = Caller(agency=SV, officer="sv-int")
OFFICERS = (LEAD, ESCORT, RECEIVER, INTAKE)
MOVER = {US: ESCORT, SV: RECEIVER}  # the officer of each agency who moves people
OTHER = {US: SV, SV: US}

PEOPLE = ("p-0", "p-1", "p-2", "p-3", "p-4")
NATIONALITY = {"p-0": "VE", "p-1": "VE", "p-2": "VE", "p-3": "SV", "p-4": "VE"}
BASIS = {p: ("aea_2025" if i % 2 else "ina_241") for i, p in enumerate(PEOPLE)}  # wartime designees: odd ones
# ICRC's 3.4 m² a person (the pack's standard): u-a and u-b hold 4 each, b-1 holds 2 and b-2 holds 3.
UNITS = {("f-tx", "u-a"): "13.60", ("f-tx", "u-b"): "13.60", ("f-sv", "b-1"): "6.80", ("f-sv", "b-2"): "10.20"}
STAGED = {"p-0": "u-a", "p-1": "u-a", "p-2": "u-b", "p-3": "u-b", "p-4": "u-b"}
TRANSFER = Authority(agency_id=SV, legal_basis="us_sv_arrangement")


def _leg(leg_id: str, mode: TransportMode, origin: str, origin_country: str, destination: str) -> Leg:
    return Leg(
        leg_id=leg_id, mode=mode, carrier="synthetic carrier", vehicle=leg_id.upper(), origin=origin,
        origin_country=origin_country, destination=destination, destination_country="SV",
        scheduled_departure=DEPARTS, scheduled_arrival=DEPARTS + timedelta(hours=4),
        destination_facility_id="f-sv",
    )


LEGS = {
    "leg-0": _leg("leg-0", TransportMode.AIR, "KHRL", "US", "MSLP"),
    "leg-1": _leg("leg-1", TransportMode.AIR, "KHRL", "US", "MSLP"),
    "leg-2": _leg("leg-2", TransportMode.GROUND, "MSLP", "SV", "f-sv"),
}
MANIFESTS = {"m-0": "leg-0", "m-1": "leg-1", "m-2": "leg-2"}  # one manifest a leg
OWNER = {"m-0": LEAD, "m-1": LEAD, "m-2": RECEIVER}  # who draws each up

PACK = """\
# The stateful test's pack: the gates a record can make fail (identity, the order, protection, stay, court orders).
name: operation-test
gates: [identity_verified, removal_authority_valid_for_destination, no_protection_against_destination,
        no_stay_in_force, no_court_order_covering]
parameters:
  min_notice_hours: 0
  notice_languages: understood
  notice_content_types: [removal_order]
  copy_notice_to_counsel: false
  consular_mandatory_nationalities: []
  capacity_standard: icrc
  agreement_required: false
  require_final_order: true
"""


def write_pack(folder: Path) -> str:
    path = folder / "operation-test.yaml"
    path.write_text(PACK, encoding="utf-8")
    return str(path)


def custodian(caller: Caller) -> Custodian:
    return Custodian(agency_id=caller.agency, officer_id=caller.officer)


def create_manifest(manifest_id: str, at: datetime, people: Sequence[str], alternates: Sequence[str] = ()) -> Any:
    leg = LEGS[MANIFESTS[manifest_id]]
    return c.CreateManifest(
        manifest_id=manifest_id, occurred_at=at, journey_id=f"j-{manifest_id}", leg_index=0, leg=leg,
        people=tuple(people), alternates=tuple(alternates),
    )


class World:
    """The services over a fresh database, the officers' keys, the time of the next command, and the checks."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.keys: dict[str, Signer] = {o.officer: generate_signer(o.officer) for o in OFFICERS}
        self.minute = 0
        self.trace: list[str] = []  # what ran, one line a command: printed with a failing check
        self.checks = Invariants(services, self.trace)

    def now(self) -> datetime:
        self.minute += 1
        return T0 + timedelta(minutes=self.minute)

    def run(self, cmd: Any, caller: Caller) -> Result | DomainError:
        """Execute ``cmd`` as ``caller``; a refusal is a DomainError (anything else fails the test), returned."""
        self.checks.before(cmd)
        try:
            result = self.services.execute(cmd, caller)
        except DomainError as e:
            self.trace.append(f"{_show(cmd)} as {caller.officer}: refused ({type(e).__name__}: {e})")
            return e
        self.trace.append(f"{_show(cmd)} as {caller.officer}")
        return result

    def step(self, cmd: Any, caller: Caller) -> Result | DomainError:
        """:meth:`run`, then every invariant check: one step of a regression, as the state machine takes it."""
        outcome = self.run(cmd, caller)
        self.checks.check()
        return outcome

    def setup(self) -> None:
        """The world, in one batch: agencies (by the operator), officers, facilities and units, people with
        their removal orders, admitted in Texas; manifest m-0 drawn up with three aboard and one alternate."""
        at = T0
        items: list[tuple[Any, Caller]] = [
            (c.RegisterAgency(agency_id=a, occurred_at=at, name=a, country=a[-2:].upper(), kind="immigration"),
             SYSTEM_CALLER)
            for a in (US, SV)
        ]
        items += [(c.RegisterOfficer(officer_id=o.officer, agency_id=o.agency, occurred_at=at, name=o.officer,
                                     role="officer", public_key=self.keys[o.officer].public_key), o) for o in OFFICERS]
        for facility, country, owner in (("f-tx", "US", LEAD), ("f-sv", "SV", INTAKE)):
            items.append((c.RegisterFacility(facility_id=facility, occurred_at=at, name=facility, country=country,
                                             facility_type="detention", operating_agency_id=owner.agency), owner))
            items += [(c.RegisterUnit(unit_id=u, facility_id=f, occurred_at=at, label=u, floor_area_m2=Decimal(area),
                                      declared_beds=10), owner) for (f, u), area in UNITS.items() if f == facility]
        for i, p in enumerate(PEOPLE):
            items += [
                (c.RegisterPerson(person_id=p, occurred_at=at, name=PersonName(given_names=("Synthetic",),
                                  surnames=(f"Person{i}",)), sex=Sex.MALE, nationalities=(NATIONALITY[p],),
                                  identifiers=(Identifier(kind=IdentifierKind.PASSPORT, value=f"PA{i}00",
                                                          country=NATIONALITY[p]),)), LEAD),
                (c.RecordRemovalOrder(order_id=f"ro-{p}", person_id=p, occurred_at=at, authority="IJ",
                                      legal_basis=BASIS[p], destination_country="SV", final=True, period=PERIOD), LEAD),
                (c.AdmitToCustody(person_id=p, occurred_at=at, facility_id="f-tx", unit_id=STAGED[p],
                                  custodian=custodian(ESCORT),
                                  authority=Authority(agency_id=US, legal_basis=BASIS[p], record_id=f"ro-{p}")),
                 ESCORT),
            ]
        items.append((create_manifest("m-0", at, PEOPLE[:3], PEOPLE[3:4]), LEAD))
        self.services.execute_many(items)
        self.trace.append("setup: agencies, officers, f-tx and f-sv, p-0..p-4 staged in Texas, m-0 [p-0 p-1 p-2 | p-3]")
        self.checks.check()

    def close(self) -> None:
        self.checks.close()
        self.services.ledger.engine.dispose()


def _show(cmd: Any) -> str:
    """A command in one line: its type and the fields that say what it is about."""
    keys = ("manifest_id", "person_id", "person_ids", "leg_id", "unit_id", "receipt_id", "order_id", "incident_id",
            "headcount_id", "counted_person_ids", "checkpoint", "corrected_seq", "people", "alternates")
    shown = [f"{k}={getattr(cmd, k)!r}" for k in keys if getattr(cmd, k, None) not in (None, ())]
    admission = getattr(cmd, "admission", None)
    if admission is not None:
        shown.append(f"person_id={admission.person_id!r}")
    return f"{type(cmd).__name__}({', '.join(shown)})"


"""The seed operation as commands: every entry is decided by the domain and recorded by the real handlers.

261 synthetic people (238 Venezuelan, 23 Salvadoran) are registered with their identifiers, the allegations
against them, the few convictions, their removal orders and one protection; staged at two Texas facilities,
served notices, put on a manifest that is cleared against the shipped us-federal policy pack, flown to San
Salvador, counted at every checkpoint; those a court order does not require back are handed over on a receipt
both officers sign (the others are flown back), taken by the receiving
agency into its airport holding area, driven to the mega-prison in armoured buses (one ground leg and manifest
per bus, cleared against a domestic pack the demo writes into its folder: identity and capacity only; counted at
boarding, arrival and intake against each bus's manifest) and admitted there. On the way the system catches,
in order: the protected alternate promoted onto the manifest
(blocked, struck); a district court's class order before departure (those it covers blocked, struck, held); the
class TRO after departure (a return-required alert that stops the handoff of the 125 it covers: the plane
returns with them); one person missing at the arrival count (an incident that blocks closing the manifest).

This module is what the CLI runs; the steps live beside their part of the story: :mod:`~habeas.demo.records`
(the world, the people's records, staging, notices), :mod:`~habeas.demo.flight` (the air leg, catches 1 to 4),
:mod:`~habeas.demo.handover` (catches 3 continued and 5, the return, the airport holding area),
:mod:`~habeas.demo.ground` (the buses) and :mod:`~habeas.demo.intake`; :mod:`~habeas.demo.runner` records them
in batches through the door.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from habeas.demo import flight, ground, handover, intake
from habeas.demo import world as w
from habeas.demo.cases import SALVADORANS, VENEZUELANS, Case, cases
from habeas.demo.flight import POLICY_PACK
from habeas.demo.ground import write_ground_pack
from habeas.demo.records import notice, per_person, record_commands, setup_commands, staging_admission
from habeas.demo.runner import Catch, Grouping, Runner, StepLog
from habeas.domain.identity import IdentityWarning
from habeas.services.door import Services
from habeas.services.keys import OfficerKey, new_officer_key
from habeas.services.reports import CustodyRow

__all__ = [
    "POLICY_PACK", "SALVADORANS", "VENEZUELANS", "Catch", "Grouping", "Outcome", "StepLog", "run",
    "write_ground_pack",
]


@dataclass
class Outcome:
    steps: list[StepLog]
    people: int
    warnings: list[IdentityWarning]
    snapshots: list[tuple[str, list[CustodyRow]]]  # custody after each custody step
    catches: list[Catch]
    policy: str
    signers: dict[str, OfficerKey]
    ground_pack: str = ""
    ground_manifests: tuple[str, ...] = ()
    ground_closed: tuple[str, ...] = ()


def _register(r: Runner, people: list[Case], keys: dict[str, OfficerKey]) -> None:
    """The world, everyone's records, staging in Texas, notices and fitness to travel."""
    r.step("register agencies, officers (Ed25519 keys), facilities, units, the US-SV agreement",
           [setup_commands(keys)], shared=True)
    r.step("register people, allegations, convictions, orders, protection", per_person(people, record_commands))
    r.step(f"admit at Port Isabel ({w.PORT_ISABEL.code}) and Willacy County ({w.WILLACY.code}), Texas",
           per_person(people, staging_admission), together=True, snapshot=True)
    r.step("serve notices (8 days ahead, Spanish), offer consular notification, assess fitness to travel",
           per_person(people, notice), together=True)


def run(
    services: Services, *, ground_pack: Path, grouping: Grouping = Grouping.MIXED, seed: int = 2025,
    on_step: Callable[[StepLog], None] | None = None, on_catch: Callable[[Catch], None] | None = None,
) -> Outcome:
    """Run the seed operation through the command handlers, step by step, in the order things happened."""
    r = Runner(services, grouping, on_step=on_step, on_catch=on_catch)
    people = cases(seed)
    keys = {o.officer_id: new_officer_key(o.officer_id) for o in w.OFFICERS}
    _register(r, people, keys)
    aboard, alternate = flight.draw_up(r, people)
    flight.promote_the_alternate(r, alternate)
    flying = flight.order_before_departure(r, aboard)
    flight.depart(r, flying)
    flight.order_in_the_air(r)
    arrived = flight.arrive(r, flying)
    going = handover.hand_over(r, arrived, keys)
    handover.return_the_rest(r, arrived, going)
    handover.admit_to_holding(r, going)
    loads = ground.drive(r, going)
    closed = intake.admit(r, going, loads)
    return Outcome(r.steps, len(people), r.warnings, r.snapshots, r.catches, POLICY_PACK, keys,
                   ground_pack=str(ground_pack), ground_manifests=w.BUS_MANIFESTS, ground_closed=closed)

"""Journeys and their legs: the transport a manifest is for.

A journey is one or more legs in order (air, then ground); each leg has its own manifest
(:mod:`habeas.domain.manifests`). A leg names where it leaves from and goes to as place codes (a facility id,
an airport code), the destination country (what the gates check protections, orders and agreements against)
and, when the leg ends at a facility, that facility (what the capacity gate checks).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from habeas.domain.errors import InvalidField
from habeas.domain.values import require_aware, require_country, require_id, require_text


class TransportMode(StrEnum):
    AIR = "air"
    GROUND = "ground"


@dataclass(frozen=True, kw_only=True)
class Leg:
    """One leg: ``vehicle`` is the flight number (air) or the vehicle's plate or fleet number (ground)."""

    leg_id: str
    mode: TransportMode
    carrier: str
    vehicle: str
    origin: str
    origin_country: str
    destination: str
    destination_country: str
    scheduled_departure: datetime
    scheduled_arrival: datetime
    escort_officer_ids: tuple[str, ...] = ()
    destination_facility_id: str | None = None

    def __post_init__(self) -> None:
        require_id("leg_id", self.leg_id)
        object.__setattr__(self, "mode", TransportMode(self.mode))
        object.__setattr__(self, "carrier", require_text("carrier", self.carrier, max_len=200))
        object.__setattr__(self, "vehicle", require_text("vehicle", self.vehicle, max_len=64))
        require_id("origin", self.origin)
        require_id("destination", self.destination)
        require_country("origin_country", self.origin_country)
        require_country("destination_country", self.destination_country)
        if self.origin == self.destination:
            raise InvalidField("destination", self.destination, "same place as the origin")
        departure = require_aware("scheduled_departure", self.scheduled_departure)
        arrival = require_aware("scheduled_arrival", self.scheduled_arrival)
        if arrival <= departure:
            raise InvalidField("scheduled_arrival", self.scheduled_arrival, "not after the scheduled departure")
        object.__setattr__(self, "scheduled_departure", departure)
        object.__setattr__(self, "scheduled_arrival", arrival)
        for officer_id in self.escort_officer_ids:
            require_id("escort_officer_ids", officer_id)
        if len(set(self.escort_officer_ids)) != len(self.escort_officer_ids):
            raise InvalidField("escort_officer_ids", self.escort_officer_ids, "an officer listed twice")
        if self.destination_facility_id is not None:
            require_id("destination_facility_id", self.destination_facility_id)


def check_journey(legs: Sequence[Leg]) -> tuple[Leg, ...]:
    """Legs chain: each starts where, and not before, the previous one ends; leg ids are distinct."""
    if not legs:
        raise InvalidField("legs", legs, "a journey needs at least one leg")
    if len({leg.leg_id for leg in legs}) != len(legs):
        raise InvalidField("legs", [leg.leg_id for leg in legs], "a leg id used twice")
    for before, after in itertools.pairwise(legs):
        if after.origin != before.destination or after.origin_country != before.destination_country:
            raise InvalidField("legs", after.leg_id, f"does not start where leg {before.leg_id!r} ends")
        if after.scheduled_departure < before.scheduled_arrival:
            raise InvalidField("legs", after.leg_id, f"departs before leg {before.leg_id!r} arrives")
    return tuple(legs)

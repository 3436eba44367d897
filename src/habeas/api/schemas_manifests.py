"""Request and response bodies of moves: journeys, manifests, their gates, and the alerts.

A manifest's body is flat, as `habeas manifest create` takes its options, so a field the domain refuses is named
by the same pointer it came in. A journey's legs are nested: each is checked as a leg while the body is read, so
a bad leg is a 422 pointing at ``legs/<index>``.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from habeas.api.fields import Country, Id, Text
from habeas.api.models import RequestModel
from habeas.domain.errors import InvalidField
from habeas.domain.manifest_events import (
    CancelReason,
    GateCheck,
    GateOutcome,
    HaltReason,
    ReturnReason,
    StrikeReason,
)
from habeas.domain.moves import Leg, TransportMode
from habeas.gates.rules import GateResult
from habeas.services.clearance import Clearance
from habeas.services.manifests import ManifestView

MAX_PEOPLE = 10_000
People = Annotated[list[Id], Field(max_length=MAX_PEOPLE)]


# -- legs, journeys, manifests ---------------------------------------------------------------------------------


class LegFields(RequestModel):
    """One leg: ``vehicle`` is the flight number (air) or the plate or fleet number (ground)."""

    leg_id: Id | None = None
    mode: TransportMode = TransportMode.AIR
    carrier: Annotated[str, Field(min_length=1, max_length=200)]
    vehicle: Annotated[str, Field(min_length=1, max_length=64)]
    origin: Id = Field(description="where the leg leaves from (a facility id, an airport code)")
    origin_country: Country
    destination: Id
    destination_country: Country
    scheduled_departure: AwareDatetime
    scheduled_arrival: AwareDatetime
    escort_officer_ids: list[Id] = Field(default=[], max_length=100)
    destination_facility_id: Id | None = Field(default=None, description="the receiving facility (capacity gate)")

    def leg(self, leg_id: str) -> Leg:
        return Leg(
            leg_id=self.leg_id or leg_id, mode=self.mode, carrier=self.carrier, vehicle=self.vehicle,
            origin=self.origin, origin_country=self.origin_country.upper(), destination=self.destination,
            destination_country=self.destination_country.upper(), scheduled_departure=self.scheduled_departure,
            scheduled_arrival=self.scheduled_arrival, escort_officer_ids=tuple(self.escort_officer_ids),
            destination_facility_id=self.destination_facility_id,
        )


class JourneyLeg(LegFields):
    @model_validator(mode="after")
    def _a_leg(self) -> JourneyLeg:
        # The domain's check, run while the body is read so the error points at this leg, not at a bare field.
        try:
            self.leg("l-check")
        except InvalidField as e:
            raise ValueError(f"{e.field}: {e.reason}") from None
        return self


class JourneyIn(RequestModel):
    """Legs in order (air, then ground); one manifest per leg, each with the same people and alternates."""

    id: Id | None = None
    legs: list[JourneyLeg] = Field(min_length=1, max_length=20)
    manifest_ids: list[Id] | None = Field(default=None, max_length=20, description="default: generated, one a leg")
    people: People = Field(default=[])
    alternates: People = Field(default=[])
    occurred_at: AwareDatetime | None = None


class JourneyWritten(BaseModel):
    id: str
    manifest_ids: list[str]
    seqs: list[int]


class ManifestIn(LegFields):
    """A manifest for one leg of a journey (draft), with the people aboard and the alternates in order."""

    id: Id | None = None
    journey_id: Id
    leg_index: int = Field(default=0, ge=0, le=1000)
    people: People = Field(default=[])
    alternates: People = Field(default=[])
    occurred_at: AwareDatetime | None = None


class At(RequestModel):
    """A transition with nothing to say but when (default now)."""

    occurred_at: AwareDatetime | None = None


class AddPersonIn(At):
    person_id: Id
    alternate: bool = Field(default=False, description="add as an alternate, at the end of the list")


class StrikeIn(At):
    person_id: Id
    reason: StrikeReason
    note: Annotated[str, Field(min_length=1, max_length=500, description="private")] | None = None


class PromoteIn(At):
    person_id: Id | None = Field(default=None, description="the alternate (default: the first in order)")


class ClearIn(At):
    """No pack: the deployment chooses it at start-up (a request naming one is refused as an unknown field)."""


class HandOverIn(At):
    receipt_id: Id | None = Field(default=None, description="the dual-signed handoff receipt")


class HaltIn(At):
    reason: HaltReason
    record_id: Id | None = Field(default=None, description="the record behind it (a court order, a stay)")


class ReturnIn(At):
    reason: ReturnReason
    record_id: Id | None = None


class CancelIn(At):
    reason: CancelReason
    record_id: Id | None = None


# -- answers ---------------------------------------------------------------------------------------------------


class LegOut(BaseModel):
    leg_id: str
    mode: TransportMode
    carrier: str
    vehicle: str
    origin: str
    origin_country: str
    destination: str
    destination_country: str
    scheduled_departure: AwareDatetime
    scheduled_arrival: AwareDatetime
    escort_officer_ids: list[str]
    destination_facility_id: str | None

    @classmethod
    def of(cls, leg: Leg) -> LegOut:
        return cls(
            leg_id=leg.leg_id, mode=leg.mode, carrier=leg.carrier, vehicle=leg.vehicle, origin=leg.origin,
            origin_country=leg.origin_country, destination=leg.destination,
            destination_country=leg.destination_country, scheduled_departure=leg.scheduled_departure,
            scheduled_arrival=leg.scheduled_arrival, escort_officer_ids=list(leg.escort_officer_ids),
            destination_facility_id=leg.destination_facility_id,
        )


class GateCheckOut(BaseModel):
    """One gate's verdict on one person, as the ledger records it; ``rests_on_*`` is the record behind it."""

    gate: str
    outcome: GateOutcome = Field(description="unknown blocks like fail: missing data is not consent")
    reason_code: str
    rests_on_seq: int | None = None
    rests_on_record: str | None = None

    @classmethod
    def of(cls, c: GateCheck) -> GateCheckOut:
        return cls(gate=c.gate, outcome=c.outcome, reason_code=c.reason_code, rests_on_seq=c.rests_on_seq,
                   rests_on_record=c.rests_on_record)


class PersonGatesOut(BaseModel):
    """A person on the manifest and their latest gate results (``gates`` ``not_evaluated`` before clearance)."""

    person_id: str
    role: str = Field(description="aboard, alternate or struck")
    gates: str = Field(description="pass, blocked or not_evaluated")
    seq: int | None = Field(default=None, description="the gate.evaluated entry")
    policy: str | None = None
    evaluated_at: str | None = None
    checks: list[GateCheckOut] = []


class ManifestOut(BaseModel):
    manifest_id: str
    journey_id: str
    leg_index: int
    status: str
    since: str
    seq: int
    updated_seq: int
    cleared_at: str | None
    leg: LegOut
    people: list[str]
    alternates: list[str]
    struck: list[str]
    blocked: list[str] = Field(description="people aboard whom a gate blocks, or who were never evaluated")
    persons: list[PersonGatesOut]

    @classmethod
    def of(cls, v: ManifestView) -> ManifestOut:
        persons = []
        for role, ids in (("aboard", v.people), ("alternate", v.alternates), ("struck", v.struck)):
            for p in ids:
                r = v.results.get(p)
                if r is None:
                    persons.append(PersonGatesOut(person_id=p, role=role, gates="not_evaluated"))
                    continue
                persons.append(PersonGatesOut(
                    person_id=p, role=role, gates="blocked" if r.blocks else "pass", seq=r.seq, policy=r.policy,
                    evaluated_at=r.evaluated_at, checks=[GateCheckOut.of(c) for c in r.checks],
                ))
        return cls(
            manifest_id=v.manifest_id, journey_id=v.journey_id, leg_index=v.leg_index, status=v.status,
            since=v.since, seq=v.seq, updated_seq=v.updated_seq, cleared_at=v.cleared_at, leg=LegOut.of(v.leg),
            people=list(v.people), alternates=list(v.alternates), struck=list(v.struck), blocked=list(v.blocked()),
            persons=persons,
        )


class GateResultOut(GateCheckOut):
    reason: str = Field(description="the reason in words")

    @classmethod
    def of_result(cls, r: GateResult) -> GateResultOut:
        return cls(gate=r.gate.value, outcome=r.outcome, reason_code=r.reason.code, reason=r.reason.text,
                   rests_on_seq=r.rests_on_seq, rests_on_record=r.rests_on_record)


class PersonClearanceOut(BaseModel):
    person_id: str
    blocks: bool
    gates: list[GateResultOut]


class ClearanceOut(BaseModel):
    """Every gate for everyone aboard at the scheduled departure. ``cleared`` is false when anyone is
    blocked: the results are recorded all the same (the reports count failed gates) and ``blocked`` names who."""

    manifest_id: str
    policy: str
    evaluated_at: AwareDatetime
    cleared: bool
    blocked: list[str]
    seqs: list[int]
    results: list[PersonClearanceOut]

    @classmethod
    def of(cls, c: Clearance, seqs: list[int]) -> ClearanceOut:
        return cls(
            manifest_id=c.manifest_id, policy=c.policy, evaluated_at=c.evaluated_at, cleared=c.cleared,
            blocked=list(c.blocked), seqs=seqs,
            results=[
                PersonClearanceOut(person_id=p, blocks=any(r.blocks for r in rs),
                                   gates=[GateResultOut.of_result(r) for r in rs])
                for p, rs in c.results.items()
            ],
        )


class AlertOut(BaseModel):
    """One alert. ``return_required``: a court order or stay reaching people already departed (``person_ids``
    covered, ``undetermined_ids`` for a person to decide); the others (``incident.open``, ``notification.missed``,
    ``intake.capacity_override``, ``facility.over_capacity``) as `habeas alerts` lists them."""

    kind: str
    subject_id: str
    message: str
    seq: int = Field(description="the entry it rests on (0: computed now, from no single entry)")
    manifest_id: str | None = None
    record_id: str | None = None
    record_seq: int | None = None
    person_ids: list[str] = []
    undetermined_ids: list[str] = []
    overridden_ids: list[str] = Field(default=[], description="people an override lets go ahead despite the order")
    raised_at: str | None = None

    def key(self) -> str:
        return f"{self.seq:015d}:{self.kind}:{self.subject_id}"


# -- overrides of return-required alerts ------------------------------------------------------------------------


class OverrideIn(RequestModel):
    """Go ahead with these people although the order requires their return: the deciding officer (of the agency
    holding them) and why. The reason is kept private; the court and each person's counsel are told at once."""

    override_id: Id | None = None
    person_ids: People = Field(min_length=1)
    officer_id: Id
    reason: Text
    occurred_at: AwareDatetime | None = None


class ReturnOverrideOut(BaseModel):
    order_id: str
    overrides: int
    people: int


class ReturnOverridesOut(BaseModel):
    """The public report's count of operations that went ahead although an order required the people's return."""

    overrides: int
    people: int
    orders: list[ReturnOverrideOut]

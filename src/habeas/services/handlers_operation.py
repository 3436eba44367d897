"""Handlers of the headcounts, handoffs, intake, incidents, notifications and agreements commands (issue 4).

The domain's commands for these concepts are plain dataclasses; the ones the services accept are declared here
as :class:`~habeas.domain.commands.Command` subclasses with the same fields (plus what only the services can
supply, such as a handoff receipt's nonce, which is generated here and never taken from the caller).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from habeas.domain import agreements, custody, handoffs, headcounts, incidents, intake, notifications
from habeas.domain import commands as c
from habeas.domain.commands import Command
from habeas.domain.custody import HELD, Authority, Custodian
from habeas.domain.errors import AlreadyExists, DomainError, InvalidField, UnknownRecord
from habeas.domain.events import Event, EventType
from habeas.domain.facilities import AgeGroup, CapacityStandard, computed_capacity
from habeas.domain.incidents import IncidentKind
from habeas.domain.periods import Period
from habeas.ledger.note import ed25519_verify
from habeas.services import state, state_operation
from habeas.services.unit_of_work import Result, UnitOfWork
from habeas.storage.projections_operation import access

DEFAULT_POLICY_PACK = "us-federal"

# -- the commands the services accept --------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RecordHeadcount(headcounts.RecordHeadcount, Command):
    """``expected_person_ids`` ``None``: the people on the manifest (its own stream) are expected."""

    expected_person_ids: tuple[str, ...] | None = None


@dataclass(frozen=True, kw_only=True)
class RecordIncident(incidents.RecordIncident, Command):
    """A death or an escape also changes the custody of each person named who is held here."""


@dataclass(frozen=True, kw_only=True)
class ResolveIncident(incidents.ResolveIncident, Command):
    pass


@dataclass(frozen=True, kw_only=True)
class LogAccess(incidents.LogAccess, Command):
    pass


@dataclass(frozen=True, kw_only=True)
class RecordNotificationSent(notifications.RecordNotificationSent, Command):
    pass


@dataclass(frozen=True, kw_only=True)
class IssueHandoff(Command):
    """A receipt to be signed by both officers; the services add its private nonce (128 random bits)."""

    receipt_id: str
    person_ids: tuple[str, ...]
    releasing: Custodian
    receiving: Custodian
    place_id: str
    country: str
    at: datetime
    authority: Authority
    items: tuple[handoffs.ReceiptItem, ...] = ()
    manifest_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class CompleteHandoff(Command):
    """Both officers' signatures over the receipt's canonical bytes (:func:`habeas.domain.handoffs.sign`)."""

    receipt_id: str
    releasing_signature: bytes
    receiving_signature: bytes


@dataclass(frozen=True, kw_only=True)
class AdmitAtIntake(Command):
    """Rule 7 admission and housing. ``unit_id`` ``None``: the first unit, in registration order, that takes
    the person within computed capacity and separation. ``standard`` ``None``: the policy pack's
    (``HABEAS_POLICY_PACK``, default ``us-federal``)."""

    admission: c.RecordAdmission
    custodian: Custodian
    unit_id: str | None = None
    authority: Authority | None = None
    receipt_id: str | None = None
    override: intake.CapacityOverride | None = None
    age_group: AgeGroup = AgeGroup.ADULT
    standard: CapacityStandard | None = None


@dataclass(frozen=True, kw_only=True)
class RecordAgreement(agreements.RecordAgreement, Command):
    pass


@dataclass(frozen=True, kw_only=True)
class IssueInvoice(Command):
    """Bill the agreement for ``period``: person-days of everyone held in the receiving state's facilities."""

    agreement_id: str
    invoice_id: str
    period: Period


def _domain(cls: type[Any], cmd: Any) -> Any:
    """The domain command a service command extends (same fields; the extras dropped)."""
    return cls(**{f.name: getattr(cmd, f.name) for f in fields(cls)})


# -- handlers --------------------------------------------------------------------------------------------------


def record_headcount(cmd: RecordHeadcount, *, uow: UnitOfWork) -> Result:
    expected: tuple[str, ...] | None = cmd.expected_person_ids
    if expected is None:
        found = state_operation.manifest(uow.conn, cmd.manifest_id)
        expected = None if found is None else found.people
    events = headcounts.record_headcount(
        _domain(headcounts.RecordHeadcount, cmd), expected=expected, now=uow.now,
        already_recorded=state_operation.headcount_exists(uow.conn, cmd.headcount_id),
    )
    if len(events) > 1 and state_operation.incident_exists(uow.conn, events[1].stream):
        raise AlreadyExists("incident", events[1].stream)
    return Result(uow.record(events), value=events[0])


def record_incident(cmd: RecordIncident, *, uow: UnitOfWork) -> Result:
    events = incidents.record_incident(
        _domain(incidents.RecordIncident, cmd), now=uow.now,
        already_recorded=state_operation.incident_exists(uow.conn, cmd.incident_id),
    )
    kind = IncidentKind(cmd.kind)
    if kind in (IncidentKind.DEATH, IncidentKind.ESCAPE):
        for person_id in cmd.person_ids:
            current = state.custody_state(uow.conn, person_id)
            if current.status not in HELD:
                continue  # custody not tracked here: the incident is still recorded
            if kind is IncidentKind.DEATH:
                events += custody.record_death(
                    c.RecordDeath(person_id=person_id, occurred_at=cmd.occurred_at), state=current, now=uow.now
                )
            else:
                events += custody.record_escape(
                    c.RecordEscape(person_id=person_id, occurred_at=cmd.occurred_at), state=current, now=uow.now
                )
    return Result(uow.record(events))


def resolve_incident(cmd: ResolveIncident, *, uow: UnitOfWork) -> Result:
    events = incidents.resolve_incident(
        _domain(incidents.ResolveIncident, cmd), incident=state_operation.incident_state(uow.conn, cmd.incident_id),
        now=uow.now,
    )
    return Result(uow.record(events))


def log_access(cmd: LogAccess, *, uow: UnitOfWork) -> Result:
    if state.person_state(uow.conn, cmd.person_id) is None:
        raise UnknownRecord("person", cmd.person_id)
    if uow.conn.execute(access.select().where(access.c.access_id == cmd.access_id)).first() is not None:
        raise AlreadyExists("access", cmd.access_id)
    return Result(uow.record(incidents.log_access(_domain(incidents.LogAccess, cmd), now=uow.now)))


def record_notification_sent(cmd: RecordNotificationSent, *, uow: UnitOfWork) -> Result:
    events = notifications.record_notification_sent(
        _domain(notifications.RecordNotificationSent, cmd),
        notification=state_operation.notification_status(uow.conn, cmd.notification_id), now=uow.now,
    )
    return Result(uow.record(events))


def issue_handoff(cmd: IssueHandoff, *, uow: UnitOfWork) -> Result:
    """Records the receipt; ``Result.value`` is the :class:`~habeas.domain.handoffs.HandoffReceipt` to sign."""
    receipt = handoffs.HandoffReceipt(
        receipt_id=cmd.receipt_id, person_ids=cmd.person_ids, items=cmd.items, releasing=cmd.releasing,
        receiving=cmd.receiving, place_id=cmd.place_id, country=cmd.country, at=cmd.at, authority=cmd.authority,
        nonce=secrets.token_hex(16), manifest_id=cmd.manifest_id,
    )
    events = handoffs.issue_receipt(
        receipt,
        releasing_officer=state.officer_ref(uow.conn, cmd.releasing.officer_id),
        receiving_officer=state.officer_ref(uow.conn, cmd.receiving.officer_id),
        states={p: state.custody_state(uow.conn, p) for p in cmd.person_ids},
        already_issued=state_operation.receipt_event(uow.conn, cmd.receipt_id) is not None,
        now=uow.now,
    )
    return Result(uow.record(events), value=receipt)


def complete_handoff(cmd: CompleteHandoff, *, uow: UnitOfWork) -> Result:
    """Both signatures checked against the officers' *registered* keys; then custody passes for everyone on
    the receipt, and family (and counsel of record) are due to be told of the transfer."""
    issued = state_operation.receipt_event(uow.conn, cmd.receipt_id)
    if issued is None:
        raise UnknownRecord("handoff receipt", cmd.receipt_id)
    receipt = handoffs.receipt_from_event(issued)
    releasing_key = state_operation.officer_key(uow.conn, receipt.releasing.officer_id)
    receiving_key = state_operation.officer_key(uow.conn, receipt.receiving.officer_id)
    if releasing_key is None:
        raise UnknownRecord("officer", receipt.releasing.officer_id)
    if receiving_key is None:
        raise UnknownRecord("officer", receipt.receiving.officer_id)
    events = handoffs.complete_handoff(
        receipt,
        releasing_sig=cmd.releasing_signature,
        receiving_sig=cmd.receiving_signature,
        releasing_key=releasing_key,
        receiving_key=receiving_key,
        verify=ed25519_verify,
        states={p: state.custody_state(uow.conn, p) for p in receipt.person_ids},
        receiving_officer=state.officer_ref(uow.conn, receipt.receiving.officer_id),
        already_completed=state_operation.handoff_completed(uow.conn, cmd.receipt_id),
        now=uow.now,
    )
    policy = notifications.NotificationPolicy()
    for person_id in receipt.person_ids:
        events += notifications.transfer_notifications(
            person_id, transferred_at=receipt.at, related_id=receipt.receipt_id, policy=policy,
            has_counsel=state_operation.has_record(uow.conn, EventType.COUNSEL_RECORDED, person_id),
        )
    return Result(uow.record(events), value=receipt)


def admit_at_intake(cmd: AdmitAtIntake, *, uow: UnitOfWork) -> Result:
    """``Result.value`` is the unit id chosen; an override, when used, is recorded and reported."""
    adm = cmd.admission
    if not state.record_exists(uow.conn, EventType.FACILITY_REGISTERED, adm.facility_id):
        raise UnknownRecord("facility", adm.facility_id)
    standard = cmd.standard or state_operation.capacity_standard(
        os.environ.get("HABEAS_POLICY_PACK", DEFAULT_POLICY_PACK)
    )
    person = state.person_state(uow.conn, adm.person_id)
    occupant = state_operation.occupant(uow.conn, adm.person_id, age_group=cmd.age_group)
    if cmd.unit_id is None:
        unit = _choose_unit(uow, occupant, adm.facility_id, standard)
    else:
        found = state_operation.unit_occupancies(uow.conn, adm.facility_id, only=cmd.unit_id)
        if not found:
            raise UnknownRecord("unit", f"{adm.facility_id}/{cmd.unit_id}")
        unit = found[0]
    events = intake.admit_at_intake(
        intake.AdmitAtIntake(
            admission=adm, unit_id=unit.unit_id, custodian=cmd.custodian, authority=cmd.authority,
            receipt_id=cmd.receipt_id, override=cmd.override,
        ),
        person=person, occupant=occupant, unit=unit, state=state.custody_state(uow.conn, adm.person_id),
        officer=state.officer_ref(uow.conn, cmd.custodian.officer_id), standard=standard, now=uow.now,
        already_recorded=state.record_exists(uow.conn, EventType.PERSON_ADMISSION_RECORDED, adm.admission_id),
    )
    overridden = [e for e in events if isinstance(e, intake.IntakeCapacityOverride)]
    return Result(uow.record(events), warnings=list(overridden), value=unit.unit_id)


def _choose_unit(
    uow: UnitOfWork, occupant: intake.Occupant, facility_id: str, standard: CapacityStandard
) -> intake.UnitOccupancy:
    """The domain's :func:`~habeas.domain.intake.choose_unit`, unit by unit in registration order. A unit
    already full is refused on its headcount alone, so who is in it is loaded only where there is room: a
    large prison's intake stays linear in the size of one unit, not of the facility."""
    reasons: list[DomainError] = []
    counts = state_operation.unit_counts(uow.conn, facility_id)
    for unit_id, floor_area in state_operation.housing_areas(uow.conn, facility_id):
        held, capacity = counts.get(unit_id, 0), computed_capacity(floor_area, standard)
        if held + 1 > capacity:
            reasons.append(intake.CapacityExceeded(unit_id, held, capacity))
            continue
        (unit,) = state_operation.unit_occupancies(uow.conn, facility_id, only=unit_id)
        try:
            return intake.choose_unit(occupant, [unit], standard=standard)
        except intake.NoUnitAvailable as refused:
            reasons += refused.reasons
    raise intake.NoUnitAvailable(occupant.person_id, reasons)


def record_agreement(cmd: RecordAgreement, *, uow: UnitOfWork) -> Result:
    events = agreements.record_agreement(
        _domain(agreements.RecordAgreement, cmd), now=uow.now,
        already_recorded=state_operation.agreement(uow.conn, cmd.agreement.agreement_id) is not None,
    )
    return Result(uow.record(events))


def issue_invoice(cmd: IssueInvoice, *, uow: UnitOfWork) -> Result:
    """``Result.value`` is the :class:`~habeas.domain.agreements.InvoiceIssued` entry."""
    agreement = state_operation.agreement(uow.conn, cmd.agreement_id)
    if agreement is None:
        raise UnknownRecord("agreement", cmd.agreement_id)
    facility_ids = state_operation.facilities_in(uow.conn, agreement.receiving_state)
    if not facility_ids:
        raise InvalidField("agreement", cmd.agreement_id, f"no facility registered in {agreement.receiving_state}")
    events: list[Event] = agreements.issue_invoice(
        agreement, state_operation.stays_in(uow.conn, facility_ids), cmd.period, invoice_id=cmd.invoice_id,
        already_issued=state_operation.invoice_exists(uow.conn, cmd.invoice_id), now=uow.now,
    )
    return Result(uow.record(events), value=events[0])


HANDLERS: dict[type[Command], Callable[..., Result]] = {
    RecordHeadcount: record_headcount,
    RecordIncident: record_incident,
    ResolveIncident: resolve_incident,
    LogAccess: log_access,
    RecordNotificationSent: record_notification_sent,
    IssueHandoff: issue_handoff,
    CompleteHandoff: complete_handoff,
    AdmitAtIntake: admit_at_intake,
    RecordAgreement: record_agreement,
    IssueInvoice: issue_invoice,
}

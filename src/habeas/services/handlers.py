"""One handler a command: load the state it needs, let the domain decide, record the events.

Each runs inside :class:`UnitOfWork`'s transaction, so the ledger entries and projection rows it writes commit
together or not at all. Handlers return what the caller needs to report: seqs, and warnings where there are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from habeas.domain import allegations, corrections, court_orders, custody, facilities, identity, legal, medical, people
from habeas.domain import commands as c
from habeas.domain.events import EventType
from habeas.domain.identity import PersonIdentity
from habeas.domain.people import PersonRegistered
from habeas.services import handlers_moves, state
from habeas.services.unit_of_work import Result, UnitOfWork
from habeas.storage import ledger_store
from habeas.storage.projections import identity_keys


def register_person(cmd: c.RegisterPerson, *, uow: UnitOfWork) -> Result:
    probe = PersonRegistered(
        stream=cmd.person_id, occurred_at=cmd.occurred_at, name=cmd.name, aliases=cmd.aliases,
        transliterations=cmd.transliterations, date_of_birth=cmd.date_of_birth, identifiers=cmd.identifiers,
    )
    candidates = state.identity_candidates(uow.conn, identity_keys(PersonIdentity.of(probe)))
    if state.person_state(uow.conn, cmd.person_id) is not None:
        candidates.append(PersonIdentity(person_id=cmd.person_id))  # the domain refuses a second registration
    events, warnings = identity.register_person(cmd, existing=candidates, now=uow.now)
    return Result(uow.record(events), warnings)


def merge_persons(cmd: c.MergePersons, *, uow: UnitOfWork) -> Result:
    events = identity.merge_persons(
        cmd, survivor=state.person_state(uow.conn, cmd.person_id),
        duplicate=state.person_state(uow.conn, cmd.duplicate_id), now=uow.now,
    )
    return Result(uow.record(events))


def erase_person(cmd: c.ErasePerson, *, uow: UnitOfWork) -> Result:
    events = corrections.erase_person(
        cmd, person=state.person_state(uow.conn, cmd.person_id), custody=state.custody_state(uow.conn, cmd.person_id),
        now=uow.now,
    )
    seqs = uow.record(events)
    # The erasure itself: every private payload on the person's stream goes, salt and all. The leaves stay.
    ledger_store.erase_private(uow.conn, ledger_store.stream_seqs(uow.conn, cmd.person_id))
    return Result(seqs)


def record_admission(cmd: c.RecordAdmission, *, uow: UnitOfWork) -> Result:
    events = people.record_admission(
        cmd, person=state.person_state(uow.conn, cmd.person_id),
        facility_exists=state.record_exists(uow.conn, EventType.FACILITY_REGISTERED, cmd.facility_id), now=uow.now,
        already_recorded=state.record_exists(uow.conn, EventType.PERSON_ADMISSION_RECORDED, cmd.admission_id),
    )
    return Result(uow.record(events))


def _person_record(decide: Callable[..., Any], id_field: str, kind: EventType) -> Callable[..., Result]:
    """Handlers for records about one person: the person must exist and the id must be new."""

    def handle(cmd: Any, *, uow: UnitOfWork) -> Result:
        events = decide(
            cmd, person=state.person_state(uow.conn, cmd.person_id),
            already_recorded=state.record_exists(uow.conn, kind, getattr(cmd, id_field)), now=uow.now,
        )
        seqs = uow.record(events)
        handlers_moves.after_legal_record(uow, events, seqs)  # clearances lapse; in-flight people get alerts
        return Result(seqs)

    return handle


record_allegation = _person_record(allegations.record_allegation, "allegation_id", EventType.ALLEGATION_RECORDED)
record_conviction = _person_record(allegations.record_conviction, "conviction_id", EventType.CONVICTION_RECORDED)
record_removal_order = _person_record(legal.record_removal_order, "order_id", EventType.REMOVAL_ORDER_RECORDED)
record_protection = _person_record(legal.record_protection, "protection_id", EventType.PROTECTION_RECORDED)
record_stay = _person_record(legal.record_stay, "stay_id", EventType.STAY_RECORDED)
record_notice = _person_record(legal.record_notice, "notice_id", EventType.NOTICE_SERVED)
record_counsel = _person_record(legal.record_counsel, "counsel_id", EventType.COUNSEL_RECORDED)
record_consular = _person_record(
    legal.record_consular_notification, "notification_id", EventType.CONSULAR_RECORDED
)
record_fitness = _person_record(
    medical.record_fitness_to_travel, "assessment_id", EventType.FITNESS_TO_TRAVEL_RECORDED
)


def change_allegation_status(cmd: c.ChangeAllegationStatus, *, uow: UnitOfWork) -> Result:
    events = allegations.change_allegation_status(
        cmd, allegation=state.allegation_state(uow.conn, cmd.allegation_id), now=uow.now
    )
    return Result(uow.record(events))


def record_court_order(cmd: c.RecordCourtOrder, *, uow: UnitOfWork) -> Result:
    events = court_orders.record_court_order(
        cmd, already_recorded=state.record_exists(uow.conn, EventType.COURT_ORDER_RECORDED, cmd.order_id),
        now=uow.now,
    )
    seqs = uow.record(events)
    handlers_moves.after_legal_record(uow, events, seqs)
    return Result(seqs)


def register_agency(cmd: c.RegisterAgency, *, uow: UnitOfWork) -> Result:
    events = facilities.register_agency(
        cmd, already_registered=state.record_exists(uow.conn, EventType.AGENCY_REGISTERED, cmd.agency_id),
        now=uow.now,
    )
    return Result(uow.record(events))


def register_officer(cmd: c.RegisterOfficer, *, uow: UnitOfWork) -> Result:
    events = facilities.register_officer(
        cmd, already_registered=state.record_exists(uow.conn, EventType.OFFICER_REGISTERED, cmd.officer_id),
        agency_exists=state.record_exists(uow.conn, EventType.AGENCY_REGISTERED, cmd.agency_id), now=uow.now,
    )
    return Result(uow.record(events))


def register_facility(cmd: c.RegisterFacility, *, uow: UnitOfWork) -> Result:
    agency = cmd.operating_agency_id
    events = facilities.register_facility(
        cmd, already_registered=state.record_exists(uow.conn, EventType.FACILITY_REGISTERED, cmd.facility_id),
        agency_exists=agency is None or state.record_exists(uow.conn, EventType.AGENCY_REGISTERED, agency),
        now=uow.now,
    )
    return Result(uow.record(events))


def register_unit(cmd: c.RegisterUnit, *, uow: UnitOfWork) -> Result:
    parent = None if cmd.parent_unit_id is None else state.unit_ref(uow.conn, cmd.facility_id, cmd.parent_unit_id)
    events = facilities.register_unit(
        cmd, facility_exists=state.record_exists(uow.conn, EventType.FACILITY_REGISTERED, cmd.facility_id),
        existing_unit=state.unit_ref(uow.conn, cmd.facility_id, cmd.unit_id), parent=parent, now=uow.now,
    )
    return Result(uow.record(events))


def _custody(decide: Callable[..., Any], *, unit: bool = False, officer: bool = False) -> Callable[..., Result]:
    """Handlers for custody transitions: the person must exist; the domain checks the transition."""

    def handle(cmd: Any, *, uow: UnitOfWork) -> Result:
        people.require_person(state.person_state(uow.conn, cmd.person_id), cmd.person_id)
        current = state.custody_state(uow.conn, cmd.person_id)
        extra: dict[str, Any] = {}
        if unit:
            facility_id = getattr(cmd, "facility_id", None) or current.facility_id or ""
            extra["unit"] = state.unit_ref(uow.conn, facility_id, cmd.unit_id)
        if officer:
            extra["officer"] = state.officer_ref(uow.conn, cmd.custodian.officer_id)
        return Result(uow.record(decide(cmd, state=current, now=uow.now, **extra)))

    return handle


admit = _custody(custody.admit, unit=True, officer=True)
depart = _custody(custody.depart, officer=True)
arrive = _custody(custody.arrive, unit=True, officer=True)
rehouse = _custody(custody.rehouse, unit=True)
hand_over = _custody(custody.hand_over, officer=True)
release = _custody(custody.release)
remove = _custody(custody.remove)
record_escape = _custody(custody.record_escape)
record_death = _custody(custody.record_death)
reassign_custodian = _custody(custody.reassign_custodian, officer=True)
change_authority = _custody(custody.change_authority)


def amend_entry(cmd: c.AmendEntry, *, uow: UnitOfWork) -> Result:
    entry = state.entry_state(uow.conn, cmd.corrected_seq)
    subject = None if entry is None else state.person_state(uow.conn, entry.event.stream)
    events = corrections.amend_entry(
        cmd, entry=entry, now=uow.now, subject_erased=subject is not None and subject.erased
    )
    return Result(uow.record(events))


def retract_entry(cmd: c.RetractEntry, *, uow: UnitOfWork) -> Result:
    events = corrections.retract_entry(cmd, entry=state.entry_state(uow.conn, cmd.corrected_seq), now=uow.now)
    return Result(uow.record(events))


HANDLERS: dict[type[c.Command], Callable[..., Result]] = {
    c.RegisterPerson: register_person,
    c.MergePersons: merge_persons,
    c.ErasePerson: erase_person,
    c.RecordAdmission: record_admission,
    c.RecordAllegation: record_allegation,
    c.ChangeAllegationStatus: change_allegation_status,
    c.RecordConviction: record_conviction,
    c.RecordRemovalOrder: record_removal_order,
    c.RecordProtection: record_protection,
    c.RecordStay: record_stay,
    c.RecordCourtOrder: record_court_order,
    c.RecordNotice: record_notice,
    c.RecordCounsel: record_counsel,
    c.RecordConsularNotification: record_consular,
    c.RecordFitnessToTravel: record_fitness,
    c.RegisterFacility: register_facility,
    c.RegisterUnit: register_unit,
    c.RegisterAgency: register_agency,
    c.RegisterOfficer: register_officer,
    c.AdmitToCustody: admit,
    c.DepartOnLeg: depart,
    c.ArriveAtFacility: arrive,
    c.Rehouse: rehouse,
    c.HandOver: hand_over,
    c.Release: release,
    c.Remove: remove,
    c.RecordEscape: record_escape,
    c.RecordDeath: record_death,
    c.ReassignCustodian: reassign_custodian,
    c.ChangeAuthority: change_authority,
    c.AmendEntry: amend_entry,
    c.RetractEntry: retract_entry,
}


def _extend() -> None:
    # Command families added by later capabilities register their handlers here, in one place.
    from habeas.services import handlers_operation

    HANDLERS.update(handlers_moves.HANDLERS)
    HANDLERS.update(handlers_operation.HANDLERS)


_extend()

"""Corrections: amending or retracting an entry (a new entry that says so; the old one stays), and erasure.

Erasure appends its entry, then deletes every private payload on the person's stream, salt and all: the leaves
stay, so the log still verifies, and nothing personal can be recovered from them.
"""

from __future__ import annotations

from sqlalchemy import Connection, and_, exists, select

from habeas.domain import commands as c
from habeas.domain import corrections
from habeas.domain.actors import Caller
from habeas.domain.corrections import EntryState
from habeas.domain.errors import UnknownRecord
from habeas.domain.events import Event
from habeas.ledger.entry import parse_leaf
from habeas.services.access import visible
from habeas.services.custody import custody_state
from habeas.services.records import event_at, person_state
from habeas.services.unit_of_work import Handler, Result, UnitOfWork
from habeas.storage import ledger_store
from habeas.storage.projections.corrections import correction
from habeas.storage.projections.scope import subjects_and_agencies


def entry_state(conn: Connection, seq: int) -> EntryState | None:
    event = event_at(conn, seq)
    if event is None:
        return None
    retracted = conn.execute(
        select(exists().where(and_(correction.c.corrected_seq == seq, correction.c.action == "retract")))
    ).scalar()
    return EntryState(seq=seq, event=event, retracted=bool(retracted))


def erase_person(cmd: c.ErasePerson, *, uow: UnitOfWork) -> Result:
    events = corrections.erase_person(
        cmd, person=person_state(uow.conn, cmd.person_id), custody=custody_state(uow.conn, cmd.person_id),
        now=uow.now,
    )
    seqs = uow.record(events)
    # The erasure itself: every private payload on the person's stream goes, salt and all. The leaves stay.
    ledger_store.erase_private(uow.conn, ledger_store.stream_seqs(uow.conn, cmd.person_id))
    return Result(seqs)


def amend_entry(cmd: c.AmendEntry, *, uow: UnitOfWork) -> Result:
    entry = entry_state(uow.conn, cmd.corrected_seq)
    subject = None if entry is None else person_state(uow.conn, entry.event.stream)
    events = corrections.amend_entry(
        cmd, entry=entry, now=uow.now, subject_erased=subject is not None and subject.erased
    )
    return Result(uow.record(events))


def retract_entry(cmd: c.RetractEntry, *, uow: UnitOfWork) -> Result:
    events = corrections.retract_entry(cmd, entry=entry_state(uow.conn, cmd.corrected_seq), now=uow.now)
    return Result(uow.record(events))


HANDLERS: dict[type[c.Command], Handler] = {
    c.ErasePerson: erase_person,
    c.AmendEntry: amend_entry,
    c.RetractEntry: retract_entry,
}


def correctable(conn: Connection, caller: Caller, seq: int) -> Event:
    """The entry at ``seq``, if the caller may correct it: every person, manifest, handoff or incident it is about
    is in the caller's agency's view; an entry about none of those (a facility, a class order) only by the agency
    that recorded it. Anything else is the same UnknownRecord as a missing entry."""
    event = event_at(conn, seq)
    if event is not None:
        subjects, _ = subjects_and_agencies(event)
        if subjects:
            if all(sid in visible(conn, caller, kind, [sid]) for kind, sid in subjects):
                return event
        else:
            leaf = ledger_store.read_leaf(conn, seq)
            recorded_by = None if leaf is None else parse_leaf(leaf).get("actor", {}).get("agency")
            if recorded_by == caller.agency:
                return event
    raise UnknownRecord("entry", str(seq))

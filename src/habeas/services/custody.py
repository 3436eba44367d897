"""Custody: the transitions (admit, depart, arrive, rehouse, hand over, release...), and the four answers.

Who holds a person, where, since when, under what authority: :func:`custody_answer`, each answer with the entry
it rests on. The domain (:mod:`habeas.domain.custody`) checks every transition against the current state.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from habeas.domain import custody, people
from habeas.domain import custody_commands as c
from habeas.domain.command import Command
from habeas.domain.custody import Authority, Custodian, CustodyState, CustodyStatus
from habeas.domain.errors import HabeasError
from habeas.domain.facilities import OfficerRef
from habeas.domain.values import parse_utc
from habeas.services import facts
from habeas.services.records import (
    FACILITY,
    OFFICER,
    UNIT,
    RecordView,
    one_record,
    person_row,
    person_state,
    person_state_of,
    records,
)
from habeas.services.unit_of_work import Handler, Result, UnitOfWork
from habeas.storage import direct
from habeas.storage.projections.custody import custody as custody_table
from habeas.storage.projections.schema import record

_CUSTODY_COLUMNS = (
    "status, since, facility_id, unit_id, leg_id, country, custodian_agency, custodian_officer, authority_agency, "
    "authority_basis, authority_record"
)
_CUSTODY_STATE = direct.Sql(f"SELECT {_CUSTODY_COLUMNS} FROM p_custody WHERE person_id = ?")


def custody_state(conn: Connection, person_id: str) -> CustodyState:
    return facts.remembered(
        facts.custody_key(person_id), lambda: custody_state_of(person_id, direct.first(conn, _CUSTODY_STATE,
                                                                                       (person_id,)))
    )


def custody_state_of(person_id: str, row: Any) -> CustodyState:
    """The state from a row of :data:`_CUSTODY_COLUMNS` (None: never held)."""
    if row is None:
        return CustodyState(person_id=person_id)
    (status, since, facility_id, unit_id, leg_id, country, custodian_agency, custodian_officer, authority_agency,
     authority_basis, authority_record) = row
    return CustodyState(
        person_id=person_id,
        status=CustodyStatus(status),
        since=parse_utc(since) if since else None,
        facility_id=facility_id,
        unit_id=unit_id,
        leg_id=leg_id,
        country=country,
        custodian=Custodian(agency_id=custodian_agency, officer_id=custodian_officer) if custodian_agency else None,
        authority=Authority(agency_id=authority_agency, legal_basis=authority_basis, record_id=authority_record)
        if authority_agency
        else None,
    )


_OFFICER_AGENCY = direct.Sql("SELECT parent_id FROM p_record WHERE kind = ? AND record_id = ?")


def officer_of(conn: Connection, officer_id: str) -> OfficerRef | None:
    """``facilities.officer_ref``, in the memo of the command's decision and sent straight to the driver: every
    custody step and admission asks it."""

    def load() -> OfficerRef | None:
        row = direct.first(conn, _OFFICER_AGENCY, (OFFICER, officer_id))
        return None if row is None else OfficerRef(officer_id=officer_id, agency_id=row[0])

    return facts.remembered(facts.officer_key(officer_id), load)



# Everything an admission's checks and decision read, in one query: the person, their custody, the unit (that it
# is registered, and its public body, whose floor area the capacity check needs), the officer, whether any
# return-required alert names the person, and how many others the unit holds (up to facts.OTHERS_BOUND).
_ADMISSION = direct.Sql(
    "SELECT p.person_id, p.merged_into, p.erased, "
    + ", ".join(f"c.{col}" for col in _CUSTODY_COLUMNS.split(", "))
    + ", c.person_id,"
    " (SELECT 1 FROM p_record r WHERE r.kind = ? AND r.record_id = ?),"
    " (SELECT r.body FROM p_record r WHERE r.kind = ? AND r.record_id = ? AND r.parent_id = ?),"
    " (SELECT 1 FROM p_record r WHERE r.kind = ? AND r.record_id = ?),"
    " (SELECT r.parent_id FROM p_record r WHERE r.kind = ? AND r.record_id = ?),"
    " (SELECT 1 FROM p_alert a WHERE a.person_id = ? LIMIT 1),"
    " (SELECT count(*) FROM (SELECT 1 FROM p_custody o WHERE o.facility_id = ? AND o.unit_id = ? AND o.status = ?"
    " AND o.person_id <> ? LIMIT ?) others)"
    " FROM (SELECT CAST(? AS VARCHAR(100)) AS pid) q"
    " LEFT JOIN p_person p ON p.person_id = q.pid"
    " LEFT JOIN p_custody c ON c.person_id = q.pid"
)


def load_admission(conn: Connection, cmd: c.AdmitToCustody, memo: facts.Memo) -> None:
    """:data:`_ADMISSION` into the memo of the admission's decision (see :mod:`habeas.services.facts`)."""
    unit_id = f"{cmd.facility_id}/{cmd.unit_id}"
    officer_id = cmd.custodian.officer_id
    row = direct.first(conn, _ADMISSION, (
        UNIT, unit_id, UNIT, unit_id, cmd.facility_id, OFFICER, officer_id, OFFICER, officer_id, cmd.person_id,
        cmd.facility_id, cmd.unit_id, CustodyStatus.IN_CUSTODY.value, cmd.person_id, facts.OTHERS_BOUND,
        cmd.person_id,
    ))
    person = row[0:3]
    custody_row = row[3:14]
    held, unit_known, unit_body, officer_known, officer_agency, alerted, others = row[14:]
    memo[facts.person_key(cmd.person_id)] = person_state_of(cmd.person_id, None if person[0] is None else person[1:])
    with contextlib.suppress(HabeasError):  # a row the domain refuses: custody_state raises on it, if asked
        memo[facts.custody_key(cmd.person_id)] = custody_state_of(cmd.person_id, None if held is None else custody_row)
    memo[facts.record_key(UNIT, unit_id)] = unit_known is not None
    memo[facts.unit_area_key(cmd.facility_id, cmd.unit_id)] = unit_body
    memo[facts.officer_key(officer_id)] = (
        None if officer_known is None else OfficerRef(officer_id=officer_id, agency_id=officer_agency)
    )
    memo[facts.alerted_key(cmd.person_id)] = alerted is not None
    memo[facts.others_key(cmd.facility_id, cmd.unit_id, cmd.person_id)] = int(others)


LOADERS: dict[type[Command], facts.Loader] = {c.AdmitToCustody: load_admission}
"""The commands whose checks and decision read their facts in one query (the door fills the memo with it)."""


def _custody(decide: Callable[..., Any], *, unit: bool = False, officer: bool = False) -> Callable[..., Result]:
    """Handlers for custody transitions: the person must exist; the domain checks the transition."""

    def handle(cmd: Any, *, uow: UnitOfWork) -> Result:
        people.require_person(person_state(uow.conn, cmd.person_id), cmd.person_id)
        current = custody_state(uow.conn, cmd.person_id)
        extra: dict[str, Any] = {}
        if unit:
            from habeas.services.facilities import unit_ref  # the write path's: not for a read's start-up

            facility_id = getattr(cmd, "facility_id", None) or current.facility_id or ""
            extra["unit"] = unit_ref(uow.conn, facility_id, cmd.unit_id)
        if officer:
            extra["officer"] = officer_of(uow.conn, cmd.custodian.officer_id)
        return Result(uow.record(decide(cmd, state=current, now=uow.now, **extra)))

    return handle


admit = _custody(custody.admit, unit=True, officer=True)


depart = _custody(custody.depart, officer=True)


arrive = _custody(custody.arrive, unit=True, officer=True)


rehouse = _custody(custody.rehouse, unit=True)


hand_over = _custody(custody.hand_over, officer=True)


release = _custody(custody.release)


remove = _custody(custody.remove)


reassign_custodian = _custody(custody.reassign_custodian, officer=True)


change_authority = _custody(custody.change_authority)


# -- the four answers ---------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Answer:
    question: str
    answer: str
    seq: int | None  # the entry the answer rests on; None when there is none (never held)


@dataclass(frozen=True, kw_only=True)
class CustodyAnswer:
    person_id: str
    status: str
    since: str | None
    seq: int | None  # the custody.changed entry the current state rests on
    custodian_agency: str | None = None
    custodian_officer: str | None = None
    facility_id: str | None = None
    facility_name: str | None = None
    unit_id: str | None = None
    unit_label: str | None = None
    leg_id: str | None = None
    country: str | None = None
    authority_agency: str | None = None
    authority_basis: str | None = None
    authority_record: str | None = None
    authority_record_kind: str | None = None
    authority_seq: int | None = None  # the authority record's entry if it is on record, else the custody entry
    merged_into: str | None = None

    @property
    def held(self) -> bool:
        return self.status in (CustodyStatus.IN_CUSTODY, CustodyStatus.IN_TRANSIT)

    def answers(self) -> tuple[Answer, Answer, Answer, Answer]:
        """Who holds them, where, since when, under what authority: each with the entry it rests on."""
        if self.custodian_agency is not None:
            who = f"agency {self.custodian_agency}, officer {self.custodian_officer}"
        elif self.status == CustodyStatus.NOT_HELD:
            who = "no one: never taken into custody"
        else:
            who = f"no one: {self.status.replace('_', ' ')}"
        if self.facility_id is not None:
            where = f"{self.facility_name or self.facility_id} ({self.facility_id})"
            if self.unit_id is not None:
                where += f", unit {self.unit_label or self.unit_id} ({self.unit_id})"
        elif self.leg_id is not None:
            where = f"in transit on leg {self.leg_id}"
        elif self.country is not None:
            verb = "removed to" if self.status == CustodyStatus.REMOVED else "handed over in"
            where = f"{verb} {self.country}"
        else:
            where = "not in custody" if self.status == CustodyStatus.NOT_HELD else self.status.replace("_", " ")
        since = self.since or "never held"
        if self.authority_agency is not None:
            authority = f"agency {self.authority_agency}, legal basis {self.authority_basis}"
            if self.authority_record is not None:
                on_record = "" if self.authority_record_kind else ", not on record here"
                kind = f" {self.authority_record_kind}" if self.authority_record_kind else ""
                authority += f", record{kind} {self.authority_record}{on_record}"
        else:
            authority = "none: not held"
        return (
            Answer(question="who holds", answer=who, seq=self.seq),
            Answer(question="where", answer=where, seq=self.seq),
            Answer(question="since when", answer=since, seq=self.seq),
            Answer(question="under what authority", answer=authority, seq=self.authority_seq),
        )


def _authority_record(conn: Connection, record_id: str, person_id: str) -> RecordView | None:
    """The record an authority names: the person's own first, then any (a court order, say)."""
    found = records(conn, record.c.record_id == record_id)
    mine = [r for r in found if r.person_id == person_id]
    candidates = mine or found
    return candidates[0] if candidates else None


def custody_answer(conn: Connection, person_id: str) -> CustodyAnswer:
    prow = person_row(conn, person_id)
    row = conn.execute(select(custody_table).where(custody_table.c.person_id == person_id)).first()
    if row is None:
        return CustodyAnswer(
            person_id=person_id, status=CustodyStatus.NOT_HELD.value, since=None, seq=None,
            merged_into=prow.merged_into,
        )
    facility = None if row.facility_id is None else one_record(conn, FACILITY, row.facility_id)
    unit = None if row.unit_id is None else one_record(conn, UNIT, f"{row.facility_id}/{row.unit_id}")
    authority = None if row.authority_record is None else _authority_record(conn, row.authority_record, person_id)
    seq = int(row.seq)
    return CustodyAnswer(
        person_id=person_id, status=row.status, since=row.since, seq=seq,
        custodian_agency=row.custodian_agency, custodian_officer=row.custodian_officer,
        facility_id=row.facility_id, facility_name=None if facility is None else facility.body.get("name"),
        unit_id=row.unit_id, unit_label=None if unit is None else unit.body.get("label"),
        leg_id=row.leg_id, country=row.country,
        authority_agency=row.authority_agency, authority_basis=row.authority_basis,
        authority_record=row.authority_record,
        authority_record_kind=None if authority is None else authority.kind,
        authority_seq=(authority.seq if authority is not None else seq) if row.authority_agency else None,
        merged_into=prow.merged_into,
    )


# A death or an escape is not a custody step of its own here: it is an incident (services/incidents.py), whose
# one command also changes the custody and makes next of kin and the independent authority due, wherever the
# death is reported from (one path per fact).
HANDLERS: dict[type[Command], Handler] = {
    c.AdmitToCustody: admit,
    c.DepartOnLeg: depart,
    c.ArriveAtFacility: arrive,
    c.Rehouse: rehouse,
    c.HandOver: hand_over,
    c.Release: release,
    c.Remove: remove,
    c.ReassignCustodian: reassign_custodian,
    c.ChangeAuthority: change_authority,
}

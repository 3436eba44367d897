"""People: registering, merging, admissions; what is on record about a person, and finding people.

Registration checks the identity against everyone sharing a search key (an identifier or a folded name): the
domain warns of a likely duplicate and refuses a second registration of the same id.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Select, and_, literal, select

from habeas.domain import identity, people
from habeas.domain.actors import Caller
from habeas.domain.command import Command
from habeas.domain.errors import InvalidField
from habeas.domain.events import EventType
from habeas.domain.identity import MergePersons, PersonIdentity, RegisterPerson
from habeas.domain.people import (
    PartialDate,
    PersonRegistered,
    RecordAdmission,
    normalize_a_number,
    normalize_document,
)
from habeas.services.records import (
    ADMISSION,
    ALLEGATION,
    CONVICTION,
    COURT_ORDER,
    FITNESS,
    LEGAL_KINDS,
    RecordView,
    event_at,
    person_row,
    person_state,
    record_exists,
    records,
)
from habeas.services.scripts import script_extensions
from habeas.services.unit_of_work import Handler, Result, UnitOfWork
from habeas.storage import direct
from habeas.storage.projections.people import identity_keys, name_search_key, person, person_key
from habeas.storage.projections.schema import record
from habeas.storage.projections.scope import PERSON, scope

if TYPE_CHECKING:  # custody's services: imported by a person's view, not by a search
    from habeas.services.custody import CustodyAnswer


def _matching(keys: int) -> direct.Sql:
    """Registered people holding any of ``keys`` search keys, with their registration's seq ("k"), and the person
    the new registration names if they are registered already ("p"): one query a registration."""
    found = _MATCHING.get(keys)
    if found is None:
        where = " OR ".join(["(k.kind = ? AND k.key = ?)"] * keys) or "1 = 0"
        found = _MATCHING[keys] = direct.Sql(
            f"SELECT 'k', p.person_id, p.seq FROM p_person_key k JOIN p_person p ON p.person_id = k.person_id "
            f"WHERE {where} UNION ALL SELECT 'p', person_id, seq FROM p_person WHERE person_id = ?"
        )
    return found


_MATCHING: dict[int, direct.Sql] = {}


def _identities(conn: Connection, seqs: dict[str, int]) -> list[PersonIdentity]:
    out = []
    for pid in sorted(seqs):
        event = event_at(conn, seqs[pid])
        if isinstance(event, PersonRegistered):
            out.append(PersonIdentity.of(event))
    return out


def identity_candidates(conn: Connection, keys: Iterable[tuple[str, str]]) -> list[PersonIdentity]:
    """Registered people sharing any search key (an identifier or a folded name) with a new registration."""
    wanted = sorted(set(keys))
    if not wanted:
        return []
    rows = direct.rows(conn, _matching(len(wanted)), [*(v for key in wanted for v in key), None])
    return _identities(conn, {pid: int(seq) for _, pid, seq in rows})


def register_person(cmd: RegisterPerson, *, uow: UnitOfWork) -> Result:
    people.check_scripts(cmd.name, cmd.aliases, cmd.transliterations, scripts=script_extensions)
    probe = PersonRegistered(
        stream=cmd.person_id, occurred_at=cmd.occurred_at, name=cmd.name, aliases=cmd.aliases,
        transliterations=cmd.transliterations, date_of_birth=cmd.date_of_birth, identifiers=cmd.identifiers,
    )
    keys = sorted(identity_keys(PersonIdentity.of(probe)))
    # Who shares a key, and whether the id is taken, in one query.
    rows = direct.rows(uow.conn, _matching(len(keys)), [*(v for key in keys for v in key), cmd.person_id])
    candidates = _identities(uow.conn, {pid: int(seq) for tag, pid, seq in rows if tag == "k"})
    if any(tag == "p" for tag, _, _ in rows):
        candidates.append(PersonIdentity(person_id=cmd.person_id))  # the domain refuses a second registration
    events, warnings = identity.register_person(cmd, existing=candidates, now=uow.now)
    return Result(uow.record(events), warnings)


def merge_persons(cmd: MergePersons, *, uow: UnitOfWork) -> Result:
    events = identity.merge_persons(
        cmd, survivor=person_state(uow.conn, cmd.person_id),
        duplicate=person_state(uow.conn, cmd.duplicate_id), now=uow.now,
    )
    return Result(uow.record(events))


def record_admission(cmd: RecordAdmission, *, uow: UnitOfWork) -> Result:
    events = people.record_admission(
        cmd, person=person_state(uow.conn, cmd.person_id),
        facility_exists=record_exists(uow.conn, EventType.FACILITY_REGISTERED, cmd.facility_id), now=uow.now,
        already_recorded=record_exists(uow.conn, EventType.PERSON_ADMISSION_RECORDED, cmd.admission_id),
    )
    return Result(uow.record(events))


# -- queries ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PersonView:
    person_id: str
    seq: int  # the registration
    sex: str
    nationalities: tuple[str, ...]
    country_of_birth: str | None
    languages: tuple[str, ...]
    erased: bool
    merged_into: str | None
    merged_from: tuple[str, ...]
    # private: None / empty when erased (``erased`` says which)
    name: str | None
    aliases: tuple[str, ...]
    transliterations: tuple[str, ...]
    date_of_birth: str | None
    identifiers: tuple[str, ...]
    custody: CustodyAnswer
    admissions: tuple[RecordView, ...]
    legal: tuple[RecordView, ...]  # removal orders, protections, stays, notices, counsel, consular; court orders
    # Kept apart on purpose: an allegation is a claim, a conviction a court's judgment; never listed together.
    allegations: tuple[RecordView, ...]
    convictions: tuple[RecordView, ...]
    medical: tuple[RecordView, ...]  # fitness-to-travel assessments (the fit_to_travel gate rests on the latest)


def _court_orders_naming(conn: Connection, person_id: str) -> list[RecordView]:
    orders = records(conn, record.c.kind == COURT_ORDER)
    return [o for o in orders if person_id in (o.body.get("scope") or {}).get("person_ids", ())]


def person_view(conn: Connection, person_id: str) -> PersonView:
    from habeas.services.custody import custody_answer

    row = person_row(conn, person_id)
    public = json.loads(row.body)
    event = None if row.erased else event_at(conn, int(row.seq))
    reg = event if isinstance(event, PersonRegistered) else None
    merged_from = tuple(
        r.person_id for r in conn.execute(
            select(person.c.person_id).where(person.c.merged_into == person_id).order_by(person.c.person_id)
        )
    )
    mine = records(conn, record.c.person_id == person_id)
    legal = [r for r in mine if r.kind in LEGAL_KINDS] + _court_orders_naming(conn, person_id)
    return PersonView(
        person_id=person_id, seq=int(row.seq), sex=public.get("sex", "unknown"),
        nationalities=tuple(public.get("nationalities", ())), country_of_birth=public.get("country_of_birth"),
        languages=tuple(public.get("languages", ())), erased=bool(row.erased), merged_into=row.merged_into,
        merged_from=merged_from,
        name=None if reg is None or reg.name is None else reg.name.full(),
        aliases=() if reg is None else reg.aliases,
        transliterations=() if reg is None else tuple(f"{t.script}: {t.name.full()}" for t in reg.transliterations),
        date_of_birth=None if reg is None or reg.date_of_birth is None else str(reg.date_of_birth),
        identifiers=() if reg is None else tuple(f"{i.kind.value} {i.value} ({i.country})" for i in reg.identifiers),
        custody=custody_answer(conn, person_id),
        admissions=tuple(r for r in mine if r.kind == ADMISSION),
        legal=tuple(sorted(legal, key=lambda r: r.seq)),
        allegations=tuple(r for r in mine if r.kind == ALLEGATION),
        convictions=tuple(r for r in mine if r.kind == CONVICTION),
        medical=tuple(r for r in mine if r.kind == FITNESS),
    )


@dataclass(frozen=True, kw_only=True)
class PersonMatch:
    person_id: str
    seq: int
    name: str | None
    date_of_birth: str | None
    nationalities: tuple[str, ...]
    merged_into: str | None
    matched_on: tuple[str, ...] = field(default=())


def _identifier_values(text: str) -> set[str]:
    """The normalised forms a typed identifier may be stored under (an A-number, or a document number)."""
    values = set()
    for normalize in (normalize_a_number, normalize_document):
        with contextlib.suppress(InvalidField):
            values.add(normalize(text))
    if not values:
        raise InvalidField("identifier", text, "not an A-number or a document number")
    return values


def _ids_by_identifier(conn: Connection, text: str) -> set[str]:
    found: set[str] = set()
    for value in _identifier_values(text):
        # keys are "kind:country:value"; values are letters and digits only, so no LIKE wildcard can sneak in
        rows = conn.execute(
            select(person_key.c.person_id).where(
                and_(person_key.c.kind == "identifier", person_key.c.key.like(f"%:{value}"))
            )
        )
        found.update(r.person_id for r in rows)
    return found


def _ids_by_name(conn: Connection, text: str) -> set[str]:
    """Every person with a folded name (or alias) containing all the query's folded words, in any order."""
    tokens = name_search_key(text).split()
    if not tokens:
        raise InvalidField("name", text, "no letters or digits to search for")
    padded = literal(" ") + person_key.c.key + literal(" ")
    # fold() leaves letters, digits and single spaces only, so tokens hold no LIKE wildcards.
    rows = conn.execute(
        select(person_key.c.person_id, person_key.c.key).where(
            and_(person_key.c.kind == "name", *(padded.like(f"% {t} %") for t in tokens))
        )
    )
    return {r.person_id for r in rows if set(tokens) <= set(r.key.split())}


def find_people(
    conn: Connection, *, name: str | None = None, identifier: str | None = None, dob: str | None = None,
    among: Select[Any] | None = None,
) -> list[PersonMatch]:
    """People matching every criterion given: a name (folded: accents, case, hyphens, word order), an
    identifier (A-number, passport or national id number), a birth date compatible with ``dob``.

    ``among`` (a select of person ids) restricts the search before any private payload is read: an agency's
    view, say, so that a search by birth date alone reads the agency's people, not everyone's.
    """
    if name is None and identifier is None and dob is None:
        raise InvalidField("query", None, "give a name, an identifier or a birth date")
    sets: list[set[str]] = []
    matched: list[str] = []
    if identifier is not None:
        sets.append(_ids_by_identifier(conn, identifier))
        matched.append("identifier")
    if name is not None:
        sets.append(_ids_by_name(conn, name))
        matched.append("name")
    if among is not None:
        sets.append({r[0] for r in conn.execute(among)})
    if identifier is not None or name is not None or among is not None:
        ids = set.intersection(*sets)
    else:
        ids = {r.person_id for r in conn.execute(select(person.c.person_id).where(person.c.erased.is_(False)))}
    wanted = None if dob is None else PartialDate.parse(dob)
    if wanted is not None:
        matched.append("date of birth")
    out: list[PersonMatch] = []
    for pid in sorted(ids):
        row = person_row(conn, pid)
        event = None if row.erased else event_at(conn, int(row.seq))
        reg = event if isinstance(event, PersonRegistered) else None
        born = None if reg is None else reg.date_of_birth
        if wanted is not None and (born is None or not born.compatible(wanted)):
            continue
        out.append(
            PersonMatch(
                person_id=pid, seq=int(row.seq),
                name=None if reg is None or reg.name is None else reg.name.full(),
                date_of_birth=None if born is None else str(born),
                nationalities=tuple(json.loads(row.body).get("nationalities", ())),
                merged_into=row.merged_into, matched_on=tuple(matched),
            )
        )
    return out



# -- in the caller's agency's view ---------------------------------------------------------------------------


def _in_view(caller: Caller) -> Select[Any]:
    return select(scope.c.subject_id).where(and_(scope.c.agency_id == caller.agency, scope.c.subject_kind == PERSON))


def find_people_in_view(
    conn: Connection, caller: Caller, *, name: str | None = None, identifier: str | None = None,
    dob: str | None = None,
) -> list[PersonMatch]:
    """:func:`find_people` among the people the caller's agency sees (no private payload of anyone else read)."""
    return find_people(conn, name=name, identifier=identifier, dob=dob, among=_in_view(caller))


def people_in_view(conn: Connection, caller: Caller, *, limit: int, after: str | None = None) -> list[PersonMatch]:
    """Up to ``limit + 1`` of the people the caller's agency sees, by id after ``after``, straight from the scope
    projection (one more than asked, so the caller knows a page follows)."""
    stmt = (
        select(person)
        .join(scope, and_(scope.c.subject_id == person.c.person_id, scope.c.subject_kind == PERSON))
        .where(scope.c.agency_id == caller.agency)
        .order_by(person.c.person_id)
        .limit(limit + 1)
    )
    if after is not None:
        stmt = stmt.where(person.c.person_id > after)
    out = []
    for row in conn.execute(stmt):
        event = None if row.erased else event_at(conn, int(row.seq))
        reg = event if isinstance(event, PersonRegistered) else None
        out.append(PersonMatch(
            person_id=row.person_id, seq=int(row.seq),
            name=None if reg is None or reg.name is None else reg.name.full(),
            date_of_birth=None if reg is None or reg.date_of_birth is None else str(reg.date_of_birth),
            nationalities=tuple(json.loads(row.body).get("nationalities", ())), merged_into=row.merged_into,
        ))
    return out


HANDLERS: dict[type[Command], Handler] = {
    RegisterPerson: register_person,
    MergePersons: merge_persons,
    RecordAdmission: record_admission,
}

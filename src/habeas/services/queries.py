"""Read side: what the entry points show, from the projections (and the ledger for private data).

Every answer carries the seq of the entry it rests on, so whoever reads it can ask for that entry's proof.
Functions take a Connection and return plain frozen dataclasses; nothing here writes.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Connection, Select, and_, func, literal, select

from habeas.domain.custody import CustodyStatus
from habeas.domain.errors import InvalidField, UnknownRecord
from habeas.domain.events import EventType
from habeas.domain.facilities import CapacityStandard, computed_capacity
from habeas.domain.people import PartialDate, PersonRegistered, normalize_a_number, normalize_document
from habeas.services.state import event_at
from habeas.storage.projection_schema import custody, person, person_key, record
from habeas.storage.projections import KIND, name_search_key

ALLEGATION = KIND[EventType.ALLEGATION_RECORDED]
CONVICTION = KIND[EventType.CONVICTION_RECORDED]
COURT_ORDER = KIND[EventType.COURT_ORDER_RECORDED]
FACILITY = KIND[EventType.FACILITY_REGISTERED]
UNIT = KIND[EventType.UNIT_REGISTERED]
AGENCY = KIND[EventType.AGENCY_REGISTERED]
OFFICER = KIND[EventType.OFFICER_REGISTERED]
ADMISSION = KIND[EventType.PERSON_ADMISSION_RECORDED]
FITNESS = KIND[EventType.FITNESS_TO_TRAVEL_RECORDED]
# Legal records about one person: every "legal.*" kind but court orders, which are subjects of their own.
LEGAL_KINDS = tuple(k for k in KIND.values() if k.startswith("legal.") and k != COURT_ORDER)


# -- records ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RecordView:
    """One row of ``p_record``: a legal record, allegation, conviction, facility, unit, agency or officer."""

    kind: str
    record_id: str
    seq: int
    person_id: str | None
    parent_id: str | None
    status: str | None
    active_from: str | None
    active_to: str | None
    retracted: bool
    body: dict[str, Any]  # the event's public fields (as amended, if amended)


def _record_view(row: Any) -> RecordView:
    return RecordView(
        kind=row.kind, record_id=row.record_id, seq=int(row.seq), person_id=row.person_id, parent_id=row.parent_id,
        status=row.status, active_from=row.active_from, active_to=row.active_to, retracted=bool(row.retracted),
        body=json.loads(row.body),
    )


def _records(conn: Connection, *where: Any) -> list[RecordView]:
    rows = conn.execute(select(record).where(*where).order_by(record.c.seq))
    return [_record_view(r) for r in rows]


def _record(conn: Connection, kind: str, record_id: str) -> RecordView | None:
    found = _records(conn, record.c.kind == kind, record.c.record_id == record_id)
    return found[0] if found else None


# -- custody: the four answers ---------------------------------------------------------------------------------


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


def _require_person_row(conn: Connection, person_id: str) -> Any:
    row = conn.execute(select(person).where(person.c.person_id == person_id)).first()
    if row is None:
        raise UnknownRecord("person", person_id)
    return row


def _authority_record(conn: Connection, record_id: str, person_id: str) -> RecordView | None:
    """The record an authority names: the person's own first, then any (a court order, say)."""
    found = _records(conn, record.c.record_id == record_id)
    mine = [r for r in found if r.person_id == person_id]
    candidates = mine or found
    return candidates[0] if candidates else None


def custody_answer(conn: Connection, person_id: str) -> CustodyAnswer:
    prow = _require_person_row(conn, person_id)
    row = conn.execute(select(custody).where(custody.c.person_id == person_id)).first()
    if row is None:
        return CustodyAnswer(
            person_id=person_id, status=CustodyStatus.NOT_HELD.value, since=None, seq=None,
            merged_into=prow.merged_into,
        )
    facility = None if row.facility_id is None else _record(conn, FACILITY, row.facility_id)
    unit = None if row.unit_id is None else _record(conn, UNIT, f"{row.facility_id}/{row.unit_id}")
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


# -- people ----------------------------------------------------------------------------------------------------


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
    orders = _records(conn, record.c.kind == COURT_ORDER)
    return [o for o in orders if person_id in (o.body.get("scope") or {}).get("person_ids", ())]


def person_view(conn: Connection, person_id: str) -> PersonView:
    row = _require_person_row(conn, person_id)
    public = json.loads(row.body)
    event = None if row.erased else event_at(conn, int(row.seq))
    reg = event if isinstance(event, PersonRegistered) else None
    merged_from = tuple(
        r.person_id for r in conn.execute(
            select(person.c.person_id).where(person.c.merged_into == person_id).order_by(person.c.person_id)
        )
    )
    mine = _records(conn, record.c.person_id == person_id)
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
        row = _require_person_row(conn, pid)
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


# -- facilities, agencies, officers ----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class UnitView:
    unit_id: str
    seq: int
    label: str
    floor_area_m2: Decimal
    declared_beds: int
    capacity_cpt: int
    capacity_icrc: int
    parent_unit_id: str | None
    separation: dict[str, Any]
    held_now: int


@dataclass(frozen=True, kw_only=True)
class FacilityView:
    facility_id: str
    seq: int
    name: str
    country: str
    facility_type: str
    code: str | None
    operating_agency_id: str | None
    operator_name: str | None
    address: str | None
    city: str | None
    region: str | None
    postal_code: str | None
    declared_capacity: int | None
    contact: str | None
    retracted: bool
    units: tuple[UnitView, ...]
    held_now: int

    @property
    def floor_area_m2(self) -> Decimal:
        return sum((u.floor_area_m2 for u in self.units), Decimal(0))

    @property
    def declared_beds(self) -> int:
        return sum(u.declared_beds for u in self.units)

    @property
    def capacity_cpt(self) -> int:
        """Per unit, rounded down, then added: people are not split across cells."""
        return sum(u.capacity_cpt for u in self.units)

    @property
    def capacity_icrc(self) -> int:
        return sum(u.capacity_icrc for u in self.units)


def _held(conn: Connection, facility_id: str) -> dict[str | None, int]:
    rows = conn.execute(
        select(custody.c.unit_id, func.count())
        .where(and_(custody.c.facility_id == facility_id, custody.c.status == CustodyStatus.IN_CUSTODY.value))
        .group_by(custody.c.unit_id)
    )
    return {r[0]: int(r[1]) for r in rows}


def _decimal(text: Any) -> Decimal:
    try:
        return Decimal(str(text))
    except InvalidOperation:
        return Decimal(0)


def facility_view(conn: Connection, facility_id: str) -> FacilityView:
    facility = _record(conn, FACILITY, facility_id)
    if facility is None:
        raise UnknownRecord("facility", facility_id)
    held = _held(conn, facility_id)
    units = []
    for u in _records(conn, record.c.kind == UNIT, record.c.parent_id == facility_id):
        area = _decimal(u.body.get("floor_area_m2"))
        units.append(
            UnitView(
                unit_id=u.body["unit_id"], seq=u.seq, label=u.body.get("label", ""), floor_area_m2=area,
                declared_beds=int(u.body.get("declared_beds", 0)),
                capacity_cpt=computed_capacity(area, CapacityStandard.CPT),
                capacity_icrc=computed_capacity(area, CapacityStandard.ICRC),
                parent_unit_id=u.body.get("parent_unit_id"), separation=u.body.get("separation") or {},
                held_now=held.get(u.body["unit_id"], 0),
            )
        )
    b = facility.body
    return FacilityView(
        facility_id=facility_id, seq=facility.seq, name=b["name"], country=b["country"],
        facility_type=b["facility_type"], code=b.get("code"), operating_agency_id=b.get("operating_agency_id"),
        operator_name=b.get("operator_name"), address=b.get("address"), city=b.get("city"),
        region=b.get("region"), postal_code=b.get("postal_code"), declared_capacity=b.get("declared_capacity"),
        contact=b.get("contact"), retracted=facility.retracted, units=tuple(units), held_now=sum(held.values()),
    )


@dataclass(frozen=True, kw_only=True)
class FacilitySummary:
    facility_id: str
    seq: int
    name: str
    country: str
    facility_type: str
    code: str | None
    region: str | None
    declared_capacity: int | None


def list_facilities(
    conn: Connection, *, country: str | None = None, facility_type: str | None = None
) -> list[FacilitySummary]:
    out = []
    for r in _records(conn, record.c.kind == FACILITY):
        b = r.body
        if (country is not None and b["country"] != country) or (
            facility_type is not None and b["facility_type"].casefold() != facility_type.casefold()
        ):
            continue
        out.append(
            FacilitySummary(
                facility_id=r.record_id, seq=r.seq, name=b["name"], country=b["country"],
                facility_type=b["facility_type"], code=b.get("code"), region=b.get("region"),
                declared_capacity=b.get("declared_capacity"),
            )
        )
    return out


@dataclass(frozen=True, kw_only=True)
class AgencyView:
    agency_id: str
    seq: int
    name: str
    country: str
    kind: str
    officers: int


def list_agencies(conn: Connection) -> list[AgencyView]:
    counts: dict[str, int] = {}
    for r in _records(conn, record.c.kind == OFFICER):
        counts[r.parent_id or ""] = counts.get(r.parent_id or "", 0) + 1
    return [
        AgencyView(
            agency_id=r.record_id, seq=r.seq, name=r.body["name"], country=r.body["country"], kind=r.body["kind"],
            officers=counts.get(r.record_id, 0),
        )
        for r in _records(conn, record.c.kind == AGENCY)
    ]


@dataclass(frozen=True, kw_only=True)
class OfficerView:
    officer_id: str
    agency_id: str
    seq: int
    role: str
    public_key: str  # base64, as recorded


def list_officers(conn: Connection, *, agency_id: str | None = None) -> list[OfficerView]:
    where: Iterable[Any] = (record.c.kind == OFFICER,) + (
        () if agency_id is None else (record.c.parent_id == agency_id,)
    )
    return [
        OfficerView(
            officer_id=r.record_id, agency_id=r.parent_id or "", seq=r.seq, role=r.body["role"],
            public_key=r.body["public_key"],
        )
        for r in _records(conn, *where)
    ]

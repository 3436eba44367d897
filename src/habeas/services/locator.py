"""The public locator (M12): where a person is, for a family, counsel or a consulate, with a proof.

A person is found only by an exact match: an A-number and the country of birth, or every given name and every
surname (folded for accents, case and word order, as `habeas person find` folds a name:
:func:`habeas.domain.identity.locator_name_key`), the full date of birth and the country of birth. A near miss (a
name missing or one letter off, another date) finds nothing, the same as a stranger's name. Each lookup is one
indexed read of the ``locator`` keys the projection keeps (:func:`habeas.domain.identity.locator_keys`), then the
person rows it names.

What a match tells: the custody state, since when, the custodian agency, the facility and how to reach it, and
for someone handed to another agency or removed abroad, to whom, where and when; never a name, a birth date or
a document. Each match carries the public leaf of the entry it rests on and a C2SP tlog-proof of that leaf, so
it can be checked offline against the log's public key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

import pycountry
from sqlalchemy import Connection, and_, select

from habeas.domain.custody import CustodyStatus
from habeas.domain.errors import InvalidField
from habeas.domain.events import EventType
from habeas.domain.identity import fold, locator_a_number_key, locator_name_key
from habeas.domain.people import normalize_a_number
from habeas.ledger.log import Ledger, LogError
from habeas.services.public_log import proof_against
from habeas.storage import ledger_store
from habeas.storage.projections.custody import custody
from habeas.storage.projections.people import person, person_key
from habeas.storage.projections.schema import KIND, record

FACILITY = KIND[EventType.FACILITY_REGISTERED]
AGENCY = KIND[EventType.AGENCY_REGISTERED]
MAX_MERGE_HOPS = 32  # merges chain (a into b, b into c); a cycle cannot be recorded, but a bound costs nothing


@cache
def _alpha_2(code: str) -> str | None:
    found = (
        pycountry.countries.get(alpha_2=code) if len(code) == 2
        else pycountry.countries.get(alpha_3=code) if len(code) == 3 else None
    )
    return None if found is None else str(found.alpha_2)


def country_code(text: str) -> str:
    """A country of birth as the locator compares it: ISO 3166-1 alpha-2 or alpha-3 in any case (``ven``, ``VE``)
    becomes the alpha-2 code, as a person may have been registered with either; a code no country has is an
    :class:`InvalidField` (a search for it could only ever find nothing)."""
    found = _alpha_2(text.strip().upper())
    if found is None:
        raise InvalidField(
            "country_of_birth", text, "no country has this ISO 3166-1 code; give two or three letters such as SV or SLV"
        )
    return found


@dataclass(frozen=True, kw_only=True)
class ByANumber:
    a_number: str  # normalised (habeas.domain.people.normalize_a_number)
    country_of_birth: str  # alpha-2 (country_code)


@dataclass(frozen=True, kw_only=True)
class ByName:
    given_names: str
    surnames: str
    date_of_birth: date
    country_of_birth: str


LocatorQuery = ByANumber | ByName


@dataclass(frozen=True, kw_only=True)
class AgencyRef:
    agency_id: str
    name: str | None
    country: str | None


@dataclass(frozen=True, kw_only=True)
class FacilityRef:
    facility_id: str
    name: str | None
    address: str | None
    city: str | None
    region: str | None
    postal_code: str | None
    country: str | None
    contact: str | None


@dataclass(frozen=True, kw_only=True)
class Transfer:
    """Out of this log's custody into another's: the receiving agency (when on record), the country, the time."""

    agency: AgencyRef | None
    country: str
    at: str


@dataclass(frozen=True, kw_only=True)
class Located:
    person_id: str  # the surviving record: for the access log, never shown
    status: str
    since: str | None
    summary: str
    custodian: AgencyRef | None
    facility: FacilityRef | None
    transferred_to: Transfer | None
    authority: AgencyRef | None
    legal_basis: str | None
    seq: int  # the entry the answer rests on: the custody change, or the registration of someone never held


@dataclass(frozen=True, kw_only=True)
class Proven:
    located: Located
    leaf: bytes
    tlog_proof: str


@dataclass(frozen=True, kw_only=True)
class LocatorResult:
    matches: tuple[Proven, ...]
    checkpoint: str  # the signed note every proof is made against ("" only while the log is empty)


PARAMETERS = ("a_number", "given_names", "surnames", "date_of_birth", "country_of_birth")
NAME_FORM = ("given_names", "surnames", "date_of_birth")
FORMS = "give a_number and country_of_birth, or given_names, surnames, date_of_birth and country_of_birth"
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def query_of(
    *, a_number: str | None, given_names: str | None, surnames: str | None, date_of_birth: str | None,
    country_of_birth: str | None,
) -> LocatorQuery:
    """The query a search asks, as the API's parameters and `habeas locate`'s options give it: one of the two
    forms and nothing else, each value well formed; otherwise an :class:`InvalidField` naming the parameter."""
    name_form = {"given_names": given_names, "surnames": surnames, "date_of_birth": date_of_birth}
    if a_number is not None:
        extra = next((p for p in NAME_FORM if name_form[p] is not None), None)
        if extra is not None:
            raise InvalidField(extra, name_form[extra], f"not with a_number: {FORMS}")
    elif all(v is None for v in name_form.values()):
        raise InvalidField("a_number", None, FORMS)
    else:
        missing = next((p for p in NAME_FORM if name_form[p] is None), None)
        if missing is not None:
            raise InvalidField(missing, None, f"required with the name form: {FORMS}")
    if country_of_birth is None:
        raise InvalidField("country_of_birth", None, f"required: {FORMS}")
    country = country_code(country_of_birth)
    if a_number is not None:
        return ByANumber(a_number=normalize_a_number(a_number), country_of_birth=country)
    # all three are present: checked above
    assert given_names is not None
    assert surnames is not None
    assert date_of_birth is not None
    if not _DATE.fullmatch(date_of_birth.strip()):
        raise InvalidField("date_of_birth", date_of_birth, "not a date as YYYY-MM-DD")
    try:
        born = date.fromisoformat(date_of_birth.strip())
    except ValueError as e:
        raise InvalidField("date_of_birth", date_of_birth, "not a calendar date") from e
    if not fold(given_names) and not fold(surnames):
        raise InvalidField("given_names", given_names, "given_names and surnames are both empty")
    return ByName(given_names=given_names, surnames=surnames, date_of_birth=born, country_of_birth=country)


def _key(query: LocatorQuery) -> str:
    if isinstance(query, ByANumber):
        return locator_a_number_key(query.a_number)
    return locator_name_key(query.given_names, query.surnames, query.date_of_birth.isoformat())


def _people(conn: Connection, ids: Sequence[str]) -> dict[str, Any]:
    if not ids:
        return {}
    rows = conn.execute(
        select(person.c.person_id, person.c.seq, person.c.body, person.c.merged_into, person.c.erased).where(
            person.c.person_id.in_(sorted(set(ids)))
        )
    )
    return {r.person_id: r for r in rows}


def _survivor(conn: Connection, row: Any) -> Any | None:
    """Follow merges to the record that survives; None if it is gone (erased)."""
    for _ in range(MAX_MERGE_HOPS):
        if row is None or row.erased:
            return None
        if row.merged_into is None:
            return row
        row = _people(conn, [row.merged_into]).get(row.merged_into)
    return None


def find(conn: Connection, query: LocatorQuery) -> list[Any]:
    """The surviving person rows that match exactly, each once."""
    ids = [
        r.person_id
        for r in conn.execute(
            select(person_key.c.person_id).where(and_(person_key.c.kind == "locator", person_key.c.key == _key(query)))
        )
    ]
    found: dict[str, Any] = {}
    for row in _people(conn, ids).values():
        born_in = json.loads(row.body).get("country_of_birth")
        if row.erased or not isinstance(born_in, str) or _alpha_2(born_in.upper()) != _alpha_2(query.country_of_birth):
            continue
        survivor = _survivor(conn, row)
        if survivor is not None:
            found[survivor.person_id] = survivor
    return [found[pid] for pid in sorted(found)]


def _record_body(conn: Connection, kind: str, record_id: str | None) -> dict[str, Any] | None:
    if record_id is None:
        return None
    row = conn.execute(
        select(record.c.body).where(and_(record.c.kind == kind, record.c.record_id == record_id))
    ).first()
    return None if row is None else dict(json.loads(row.body))


def _agency(conn: Connection, agency_id: str | None) -> AgencyRef | None:
    if agency_id is None:
        return None
    body = _record_body(conn, AGENCY, agency_id) or {}
    return AgencyRef(agency_id=agency_id, name=body.get("name"), country=body.get("country"))


def _facility(conn: Connection, facility_id: str | None) -> FacilityRef | None:
    if facility_id is None:
        return None
    b = _record_body(conn, FACILITY, facility_id) or {}
    return FacilityRef(
        facility_id=facility_id, name=b.get("name"), address=b.get("address"), city=b.get("city"),
        region=b.get("region"), postal_code=b.get("postal_code"), country=b.get("country"), contact=b.get("contact"),
    )


def _label(agency: AgencyRef | None) -> str:
    if agency is None:
        return "an agency not on record"
    return f"{agency.name} ({agency.agency_id})" if agency.name else agency.agency_id


def _summary(status: str, since: str | None, custodian: AgencyRef | None, facility: FacilityRef | None,
             transfer: Transfer | None) -> str:
    """One sentence a family can read; never a bare "not found" for someone this log has held."""
    if status == CustodyStatus.IN_CUSTODY and facility is not None:
        place = ", ".join(p for p in (facility.name or facility.facility_id, facility.city, facility.country) if p)
        return f"held by {_label(custodian)} at {place} since {since}"
    if status == CustodyStatus.IN_TRANSIT:
        return f"in transit in the custody of {_label(custodian)} since {since}"
    if status == CustodyStatus.HANDED_OVER and transfer is not None:
        return f"handed to {_label(transfer.agency)}, {transfer.country}, at {transfer.at}"
    if status == CustodyStatus.REMOVED and transfer is not None:
        return f"removed to {transfer.country} at {transfer.at}"
    if status == CustodyStatus.NOT_HELD:
        return "registered, never taken into custody by this log's agencies"
    return f"{status.replace('_', ' ')} since {since}"


def locate_row(conn: Connection, row: Any) -> Located:
    """The public answer about one (surviving) person."""
    state = conn.execute(select(custody).where(custody.c.person_id == row.person_id)).first()
    if state is None:
        return Located(
            person_id=row.person_id, status=CustodyStatus.NOT_HELD.value, since=None,
            summary=_summary(CustodyStatus.NOT_HELD, None, None, None, None), custodian=None, facility=None,
            transferred_to=None, authority=None, legal_basis=None, seq=int(row.seq),
        )
    custodian = _agency(conn, state.custodian_agency)
    facility = _facility(conn, state.facility_id)
    transfer = None
    if state.status in (CustodyStatus.HANDED_OVER, CustodyStatus.REMOVED) and state.country is not None:
        transfer = Transfer(agency=custodian, country=state.country, at=state.since)
    return Located(
        person_id=row.person_id, status=state.status, since=state.since,
        summary=_summary(state.status, state.since, custodian, facility, transfer),
        custodian=custodian, facility=facility, transferred_to=transfer,
        authority=_agency(conn, state.authority_agency), legal_basis=state.authority_basis, seq=int(state.seq),
    )


def locate(ledger: Ledger, query: LocatorQuery) -> LocatorResult:
    """Every exact match with its proof, against the latest checkpoint, read after the answers (so it covers
    the entries they rest on)."""
    with ledger.engine.connect() as conn:
        located = [locate_row(conn, row) for row in find(conn, query)]
        checkpoint = ledger_store.read_checkpoint(conn)
        leaves = {loc.seq: ledger_store.read_leaf(conn, loc.seq) for loc in located}
    if checkpoint is None:  # an empty log: there is no one to find either
        return LocatorResult(matches=(), checkpoint="")
    proven = []
    for loc in located:
        leaf = leaves[loc.seq]
        if leaf is None:  # a projection row ahead of the log it is built from: a damaged store
            raise LogError(f"the locator's answer rests on entry {loc.seq}, which the log does not hold")
        proven.append(Proven(located=loc, leaf=leaf, tlog_proof=proof_against(ledger, loc.seq, checkpoint)))
    return LocatorResult(matches=tuple(proven), checkpoint=checkpoint.note)

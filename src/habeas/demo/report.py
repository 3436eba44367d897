"""What the demo reports, read back from the projections rather than from the scenario's own variables.

Every count the demo prints comes from the tables the ledger built, so it is what any reader of this database
would see, and `habeas rebuild --check` proves those tables equal a replay of the log. (The one figure passed
in is the scheduled departure time for the notice check.)
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from habeas.domain.codec import decode
from habeas.domain.court_orders import CourtOrderScope, PersonFacts
from habeas.domain.events import EventType
from habeas.domain.facilities import CapacityStandard, computed_capacity
from habeas.domain.values import parse_utc
from habeas.storage.projection_schema import custody, person, record
from habeas.storage.projections import KIND
from habeas.storage.projections_operation import headcount


def _records(conn: Connection, kind: EventType) -> list[Any]:
    return list(conn.execute(select(record).where(record.c.kind == KIND[kind], record.c.retracted.is_(False))))


def _body(row: Any) -> dict[str, Any]:
    body = json.loads(row.body)
    assert isinstance(body, dict)
    return body


def _facilities(conn: Connection) -> dict[str, dict[str, Any]]:
    return {r.record_id: _body(r) for r in _records(conn, EventType.FACILITY_REGISTERED)}


def _nationality(conn: Connection) -> dict[str, str]:
    out = {}
    for row in conn.execute(select(person.c.person_id, person.c.body)):
        nats = json.loads(row.body).get("nationalities") or ["?"]
        out[row.person_id] = "/".join(nats)
    return out


@dataclass(frozen=True)
class Place:
    """Where the custody projection puts a person: a facility, a transport leg, or a country."""

    label: str
    country: str | None


def _places(conn: Connection) -> dict[str, Place]:
    facilities = _facilities(conn)
    out = {}
    for row in conn.execute(select(custody)):
        if row.facility_id is not None:
            f = facilities.get(row.facility_id, {})
            out[row.person_id] = Place(f"{row.facility_id} / {row.unit_id}", f.get("country"))
        elif row.leg_id is not None:
            out[row.person_id] = Place(row.leg_id, None)
        else:
            out[row.person_id] = Place("-", row.country)
    return out


# -- custody --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustodyRow:
    status: str
    custodian: str  # the physical custodian's agency
    authority: str  # the agency legally responsible, and the legal basis
    place: str
    country: str
    people: int


def custody_summary(conn: Connection) -> list[CustodyRow]:
    """People by custody status × custodian agency × legal authority × place × country."""
    places = _places(conn)

    counts: Counter[tuple[str, str, str, str, str]] = Counter()
    for row in conn.execute(select(custody)):
        place = places[row.person_id]
        facility_wide = place.label.split(" / ")[0]
        authority = "-" if row.authority_agency is None else f"{row.authority_agency}: {row.authority_basis}"
        counts[(row.status, row.custodian_agency or "-", authority, facility_wide, place.country or "-")] += 1
    return [CustodyRow(*key, n) for key, n in sorted(counts.items())]


# -- capacity -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CapacityRow:
    facility: str
    country: str
    units: int
    floor_area_m2: Decimal
    declared_capacity: int | None
    declared_beds: int
    cpt: int
    icrc: int
    held: int

    @property
    def m2_per_person_declared(self) -> Decimal | None:
        if not self.declared_capacity:
            return None
        return self.floor_area_m2 / self.declared_capacity


def capacity(conn: Connection) -> list[CapacityRow]:
    """Declared capacity beside the capacity the registered floor area allows (CPT 4 m², ICRC 3.4 m², per unit)."""
    units: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in _records(conn, EventType.UNIT_REGISTERED):
        units[row.parent_id].append(_body(row))
    held = Counter(r.facility_id for r in conn.execute(select(custody.c.facility_id)) if r.facility_id)
    rows = []
    for fid, f in sorted(_facilities(conn).items()):
        areas = [Decimal(u["floor_area_m2"]) for u in units[fid]]
        rows.append(
            CapacityRow(
                facility=f"{f['name']}" + (f" ({f['code']})" if f.get("code") else ""),
                country=f["country"],
                units=len(areas),
                floor_area_m2=sum(areas, Decimal(0)),
                declared_capacity=f.get("declared_capacity"),
                declared_beds=sum(int(u["declared_beds"]) for u in units[fid]),
                cpt=sum(computed_capacity(a, CapacityStandard.CPT) for a in areas),
                icrc=sum(computed_capacity(a, CapacityStandard.ICRC) for a in areas),
                held=held[fid],
            )
        )
    return rows


# -- allegations and convictions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AllegationRow:
    nationality: str
    organisation: str
    people: int
    alleged: int  # allegations still at status "alleged"
    adjudicated: int
    convicted_people: int  # people with at least one conviction recorded (of any offence)


def allegations(conn: Connection) -> list[AllegationRow]:
    nationality = _nationality(conn)
    convicted = {r.person_id for r in _records(conn, EventType.CONVICTION_RECORDED)}
    groups: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for row in _records(conn, EventType.ALLEGATION_RECORDED):
        groups[(nationality.get(row.person_id, "?"), _body(row)["organisation"])].append(row)
    rows = []
    for (nat, org), found in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        people = {r.person_id for r in found}
        rows.append(
            AllegationRow(
                nationality=nat, organisation=org, people=len(people),
                alleged=sum(r.status == "alleged" for r in found),
                adjudicated=sum(r.status == "adjudicated" for r in found),
                convicted_people=len(people & convicted),
            )
        )
    return rows


# -- what the gates of issue 4 will block: visible here, not yet enforced --------------------------------------


@dataclass(frozen=True)
class Finding:
    rule: str
    people: int
    detail: str


def protected_in_barred_country(conn: Connection) -> Finding:
    """People held or handed over in a country that one of their protections bars removal to."""
    places = _places(conn)
    hits = []
    for row in _records(conn, EventType.PROTECTION_RECORDED):
        body = _body(row)
        place = places.get(row.person_id)
        if place is not None and place.country == body["country"] and row.active_to is None:
            hits.append(f"{row.person_id} ({body['kind']} to {body['country']}, since {row.active_from[:10]})")
    return Finding(
        "no removal to a country a protection bars", len(hits),
        "; ".join(hits) + " - the alternate moved up the list and nothing stopped him boarding",
    )


def order_destination_mismatch(conn: Connection) -> Finding:
    """People in a country other than the destination their removal orders name."""
    places = _places(conn)
    by_person: dict[str, set[str]] = defaultdict(set)
    for row in _records(conn, EventType.REMOVAL_ORDER_RECORDED):
        by_person[row.person_id].add(_body(row)["destination_country"])
    pairs: Counter[tuple[str, str]] = Counter()
    for pid, destinations in by_person.items():
        country = places[pid].country if pid in places else None
        if country is not None and country not in destinations:
            pairs[("/".join(sorted(destinations)), country)] += 1
    detail = ", ".join(f"{n} with an order for {d} now in {c}" for (d, c), n in sorted(pairs.items()))
    return Finding("a removal authority valid for the destination country", sum(pairs.values()), detail)


def covered_while_held(conn: Connection, order_id: str) -> Finding:
    """At the time it is recorded: the people a class court order covers, and where they are."""
    row = conn.execute(
        select(record).where(record.c.kind == KIND[EventType.COURT_ORDER_RECORDED], record.c.record_id == order_id)
    ).one()
    order = _body(row)
    scope = decode(order["scope"], CourtOrderScope, "scope")
    assert isinstance(scope, CourtOrderScope)
    bases: dict[str, set[str]] = defaultdict(set)
    for r in _records(conn, EventType.REMOVAL_ORDER_RECORDED):
        bases[r.person_id].add(_body(r)["legal_basis"])
    nationality = _nationality(conn)
    rows = list(conn.execute(select(custody)))
    covered = [
        r for r in rows
        if scope.covers(
            PersonFacts(
                person_id=r.person_id, nationalities=frozenset(nationality.get(r.person_id, "").split("/")),
                legal_bases=frozenset(bases[r.person_id]), facility_id=r.facility_id,
            )
        )
    ]
    where = Counter(r.leg_id or r.facility_id or r.status for r in covered)
    issued = parse_utc(order["occurred_at"])
    detail = (
        f"{order['form']} order {order_id} ({order['directive']}), issued {issued:%H:%M}Z, covers "
        + ", ".join(f"{n} on {k}" for k, n in sorted(where.items()))
        + ": a return-required alert, and the handover goes ahead"
    )
    return Finding("a class court order issued after departure", len(covered), detail)


def separation(conn: Connection) -> Finding:
    """People on removal orders (migration detainees) housed in units reserved to other categories."""
    restricted = {}
    for row in _records(conn, EventType.UNIT_REGISTERED):
        cats = _body(row)["separation"]["categories"]
        if cats and "migration" not in cats:
            restricted[row.record_id] = cats
    on_orders = {r.person_id for r in _records(conn, EventType.REMOVAL_ORDER_RECORDED)}
    held = [
        r for r in conn.execute(select(custody))
        if r.person_id in on_orders and f"{r.facility_id}/{r.unit_id}" in restricted
    ]
    units = sorted({f"{r.unit_id} ({'/'.join(restricted[f'{r.facility_id}/{r.unit_id}'])})" for r in held})
    return Finding(
        "migration detainees apart from convicted prisoners (Mandela rule 11)", len(held),
        f"held in {', '.join(units)}",
    )


def notice_hours(conn: Connection, departed_at: datetime) -> Finding:
    """Notices served, and how long before departure the earliest and latest were."""
    served = [parse_utc(_body(r)["occurred_at"]) for r in _records(conn, EventType.NOTICE_SERVED)]
    if not served:
        return Finding("notice served in time before departure", 0, "no notice served")
    hours = sorted((departed_at - t).total_seconds() / 3600 for t in served)
    return Finding(
        "notice served at least N hours before departure (policy pack)", len(served),
        f"served {hours[0]:.1f} to {hours[-1]:.1f} hours before wheels-up, in Spanish, none copied to counsel",
    )


# -- headcounts: expected against counted, per checkpoint ------------------------------------------------------


@dataclass(frozen=True)
class CountRow:
    manifest: str
    checkpoint: str
    at: str
    expected: int
    counted: int
    missing: tuple[str, ...]
    unexpected: tuple[str, ...]
    incident: str | None


def reconciliation(conn: Connection, *manifest_ids: str) -> list[CountRow]:
    """Every headcount of the manifests (a journey's legs), in the order recorded, from the headcount projection."""
    rows = conn.execute(
        select(headcount).where(headcount.c.manifest_id.in_(manifest_ids)).order_by(headcount.c.seq)
    )
    return [
        CountRow(
            manifest=r.manifest_id, checkpoint=r.checkpoint, at=r.occurred_at, expected=int(r.expected_count),
            counted=int(r.counted_count),
            missing=tuple(json.loads(r.missing)), unexpected=tuple(json.loads(r.unexpected)), incident=r.incident_id,
        )
        for r in rows
    ]

"""Counts for the demo and for transparency reports, read from the projections rather than from anyone's notes.

Every figure is what any reader of the database would see, and ``habeas rebuild --check`` proves those tables
equal a replay of the log. Each query takes the read connection first (``services.read(reports.capacity)``).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from habeas.domain.events import EventType
from habeas.domain.facilities import CapacityStandard, computed_capacity
from habeas.domain.values import parse_utc
from habeas.services.records import private_payloads
from habeas.storage import ledger_store
from habeas.storage.projections.custody import custody
from habeas.storage.projections.incidents import headcount
from habeas.storage.projections.people import person
from habeas.storage.projections.schema import KIND, record


def log_size(conn: Connection) -> int:
    """Entries in the log (those a command's reactions recorded included)."""
    return ledger_store.read_head(conn)[0]


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


# -- custody --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustodyRow:
    status: str
    custodian: str  # the physical custodian's agency
    authority: str  # the agency legally responsible, and the legal basis
    place: str  # a facility, a transport leg, or "-"
    country: str
    people: int


def custody_summary(conn: Connection) -> list[CustodyRow]:
    """People by custody status × custodian agency × legal authority × place × country."""
    facilities = _facilities(conn)
    counts: Counter[tuple[str, str, str, str, str]] = Counter()
    for row in conn.execute(select(custody)):
        if row.facility_id is not None:
            place, country = row.facility_id, facilities.get(row.facility_id, {}).get("country")
        elif row.leg_id is not None:
            place, country = row.leg_id, None
        else:
            place, country = "-", row.country
        authority = "-" if row.authority_agency is None else f"{row.authority_agency}: {row.authority_basis}"
        counts[(row.status, row.custodian_agency or "-", authority, place, country or "-")] += 1
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
    """Allegations by nationality and organisation, beside the convictions of the same people."""
    nationality = _nationality(conn)
    convicted = {r.person_id for r in _records(conn, EventType.CONVICTION_RECORDED)}
    groups: dict[tuple[str, str], list[Any]] = defaultdict(list)
    alleged = _records(conn, EventType.ALLEGATION_RECORDED)
    # what an allegation says is in its private payload (as amended); "?" where it was erased
    payloads = private_payloads(conn, [int(r.seq) for r in alleged])
    for row in alleged:
        organisation = payloads.get(int(row.seq), {}).get("organisation") or "?"
        groups[(nationality.get(row.person_id, "?"), organisation)].append(row)
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


# -- notices --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoticeTiming:
    rule: str
    people: int
    detail: str


def notice_hours(conn: Connection, departed_at: datetime) -> NoticeTiming:
    """Notices served, and how long before departure the earliest and latest were."""
    served = [parse_utc(_body(r)["occurred_at"]) for r in _records(conn, EventType.NOTICE_SERVED)]
    if not served:
        return NoticeTiming("notice served in time before departure", 0, "no notice served")
    hours = sorted((departed_at - t).total_seconds() / 3600 for t in served)
    return NoticeTiming(
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


# -- return-required overrides --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReturnOverrideCount:
    """How often an operation went ahead although an order required the people's return: per order, the
    overrides recorded and the people they named (a retracted override no longer counts)."""

    order_id: str
    overrides: int
    people: int


def return_overrides(conn: Connection) -> list[ReturnOverrideCount]:
    """Every order an override departed from, in order id order: what the public report counts."""
    people: dict[str, set[str]] = defaultdict(set)
    overrides: Counter[str] = Counter()
    for row in _records(conn, EventType.RETURN_REQUIRED_OVERRIDDEN):
        body = _body(row)
        overrides[body["order_id"]] += 1
        people[body["order_id"]].update(body["person_ids"])
    return [ReturnOverrideCount(order_id=o, overrides=overrides[o], people=len(people[o])) for o in sorted(overrides)]

"""Clearance reads a manifest's legal state set-wise: the statements it issues do not grow with the people aboard.

Counted with a ``before_cursor_execute`` listener on the engine, on SQLite and PostgreSQL. Only the clearance's
own reads are counted (SELECTs issued inside :func:`habeas.services.clearance.clear_manifest` and outside
:meth:`UnitOfWork.record`): what the ledger append and the projections' appliers read is theirs. The big manifest
has more people than one ``IN (...)`` chunk held (500), so a loader that reads a chunk at a time fails here.
Everyone is synthetic.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from types import CodeType, FrameType
from typing import Any

from sqlalchemy import event

from habeas.domain import commands as c
from habeas.domain import manifests as mf
from habeas.domain.legal import ProtectionKind
from habeas.domain.moves import Leg, TransportMode
from habeas.domain.people import Identifier, IdentifierKind
from habeas.domain.periods import Period
from habeas.services import clearance, legal_state
from habeas.services.clearance import Clearance
from habeas.services.door import Services
from habeas.services.unit_of_work import UnitOfWork

MakeServices = Callable[..., Services]
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
DEPARTS = datetime(2025, 3, 15, 9, 0, tzinfo=UTC)
YEAR = Period(active_from=T0 - timedelta(days=30), active_to=T0 + timedelta(days=365))
SMALL, BIG = 3, 520  # BIG: more than one chunk of 500 ids


def _leg() -> Leg:
    return Leg(
        leg_id="l-1", mode=TransportMode.AIR, carrier="GlobalX", vehicle="GXA-6143", origin="KHRL",
        origin_country="US", destination="MSLP", destination_country="SV", scheduled_departure=DEPARTS,
        scheduled_arrival=DEPARTS + timedelta(hours=4), destination_facility_id="f-cecot",
    )


def _person(i: int) -> list[c.Command]:
    pid = f"p-syn-{i:04d}"  # synthetic
    return [
        c.RegisterPerson(
            person_id=pid, occurred_at=T0, nationalities=("SV",), languages=("es",),
            identifiers=(Identifier(kind=IdentifierKind.PASSPORT, value=f"X{i:09d}", country="SV"),),
        ),
        c.RecordRemovalOrder(
            order_id=f"ro-{pid}", person_id=pid, occurred_at=T0, authority="DHS", legal_basis="ina_241",
            destination_country="SV", final=True, period=YEAR,
        ),
    ]


@contextmanager
def _clearance_selects(services: Services) -> Iterator[list[str]]:
    """The SELECTs issued inside ``clear_manifest`` but outside ``UnitOfWork.record``, as they run."""
    inside: CodeType = clearance.clear_manifest.__code__
    recording: CodeType = UnitOfWork.record.__code__
    seen: list[str] = []

    def listen(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        if not statement.lstrip().upper().startswith("SELECT"):
            return
        frame: FrameType | None = sys._getframe(1)
        found = False
        while frame is not None:
            if frame.f_code is recording:
                return
            found = found or frame.f_code is inside
            frame = frame.f_back
        if found:
            seen.append(" ".join(statement.split())[:160])

    event.listen(services.ledger.engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(services.ledger.engine, "before_cursor_execute", listen)


def _clear(services: Services, manifest_id: str, people: Sequence[str]) -> list[str]:
    services.execute(mf.CreateManifest(
        manifest_id=manifest_id, occurred_at=T0 + timedelta(hours=3), journey_id=f"j-{manifest_id}", leg_index=0,
        leg=_leg(), people=tuple(people),
    ))
    with _clearance_selects(services) as seen:
        result = services.execute(mf.ClearManifest(manifest_id=manifest_id, occurred_at=T0 + timedelta(hours=4)))
    assert isinstance(result.value, Clearance)
    assert sorted(result.value.results) == sorted(people)
    return seen


def _selects_in(services: Services, read: Callable[[Any], Any]) -> int:
    """How many SELECTs ``read`` issues on a read connection of its own."""
    seen: list[str] = []

    def listen(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(services.ledger.engine, "before_cursor_execute", listen)
    try:
        services.read(read)
    finally:
        event.remove(services.ledger.engine, "before_cursor_execute", listen)
    return len(seen)


def test_clearance_reads_do_not_grow_with_the_people_aboard(make_services: MakeServices) -> None:
    services = make_services()
    services.execute_many([cmd for i in range(BIG) for cmd in _person(i)])
    # an amended record among them: the payloads are read set-wise too, as amended
    first = services.execute(c.RecordProtection(
        protection_id="pr-0", person_id="p-syn-0000", occurred_at=T0, kind=ProtectionKind.WITHHOLDING_OF_REMOVAL,
        country="NI", granted_by="IJ", period=YEAR,
    )).seq
    services.execute(c.AmendEntry(corrected_seq=first, occurred_at=T0 + timedelta(hours=2), reason="wrong_country",
                                  changes={"country": "SV"}))
    people = [f"p-syn-{i:04d}" for i in range(BIG)]

    small = _clear(services, "m-small", people[:SMALL])
    big = _clear(services, "m-big", people)

    assert len(big) == len(small), "\n".join(["small:", *small, "big:", *big])
    assert len(small) <= 20, "\n".join(small)
    # the facts an order is checked against after departure, for a whole plane, set-wise too
    facts = services.read(legal_state.people_facts, people)
    assert len(facts) == BIG
    assert all(f.legal_bases == {"ina_241"} for f in facts.values())
    assert _selects_in(services, lambda conn: legal_state.people_facts(conn, people[:SMALL])) == _selects_in(
        services, lambda conn: legal_state.people_facts(conn, people)
    )
    # the amendment reached the gate: withholding now names SV, the leg's destination
    states = services.read(lambda conn: legal_state.people_legal_states(
        conn, people[:1], orders=(), destination=None, at=DEPARTS))
    assert [p.country for p in states[people[0]].protections or ()] == ["SV"]

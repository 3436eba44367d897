"""Set-wise appliers, on SQLite and PostgreSQL: replaying N entries of a type costs a few statements a table
whatever N is (counted with a ``before_cursor_execute`` listener on the connection written to), in a rebuild and
on the live path alike, and the rebuilt projections still equal the live ones."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Connection, event

from habeas.domain import commands as c
from habeas.domain import manifests as mf
from habeas.domain.actors import SYSTEM, Caller
from habeas.domain.events import Event, event_from
from habeas.domain.moves import Leg, TransportMode
from habeas.ledger.entry import parse_leaf
from habeas.services import rebuild
from habeas.services.door import Services
from habeas.storage import ledger_store
from habeas.storage.projections import batch, catalog
from habeas.wiring import projector
from tests.integration.test_services import DHS, ICE, PERIOD, T0, at, world

MakeServices = Callable[[], Services]


def _people_log(services: Services, n: int) -> None:
    """N people registered, admitted, given a removal order and a notice, then put on one manifest and cleared:
    runs of N entries of each of a handful of types."""
    world(services)
    services.execute(c.RegisterUnit(
        unit_id="u-big", facility_id="f-1", occurred_at=T0, label="big", floor_area_m2=Decimal(40 * n),
        declared_beds=10 * n,
    ))
    people = [f"p-{i:03d}" for i in range(n)]
    caller = Caller.of(SYSTEM)
    services.execute_many([c.RegisterPerson(person_id=p, occurred_at=T0, nationalities=("VE",)) for p in people],
                          caller)
    services.execute_many([
        c.AdmitToCustody(person_id=p, occurred_at=at(1), facility_id="f-1", unit_id="u-big", custodian=ICE,
                         authority=DHS)
        for p in people
    ], caller)
    services.execute_many([
        c.RecordRemovalOrder(order_id=f"ro-{p}", person_id=p, occurred_at=T0, authority="DHS",
                             legal_basis="ina_241", destination_country="SV", final=True, period=PERIOD)
        for p in people
    ], caller)
    services.execute_many([c.Rehouse(person_id=p, occurred_at=at(2), unit_id="u-1") for p in people[:1]], caller)
    leg = Leg(
        leg_id="l-1", mode=TransportMode.AIR, carrier="GlobalX", vehicle="GXA-1", origin="KHRL", origin_country="US",
        destination="MSLP", destination_country="SV", scheduled_departure=at(600),
        scheduled_arrival=at(600) + timedelta(hours=4),
    )
    services.execute(mf.CreateManifest(
        manifest_id="m-1", occurred_at=at(3), journey_id="j-1", leg_index=0, leg=leg, people=tuple(people)
    ))
    services.execute(mf.ClearManifest(manifest_id="m-1", occurred_at=at(4)))


@contextmanager
def _counted(conn: Connection) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_c: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(conn, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(conn, "before_cursor_execute", count)


def _replayed_statements(services: Services) -> int:
    """Statements sent to the scratch database while the whole log is replayed into it."""
    live = services.ledger.engine
    with rebuild.scratch_engine(live) as scratch:
        catalog.create_projections(scratch)
        with live.connect() as source, scratch.begin() as target, _counted(target) as seen:
            assert rebuild.replay(source, target, projector()) == services.ledger.size()
    return len(seen)


def _events(services: Services) -> tuple[list[int], list[Event]]:
    seqs, events = [], []
    with services.ledger.engine.connect() as conn:
        for rows in ledger_store.iter_entries(conn):
            private = ledger_store.read_private(conn, rows[0][0], rows[-1][0] + 1)
            for seq, leaf, _ in rows:
                entry, held = parse_leaf(leaf), private.get(seq)
                seqs.append(seq)
                events.append(event_from(entry["type"], entry["stream"], entry["body"], held and parse_leaf(held[1])))
    return seqs, events


def _live_statements(services: Services) -> int:
    """Statements the live projector sends for the whole log handed to it at once (events, not stored bodies)."""
    seqs, events = _events(services)
    live = services.ledger.engine
    with rebuild.scratch_engine(live) as scratch:
        catalog.create_projections(scratch)
        with scratch.begin() as target, _counted(target) as seen:
            projector()(target, seqs, events)
    return len(seen)


@pytest.fixture
def small_and_large(make_services: MakeServices) -> tuple[Services, Services]:
    small, large = make_services(), make_services()
    _people_log(small, 3)
    _people_log(large, 30)
    return small, large


def test_a_rebuild_sends_the_same_few_statements_for_3_or_30_people(
    small_and_large: tuple[Services, Services],
) -> None:
    small, large = small_and_large
    assert large.ledger.size() - small.ledger.size() >= 27 * 4  # four runs of one type each grew tenfold
    few, many = _replayed_statements(small), _replayed_statements(large)
    assert few == many, (few, many)
    assert many < 40  # a few a table, not one an entry
    for services in (small, large):
        report = services.rebuild_check()
        assert report.ok, [str(d) for d in report.differences]


def test_the_live_projector_writes_a_run_of_events_in_the_same_few_statements(
    small_and_large: tuple[Services, Services],
) -> None:
    small, large = small_and_large
    few, many = _live_statements(small), _live_statements(large)
    assert few == many, (few, many)
    assert many < 40


def test_the_bulk_path_rebuilds_the_same_rows(
    small_and_large: tuple[Services, Services], monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL a rebuild sends large groups with COPY (plain inserts) and COPY into a staging table plus one
    INSERT ... SELECT ... ON CONFLICT (upserts); from one row up here, so this small log goes that way too."""
    monkeypatch.setattr(batch, "_COPY_FROM", 1)
    _, large = small_and_large
    report = large.rebuild_check()
    assert report.ok, [str(d) for d in report.differences]
    with large.ledger.engine.connect() as conn:
        before = catalog.dump(conn)
    applied = large.rebuild_apply()
    assert applied.entries == large.ledger.size()
    with large.ledger.engine.connect() as conn:
        assert catalog.dump(conn) == before

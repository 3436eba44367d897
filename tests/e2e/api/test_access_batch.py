"""Concurrent public lookups share one access-log write (issue 12), on SQLite and PostgreSQL: the lookups queued
behind a running batch are written by the next one, every row in one insert and no savepoint a lookup, each
lookup logged, and each committed before its answer goes out."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, event, func, select

from habeas.domain import commands as c
from habeas.domain.people import Identifier, IdentifierKind, PartialDate, PersonName
from habeas.storage.access import access_log
from tests.e2e.api.conftest import ApiWorld

T0 = datetime(2025, 3, 2, 8, 0, tzinfo=UTC)
LOCATOR = "/public/locator"
PEOPLE = 8


def a_number(i: int) -> str:
    return f"A{200_000_000 + i}"


def registered(world: ApiWorld) -> None:
    for i in range(PEOPLE):
        world.services.execute(c.RegisterPerson(
            person_id=f"p-{i}", occurred_at=T0, name=PersonName(given_names=("Ana",), surnames=(f"Ruiz{i}",)),
            date_of_birth=PartialDate(year=1990, month=1, day=1 + i), country_of_birth="SV", nationalities=("SV",),
            identifiers=(Identifier(kind=IdentifierKind.A_NUMBER, value=a_number(i), country="US"),),
        ))


def logged(conn: Connection, person_id: str) -> int:
    return int(conn.execute(
        select(func.count()).select_from(access_log).where(access_log.c.subject_id == person_id)
    ).scalar_one())


@contextmanager
def held(world: ApiWorld) -> Iterator[threading.Event]:
    """The ledger busy with a batch until the event is set: what is written meanwhile queues for the next one."""
    started, release = threading.Event(), threading.Event()

    def hold(_conn: Connection, _app: object) -> None:
        started.set()
        assert release.wait(60)

    # not isolated: no savepoint of its own to mix with those of the batch after it
    holder = threading.Thread(target=lambda: world.services.ledger.write(hold, isolated=False))
    holder.start()
    assert started.wait(30)
    try:
        yield release
    finally:
        release.set()
        holder.join(60)


def test_concurrent_lookups_are_logged_in_one_insert_each_before_its_answer(api_world: ApiWorld) -> None:
    registered(api_world)
    services = api_world.services
    engine = services.ledger.engine
    answers: dict[int, tuple[int, int]] = {}  # person -> (status, its rows committed when the answer arrived)

    def look_up(i: int) -> None:
        client = api_world.client()
        r = client.get(LOCATOR, params={"a_number": a_number(i), "country_of_birth": "SV"})
        # Read from another connection as soon as the answer is in: only committed rows are seen there.
        with engine.connect() as conn:
            answers[i] = (r.status_code, logged(conn, f"p-{i}"))

    seen: list[str] = []

    def heard(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        seen.append(sql)

    with held(api_world) as release:
        lookups = [threading.Thread(target=look_up, args=(i,)) for i in range(PEOPLE)]
        for t in lookups:
            t.start()
        deadline = time.monotonic() + 60
        while len(services.ledger._queue) < PEOPLE:  # every lookup answered and waiting for its write
            assert time.monotonic() < deadline, f"{len(services.ledger._queue)} lookups queued"
            time.sleep(0.01)
        event.listen(engine, "before_cursor_execute", heard)
        try:
            release.set()
            for t in lookups:
                t.join(60)
        finally:
            event.remove(engine, "before_cursor_execute", heard)

    assert answers == dict.fromkeys(range(PEOPLE), (200, 1))
    inserts = [sql for sql in seen if sql.lstrip().upper().startswith("INSERT INTO ACCESS_LOG")]
    assert len(inserts) == 1, inserts
    assert not [sql for sql in seen if "SAVEPOINT" in sql.upper()], seen
    with engine.connect() as conn:
        rows = conn.execute(select(access_log.c.id, access_log.c.subject_id).order_by(access_log.c.id)).all()
    assert sorted(r.subject_id for r in rows) == [f"p-{i}" for i in range(PEOPLE)]
    assert [r.id for r in rows] == list(range(1, PEOPLE + 1))
    report = services.verify()
    assert report.ok, [str(p) for p in report.problems]
    assert report.access_rows_checked == PEOPLE

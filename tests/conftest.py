"""Databases for tests: every test gets its own SQLite file, and on PostgreSQL its own schema.

PostgreSQL tests run against HABEAS_TEST_POSTGRES_URL (default: the local server on 127.0.0.1:5432, database
`test`). Where none is reachable they skip with that reason, unless HABEAS_REQUIRE_POSTGRES=1 (CI sets it),
in which case they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from habeas.bootstrap import Settings, init, open_ledger, open_services
from habeas.ledger.log import Ledger
from habeas.ledger.note import Signer
from habeas.services.door import Services

POSTGRES_URL = os.environ.get("HABEAS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("HABEAS_REQUIRE_POSTGRES") == "1"


def _postgres_problem() -> str | None:
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as e:
        return f"no PostgreSQL at {POSTGRES_URL}: {' '.join(str(e).split())[:200]}"
    return None


_PG_PROBLEM: list[str | None] = []


def postgres_problem() -> str | None:
    if not _PG_PROBLEM:
        _PG_PROBLEM.append(_postgres_problem())
    return _PG_PROBLEM[0]


@dataclass
class Db:
    """One test's own database: a SQLite file, or a PostgreSQL schema."""

    kind: str
    settings: Settings
    schema: str | None

    def env(self) -> dict[str, str]:
        """Environment for a subprocess that must open this database."""
        env = dict(os.environ)
        env["HABEAS_DATABASE_URL"] = self.settings.db_url
        env["HABEAS_SIGNING_KEY"] = str(self.settings.key_path)
        if self.schema:
            env["PGOPTIONS"] = f"-csearch_path={self.schema}"
        return env


def _postgres_db(tmp_path: Path) -> Iterator[Db]:
    problem = postgres_problem()
    if problem is not None:
        if REQUIRE_POSTGRES:
            pytest.fail(f"HABEAS_REQUIRE_POSTGRES=1 but {problem}")
        pytest.skip(problem)
    schema = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield Db("postgres", Settings(db_url=POSTGRES_URL, key_path=tmp_path / "habeas.key"), schema)
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Db]:
    if request.param == "sqlite":
        settings = Settings(db_url=f"sqlite:///{tmp_path / 'habeas.db'}", key_path=tmp_path / "habeas.key")
        yield Db("sqlite", settings, None)
    else:
        yield from _postgres_db(tmp_path)


class TickingClock:
    """A clock that moves one second a reading: deterministic, and never the wall clock."""

    def __init__(self, start: datetime = datetime(2025, 3, 15, 12, 0, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


class _Fresh:
    """New, empty databases beside a test's own: the first call gives `db` itself, later ones a new file or schema.

    Hypothesis runs many examples inside one test, and each example needs a database of its own.
    """

    def __init__(self, db: Db, tmp_path: Path) -> None:
        self.db = db
        self.tmp_path = tmp_path
        self.made = 0
        self.schemas: list[str] = []

    def __call__(self) -> Db:
        n, self.made = self.made, self.made + 1
        if n == 0:
            return self.db
        if self.db.schema is None:
            path, key = self.tmp_path / f"habeas-{n}.db", self.tmp_path / f"k{n}"
            return Db("sqlite", Settings(f"sqlite:///{path}", key), None)
        schema = f"{self.db.schema}_{n}"
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        self.schemas.append(schema)
        return Db("postgres", Settings(POSTGRES_URL, self.tmp_path / f"k{n}"), schema)

    def drop(self) -> None:
        if self.schemas:
            with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
                for schema in self.schemas:
                    conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def make_ledger(db: Db, tmp_path: Path) -> Iterator[Callable[[], tuple[Ledger, Signer]]]:
    """Each call makes a new, empty ledger: the first in the test's `db`, later ones beside it."""
    fresh = _Fresh(db, tmp_path)
    made: list[Ledger] = []

    def make() -> tuple[Ledger, Signer]:
        target = fresh()
        signer = init(target.settings, "test.habeas/log", schema=target.schema)
        ledger = open_ledger(target.settings, clock=TickingClock(), schema=target.schema)
        made.append(ledger)
        return ledger, signer

    yield make
    for ledger in made:
        ledger.engine.dispose()
    fresh.drop()


@pytest.fixture
def make_services(db: Db, tmp_path: Path) -> Iterator[Callable[..., Services]]:
    """Each call makes the services over a new, empty database (as `make_ledger`), with a `TickingClock`;
    ``pack=`` (a shipped name or a pack file) is the deployment's policy pack, loaded at start-up.

    A caller may dispose of `services.ledger.engine` early (a state machine does, after each example); the
    fixture disposes of every engine again at the end, which is harmless.
    """
    fresh = _Fresh(db, tmp_path)
    made: list[Services] = []

    def make(pack: str | None = None) -> Services:
        target = fresh()
        init(target.settings, "test.habeas/log", schema=target.schema)
        services = open_services(target.settings, clock=TickingClock(), schema=target.schema, pack=pack)
        made.append(services)
        return services

    yield make
    for services in made:
        services.ledger.engine.dispose()
    fresh.drop()

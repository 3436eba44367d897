"""PostgreSQL connections are checked when taken out of the pool only after sitting idle (storage/engine.py): a
connection the server dropped meanwhile is replaced without the caller seeing it, and one used a moment ago is
not pinged (the round trip that cost the public locator a quarter of a lookup)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from habeas.storage.engine import make_engine
from tests.conftest import POSTGRES_URL, REQUIRE_POSTGRES, postgres_problem


@pytest.fixture
def engine_of() -> Iterator[list[Engine]]:
    problem = postgres_problem()
    if problem is not None:
        if REQUIRE_POSTGRES:
            pytest.fail(f"HABEAS_REQUIRE_POSTGRES=1 but {problem}")
        pytest.skip(problem)
    made: list[Engine] = []
    yield made
    for engine in made:
        engine.dispose()


def _backend(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())


def _drop(pid: int) -> None:
    """End the backend, and wait until it is gone (termination is asynchronous)."""
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        deadline = time.monotonic() + 10
        while admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone() is not None:
            assert time.monotonic() < deadline, f"backend {pid} still there"
            time.sleep(0.01)


def test_a_connection_dropped_while_idle_is_replaced(engine_of: list[Engine]) -> None:
    engine = make_engine(POSTGRES_URL, ping_after=0.0)
    engine_of.append(engine)
    first = _backend(engine)
    _drop(first)  # as a server restart would, while the connection waits in the pool
    assert _backend(engine) != first


def test_a_connection_used_a_moment_ago_is_not_pinged(engine_of: list[Engine]) -> None:
    engine = make_engine(POSTGRES_URL, ping_after=3600.0)
    engine_of.append(engine)
    _drop(_backend(engine))
    with pytest.raises(OperationalError):  # no ping: the first statement finds the connection gone
        _backend(engine)
    assert _backend(engine) > 0  # and the pool then replaces it

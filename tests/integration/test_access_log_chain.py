"""The access log is verifiable (issue 10, finding 6), on SQLite and PostgreSQL (the `db` fixture).

Every row carries a chain hash over the rows before it, and every batch of reads appends one
``access_log.committed`` entry to the ledger (the log's last row id and chain head), so the signed checkpoints
commit to the access log. An attacker with the application's database user drops the append-only trigger (SQLite)
or disables it (PostgreSQL) and deletes, changes, rechains or forges rows: `log verify` names the row, through the
services and through the CLI; `rebuild --check` still passes; an upgrade chains rows written before the chain.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, select, text

from habeas.bootstrap import open_services, write_key
from habeas.domain.access_log import ACCESS_LOG_STREAM
from habeas.domain.events import EventType
from habeas.ledger.entry import parse_leaf
from habeas.ledger.note import generate_signer
from habeas.services import access
from habeas.services.access_chain import chain_hash
from habeas.services.door import Services
from habeas.storage import ledger_store, migrate
from habeas.storage.access import access_log
from habeas.storage.engine import make_engine
from tests.conftest import Db, TickingClock
from tests.e2e.cli import habeas

MakeServices = Callable[[], Services]
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def read(i: int, *, user: str = "u-1", agency: str = "ice") -> access.Read:
    return access.Read(user_id=user, agency_id=agency, action="read", subject_kind="person", subject_id=f"p-{i}",
                       request=f"GET /people/p-{i}", at=T0)


def commitments(services: Services) -> list[dict[str, object]]:
    with services.ledger.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT leaf FROM ledger_entry WHERE stream = :s ORDER BY seq"), {"s": ACCESS_LOG_STREAM}
        ).scalars()
        return [parse_leaf(bytes(leaf)) for leaf in rows]


def access_problems(services: Services) -> list[str]:
    report = services.verify()
    return [str(p) for p in report.problems]


@pytest.fixture
def logged(make_services: MakeServices) -> Services:
    """Ten rows in three batches: 1-4, 5-7, 8-10."""
    services = make_services()
    services.record_reads([read(i) for i in range(1, 5)])
    services.record_reads([read(i, user="u-2", agency="dgcp") for i in range(5, 8)])
    services.record_reads([read(i) for i in range(8, 11)])
    return services


@contextmanager
def tampering(services: Services) -> Iterator[Connection]:
    """What the application's database user can do when it owns the tables: switch the append-only trigger off."""
    with services.ledger.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER access_log_no_update")
            conn.exec_driver_sql("DROP TRIGGER access_log_no_delete")
        else:
            conn.exec_driver_sql("ALTER TABLE access_log DISABLE TRIGGER USER")
        yield conn


# -- the chain and its commitments --------------------------------------------------------------------------------


def test_each_batch_of_reads_appends_one_commitment_and_verifies(logged: Services) -> None:
    found = commitments(logged)
    assert [e["type"] for e in found] == [EventType.ACCESS_LOG_COMMITTED.value] * 3
    assert [e["body"]["last_id"] for e in found] == [4, 7, 10]
    # Nothing about who read whom in the public entry: the size and the chain head only, by the system.
    assert found[-1]["actor"] == {"agency": "system", "officer": "system"}
    assert set(found[-1]["body"]) == {"last_id", "head", "occurred_at"}
    assert found[-1]["private"] is None
    with logged.ledger.engine.connect() as conn:
        rows = conn.execute(select(access_log).order_by(access_log.c.id)).all()
    assert [r.id for r in rows] == list(range(1, 11))
    assert rows[-1].chain.hex() == found[-1]["body"]["head"]
    report = logged.verify()
    assert report.ok, [str(p) for p in report.problems]
    assert report.access_rows_checked == 10
    rebuilt = logged.rebuild_check()
    assert rebuilt.ok, [str(d) for d in rebuilt.differences]


def test_a_batch_of_many_reads_is_one_ledger_entry(make_services: MakeServices) -> None:
    services = make_services()
    before = services.size()
    services.record_reads([read(i) for i in range(500)])
    assert services.size() == before + 1


def test_requests_that_share_a_batch_share_one_commitment(make_services: MakeServices) -> None:
    """Group commit: ten requests queued behind a running batch go in the next one, with one commitment."""
    services = make_services()
    started, release = threading.Event(), threading.Event()

    def hold(_conn: Connection, _app: object) -> None:
        started.set()
        assert release.wait(30)

    holder = threading.Thread(target=services.ledger.write, args=(hold,))
    holder.start()
    assert started.wait(30)
    readers = [threading.Thread(target=services.record_reads, args=([read(i), read(i + 100)],)) for i in range(10)]
    for t in readers:
        t.start()
    deadline = time.monotonic() + 30
    while len(services.ledger._queue) < len(readers):  # every request queued behind the held batch
        assert time.monotonic() < deadline
        time.sleep(0.01)
    release.set()
    for t in [holder, *readers]:
        t.join(30)
    found = commitments(services)
    assert [e["body"]["last_id"] for e in found] == [20]
    report = services.verify()
    assert report.ok, [str(p) for p in report.problems]
    assert report.access_rows_checked == 20


def test_the_chain_is_sha256_of_the_previous_head_and_the_rows_canonical_json(logged: Services) -> None:
    with logged.ledger.engine.connect() as conn:
        rows = conn.execute(select(access_log).order_by(access_log.c.id)).all()
    head = bytes(32)
    for r in rows:
        head = chain_hash(head, r._mapping)
        assert head == r.chain
    import hashlib

    first = rows[0]
    assert rows[0].chain == hashlib.sha256(
        bytes(32)
        + b'{"action":"read","agency_id":"ice","at":"2025-03-01T08:00:00Z","id":1,"request":"GET /people/p-1",'
        b'"subject_id":"p-1","subject_kind":"person","user_id":"u-1"}'
    ).digest(), first


# -- tampering ----------------------------------------------------------------------------------------------------


def test_a_deleted_row_fails_verify_naming_the_row(logged: Services) -> None:
    with tampering(logged) as conn:
        conn.execute(access_log.delete().where(access_log.c.id == 5))
    problems = access_problems(logged)
    assert problems, "verify passed with row 5 deleted"
    assert any("access log row 6" in p and "row 4" in p for p in problems), problems


def test_a_changed_row_fails_verify_naming_the_row(logged: Services) -> None:
    with tampering(logged) as conn:
        conn.execute(access_log.update().where(access_log.c.id == 3).values(user_id="someone-else"))
    problems = access_problems(logged)
    assert any("access log row 3" in p for p in problems), problems


def test_the_last_rows_deleted_fail_verify(logged: Services) -> None:
    with tampering(logged) as conn:
        conn.execute(access_log.delete().where(access_log.c.id >= 9))
    problems = access_problems(logged)
    assert any("access log row 10" in p and "missing" in p for p in problems), problems


def test_a_row_deleted_and_the_chain_recomputed_fails_against_the_ledger(logged: Services) -> None:
    """The attacker rewrites every later chain hash so the table is consistent with itself: the signed ledger
    still commits to the old heads."""
    with tampering(logged) as conn:
        conn.execute(access_log.delete().where(access_log.c.id == 2))
        head = bytes(32)
        for r in conn.execute(select(access_log).order_by(access_log.c.id)).all():
            head = chain_hash(head, r._mapping)
            conn.execute(access_log.update().where(access_log.c.id == r.id).values(chain=head))
    problems = access_problems(logged)
    assert any("access log row 4" in p and "commit" in p for p in problems), problems


def test_a_forged_row_at_the_end_fails_verify(logged: Services) -> None:
    with logged.ledger.engine.begin() as conn:
        last = conn.execute(select(access_log).order_by(access_log.c.id.desc()).limit(1)).one()
        row = dict(read(11, user="forger").row(), id=11)
        conn.execute(access_log.insert().values(**row, chain=chain_hash(last.chain, row)))
    problems = access_problems(logged)
    assert any("access log row 11" in p and "not committed" in p for p in problems), problems


def test_verify_through_the_cli_fails_on_a_deleted_row(db: Db, logged: Services) -> None:
    ok = habeas("log", "verify", cwd=db.settings.key_path.parent, env=db.env())
    assert "access log" in ok.stdout
    with tampering(logged) as conn:
        conn.execute(access_log.delete().where(access_log.c.id == 5))
    proc = habeas("log", "verify", cwd=db.settings.key_path.parent, env=db.env(), check=False)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "access log row 6" in proc.stderr
    assert "does not verify" in proc.stderr.splitlines()[-1]


# -- rows from before the chain -----------------------------------------------------------------------------------


def at_the_baseline_with_reads(db: Db) -> None:
    """A database at the baseline revision (before the chain) with three access-log rows."""
    engine = make_engine(db.settings.db_url, schema=db.schema)
    try:
        migrate.upgrade(engine, to=migrate.BASELINE)
        with engine.begin() as conn:
            for i in (1, 2, 3):
                conn.execute(
                    text(
                        "INSERT INTO access_log (at, user_id, agency_id, action, subject_kind, subject_id, request) "
                        "VALUES ('2025-03-01T08:00:00Z', 'u-old', 'ice', 'read', 'person', :s, :r)"
                    ),
                    # Characters canonical JSON escapes, and some it must not: the upgrade spells its own encoding.
                    {"s": f"p-{i}", "r": f"GET /búsqueda/{i}\u2028\x1f\"\\\t😀"},
                )
    finally:
        engine.dispose()


def test_db_upgrade_with_the_key_chains_and_commits_rows_from_before_the_chain(db: Db) -> None:
    at_the_baseline_with_reads(db)
    write_key(db.settings.key_path, generate_signer("test.habeas/log"))
    habeas("db", "upgrade", cwd=db.settings.key_path.parent, env=db.env())
    ok = habeas("log", "verify", cwd=db.settings.key_path.parent, env=db.env())
    assert "the access log's 3 rows match" in ok.stdout


def test_rows_from_before_the_chain_are_chained_by_the_upgrade_and_committed(db: Db) -> None:
    at_the_baseline_with_reads(db)
    engine = make_engine(db.settings.db_url, schema=db.schema)
    try:
        migrate.upgrade(engine)
        with engine.connect() as conn:
            rows = conn.execute(select(access_log).order_by(access_log.c.id)).all()
        assert [r.id for r in rows] == [1, 2, 3]
        head = bytes(32)
        for r in rows:
            head = chain_hash(head, r._mapping)
            assert r.chain == head
    finally:
        engine.dispose()
    write_key(db.settings.key_path, generate_signer("test.habeas/log"))
    services = open_services(db.settings, clock=TickingClock(), schema=db.schema)
    try:
        # Not yet committed to by the ledger: verify says so, and says how to fix it.
        assert any("not committed" in p for p in access_problems(services))
        assert services.commit_access_log() is True
        assert services.commit_access_log() is False  # nothing new: no second entry
        report = services.verify()
        assert report.ok, [str(p) for p in report.problems]
        services.record_reads([read(4)])
        assert services.verify().ok
        with services.ledger.engine.connect() as conn:
            assert ledger_store.read_head(conn)[0] == 2
    finally:
        services.close()

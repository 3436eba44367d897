"""PostgreSQL with least privilege (issue 10, finding 6): `habeas db grant ROLE` and `habeas serve` as the owner.

The runtime role `db grant` makes can do what the services do (the whole seed operation, erasure, reads, the
locator, users and tokens, verify) but is not the owner of the tables: `ALTER TABLE access_log DISABLE TRIGGER
USER`, dropping a trigger or a table, and rewriting the ledger are refused. `habeas serve` connected as the owner
(or a superuser) refuses to start in one line unless `--allow-owner` is given. On SQLite, `db grant` says in one
line that SQLite has no roles.

The test databases run as the superuser `postgres` with a schema per test (tests/conftest.py): each test makes
roles with names of its own and drops them afterwards.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from habeas.bootstrap import Settings, init, open_services
from habeas.demo import operation
from habeas.demo.ground import write_ground_pack
from habeas.domain import commands as c
from habeas.domain.corrections import ErasureReason
from habeas.services import access, accounts, logins
from habeas.services.door import Services
from habeas.storage import privileges
from habeas.storage.engine import make_engine
from tests.conftest import POSTGRES_URL, Db, _postgres_db
from tests.e2e.api.server import free_port
from tests.e2e.cli import habeas, one_line_error

MakeServices = Callable[[], Services]
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
AGENCY = "agency-us-ice"  # the seed operation's
PASSWORD = "correct horse battery staple"


@pytest.fixture(params=[pytest.param("postgres", marks=pytest.mark.postgres)])
def db(tmp_path: Path) -> Iterator[Db]:
    """PostgreSQL only, here: roles are what this module tests (SQLite has none: test_db_grant_on_sqlite_says_so)."""
    yield from _postgres_db(tmp_path)


@pytest.fixture
def role_name(db: Db) -> Iterator[str]:
    """A role name of this test's own, dropped (with every privilege it holds) afterwards."""
    name = f"habeas_rt_{uuid.uuid4().hex[:12]}"
    yield name
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone()
        if exists:
            conn.execute(f"DROP OWNED BY {name}")
            conn.execute(f"DROP ROLE {name}")


def as_role(db: Db, url: str, *, extra_packs: tuple[str, ...] = ()) -> Services:
    """The services over the test's schema, connected with the URL `db grant` printed (it names the schema); on
    the wall clock, as the seed operation (in March 2025) needs to be in the past."""
    return open_services(replace(db.settings, db_url=url), extra_packs=extra_packs)


def test_the_runtime_role_runs_the_services_but_cannot_switch_the_trigger_off(
    db: Db, make_services: MakeServices, role_name: str, tmp_path: Path
) -> None:
    owner = make_services()  # `habeas init`, as the owner
    granted = privileges.grant_runtime_role(owner.engine, role_name)
    assert granted.created
    assert f"{role_name}:" in granted.url
    assert f"search_path%3D{db.schema}" in granted.url or f"search_path={db.schema}" in granted.url

    ground_pack = write_ground_pack(tmp_path)
    services = as_role(db, granted.url, extra_packs=(str(ground_pack),))
    try:
        with services.engine.connect() as conn:
            assert conn.execute(text("SELECT current_user")).scalar() == role_name
        assert privileges.owner_problem(services.engine) is None
        # What the services write: the whole seed operation (every concept's commands, gates, handoffs, intake)...
        outcome = operation.run(services, ground_pack=ground_pack)
        assert outcome.people > 0
        # ...erasure (deletes private payloads), reads (the access log and its commitment), users and tokens.
        services.execute(c.RegisterPerson(person_id="p-x", occurred_at=T0, nationalities=("SV",)))
        services.execute(c.ErasePerson(person_id="p-x", occurred_at=T0, reason=ErasureReason.DATA_SUBJECT_REQUEST))
        services.record_reads([
            access.Read(user_id="u-1", agency_id="ice", action="read", subject_kind="person", subject_id="p-x",
                        request="GET /people/p-x", at=T0)
        ])
        engine, now = services.engine, datetime.now(UTC)
        accounts.add_user(engine, user_id="u-1", agency_id=AGENCY, role="auditor", now=now, password=PASSWORD)
        assert logins.login(engine, user_id="u-1", password=PASSWORD, now=now) is not None  # counts, then forgets
        token = accounts.create_token(engine, user_id="u-1", name="t", now=now)
        accounts.revoke_token(engine, token_id=token.token_id, now=now, by="cli")
        accounts.disable_user(engine, user_id="u-1", now=now, by="cli")
        report = services.verify()
        assert report.ok, [str(p) for p in report.problems]

        # What the owner could do and the runtime role cannot.
        for statement in (
            "ALTER TABLE access_log DISABLE TRIGGER USER",
            "DROP TRIGGER access_log_append_only ON access_log",
            "DROP TABLE access_log",
            "TRUNCATE access_log",
            "DELETE FROM access_log",
            "UPDATE ledger_entry SET type = 'x'",
            "DELETE FROM ledger_checkpoint",
            "ALTER TABLE ledger_entry DISABLE TRIGGER USER",
            "CREATE TABLE intruder (x int)",
        ):
            with pytest.raises(DBAPIError, match=r"must be owner|permission denied|append-only"), \
                    services.engine.begin() as conn:
                conn.execute(text(statement))
    finally:
        services.close()
    # The owner still sees a sound log (and the projections the runtime role wrote rebuild equal).
    assert owner.verify().ok
    rebuilt = owner.rebuild_check()
    assert rebuilt.ok, [str(d) for d in rebuilt.differences]


def test_granting_again_updates_the_role_and_keeps_its_password(
    db: Db, make_services: MakeServices, role_name: str
) -> None:
    owner = make_services()
    first = privileges.grant_runtime_role(owner.engine, role_name)
    again = privileges.grant_runtime_role(owner.engine, role_name)
    assert (first.created, again.created) == (True, False)
    assert again.password is None  # unchanged: the URL given the first time still works
    services = as_role(db, first.url)
    try:
        services.execute(c.RegisterPerson(person_id="p-1", occurred_at=T0))
    finally:
        services.close()


def test_a_superuser_or_owner_name_is_refused_as_the_runtime_role(make_services: MakeServices, role_name: str) -> None:
    owner = make_services()
    with pytest.raises(privileges.PrivilegeError, match=r"postgres.*superuser"):
        privileges.grant_runtime_role(owner.engine, "postgres")
    with pytest.raises(privileges.PrivilegeError, match="not a role name"):
        privileges.grant_runtime_role(owner.engine, "bad name; DROP TABLE x")


def test_serve_as_the_owner_is_refused_in_one_line(db: Db, make_services: MakeServices, role_name: str) -> None:
    owner = make_services()
    problem = privileges.owner_problem(owner.engine)
    assert problem is not None
    assert "superuser" in problem
    proc = habeas("serve", "--port", str(free_port()), cwd=db.settings.key_path.parent, env=db.env(), check=False)
    one_line_error(proc, r"superuser.*habeas db grant.*--allow-owner")


def test_db_grant_through_the_cli_prints_the_url(db: Db, make_services: MakeServices, role_name: str) -> None:
    make_services()
    proc = habeas("db", "grant", role_name, cwd=db.settings.key_path.parent, env=db.env())
    url = re.search(r"postgresql://\S+", proc.stdout)
    assert url is not None, proc.stdout
    services = as_role(db, url.group(0))
    try:
        services.execute(c.RegisterPerson(person_id="p-1", occurred_at=T0))
        assert privileges.owner_problem(services.engine) is None
    finally:
        services.close()


def test_db_grant_on_sqlite_says_so(tmp_path: Path) -> None:
    # SQLite alone (no `db` fixture: the PostgreSQL half would have nothing to test)
    settings = Settings(db_url=f"sqlite:///{tmp_path / 'habeas.db'}", key_path=tmp_path / "habeas.key")
    init(settings, "test.habeas/grant")
    env = {"HABEAS_DATABASE_URL": settings.db_url, "HABEAS_SIGNING_KEY": str(settings.key_path)}
    one_line_error(habeas("db", "grant", "habeas_app", cwd=tmp_path, env=env, check=False), r"SQLite has no roles")
    engine = make_engine(settings.db_url)
    try:
        assert privileges.owner_problem(engine) is None  # nothing to refuse: the file's permissions are the guard
    finally:
        engine.dispose()

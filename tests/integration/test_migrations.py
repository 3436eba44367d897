"""Schema migrations and `rebuild --apply`, on SQLite and PostgreSQL (the `db` fixture).

- the baseline revision makes exactly the schema the pre-migration `create_schema` + `create_projections` made
  (tables, columns, constraints, indexes, triggers and their function, the head row), and the head revision
  matches the table definitions the code writes through;
- a database made by the baseline, or by the pre-migration path (stamped first), written to through the
  services, upgrades to head (again: nothing to do) and still verifies and rebuilds equal;
- refusals: a pre-migration database missing part of the baseline, a revision this habeas does not know, an
  empty database when creating is not asked for;
- `rebuild --apply` repairs damaged projections in one transaction and leaves them alone when the replay fails;
- the `habeas db` commands and `rebuild_apply_cmd`, in process.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import psycopg
import pytest
import typer
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, MetaData, inspect, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from habeas.bootstrap import Settings, open_services, write_key
from habeas.cli.db_cmds import db_app, rebuild_apply_cmd
from habeas.domain import commands as c
from habeas.domain.allegations import AllegationStatus
from habeas.domain.corrections import ErasureReason
from habeas.ledger.merkle import EMPTY_ROOT
from habeas.ledger.note import generate_signer
from habeas.services.door import Services
from habeas.services.rebuild import RebuildError
from habeas.storage import ledger_store, migrate
from habeas.storage.access import access_metadata
from habeas.storage.engine import make_engine
from habeas.storage.projections import catalog as projections
from habeas.storage.schema import ledger_head
from habeas.storage.schema import metadata as ledger_metadata
from tests.conftest import POSTGRES_URL, Db, TickingClock
from tests.integration import pre_migration_access
from tests.integration.test_services import T0, admit, assert_rebuild_equal, at, verify, world

ORIGIN = "test.habeas/log"


# -- helpers ----------------------------------------------------------------------------------------------------


@pytest.fixture
def engine(db: Db) -> Iterator[Engine]:
    made = make_engine(db.settings.db_url, schema=db.schema)
    yield made
    made.dispose()


@pytest.fixture
def other_engine(db: Db, tmp_path: Path) -> Iterator[Engine]:
    """A second, empty database of the same kind: a SQLite file beside the first, or a schema beside it."""
    if db.schema is None:
        made = make_engine(f"sqlite:///{tmp_path / 'other.db'}")
        yield made
        made.dispose()
        return
    schema = f"{db.schema}_b"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    made = make_engine(db.settings.db_url, schema=schema)
    try:
        yield made
    finally:
        made.dispose()
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def create_before_migrations(engine: Engine) -> None:
    """What `habeas init` did before there were migrations: `ledger_store.create_schema` (its body, with the
    HTTP interface's tables as they were then: tests/integration/pre_migration_access.py) and
    `projections.create_projections`."""
    with engine.begin() as conn:
        ledger_metadata.create_all(conn)
        pre_migration_access.access_metadata.create_all(conn)
        ledger_store.install_triggers(conn)
        conn.execute(ledger_head.insert().values(id=1, size=0, root=EMPTY_ROOT))
    projections.create_projections(engine)


def services_over(db: Db) -> Services:
    """The services over `db`'s existing schema, with a new signing key (no `init`: it would touch the schema)."""
    if not db.settings.key_path.exists():
        write_key(db.settings.key_path, generate_signer(ORIGIN))
    return open_services(db.settings, clock=TickingClock(), schema=db.schema)


def write_some(services: Services) -> None:
    """Entries of several kinds, a projection update, and an erasure (private rows deleted)."""
    world(services)
    run = services.execute
    run(c.RegisterPerson(person_id="p-1", occurred_at=T0, nationalities=("SV",)))
    run(c.RegisterPerson(person_id="p-2", occurred_at=T0, nationalities=("VE",)))
    run(admit("p-1"))
    run(c.RecordAllegation(allegation_id="al-1", person_id="p-1", occurred_at=T0, organisation="TdA", source="x"))
    run(c.ChangeAllegationStatus(allegation_id="al-1", occurred_at=at(2), to_status=AllegationStatus.WITHDRAWN))
    run(c.ErasePerson(person_id="p-2", occurred_at=at(3), reason=ErasureReason.DATA_SUBJECT_REQUEST))


def assert_sound(services: Services) -> None:
    report = verify(services)
    assert report.ok, report
    assert_rebuild_equal(services)


def schema_of(engine: Engine) -> dict[str, Any]:
    """Everything a schema is made of, comparable between two databases (the version table left out)."""
    with engine.connect() as conn:
        inspector = inspect(conn)
        tables = sorted(t for t in inspector.get_table_names() if t != migrate.VERSION_TABLE)
        described: dict[str, Any] = {
            t: {
                "columns": [
                    (col["name"], repr(col["type"]), col["nullable"], col.get("default"), col.get("autoincrement"))
                    for col in inspector.get_columns(t)
                ],
                "primary key": inspector.get_pk_constraint(t),
                "foreign keys": inspector.get_foreign_keys(t),
                "unique": inspector.get_unique_constraints(t),
                "checks": inspector.get_check_constraints(t),
                "indexes": sorted(
                    ((i["name"], tuple(i["column_names"]), i["unique"]) for i in inspector.get_indexes(t)), key=repr
                ),
            }
            for t in tables
        }
        head = conn.execute(text("SELECT id, size, root FROM ledger_head")).all()
        return {"tables": described, "head row": [tuple(r) for r in head], **_catalogue(conn)}


def _catalogue(conn: Connection) -> dict[str, Any]:
    """What the inspector does not show: triggers and the function they call, and the exact DDL where stored."""
    if conn.dialect.name == "sqlite":
        rows = conn.execute(
            text("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE :v ORDER BY type, name"),
            {"v": f"%{migrate.VERSION_TABLE}%"},
        )
        return {"sqlite_master": [tuple(r) for r in rows]}
    schema = conn.execute(text("SELECT current_schema()")).scalar_one()

    def plain(sql: str) -> str:
        return sql.replace(f"{schema}.", "")

    triggers = conn.execute(
        text(
            "SELECT t.tgname, c.relname, pg_get_triggerdef(t.oid) FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal "
            "AND c.relnamespace = current_schema()::regnamespace ORDER BY 1"
        )
    )
    functions = conn.execute(
        text(
            "SELECT proname, prosrc, pg_get_function_result(oid) FROM pg_proc "
            "WHERE pronamespace = current_schema()::regnamespace ORDER BY 1"
        )
    )
    constraints = conn.execute(
        text(
            "SELECT conname, conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE connamespace = current_schema()::regnamespace AND conrelid::regclass::text NOT LIKE :v ORDER BY 1"
        ),
        {"v": f"%{migrate.VERSION_TABLE}%"},
    )
    indexes = conn.execute(
        text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename <> :v ORDER BY 1"
        ),
        {"v": migrate.VERSION_TABLE},
    )
    sequences = conn.execute(
        text("SELECT sequence_name, data_type FROM information_schema.sequences WHERE sequence_schema = :s ORDER BY 1"),
        {"s": schema},
    )
    return {
        "triggers": [(n, t, plain(d)) for n, t, d in triggers],
        "functions": [tuple(r) for r in functions],
        "constraints": [(n, plain(t), plain(d)) for n, t, d in constraints],
        "indexes": [(n, plain(d)) for n, d in indexes],
        "sequences": [tuple(r) for r in sequences],
    }


def code_metadata() -> MetaData:
    """Every table the code writes through: the ledger, access and projection definitions together."""
    combined = MetaData()
    for table in [*ledger_metadata.sorted_tables, *access_metadata.sorted_tables, *projections.projection_tables()]:
        table.to_metadata(combined)
    return combined


# -- the baseline is today's schema -----------------------------------------------------------------------------


def test_the_baseline_makes_the_schema_the_pre_migration_path_made(engine: Engine, other_engine: Engine) -> None:
    migrate.upgrade(engine, to=migrate.BASELINE)
    create_before_migrations(other_engine)
    by_migration, by_create_all = schema_of(engine), schema_of(other_engine)
    assert by_migration == by_create_all
    # A guard against comparing two empty descriptions.
    assert {"ledger_entry", "ledger_private", "ledger_head", "access_log", "p_person", "p_scope"} <= set(
        by_migration["tables"]
    )
    assert by_migration["head row"] == [(1, 0, bytes.fromhex(
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"))]
    assert migrate.current(engine) == migrate.BASELINE
    assert migrate.current(other_engine) is None


def test_head_matches_the_table_definitions_the_code_writes_through(engine: Engine) -> None:
    """A column added to a table definition without a revision fails here."""
    migrate.upgrade(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, code_metadata()) == []


def test_the_baseline_keeps_the_ledger_append_only(engine: Engine) -> None:
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO ledger_checkpoint (size, root, note, signed_at) VALUES (0, :r, 'n', 't')"),
            {"r": bytes(32)},
        )
    for statement in ("DELETE FROM ledger_checkpoint", "UPDATE ledger_checkpoint SET note = 'm'"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))


# -- upgrades keep a written database sound ---------------------------------------------------------------------


def test_a_database_made_by_the_baseline_upgrades_and_still_verifies(db: Db, engine: Engine) -> None:
    migrate.upgrade(engine, to=migrate.BASELINE)
    services = services_over(db)
    try:
        write_some(services)
        size = services.ledger.size()
        report = migrate.upgrade(engine)
        assert (report.before, report.after, report.stamped) == (migrate.BASELINE, migrate.head(), False)
        again = migrate.upgrade(engine)
        assert (again.before, again.after, again.changed) == (migrate.head(), migrate.head(), False)
        assert migrate.current(engine) == migrate.head()
        assert services.ledger.size() == size
        assert_sound(services)
        services.execute(c.RegisterPerson(person_id="p-3", occurred_at=T0))  # still writable after the upgrade
        assert_sound(services)
    finally:
        services.ledger.engine.dispose()


def test_a_database_made_before_migrations_is_stamped_then_upgraded(db: Db, engine: Engine) -> None:
    create_before_migrations(engine)
    services = services_over(db)
    try:
        write_some(services)
        assert migrate.current(engine) is None
        report = migrate.upgrade(engine, create=False)
        assert (report.before, report.after, report.stamped, report.changed) == (None, migrate.head(), True, True)
        assert migrate.current(engine) == migrate.head()
        assert not migrate.upgrade(engine).changed
        assert_sound(services)
    finally:
        services.ledger.engine.dispose()


def test_an_empty_database_gets_the_whole_schema(db: Db, engine: Engine) -> None:
    report = migrate.upgrade(engine)
    assert (report.before, report.after, report.stamped) == (None, migrate.head(), False)
    services = services_over(db)
    try:
        write_some(services)
        assert_sound(services)
    finally:
        services.ledger.engine.dispose()


# -- refusals ---------------------------------------------------------------------------------------------------


def test_a_pre_migration_database_missing_part_of_the_baseline_is_not_stamped(engine: Engine) -> None:
    create_before_migrations(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE p_scope"))
        conn.execute(text("ALTER TABLE p_custody DROP COLUMN country"))
    with pytest.raises(migrate.MigrationError) as refused:
        migrate.upgrade(engine)
    message = str(refused.value)
    assert "p_custody.country" in message
    assert "p_scope" in message
    assert "\n" not in message
    assert migrate.current(engine) is None  # nothing was stamped


def test_a_revision_this_habeas_does_not_know_is_refused(engine: Engine) -> None:
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE {migrate.VERSION_TABLE} SET version_num = '9999_from_the_future'"))
    with pytest.raises(migrate.MigrationError, match=r"9999_from_the_future.*newer habeas"):
        migrate.upgrade(engine)
    assert migrate.current(engine) == "9999_from_the_future"


def test_an_empty_database_is_refused_when_creating_is_not_asked(engine: Engine) -> None:
    with pytest.raises(migrate.MigrationError, match="habeas init"):
        migrate.upgrade(engine, create=False)
    assert migrate.current(engine) is None
    with engine.connect() as conn:
        assert not inspect(conn).has_table(migrate.VERSION_TABLE)


def test_migration_errors_are_habeas_errors() -> None:
    from habeas.domain.errors import HabeasError

    assert issubclass(migrate.MigrationError, HabeasError)


# -- rebuild --apply --------------------------------------------------------------------------------------------


@pytest.fixture
def written(db: Db, engine: Engine) -> Iterator[Services]:
    migrate.upgrade(engine)
    services = services_over(db)
    write_some(services)
    yield services
    services.ledger.engine.dispose()


def test_rebuild_apply_repairs_damaged_projections(written: Services) -> None:
    with written.ledger.engine.begin() as conn:
        conn.execute(text("DELETE FROM p_custody WHERE person_id = 'p-1'"))
        conn.execute(text("UPDATE p_record SET status = 'alleged' WHERE record_id = 'al-1'"))
        conn.execute(
            text(
                "INSERT INTO p_person (person_id, seq, body, erased, updated_seq) "
                "VALUES ('p-ghost', 0, '{}', false, 0)"
            )
        )
    damaged = written.rebuild_check()
    assert sorted(str(d) for d in damaged.differences) == [
        "p_custody ('p-1',): the ledger makes a row the live table lacks",
        "p_person ('p-ghost',): the live table has a row the ledger does not make",
        "p_record ('allegation', 'al-1'): status is 'alleged' live, 'withdrawn' rebuilt",
    ]
    report = written.rebuild_apply()
    assert report.entries == written.ledger.size()
    assert (report.tables["p_custody"], report.removed["p_custody"]) == (1, 0)
    assert (report.tables["p_person"], report.removed["p_person"]) == (2, 3)
    assert set(report.tables) == {t.name for t in projections.projection_tables()}
    assert_sound(written)
    # The repaired projections serve commands as before.
    written.execute(c.Release(person_id="p-1", occurred_at=at(10), reason="bail"))
    assert_sound(written)


def test_rebuild_apply_on_sound_projections_changes_nothing(written: Services) -> None:
    with written.ledger.engine.connect() as conn:
        before = projections.dump(conn)
    report = written.rebuild_apply()
    assert report.tables == report.removed
    with written.ledger.engine.connect() as conn:
        assert projections.dump(conn) == before


def test_a_failed_rebuild_apply_leaves_the_projections_as_they_were(written: Services, db: Db) -> None:
    live = written.ledger.engine
    with live.begin() as conn:
        conn.execute(text("DELETE FROM p_custody"))
        # What an attacker with database access would do: lift the append-only guard and garble a leaf.
        if db.kind == "sqlite":
            conn.execute(text("DROP TRIGGER ledger_entry_no_update"))
        else:
            conn.execute(text("DROP TRIGGER ledger_entry_append_only ON ledger_entry"))
        conn.execute(text("UPDATE ledger_entry SET leaf = :junk WHERE seq = 5"), {"junk": b'{"type": "no.such"}'})
    with live.connect() as conn:
        before = projections.dump(conn)
    with pytest.raises(RebuildError, match="entry 5"):
        written.rebuild_apply()
    with live.connect() as conn:
        assert projections.dump(conn) == before


# -- the commands, in process -----------------------------------------------------------------------------------


def _cli(settings: Settings) -> typer.Typer:
    """The shape `habeas` gives them: a root whose context object carries the settings."""
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)

    @app.callback()
    def _root(ctx: typer.Context) -> None:
        ctx.obj = SimpleNamespace(settings=settings)

    app.add_typer(db_app, name="db")
    app.command("rebuild-apply")(rebuild_apply_cmd)
    return app


@pytest.fixture
def cli_env(db: Db, monkeypatch: pytest.MonkeyPatch) -> None:
    if db.schema is not None:
        monkeypatch.setenv("PGOPTIONS", f"-csearch_path={db.schema}")  # the commands open the URL as given


@pytest.mark.usefixtures("cli_env")
def test_db_upgrade_and_current_commands(db: Db, engine: Engine) -> None:
    runner = CliRunner()
    app = _cli(db.settings)
    if db.kind == "sqlite":  # no file yet: a mistyped --db is refused, not created
        missing = runner.invoke(app, ["db", "upgrade"])
        assert "habeas init" in str(missing.exception)
    else:  # an empty schema is refused: `habeas init` creates
        with pytest.raises(migrate.MigrationError, match="habeas init"):
            runner.invoke(app, ["db", "upgrade"], catch_exceptions=False)
    create_before_migrations(engine)
    shown = runner.invoke(app, ["db", "current", "--check"])
    assert shown.exit_code == 1
    assert f"none (head is {migrate.head()}" in shown.stdout
    done = runner.invoke(app, ["db", "upgrade"], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    assert f"from no revision to {migrate.head()}" in done.stdout
    again = runner.invoke(app, ["db", "upgrade"], catch_exceptions=False)
    assert "nothing to do" in again.stdout
    now = runner.invoke(app, ["db", "current", "--check"], catch_exceptions=False)
    assert now.stdout == f"{migrate.head()} (head)\n"


@pytest.mark.usefixtures("cli_env")
def test_rebuild_apply_command(written: Services, db: Db) -> None:
    with written.ledger.engine.begin() as conn:
        conn.execute(text("DELETE FROM p_custody"))
    result = CliRunner().invoke(_cli(db.settings), ["rebuild-apply"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"rebuilt from {written.ledger.size()} entries" in result.stdout
    assert "p_custody 1 (was 0)" in result.stdout
    assert written.rebuild_check().ok


def test_a_token_that_never_expired_expires_30_days_after_the_upgrade(engine: Engine) -> None:
    migrate.upgrade(engine, to=migrate.BASELINE)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO api_user (user_id, agency_id, role, created_at) VALUES ('ana', 'ice', 'admin', 't')"
        ))
        conn.execute(text(
            "INSERT INTO api_token (token_hash, token_id, user_id, name, created_at, expires_at) "
            "VALUES (:h, 't-1', 'ana', 'old', 't', NULL), (:h2, 't-2', 'ana', 'dated', 't', '2030-01-01T00:00:00Z')"
        ), {"h": "a" * 64, "h2": "b" * 64})
    migrate.upgrade(engine)
    with engine.connect() as conn:
        expiries = {r.token_id: r.expires_at for r in conn.execute(text("SELECT token_id, expires_at FROM api_token"))}
        lifetime = datetime.fromisoformat(expiries["t-1"]) - datetime.now(UTC)
        assert timedelta(days=29, hours=23) < lifetime <= timedelta(days=30)
        assert expiries["t-2"] == "2030-01-01T00:00:00Z"
        users = [tuple(r) for r in conn.execute(text("SELECT user_id, disabled_at FROM api_user"))]
        assert users == [("ana", None)]
    with pytest.raises(DBAPIError), engine.begin() as conn:
        conn.execute(text("UPDATE api_token SET expires_at = NULL"))

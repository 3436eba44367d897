"""`rebuild --check` compares by hashing, on SQLite and PostgreSQL: each projection table is hashed in key order
on both sides, and only the tables whose hashes differ are read row by row to name what differs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event, text

from habeas.services import rebuild
from habeas.services.door import Services
from habeas.storage.projections import catalog
from tests.integration.test_services import held  # noqa: F401  (the fixture)

_TABLE_READ = re.compile(r"\bFROM (p_\w+)", re.IGNORECASE)


@contextmanager
def _tables_read_row_by_row(engine: Engine) -> Iterator[set[str]]:
    """The projection tables read through SQLAlchemy on ``engine`` (the digests read from the driver directly)."""
    read: set[str] = set()

    def seen(_c: Any, _cursor: Any, statement: str, *_: Any) -> None:
        read.update(_TABLE_READ.findall(statement))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield read
    finally:
        event.remove(engine, "before_cursor_execute", seen)


def test_sound_projections_hash_equal_and_no_table_is_read_row_by_row(held: Services) -> None:  # noqa: F811
    engine = held.ledger.engine
    with _tables_read_row_by_row(engine) as read:
        report = held.rebuild_check()
    assert report.ok, [str(d) for d in report.differences]
    assert read == set()
    assert set(report.tables) == {t.name for t in catalog.projection_tables()}
    assert report.tables["p_custody"] == 1


def test_a_tampered_row_is_named_and_only_its_tables_are_compared_row_by_row(held: Services) -> None:  # noqa: F811
    engine = held.ledger.engine
    with engine.begin() as conn:
        conn.execute(text("UPDATE p_record SET status = 'adjudicated' WHERE record_id = 'al-1'"))
        conn.execute(text("DELETE FROM p_scope WHERE agency_id = 'ice' AND subject_id = 'p-1'"))
        conn.execute(text(
            "INSERT INTO p_custody (person_id, status, seq) VALUES ('p-ghost', 'in_custody', 1)"
        ))
    with _tables_read_row_by_row(engine) as read:
        report = held.rebuild_check()
    assert sorted(str(d) for d in report.differences) == [
        "p_custody ('p-ghost',): the live table has a row the ledger does not make",
        "p_record ('allegation', 'al-1'): status is 'adjudicated' live, 'withdrawn' rebuilt",
        "p_scope ('ice', 'person', 'p-1'): the ledger makes a row the live table lacks",
    ]
    assert read == {"p_custody", "p_record", "p_scope"}
    assert report.tables["p_custody"] == 2  # what the live table holds


def test_equal_rows_hash_equal_whatever_order_they_were_written_in(held: Services) -> None:  # noqa: F811
    """The digest reads in key order: a table rewritten in another physical order hashes the same."""
    engine = held.ledger.engine
    with engine.connect() as conn:
        before = {t.name: rebuild.table_digest(conn, t) for t in catalog.projection_tables()}
    with engine.begin() as conn:
        rows = conn.execute(text("SELECT * FROM p_scope ORDER BY subject_id DESC, agency_id DESC")).mappings().all()
        conn.execute(text("DELETE FROM p_scope"))
        for row in rows:
            conn.execute(
                text("INSERT INTO p_scope (agency_id, subject_kind, subject_id, seq) "
                     "VALUES (:agency_id, :subject_kind, :subject_id, :seq)"),
                dict(row),
            )
    with engine.connect() as conn:
        after = {t.name: rebuild.table_digest(conn, t) for t in catalog.projection_tables()}
        scope = next(t for t in catalog.projection_tables() if t.name == "p_scope")
    assert after == before
    assert before["p_scope"][0] == len(rows) > 1
    with engine.begin() as conn:
        conn.execute(text("UPDATE p_scope SET seq = seq + 1 WHERE subject_id = 'p-1' AND agency_id = 'ice'"))
    with engine.connect() as conn:
        assert rebuild.table_digest(conn, scope) != before["p_scope"]

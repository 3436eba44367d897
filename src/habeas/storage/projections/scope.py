"""Which agency may see which person, manifest, handoff or incident: a projection, rebuilt from the log.

An agency's users see people in its custody, inbound to it, or sent by it. All three leave a trace in
the log: an entry recorded by one of its officers, or an entry naming the agency as custodian, legal authority,
releasing or receiving party. Every such entry adds (agency, subject) rows here, once; rows are never removed, so
an agency that handed a person on still sees what it did with them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import BigInteger, Column, Connection, Index, String, Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from habeas.domain.custody import Authority, Custodian
from habeas.domain.events import Event
from habeas.storage.projections.schema import metadata

PERSON, MANIFEST, HANDOFF, INCIDENT = "person", "manifest", "handoff", "incident"

scope = Table(
    "p_scope",
    metadata,
    Column("agency_id", String(100), primary_key=True),
    Column("subject_kind", String(20), primary_key=True),
    Column("subject_id", String(200), primary_key=True),
    Column("seq", BigInteger, nullable=False),  # the first entry that put the subject in the agency's view
    Index("ix_p_scope_subject", "subject_kind", "subject_id"),
)

_PERSON_FIELDS = frozenset({"person_id", "person_ids", "counted_person_ids", "people", "alternates", "duplicate_id"})
_SUBJECT_FIELDS = {"manifest_id": MANIFEST, "receipt_id": HANDOFF, "incident_id": INCIDENT}
# Entry types whose stream is the subject itself, by the type's first dotted word.
_STREAM_KINDS = {"person": PERSON, "custody": PERSON, "manifest": MANIFEST, "handoff": HANDOFF, "incident": INCIDENT}
# The ledger's own actor for imports and bootstrapping: not an agency anyone logs in as.
_NO_AGENCY = frozenset({"system"})


def _walk(value: Any, name: str = "") -> Iterator[tuple[str, Any]]:
    """Every (field name, value) in an event, through nested dataclasses and tuples."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _walk(getattr(value, f.name), f.name)
    elif isinstance(value, tuple):
        for item in value:
            yield from _walk(item, name)
    else:
        yield name, value
    if isinstance(value, Custodian | Authority):
        yield "agency", value.agency_id


def subjects_and_agencies(event: Event) -> tuple[set[tuple[str, str]], set[str]]:
    """The (kind, id) subjects an event is about and the agencies it names."""
    subjects: set[tuple[str, str]] = set()
    agencies: set[str] = set()
    kind = _STREAM_KINDS.get(event.TYPE.value.split(".", 1)[0])
    if kind is not None:
        subjects.add((kind, event.stream))
    for name, value in _walk(event):
        if not isinstance(value, str):
            continue
        if name in _PERSON_FIELDS:
            subjects.add((PERSON, value))
        elif name in _SUBJECT_FIELDS:
            subjects.add((_SUBJECT_FIELDS[name], value))
        elif name == "agency":
            agencies.add(value)
    return subjects, agencies


def _insert_ignoring_duplicates(conn: Connection, rows: list[dict[str, Any]]) -> None:
    stmt = (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(scope)
    conn.execute(stmt.on_conflict_do_nothing(), rows)


def apply_scope(conn: Connection, entries: Iterable[tuple[int, Event]], actor_agency: str) -> None:
    """Record who may see what for entries recorded by an officer of ``actor_agency``."""
    rows: dict[tuple[str, str, str], int] = {}
    for seq, event in entries:
        subjects, agencies = subjects_and_agencies(event)
        agencies.add(actor_agency)
        for agency in agencies - _NO_AGENCY:
            for kind, subject in subjects:
                rows.setdefault((agency, kind, subject), seq)
    if rows:
        _insert_ignoring_duplicates(
            conn,
            [{"agency_id": a, "subject_kind": k, "subject_id": s, "seq": q} for (a, k, s), q in sorted(rows.items())],
        )

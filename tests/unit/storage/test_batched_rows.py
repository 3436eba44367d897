"""The set-wise appliers without a database (a connection is opened only to name the dialect; nothing is sent):
for one event of every type, the rows an applier queues from the event (the live path) equal the rows it queues
from the entry as a rebuild reads it back (the canonical body and payload, the event never decoded), and the
scope plan finds exactly what a walk of the whole event finds."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, create_engine

from habeas.domain.events import Event, EventType
from habeas.ledger.canonical import canonical
from habeas.storage.projections import catalog, scope
from habeas.storage.projections.batch import Batch
from habeas.storage.projections.rows import Recorded
from tests.unit.domain.samples import sample_events

SAMPLES = sample_events()
# A manifest's appliers read its state from the database first; the integration tests cover them.
NEEDS_THE_DATABASE = {t for t in EventType if t.value.startswith("manifest.")} | {EventType.GATE_EVALUATED}


@pytest.fixture(scope="module")
def conn() -> Iterator[Connection]:
    engine = create_engine("sqlite://")
    with engine.connect() as conn:
        yield conn
    engine.dispose()


def read_back(seq: int, event: Event) -> Recorded:
    """The entry as a rebuild reads it: the canonical JSON of its public body and of its private payload."""
    private = event.private()
    return Recorded(
        seq, event.TYPE, event.stream, body=json.loads(canonical(event.public())),
        private_json=None if private is None else canonical(private), agency="ice", in_order=True,
    )


@pytest.mark.parametrize("event_type", sorted(set(EventType) - NEEDS_THE_DATABASE, key=str))
def test_an_applier_queues_the_same_rows_from_the_event_and_from_the_stored_entry(
    event_type: EventType, conn: Connection
) -> None:
    event = SAMPLES[event_type]
    applier = catalog.APPLIERS[event_type]
    live, rebuilt = Batch(conn), Batch(conn)
    applier.many(live, [Recorded.of(7, event)])
    applier.many(rebuilt, [read_back(7, event)])
    assert rebuilt.queued() == live.queued()


def test_the_fast_body_text_is_the_canonical_text() -> None:
    for event in SAMPLES.values():
        assert read_back(1, event).body_json() == canonical(event.public()).decode()


def _walked(event: Event) -> tuple[set[tuple[str, str]], set[str]]:
    """What the scope found before it had plans: every field of the event, walked whole."""
    subjects: set[tuple[str, str]] = set()
    agencies: set[str] = set()
    kind = scope._STREAM_KINDS.get(event.TYPE.value.split(".", 1)[0])
    if kind is not None:
        subjects.add((kind, event.stream))
    for name, value in scope._walk(event):
        if not isinstance(value, str):
            continue
        if name in scope._PERSON_FIELDS:
            subjects.add((scope.PERSON, value))
        elif name in scope._SUBJECT_FIELDS:
            subjects.add((scope._SUBJECT_FIELDS[name], value))
        elif name == "agency":
            agencies.add(value)
    return subjects, agencies


@pytest.mark.parametrize("event_type", sorted(EventType, key=str))
def test_the_scope_plan_finds_what_a_walk_of_the_whole_event_finds(event_type: EventType) -> None:
    event = SAMPLES[event_type]
    walked = _walked(event)
    assert scope.subjects_and_agencies(event) == walked
    assert scope._of_stored(read_back(3, event)) == walked

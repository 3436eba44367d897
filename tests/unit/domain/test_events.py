"""Every event type: exact round trip through stored form, JSON-safe public body, no personal data in it."""

from __future__ import annotations

import dataclasses
import json
import string
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from habeas.domain.errors import InvalidField, UnknownEventType
from habeas.domain.events import Event, EventType, event_class, event_from
from habeas.domain.people import PartialDate, PersonRegistered
from habeas.domain.values import format_utc, parse_utc
from tests.unit.domain.samples import T0, Secrets, sample_events

SAMPLES = sample_events()
BASELINE_PUBLIC = json.dumps([e.public() for e in SAMPLES.values()], ensure_ascii=False)


def stored(event: Event) -> tuple[str, str, dict[str, Any], dict[str, Any] | None]:
    """What the ledger keeps: the type, the stream and both bodies after a real JSON round trip."""
    private = event.private()
    return (
        str(event.TYPE),
        event.stream,
        json.loads(json.dumps(event.public(), allow_nan=False)),
        None if private is None else json.loads(json.dumps(private, allow_nan=False)),
    )


def test_every_event_type_has_a_class_and_a_sample() -> None:
    assert {event_class(t).TYPE for t in EventType} == set(EventType)
    assert set(SAMPLES) == set(EventType)


@pytest.mark.parametrize("event_type", list(EventType))
def test_event_from_round_trips_exactly(event_type: EventType) -> None:
    event = SAMPLES[event_type]
    rebuilt = event_from(*stored(event))
    assert rebuilt == event
    assert type(rebuilt) is type(event)
    assert rebuilt.public() == event.public()
    assert rebuilt.private() == event.private()


@pytest.mark.parametrize("event_type", list(EventType))
def test_public_body_is_plain_json(event_type: EventType) -> None:
    def check(value: object) -> None:
        if isinstance(value, dict):
            assert all(isinstance(k, str) for k in value)
            for v in value.values():
                check(v)
        elif isinstance(value, list):
            for v in value:
                check(v)
        else:
            assert value is None or type(value) in (str, int, bool), value

    public = SAMPLES[event_type].public()
    check(public)
    assert "stream" not in public
    assert public["occurred_at"] == "2025-03-15T18:30:00Z"


@pytest.mark.parametrize("event_type", list(EventType))
def test_private_fields_have_defaults_so_erased_entries_still_rebuild(event_type: EventType) -> None:
    event = SAMPLES[event_type]
    cls = type(event)
    for f in dataclasses.fields(cls):
        if f.name in cls.private_names():
            assert f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
    type_, stream, public, _ = stored(event)
    erased = event_from(type_, stream, public, None)
    assert erased.public() == event.public()
    assert all(getattr(erased, n) in (None, ()) for n in cls.private_names())


def _walk(value: object) -> list[object]:
    if isinstance(value, dict):
        return [value, *(x for v in value.values() for x in _walk(v))]
    if isinstance(value, list):
        return [x for v in value for x in _walk(v)]
    return [value]


letters = st.text(alphabet=string.ascii_letters + "áéíóúñÁÉÑüçøß", min_size=6, max_size=20)


@given(
    st.fixed_dictionaries(
        {
            "given": letters,
            "surname1": letters,
            "surname2": letters,
            "alias": letters,
            "free_text": letters,
            "a_number": st.text(alphabet=string.digits, min_size=9, max_size=9).map(lambda d: "A" + d),
            "passport": st.text(alphabet=string.ascii_uppercase + string.digits, min_size=7, max_size=12),
        }
    ),
    st.dates(min_value=date(1930, 1, 1), max_value=date(2010, 1, 1)),
)
def test_no_personal_data_in_any_public_body(planted: dict[str, str], birth: date) -> None:
    for value in planted.values():
        assume(value not in BASELINE_PUBLIC and value.casefold() not in BASELINE_PUBLIC.casefold())
    secrets = Secrets(**planted, birth=PartialDate(year=birth.year, month=birth.month, day=birth.day))
    for event in sample_events(secrets).values():
        public = event.public()
        text = json.dumps(public, ensure_ascii=False)
        for value in planted.values():
            assert value not in text, (event.TYPE, value)
        assert birth.isoformat() not in text
        date_shaped = [v for v in _walk(public) if isinstance(v, dict) and {"year", "month", "day"} <= set(v)]
        assert not date_shaped, event.TYPE


def test_person_registered_keeps_identity_private_and_codes_public() -> None:
    event = SAMPLES[EventType.PERSON_REGISTERED]
    assert isinstance(event, PersonRegistered)
    assert set(event.public()) == {"occurred_at", "sex", "nationalities", "country_of_birth", "languages"}
    private = event.private()
    assert private is not None
    assert private["identifiers"][0] == {"kind": "a_number", "value": "A201577119", "country": "US"}
    assert private["date_of_birth"] == {"year": 1995, "month": 7, "day": 26}


def test_datetimes_are_utc_with_z_and_microseconds_only_when_nonzero() -> None:
    eastern = timezone(timedelta(hours=-5))
    assert format_utc(datetime(2025, 3, 15, 13, 30, tzinfo=eastern)) == "2025-03-15T18:30:00Z"
    assert format_utc(datetime(2025, 3, 15, 18, 30, 0, 120, tzinfo=UTC)) == "2025-03-15T18:30:00.000120Z"
    assert parse_utc("2025-03-15T18:30:00.000120Z") == datetime(2025, 3, 15, 18, 30, 0, 120, tzinfo=UTC)
    admission = SAMPLES[EventType.PERSON_ADMISSION_RECORDED].private()
    assert admission is not None
    assert admission["arrested_at"] == "2025-03-12T18:29:59.999995Z"


def test_event_times_are_normalised_to_utc_and_naive_times_refused() -> None:
    eastern = timezone(timedelta(hours=-5))
    event = dataclasses.replace(SAMPLES[EventType.AGENCY_REGISTERED], occurred_at=T0.astimezone(eastern))
    assert event.occurred_at.tzinfo is UTC
    with pytest.raises(InvalidField, match="occurred_at"):
        dataclasses.replace(event, occurred_at=datetime(2025, 3, 15, 18, 30))


def test_stream_must_be_an_opaque_id() -> None:
    with pytest.raises(InvalidField, match="stream"):
        dataclasses.replace(SAMPLES[EventType.AGENCY_REGISTERED], stream="Marcos Avalos")


def test_unknown_type_and_bad_bodies_are_refused() -> None:
    type_, stream, public, private = stored(SAMPLES[EventType.PERSON_REGISTERED])
    with pytest.raises(UnknownEventType):
        event_from("person.teleported", stream, public, private)
    with pytest.raises(InvalidField, match="unknown fields"):
        event_from(type_, stream, {**public, "name": "x"}, private)
    agency_type, agency_stream, agency_public, _ = stored(SAMPLES[EventType.AGENCY_REGISTERED])
    with pytest.raises(InvalidField, match="missing fields"):  # a field every such entry has always had
        event_from(agency_type, agency_stream, {k: v for k, v in agency_public.items() if k != "country"}, None)
    with pytest.raises(InvalidField):
        event_from(type_, stream, {**public, "sex": "dragon"}, private)
    with pytest.raises(InvalidField, match="no private payload"):
        event_from(agency_type, agency_stream, agency_public, {"name": "x"})


def test_an_entry_written_before_a_field_was_added_decodes_with_its_default() -> None:
    # The ledger is never rewritten: a field added later (with a default, as every added field must have) is
    # absent from the entries written before it, and they stay readable.
    type_, stream, public, private = stored(SAMPLES[EventType.FACILITY_REGISTERED])
    older = {k: v for k, v in public.items() if k not in ("declared_capacity", "code")}
    event = event_from(type_, stream, older, private)
    assert (event.declared_capacity, event.code) == (None, None)  # type: ignore[attr-defined]


def test_every_event_type_names_the_module_that_defines_it() -> None:
    """HOMES is what `event_class` imports on first use: a wrong or missing line would fail only when that type is
    first decoded in a process, so every line is checked against the class it finds."""
    from habeas.domain.events import HOMES

    assert set(HOMES) == set(EventType)
    for t in EventType:
        assert event_class(t.value).__module__ == f"habeas.domain.{HOMES[t]}", t


def test_an_event_decodes_in_a_process_that_imported_no_concept() -> None:
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from habeas.domain.events import EventType, event_class\n"
        "assert 'habeas.domain.manifest_events' not in sys.modules\n"
        "print(event_class('manifest.departed').__name__, 'habeas.domain.manifest_events' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert proc.stdout.split() == ["ManifestDeparted", "True"]

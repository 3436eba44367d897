"""Encoding on the command path (issue 12): an event is encoded once and kept, by encoders worked out once a type,
and entry times are spelt by a faster route; none of it may change a byte of what the log holds."""

from __future__ import annotations

import base64
import copy
import dataclasses
import random
import types
import typing
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum
from typing import Any

import pytest

from habeas.domain.codec import field_types
from habeas.domain.events import Event, EventType, event_from
from habeas.domain.values import format_utc
from habeas.ledger.canonical import canonical
from habeas.ledger.entry import iso_utc
from tests.unit.domain.samples import sample_events

SAMPLES = sample_events()


def reference_encode(value: Any, tp: Any) -> Any:
    """The encoder as it was before issue 12, one type test after another at every value: what the compiled
    encoders must reproduce exactly."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        (inner,) = [a for a in typing.get_args(tp) if a is not type(None)]
        return reference_encode(value, inner)
    if origin is tuple:
        inner = typing.get_args(tp)[0]
        return [reference_encode(v, inner) for v in value]
    if origin is dict:
        return copy.deepcopy(value)
    if dataclasses.is_dataclass(tp):
        hints = field_types(tp)  # type: ignore[arg-type]
        return {f.name: reference_encode(getattr(value, f.name), hints[f.name]) for f in dataclasses.fields(tp)}
    if isinstance(tp, type) and issubclass(tp, Enum):
        return value.value
    if tp is datetime:
        return format_utc(value)
    if tp is date:
        return value.isoformat()
    if tp is Decimal:
        return str(value)
    if tp is bytes:
        return base64.b64encode(value).decode("ascii")
    if tp in (str, int, bool):
        return value
    raise TypeError(f"no JSON encoding for {tp!r}")


def reference_bodies(event: Event) -> tuple[dict[str, Any], dict[str, Any] | None]:
    hints = field_types(type(event))
    public = {n: reference_encode(getattr(event, n), hints[n]) for n in type(event).public_names()}
    names = type(event).private_names()
    private = {n: reference_encode(getattr(event, n), hints[n]) for n in names} if names else None
    return public, private


@pytest.mark.parametrize("event_type", list(EventType), ids=lambda t: t.value)
def test_every_event_encodes_to_the_same_bytes_as_before(event_type: EventType) -> None:
    event = SAMPLES[event_type]
    public, private = reference_bodies(event)
    assert canonical(event.public()) == canonical(public)
    assert (None if event.private() is None else canonical(event.private())) == (
        None if private is None else canonical(private)
    )


@pytest.mark.parametrize("event_type", list(EventType), ids=lambda t: t.value)
def test_an_event_is_encoded_once_and_stays_itself(event_type: EventType) -> None:
    """The bodies are kept on the event (the log and the projections ask for them); equality, hashing and a copy
    with a field replaced see the fields only."""
    event = SAMPLES[event_type]
    fresh = event_from(event.TYPE.value, event.stream, event.public(), event.private())
    assert event.public() is event.public()
    assert event.private() is event.private()
    assert fresh == event
    if all("dict" not in str(f.type) for f in dataclasses.fields(event)):
        assert hash(fresh) == hash(event)  # (an event carrying an entry's body, a dict, has no hash at all)
    moved = dataclasses.replace(event, occurred_at=event.occurred_at + timedelta(seconds=1))
    assert moved.public() is not event.public()
    assert moved.public()["occurred_at"] == format_utc(event.occurred_at + timedelta(seconds=1))


def _strftime(t: datetime) -> str:
    u = t.astimezone(UTC)
    return u.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if u.microsecond else "%Y-%m-%dT%H:%M:%SZ")


def test_entry_times_are_spelt_as_strftime_spells_them() -> None:
    rng = random.Random(12)
    checked = 0
    for _ in range(20_000):
        t = datetime(1, 1, 2, tzinfo=UTC) + timedelta(microseconds=rng.randrange(0, 315_000_000_000_000_000))
        if rng.random() < 0.3:
            t = t.replace(microsecond=0)
        if rng.random() < 0.5 and t.year > 1:
            t = t.astimezone(timezone(timedelta(hours=rng.randint(-12, 12), minutes=rng.choice((0, 30)))))
        assert iso_utc(t) == _strftime(t), t
        checked += 1
    assert checked == 20_000
    for t in (datetime(999, 12, 31, 23, 59, 59, tzinfo=UTC), datetime(1000, 1, 1, tzinfo=UTC),
              datetime(2025, 3, 1, 8, 0, 0, 1, tzinfo=UTC)):
        assert iso_utc(t) == _strftime(t)

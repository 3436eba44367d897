"""Decoders worked out once a type (issue 12: a replay decodes every entry) answer as the decoder that worked the
type out at every value did: the same value, or the same refusal naming the same field, for every field of every
event type and a spread of right and wrong JSON values."""

from __future__ import annotations

import base64
import binascii
import copy
import dataclasses
import types
import typing
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any

import pytest

from habeas.domain.codec import decode, field_types
from habeas.domain.errors import InvalidField
from habeas.domain.events import EventType
from habeas.domain.values import parse_utc
from tests.unit.domain.samples import sample_events

SAMPLES = sample_events()
WRONG = [None, True, 0, 7, -1, "x", "", "2025-03-15", "2025-03-15T02:00:00Z", "AAAA", "1.5", [], ["x"], [1], {},
         {"x": 1}]


def _expect(field: str, data: Any, tp: type) -> Any:
    if not isinstance(data, tp):
        raise InvalidField(field, data, f"not a JSON {tp.__name__}")
    return data


def reference_decode(data: Any, tp: Any, field: str = "value") -> Any:
    """The decoder as it was before issue 12, one type test after another at every value."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        if data is None:
            return None
        (inner,) = [a for a in typing.get_args(tp) if a is not type(None)]
        return reference_decode(data, inner, field)
    if origin is tuple:
        _expect(field, data, list)
        return tuple(reference_decode(v, typing.get_args(tp)[0], field) for v in data)
    if origin is dict:
        return copy.deepcopy(_expect(field, data, dict))
    if dataclasses.is_dataclass(tp):
        _expect(field, data, dict)
        hints = field_types(tp)  # type: ignore[arg-type]
        fields = dataclasses.fields(tp)
        names = [f.name for f in fields]
        unknown = set(data) - set(names)
        if unknown:
            raise InvalidField(tp.__name__, sorted(unknown), "unknown fields")  # type: ignore[union-attr]
        missing = [f.name for f in fields if f.name not in data and f.default is dataclasses.MISSING
                   and f.default_factory is dataclasses.MISSING]
        if missing:
            raise InvalidField(tp.__name__, missing, "missing fields")  # type: ignore[union-attr]
        return tp(**{n: reference_decode(data[n], hints[n], n) for n in names if n in data})  # type: ignore[operator]
    if isinstance(tp, type) and issubclass(tp, Enum):
        try:
            return tp(data)
        except ValueError as e:
            raise InvalidField(field, data, f"not a {tp.__name__}") from e
    if tp is datetime:
        return parse_utc(_expect(field, data, str))
    if tp is date:
        try:
            return date.fromisoformat(_expect(field, data, str))
        except ValueError as e:
            raise InvalidField(field, data, "not an ISO 8601 date") from e
    if tp is Decimal:
        try:
            return Decimal(_expect(field, data, str))
        except InvalidOperation as e:
            raise InvalidField(field, data, "not a decimal") from e
    if tp is bytes:
        try:
            return base64.b64decode(_expect(field, data, str), validate=True)
        except binascii.Error as e:
            raise InvalidField(field, data, "not base64") from e
    if tp is bool:
        return _expect(field, data, bool)
    if tp is int:
        if isinstance(data, bool):
            raise InvalidField(field, data, "not an int")
        return _expect(field, data, int)
    if tp is str:
        return _expect(field, data, str)
    raise TypeError(f"no JSON decoding for {tp!r}")


def outcome(decoder: Any, data: Any, tp: Any, field: str) -> Any:
    try:
        return ("value", decoder(data, tp, field))
    except InvalidField as e:
        return ("refused", e.field, repr(e.value), e.reason)
    except (TypeError, ValueError) as e:
        return ("error", type(e).__name__)


@pytest.mark.parametrize("event_type", list(EventType), ids=lambda t: t.value)
def test_every_field_decodes_and_refuses_as_before(event_type: EventType) -> None:
    event = SAMPLES[event_type]
    hints = field_types(type(event))
    bodies = {**event.public(), **(event.private() or {})}
    for name, right in bodies.items():
        for data in [right, *WRONG]:
            assert outcome(decode, data, hints[name], name) == outcome(reference_decode, data, hints[name], name), (
                event_type, name, data,
            )

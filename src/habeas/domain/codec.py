"""JSON-safe encoding of domain values, driven by the dataclass field types.

Supported types: ``str``, ``int``, ``bool``, ``None``, ``Decimal`` (as a string, so no float ever reaches the
canonical JSON), ``datetime`` (ISO 8601 UTC with ``Z``), ``date`` (ISO 8601), ``bytes`` (standard base64),
enums (their value), ``tuple[X, ...]`` (a list), ``dict[str, Any]`` (an already JSON-safe object), ``X |
None`` and nested frozen dataclasses (an object). Decoding is the exact inverse: ``decode(encode(v, T), T) ==
v`` for every value the domain builds.
"""

from __future__ import annotations

import base64
import binascii
import copy
import dataclasses
import types
import typing
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any

from habeas.domain.errors import InvalidField
from habeas.domain.values import format_utc, parse_utc

_HINTS: dict[type, dict[str, Any]] = {}


def field_types(cls: type) -> dict[str, Any]:
    """Resolved annotations of a dataclass (cached: resolution is slow and the classes never change)."""
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = typing.get_type_hints(cls)
    return hints


def encode(value: Any, tp: Any) -> Any:
    return encoder(tp)(value)


Encoder = Callable[[Any], Any]
_ENCODERS: dict[Any, Encoder] = {}


def encoder(tp: Any) -> Encoder:
    """The function that encodes a value of type ``tp``, worked out once a type: which branch a type takes never
    changes, and working it out (``typing.get_origin``, ``is_dataclass``...) cost more than encoding."""
    found = _ENCODERS.get(tp)
    if found is None:
        found = _ENCODERS[tp] = _encoder_for(tp)
    return found


def _encoder_for(tp: Any) -> Encoder:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(inner) == 1:
            one = encoder(inner[0])
            return lambda value: None if value is None else one(value)

        def ambiguous(value: Any) -> Any:
            if value is None:
                return None
            (one_of,) = inner  # a union of two types but None has no encoding: refused as ever, when used
            return encoder(one_of)(value)

        return ambiguous
    if origin is tuple:
        item = encoder(typing.get_args(tp)[0])
        return lambda value: [item(v) for v in value]
    if origin is dict:
        return copy.deepcopy  # already JSON: an entry body carried inside a correction
    if dataclasses.is_dataclass(tp):
        return _DataclassEncoder(tp)
    if isinstance(tp, type) and issubclass(tp, Enum):
        return _enum_value
    if tp is datetime:
        return format_utc
    if tp is date:
        return _isoformat
    if tp is Decimal:
        return str
    if tp is bytes:
        return _base64
    if tp in (str, int, bool):
        return _same

    def refused(value: Any) -> Any:
        raise TypeError(f"no JSON encoding for {tp!r}")

    return refused


class _DataclassEncoder:
    """A nested dataclass as an object of its fields; the fields' encoders are found at the first value (a class
    may name itself in a field, so not while the encoder is being made)."""

    def __init__(self, tp: Any) -> None:
        self.tp = tp
        self.fields: tuple[tuple[str, Encoder], ...] | None = None

    def __call__(self, value: Any) -> dict[str, Any]:
        fields = self.fields
        if fields is None:
            hints = field_types(self.tp)
            fields = self.fields = tuple((f.name, encoder(hints[f.name])) for f in dataclasses.fields(self.tp))
        return {name: enc(getattr(value, name)) for name, enc in fields}


def _enum_value(value: Any) -> Any:
    return value.value


def _isoformat(value: Any) -> str:
    return str(value.isoformat())


def _base64(value: Any) -> str:
    return base64.b64encode(value).decode("ascii")


def _same(value: Any) -> Any:
    return value


def decode(data: Any, tp: Any, field: str = "value") -> Any:
    return decoder(tp)(data, field)


Decoder = Callable[[Any, str], Any]
"""``decode(data, field)``: the value of one type from its JSON, or InvalidField naming ``field``."""
_DECODERS: dict[Any, Decoder] = {}


def decoder(tp: Any) -> Decoder:
    """The function that decodes a value of type ``tp``, worked out once a type, as :func:`encoder` is (a replay
    decodes every entry of the log: working the branch out each time cost more than decoding)."""
    found = _DECODERS.get(tp)
    if found is None:
        found = _DECODERS[tp] = _decoder_for(tp)
    return found


def _decoder_for(tp: Any) -> Decoder:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(tp) if a is not type(None)]

        def optional(data: Any, field: str) -> Any:
            if data is None:
                return None
            (one,) = inner  # a union of two types but None has no decoding: refused as ever, when used
            return decoder(one)(data, field)

        if len(inner) == 1:
            one = decoder(inner[0])
            return lambda data, field: None if data is None else one(data, field)
        return optional
    if origin is tuple:
        item = decoder(typing.get_args(tp)[0])
        return lambda data, field: tuple(item(v, field) for v in _expect(field, data, list))
    if origin is dict:
        return lambda data, field: copy.deepcopy(_expect(field, data, dict))
    if dataclasses.is_dataclass(tp):
        cls: type[Any] = tp  # type: ignore[assignment]
        return lambda data, field: cls(**decode_kwargs(cls, _expect(field, data, dict)))
    if isinstance(tp, type) and issubclass(tp, Enum):
        enum = tp

        def member(data: Any, field: str) -> Any:
            try:
                return enum(data)
            except ValueError as e:
                raise InvalidField(field, data, f"not a {enum.__name__}") from e

        return member
    if tp is datetime:
        return lambda data, field: parse_utc(_expect(field, data, str))
    if tp is date:
        return _date
    if tp is Decimal:
        return _decimal
    if tp is bytes:
        return _bytes
    if tp is bool:
        return lambda data, field: _expect(field, data, bool)
    if tp is int:
        return _int
    if tp is str:
        return lambda data, field: _expect(field, data, str)

    def refused(data: Any, field: str) -> Any:
        raise TypeError(f"no JSON decoding for {tp!r}")

    return refused


def _date(data: Any, field: str) -> date:
    try:
        return date.fromisoformat(_expect(field, data, str))
    except ValueError as e:
        raise InvalidField(field, data, "not an ISO 8601 date") from e


def _decimal(data: Any, field: str) -> Decimal:
    try:
        return Decimal(_expect(field, data, str))
    except InvalidOperation as e:
        raise InvalidField(field, data, "not a decimal") from e


def _bytes(data: Any, field: str) -> bytes:
    try:
        return base64.b64decode(_expect(field, data, str), validate=True)
    except binascii.Error as e:
        raise InvalidField(field, data, "not base64") from e


def _int(data: Any, field: str) -> Any:
    if isinstance(data, bool):
        raise InvalidField(field, data, "not an int")
    return _expect(field, data, int)


def decode_fields(cls: type[Any], data: dict[str, Any], *, only: typing.Container[str] | None = None) -> Any:
    """Build ``cls`` from a dict of encoded fields (all of them, or those in ``only`` plus ``extra``)."""
    return cls(**decode_kwargs(cls, data, only=only))


_Plan = tuple[tuple[str, ...], frozenset[str], frozenset[str], dict[str, Decoder]]
_PLANS: dict[type, _Plan] = {}


def _plan(cls: type[Any]) -> _Plan:
    """A class's fields in order, their names, those without a default, and each one's decoder (once a class)."""
    found = _PLANS.get(cls)
    if found is None:
        hints = field_types(cls)
        fields = dataclasses.fields(cls)
        names = tuple(f.name for f in fields)
        found = _PLANS[cls] = (
            names, frozenset(names), frozenset(f.name for f in fields if not _has_default(f)),
            {n: decoder(hints[n]) for n in names},
        )
    return found


def decode_kwargs(
    cls: type[Any], data: dict[str, Any], *, only: typing.Container[str] | None = None
) -> dict[str, Any]:
    names, known, required, decoders = _plan(cls)
    if only is not None:
        names = tuple(n for n in names if n in only)
        known = frozenset(names)
    unknown = data.keys() - known
    if unknown:
        raise InvalidField(cls.__name__, sorted(unknown), "unknown fields")
    # A field added later has a default, and entries written before it lack it: they decode with the default
    # (a ledger is never rewritten, so its old entries must stay readable). A missing field with no default is
    # damage, refused.
    missing = [n for n in names if n not in data and n in required]
    if missing:
        raise InvalidField(cls.__name__, missing, "missing fields")
    return {n: decoders[n](data[n], n) for n in names if n in data}


def _has_default(f: dataclasses.Field[Any]) -> bool:
    return f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING


def _expect(field: str, data: Any, tp: type) -> Any:
    if not isinstance(data, tp):
        raise InvalidField(field, data, f"not a JSON {tp.__name__}")
    return data

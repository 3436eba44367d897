"""Small validators shared by the domain: ids, country and language codes, aware times, free text.

Each returns the (normalised) value or raises :class:`InvalidField` naming the field. Country codes are
checked for *format* only (ISO 3166-1 alpha-2 or alpha-3); whether the country exists is the services' job,
which have the country list.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from habeas.domain.errors import InvalidField

_COUNTRY = re.compile(r"[A-Z]{2,3}")
_LANGUAGE = re.compile(r"[a-z]{2,3}")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
_SLUG = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
MAX_TEXT = 2000
MAX_BIGINT = 2**63 - 1  # what a BIGINT column (a seq, a count) holds, on SQLite and PostgreSQL alike


def require_id(field: str, value: str) -> str:
    """An opaque record id: 1 to 128 characters of letters, digits and ``._:-``."""
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise InvalidField(field, value, "not an opaque id (1-128 of A-Z a-z 0-9 . _ : -)")
    return value


def require_country(field: str, value: str) -> str:
    """An ISO 3166-1 alpha-2 or alpha-3 code, upper case (format only)."""
    if not isinstance(value, str) or not _COUNTRY.fullmatch(value):
        raise InvalidField(field, value, "not an ISO 3166-1 alpha-2 or alpha-3 code in upper case")
    return value


def require_language(field: str, value: str) -> str:
    """An ISO 639-1 or 639-2/3 code, lower case (format only)."""
    if not isinstance(value, str) or not _LANGUAGE.fullmatch(value):
        raise InvalidField(field, value, "not an ISO 639 code in lower case")
    return value


def require_slug(field: str, value: str) -> str:
    """A short lower-case code such as a legal-basis or designation name."""
    if not isinstance(value, str) or not _SLUG.fullmatch(value):
        raise InvalidField(field, value, "not a lower-case code (a-z 0-9 _ . -)")
    return value


def require_text(field: str, value: str, *, max_len: int = MAX_TEXT) -> str:
    """Free text: non-blank, no control characters, at most ``max_len`` characters; outer spaces stripped."""
    if not isinstance(value, str):
        raise InvalidField(field, value, "not text")
    text = value.strip()
    if not text:
        raise InvalidField(field, value, "blank")
    if len(text) > max_len:
        raise InvalidField(field, value, f"longer than {max_len} characters")
    if any(ord(c) < 32 and c not in "\n\t" for c in text):
        raise InvalidField(field, value, "contains control characters")
    return text


def require_aware(field: str, value: datetime) -> datetime:
    """A timezone-aware datetime, returned in UTC."""
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise InvalidField(field, value, "not a timezone-aware datetime")
    return value.astimezone(UTC)


def require_not_future(field: str, value: datetime, now: datetime) -> datetime:
    """An aware datetime no later than ``now`` (things are recorded after they happen)."""
    at = require_aware(field, value)
    if at > require_aware("now", now):
        raise InvalidField(field, value, "in the future")
    return at


def format_utc(value: datetime) -> str:
    """ISO 8601 UTC: ``YYYY-MM-DDTHH:MM:SSZ``, with ``.ffffff`` only when microseconds are nonzero."""
    at = require_aware("datetime", value)
    pattern = "%Y-%m-%dT%H:%M:%S.%fZ" if at.microsecond else "%Y-%m-%dT%H:%M:%SZ"
    return at.strftime(pattern)


def parse_utc(text: str) -> datetime:
    """Inverse of :func:`format_utc`."""
    try:
        at = datetime.fromisoformat(text)
    except (TypeError, ValueError) as e:
        raise InvalidField("datetime", text, "not ISO 8601") from e
    return require_aware("datetime", at)

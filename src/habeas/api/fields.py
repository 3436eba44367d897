"""Field types every request body shares: ids, codes, countries, languages, times, free text.

The patterns are the domain's own (``habeas.domain.values``), so a malformed value is a 422 pointing at the field
before any command is built.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"
SLUG_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,63}$"


def _utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:  # year 1 with a positive offset, year 9999 with a negative one
        raise ValueError("out of range once converted to UTC") from None


Id = Annotated[str, Field(pattern=ID_PATTERN, description="an opaque id", examples=["p-1"])]
Slug = Annotated[str, Field(pattern=SLUG_PATTERN, description="a lower-case code such as ina_241")]
Instant = Annotated[
    AwareDatetime, AfterValidator(_utc),
    Field(description="ISO 8601 with a time zone (Z or an offset); a time without one is refused"),
]
Country = Annotated[
    str, Field(pattern=r"^\s*[A-Za-z]{2,3}\s*$", description="ISO 3166-1 alpha-2 or alpha-3 (any case)"),
    AfterValidator(lambda s: s.strip().upper()),
]
Language = Annotated[
    str, Field(pattern=r"^\s*[A-Za-z]{2,3}\s*$", description="ISO 639 code (any case)"),
    AfterValidator(lambda s: s.strip().lower()),
]
Text = Annotated[str, Field(min_length=1, max_length=2000)]


def new_id(prefix: str) -> str:
    """The id of a new record when the caller gave none."""
    return f"{prefix}-{secrets.token_hex(8)}"

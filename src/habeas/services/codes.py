"""Country and language codes must exist, not just look right.

The pure domain checks the form (ISO 3166-1 alpha-2 or alpha-3, ISO 639 lower case); the code lists live in
pycountry, a dependency the domain must not have. So the unit of work checks every event's public fields here,
before anything is appended.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

import pycountry

from habeas.domain.errors import InvalidField

COUNTRY_FIELDS = frozenset({"country", "country_of_birth", "destination_country", "nationalities", "nationality"})
LANGUAGE_FIELDS = frozenset({"language", "languages"})


@cache
def country_exists(code: str) -> bool:
    found = pycountry.countries.get(alpha_2=code) if len(code) == 2 else pycountry.countries.get(alpha_3=code)
    return found is not None


@cache
def language_exists(code: str) -> bool:
    found = pycountry.languages.get(alpha_2=code) if len(code) == 2 else pycountry.languages.get(alpha_3=code)
    return found is not None


def _values(v: Any) -> Iterable[str]:
    if isinstance(v, str):
        yield v
    elif isinstance(v, list | tuple):
        yield from (x for x in v if isinstance(x, str))


def check_codes(body: dict[str, Any]) -> None:
    """Refuse a public body naming a country or language that does not exist; looks one level into objects."""
    for key, value in body.items():
        if isinstance(value, dict):
            check_codes(value)
        elif key in COUNTRY_FIELDS:
            for code in _values(value):
                if not country_exists(code):
                    raise InvalidField(key, code, "no such ISO 3166-1 country")
        elif key in LANGUAGE_FIELDS:
            for code in _values(value):
                if not language_exists(code):
                    raise InvalidField(key, code, "no such ISO 639 language")

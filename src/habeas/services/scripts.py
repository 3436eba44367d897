"""The Unicode script data the pure name rules take (:mod:`habeas.domain.names`), from fontTools.

The standard library's ``unicodedata`` has no Script property. fontTools ships Unicode's Scripts.txt and
ScriptExtensions.txt as tables it keeps current with each Unicode release (a font toolchain needs them to shape
text), and answers the Script_Extensions of a character with ISO 15924 codes, the codes TR 39's mixed-script
rule is written in; it is pure Python with no dependencies. The alternatives were weaker: ``regex`` matches
``\\p{Script=...}`` but cannot list a character's scripts without a hand-made list of script names to try, and
the confusables packages on PyPI carry older copies of the same tables with far fewer users.
"""

from __future__ import annotations

from collections.abc import Collection
from functools import cache


@cache
def script_extensions(ch: str) -> Collection[str]:
    """``ch``'s Script_Extensions: ``{"Latn"}``, ``{"Arab", "Syrc"}``, ``{"Zyyy"}`` for Common."""
    from fontTools import unicodedata as ucd  # lazily: 20 ms of tables no command but a registration needs

    return frozenset(ucd.script_extension(ch))

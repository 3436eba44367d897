"""An entry's head is written key by key (so a command's body is encoded once, for the leaf and the projections);
it must be the very bytes canonical JSON makes of the whole entry, and the seq spliced in must give the leaf
canonical JSON makes with the seq."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from habeas.domain.actors import Actor
from habeas.ledger.canonical import canonical
from habeas.ledger.entry import commitment, iso_utc, leaf_bytes, prepare_entry

TEXT = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=12)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=12,
)
WHEN = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))


SALT = b"\x00" * 16


@st.composite
def entries(draw: st.DrawFn) -> dict[str, object]:
    at = draw(WHEN)
    return {
        "type": draw(TEXT), "stream": draw(TEXT), "actor": Actor(officer=draw(TEXT), agency=draw(TEXT)),
        "body": draw(st.dictionaries(TEXT, JSON, max_size=4)), "private": draw(st.none() | st.dictionaries(TEXT, JSON)),
        "occurred_at": at, "recorded_at": at + timedelta(microseconds=draw(st.integers(0, 10**6))),
    }


@given(entries(), st.integers(0, 2**40))
def test_the_head_is_canonical_json_of_the_whole_entry(entry: dict[str, Any], seq: int) -> None:
    prepared = prepare_entry(**entry, salt=SALT)
    private = entry["private"]
    whole = {
        **entry, "actor": entry["actor"].as_json(), "occurred_at": iso_utc(entry["occurred_at"]),
        "recorded_at": iso_utc(entry["recorded_at"]),
        "private": None if private is None else commitment(SALT, canonical(private)).hex(),
    }
    assert prepared.head == canonical(whole)
    assert leaf_bytes(prepared.head, seq, prepared.cut) == canonical({**whole, "seq": seq})
    assert prepare_entry(**entry, salt=SALT, body_json=canonical(entry["body"])) == prepared

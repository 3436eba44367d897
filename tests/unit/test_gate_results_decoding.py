"""A departure reads the person's gate results at every move (services/invariants.py ``_gates``): a stored body in
the form the codec writes is built straight into its checks; anything else goes through the codec, as before, so
what it refuses is refused the same way."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from habeas.domain.errors import InvalidField
from habeas.domain.events import EventType, event_from
from habeas.domain.manifest_events import GateCheck, GateEvaluated, GateOutcome
from habeas.ledger.canonical import canonical
from habeas.services.invariants import _gate_event, _plain_gates

EVALUATED = GateEvaluated(
    stream="mf-1", occurred_at=datetime(2012, 4, 19, 15, 0, tzinfo=UTC), person_id="p-1", policy="us-federal",
    pack_sha256="ab" * 32,
    checks=(
        GateCheck(gate="identity_verified", outcome=GateOutcome.PASS, reason_code="identity-verified"),
        GateCheck(gate="removal_order", outcome=GateOutcome.FAIL, reason_code="no-final-order", rests_on_seq=7,
                  rests_on_record="ro-1"),
        GateCheck(gate="fitness", outcome=GateOutcome.UNKNOWN, reason_code="not-recorded"),
    ),
)


def _stored(body: dict[str, object]) -> dict[str, object]:
    return json.loads(canonical(body))  # type: ignore[no-any-return]


def test_a_stored_body_is_built_into_the_checks_the_codec_gives() -> None:
    data = _stored(EVALUATED.public())
    assert _plain_gates(data)
    event = event_from(EventType.GATE_EVALUATED.value, "mf-1", data, None)
    assert isinstance(event, GateEvaluated)
    assert _gate_event("mf-1", data) == event == EVALUATED
    del data["pack_sha256"]  # written before packs had a hash: the default
    assert _gate_event("mf-1", data) == event_from(EventType.GATE_EVALUATED.value, "mf-1", data, None)


@pytest.mark.parametrize("damage", [
    lambda d: d["checks"][0].update(outcome="maybe"),
    lambda d: d["checks"][0].update(outcome=["pass"]),
    lambda d: d["checks"][1].update(rests_on_seq=True),
    lambda d: d["checks"][1].update(rests_on_seq="7"),
    lambda d: d["checks"][0].update(extra=1),
    lambda d: d["checks"][0].pop("reason_code"),
    lambda d: d.update(checks={"not": "a list"}),
    lambda d: d.pop("policy"),
    lambda d: d.update(surplus="x"),
    lambda d: d.update(occurred_at="yesterday"),
])
def test_any_other_form_goes_through_the_codec(damage: object) -> None:
    data = _stored(EVALUATED.public())
    damage(data)  # type: ignore[operator]
    assert not _plain_gates(data)
    with pytest.raises((InvalidField, TypeError)) as by_codec:
        event_from(EventType.GATE_EVALUATED.value, "mf-1", data, None)
    with pytest.raises(type(by_codec.value)) as here:
        _gate_event("mf-1", data)
    assert str(here.value) == str(by_codec.value)

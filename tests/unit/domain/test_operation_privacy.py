"""No public body of the operation's events carries what their private fields hold."""

from __future__ import annotations

import json

import pytest

from habeas.domain.events import Event
from tests.unit.domain.samples import T0, Secrets
from tests.unit.domain.samples_operation import NONCE, operation_samples

SECRETS = Secrets()
EVENTS = operation_samples(SECRETS, T0)
PLANTED = [
    SECRETS.given,
    SECRETS.surname1,
    SECRETS.surname2,
    SECRETS.alias,
    SECRETS.free_text,
    SECRETS.a_number,
    SECRETS.passport,
    NONCE,
]


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: str(e.TYPE))
def test_public_body_holds_no_private_value(event: Event) -> None:
    public = json.dumps(event.public(), ensure_ascii=False)
    for value in PLANTED:
        assert value not in public, (event.TYPE, value)
    private = event.private()
    if private is not None:
        assert any(v not in (None, [], "") for v in private.values()), "the sample plants something private"


def test_private_fields_of_the_operation() -> None:
    names = {str(e.TYPE): set(type(e).private_names()) for e in EVENTS}
    assert names["incident.opened"] == {"details"}
    assert names["incident.resolved"] == {"note"}
    assert names["access.logged"] == {"visitor_name", "note"}
    assert names["notification.sent"] == {"contact", "note"}
    assert names["handoff.receipt_issued"] == {"descriptions", "nonce"}
    assert names["intake.capacity_override"] == {"reason"}  # free text beside a person's id
    for public_only in (
        "headcount.recorded",
        "notification.due",
        "handoff.signed",
        "handoff.completed",
        "agreement.recorded",
        "agreement.invoice_issued",
    ):
        assert names[public_only] == set(), public_only

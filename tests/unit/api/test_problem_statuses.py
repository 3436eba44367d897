"""The HTTP status of each error class is the API's decision, pinned here (the domain names no status)."""

from __future__ import annotations

from pathlib import Path

import pytest

from habeas.api.problems import STATUSES, ApiProblem, status_of
from habeas.domain.errors import (
    AlreadyExists,
    DomainError,
    HabeasError,
    InvalidField,
    UnknownEventType,
    UnknownRecord,
)
from habeas.domain.handoffs import HandoffSignatureInvalid
from habeas.domain.manifest_state import DepartureBlocked
from habeas.gates.policy import PolicyError
from habeas.importers.tabular import ImportFileError
from habeas.ledger.merkle import ProofError


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (InvalidField("name", "x", "empty"), 422),
        (HandoffSignatureInvalid("r-1", "sender"), 422),
        (UnknownRecord("person", "p-1"), 404),
        (AlreadyExists("person", "p-1"), 409),
        (DepartureBlocked("m-1", ("p-1",)), 409),
        (UnknownEventType("x.y"), 409),
        (DomainError("a refusal of no named kind"), 400),
        (HabeasError("refused"), 409),
        (ApiProblem(429, "rate-limited", "Too many requests", "slow down"), 429),
        (ProofError("no such leaf"), 500),
        (PolicyError("pack", "gates", "unknown"), 500),
        (ImportFileError(Path("f.csv"), "empty"), 500),
    ],
)
def test_status_of(error: HabeasError, status: int) -> None:
    assert status_of(error) == status


def test_more_specific_classes_come_first() -> None:
    classes = [cls for cls, _ in STATUSES]
    for i, cls in enumerate(classes):
        assert not any(issubclass(cls, earlier) for earlier in classes[:i]), cls

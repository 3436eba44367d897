"""Half-open periods: ``active_from`` inclusive, ``active_to`` exclusive, ``None`` for an open end."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from habeas.domain.errors import InvalidField
from habeas.domain.values import require_aware


@dataclass(frozen=True, kw_only=True)
class Period:
    active_from: datetime
    active_to: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "active_from", require_aware("active_from", self.active_from))
        if self.active_to is not None:
            end = require_aware("active_to", self.active_to)
            if end <= self.active_from:
                raise InvalidField("active_to", self.active_to, "not after active_from")
            object.__setattr__(self, "active_to", end)

    def contains(self, t: datetime) -> bool:
        at = require_aware("t", t)
        return self.active_from <= at and (self.active_to is None or at < self.active_to)

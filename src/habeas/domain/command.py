"""The base of every command: what a caller asks the domain to decide. Imperative names, frozen, keyword-only.

Each concept defines its commands beside the decisions that take them (:mod:`habeas.domain.commands` is the
index of them all). Ids of new records are chosen by the caller (the services), so deciding stays pure.
``occurred_at`` is when the thing happened in the world (aware datetime); the decision refuses a time later
than its ``now``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Command:
    pass

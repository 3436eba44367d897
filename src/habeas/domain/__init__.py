"""The pure domain: standard library only, no clock, no I/O.

Importing this package imports every concept module, so that every event class is registered for
:func:`habeas.domain.events.event_from`.
"""

from habeas.domain import (
    access_log,
    agreements,
    allegations,
    commands,
    corrections,
    court_orders,
    custody,
    facilities,
    handoffs,
    headcounts,
    identity,
    incidents,
    intake,
    legal,
    manifests,
    medical,
    moves,
    notifications,
    people,
    return_overrides,
)

__all__ = [
    "access_log",
    "agreements",
    "allegations",
    "commands",
    "corrections",
    "court_orders",
    "custody",
    "facilities",
    "handoffs",
    "headcounts",
    "identity",
    "incidents",
    "intake",
    "legal",
    "manifests",
    "medical",
    "moves",
    "notifications",
    "people",
    "return_overrides",
]

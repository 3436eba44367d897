"""The pure domain: standard library only, no clock, no I/O.

Importing this package imports every concept module, so that every event class is registered for
:func:`habeas.domain.events.event_from`.
"""

from habeas.domain import (
    allegations,
    commands,
    corrections,
    court_orders,
    custody,
    facilities,
    identity,
    legal,
    people,
)

__all__ = [
    "allegations",
    "commands",
    "corrections",
    "court_orders",
    "custody",
    "facilities",
    "identity",
    "legal",
    "people",
]

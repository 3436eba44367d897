"""The wiring tables, merged explicitly from the concepts: which handler runs which command (HANDLERS), which
applier brings the projections up to date with which event (APPLIERS), which follow-ups run after which event
(REACTIONS). :func:`habeas.bootstrap.wire` injects their dependencies; nothing here runs at import time but
building the tables.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

from habeas.domain.commands import Command
from habeas.domain.events import EventType
from habeas.services import (
    access,
    agreements,
    alert_binding,
    clearance,
    corrections,
    custody,
    facilities,
    handoffs,
    incidents,
    intake,
    legal,
    manifests,
    notifications,
    people,
)
from habeas.services.unit_of_work import Handler, Projector, Reaction
from habeas.storage.projections import catalog
from habeas.storage.projections.rows import Applier

HANDLERS: dict[type[Command], Handler] = {
    **people.HANDLERS,
    **legal.HANDLERS,
    **custody.HANDLERS,
    **facilities.HANDLERS,
    **manifests.HANDLERS,
    **clearance.HANDLERS,
    **handoffs.HANDLERS,
    **intake.HANDLERS,
    **incidents.HANDLERS,
    **notifications.HANDLERS,
    **agreements.HANDLERS,
    **access.HANDLERS,
    **corrections.HANDLERS,
    **alert_binding.HANDLERS,
}


# Follow-ups between concepts, run by the unit of work after it records an event of the type, in the same
# transaction: a legal record (or a new fitness assessment) lapses clearances and raises return-required alerts.
REACTIONS: dict[EventType, list[Reaction]] = {
    **{t: [clearance.after_legal_record] for t in clearance.LAPSING},
    EventType.ENTRY_CORRECTED: [clearance.after_correction],  # a corrected record lapses as a new one does
}


APPLIERS: Mapping[EventType, Applier] = catalog.APPLIERS


def projector(appliers: Mapping[EventType, Applier] = APPLIERS) -> Projector:
    return functools.partial(catalog.apply_many, appliers=appliers)



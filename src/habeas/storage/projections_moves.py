"""Projections of journeys, manifests, gate results and alerts (issue 4).

Tables are defined on ``projection_metadata`` so that creation, dumps and rebuilds include them.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection

from habeas.domain.events import Event, EventType

APPLIERS: dict[EventType, Callable[[Connection, int, Event], None]] = {}

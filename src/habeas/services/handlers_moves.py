"""Handlers of the moves, manifests and gates commands (issue 4)."""

from __future__ import annotations

from collections.abc import Callable

from habeas.domain.commands import Command
from habeas.services.unit_of_work import Result

HANDLERS: dict[type[Command], Callable[..., Result]] = {}

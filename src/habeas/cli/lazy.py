"""Commands imported when they run, so that `habeas --help` answers at once.

A command runs with SQLAlchemy, the domain, the services, Alembic or FastAPI: most of a second of imports between
them. `habeas --help` needs none of it: the group lists the commands from :data:`Lazy` rows (a name, where the
command lives, the line the listing shows) and imports a command's module only when that command is run or its
own help is asked for.

A command's own help (`habeas person --help`) imports its module, so a command module imports at its top only
what its options and help need: Typer, Rich, and the pure domain modules whose enums are option types. What a
command runs with (habeas.bootstrap, the services, the domain's other commands, the importers) it imports when it
runs; the root's settings, which open the database, are not resolved for a help page (cli/main.py).
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

# Typer's Context, Command and HelpFormatter are click's, vendored or not depending on Typer's version: Any here.
Command = Any


@dataclass(frozen=True)
class Lazy:
    """A top-level command: its name, ``module:attribute`` (a Typer app or a command function), its listing."""

    name: str
    target: str
    help: str

    def load(self) -> Command:
        module, _, attr = self.target.partition(":")
        found = getattr(importlib.import_module(module), attr)
        command: Command
        if isinstance(found, typer.Typer):  # always a group, even of one command (`habeas import facilities`)
            command = typer.main.get_group(found)
        else:  # a function: a Typer of one command gives that command itself
            single = typer.Typer(add_completion=False)
            single.command(self.name)(found)
            command = typer.main.get_command(single)
        command.name = self.name
        return command


class LazyGroup(TyperGroup):
    """A Typer group whose commands named in ``LAZY`` are imported on first use."""

    LAZY: Sequence[Lazy] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._loaded: dict[str, Command] = {}
        self._listing = False

    def _lazy(self, name: str) -> Lazy | None:
        return next((row for row in self.LAZY if row.name == name), None)

    def list_commands(self, ctx: Any) -> list[str]:
        return [*(row.name for row in self.LAZY), *super().list_commands(ctx)]

    def get_command(self, ctx: Any, cmd_name: str) -> Command:
        row = self._lazy(cmd_name)
        if row is None:
            return super().get_command(ctx, cmd_name)
        if self._listing and cmd_name not in self._loaded:
            return TyperCommand(cmd_name, help=row.help, short_help=row.help)  # for the listing only
        if cmd_name not in self._loaded:
            self._loaded[cmd_name] = row.load()
        return self._loaded[cmd_name]

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True  # the listing takes each command's line from its row: nothing is imported
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

"""The root command's context: the settings every command reads (--db, --key, then the environment)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import typer

from habeas.bootstrap import Settings


@dataclass
class Context:
    settings: Settings


DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="Database URL (sqlite:///PATH or postgresql://...). [env: HABEAS_DATABASE_URL]", show_default=False
    ),
]
KeyOption = Annotated[
    str | None,
    typer.Option("--key", help="Signing key file. [env: HABEAS_SIGNING_KEY; default: ./habeas.key]"),
]


def settings_of(ctx: typer.Context) -> Settings:
    """The settings the root command put in its context object (any object with a ``settings`` attribute)."""
    settings = getattr(ctx.find_root().obj, "settings", None)
    assert isinstance(settings, Settings)
    return settings
